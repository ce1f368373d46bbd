//! A user limited to some clients, and the organization's clients, for tests of the client scope.
import type { Client, User } from "@/api/types";
import { testUser } from "./render-page";

/** A user of `role` limited to `clientIds`. */
export function scopedUser(clientIds: string[] = ["c1", "c2"], role: User["role"] = "technician"): User {
  return { ...testUser(role), client_ids: clientIds };
}

/** A client with one site and no agent. */
export function client(overrides: Partial<Client> = {}): Client {
  return { id: "c1", name: "Acme", agent_count: 0, site_count: 1, created_at: "2026-01-01T00:00:00Z", ...overrides };
}

/** Acme, Globex and Initech. */
export const CLIENTS: Client[] = [
  client({ id: "c1", name: "Acme" }),
  client({ id: "c2", name: "Globex" }),
  client({ id: "c3", name: "Initech" }),
];
