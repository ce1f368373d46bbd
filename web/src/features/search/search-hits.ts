//! The global search's answer as one list the palette moves through with the arrow keys: each hit
//! with its group, label, detail and where it leads.
import type { SearchResults } from "@/api/types";

export type SearchHitTarget =
  | { to: "/agents/$agentId"; params: { agentId: string } }
  | { to: "/clients/$clientId"; params: { clientId: string } }
  | { to: "/sites/$siteId"; params: { siteId: string } }
  | { to: "/scripts/$scriptId"; params: { scriptId: string } }
  | { to: "/jobs/$jobId"; params: { jobId: string } }
  | { to: "/agents"; search: { q: string } };

export interface SearchHit {
  key: string;
  group: "Agents" | "Clients" | "Sites" | "Scripts" | "Jobs";
  label: string;
  detail: string;
  target: SearchHitTarget;
}

export function searchHits(results: SearchResults | undefined, q: string): SearchHit[] {
  if (!results) return [];
  const hits: SearchHit[] = [];
  for (const agent of results.agents) {
    hits.push({
      key: `agent:${agent.id}`,
      group: "Agents",
      label: agent.alias || agent.hostname,
      detail: [agent.alias ? agent.hostname : null, `${agent.client_name} / ${agent.site_name}`, agent.status].filter(Boolean).join(" · "),
      target: { to: "/agents/$agentId", params: { agentId: agent.id } },
    });
  }
  if (results.agents_total > results.agents.length) {
    hits.push({
      key: "agents:all",
      group: "Agents",
      label: `All ${results.agents_total} matching agents`,
      detail: "Open the agent list with this search",
      target: { to: "/agents", search: { q: q.trim() } },
    });
  }
  for (const client of results.clients) {
    hits.push({
      key: `client:${client.id}`,
      group: "Clients",
      label: client.name,
      detail: "Client",
      target: { to: "/clients/$clientId", params: { clientId: client.id } },
    });
  }
  for (const site of results.sites) {
    hits.push({
      key: `site:${site.id}`,
      group: "Sites",
      label: site.name,
      detail: site.client_name,
      target: { to: "/sites/$siteId", params: { siteId: site.id } },
    });
  }
  for (const script of results.scripts) {
    hits.push({
      key: `script:${script.id}`,
      group: "Scripts",
      label: script.name,
      detail: script.category || "Script",
      target: { to: "/scripts/$scriptId", params: { scriptId: script.id } },
    });
  }
  for (const job of results.jobs) {
    hits.push({
      key: `job:${job.id}`,
      group: "Jobs",
      label: job.name,
      detail: job.target,
      target: { to: "/jobs/$jobId", params: { jobId: job.id } },
    });
  }
  return hits;
}

/** The next active hit for an arrow key, wrapping around. */
export function moveActive(active: number, count: number, step: 1 | -1): number {
  if (count === 0) return 0;
  return (active + step + count) % count;
}
