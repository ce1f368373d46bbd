import { LockKeyholeIcon } from "lucide-react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useCan } from "@/lib/auth";
import { kindLabel, useClientVault, useDeleteVaultEntry, useVaultSites, type VaultEntry } from "../api/vault";
import { RevealDialog } from "./reveal-dialog";
import { VaultEntryDialog } from "./vault-entry-dialog";

/** Only web links are made clickable; anything else (an IP, `ssh://…`) is shown as text. */
function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A client's vault: its entries' names, kinds, usernames, URLs and notes, never a value. */
export function ClientVaultCard({ clientId }: { clientId: string }) {
  const mayView = useCan("view_agents");
  const vault = useClientVault(clientId);
  const mayManage = useCan("manage_clients");
  const mayReveal = useCan("view_secrets");
  const items = vault.data?.items ?? [];
  const hasSites = items.some((entry) => entry.site_id);
  const sites = useVaultSites(clientId, hasSites);
  const siteName = (id: string) => sites.data?.items.find((site) => site.id === id)?.name ?? "a site";

  if (!mayView) return null;
  return (
    <Card data-testid="vault-card">
      <CardHeader className="flex flex-row items-start justify-between gap-2 max-sm:flex-wrap">
        <div className="grid gap-1">
          <CardTitle className="flex items-center gap-2">
            <LockKeyholeIcon className="size-4" /> Vault
            {vault.data ? <span className="text-xs font-normal text-muted-foreground">{items.length}</span> : null}
          </CardTitle>
          <CardDescription>
            Credentials for this client, encrypted. Values are never listed:{" "}
            {mayReveal ? "reveal one with your password or authenticator code." : "users allowed to see secrets can reveal them."}
          </CardDescription>
        </div>
        {mayManage ? <VaultEntryDialog clientId={clientId} /> : null}
      </CardHeader>
      <CardContent>
        {vault.isError ? (
          <ErrorMessage error={vault.error} onRetry={() => void vault.refetch()} />
        ) : vault.isPending ? (
          <Skeleton className="h-24" />
        ) : items.length === 0 ? (
          <EmptyState icon={LockKeyholeIcon} title="No vault entries yet" data-testid="vault-empty">
            {mayManage ? "Add the client's passwords, keys and tokens here." : "Ask a technician to add the client's credentials."}
          </EmptyState>
        ) : (
          <Table data-testid="vault-table">
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead>Username</TableHead>
                <TableHead>URL</TableHead>
                <TableHead>Notes</TableHead>
                <TableHead>Updated</TableHead>
                {mayManage || mayReveal ? <TableHead className="w-0 text-right">Actions</TableHead> : null}
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((entry) => (
                <VaultRow
                  key={entry.id}
                  clientId={clientId}
                  entry={entry}
                  site={entry.site_id ? siteName(entry.site_id) : null}
                  mayManage={mayManage}
                  mayReveal={mayReveal}
                />
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

function VaultRow({
  clientId,
  entry,
  site,
  mayManage,
  mayReveal,
}: {
  clientId: string;
  entry: VaultEntry;
  site: string | null;
  mayManage: boolean;
  mayReveal: boolean;
}) {
  const remove = useDeleteVaultEntry(clientId);
  const href = entry.url ? safeHref(entry.url) : null;
  return (
    <TableRow data-testid="vault-row" data-entry-id={entry.id} data-name={entry.name}>
      <TableCell className="max-w-64">
        <div className="flex flex-wrap items-center gap-2">
          <span className="truncate font-medium" title={entry.name}>
            {entry.name}
          </span>
          <Badge variant="secondary" data-testid="vault-kind">
            {kindLabel(entry.kind)}
          </Badge>
        </div>
        {site ? (
          <div className="text-xs text-muted-foreground" data-testid="vault-site">
            Site: {site}
          </div>
        ) : null}
      </TableCell>
      <TableCell className="max-w-48 truncate font-mono text-xs" data-testid="vault-username">
        {entry.username ?? <span className="text-muted-foreground">—</span>}
      </TableCell>
      <TableCell className="max-w-56 truncate text-xs" data-testid="vault-url">
        {entry.url ? (
          href ? (
            <a href={href} target="_blank" rel="noreferrer noopener" className="text-primary hover:underline" title={entry.url}>
              {entry.url}
            </a>
          ) : (
            <span title={entry.url}>{entry.url}</span>
          )
        ) : (
          <span className="text-muted-foreground">—</span>
        )}
      </TableCell>
      <TableCell className="max-w-72 text-xs whitespace-pre-wrap text-muted-foreground" data-testid="vault-notes">
        {entry.notes}
      </TableCell>
      <TableCell>
        <RelativeTime value={entry.updated_at} />
        <div className="max-w-56 truncate text-xs text-muted-foreground" title={entry.updated_by_email}>
          by {entry.updated_by_email}
        </div>
      </TableCell>
      {mayManage || mayReveal ? (
        <TableCell className="text-right">
          <div className="flex justify-end gap-2">
            {mayReveal ? <RevealDialog entry={entry} /> : null}
            {mayManage ? (
              <>
                <VaultEntryDialog clientId={clientId} entry={entry} />
                <ConfirmDialog
                  trigger={
                    <Button variant="outline" size="sm" aria-label={`Delete ${entry.name}`} data-testid="delete-vault-entry-button">
                      Delete
                    </Button>
                  }
                  title={`Delete "${entry.name}"?`}
                  description="The entry and its value are removed for good; the audit log keeps only that it was deleted."
                  confirmLabel="Delete entry"
                  onConfirm={() => remove.mutateAsync(entry.id)}
                />
              </>
            ) : null}
          </div>
        </TableCell>
      ) : null}
    </TableRow>
  );
}
