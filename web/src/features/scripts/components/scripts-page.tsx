import { Link } from "@tanstack/react-router";
import { FileCode2Icon, PlayIcon, PlusIcon, XIcon } from "lucide-react";
import type { Job, Script } from "@/api/types";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { COMMAND_TYPE_LABELS } from "@/lib/command-fields";
import { changeListSearch } from "@/lib/search-params";
import { SCRIPTS_PER_PAGE, useScriptCategories, useScripts } from "../api/scripts";
import type { ScriptListSearch } from "../script-list-search";
import { RunScriptDialog } from "./run-script-dialog";

const ANY_CATEGORY = "__any__";

/** The script library: search, category filter, and a Run button per script. */
export function ScriptsPage({
  search,
  onSearchChange,
  onJobStarted,
}: {
  search: ScriptListSearch;
  onSearchChange: (next: ScriptListSearch) => void;
  onJobStarted: (job: Job) => void;
}) {
  useDocumentTitle("Scripts");
  const scripts = useScripts(search);
  const change = (partial: Partial<ScriptListSearch>) => onSearchChange(changeListSearch(search, partial));
  const categories = useScriptCategories();
  const mayEdit = useCan("edit_scripts");
  const mayRun = useCan("run_scripts");
  const filtered = Boolean(search.q || search.category);
  const categoryOptions = [...new Set([...(categories.data ?? []), ...(search.category ? [search.category] : [])])];

  const newButton = mayEdit ? (
    <Button asChild>
      <Link to="/scripts/new" data-testid="new-script-button">
        <PlusIcon /> New script
      </Link>
    </Button>
  ) : null;

  return (
    <div className="grid gap-4">
      <PageHeader
        title="Scripts"
        description="Reusable scripts with typed parameters, run on agents, sites or clients."
        actions={newButton}
      />
      <div className="flex flex-wrap items-center gap-2">
        <SearchInput
          label="Search scripts"
          placeholder="Search names and descriptions…"
          value={search.q ?? ""}
          onChange={(q) => change({ q: q || undefined })}
          className="w-72"
        />
        <Select
          value={search.category ?? ANY_CATEGORY}
          onValueChange={(value) => change({ category: value === ANY_CATEGORY ? undefined : value })}
        >
          <SelectTrigger aria-label="Filter by category" className="w-44" data-testid="category-filter">
            <SelectValue placeholder="Any category" />
          </SelectTrigger>
          <SelectContent>
            <SelectItem value={ANY_CATEGORY}>Any category</SelectItem>
            {categoryOptions.map((category) => (
              <SelectItem key={category} value={category}>
                {category}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
        {filtered ? (
          <Button variant="ghost" size="sm" onClick={() => onSearchChange({})}>
            <XIcon /> Clear
          </Button>
        ) : null}
      </div>
      <DataTable
        query={scripts}
        columns={scriptColumns(mayRun, onJobStarted)}
        rowKey={(script) => script.id}
        rowProps={(script) => ({ "data-testid": "script-row", "data-script-name": script.name })}
        testId="scripts-table"
        framed
        dimmed={scripts.isPlaceholderData}
        empty={
          filtered ? (
            <EmptyState icon={FileCode2Icon} title="No script matches these filters" />
          ) : (
            <EmptyState icon={FileCode2Icon} title="No scripts yet" action={newButton} data-testid="scripts-empty">
              The library keeps the scripts your team runs again and again (clean temp files, restart a service, collect logs), each with
              typed parameters and every past version. Run one on a few agents, a whole site or a whole client, and follow the job live.
            </EmptyState>
          )
        }
        pagination={{ page: search.page ?? 1, perPage: SCRIPTS_PER_PAGE, onPageChange: (page) => change({ page }) }}
      />
    </div>
  );
}

function scriptColumns(mayRun: boolean, onJobStarted: (job: Job) => void): DataColumn<Script>[] {
  return [
    {
      header: "Name",
      fill: true,
      cell: (script) => (
        <>
          <Link to="/scripts/$scriptId" params={{ scriptId: script.id }} className="block truncate font-medium hover:underline">
            {script.name}
          </Link>
          {script.description ? (
            <span className="block truncate text-xs text-muted-foreground" title={script.description}>
              {script.description}
            </span>
          ) : null}
        </>
      ),
    },
    {
      header: "Category",
      headerClassName: "w-40",
      cell: (script) =>
        script.category ? <Badge variant="secondary">{script.category}</Badge> : <span className="text-muted-foreground">–</span>,
    },
    {
      header: "Type",
      headerClassName: "w-28",
      className: "text-muted-foreground",
      cell: (script) => (
        <>
          {COMMAND_TYPE_LABELS[script.current.command_type] ?? script.current.command_type}
          {script.current.interpreter ? <span className="font-mono text-xs"> ({script.current.interpreter})</span> : null}
        </>
      ),
    },
    {
      header: "Version",
      headerClassName: "w-20 text-right",
      className: "text-right tabular-nums",
      cell: (script) => `v${script.current.version}`,
    },
    {
      header: "Updated",
      headerClassName: "w-32",
      className: "text-muted-foreground",
      cell: (script) => <RelativeTime value={script.updated_at} />,
    },
    ...(mayRun
      ? [
          {
            header: "Run",
            headerClassName: "w-0 text-right",
            className: "text-right",
            cell: (script: Script) => (
              <RunScriptDialog
                script={script}
                onJobStarted={onJobStarted}
                trigger={
                  <Button variant="outline" size="sm" aria-label={`Run ${script.name}`}>
                    <PlayIcon className="fill-current" /> Run
                  </Button>
                }
              />
            ),
          },
        ]
      : []),
  ];
}
