//! Picking the place a policy, an update policy or a maintenance window applies to: its scope, then a
//! client (then, for a site, one of its sites) or an agent found by a search. `testId` prefixes the
//! elements' test ids.
import { useState, type ReactNode } from "react";
import { usePickAgents, usePickClients, usePickSites } from "@/api/pick-queries";
import type { PolicyScope } from "@/api/types";
import { SearchInput } from "@/components/search-input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { POLICY_SCOPE_LABELS } from "@/lib/monitoring";
import { cn } from "@/lib/utils";

/**
 * The scope as a row of toggles, then its target: nothing for the organization (`globalNote` says
 * what that covers), an agent, or a client and one of its sites. Changing the scope is the parent's
 * to handle (it forgets the target picked for the other scope).
 */
export function ScopedTargetPicker<S extends PolicyScope>({
  scopes,
  scope,
  onScopeChange,
  targetId,
  onTargetChange,
  testId,
  labels = {},
  globalNote,
}: {
  scopes: readonly S[];
  scope: S;
  onScopeChange: (scope: S) => void;
  targetId: string | null;
  onTargetChange: (id: string | null) => void;
  testId: string;
  /** A scope's toggle text other than the usual ("Organization" for global). */
  labels?: Partial<Record<S, string>>;
  globalNote?: ReactNode;
}) {
  const [clientId, setClientId] = useState<string | null>(null);
  return (
    <>
      <div role="radiogroup" aria-label="Scope" className="inline-flex w-fit rounded-md border p-0.5">
        {scopes.map((option) => (
          <button
            key={option}
            type="button"
            role="radio"
            aria-checked={scope === option}
            data-testid={`${testId}-scope-${option}`}
            className={cn(
              "rounded px-2.5 py-1 text-xs text-muted-foreground hover:text-foreground",
              scope === option && "bg-accent font-medium text-foreground",
            )}
            onClick={() => onScopeChange(option)}
          >
            {labels[option] ?? POLICY_SCOPE_LABELS[option]}
          </button>
        ))}
      </div>
      {scope === "global" ? (
        <p className="text-xs text-muted-foreground">{globalNote}</p>
      ) : scope === "agent" ? (
        <AgentPicker testId={testId} value={targetId} onChange={onTargetChange} />
      ) : (
        <ClientSitePicker
          testId={testId}
          scope={scope === "site" ? "site" : "client"}
          clientId={clientId}
          onClientChange={setClientId}
          value={targetId}
          onChange={onTargetChange}
        />
      )}
    </>
  );
}

export function ClientSitePicker({
  scope,
  clientId,
  onClientChange,
  value,
  onChange,
  testId,
}: {
  scope: "client" | "site";
  clientId: string | null;
  onClientChange: (clientId: string) => void;
  value: string | null;
  onChange: (id: string | null) => void;
  testId: string;
}) {
  const clients = usePickClients(true);
  const sites = usePickSites(scope === "site" ? clientId : null);
  return (
    <div className="grid grid-cols-2 gap-2">
      <Select
        value={(scope === "client" ? value : clientId) ?? ""}
        onValueChange={(id) => {
          onClientChange(id);
          onChange(scope === "client" ? id : null);
        }}
      >
        <SelectTrigger className="w-full" aria-label="Client" data-testid={`${testId}-client-select`}>
          <SelectValue placeholder={clients.isPending ? "Loading clients…" : "Pick a client"} />
        </SelectTrigger>
        <SelectContent>
          {(clients.data?.items ?? []).map((client) => (
            <SelectItem key={client.id} value={client.id}>
              {client.name}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
      {scope === "site" ? (
        <Select value={value ?? ""} disabled={clientId === null} onValueChange={onChange}>
          <SelectTrigger className="w-full" aria-label="Site" data-testid={`${testId}-site-select`}>
            <SelectValue placeholder={clientId === null ? "Pick a client first" : "Pick a site"} />
          </SelectTrigger>
          <SelectContent>
            {(sites.data?.items ?? []).map((site) => (
              <SelectItem key={site.id} value={site.id}>
                {site.name}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      ) : null}
    </div>
  );
}

/** One agent, found by its hostname, alias, address or user, shown with its alias where it has one. */
export function AgentPicker({ value, onChange, testId }: { value: string | null; onChange: (id: string) => void; testId: string }) {
  const [q, setQ] = useState("");
  const agents = usePickAgents(q, true);
  return (
    <div className="grid gap-1.5">
      <SearchInput label="Search agents" placeholder="Search name, IP or user…" value={q} onChange={setQ} />
      <ul className="max-h-44 overflow-auto rounded-md border" aria-label="Agents" data-testid={`${testId}-agent-list`}>
        {(agents.data?.items ?? []).map((agent) => (
          <li key={agent.id}>
            <label className="flex cursor-pointer items-center gap-2 px-2 py-1 text-xs hover:bg-accent">
              <input
                type="radio"
                name={`${testId}-agent`}
                className="accent-primary"
                checked={value === agent.id}
                onChange={() => onChange(agent.id)}
              />
              <span className="font-medium">{agent.alias || agent.hostname}</span>
              {agent.alias ? <span className="text-muted-foreground">{agent.hostname}</span> : null}
              <span className="truncate text-muted-foreground">
                {agent.client_name} · {agent.site_name}
              </span>
            </label>
          </li>
        ))}
        {agents.data?.items.length === 0 ? (
          <li className="px-2 py-3 text-center text-xs text-muted-foreground">No agent matches.</li>
        ) : null}
      </ul>
    </div>
  );
}
