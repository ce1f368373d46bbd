import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { ChannelRequest, NotificationEvent } from "@/api/types";
import type { DeliveryListQuery } from "../delivery-list-search";

export const DELIVERIES_PER_PAGE = 50;

export const notificationKeys = {
  all: rootKeys.notifications,
  channels: ["notifications", "channels"] as const,
  deliveryLists: ["notifications", "deliveries", "list"] as const,
  deliveries: (query: DeliveryListQuery) => ["notifications", "deliveries", "list", query] as const,
  delivery: (id: string) => ["notifications", "deliveries", "detail", id] as const,
  preview: (subject: string, body: string, event: NotificationEvent) => ["notifications", "preview", subject, body, event] as const,
};

export function useChannels() {
  return useQuery({ queryKey: notificationKeys.channels, queryFn: () => unwrap(api.GET("/api/v1/notification-channels")) });
}

function useChannelsChanged() {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: notificationKeys.all });
}

export function useCreateChannel() {
  const changed = useChannelsChanged();
  return useMutation({
    mutationFn: (body: ChannelRequest) => unwrap(api.POST("/api/v1/notification-channels", { body })),
    onSuccess: changed,
  });
}

export function useUpdateChannel() {
  const changed = useChannelsChanged();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: ChannelRequest }) =>
      unwrap(api.PUT("/api/v1/notification-channels/{id}", { params: { path: { id } }, body })),
    onSuccess: changed,
  });
}

export function useDeleteChannel() {
  const changed = useChannelsChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/notification-channels/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

/** Sends a sample through the channel now; answers the delivery (sent or failed, with the error). */
export function useTestChannel() {
  const changed = useChannelsChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/notification-channels/{id}/test", { params: { path: { id } } })),
    // A failed test is logged too: the delivery log shows it either way.
    onSettled: changed,
  });
}

/** The templates rendered with a sample alert, with the variables and the default templates. */
export function useTemplatePreview(subject: string, body: string, event: NotificationEvent) {
  return useQuery({
    queryKey: notificationKeys.preview(subject, body, event),
    queryFn: () =>
      unwrap(
        api.POST("/api/v1/notification-templates/preview", {
          body: { subject_template: subject.trim() ? subject : null, body_template: body.trim() ? body : null, event },
        }),
      ),
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 60_000,
  });
}

export function useDeliveries(query: DeliveryListQuery) {
  return useQuery({
    queryKey: notificationKeys.deliveries(query),
    queryFn: () => unwrap(api.GET("/api/v1/notification-deliveries", { params: { query } })),
    placeholderData: keepPreviousData,
    // No event says when a pending delivery is sent or given up: poll while one is shown.
    refetchInterval: (current) => (current.state.data?.items.some((delivery) => delivery.status === "pending") ? 5_000 : 60_000),
  });
}

export function useDelivery(id: string | undefined) {
  return useQuery({
    queryKey: notificationKeys.delivery(id ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/notification-deliveries/{id}", { params: { path: { id: id ?? "" } } })),
    enabled: id !== undefined,
  });
}
