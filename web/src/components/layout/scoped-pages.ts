//! Which pages a user limited to some clients can use. The server opens only the operations listed in
//! `SCOPED_ROUTES` (`crates/server/src/auth/client_scope.rs`) to such users and answers every other
//! one 403 `client_scope`; these are the pages whose reads are all among them (their controls that
//! call anything else are hidden for scoped users), plus the user's own account and API keys and the
//! operator's organizations, which carry no client data, and the script library (read, and run on their
//! own agents) with the jobs they started. Everything else (editing scripts, policies, custom field
//! definitions, settings and single sign-on, users, deleted agents) is for users of the whole
//! organization: what it changes reaches every client.

/**
 * The pages open to a scoped user, each with the operations it reads:
 * - `/`: GET /overview (and the event stream)
 * - `/agents`: GET /agents, /agents/facets, /clients, /clients/{id}/sites, /overview; actions on a
 *   selection (POST /agents/bulk, /jobs, /scripts/{id}/run)
 * - `/agents/{id}`: GET /agents/{id}, its metrics, events and commands; running, cancelling and
 *   re-running a command (GET /commands/{id}, POST …/commands, …/cancel, …/rerun); renaming, moving
 *   and deleting it (PATCH, DELETE /agents/{id}); its custom field values (GET /custom-fields, GET and
 *   PUT …/custom-fields) and active maintenance (GET …/maintenance); its checks tab (GET …/checks,
 *   …/checks/history, POST …/checks/run), alerts tab (GET /alerts?agent_id=…) and effective policy
 *   tab (GET …/effective-policy, without the policy assignments, which are not open to them)
 * - `/alerts`: GET /alerts, /alerts/{id}, /clients, /clients/{id}/sites; acknowledging, snoozing,
 *   resolving one or a selection (POST /alerts/{id}/acknowledge, …/snooze, …/resolve, /alerts/bulk)
 * - `/checks`: GET /checks, /clients, /clients/{id}/sites
 * - `/clients`, `/clients/{id}`, `/sites/{id}`: GET /clients, /clients/{id}, /clients/{id}/sites,
 *   /sites/{id} and the agents list; their custom field values and maintenance banners (GET
 *   /maintenance-windows); a site's enrollment keys (GET, POST /sites/{id}/enrollment-keys, POST
 *   /enrollment-keys/{id}/revoke)
 * - `/sites/{id}/discovery`: the site's scans and devices (GET /sites/{id}, /discovery-defaults,
 *   /sites/{id}/discovery-scans, /discovery-scans/{id}, /sites/{id}/devices, the agents list and GET
 *   /agents/{id}); starting and cancelling a scan (POST /sites/{id}/discovery-scans,
 *   /discovery-scans/{id}/cancel), editing and deleting a device (PATCH, DELETE /devices/{id})
 * - `/maintenance`: GET /maintenance-windows (the windows on their clients, sites and agents),
 *   planning and ending one (POST /maintenance-windows, DELETE /maintenance-windows/{id}) with the
 *   pickers' GET /agents, /clients, /clients/{id}/sites
 * - `/scripts`, `/scripts/{id}`: GET /scripts, /scripts/{id}, /scripts/{id}/versions (read only: the
 *   library is the organization's), running one on their agents, sites or clients (POST
 *   /scripts/{id}/run and the pickers' GET /agents, /clients, /clients/{id}/sites, /clients/{id}/vault)
 * - `/jobs`, `/jobs/{id}`: the jobs they started (GET /jobs, /jobs/{id}, …/results.csv, POST
 *   …/rerun-failed)
 * - `/account`, `/api-keys`: the user's own account (not client data)
 * - `/operator`: the operator's organizations (not client data; the page itself tells anyone but the
 *   operator that it is not for them)
 *
 * The header's search (GET /search) and alerts count (GET /alerts) are open to them too.
 */
const SCOPED_PAGE_PATTERNS: readonly RegExp[] = [
  /^\/$/,
  /^\/alerts$/,
  /^\/checks$/,
  /^\/software$/,
  /^\/agents$/,
  // /agents/deleted is the deleted agents' list (GET /deleted-agents), not an agent.
  /^\/agents\/(?!deleted$)[^/]+$/,
  /^\/clients$/,
  /^\/clients\/[^/]+$/,
  /^\/sites\/[^/]+$/,
  /^\/sites\/[^/]+\/discovery$/,
  /^\/scripts$/,
  // /scripts/new makes a script, which only the library's editors do.
  /^\/scripts\/(?!new$)[^/]+$/,
  /^\/jobs$/,
  /^\/jobs\/[^/]+$/,
  /^\/maintenance$/,
  /^\/account$/,
  /^\/api-keys$/,
  /^\/operator$/,
];

/** Whether a page (its pathname) works for a user limited to some clients. */
export function isScopedPage(pathname: string): boolean {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  return SCOPED_PAGE_PATTERNS.some((pattern) => pattern.test(path));
}

/** Whether the page is available to the user: every page for the whole organization (`clientIds` null). */
export function isPageAvailable(pathname: string, clientIds: readonly string[] | null | undefined): boolean {
  return clientIds === null || clientIds === undefined || isScopedPage(pathname);
}

/** The navigation entries the user can use: all for the whole organization, else the scoped pages. */
export function availableNavigation<T extends { to: string }>(items: readonly T[], clientIds: readonly string[] | null | undefined): T[] {
  return items.filter((item) => isPageAvailable(item.to, clientIds));
}

/**
 * The agent page's tabs (besides its overview) a scoped user gets: its checks and alerts, and its
 * effective policy (shown without the agent's policy assignments, which read the policies: those are
 * the organization's, not open to them).
 */
const SCOPED_AGENT_TABS: readonly string[] = ["checks", "alerts", "policy", "hardware", "software", "services", "accounts", "changes"];

/** Whether the agent page's tab is available to the user: every tab for the whole organization. */
export function isAgentTabAvailable(tab: string, clientIds: readonly string[] | null | undefined): boolean {
  return clientIds === null || clientIds === undefined || SCOPED_AGENT_TABS.includes(tab);
}

/** The header's note for a scoped user: "Limited to 2 clients". */
export function scopeBadgeText(clientIds: readonly string[]): string {
  return `Limited to ${clientIds.length} client${clientIds.length === 1 ? "" : "s"}`;
}
