//! The signed-in user's API keys: the list (with `manage_users`, every key of the organization),
//! making one (whose secret the server answers only this once) and revoking one.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];
export type ApiKey = Schemas["ApiKey"];
export type ApiKeyList = Schemas["ApiKeyList"];
export type ApiKeyRequest = Schemas["ApiKeyRequest"];
/** A key just made: its record and, this once, the key itself. */
export type ApiKeyCreated = Schemas["ApiKeyCreated"];

// No other feature shows API keys, so the root stays here rather than in @/api/query-keys.
export const apiKeyKeys = {
  all: ["api-keys"] as const,
  list: ["api-keys", "list"] as const,
};

export function useApiKeys() {
  return useQuery({ queryKey: apiKeyKeys.list, queryFn: () => unwrap(api.GET("/api/v1/api-keys")) });
}

function useApiKeysChanged() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: apiKeyKeys.all });
}

export function useCreateApiKey() {
  const changed = useApiKeysChanged();
  return useMutation({
    mutationFn: (body: ApiKeyRequest) => unwrap(api.POST("/api/v1/api-keys", { body })),
    onSuccess: () => void changed(),
  });
}

/** The key stops working at once; the list keeps it, marked revoked. */
export function useRevokeApiKey() {
  const changed = useApiKeysChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/api-keys/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}
