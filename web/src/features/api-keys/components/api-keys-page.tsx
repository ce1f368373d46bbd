//! The signed-in user's API keys, for every role: their name, prefix, permissions, when they were
//! made, expire and were last used; making one (shown once) and revoking one. With `manage_users`
//! the server answers every key of the organization, so the list then names each key's owner.
import { KeyRoundIcon } from "lucide-react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useNow } from "@/hooks/use-now";
import { useCurrentUser } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { useApiKeys, useRevokeApiKey, type ApiKey } from "../api/api-keys";
import { apiKeyState } from "../api-key-form";
import { CreateApiKeyDialog } from "./create-api-key-dialog";

export function ApiKeysPage() {
  useDocumentTitle("API keys");
  const user = useCurrentUser().data;
  const keys = useApiKeys();
  const items = keys.data?.items;
  const list = { ...keys, data: items ? { items, total: items.length, per_page: items.length } : undefined };
  // Someone with manage_users is answered everybody's keys: each row then says whose it is.
  const othersShown = items?.some((key) => key.user_id !== user?.id) ?? false;
  return (
    <div className="grid gap-4">
      <PageHeader
        title="API keys"
        description="Keys let scripts and integrations call the API as you, with the permissions you give them."
        actions={<CreateApiKeyDialog />}
      />
      <DataTable
        query={list}
        framed
        columns={apiKeyColumns(othersShown, user?.id)}
        rowKey={(key) => key.id}
        rowProps={(key) => ({ "data-testid": "api-key-row", "data-name": key.name, "data-state": apiKeyState(key) })}
        testId="api-keys-table"
        empty={
          <EmptyState icon={KeyRoundIcon} title="No API key yet" data-testid="no-api-keys">
            Make one for each script or integration, so you can revoke one without breaking the others.
          </EmptyState>
        }
      />
    </div>
  );
}

function apiKeyColumns(othersShown: boolean, selfId: string | undefined): DataColumn<ApiKey>[] {
  return [
    {
      header: "Name",
      fill: true,
      className: "truncate",
      cell: (key) => (
        <span className="grid min-w-0">
          <span className="truncate font-medium" title={key.name}>
            {key.name}
          </span>
          <span className="truncate font-mono text-[11px] text-muted-foreground" title="The key's first characters">
            {key.prefix}…
          </span>
        </span>
      ),
    },
    ...(othersShown
      ? [
          {
            header: "Owner",
            headerClassName: "w-48",
            className: "truncate text-muted-foreground",
            cellProps: (key: ApiKey) => ({ title: key.user_email, "data-testid": "api-key-owner" }),
            cell: (key: ApiKey) => (key.user_id === selfId ? "You" : key.user_email),
          },
        ]
      : []),
    {
      header: "Permissions",
      headerClassName: "w-72",
      cellProps: () => ({ "data-testid": "api-key-permissions" }),
      cell: (key) => (
        <span className="flex flex-wrap gap-1">
          {key.permissions.map((permission) => (
            <Badge key={permission} variant="muted" className="font-mono">
              {permission}
            </Badge>
          ))}
        </span>
      ),
    },
    {
      header: "Created",
      headerClassName: "w-32",
      className: "text-muted-foreground",
      cell: (key) => <RelativeTime value={key.created_at} />,
    },
    {
      header: "Expires",
      headerClassName: "w-32",
      className: "text-muted-foreground",
      cellProps: (key) => ({ title: key.expires_at ? formatDateTime(key.expires_at) : undefined, "data-testid": "api-key-expires" }),
      cell: (key) => (key.expires_at ? <RelativeTime value={key.expires_at} /> : "never"),
    },
    {
      header: "Last used",
      headerClassName: "w-32",
      className: "text-muted-foreground",
      cellProps: () => ({ "data-testid": "api-key-last-used" }),
      cell: (key) => <RelativeTime value={key.last_used_at} />,
    },
    { header: "Status", headerClassName: "w-28", cell: (key) => <KeyStatus apiKey={key} /> },
    { header: "Revoke", headerClassName: "w-20", cell: (key) => (key.revoked_at ? null : <RevokeApiKey apiKey={key} />) },
  ];
}

function KeyStatus({ apiKey }: { apiKey: ApiKey }) {
  const state = apiKeyState(apiKey, useNow(60_000));
  if (state === "revoked") {
    return (
      <Badge variant="destructive" title={`Revoked ${formatDateTime(apiKey.revoked_at)}`} data-testid="api-key-status">
        Revoked
      </Badge>
    );
  }
  if (state === "expired") {
    return (
      <Badge variant="muted" data-testid="api-key-status">
        Expired
      </Badge>
    );
  }
  return (
    <Badge variant="success" data-testid="api-key-status">
      Active
    </Badge>
  );
}

function RevokeApiKey({ apiKey }: { apiKey: ApiKey }) {
  const revoke = useRevokeApiKey();
  return (
    <ConfirmDialog
      trigger={
        <Button variant="ghost" size="sm" aria-label={`Revoke ${apiKey.name}`} data-testid="revoke-api-key">
          Revoke
        </Button>
      }
      title={`Revoke ${apiKey.name}?`}
      description="It stops working at once: every script or integration using it is refused from then on. This cannot be undone; make a new key to replace it."
      confirmLabel="Revoke"
      onConfirm={() => revoke.mutateAsync(apiKey.id)}
    />
  );
}
