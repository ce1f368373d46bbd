import { Link } from "@tanstack/react-router";
import { BuildingIcon } from "lucide-react";
import type { ReactNode } from "react";
import { ApiError } from "@/api/errors";
import type { Client } from "@/api/types";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { RenameDeleteActions } from "@/components/rename-delete-actions";
import { PageHeader } from "@/components/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { useCan } from "@/lib/auth";
import { CLIENT_DELETE_DESCRIPTION, useClient, useDeleteClient, useRenameClient } from "../api/clients";

/** The client page's title with rename and delete; the sites below it come from the sites feature. */
export function ClientHeader({
  clientId,
  onDeleted,
  actions,
}: {
  clientId: string;
  onDeleted: () => void;
  /** Buttons another feature adds to the header (running a script on the client). */
  actions?: (client: Client) => ReactNode;
}) {
  const client = useClient(clientId);
  useDocumentTitle(client.data?.name);
  const renameClient = useRenameClient(clientId);
  const deleteClient = useDeleteClient();
  const mayMutate = useCan("manage_clients");

  if (client.isPending) return <Skeleton className="h-12" />;
  if (client.isError) {
    if (isNotFound(client.error)) return <ClientNotFound />;
    return <ErrorMessage error={client.error} onRetry={() => void client.refetch()} />;
  }

  return (
    <PageHeader
      title={<span data-testid="client-name">{client.data.name}</span>}
      description={
        <>
          {client.data.site_count} site{client.data.site_count === 1 ? "" : "s"} ·{" "}
          <Link to="/agents" search={{ client_id: clientId }} className="hover:text-foreground hover:underline">
            {client.data.agent_count} agent{client.data.agent_count === 1 ? "" : "s"}
          </Link>
        </>
      }
      actions={
        <>
          {actions?.(client.data)}
          {mayMutate ? (
            <RenameDeleteActions
              variant="header"
              name={client.data.name}
              noun="client"
              deleteDescription={CLIENT_DELETE_DESCRIPTION}
              onRename={(name) => renameClient.mutateAsync(name)}
              onDelete={async () => {
                await deleteClient.mutateAsync(clientId);
                onDeleted();
              }}
            />
          ) : null}
        </>
      }
    >
      <nav aria-label="Breadcrumb" className="mb-1 text-xs text-muted-foreground">
        <Link to="/clients" className="hover:underline">
          Clients
        </Link>
      </nav>
    </PageHeader>
  );
}

/** Whether reading the client found none: deleted, never there, or another client than a scoped user's. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

/** A client that does not exist, or (for a user limited to some clients) is not one of theirs. */
export function ClientNotFound() {
  return (
    <EmptyState icon={BuildingIcon} title="This client does not exist" data-testid="client-not-found">
      <p>It may have been deleted, or it is not among the clients you have access to.</p>
      <p className="mt-2">
        <Link to="/clients" className="font-medium text-primary hover:underline">
          Clients
        </Link>
      </p>
    </EmptyState>
  );
}

/** The client page's parts: only the not-found state when there is no such client. */
export function ClientPageContent({ clientId, children }: { clientId: string; children: ReactNode }) {
  const client = useClient(clientId);
  if (client.isError && isNotFound(client.error)) return <ClientNotFound />;
  return children;
}
