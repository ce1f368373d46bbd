//! The organization's identity providers and "single sign-on only" (`manage_organization`): the list
//! (with the redirect URI to register at a provider), adding, changing and deleting a provider, the
//! setting; and the roles its access rules may give.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];
export type SsoProvider = Schemas["SsoProviderView"];
export type SsoProviderList = Schemas["SsoProviderList"];
export type SsoProviderRequest = Schemas["SsoProviderRequest"];
export type SsoAccess = Schemas["SsoAccess"];
export type SsoGroupRule = Schemas["SsoGroupRule"];

// No other feature reads the providers, so the root stays here rather than in @/api/query-keys.
export const ssoKeys = {
  all: ["sso"] as const,
  providers: ["sso", "providers"] as const,
  /** The roles the access menus offer (`GET /api/v1/roles`). */
  roles: ["sso", "roles"] as const,
};

export function useSsoProviders(enabled = true) {
  return useQuery({ queryKey: ssoKeys.providers, queryFn: () => unwrap(api.GET("/api/v1/sso/providers")), enabled });
}

export function useSsoRoleChoices(enabled = true) {
  return useQuery({ queryKey: ssoKeys.roles, queryFn: () => unwrap(api.GET("/api/v1/roles")), enabled });
}

function useProvidersChanged() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: ssoKeys.providers });
}

/** Adds a provider, or changes the one `id` names (without `client_secret` the stored one stays). */
export function useSaveSsoProvider() {
  const changed = useProvidersChanged();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: SsoProviderRequest }) =>
      id
        ? unwrap(api.PUT("/api/v1/sso/providers/{id}", { params: { path: { id } }, body }))
        : unwrap(api.POST("/api/v1/sso/providers", { body })),
    onSuccess: changed,
  });
}

/** Stops trusting a provider; its users keep their accounts. */
export function useDeleteSsoProvider() {
  const changed = useProvidersChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/sso/providers/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

/** Requires single sign-on of everyone but owners, or stops requiring it (409 without an enabled provider). */
export function useSetSsoOnly() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ssoOnly: boolean) => unwrap(api.PUT("/api/v1/sso/settings", { body: { sso_only: ssoOnly } })),
    onSuccess: (settings) => {
      queryClient.setQueryData<SsoProviderList>(ssoKeys.providers, (list) => (list ? { ...list, sso_only: settings.sso_only } : list));
    },
  });
}
