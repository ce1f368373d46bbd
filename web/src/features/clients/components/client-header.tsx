import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import type { Client } from "@/api/types";
import { useDocumentTitle } from "@/hooks/use-document-title";
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
  if (client.isError) return <ErrorMessage error={client.error} onRetry={() => void client.refetch()} />;

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
