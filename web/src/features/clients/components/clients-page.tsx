import { Link } from "@tanstack/react-router";
import { BuildingIcon, PlusIcon } from "lucide-react";
import type { Client } from "@/api/types";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { RenameDeleteActions } from "@/components/rename-delete-actions";
import { NameDialog } from "@/components/name-dialog";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useCanMutate } from "@/lib/auth";
import { CLIENT_DELETE_DESCRIPTION, CLIENTS_PER_PAGE, useClients, useCreateClient, useDeleteClient, useRenameClient } from "../api/clients";

export interface ClientListSearch {
  q?: string;
  page?: number;
}

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
  const mayMutate = useCanMutate();

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
          onChange={(q) => onSearchChange({ q: q || undefined, page: undefined })}
        />
      </div>
      {clients.isError ? <ErrorMessage error={clients.error} onRetry={() => void clients.refetch()} /> : null}
      {clients.isPending ? (
        <Skeleton className="h-40" />
      ) : clients.data && clients.data.items.length === 0 ? (
        search.q ? (
          <EmptyState icon={BuildingIcon} title="No client matches your search" />
        ) : (
          <EmptyState icon={BuildingIcon} title="No clients yet" action={createButton} data-testid="clients-empty">
            Create your first client, add a site to it, then generate the site's enrollment key to install agents.
          </EmptyState>
        )
      ) : clients.data ? (
        <>
          <Card className="overflow-hidden">
            <Table data-testid="clients-table">
              <TableHeader>
                <TableRow>
                  <TableHead>Name</TableHead>
                  <TableHead className="text-right">Sites</TableHead>
                  <TableHead className="text-right">Agents</TableHead>
                  <TableHead>Created</TableHead>
                  {mayMutate ? <TableHead className="w-0 text-right">Actions</TableHead> : null}
                </TableRow>
              </TableHeader>
              <TableBody>
                {clients.data.items.map((client) => (
                  <ClientRow key={client.id} client={client} mayMutate={mayMutate} />
                ))}
              </TableBody>
            </Table>
          </Card>
          <Pagination
            page={page}
            perPage={clients.data.per_page || CLIENTS_PER_PAGE}
            total={clients.data.total}
            onPageChange={(next) => onSearchChange({ ...search, page: next > 1 ? next : undefined })}
          />
        </>
      ) : null}
    </div>
  );
}

function ClientRow({ client, mayMutate }: { client: Client; mayMutate: boolean }) {
  const renameClient = useRenameClient(client.id);
  const deleteClient = useDeleteClient();
  return (
    <TableRow>
      <TableCell className="font-medium">
        <Link to="/clients/$clientId" params={{ clientId: client.id }} className="hover:underline">
          {client.name}
        </Link>
      </TableCell>
      <TableCell className="text-right tabular-nums">{client.site_count}</TableCell>
      <TableCell className="text-right tabular-nums">{client.agent_count}</TableCell>
      <TableCell className="text-muted-foreground">
        <RelativeTime value={client.created_at} />
      </TableCell>
      {mayMutate ? (
        <TableCell className="text-right">
          <RenameDeleteActions
            variant="row"
            name={client.name}
            noun="client"
            deleteDescription={CLIENT_DELETE_DESCRIPTION}
            onRename={(name) => renameClient.mutateAsync(name)}
            onDelete={() => deleteClient.mutateAsync(client.id)}
          />
        </TableCell>
      ) : null}
    </TableRow>
  );
}
