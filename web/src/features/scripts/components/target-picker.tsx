import { BuildingIcon, MapPinIcon, MonitorIcon, XIcon } from "lucide-react";
import { useState } from "react";
import type { AgentSummary } from "@/api/types";
import { ErrorMessage } from "@/components/error-message";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/lib/utils";
import { useTargetAgents, useTargetClients, useTargetSites } from "../api/scripts";
import type { TargetChoice } from "../run-form";

const KINDS = [
  { kind: "agents", label: "Agents", icon: MonitorIcon },
  { kind: "site", label: "A whole site", icon: MapPinIcon },
  { kind: "client", label: "A whole client", icon: BuildingIcon },
] as const;

/** Where to run: one or more agents (searchable multi-select), every agent of a site, or of a client. */
export function TargetPicker({
  value,
  onChange,
  agentNames,
}: {
  value: TargetChoice;
  onChange: (next: TargetChoice) => void;
  /** Hostnames of agents already picked, by id (they may not be on the list's first page). */
  agentNames?: Record<string, string>;
}) {
  return (
    <div className="grid gap-2" data-testid="target-picker">
      <div role="radiogroup" aria-label="Target kind" className="inline-flex w-fit rounded-md border p-0.5">
        {KINDS.map(({ kind, label, icon: Icon }) => (
          <button
            key={kind}
            type="button"
            role="radio"
            aria-checked={value.kind === kind}
            data-testid={`target-kind-${kind}`}
            className={cn(
              "flex items-center gap-1.5 rounded px-2.5 py-1 text-xs text-muted-foreground hover:text-foreground",
              value.kind === kind && "bg-accent font-medium text-foreground",
            )}
            onClick={() => {
              if (value.kind === kind) return;
              onChange(
                kind === "agents"
                  ? { kind, agentIds: [] }
                  : kind === "site"
                    ? { kind, clientId: "clientId" in value ? value.clientId : null, siteId: null }
                    : { kind, clientId: "clientId" in value ? value.clientId : null },
              );
            }}
          >
            <Icon className="size-3.5" aria-hidden /> {label}
          </button>
        ))}
      </div>
      {value.kind === "agents" ? (
        <AgentsTarget value={value} onChange={onChange} agentNames={agentNames} />
      ) : (
        <ScopeTarget value={value} onChange={onChange} />
      )}
    </div>
  );
}

function AgentsTarget({
  value,
  onChange,
  agentNames,
}: {
  value: Extract<TargetChoice, { kind: "agents" }>;
  onChange: (next: TargetChoice) => void;
  agentNames?: Record<string, string>;
}) {
  const [q, setQ] = useState("");
  const agents = useTargetAgents(q, true);
  // Remember the picked agents' names, so chips stay readable when a new search hides them.
  const [known, setKnown] = useState<Record<string, string>>(() => ({ ...agentNames }));
  const selected = new Set(value.agentIds);

  const toggle = (agent: AgentSummary) => {
    setKnown((current) => ({ ...current, [agent.id]: agent.hostname }));
    onChange({
      kind: "agents",
      agentIds: selected.has(agent.id) ? value.agentIds.filter((id) => id !== agent.id) : [...value.agentIds, agent.id],
    });
  };
  const items = agents.data?.items ?? [];

  return (
    <div className="grid gap-1.5">
      {value.agentIds.length > 0 ? (
        <div className="flex flex-wrap items-center gap-1" data-testid="selected-agents">
          {value.agentIds.map((id) => (
            <span key={id} className="flex items-center gap-1 rounded-md bg-accent px-1.5 py-0.5 text-xs">
              {known[id] ?? id.slice(0, 8)}
              <button
                type="button"
                aria-label={`Remove ${known[id] ?? id}`}
                className="text-muted-foreground hover:text-foreground"
                onClick={() => onChange({ kind: "agents", agentIds: value.agentIds.filter((other) => other !== id) })}
              >
                <XIcon className="size-3" />
              </button>
            </span>
          ))}
          <Button type="button" variant="ghost" size="sm" onClick={() => onChange({ kind: "agents", agentIds: [] })}>
            Clear
          </Button>
        </div>
      ) : null}
      <SearchInput label="Search agents" placeholder="Search hostname, client, site…" value={q} onChange={setQ} />
      {agents.isError ? <ErrorMessage error={agents.error} onRetry={() => void agents.refetch()} /> : null}
      {agents.isPending ? (
        <Skeleton className="h-32" />
      ) : (
        <ul className="max-h-44 overflow-auto rounded-md border" aria-label="Agents" data-testid="target-agent-list">
          {items.length === 0 ? <li className="px-2 py-3 text-center text-xs text-muted-foreground">No agent matches.</li> : null}
          {items.map((agent) => (
            <li key={agent.id}>
              <label className="flex cursor-pointer items-center gap-2 px-2 py-1 text-xs hover:bg-accent">
                <input
                  type="checkbox"
                  className="size-3.5 accent-primary"
                  checked={selected.has(agent.id)}
                  onChange={() => toggle(agent)}
                  data-testid="target-agent-checkbox"
                  data-hostname={agent.hostname}
                  data-status={agent.status}
                />
                <span
                  className={cn("size-1.5 shrink-0 rounded-full", agent.status === "online" ? "bg-success" : "bg-muted-foreground/40")}
                  title={agent.status}
                  aria-hidden
                />
                <span className="font-medium">{agent.hostname}</span>
                <span className="truncate text-muted-foreground">
                  {agent.client_name} · {agent.site_name}
                </span>
                {agent.status !== "online" ? <span className="ml-auto text-[11px] text-muted-foreground">offline: waits</span> : null}
              </label>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ScopeTarget({
  value,
  onChange,
}: {
  value: Extract<TargetChoice, { kind: "site" | "client" }>;
  onChange: (next: TargetChoice) => void;
}) {
  const clients = useTargetClients(true);
  const sites = useTargetSites(value.kind === "site" ? value.clientId : null);
  return (
    <div className="grid grid-cols-2 gap-2">
      {clients.isError ? <ErrorMessage error={clients.error} onRetry={() => void clients.refetch()} className="col-span-2" /> : null}
      <Select
        value={value.clientId ?? ""}
        onValueChange={(clientId) =>
          onChange(value.kind === "site" ? { kind: "site", clientId, siteId: null } : { kind: "client", clientId })
        }
      >
        <SelectTrigger className="w-full" aria-label="Client" data-testid="target-client-select">
          <SelectValue placeholder={clients.isPending ? "Loading clients…" : "Pick a client"} />
        </SelectTrigger>
        <SelectContent>
          {(clients.data?.items ?? []).map((client) => (
            <SelectItem key={client.id} value={client.id}>
              {client.name} <span className="text-muted-foreground">({client.agent_count} agents)</span>
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
      {value.kind === "site" ? (
        <Select value={value.siteId ?? ""} disabled={value.clientId === null} onValueChange={(siteId) => onChange({ ...value, siteId })}>
          <SelectTrigger className="w-full" aria-label="Site" data-testid="target-site-select">
            <SelectValue placeholder={value.clientId === null ? "Pick a client first" : "Pick a site"} />
          </SelectTrigger>
          <SelectContent>
            {(sites.data?.items ?? []).map((site) => (
              <SelectItem key={site.id} value={site.id}>
                {site.name} <span className="text-muted-foreground">({site.agent_count} agents)</span>
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      ) : (
        <p className="self-center text-xs text-muted-foreground">Runs on every agent of the client, online or not.</p>
      )}
    </div>
  );
}
