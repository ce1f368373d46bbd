//! The operator's routes: every organization of this server, making one (its first owner invited by a
//! one-time link), suspending and resuming one. Only the operator, signed in, may call them (403
//! `operator_only` for everyone else), so the page asks nothing of the server for anyone else. Support
//! access opens a time-boxed session of the operator's inside another organization, answered like a
//! sign-in (new session cookies).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];
export type OperatorOrganization = Schemas["OperatorOrganization"];
export type OperatorOrganizationList = Schemas["OperatorOrganizationList"];
export type NewOrganizationRequest = Schemas["NewOrganizationRequest"];
export type OrganizationCreated = Schemas["OrganizationCreated"];
export type OwnerInvitation = Schemas["LinkCreated"];

/** The server's longest organization name and suspension reason (`services::operator`). */
export const MAX_ORGANIZATION_NAME_CHARS = 200;
export const MAX_REASON_CHARS = 500;
/** The lengths of support access the dashboard offers, in minutes (the server takes 5 to 240). */
export const SUPPORT_MINUTES = [15, 30, 60, 120, 240] as const;
export type SupportMinutes = (typeof SUPPORT_MINUTES)[number];
export const DEFAULT_SUPPORT_MINUTES: SupportMinutes = 60;

// No other feature reads the organizations, so the root stays here rather than in @/api/query-keys.
export const operatorKeys = {
  all: ["operator"] as const,
  organizations: ["operator", "organizations"] as const,
};

export function useOperatorOrganizations(enabled = true) {
  return useQuery({
    queryKey: operatorKeys.organizations,
    queryFn: () => unwrap(api.GET("/api/v1/operator/organizations")),
    enabled,
  });
}

/** Puts the organization's new version in the list, then reads the list again (counts change too). */
function useOrganizationChanged() {
  const queryClient = useQueryClient();
  return (organization: OperatorOrganization) => {
    queryClient.setQueryData<OperatorOrganizationList>(operatorKeys.organizations, (list) => {
      if (!list) return list;
      const known = list.items.some((item) => item.id === organization.id);
      const items = known
        ? list.items.map((item) => (item.id === organization.id ? organization : item))
        : [...list.items, organization].sort((a, b) => a.name.localeCompare(b.name));
      return { items };
    });
    void queryClient.invalidateQueries({ queryKey: operatorKeys.organizations });
  };
}

export function useCreateOrganization() {
  const changed = useOrganizationChanged();
  return useMutation({
    mutationFn: (body: NewOrganizationRequest) => unwrap(api.POST("/api/v1/operator/organizations", { body })),
    onSuccess: (created) => changed(created.organization),
  });
}

export function useSuspendOrganization() {
  const changed = useOrganizationChanged();
  return useMutation({
    mutationFn: ({ id, reason }: { id: string; reason: string }) =>
      unwrap(
        api.POST("/api/v1/operator/organizations/{id}/suspend", {
          params: { path: { id } },
          body: { reason: reason.trim() || null },
        }),
      ),
    onSuccess: changed,
  });
}

export function useResumeOrganization() {
  const changed = useOrganizationChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/operator/organizations/{id}/resume", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

/**
 * Opens support access to an organization: the server answers like a sign-in and sets the new
 * session's cookies (`cookie: true`), so the caller completes it as a sign-in.
 */
export function useStartSupport() {
  return useMutation({
    mutationFn: ({ id, reason, minutes }: { id: string; reason: string; minutes: SupportMinutes }) =>
      unwrap(
        api.POST("/api/v1/operator/organizations/{id}/support", {
          params: { path: { id } },
          body: { reason: reason.trim(), minutes, cookie: true },
        }),
      ),
  });
}
