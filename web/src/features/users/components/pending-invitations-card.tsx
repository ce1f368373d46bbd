//! Invitations not yet used and not expired, with their withdrawal: a withdrawn link stops working.
import { XIcon } from "lucide-react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { RelativeTime } from "@/components/relative-time";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useInvitations, useWithdrawInvitation, type Invitation } from "../api/users";
import { roleName } from "@/lib/roles";
import { ClientScopeCell } from "./client-scope-cell";

/** `names` names the clients of an invitation's access (id → name). */
export function PendingInvitationsCard({ names }: { names: ReadonlyMap<string, string> }) {
  const invitations = useInvitations();
  const items = invitations.data?.items;
  const list = { ...invitations, data: items ? { items, total: items.length, per_page: items.length } : undefined };
  return (
    <SectionCard
      title="Pending invitations"
      description="Links sent and not used yet. Once used, the person appears among the users above."
      data-testid="pending-invitations"
    >
      <DataTable
        query={list}
        columns={columns(names)}
        rowKey={(invitation) => invitation.id}
        rowProps={(invitation) => ({ "data-testid": "invitation-row", "data-email": invitation.email })}
        testId="invitations-table"
        loadingClassName="h-16"
        empty={
          <p className="text-sm text-muted-foreground" data-testid="no-invitations">
            No invitation is waiting.
          </p>
        }
      />
    </SectionCard>
  );
}

const columns = (names: ReadonlyMap<string, string>): DataColumn<Invitation>[] => [
  { header: "Email", fill: true, className: "truncate font-medium", cell: (invitation) => invitation.email },
  {
    header: "Role",
    headerClassName: "w-36",
    cell: (invitation) => (
      <Badge variant="muted" className="max-w-full truncate" title={roleName(invitation)} data-testid="invitation-role">
        {roleName(invitation)}
      </Badge>
    ),
  },
  {
    header: "Access",
    headerClassName: "w-36",
    className: "truncate",
    cell: (invitation) => <ClientScopeCell clientIds={invitation.client_ids} names={names} testId="invitation-access" />,
  },
  {
    header: "Invited by",
    headerClassName: "w-48",
    className: "truncate text-muted-foreground",
    cell: (invitation) => (
      <>
        {invitation.created_by_email}, <RelativeTime value={invitation.created_at} />
      </>
    ),
  },
  {
    header: "Expires",
    headerClassName: "w-28",
    className: "text-muted-foreground",
    cell: (invitation) => <RelativeTime value={invitation.expires_at} />,
  },
  { header: "Withdraw", headerClassName: "w-20", cell: (invitation) => <WithdrawInvitation invitation={invitation} /> },
];

function WithdrawInvitation({ invitation }: { invitation: Invitation }) {
  const withdraw = useWithdrawInvitation();
  return (
    <ConfirmDialog
      trigger={
        <Button variant="ghost" size="icon" aria-label={`Withdraw the invitation of ${invitation.email}`} data-testid="withdraw-invitation">
          <XIcon />
        </Button>
      }
      title={`Withdraw the invitation of ${invitation.email}?`}
      description="The link stops working. You can invite them again later."
      confirmLabel="Withdraw"
      onConfirm={() => withdraw.mutateAsync(invitation.id)}
    />
  );
}
