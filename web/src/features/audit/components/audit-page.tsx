//! The audit log (`view_audit`): who did what, to which object, when and from where, newest first,
//! filtered by action, actor, object and days (all in the URL), with the chain's integrity check and
//! the filtered events' export. Without the permission the page says so and asks the server nothing.
//! A user who manages the organization also sees where the log is streamed (its SIEM).
import { DownloadIcon, ScrollTextIcon, XIcon } from "lucide-react";
import { useId } from "react";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { SearchInput } from "@/components/search-input";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectGroup, SelectItem, SelectLabel, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan, useCurrentUser } from "@/lib/auth";
import { changeListSearch } from "@/lib/search-params";
import { AUDIT_PER_PAGE, useAuditEvents } from "../api/audit";
import { actionLabel, COMMON_ACTIONS } from "../audit-actions";
import { auditExportHref, auditListQuery, hasAuditFilters, optionalDay, type AuditSearch } from "../audit-search";
import { AuditStreamCard } from "./audit-stream-card";
import { AuditTable } from "./audit-table";
import { IntegrityCard } from "./integrity-card";

const ANY = "__any__";

export function AuditPage({ search, onSearchChange }: { search: AuditSearch; onSearchChange: (next: AuditSearch) => void }) {
  useDocumentTitle("Audit log");
  const user = useCurrentUser().data;
  const allowed = useCan("view_audit");
  const manages = useCan("manage_organization");
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Audit log"
        description="Every change made in your organization, every sign-in and what the command line did: who, what, when and from where."
        actions={allowed ? <ExportButtons search={search} /> : null}
      />
      {user === undefined ? null : (
        <>
          {allowed || manages ? (
            <div className="grid items-start gap-4 lg:grid-cols-2">
              {allowed ? <IntegrityCard /> : null}
              {manages ? <AuditStreamCard /> : null}
            </div>
          ) : null}
          {allowed ? (
            <AuditLog search={search} onSearchChange={onSearchChange} />
          ) : (
            <EmptyState icon={ScrollTextIcon} title="Not available to your role" data-testid="audit-not-allowed">
              The audit log needs the view audit permission, which administrators and owners have; ask one of them.
            </EmptyState>
          )}
        </>
      )}
    </div>
  );
}

function ExportButtons({ search }: { search: AuditSearch }) {
  // Plain links: the browser sends the session cookie and saves the file the server names.
  const { page: _page, ...filters } = search;
  return (
    <>
      <Button variant="outline" asChild>
        <a href={auditExportHref(filters, "csv")} download data-testid="audit-export-csv">
          <DownloadIcon /> Export CSV
        </a>
      </Button>
      <Button variant="outline" asChild>
        <a href={auditExportHref(filters, "jsonl")} download data-testid="audit-export-jsonl">
          <DownloadIcon /> Export JSON lines
        </a>
      </Button>
    </>
  );
}

function AuditLog({ search, onSearchChange }: { search: AuditSearch; onSearchChange: (next: AuditSearch) => void }) {
  const events = useAuditEvents(auditListQuery(search, AUDIT_PER_PAGE));
  const change = (partial: Partial<AuditSearch>) => onSearchChange(changeListSearch(search, partial));
  const filtered = hasAuditFilters(search);
  const data = events.data;
  return (
    <>
      <AuditFilters search={search} change={change} onClear={() => onSearchChange({})} />
      {events.isError ? <ErrorMessage error={events.error} onRetry={() => void events.refetch()} /> : null}
      {events.isPending ? (
        <Skeleton className="h-64" />
      ) : !data ? null : data.items.length === 0 ? (
        <EmptyState
          icon={ScrollTextIcon}
          title={filtered ? "No event matches these filters" : "Nothing recorded yet"}
          data-testid="audit-empty"
        >
          {filtered ? "Widen the days or clear a filter." : null}
        </EmptyState>
      ) : (
        <>
          <Card className="overflow-hidden">
            <AuditTable items={data.items} dimmed={events.isPlaceholderData} onTargetFilter={(id) => change({ target_id: id })} />
          </Card>
          <Pagination
            page={search.page ?? 1}
            perPage={data.per_page || AUDIT_PER_PAGE}
            total={data.total}
            onPageChange={(page) => change({ page })}
          />
        </>
      )}
    </>
  );
}

function AuditFilters({
  search,
  change,
  onClear,
}: {
  search: AuditSearch;
  change: (partial: Partial<AuditSearch>) => void;
  onClear: () => void;
}) {
  const ids = useId();
  const listed = COMMON_ACTIONS.some((group) => group.actions.includes(search.action ?? ""));
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="audit-filters">
      <Select value={search.action ?? ANY} onValueChange={(value) => change({ action: value === ANY ? undefined : value })}>
        <SelectTrigger aria-label="Filter by action" className="w-56" data-testid="audit-action-filter">
          <SelectValue />
        </SelectTrigger>
        <SelectContent>
          <SelectItem value={ANY}>Any action</SelectItem>
          {search.action && !listed ? <SelectItem value={search.action}>{actionLabel(search.action)}</SelectItem> : null}
          {COMMON_ACTIONS.map(({ group, actions }) => (
            <SelectGroup key={group}>
              <SelectLabel>{group}</SelectLabel>
              {actions.map((action) => (
                <SelectItem key={action} value={action}>
                  {actionLabel(action)}
                </SelectItem>
              ))}
            </SelectGroup>
          ))}
        </SelectContent>
      </Select>
      <SearchInput
        label="Filter by actor"
        placeholder="Actor email or id…"
        value={search.actor ?? ""}
        onChange={(actor) => change({ actor: actor || undefined })}
        className="w-56"
      />
      <div className="flex items-center gap-1.5">
        <Label htmlFor={`${ids}-from`} className="text-xs text-muted-foreground">
          From
        </Label>
        <Input
          id={`${ids}-from`}
          type="date"
          className="w-36"
          value={search.from ?? ""}
          max={search.to}
          onChange={(event) => change({ from: optionalDay(event.target.value) })}
          data-testid="audit-from"
        />
      </div>
      <div className="flex items-center gap-1.5">
        <Label htmlFor={`${ids}-to`} className="text-xs text-muted-foreground">
          To
        </Label>
        <Input
          id={`${ids}-to`}
          type="date"
          className="w-36"
          value={search.to ?? ""}
          min={search.from}
          onChange={(event) => change({ to: optionalDay(event.target.value) })}
          data-testid="audit-to"
        />
      </div>
      {search.target_id ? (
        <Badge variant="outline" className="h-8 gap-1 font-mono" title={search.target_id}>
          <span className="max-w-40 truncate">Object {search.target_id}</span>
          <button type="button" aria-label="Show events about every object" onClick={() => change({ target_id: undefined })}>
            <XIcon className="size-3" />
          </button>
        </Badge>
      ) : null}
      {hasAuditFilters(search) ? (
        <Button variant="ghost" size="sm" onClick={onClear} data-testid="clear-audit-filters">
          <XIcon /> Clear filters
        </Button>
      ) : null}
    </div>
  );
}
