//! The delivery log: every notification sent, pending or given up, filtered by channel, alert,
//! status and subject (all in the URL); a row opens its attempts.
import { Link } from "@tanstack/react-router";
import { CheckIcon, ScrollTextIcon, XIcon } from "lucide-react";
import type { Delivery, DeliveryStatus } from "@/api/types";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { formatDateTime } from "@/lib/format";
import { changeListSearch } from "@/lib/search-params";
import { DELIVERIES_PER_PAGE, useChannels, useDeliveries, useDelivery } from "../api/notifications";
import { useDeliveryLiveUpdates } from "../hooks/use-delivery-live-updates";
import { DELIVERY_STATUS_LABELS, DELIVERY_STATUSES, deliveryListQuery, type DeliveryListSearch } from "../delivery-list-search";

const ANY = "__any__";
const STATUS_VARIANTS = { sent: "success", failed: "destructive", pending: "muted" } as const;

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  return (
    <Badge variant={STATUS_VARIANTS[status]} data-testid="delivery-status">
      {DELIVERY_STATUS_LABELS[status]}
    </Badge>
  );
}

export function DeliveriesPage({
  search,
  onSearchChange,
}: {
  search: DeliveryListSearch;
  onSearchChange: (next: DeliveryListSearch) => void;
}) {
  useDocumentTitle("Delivery log");
  useDeliveryLiveUpdates();
  const { delivery: openDelivery, ...listSearch } = search;
  const deliveries = useDeliveries(deliveryListQuery(listSearch, DELIVERIES_PER_PAGE));
  const channels = useChannels();
  const change = (partial: Partial<DeliveryListSearch>) => onSearchChange(changeListSearch(search, partial, { keepsPage: ["delivery"] }));
  const filtered = Boolean(search.channel_id || search.alert_id || search.status || search.q);
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Delivery log"
        description="Every notification sent to a channel, with its attempts."
        actions={
          <Button variant="outline" asChild>
            <Link to="/notifications">Channels</Link>
          </Button>
        }
      />
      <div className="flex flex-wrap items-center gap-2" data-testid="delivery-filters">
        <Select value={search.channel_id ?? ANY} onValueChange={(value) => change({ channel_id: value === ANY ? undefined : value })}>
          <SelectTrigger aria-label="Filter by channel" className="w-48" data-testid="delivery-channel-filter">
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            <SelectItem value={ANY}>Any channel</SelectItem>
            {(channels.data?.items ?? []).map((channel) => (
              <SelectItem key={channel.id} value={channel.id}>
                {channel.name}
              </SelectItem>
            ))}
            {search.channel_id && !channels.data?.items.some((channel) => channel.id === search.channel_id) ? (
              <SelectItem value={search.channel_id}>Selected channel</SelectItem>
            ) : null}
          </SelectContent>
        </Select>
        <Select
          value={search.status ?? ANY}
          onValueChange={(value) => change({ status: value === ANY ? undefined : (value as DeliveryStatus) })}
        >
          <SelectTrigger aria-label="Filter by status" className="w-36" data-testid="delivery-status-filter">
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            <SelectItem value={ANY}>Any status</SelectItem>
            {DELIVERY_STATUSES.map((status) => (
              <SelectItem key={status} value={status}>
                {DELIVERY_STATUS_LABELS[status]}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
        <SearchInput
          label="Search subjects"
          placeholder="Search subjects…"
          value={search.q ?? ""}
          onChange={(q) => change({ q: q || undefined })}
          className="w-64"
        />
        {search.alert_id ? (
          <Badge variant="outline" className="gap-1">
            One alert
            <button type="button" aria-label="Show every alert" onClick={() => change({ alert_id: undefined })}>
              <XIcon className="size-3" />
            </button>
          </Badge>
        ) : null}
        {filtered ? (
          <Button variant="ghost" size="sm" onClick={() => onSearchChange({})} data-testid="clear-delivery-filters">
            <XIcon /> Clear filters
          </Button>
        ) : null}
      </div>
      <DataTable
        query={deliveries}
        columns={DELIVERY_COLUMNS}
        rowKey={(delivery) => delivery.id}
        rowProps={(delivery) => ({
          "data-testid": "delivery-row",
          className: "cursor-pointer",
          onClick: () => change({ delivery: delivery.id }),
        })}
        testId="deliveries-table"
        framed
        dimmed={deliveries.isPlaceholderData}
        pagination={{ page: search.page ?? 1, perPage: DELIVERIES_PER_PAGE, onPageChange: (page) => change({ page }) }}
        empty={
          <EmptyState
            icon={ScrollTextIcon}
            title={filtered ? "No delivery matches these filters" : "Nothing sent yet"}
            data-testid="deliveries-empty"
          >
            {filtered ? null : "Notifications appear here when a policy routes an alert to a channel, or when a channel is tested."}
          </EmptyState>
        }
      />
      <DeliveryDialog deliveryId={openDelivery} onClose={() => change({ delivery: undefined })} />
    </div>
  );
}

const DELIVERY_COLUMNS: DataColumn<Delivery>[] = [
  {
    header: "Created",
    headerClassName: "w-28",
    className: "text-muted-foreground",
    cell: (delivery) => <RelativeTime value={delivery.created_at} />,
  },
  { header: "Channel", headerClassName: "w-40", className: "max-w-40 truncate", cell: (delivery) => delivery.channel_name },
  { header: "Event", headerClassName: "w-24", cell: (delivery) => delivery.event },
  {
    header: "Subject",
    fill: true,
    cell: (delivery) => (
      <span className="block truncate" title={delivery.subject}>
        {delivery.subject}
      </span>
    ),
  },
  { header: "Status", headerClassName: "w-24", cell: (delivery) => <DeliveryStatusBadge status={delivery.status} /> },
  { header: "Attempts", headerClassName: "w-20", className: "tabular-nums", cell: (delivery) => delivery.attempts },
  {
    header: "Last error",
    headerClassName: "w-64",
    className: "max-w-64 truncate text-xs text-destructive",
    cellProps: (delivery) => ({ title: delivery.last_error ?? undefined }),
    cell: (delivery) => delivery.last_error ?? "",
  },
];

function DeliveryDialog({ deliveryId, onClose }: { deliveryId: string | undefined; onClose: () => void }) {
  const delivery = useDelivery(deliveryId);
  return (
    <Dialog open={deliveryId !== undefined} onOpenChange={(open) => !open && onClose()}>
      <DialogContent className="max-h-[90svh] overflow-y-auto sm:max-w-2xl" data-testid="delivery-detail">
        {delivery.isPending ? (
          <>
            <DialogTitle className="sr-only">Delivery</DialogTitle>
            <Skeleton className="h-48" />
          </>
        ) : delivery.isError ? (
          <>
            <DialogTitle>Delivery</DialogTitle>
            <ErrorMessage error={delivery.error} onRetry={() => void delivery.refetch()} />
          </>
        ) : (
          <>
            <DialogHeader>
              <div className="flex items-center gap-2">
                <DeliveryStatusBadge status={delivery.data.status} />
                <span className="text-xs text-muted-foreground">
                  {delivery.data.event} · {delivery.data.channel_name}
                </span>
              </div>
              <DialogTitle className="pr-6">{delivery.data.subject}</DialogTitle>
              <DialogDescription>
                Created {formatDateTime(delivery.data.created_at)}
                {delivery.data.sent_at ? `, sent ${formatDateTime(delivery.data.sent_at)}` : null}
                {delivery.data.status === "pending" ? `, next attempt ${formatDateTime(delivery.data.next_attempt_at)}` : null}
              </DialogDescription>
            </DialogHeader>
            <pre className="max-h-48 overflow-auto rounded-md bg-muted p-2 text-xs whitespace-pre-wrap">{delivery.data.body}</pre>
            <div className="grid gap-1">
              <h3 className="text-sm font-medium">Attempts</h3>
              {delivery.data.attempt_log.length === 0 ? (
                <p className="text-xs text-muted-foreground">No attempt yet.</p>
              ) : (
                <ol className="grid gap-1" data-testid="delivery-attempts">
                  {delivery.data.attempt_log.map((attempt) => (
                    <li
                      key={attempt.attempt}
                      className="flex items-start gap-2 text-xs"
                      data-testid="delivery-attempt"
                      data-ok={attempt.ok}
                    >
                      {attempt.ok ? (
                        <CheckIcon className="size-3.5 shrink-0 text-success" aria-label="ok" />
                      ) : (
                        <XIcon className="size-3.5 shrink-0 text-destructive" aria-label="failed" />
                      )}
                      <span className="shrink-0 tabular-nums text-muted-foreground">
                        #{attempt.attempt} {formatDateTime(attempt.attempted_at)}
                      </span>
                      <span className="break-words">{attempt.detail}</span>
                    </li>
                  ))}
                </ol>
              )}
            </div>
          </>
        )}
      </DialogContent>
    </Dialog>
  );
}
