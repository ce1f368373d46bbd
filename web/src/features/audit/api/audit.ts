//! The organization's audit log (`view_audit`): one page of events for the filters, and the check of
//! its hash chain. Callers pass `enabled` false for a user without the permission, who would only be
//! refused.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { AuditListQuery } from "../audit-search";

export const AUDIT_PER_PAGE = 50;

// No other feature shows the log, so the root stays here rather than in @/api/query-keys. Nothing
// refreshes it live: the page reads it again when it is opened or its filters change.
export const auditKeys = {
  all: ["audit"] as const,
  events: (query: AuditListQuery) => ["audit", "events", query] as const,
  verification: ["audit", "verification"] as const,
};

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
