//! A client's credential vault: the entries as listed (never a value), adding, changing and removing
//! one, and revealing a value after the caller proves who they are again. A revealed value is never
//! put in the query cache: it lives only in the dialog that asked for it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];
export type VaultEntry = Schemas["VaultEntryView"];
export type VaultEntryList = Schemas["VaultEntryList"];
export type VaultEntryRequest = Schemas["VaultEntryRequest"];
export type RevealRequest = Schemas["RevealRequest"];

export { VAULT_KINDS, VAULT_KIND_LABELS, kindLabel, type VaultKind } from "@/lib/vault-kinds";

export const vaultKeys = {
  all: ["vault"] as const,
  ofClient: (clientId: string) => ["vault", "client", clientId] as const,
  sitesOfClient: (clientId: string) => ["vault", "sites", clientId] as const,
};

export function useClientVault(clientId: string) {
  return useQuery({
    queryKey: vaultKeys.ofClient(clientId),
    queryFn: () => unwrap(api.GET("/api/v1/clients/{id}/vault", { params: { path: { id: clientId } } })),
  });
}

/** The client's sites, for the entry's optional site (the first 200, as many as one page holds). */
export function useVaultSites(clientId: string, enabled: boolean) {
  return useQuery({
    queryKey: vaultKeys.sitesOfClient(clientId),
    queryFn: () => unwrap(api.GET("/api/v1/clients/{id}/sites", { params: { path: { id: clientId }, query: { page: 1, per_page: 200 } } })),
    enabled,
  });
}

function useRefresh(clientId: string) {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: vaultKeys.ofClient(clientId) });
}

export function useCreateVaultEntry(clientId: string) {
  const refresh = useRefresh(clientId);
  return useMutation({
    mutationFn: (body: VaultEntryRequest) => unwrap(api.POST("/api/v1/clients/{id}/vault", { params: { path: { id: clientId } }, body })),
    onSuccess: () => void refresh(),
  });
}

export function useUpdateVaultEntry(clientId: string) {
  const refresh = useRefresh(clientId);
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: VaultEntryRequest }) =>
      unwrap(api.PUT("/api/v1/vault/{id}", { params: { path: { id } }, body })),
    onSuccess: () => void refresh(),
  });
}

export function useDeleteVaultEntry(clientId: string) {
  const refresh = useRefresh(clientId);
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/vault/{id}", { params: { path: { id } } })),
    onSuccess: () => void refresh(),
  });
}

/** Asks for a value; the answer is handed to the caller and kept nowhere else (no cache, no retry). */
/**
 * Whether the signed-in user has an authenticator app (whose code can prove them again), read when
 * they have a second factor at all: `second_factor` is also true for security keys alone, which a
 * reveal does not take.
 */
export function useHasAuthenticatorApp(enabled: boolean) {
  return useQuery({
    queryKey: ["vault", "authenticator-app"] as const,
    queryFn: async () => (await unwrap(api.GET("/api/v1/auth/webauthn/credentials"))).authenticator_app,
    enabled,
  });
}

export function revealVaultEntry(id: string, proof: RevealRequest): Promise<string> {
  return unwrap(api.POST("/api/v1/vault/{id}/reveal", { params: { path: { id } }, body: proof })).then((answer) => answer.secret);
}
