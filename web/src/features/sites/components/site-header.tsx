import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import type { Site } from "@/api/types";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { ErrorMessage } from "@/components/error-message";
import { RenameDeleteActions } from "@/components/rename-delete-actions";
import { PageHeader } from "@/components/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { useCan } from "@/lib/auth";
import { SITE_DELETE_DESCRIPTION, useDeleteSite, useRenameSite, useSite } from "../api/sites";

export function SiteHeader({
  siteId,
  onDeleted,
  actions,
}: {
  siteId: string;
  onDeleted: (clientId: string) => void;
  /** Buttons another feature adds to the header (running a script on the site). */
  actions?: (site: Site) => ReactNode;
}) {
  const site = useSite(siteId);
  useDocumentTitle(site.data ? `${site.data.name} (${site.data.client_name})` : undefined);
  const renameSite = useRenameSite(siteId);
  const deleteSite = useDeleteSite();
  const mayMutate = useCan("manage_clients");

  if (site.isPending) return <Skeleton className="h-12" />;
  if (site.isError) return <ErrorMessage error={site.error} onRetry={() => void site.refetch()} />;
  const { data } = site;

  return (
    <PageHeader
      title={<span data-testid="site-name">{data.name}</span>}
      description={
        <span data-testid="site-agent-count">
          {data.agent_count} agent{data.agent_count === 1 ? "" : "s"}
        </span>
      }
      actions={
        <>
          {actions?.(data)}
          {mayMutate ? (
            <RenameDeleteActions
              variant="header"
              name={data.name}
              noun="site"
              deleteDescription={SITE_DELETE_DESCRIPTION}
              onRename={(name) => renameSite.mutateAsync(name)}
              onDelete={async () => {
                await deleteSite.mutateAsync(siteId);
                onDeleted(data.client_id);
              }}
            />
          ) : null}
        </>
      }
    >
      <nav aria-label="Breadcrumb" className="mb-1 flex gap-1 text-xs text-muted-foreground">
        <Link to="/clients" className="hover:underline">
          Clients
        </Link>
        <span>/</span>
        <Link to="/clients/$clientId" params={{ clientId: data.client_id }} className="hover:underline">
          {data.client_name}
        </Link>
      </nav>
    </PageHeader>
  );
}
