//! The built-in roles as the users pages name them, and the rules the server enforces about who may
//! give which role, so the dashboard offers only what the server would accept.
import type { Role, User } from "@/api/types";
import type { OrgUser } from "./api/users";

/** Every role, the most powerful first (the order of the role menus). */
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

/** The roles `actor` may give: only an owner gives (or takes) the owner role. */
export function grantableRoles(actorRole: Role | undefined): Role[] {
  return ROLES.filter((role) => role !== "owner" || actorRole === "owner");
}

/** Only an owner changes, resets, disables or removes an owner. */
export function mayActOn(actor: User | undefined, target: OrgUser): boolean {
  if (!actor) return false;
  return target.role !== "owner" || actor.role === "owner";
}
