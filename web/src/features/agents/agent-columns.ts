//! The agents list's columns: which exist, which sort the list by which server order, which are shown
//! by default, and the technician's choice of them, kept in this browser.
import type { AgentSortColumn } from "@/api/types";

export const AGENT_COLUMNS = [
  { id: "status", label: "Status", sort: "status" },
  { id: "name", label: "Name", sort: "hostname" },
  { id: "location", label: "Client / site", sort: "client" },
  { id: "os", label: "OS", sort: "os" },
  { id: "version", label: "Agent version", sort: "agent_version" },
  { id: "last_seen", label: "Last seen", sort: "last_seen" },
  { id: "uptime", label: "Uptime", sort: "uptime" },
  { id: "cpu", label: "CPU", sort: "cpu" },
  { id: "memory", label: "Memory", sort: "memory" },
  { id: "disk", label: "Disk", sort: "disk" },
  { id: "public_ip", label: "Public IP", sort: "public_ip" },
  { id: "local_ip", label: "Local IP", sort: "local_ip" },
  { id: "user", label: "Logged-in user", sort: "user" },
  { id: "alerts", label: "Open alerts", sort: "open_alerts" },
  { id: "enrolled", label: "Enrolled", sort: "enrolled_at" },
  { id: "serial", label: "Serial number", sort: "serial" },
] as const satisfies readonly { id: string; label: string; sort: AgentSortColumn }[];

export type AgentColumnId = (typeof AGENT_COLUMNS)[number]["id"];

/** The name column is always shown: it is how a row is opened. */
export const REQUIRED_COLUMNS: readonly AgentColumnId[] = ["name"];

export const DEFAULT_COLUMNS: readonly AgentColumnId[] = [
  "status",
  "name",
  "location",
  "os",
  "last_seen",
  "cpu",
  "memory",
  "disk",
  "alerts",
];

const COLUMN_IDS = new Set<string>(AGENT_COLUMNS.map((column) => column.id));
export const COLUMNS_STORAGE_KEY = "gururmm.agents.columns";

/** A stored choice, kept only as far as it names known columns (in the table's order), with the name column. */
export function parseColumns(value: unknown): AgentColumnId[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const chosen = new Set(value.filter((id): id is string => typeof id === "string" && COLUMN_IDS.has(id)));
  for (const id of REQUIRED_COLUMNS) chosen.add(id);
  return AGENT_COLUMNS.map((column) => column.id).filter((id) => chosen.has(id));
}

export function loadColumns(storage: Pick<Storage, "getItem"> | undefined): AgentColumnId[] {
  try {
    const stored = storage?.getItem(COLUMNS_STORAGE_KEY);
    return (stored ? parseColumns(JSON.parse(stored)) : undefined) ?? [...DEFAULT_COLUMNS];
  } catch {
    return [...DEFAULT_COLUMNS];
  }
}

export function toggleColumn(columns: readonly AgentColumnId[], id: AgentColumnId): AgentColumnId[] {
  if (REQUIRED_COLUMNS.includes(id)) return [...columns];
  const next = columns.includes(id) ? columns.filter((column) => column !== id) : [...columns, id];
  return parseColumns(next) ?? [...DEFAULT_COLUMNS];
}
