//! The first element of every TanStack Query key, one per feature. Each feature builds its key
//! factory on its root; a feature whose change makes another's data stale (a new site changes its
//! client's counts) invalidates that root instead of importing the other feature.
export const rootKeys = {
  agents: ["agents"],
  deletedAgents: ["deleted-agents"],
  clients: ["clients"],
  sites: ["sites"],
  commands: ["commands"],
  scripts: ["scripts"],
  jobs: ["jobs"],
  enrollmentRequests: ["enrollment-requests"],
  overview: ["overview"],
  alerts: ["alerts"],
  policies: ["policies"],
  checks: ["checks"],
  fleetChecks: ["fleet-checks"],
  notifications: ["notifications"],
  maintenance: ["maintenance"],
  customFields: ["custom-fields"],
  updates: ["updates"],
  rollouts: ["rollouts"],
  inventory: ["inventory"],
  discovery: ["discovery"],
} as const;
