import { Link } from "@tanstack/react-router";
import { MapPinIcon, PlusIcon } from "lucide-react";
import { useState } from "react";
import type { Site } from "@/api/types";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { RenameDeleteActions } from "@/components/rename-delete-actions";
import { NameDialog } from "@/components/name-dialog";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { useCan } from "@/lib/auth";
import { SITE_DELETE_DESCRIPTION, SITES_PER_PAGE, useClientSites, useCreateSite, useDeleteSite, useRenameSite } from "../api/sites";

/** The sites of one client, shown on the client page. */
export function ClientSitesSection({ clientId, onSiteCreated }: { clientId: string; onSiteCreated: (site: Site) => void }) {
  const [page, setPage] = useState(1);
  const sites = useClientSites(clientId, page);
  const createSite = useCreateSite(clientId);
  const mayMutate = useCan("manage_clients");

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
      <CardContent className="grid gap-2">
        <DataTable
          query={sites}
          columns={siteColumns(mayMutate)}
          rowKey={(site) => site.id}
          testId="sites-table"
          loadingClassName="h-24"
          empty={
            <EmptyState icon={MapPinIcon} title="No sites yet" data-testid="sites-empty">
              Create a site, then generate its enrollment key to install agents there.
            </EmptyState>
          }
          pagination={{ page, perPage: SITES_PER_PAGE, onPageChange: setPage, onlyWhenSeveral: true }}
        />
      </CardContent>
    </Card>
  );
}

function siteColumns(mayMutate: boolean): DataColumn<Site>[] {
  return [
    {
      header: "Name",
      className: "font-medium",
      cell: (site) => (
        <Link to="/sites/$siteId" params={{ siteId: site.id }} className="hover:underline">
          {site.name}
        </Link>
      ),
    },
    { header: "Agents", headerClassName: "text-right", className: "text-right tabular-nums", cell: (site) => site.agent_count },
    {
      header: "Enrollment key",
      className: "text-muted-foreground",
      cell: (site) =>
        site.enrollment_key_created_at ? (
          <>
            created <RelativeTime value={site.enrollment_key_created_at} />
          </>
        ) : (
          "none"
        ),
    },
    { header: "Created", className: "text-muted-foreground", cell: (site) => <RelativeTime value={site.created_at} /> },
    ...(mayMutate
      ? [
          {
            header: "Actions",
            headerClassName: "w-0 text-right",
            className: "text-right",
            cell: (site: Site) => <SiteActions site={site} />,
          },
        ]
      : []),
  ];
}

function SiteActions({ site }: { site: Site }) {
  const renameSite = useRenameSite(site.id);
  const deleteSite = useDeleteSite();
  return (
    <RenameDeleteActions
      variant="row"
      name={site.name}
      noun="site"
      deleteDescription={SITE_DELETE_DESCRIPTION}
      onRename={(name) => renameSite.mutateAsync(name)}
      onDelete={() => deleteSite.mutateAsync(site.id)}
    />
  );
}
