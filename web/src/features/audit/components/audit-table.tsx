//! One page of the audit log. Each row opens below itself to show the event's details (the request
//! with its secrets redacted, or what else the event records) as JSON, with its number and hash; a
//! refused request is marked with the status it was answered with; an update lists the fields it
//! changed with their values before and after.
import { ChevronRightIcon } from "lucide-react";
import { Fragment, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import { cn } from "@/lib/utils";
import { actionLabel, changesOf, changeText, refusalOf, targetId, type AuditItem } from "../audit-actions";

const COLUMN_COUNT = 6;

export function AuditTable({
  items,
  dimmed = false,
  onTargetFilter,
}: {
  items: readonly AuditItem[];
  dimmed?: boolean;
  /** Show only the events about this object id. */
  onTargetFilter: (id: string) => void;
}) {
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const toggle = (seq: number) =>
    setOpen((shown) => {
      const next = new Set(shown);
      if (!next.delete(seq)) next.add(seq);
      return next;
    });
  return (
    <Table data-testid="audit-table" className={cn(dimmed && "opacity-60")}>
      <TableHeader>
        <TableRow>
          <TableHead className="w-8">
            <span className="sr-only">Details</span>
          </TableHead>
          <TableHead className="w-44">Time</TableHead>
          <TableHead className="w-56">Actor</TableHead>
          <TableHead>Action</TableHead>
          <TableHead className="w-64">Target</TableHead>
          <TableHead className="w-32">Source IP</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {items.map((item) => (
          <Fragment key={item.seq}>
            <AuditRow item={item} open={open.has(item.seq)} onToggle={() => toggle(item.seq)} onTargetFilter={onTargetFilter} />
            {open.has(item.seq) ? (
              <TableRow data-testid="audit-details-row" className="hover:bg-transparent">
                <TableCell colSpan={COLUMN_COUNT} className="bg-muted/30 whitespace-normal">
                  <EventDetails item={item} />
                </TableCell>
              </TableRow>
            ) : null}
          </Fragment>
        ))}
      </TableBody>
    </Table>
  );
}

function AuditRow({
  item,
  open,
  onToggle,
  onTargetFilter,
}: {
  item: AuditItem;
  open: boolean;
  onToggle: () => void;
  onTargetFilter: (id: string) => void;
}) {
  const refusal = refusalOf(item);
  const id = targetId(item.target);
  return (
    <TableRow
      data-testid="audit-row"
      data-seq={item.seq}
      data-action={item.action}
      data-refused={refusal !== null}
      className={cn(refusal && "bg-destructive/5 hover:bg-destructive/10")}
    >
      <TableCell>
        <Button
          variant="ghost"
          size="icon-sm"
          aria-expanded={open}
          aria-label={`${open ? "Hide" : "Show"} the details of event ${item.seq}`}
          onClick={onToggle}
          data-testid="audit-row-toggle"
        >
          <ChevronRightIcon className={cn("transition-transform", open && "rotate-90")} />
        </Button>
      </TableCell>
      <TableCell className="text-muted-foreground tabular-nums" title={item.at}>
        <time dateTime={item.at}>{formatDateTime(item.at)}</time>
      </TableCell>
      <TableCell className="max-w-56">
        <span className="flex min-w-0 items-center gap-1.5">
          <span className="truncate" title={item.actor} data-testid="audit-actor">
            {item.actor}
          </span>
          <ActorKindBadge kind={item.actor_kind} />
        </span>
      </TableCell>
      <TableCell data-testid="audit-action" title={item.action}>
        {refusal ? (
          <span className="flex items-center gap-1.5">
            <Badge variant="destructive" data-testid="audit-refused">
              Refused{refusal.status !== null ? ` · ${refusal.status}` : ""}
            </Badge>
            <span>{refusal.action ? actionLabel(refusal.action) : actionLabel(item.action)}</span>
          </span>
        ) : (
          <span className={cn(item.action === "sign_in_failed" && "text-destructive")}>{actionLabel(item.action)}</span>
        )}
      </TableCell>
      <TableCell className="max-w-64 font-mono text-xs">
        {item.target && id ? (
          <button
            type="button"
            className="block max-w-full truncate text-left hover:text-primary hover:underline"
            title={`${item.target}: show only the events about it`}
            onClick={() => onTargetFilter(id)}
            data-testid="audit-target"
          >
            {item.target}
          </button>
        ) : (
          <span className="text-muted-foreground" data-testid="audit-target">
            {item.target ?? "—"}
          </span>
        )}
      </TableCell>
      <TableCell className="font-mono text-xs" data-testid="audit-source-ip">
        {item.source_ip ?? "—"}
      </TableCell>
    </TableRow>
  );
}

function ActorKindBadge({ kind }: { kind: string }) {
  if (kind === "api_key") {
    return (
      <Badge variant="info" data-testid="audit-actor-kind">
        API key
      </Badge>
    );
  }
  if (kind === "system") {
    return (
      <Badge variant="muted" data-testid="audit-actor-kind">
        system
      </Badge>
    );
  }
  return null;
}

function EventDetails({ item }: { item: AuditItem }) {
  const refusal = refusalOf(item);
  return (
    <div className="grid min-w-0 gap-2 py-1" data-testid="audit-details">
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-0.5 text-xs">
        <dt className="text-muted-foreground">Event</dt>
        <dd className="tabular-nums">
          #{item.seq} · {item.action}
          {refusal?.refersTo ? ` · refuses event #${refusal.refersTo}` : null}
        </dd>
        {item.actor_id ? (
          <>
            <dt className="text-muted-foreground">Actor id</dt>
            <dd className="font-mono break-all">{item.actor_id}</dd>
          </>
        ) : null}
        <dt className="text-muted-foreground">Hash</dt>
        <dd className="font-mono break-all">{item.hash}</dd>
      </dl>
      <ChangesTable item={item} />
      <pre
        className="max-h-80 overflow-auto rounded-md bg-muted p-2 font-mono text-xs whitespace-pre-wrap break-all"
        data-testid="audit-details-json"
      >
        {JSON.stringify(item.details, null, 2)}
      </pre>
    </div>
  );
}

function ChangesTable({ item }: { item: AuditItem }) {
  const changes = changesOf(item);
  if (changes.length === 0) return null;
  return (
    <table className="w-full table-fixed text-xs" data-testid="audit-changes">
      <caption className="pb-1 text-left font-medium">Changed</caption>
      <thead className="text-muted-foreground">
        <tr>
          <th className="w-48 text-left font-normal">Field</th>
          <th className="text-left font-normal">Before</th>
          <th className="text-left font-normal">After</th>
        </tr>
      </thead>
      <tbody className="font-mono">
        {changes.map((change) => (
          <tr key={change.field} data-testid="audit-change" data-field={change.field}>
            <td className="align-top break-all">{change.field}</td>
            <td className="align-top break-all text-destructive">{changeText(change.before)}</td>
            <td className="align-top break-all text-success">{changeText(change.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
