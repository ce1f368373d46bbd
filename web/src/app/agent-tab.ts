//! The agent page's tab, in the URL (`?tab=`) so a link can open an agent on its checks or alerts.
import { compact, optionalEnum } from "@/lib/search-params";

export const AGENT_TABS = ["overview", "checks", "alerts", "policy", "hardware", "software", "services", "accounts", "changes"] as const;
export type AgentTab = (typeof AGENT_TABS)[number];

/** Absent: the overview (telemetry, commands), the page as it always was. */
export function parseAgentTabSearch(raw: Record<string, unknown>): { tab?: Exclude<AgentTab, "overview"> } {
  const tab = optionalEnum(raw.tab, AGENT_TABS);
  return compact({ tab: tab === "overview" ? undefined : tab });
}
