import { Link } from "@tanstack/react-router";
import { ShieldCheckIcon } from "lucide-react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { EnrollmentRequest } from "@/api/types";
import { can, useCurrentUser } from "@/lib/auth";
import { useDecideEnrollmentRequest, useEnrollmentRequests } from "../api/enrollment-requests";

/**
 * Machines that enrolled with the device id of an existing agent but could not prove its credential.
 * Until an administrator approves one, the existing agent keeps its identity and site.
 */
export function EnrollmentRequestsPage() {
  const user = useCurrentUser().data;
  // Deciding who enters, and the machine identifiers it shows, take manage_agents.
  const mayView = can(user, "manage_agents");
  const requests = useEnrollmentRequests(mayView);
  const items = requests.data?.items ?? [];
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Enrollment approvals"
        description="Machines that enrolled as an existing agent without its credential. The agent keeps working as before until you decide."
      />
      {user !== undefined && !mayView ? (
        <EmptyState icon={ShieldCheckIcon} title="Not available to your role">
          Enrollment approvals show machine identifiers and need the manage agents permission; ask an administrator.
        </EmptyState>
      ) : requests.isError ? (
        <ErrorMessage error={requests.error} onRetry={() => void requests.refetch()} />
      ) : requests.isPending ? (
        <Skeleton className="h-24" />
      ) : items.length === 0 ? (
        <EmptyState icon={ShieldCheckIcon} title="Nothing waits for approval" data-testid="enrollment-requests-empty">
          When a machine enrolls again under an existing agent's identity, it waits here for an administrator.
        </EmptyState>
      ) : (
        <Card>
          <CardContent className="p-0">
            <Table data-testid="enrollment-requests-table">
              <TableHeader>
                <TableRow>
                  <TableHead>Machine</TableHead>
                  <TableHead>Claims to be</TableHead>
                  <TableHead>Enrolled into</TableHead>
                  <TableHead>From</TableHead>
                  <TableHead className="w-32">When</TableHead>
                  <TableHead className="w-48 text-right">Decision</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((request) => (
                  <RequestRow key={request.id} request={request} />
                ))}
              </TableBody>
            </Table>
          </CardContent>
        </Card>
      )}
    </div>
  );
}

function RequestRow({ request }: { request: EnrollmentRequest }) {
  const decide = useDecideEnrollmentRequest();
  return (
    <TableRow data-testid="enrollment-request-row">
      <TableCell>
        <div className="font-medium">{request.hostname}</div>
        <div className="text-xs text-muted-foreground">
          {request.os.name} {request.os.version} · agent {request.agent_version}
        </div>
        <div className="font-mono text-xs text-muted-foreground" title="Device id">
          {request.device_id}
        </div>
      </TableCell>
      <TableCell>
        <Link to="/agents/$agentId" params={{ agentId: request.agent_id }} className="text-primary hover:underline">
          {request.agent_hostname}
        </Link>
        <div className="text-xs text-muted-foreground">now in {request.agent_site_name}</div>
      </TableCell>
      <TableCell>
        {request.client_name} / {request.site_name}
      </TableCell>
      <TableCell className="font-mono text-xs">{request.public_ip ?? "unknown"}</TableCell>
      <TableCell className="text-muted-foreground">
        <RelativeTime value={request.created_at} />
      </TableCell>
      <TableCell className="text-right">
        <div className="flex justify-end gap-2">
          <ConfirmDialog
            variant="default"
            trigger={<Button size="sm">Approve</Button>}
            title={`Let ${request.hostname} become ${request.agent_hostname}?`}
            description={
              <>
                The agent takes this machine's credential and moves to {request.client_name} / {request.site_name}. The current connection
                of {request.agent_hostname} is closed and its old credential stops working. Approve only if you know this machine was
                reinstalled or moved.
              </>
            }
            confirmLabel="Approve"
            onConfirm={() => decide.mutateAsync({ id: request.id, decision: "approve" })}
          />
          <ConfirmDialog
            trigger={
              <Button size="sm" variant="outline">
                Reject
              </Button>
            }
            title={`Reject ${request.hostname}?`}
            description={`Its credential never works; ${request.agent_hostname} stays as it is.`}
            confirmLabel="Reject"
            onConfirm={() => decide.mutateAsync({ id: request.id, decision: "reject" })}
          />
        </div>
      </TableCell>
    </TableRow>
  );
}
