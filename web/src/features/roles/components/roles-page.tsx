//! The organization's roles (`manage_users`): the built-in ones, read-only, with their permissions,
//! and the custom ones with who holds them, to make, change and delete. Nobody changes or deletes a
//! role holding a permission they lack (the server refuses it), so those rows offer neither. Without
//! the permission the page says so and asks the server nothing.
import { Link } from "@tanstack/react-router";
import { PencilIcon, PlusIcon, ShieldUserIcon, Trash2Icon } from "lucide-react";
import type { Permission, User } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { can, useCurrentUser } from "@/lib/auth";
import { useDeleteRole, useRoles, type BuiltInRole, type CustomRole } from "../api/roles";
import { ALL_PERMISSIONS, BUILT_IN_LABELS, BUILT_IN_SUMMARIES, missingPermissions, PERMISSION_DESCRIPTIONS } from "../role-form";
import { RoleDialog } from "./role-dialog";

export function RolesPage() {
  useDocumentTitle("Roles");
  const user = useCurrentUser().data;
  const allowed = can(user, "manage_users");
  const roles = useRoles(allowed);
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Roles"
        description={allowed ? "What each role may do. Give roles to people on the Users page." : undefined}
        actions={
          allowed ? (
            <RoleDialog
              trigger={
                <Button data-testid="new-role-button">
                  <PlusIcon /> New role
                </Button>
              }
            />
          ) : null
        }
      />
      {user === undefined ? null : !allowed ? (
        <EmptyState icon={ShieldUserIcon} title="You don't have permission to manage roles" data-testid="roles-not-allowed">
          Roles need the manage users permission, which your role does not grant; ask an owner or administrator. Your own password and
          two-factor authentication are on{" "}
          <Link to="/account" className="text-primary hover:underline">
            your account page
          </Link>
          .
        </EmptyState>
      ) : roles.isError ? (
        <ErrorMessage error={roles.error} onRetry={() => void roles.refetch()} />
      ) : (
        <>
          <CustomRolesCard actor={user} roles={roles} />
          <BuiltInRolesCard builtIn={roles.data?.built_in} />
        </>
      )}
    </div>
  );
}

function PermissionBadges({ permissions }: { permissions: readonly Permission[] }) {
  if (permissions.length === ALL_PERMISSIONS.length) {
    return (
      <Badge variant="info" title={permissions.join(", ")}>
        Every permission
      </Badge>
    );
  }
  if (permissions.length === 0) return <span className="text-xs text-muted-foreground">None: may do nothing</span>;
  return (
    <span className="flex flex-wrap items-start gap-1">
      {ALL_PERMISSIONS.filter((permission) => permissions.includes(permission)).map((permission) => (
        <Badge key={permission} variant="muted" className="font-mono" title={PERMISSION_DESCRIPTIONS[permission]}>
          {permission}
        </Badge>
      ))}
    </span>
  );
}

function BuiltInRolesCard({ builtIn }: { builtIn: BuiltInRole[] | undefined }) {
  return (
    <SectionCard
      title="Built-in roles"
      description="Every organization has these; they cannot be changed. Only an owner gives or takes the owner role."
      data-testid="built-in-roles"
    >
      {!builtIn ? (
        <Skeleton className="h-32" />
      ) : (
        <ul className="grid gap-3">
          {builtIn.map(({ role, permissions }) =>
            role === "custom" ? null : (
              <li
                key={role}
                className="grid items-start justify-items-start gap-1 border-b pb-3 last:border-b-0 last:pb-0 sm:grid-cols-[12rem_minmax(0,1fr)] sm:gap-3"
                data-testid="built-in-role"
                data-role={role}
              >
                <div className="grid content-start gap-0.5">
                  <span className="text-sm font-medium">{BUILT_IN_LABELS[role]}</span>
                  <span className="text-xs text-muted-foreground">{BUILT_IN_SUMMARIES[role]}</span>
                </div>
                <PermissionBadges permissions={permissions} />
              </li>
            ),
          )}
        </ul>
      )}
    </SectionCard>
  );
}

function CustomRolesCard({ actor, roles }: { actor: User; roles: ReturnType<typeof useRoles> }) {
  const items = roles.data?.custom;
  const list = { ...roles, data: items ? { items, total: items.length, per_page: items.length } : undefined };
  return (
    <SectionCard
      title="Custom roles"
      description="Your organization's own roles: exactly the permissions ticked, nothing else. A change reaches their users at their next request."
      data-testid="custom-roles"
    >
      <DataTable
        query={list}
        columns={customColumns(actor)}
        rowKey={(role) => role.id}
        rowProps={(role) => ({ "data-testid": "custom-role-row", "data-name": role.name })}
        testId="custom-roles-table"
        loadingClassName="h-24"
        empty={
          <p className="text-sm text-muted-foreground" data-testid="no-custom-roles">
            No custom role yet. Make one with New role when the built-in roles give too much or too little.
          </p>
        }
      />
    </SectionCard>
  );
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function customColumns(actor: User): DataColumn<CustomRole>[] {
  return [
    {
      header: "Name",
      headerClassName: "w-64",
      className: "min-w-48 max-w-64 whitespace-normal",
      cell: (role) => (
        <span className="grid min-w-0 gap-0.5">
          <span className="truncate font-medium" title={role.name} data-testid="custom-role-name">
            {role.name}
          </span>
          {role.description ? (
            <span className="line-clamp-2 text-xs whitespace-normal text-muted-foreground" data-testid="custom-role-description">
              {role.description}
            </span>
          ) : null}
        </span>
      ),
    },
    {
      header: "Permissions",
      fill: true,
      className: "whitespace-normal",
      cellProps: () => ({ "data-testid": "custom-role-permissions" }),
      cell: (role) => (
        <span className="grid justify-items-start gap-1">
          <span className="text-xs text-muted-foreground">{plural(role.permissions.length, "permission", "permissions")}</span>
          <PermissionBadges permissions={role.permissions} />
        </span>
      ),
    },
    {
      header: "Held by",
      headerClassName: "w-44",
      className: "text-xs whitespace-nowrap text-muted-foreground",
      cellProps: () => ({ "data-testid": "custom-role-holders" }),
      cell: (role) => (
        <>
          <span className="block">{plural(role.user_count, "user", "users")}</span>
          <span className="block">{plural(role.invitation_count, "pending invitation", "pending invitations")}</span>
        </>
      ),
    },
    { header: "Actions", headerClassName: "w-24", cell: (role) => <RoleActions actor={actor} role={role} /> },
  ];
}

function RoleActions({ actor, role }: { actor: User; role: CustomRole }) {
  const remove = useDeleteRole();
  const lacking = missingPermissions(actor.permissions, role.permissions);
  if (lacking.length > 0) {
    return (
      <span
        className="text-xs text-muted-foreground"
        title={`It holds permissions you do not have (${lacking.join(", ")}); someone who holds them changes it`}
        data-testid="custom-role-locked"
      >
        —
      </span>
    );
  }
  const held = role.user_count + role.invitation_count;
  return (
    <div className="flex gap-1">
      <RoleDialog
        role={role}
        trigger={
          <Button variant="ghost" size="icon" aria-label={`Edit ${role.name}`} title="Edit" data-testid="edit-role">
            <PencilIcon />
          </Button>
        }
      />
      <ConfirmDialog
        trigger={
          <Button variant="ghost" size="icon" aria-label={`Delete ${role.name}`} title="Delete" data-testid="delete-role">
            <Trash2Icon />
          </Button>
        }
        title={`Delete ${role.name}?`}
        description={
          held > 0
            ? `It is held by ${plural(role.user_count, "user", "users")} and ${plural(role.invitation_count, "pending invitation", "pending invitations")}: give them another role first.`
            : "Nobody holds it. Used and expired invitations that named it go with it."
        }
        confirmLabel="Delete"
        onConfirm={() => remove.mutateAsync(role.id)}
      />
    </div>
  );
}
