//! A client, then one of its sites: where agents are moved to (one agent's "Move to site", or a
//! selection's bulk move).
import { useId } from "react";
import { FormField } from "@/components/form-field";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useFilterClients, useFilterSites } from "../api/agents";

export function SitePicker({
  enabled,
  clientId,
  siteId,
  onClientChange,
  onSiteChange,
  currentClient,
  currentSiteId,
}: {
  /** Read the clients and sites only while the dialog is open. */
  enabled: boolean;
  clientId: string | undefined;
  siteId: string | undefined;
  onClientChange: (clientId: string) => void;
  onSiteChange: (siteId: string) => void;
  /** The client the agent is in, listed even past the first 100 clients. */
  currentClient?: { id: string; name: string };
  /** The agent's own site, shown but not choosable. */
  currentSiteId?: string;
}) {
  const ids = useId();
  const clients = useFilterClients(enabled);
  const sites = useFilterSites(enabled ? clientId : undefined);
  const clientItems = clients.data?.items ?? [];
  const siteItems = sites.data?.items ?? [];
  return (
    <>
      <FormField label="Client" htmlFor={`${ids}-client`}>
        <Select value={clientId ?? ""} onValueChange={onClientChange}>
          <SelectTrigger id={`${ids}-client`} className="w-full" data-testid="move-client-select">
            <SelectValue placeholder="Choose a client" />
          </SelectTrigger>
          <SelectContent>
            {currentClient && !clientItems.some((client) => client.id === currentClient.id) ? (
              <SelectItem value={currentClient.id}>{currentClient.name}</SelectItem>
            ) : null}
            {clientItems.map((client) => (
              <SelectItem key={client.id} value={client.id}>
                {client.name}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </FormField>
      <FormField
        label="Site"
        htmlFor={`${ids}-site`}
        hint={sites.isSuccess && siteItems.length === 0 ? "This client has no site yet." : undefined}
      >
        <Select value={siteId ?? ""} onValueChange={onSiteChange} disabled={!sites.isSuccess || siteItems.length === 0}>
          <SelectTrigger id={`${ids}-site`} className="w-full" data-testid="move-site-select">
            <SelectValue placeholder="Choose a site" />
          </SelectTrigger>
          <SelectContent>
            {siteItems.map((site) => (
              <SelectItem key={site.id} value={site.id} disabled={site.id === currentSiteId}>
                {site.id === currentSiteId ? `${site.name} (current)` : site.name}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </FormField>
    </>
  );
}
