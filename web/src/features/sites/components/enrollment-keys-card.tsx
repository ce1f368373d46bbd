import { KeySquareIcon } from "lucide-react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useCan } from "@/lib/auth";
import { cn } from "@/lib/utils";
import { type EnrollmentKeyInfo, useRevokeEnrollmentKey, useSiteEnrollmentKeys } from "../api/enrollment-keys";
import { enrollmentKeyUsesText } from "../enrollment-key-form";
import { EnrollmentKeyExpiry, EnrollmentKeyStateBadge } from "./enrollment-key-details";
import { NewEnrollmentKeyDialog } from "./new-enrollment-key-dialog";

/** Every enrollment key of a site, newest first, with its limits and use; writers create and revoke keys here. */
export function EnrollmentKeysCard({ siteId }: { siteId: string }) {
  const keys = useSiteEnrollmentKeys(siteId);
  const mayMutate = useCan("manage_agents");
  const items = keys.data?.items ?? [];
  const activeCount = items.filter((key) => key.state === "active").length;

  return (
    <Card data-testid="enrollment-keys-card">
      <CardHeader>
        <div className="grid gap-1">
          <CardTitle className="flex items-center gap-2">
            <KeySquareIcon className="size-4" /> Enrollment keys
            {keys.data ? (
              <span className="text-xs font-normal text-muted-foreground" data-testid="enrollment-keys-count">
                {activeCount} of {items.length} working
              </span>
            ) : null}
          </CardTitle>
          <CardDescription>
            Each key enrolls agents into this site; every agent then gets its own secret. Let a key expire or limit its uses for a rollout,
            and revoke one to stop it at once: agents it already enrolled keep working. Keys themselves are shown only when they are
            created.
          </CardDescription>
        </div>
        {mayMutate ? <NewEnrollmentKeyDialog siteId={siteId} /> : null}
      </CardHeader>
      <CardContent>
        {keys.isError ? (
          <ErrorMessage error={keys.error} onRetry={() => void keys.refetch()} />
        ) : keys.isPending ? (
          <Skeleton className="h-24" />
        ) : items.length === 0 ? (
          <EmptyState icon={KeySquareIcon} title="No enrollment keys yet" data-testid="enrollment-keys-empty">
            {mayMutate
              ? "Create a key to install agents in this site."
              : "Ask an administrator or technician to create one to install agents in this site."}
          </EmptyState>
        ) : (
          <Table data-testid="enrollment-keys-table">
            <TableHeader>
              <TableRow>
                <TableHead>Label</TableHead>
                <TableHead>State</TableHead>
                <TableHead>Uses</TableHead>
                <TableHead>Expires</TableHead>
                <TableHead>Created</TableHead>
                <TableHead>Last used</TableHead>
                {mayMutate ? <TableHead className="w-0 text-right">Actions</TableHead> : null}
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((key) => (
                <EnrollmentKeyRow key={key.id} siteId={siteId} enrollmentKey={key} mayMutate={mayMutate} />
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

function EnrollmentKeyRow({
  siteId,
  enrollmentKey: key,
  mayMutate,
}: {
  siteId: string;
  enrollmentKey: EnrollmentKeyInfo;
  mayMutate: boolean;
}) {
  const revoke = useRevokeEnrollmentKey(siteId);
  const active = key.state === "active";
  return (
    <TableRow
      data-testid="enrollment-key-row"
      data-key-id={key.id}
      data-label={key.label}
      data-state={key.state}
      className={cn(!active && "text-muted-foreground")}
    >
      <TableCell className="max-w-64 truncate font-medium" title={key.label}>
        {key.label}
      </TableCell>
      <TableCell>
        <div className="flex items-center gap-2">
          <EnrollmentKeyStateBadge state={key.state} />
          {key.revoked_at ? (
            <span className="text-xs text-muted-foreground">
              <RelativeTime value={key.revoked_at} />
            </span>
          ) : null}
        </div>
      </TableCell>
      <TableCell className="tabular-nums" data-testid="enrollment-key-uses">
        {enrollmentKeyUsesText(key)}
      </TableCell>
      <TableCell data-testid="enrollment-key-expiry">
        <EnrollmentKeyExpiry expiresAt={key.expires_at} />
      </TableCell>
      <TableCell>
        <RelativeTime value={key.created_at} />
        <div className="max-w-56 truncate text-xs text-muted-foreground" title={key.created_by_email}>
          by {key.created_by_email}
        </div>
      </TableCell>
      <TableCell data-testid="enrollment-key-last-used">
        <RelativeTime value={key.last_used_at} />
      </TableCell>
      {mayMutate ? (
        <TableCell className="text-right">
          {active ? (
            <ConfirmDialog
              trigger={
                <Button variant="outline" size="sm" aria-label={`Revoke ${key.label}`} data-testid="revoke-enrollment-key-button">
                  Revoke
                </Button>
              }
              title={`Revoke "${key.label}"?`}
              description={
                <>
                  The key stops enrolling agents at once: installers and commands that contain it fail.{" "}
                  {key.uses === 0
                    ? "It has not enrolled any agent yet."
                    : `The ${key.uses === 1 ? "agent" : `${key.uses.toLocaleString("en-US")} agents`} it already enrolled keep${key.uses === 1 ? "s" : ""} working.`}{" "}
                  The site&apos;s other keys are not affected.
                </>
              }
              confirmLabel="Revoke key"
              onConfirm={() => revoke.mutateAsync(key.id)}
            />
          ) : null}
        </TableCell>
      ) : null}
    </TableRow>
  );
}
