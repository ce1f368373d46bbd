import { Link } from "@tanstack/react-router";
import { FileCode2Icon, PlayIcon, PlusIcon, XIcon } from "lucide-react";
import type { Job } from "@/api/types";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCanMutate } from "@/lib/auth";
import { COMMAND_TYPE_LABELS } from "@/lib/command-fields";
import { cn } from "@/lib/utils";
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
  const categories = useScriptCategories();
  const mayMutate = useCanMutate();
  const filtered = Boolean(search.q || search.category);
  const categoryOptions = [...new Set([...(categories.data ?? []), ...(search.category ? [search.category] : [])])];

  const newButton = mayMutate ? (
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
          onChange={(q) => onSearchChange({ ...search, q: q || undefined, page: undefined })}
          className="w-72"
        />
        <Select
          value={search.category ?? ANY_CATEGORY}
          onValueChange={(value) => onSearchChange({ ...search, category: value === ANY_CATEGORY ? undefined : value, page: undefined })}
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
      {scripts.isError ? <ErrorMessage error={scripts.error} onRetry={() => void scripts.refetch()} /> : null}
      {scripts.isPending ? (
        <Skeleton className="h-40" />
      ) : scripts.data && scripts.data.items.length === 0 ? (
        filtered ? (
          <EmptyState icon={FileCode2Icon} title="No script matches these filters" />
        ) : (
          <EmptyState icon={FileCode2Icon} title="No scripts yet" action={newButton} data-testid="scripts-empty">
            The library keeps the scripts your team runs again and again (clean temp files, restart a service, collect logs), each with
            typed parameters and every past version. Run one on a few agents, a whole site or a whole client, and follow the job live.
          </EmptyState>
        )
      ) : scripts.data ? (
        <>
          <Card className="overflow-hidden">
            <Table data-testid="scripts-table" className={cn(scripts.isPlaceholderData && "opacity-60")}>
              <TableHeader>
                <TableRow>
                  <TableHead>Name</TableHead>
                  <TableHead className="w-40">Category</TableHead>
                  <TableHead className="w-28">Type</TableHead>
                  <TableHead className="w-20 text-right">Version</TableHead>
                  <TableHead className="w-32">Updated</TableHead>
                  {mayMutate ? <TableHead className="w-0 text-right">Run</TableHead> : null}
                </TableRow>
              </TableHeader>
              <TableBody>
                {scripts.data.items.map((script) => (
                  <TableRow key={script.id} data-testid="script-row" data-script-name={script.name}>
                    <TableCell className="max-w-0 w-full">
                      <Link to="/scripts/$scriptId" params={{ scriptId: script.id }} className="font-medium hover:underline">
                        {script.name}
                      </Link>
                      {script.description ? (
                        <span className="block truncate text-xs text-muted-foreground" title={script.description}>
                          {script.description}
                        </span>
                      ) : null}
                    </TableCell>
                    <TableCell>
                      {script.category ? (
                        <Badge variant="secondary">{script.category}</Badge>
                      ) : (
                        <span className="text-muted-foreground">–</span>
                      )}
                    </TableCell>
                    <TableCell className="text-muted-foreground">
                      {COMMAND_TYPE_LABELS[script.current.command_type] ?? script.current.command_type}
                      {script.current.interpreter ? <span className="font-mono text-xs"> ({script.current.interpreter})</span> : null}
                    </TableCell>
                    <TableCell className="text-right tabular-nums">v{script.current.version}</TableCell>
                    <TableCell className="text-muted-foreground">
                      <RelativeTime value={script.updated_at} />
                    </TableCell>
                    {mayMutate ? (
                      <TableCell className="text-right">
                        <RunScriptDialog
                          script={script}
                          onJobStarted={onJobStarted}
                          trigger={
                            <Button variant="outline" size="sm" aria-label={`Run ${script.name}`}>
                              <PlayIcon className="fill-current" /> Run
                            </Button>
                          }
                        />
                      </TableCell>
                    ) : null}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Card>
          <Pagination
            page={search.page ?? 1}
            perPage={scripts.data.per_page || SCRIPTS_PER_PAGE}
            total={scripts.data.total}
            onPageChange={(next) => onSearchChange({ ...search, page: next > 1 ? next : undefined })}
          />
        </>
      ) : null}
    </div>
  );
}
