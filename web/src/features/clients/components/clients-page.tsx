import { Link } from "@tanstack/react-router";
import { BuildingIcon, PlusIcon } from "lucide-react";
import type { Client } from "@/api/types";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { RenameDeleteActions } from "@/components/rename-delete-actions";
import { NameDialog } from "@/components/name-dialog";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { useCan } from "@/lib/auth";
import { changeListSearch, type ListSearch } from "@/lib/search-params";
import { CLIENT_DELETE_DESCRIPTION, CLIENTS_PER_PAGE, useClients, useCreateClient, useDeleteClient, useRenameClient } from "../api/clients";

export type ClientListSearch = ListSearch;

export function ClientsPage({
  search,
  onSearchChange,
  onClientCreated,
}: {
  search: ClientListSearch;
  onSearchChange: (next: ClientListSearch) => void;
  onClientCreated: (client: Client) => void;
}) {
  const page = search.page ?? 1;
  const clients = useClients({ q: search.q, page });
  useDocumentTitle("Clients");
  const createClient = useCreateClient();
  const mayMutate = useCan("manage_clients");

  const createButton = mayMutate ? (
    <NameDialog
      trigger={
        <Button>
          <PlusIcon /> New client
        </Button>
      }
      title="New client"
      description="A client is one of your customers. You add its sites (offices, locations) next."
      label="Client name"
      submitLabel="Create client"
      onSubmit={async (name) => onClientCreated(await createClient.mutateAsync(name))}
    />
  ) : null;

  return (
    <div className="grid gap-4">
      <PageHeader title="Clients" description="Your customers, their sites and how many agents each one has." actions={createButton} />
      <div className="flex items-center gap-2">
        <SearchInput
          label="Search clients"
          placeholder="Search clients…"
          value={search.q ?? ""}
          onChange={(q) => onSearchChange(changeListSearch(search, { q: q || undefined }))}
        />
      </div>
      <DataTable
        query={clients}
        columns={clientColumns(mayMutate)}
        rowKey={(client) => client.id}
        rowProps={(client) => ({ "data-testid": "client-row", "data-name": client.name })}
        testId="clients-table"
        framed
        empty={
          search.q ? (
            <EmptyState icon={BuildingIcon} title="No client matches your search" />
          ) : (
            <EmptyState icon={BuildingIcon} title="No clients yet" action={createButton} data-testid="clients-empty">
              Create your first client, add a site to it, then generate the site's enrollment key to install agents.
            </EmptyState>
          )
        }
        pagination={{ page, perPage: CLIENTS_PER_PAGE, onPageChange: (next) => onSearchChange(changeListSearch(search, { page: next })) }}
      />
    </div>
  );
}

function clientColumns(mayMutate: boolean): DataColumn<Client>[] {
  return [
    {
      header: "Name",
      className: "font-medium",
      cell: (client) => (
        <Link to="/clients/$clientId" params={{ clientId: client.id }} className="hover:underline">
          {client.name}
        </Link>
      ),
    },
    { header: "Sites", headerClassName: "text-right", className: "text-right tabular-nums", cell: (client) => client.site_count },
    { header: "Agents", headerClassName: "text-right", className: "text-right tabular-nums", cell: (client) => client.agent_count },
    { header: "Created", className: "text-muted-foreground", cell: (client) => <RelativeTime value={client.created_at} /> },
    ...(mayMutate
      ? [
          {
            header: "Actions",
            headerClassName: "w-0 text-right",
            className: "text-right",
            cell: (client: Client) => <ClientActions client={client} />,
          },
        ]
      : []),
  ];
}

function ClientActions({ client }: { client: Client }) {
  const renameClient = useRenameClient(client.id);
  const deleteClient = useDeleteClient();
  return (
    <RenameDeleteActions
      variant="row"
      name={client.name}
      noun="client"
      deleteDescription={CLIENT_DELETE_DESCRIPTION}
      onRename={(name) => renameClient.mutateAsync(name)}
      onDelete={() => deleteClient.mutateAsync(client.id)}
    />
  );
}
