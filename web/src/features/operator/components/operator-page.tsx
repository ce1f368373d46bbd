//! The operator's page (`/operator`): every organization of this server with its users, agents and
//! whether it is suspended; making one with its first owner, suspending (with a reason) and resuming
//! one, and support access to an active one. The operator's own organization is marked and cannot be
//! suspended or supported. Anyone else is told the page is only for the operator of this server, and
//! the server is asked nothing.
import { Link } from "@tanstack/react-router";
import { Building2Icon, PlayCircleIcon, ServerCogIcon } from "lucide-react";
import { toast } from "sonner";
import type { User } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCurrentUser } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { useOperatorOrganizations, useResumeOrganization, type OperatorOrganization } from "../api/operator";
import { NewOrganizationDialog } from "./new-organization-dialog";
import { SupportAccessDialog } from "./support-access-dialog";
import { SuspendOrganizationDialog } from "./suspend-organization-dialog";

export function OperatorPage() {
  useDocumentTitle("Organizations");
  const user = useCurrentUser().data;
  const operator = user?.operator === true;
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Organizations"
        description={operator ? "Every organization on this GuruRMM server: make one, suspend or resume it." : undefined}
        actions={operator ? <NewOrganizationDialog /> : null}
      />
      {user === undefined ? null : !operator ? (
        <EmptyState icon={ServerCogIcon} title="Only the operator of this server manages organizations" data-testid="operator-only">
          This page is for the person who runs this GuruRMM server. Your own organization&apos;s settings are on{" "}
          <Link to="/organization" className="text-primary hover:underline">
            the Organization page
          </Link>
          , for roles that may change them.
        </EmptyState>
      ) : (
        <OrganizationsTable operator={user} />
      )}
    </div>
  );
}

function OrganizationsTable({ operator }: { operator: User }) {
  const organizations = useOperatorOrganizations();
  const items = organizations.data?.items;
  const list = { ...organizations, data: items ? { items, total: items.length, per_page: items.length } : undefined };
  return (
    <DataTable
      query={list}
      framed
      columns={columns(operator)}
      rowKey={(organization) => organization.id}
      rowProps={(organization) => ({
        "data-testid": "organization-row",
        "data-name": organization.name,
        "data-status": organization.suspended_at ? "suspended" : "active",
      })}
      testId="organizations-table"
      empty={<EmptyState icon={Building2Icon} title="No organization yet" />}
    />
  );
}

/**
 * Whether the organization is the operator's own. During a support session the signed-in user acts
 * in the organization supported, so their own is the one the session came from (by name: names are
 * unique). The page is not shown then anyway (`operator` is false), but it must not mark the wrong one.
 */
export function isOwnOrganization(user: User, organization: OperatorOrganization): boolean {
  return user.support ? organization.name === user.support.home_organization_name : organization.id === user.organization_id;
}

function columns(operator: User): DataColumn<OperatorOrganization>[] {
  const own = (organization: OperatorOrganization) => isOwnOrganization(operator, organization);
  return [
    {
      header: "Name",
      fill: true,
      className: "truncate font-medium",
      cell: (organization) => (
        <span className="flex min-w-0 items-center gap-2">
          <span className="truncate" title={organization.name} data-testid="organization-name">
            {organization.name}
          </span>
          {own(organization) ? (
            <Badge variant="muted" title="The organization you belong to" data-testid="organization-yours">
              yours
            </Badge>
          ) : null}
        </span>
      ),
    },
    {
      header: "Created",
      headerClassName: "w-36",
      className: "text-muted-foreground",
      cell: (organization) => <RelativeTime value={organization.created_at} />,
    },
    {
      header: "Users",
      headerClassName: "w-20 text-right",
      className: "text-right tabular-nums",
      cellProps: () => ({ "data-testid": "organization-users" }),
      cell: (organization) => organization.users,
    },
    {
      header: "Agents",
      headerClassName: "w-20 text-right",
      className: "text-right tabular-nums",
      cellProps: () => ({ "data-testid": "organization-agents" }),
      cell: (organization) => organization.agents,
    },
    {
      header: "Status",
      headerClassName: "w-56",
      cell: (organization) =>
        organization.suspended_at ? (
          <Badge variant="destructive" data-testid="organization-status">
            Suspended since <time dateTime={organization.suspended_at}>{formatDateTime(organization.suspended_at)}</time>
          </Badge>
        ) : (
          <Badge variant="success" data-testid="organization-status">
            Active
          </Badge>
        ),
    },
    {
      header: "Actions",
      headerClassName: "w-72",
      cell: (organization) =>
        own(organization) ? (
          <span className="text-xs text-muted-foreground" title="Suspending it would lock you out" data-testid="organization-own-note">
            Your own
          </span>
        ) : organization.suspended_at ? (
          <ResumeButton organization={organization} />
        ) : (
          <span className="flex items-center gap-2">
            <SupportAccessDialog organization={organization} />
            <SuspendOrganizationDialog organization={organization} />
          </span>
        ),
    },
  ];
}

function ResumeButton({ organization }: { organization: OperatorOrganization }) {
  const resume = useResumeOrganization();
  return (
    <ConfirmDialog
      variant="default"
      trigger={
        <Button variant="outline" size="sm" aria-label={`Resume ${organization.name}`} data-testid="resume-organization">
          <PlayCircleIcon /> Resume
        </Button>
      }
      title={`Resume ${organization.name}?`}
      description="Its users may sign in and use the API again, with the passwords, roles and API keys they had."
      confirmLabel="Resume"
      onConfirm={async () => {
        // A refusal stays in the dialog (ConfirmDialog shows it).
        await resume.mutateAsync(organization.id);
        toast.success(`${organization.name} is active again; its users may sign in.`);
      }}
    />
  );
}
