//! The delivery log's URL state (channel, alert, status, search, page and the open delivery) and the
//! API query it stands for.
import type { paths } from "@/api/schema";
import type { DeliveryStatus } from "@/api/types";
import { compact, optionalEnum, optionalPage, optionalText, optionalUuid } from "@/lib/search-params";

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["pending", "sent", "failed"];
export const DELIVERY_STATUS_LABELS: Record<DeliveryStatus, string> = { pending: "Pending", sent: "Sent", failed: "Failed" };

export interface DeliveryListSearch {
  channel_id?: string;
  alert_id?: string;
  status?: DeliveryStatus;
  q?: string;
  page?: number;
  /** The delivery whose attempts are open. */
  delivery?: string;
}

export function parseDeliveryListSearch(raw: Record<string, unknown>): DeliveryListSearch {
  return compact({
    channel_id: optionalUuid(raw.channel_id),
    alert_id: optionalUuid(raw.alert_id),
    status: optionalEnum(raw.status, DELIVERY_STATUSES),
    q: optionalText(raw.q),
    page: optionalPage(raw.page),
    delivery: optionalUuid(raw.delivery),
  });
}

export type DeliveryListQuery = NonNullable<paths["/api/v1/notification-deliveries"]["get"]["parameters"]["query"]>;

export function deliveryListQuery(search: DeliveryListSearch, perPage: number): DeliveryListQuery {
  return compact({
    channel_id: search.channel_id,
    alert_id: search.alert_id,
    status: search.status,
    q: search.q,
    page: search.page ?? 1,
    per_page: perPage,
  });
}
