import { Link } from "@tanstack/react-router";
import { PencilIcon, Trash2Icon } from "lucide-react";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorMessage } from "@/components/error-message";
import { NameDialog } from "@/components/name-dialog";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { useCanMutate } from "@/lib/auth";
import { useDeleteSite, useRenameSite, useSite } from "../api/sites";

export function SiteHeader({ siteId, onDeleted }: { siteId: string; onDeleted: (clientId: string) => void }) {
  const site = useSite(siteId);
  useDocumentTitle(site.data ? `${site.data.name} (${site.data.client_name})` : undefined);
  const renameSite = useRenameSite(siteId);
  const deleteSite = useDeleteSite();
  const mayMutate = useCanMutate();

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
        mayMutate ? (
          <>
            <NameDialog
              trigger={
                <Button variant="outline">
                  <PencilIcon /> Rename
                </Button>
              }
              title="Rename site"
              label="Site name"
              initialName={data.name}
              submitLabel="Save"
              onSubmit={(name) => renameSite.mutateAsync(name)}
            />
            <ConfirmDialog
              trigger={
                <Button variant="outline">
                  <Trash2Icon /> Delete
                </Button>
              }
              title={`Delete ${data.name}?`}
              description="The site and its enrollment key are deleted. A site that still has agents cannot be deleted: remove its agents first."
              confirmLabel="Delete site"
              onConfirm={async () => {
                await deleteSite.mutateAsync(siteId);
                onDeleted(data.client_id);
              }}
            />
          </>
        ) : null
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
