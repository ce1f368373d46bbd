//! Picking the place a policy or a maintenance window applies to: a client (then, for a site, one of
//! its sites) or an agent found by a search. `testId` prefixes the elements' test ids.
import { useState } from "react";
import { usePickAgents, usePickClients, usePickSites } from "@/api/pick-queries";
import { SearchInput } from "@/components/search-input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";

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
