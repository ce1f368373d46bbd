//! The roles as the users pages and single sign-on's access rules name and offer them (the built-in
//! ones and the organization's custom roles), and the rules the server enforces about who may give
//! which role and manage whom (`role_to_grant`, `check_may_manage`), so the dashboard offers only what
//! the server would accept.
import type { CustomRoleName, OrgUser, Permission, Role, RoleList, User } from "@/api/types";

/** The built-in roles, the most powerful first (the order of the role menus). */
export const ROLES: readonly Role[] = ["owner", "admin", "technician", "readonly"];

export const ROLE_LABELS: Record<Role, string> = {
  owner: "Owner",
  admin: "Admin",
  technician: "Technician",
  readonly: "Read-only",
  custom: "Custom",
};

/** The role inside a sentence: "Join Best MSP as a technician". */
export const ROLE_NOUNS: Record<Role, string> = {
  owner: "an owner",
  admin: "an administrator",
  technician: "a technician",
  readonly: "a read-only user",
  custom: "a user with a custom role",
};

/** One line under the role menu of the invite dialog (docs/access.md has the full list). */
export const ROLE_SUMMARIES: Record<Role, string> = {
  owner: "Everything, including giving and taking the owner role.",
  admin: "Everything but the owner role: scripts, policies, enrollment, users.",
  technician: "Watches the fleet, runs commands and scripts, handles alerts, organizes clients and agents.",
  readonly: "Sees the fleet and changes nothing.",
  custom: "Exactly the permissions the organization's custom role holds.",
};

/** Whoever holds a role: a user or an invitation. */
interface RoleHolder {
  role: Role;
  custom_role?: CustomRoleName | null;
}

/** The role's name as shown: a custom role's own name, else the built-in role's label. */
export function roleName(holder: RoleHolder): string {
  return holder.role === "custom" && holder.custom_role ? holder.custom_role.name : ROLE_LABELS[holder.role];
}

/** The role inside a sentence: "a technician", "the role Helpdesk". */
export function roleNoun(holder: RoleHolder): string {
  return holder.role === "custom" && holder.custom_role ? `the role ${holder.custom_role.name}` : ROLE_NOUNS[holder.role];
}

/** A role a menu offers: a built-in one or one of the organization's custom roles. */
export interface RoleChoice {
  /** The menu's value: a built-in role's name, or `custom:<id>`. */
  value: string;
  role: Role;
  customRoleId: string | null;
  label: string;
  /** One line about what it may do. */
  summary: string;
  permissions: Permission[];
}

/** The menu value of what a user or invitation holds. */
export function choiceValue(holder: { role: Role; custom_role?: CustomRoleName | null }): string {
  return holder.role === "custom" && holder.custom_role ? `custom:${holder.custom_role.id}` : holder.role;
}

/** Of `permissions`, those the actor lacks. */
export function missingPermissions(actor: Pick<User, "permissions">, permissions: readonly Permission[]): Permission[] {
  return permissions.filter((permission) => !actor.permissions.includes(permission));
}

/**
 * The roles `actor` may give (`role_to_grant`): only an owner gives the owner role, and nobody gives
 * a role, built-in or custom, holding a permission they lack. Built-in roles first, most powerful
 * first, then the custom ones in the server's order (by name). Empty until both are known.
 */
export function grantableRoles(actor: User | undefined, roles: RoleList | undefined): RoleChoice[] {
  if (!actor || !roles) return [];
  const builtIn = ROLES.flatMap((role): RoleChoice[] => {
    const permissions = roles.built_in.find((known) => known.role === role)?.permissions;
    if (!permissions) return [];
    if (role === "owner" && actor.role !== "owner") return [];
    if (missingPermissions(actor, permissions).length > 0) return [];
    return [{ value: role, role, customRoleId: null, label: ROLE_LABELS[role], summary: ROLE_SUMMARIES[role], permissions }];
  });
  const custom = roles.custom
    .filter((role) => missingPermissions(actor, role.permissions).length === 0)
    .map((role): RoleChoice => ({
      value: `custom:${role.id}`,
      role: "custom",
      customRoleId: role.id,
      label: role.name,
      summary: role.description || (role.permissions.length > 0 ? role.permissions.join(", ") : "No permission: may do nothing."),
      permissions: role.permissions,
    }));
  return [...builtIn, ...custom];
}

/** The body that gives a chosen role: `{role}` for a built-in one, `{role: "custom", custom_role_id}`. */
export function roleRequest(choice: RoleChoice): { role: Role; custom_role_id?: string } {
  return choice.customRoleId ? { role: "custom", custom_role_id: choice.customRoleId } : { role: choice.role };
}

/** What the invite dialog starts with: technician where offered, else the least powerful built-in role, else the first. */
export function defaultChoice(choices: readonly RoleChoice[]): RoleChoice | undefined {
  return (
    choices.find((choice) => choice.value === "technician") ??
    [...choices].reverse().find((choice) => choice.customRoleId === null) ??
    choices[0]
  );
}

/**
 * Why `actor` may not manage `target` (their role, access, password or second factor), or null when
 * they may (`check_may_manage`): only an owner acts on an owner, and nobody acts on someone holding a
 * permission they lack.
 */
export function whyNotManage(actor: User, target: Pick<OrgUser, "role" | "permissions">): string | null {
  if (target.role === "owner" && actor.role !== "owner") return "Only an owner manages an owner";
  const lacking = missingPermissions(actor, target.permissions);
  if (lacking.length > 0) return `They hold permissions you do not have (${lacking.join(", ")}); someone who holds them manages them`;
  return null;
}

export function mayActOn(actor: User | undefined, target: Pick<OrgUser, "role" | "permissions">): boolean {
  return actor !== undefined && whyNotManage(actor, target) === null;
}
