//! The organization's users: who may sign in, with which role, and whether with a second factor.
//! Those with `manage_users` invite people, change roles (built-in or the organization's custom
//! ones), disable, reset passwords and second factors, remove users, and withdraw pending
//! invitations; the rules the server enforces (only an owner acts on the owner role, nobody gives a
//! role or manages a user holding a permission they lack, nobody disables or removes themselves)
//! decide which controls a row shows and which roles its menu offers.
import { Link } from "@tanstack/react-router";
import { BanIcon, CircleCheckIcon, ShieldOffIcon, Trash2Icon, UsersIcon } from "lucide-react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import type { User } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { can, useCurrentUser } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { useClientNames } from "@/api/pick-queries";
import {
  useChangeRole,
  useRemoveUser,
  useResetSecondFactor,
  useRoleChoices,
  useSetUserDisabled,
  useUsers,
  type OrgUser,
} from "../api/users";
import { mayLimit } from "@/lib/client-scope";
import { choiceValue, grantableRoles, roleName, roleRequest, whyNotManage, type RoleChoice } from "@/lib/roles";
import { ChangeAccessDialog } from "./change-access-dialog";
import { ClientScopeCell } from "./client-scope-cell";
import { InviteUserDialog } from "./invite-user-dialog";
import { PendingInvitationsCard } from "./pending-invitations-card";
import { ResetPasswordDialog } from "./reset-password-dialog";

export function UsersPage() {
  useDocumentTitle("Users");
  const actor = useCurrentUser().data;
  const mayManage = can(actor, "manage_users");
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Users"
        description="Who may sign in to your organization, and with which role."
        actions={mayManage ? <InviteUserDialog /> : null}
      />
      {actor === undefined ? null : !mayManage ? (
        <EmptyState icon={UsersIcon} title="Not available to your role" data-testid="users-not-allowed">
          Managing users needs the manage users permission; ask an administrator. Your own password and sessions are on{" "}
          <Link to="/account" className="text-primary hover:underline">
            your account page
          </Link>
          .
        </EmptyState>
      ) : (
        <UsersAndInvitations actor={actor} />
      )}
    </div>
  );
}

const NO_NAMES: ReadonlyMap<string, string> = new Map();

function UsersAndInvitations({ actor }: { actor: User }) {
  // The organization's clients name the clients of each user's and invitation's access.
  const names = useClientNames().data ?? NO_NAMES;
  return (
    <>
      <UsersTable actor={actor} names={names} />
      <PendingInvitationsCard names={names} />
    </>
  );
}

function UsersTable({ actor, names }: { actor: User; names: ReadonlyMap<string, string> }) {
  const users = useUsers();
  const choices = grantableRoles(actor, useRoleChoices().data);
  const items = users.data?.items;
  const list = { ...users, data: items ? { items, total: items.length, per_page: items.length } : undefined };
  return (
    <DataTable
      query={list}
      framed
      columns={userColumns(actor, choices, names)}
      rowKey={(user) => user.id}
      rowProps={(user) => ({
        "data-testid": "user-row",
        "data-email": user.email,
        "data-status": user.disabled_at ? "disabled" : "active",
      })}
      testId="users-table"
      empty={<EmptyState icon={UsersIcon} title="No user yet" />}
    />
  );
}

function userColumns(actor: User, choices: RoleChoice[], names: ReadonlyMap<string, string>): DataColumn<OrgUser>[] {
  return [
    {
      header: "Email",
      fill: true,
      className: "truncate font-medium",
      cell: (user) => (
        <span className="flex min-w-0 items-center gap-2">
          <span className="truncate" title={user.email}>
            {user.email}
          </span>
          {user.second_factor ? (
            <Badge variant="info" title="Signs in with an authenticator app's code or a security key too" data-testid="user-second-factor">
              2FA
            </Badge>
          ) : null}
          {user.id === actor.id ? <Badge variant="muted">You</Badge> : null}
        </span>
      ),
    },
    { header: "Role", headerClassName: "w-48", cell: (user) => <RoleCell actor={actor} user={user} choices={choices} /> },
    {
      header: "Access",
      headerClassName: "w-40",
      className: "truncate",
      cell: (user) => <ClientScopeCell clientIds={user.client_ids} names={names} testId="user-access" />,
    },
    {
      header: "Last sign-in",
      headerClassName: "w-36",
      className: "text-muted-foreground",
      cellProps: () => ({ "data-testid": "user-last-sign-in" }),
      cell: (user) => <RelativeTime value={user.last_sign_in_at} />,
    },
    {
      header: "Status",
      headerClassName: "w-28",
      cell: (user) =>
        user.disabled_at ? (
          <Badge variant="destructive" title={`Disabled ${formatDateTime(user.disabled_at)}`} data-testid="user-status">
            Disabled
          </Badge>
        ) : (
          <Badge variant="success" data-testid="user-status">
            Active
          </Badge>
        ),
    },
    { header: "Actions", headerClassName: "w-48", cell: (user) => <UserActions actor={actor} user={user} names={names} /> },
  ];
}

/**
 * A menu of the roles the signed-in user may give (built-in and custom), or the role as a badge where
 * they may not change it.
 */
function RoleCell({ actor, user, choices }: { actor: User; user: OrgUser; choices: RoleChoice[] }) {
  const changeRole = useChangeRole();
  const name = roleName(user);
  // Changing one's own role ends one's own sessions; another administrator does it.
  const refusal = user.id === actor.id ? null : whyNotManage(actor, user);
  if (user.id === actor.id || refusal) {
    return (
      <Badge variant="muted" className="max-w-full truncate" title={refusal ?? name} data-testid="user-role">
        {name}
      </Badge>
    );
  }
  const current = choiceValue(user);
  const change = (value: string) => {
    const choice = choices.find((candidate) => candidate.value === value);
    if (!choice) return;
    changeRole.mutate(
      { id: user.id, ...roleRequest(choice) },
      {
        onSuccess: () =>
          toast.success(
            choice.customRoleId
              ? `${user.email} now has the role ${choice.label}; their sessions ended.`
              : `${user.email} is now ${choice.label.toLowerCase()}; their sessions ended.`,
          ),
        onError: (error) => toast.error(errorMessage(error)),
      },
    );
  };
  return (
    <Select value={current} disabled={changeRole.isPending} onValueChange={change}>
      <SelectTrigger className="h-7 w-44" aria-label={`Role of ${user.email}`} title={name} data-testid="user-role-select">
        <SelectValue>
          <span className="truncate">{name}</span>
        </SelectValue>
      </SelectTrigger>
      <SelectContent>
        {choices.some((choice) => choice.value === current) ? null : (
          // What they hold stays shown while the roles load, though it is not offered.
          <SelectItem value={current} disabled>
            {name}
          </SelectItem>
        )}
        {choices.map((choice) => (
          <SelectItem key={choice.value} value={choice.value} data-custom={choice.customRoleId ? "true" : undefined}>
            {choice.label}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}

function UserActions({ actor, user, names }: { actor: User; user: OrgUser; names: ReadonlyMap<string, string> }) {
  const setDisabled = useSetUserDisabled();
  const remove = useRemoveUser();
  if (user.id === actor.id) {
    return (
      <Link to="/account" className="text-xs text-primary hover:underline">
        Your account
      </Link>
    );
  }
  const refusal = whyNotManage(actor, user);
  if (refusal) {
    return (
      <span className="text-xs text-muted-foreground" title={refusal} data-testid="user-not-manageable">
        —
      </span>
    );
  }
  return (
    <div className="flex gap-1">
      {/* An owner always has access to the whole organization. */}
      {mayLimit(user.role) ? <ChangeAccessDialog user={user} names={names} /> : null}
      <ResetPasswordDialog user={user} />
      {user.second_factor ? <ResetSecondFactor user={user} /> : null}
      {user.disabled_at ? (
        <Button
          variant="ghost"
          size="icon"
          aria-label={`Enable ${user.email}`}
          title="Enable"
          disabled={setDisabled.isPending}
          data-testid="enable-user"
          onClick={() =>
            setDisabled.mutate(
              { id: user.id, disabled: false },
              {
                onSuccess: () => toast.success(`${user.email} may sign in again.`),
                onError: (error) => toast.error(errorMessage(error)),
              },
            )
          }
        >
          <CircleCheckIcon />
        </Button>
      ) : (
        <ConfirmDialog
          trigger={
            <Button variant="ghost" size="icon" aria-label={`Disable ${user.email}`} title="Disable" data-testid="disable-user">
              <BanIcon />
            </Button>
          }
          title={`Disable ${user.email}?`}
          description="They are signed out at once and cannot sign in until you enable them again. Their role and history stay."
          confirmLabel="Disable"
          onConfirm={() => setDisabled.mutateAsync({ id: user.id, disabled: true })}
        />
      )}
      <ConfirmDialog
        trigger={
          <Button variant="ghost" size="icon" aria-label={`Remove ${user.email}`} title="Remove" data-testid="remove-user">
            <Trash2Icon />
          </Button>
        }
        title={`Remove ${user.email}?`}
        description="They are signed out and can no longer sign in. History keeps their name: the commands, jobs and scripts they ran or changed still show their email."
        confirmLabel="Remove"
        onConfirm={() => remove.mutateAsync(user.id)}
      />
    </div>
  );
}

function ResetSecondFactor({ user }: { user: OrgUser }) {
  const reset = useResetSecondFactor();
  return (
    <ConfirmDialog
      trigger={
        <Button
          variant="ghost"
          size="icon"
          aria-label={`Reset two-factor authentication of ${user.email}`}
          title="Reset two-factor"
          data-testid="reset-second-factor"
        >
          <ShieldOffIcon />
        </Button>
      }
      title={`Reset two-factor authentication of ${user.email}?`}
      description={
        <>
          For a lost phone or security key. They sign in with their password alone until they set up two-factor authentication again on
          their account page, and all their sessions end now. Their recovery codes stop working and their security keys are removed.
        </>
      }
      confirmLabel="Reset two-factor"
      onConfirm={async () => {
        await reset.mutateAsync(user.id);
        toast.success(`${user.email} signs in with their password alone until they set up two-factor authentication again.`);
      }}
    />
  );
}
