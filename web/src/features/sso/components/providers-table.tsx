//! The organization's identity providers: name and sign-in link, issuer, email domains, default access,
//! how many group rules, and whether each is enabled; with copying the sign-in link, editing, enabling
//! or disabling, and deleting (after confirming). The server's refusal of a change (disabling or
//! deleting the last enabled provider while single sign-on is required) is shown as it words it.
import { FingerprintIcon, PencilIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import type { RoleList } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CopyButton } from "@/components/copy-button";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import type { RoleChoice } from "@/lib/roles";
import { useDeleteSsoProvider, useSaveSsoProvider, useSsoProviders, type SsoProvider } from "../api/sso";
import { accessSummary, providerRequestFromView } from "../sso-form";
import { ProviderDialog } from "./provider-dialog";

/** What the rows need to show and edit an access. */
export interface AccessContext {
  choices: readonly RoleChoice[];
  roles: RoleList | undefined;
  names: ReadonlyMap<string, string>;
  defaultChoice: string;
}

export function ProvidersTable({ access }: { access: AccessContext }) {
  const providers = useSsoProviders();
  const items = providers.data?.items;
  const list = { ...providers, data: items ? { items, total: items.length, per_page: items.length } : undefined };
  return (
    <DataTable
      query={list}
      framed
      columns={providerColumns(access)}
      rowKey={(provider) => provider.id}
      rowProps={(provider) => ({ "data-testid": "sso-provider-row", "data-name": provider.name, "data-enabled": provider.enabled })}
      testId="sso-providers-table"
      empty={
        <EmptyState icon={FingerprintIcon} title="No identity provider yet" data-testid="no-sso-providers">
          Add your organization&apos;s Microsoft Entra ID, Google Workspace or other OpenID Connect provider, then share its sign-in link.
        </EmptyState>
      }
    />
  );
}

function providerColumns(access: AccessContext): DataColumn<SsoProvider>[] {
  return [
    {
      header: "Name",
      fill: true,
      cell: (provider) => (
        <span className="grid min-w-0">
          <span className="truncate font-medium" title={provider.name}>
            {provider.name}
          </span>
          <span
            className="truncate font-mono text-[11px] text-muted-foreground"
            title="The sign-in link: it opens the sign-in page with this provider's button"
            data-testid="sso-sign-in-url"
          >
            {provider.sign_in_url}
          </span>
        </span>
      ),
    },
    {
      header: "Issuer",
      headerClassName: "w-56",
      className: "max-w-56 truncate text-muted-foreground",
      cellProps: (provider) => ({ title: provider.issuer }),
      cell: (provider) => provider.issuer,
    },
    {
      header: "Email domains",
      headerClassName: "w-40",
      className: "max-w-40 truncate",
      cellProps: (provider) => ({ title: provider.email_domains.join(", "), "data-testid": "sso-provider-domains" }),
      cell: (provider) => provider.email_domains.join(", "),
    },
    {
      header: "Default access",
      headerClassName: "w-48",
      className: "max-w-48 truncate",
      cellProps: (provider) => {
        const summary = accessSummary(provider.default_access, access.roles, access.names);
        return {
          title: summary.clients ? summary.clients.join(", ") : summary.label,
          "data-testid": "sso-provider-default-access",
        };
      },
      cell: (provider) =>
        provider.provision ? (
          accessSummary(provider.default_access, access.roles, access.names).label
        ) : (
          <span className="text-muted-foreground">Invited users only</span>
        ),
    },
    {
      header: "Group rules",
      headerClassName: "w-24",
      className: "tabular-nums",
      cellProps: () => ({ "data-testid": "sso-provider-rules" }),
      cell: (provider) => provider.group_rules.length,
    },
    {
      header: "Status",
      headerClassName: "w-24",
      cell: (provider) =>
        provider.enabled ? (
          <Badge variant="success" data-testid="sso-provider-status">
            Enabled
          </Badge>
        ) : (
          <Badge variant="muted" data-testid="sso-provider-status">
            Disabled
          </Badge>
        ),
    },
    { header: "Actions", headerClassName: "w-px", cell: (provider) => <ProviderActions provider={provider} access={access} /> },
  ];
}

function ProviderActions({ provider, access }: { provider: SsoProvider; access: AccessContext }) {
  const save = useSaveSsoProvider();
  const remove = useDeleteSsoProvider();
  const [switching, setSwitching] = useState(false);

  const setEnabled = async (enabled: boolean) => {
    setSwitching(true);
    try {
      await save.mutateAsync({ id: provider.id, body: providerRequestFromView(provider, { enabled }) });
      toast.success(enabled ? `${provider.name} is enabled.` : `${provider.name} is disabled: its sign-in link leads nowhere.`);
    } catch (error) {
      toast.error(errorMessage(error));
    } finally {
      setSwitching(false);
    }
  };

  return (
    // One line: the name column gives up its width first, and a narrow screen scrolls the table.
    <span className="flex items-center gap-1 whitespace-nowrap">
      <CopyButton text={provider.sign_in_url} label="Copy sign-in link" />
      <ProviderDialog
        provider={provider}
        choices={access.choices}
        names={access.names}
        defaultChoice={access.defaultChoice}
        trigger={
          <Button variant="ghost" size="sm" aria-label={`Edit ${provider.name}`} data-testid="edit-sso-provider">
            <PencilIcon /> Edit
          </Button>
        }
      />
      <Button
        variant="ghost"
        size="sm"
        disabled={switching}
        onClick={() => void setEnabled(!provider.enabled)}
        data-testid="toggle-sso-provider"
      >
        {provider.enabled ? "Disable" : "Enable"}
      </Button>
      <ConfirmDialog
        trigger={
          <Button variant="ghost" size="sm" aria-label={`Delete ${provider.name}`} data-testid="delete-sso-provider">
            <Trash2Icon />
          </Button>
        }
        title={`Delete ${provider.name}?`}
        description="Its sign-in link stops working at once. The users it created keep their accounts and sign in another way: through another provider, or with a password an administrator sends them a link to set."
        confirmLabel="Delete"
        onConfirm={() => remove.mutateAsync(provider.id)}
      />
    </span>
  );
}
