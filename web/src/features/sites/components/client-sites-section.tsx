import { Link } from "@tanstack/react-router";
import { MapPinIcon, PlusIcon } from "lucide-react";
import { useState } from "react";
import type { Site } from "@/api/types";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { RenameDeleteActions } from "@/components/rename-delete-actions";
import { NameDialog } from "@/components/name-dialog";
import { Pagination } from "@/components/pagination";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useCanMutate } from "@/lib/auth";
import { SITE_DELETE_DESCRIPTION, SITES_PER_PAGE, useClientSites, useCreateSite, useDeleteSite, useRenameSite } from "../api/sites";

/** The sites of one client, shown on the client page. */
export function ClientSitesSection({ clientId, onSiteCreated }: { clientId: string; onSiteCreated: (site: Site) => void }) {
  const [page, setPage] = useState(1);
  const sites = useClientSites(clientId, page);
  const createSite = useCreateSite(clientId);
  const mayMutate = useCanMutate();

  const createButton = mayMutate ? (
    <NameDialog
      trigger={
        <Button size="sm">
          <PlusIcon /> New site
        </Button>
      }
      title="New site"
      description="A site is a location or network of this client. Each site has its own enrollment key for installing agents."
      label="Site name"
      submitLabel="Create site"
      onSubmit={async (name) => onSiteCreated(await createSite.mutateAsync(name))}
    />
  ) : null;

  return (
    <Card>
      <CardHeader>
        <CardTitle>Sites</CardTitle>
        {createButton}
      </CardHeader>
      <CardContent>
        {sites.isError ? <ErrorMessage error={sites.error} onRetry={() => void sites.refetch()} /> : null}
        {sites.isPending ? (
          <Skeleton className="h-24" />
        ) : sites.data && sites.data.items.length === 0 ? (
          <EmptyState icon={MapPinIcon} title="No sites yet" data-testid="sites-empty">
            Create a site, then generate its enrollment key to install agents there.
          </EmptyState>
        ) : sites.data ? (
          <div className="grid gap-2">
            <Table data-testid="sites-table">
              <TableHeader>
                <TableRow>
                  <TableHead>Name</TableHead>
                  <TableHead className="text-right">Agents</TableHead>
                  <TableHead>Enrollment key</TableHead>
                  <TableHead>Created</TableHead>
                  {mayMutate ? <TableHead className="w-0 text-right">Actions</TableHead> : null}
                </TableRow>
              </TableHeader>
              <TableBody>
                {sites.data.items.map((site) => (
                  <SiteRow key={site.id} site={site} mayMutate={mayMutate} />
                ))}
              </TableBody>
            </Table>
            {sites.data.total > SITES_PER_PAGE ? (
              <Pagination page={page} perPage={sites.data.per_page || SITES_PER_PAGE} total={sites.data.total} onPageChange={setPage} />
            ) : null}
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}

function SiteRow({ site, mayMutate }: { site: Site; mayMutate: boolean }) {
  const renameSite = useRenameSite(site.id);
  const deleteSite = useDeleteSite();
  return (
    <TableRow>
      <TableCell className="font-medium">
        <Link to="/sites/$siteId" params={{ siteId: site.id }} className="hover:underline">
          {site.name}
        </Link>
      </TableCell>
      <TableCell className="text-right tabular-nums">{site.agent_count}</TableCell>
      <TableCell className="text-muted-foreground">
        {site.enrollment_key_created_at ? (
          <>
            created <RelativeTime value={site.enrollment_key_created_at} />
          </>
        ) : (
          "none"
        )}
      </TableCell>
      <TableCell className="text-muted-foreground">
        <RelativeTime value={site.created_at} />
      </TableCell>
      {mayMutate ? (
        <TableCell className="text-right">
          <RenameDeleteActions
            variant="row"
            name={site.name}
            noun="site"
            deleteDescription={SITE_DELETE_DESCRIPTION}
            onRename={(name) => renameSite.mutateAsync(name)}
            onDelete={() => deleteSite.mutateAsync(site.id)}
          />
        </TableCell>
      ) : null}
    </TableRow>
  );
}
