//! A user's client scope as the users page and single sign-on's access rules show and edit it: the
//! whole organization, or only some of its clients ("a technician for Acme and Globex only"). The server checks the same rules
//! (`clients_to_grant`): 1 to 1,000 of the organization's clients, never for an owner.
import type { Role } from "@/api/types";

/** The most clients one user's access may name (`MAX_SCOPE_CLIENTS`). */
export const MAX_SCOPE_CLIENTS = 1_000;

/** A client as the picker holds it: its id and the name it was shown with. */
export interface ScopeClient {
  id: string;
  name: string;
}

/** What the access field holds while it is edited. */
export interface ScopeDraft {
  mode: "organization" | "clients";
  clients: ScopeClient[];
}

export const WHOLE_ORGANIZATION: ScopeDraft = { mode: "organization", clients: [] };

/** The field's start for a user or invitation holding `clientIds`, named from `names` where known. */
export function scopeDraft(clientIds: readonly string[] | null | undefined, names: ReadonlyMap<string, string>): ScopeDraft {
  if (!clientIds) return WHOLE_ORGANIZATION;
  return { mode: "clients", clients: clientIds.map((id) => ({ id, name: names.get(id) ?? UNKNOWN_CLIENT })) };
}

/** A client of a scope missing from the organization's list (deleted since, or still loading). */
export const UNKNOWN_CLIENT = "Unknown client";

/** Adds or removes one client of the draft. */
export function toggleScopeClient(draft: ScopeDraft, client: ScopeClient): ScopeDraft {
  const held = draft.clients.some((candidate) => candidate.id === client.id);
  return {
    ...draft,
    clients: held ? draft.clients.filter((candidate) => candidate.id !== client.id) : [...draft.clients, client],
  };
}

/** Whether a role's access may be limited: an owner always covers the whole organization. */
export function mayLimit(role: Role | undefined): boolean {
  return role !== "owner";
}

/** Why the draft cannot be sent, or null. */
export function scopeProblem(draft: ScopeDraft, role: Role | undefined): string | null {
  if (draft.mode === "organization" || !mayLimit(role)) return null;
  if (draft.clients.length === 0) return "Choose at least one client, or give access to the whole organization.";
  if (draft.clients.length > MAX_SCOPE_CLIENTS) return `Choose at most ${MAX_SCOPE_CLIENTS.toLocaleString("en")} clients.`;
  return null;
}

/** The `client_ids` the draft sends: null for the whole organization (always for an owner). */
export function scopeRequest(draft: ScopeDraft, role: Role | undefined): string[] | null {
  return draft.mode === "clients" && mayLimit(role) ? draft.clients.map((client) => client.id) : null;
}

/** How a list shows a scope: its label, and every client's name for a tooltip when the label counts them. */
export function scopeSummary(
  clientIds: readonly string[] | null | undefined,
  names: ReadonlyMap<string, string>,
): { label: string; names: string[] | null } {
  if (!clientIds) return { label: "All clients", names: null };
  const named = clientIds.map((id) => names.get(id) ?? UNKNOWN_CLIENT).sort((a, b) => a.localeCompare(b));
  if (named.length <= 2) return { label: named.join(", "), names: null };
  return { label: `${named.length} clients`, names: named };
}

/** The scope inside a sentence: "all clients", "Acme and Globex", "3 clients". */
export function scopePhrase(clientIds: readonly string[] | null | undefined, names: ReadonlyMap<string, string>): string {
  if (!clientIds) return "the whole organization";
  const named = clientIds.map((id) => names.get(id) ?? UNKNOWN_CLIENT);
  if (named.length === 1) return named[0] ?? UNKNOWN_CLIENT;
  if (named.length === 2) return `${named[0]} and ${named[1]}`;
  return `${named.length} clients`;
}
