//! The organization's audit log (`view_audit`): one page of events for the filters, and the check of
//! its hash chain. Callers pass `enabled` false for a user without the permission, who would only be
//! refused. Also where the log is streamed (its SIEM) and how far that got (`manage_organization`).
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { ApiError, unwrap } from "@/api/errors";
import type { AuditStreamRequest, AuditStreamView } from "../audit-actions";
import type { AuditListQuery } from "../audit-search";

export const AUDIT_PER_PAGE = 50;

// No other feature shows the log, so the root stays here rather than in @/api/query-keys. Nothing
// refreshes it live: the page reads it again when it is opened or its filters change.
export const auditKeys = {
  all: ["audit"] as const,
  events: (query: AuditListQuery) => ["audit", "events", query] as const,
  verification: ["audit", "verification"] as const,
  stream: ["audit", "stream"] as const,
};

/** How often the stream's progress is read again while the page is open. */
export const AUDIT_STREAM_POLL_MS = 5_000;

export function useAuditEvents(query: AuditListQuery) {
  return useQuery({
    queryKey: auditKeys.events(query),
    queryFn: () => unwrap(api.GET("/api/v1/audit", { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

/** Reads every kept event of the organization on the server, so it runs when asked, not on a timer. */
export function useAuditVerification() {
  return useQuery({
    queryKey: auditKeys.verification,
    queryFn: () => unwrap(api.GET("/api/v1/audit/verify")),
    staleTime: 60_000,
    refetchOnWindowFocus: false,
  });
}

/**
 * The organization's audit stream, or null when it streams nowhere (the server's 404). While there is
 * one, its progress is read again every few seconds, so the page shows the sending as it goes.
 */
export function useAuditStream() {
  return useQuery({
    queryKey: auditKeys.stream,
    queryFn: async (): Promise<AuditStreamView | null> => {
      try {
        return await unwrap(api.GET("/api/v1/audit/stream"));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    refetchInterval: (query) => (query.state.data ? AUDIT_STREAM_POLL_MS : false),
  });
}

/** Starts the stream or changes its endpoint, secret (kept when left out) or whether it runs. */
export function useSaveAuditStream() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: AuditStreamRequest) => unwrap(api.PUT("/api/v1/audit/stream", { body })),
    onSuccess: (stream) => queryClient.setQueryData(auditKeys.stream, stream),
  });
}

/** Stops the stream and forgets its endpoint and secret. */
export function useRemoveAuditStream() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/audit/stream")),
    onSuccess: () => queryClient.setQueryData(auditKeys.stream, null),
  });
}
