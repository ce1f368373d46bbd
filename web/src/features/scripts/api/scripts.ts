import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import { useClientScope } from "@/lib/auth";
import type { RunScriptRequest, Script, ScriptRequest } from "@/api/types";
import type { ScriptListSearch } from "../script-list-search";

export const SCRIPTS_PER_PAGE = 50;

export const scriptKeys = {
  all: rootKeys.scripts,
  list: (search: ScriptListSearch) => ["scripts", "list", search] as const,
  categories: ["scripts", "categories"] as const,
  detail: (id: string) => ["scripts", "detail", id] as const,
  versions: (id: string) => ["scripts", "versions", id] as const,
  targetClients: ["scripts", "targets", "clients"] as const,
  targetSites: (clientId: string | null) => ["scripts", "targets", "sites", clientId] as const,
  targetAgents: (q: string) => ["scripts", "targets", "agents", q] as const,
  targetAgentClient: (agentId: string | null) => ["scripts", "targets", "agent-client", agentId] as const,
  targetVault: (clientId: string | null) => ["scripts", "targets", "vault", clientId] as const,
  customFields: ["scripts", "custom-fields"] as const,
};

/**
 * The custom fields a parameter can take its value from (a key may name a field of several scopes).
 * They are the whole organization's settings, not read for a user limited to some clients (who sees a
 * parameter's field by its key).
 */
export function useParameterCustomFields(enabled = true) {
  const wholeOrganization = useClientScope() === null;
  return useQuery({
    queryKey: scriptKeys.customFields,
    queryFn: () => unwrap(api.GET("/api/v1/custom-fields")),
    staleTime: 60_000,
    enabled: enabled && wholeOrganization,
  });
}

export function useScripts(search: ScriptListSearch) {
  return useQuery({
    queryKey: scriptKeys.list(search),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/scripts", {
          params: { query: { q: search.q, category: search.category, page: search.page ?? 1, per_page: SCRIPTS_PER_PAGE } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** The categories in use, for the filter and the editor's suggestions (one page of 200 covers a library). */
export function useScriptCategories() {
  return useQuery({
    queryKey: scriptKeys.categories,
    queryFn: async () => {
      const page = await unwrap(api.GET("/api/v1/scripts", { params: { query: { page: 1, per_page: 200 } } }));
      return [...new Set(page.items.map((script) => script.category).filter((category) => category !== ""))].sort((a, b) =>
        a.localeCompare(b),
      );
    },
    staleTime: 60_000,
  });
}

export function useScript(id: string) {
  return useQuery({
    queryKey: scriptKeys.detail(id),
    queryFn: () => unwrap(api.GET("/api/v1/scripts/{id}", { params: { path: { id } } })),
  });
}

export function useScriptVersions(id: string) {
  return useQuery({
    queryKey: scriptKeys.versions(id),
    queryFn: () => unwrap(api.GET("/api/v1/scripts/{id}/versions", { params: { path: { id } } })),
  });
}

export function useCreateScript() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: ScriptRequest) => unwrap(api.POST("/api/v1/scripts", { body: request })),
    onSuccess: (script: Script) => {
      queryClient.setQueryData(scriptKeys.detail(script.id), script);
      return queryClient.invalidateQueries({ queryKey: scriptKeys.all, predicate: (query) => query.queryKey[1] !== "detail" });
    },
  });
}

export function useUpdateScript(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: ScriptRequest) => unwrap(api.PUT("/api/v1/scripts/{id}", { params: { path: { id } }, body: request })),
    onSuccess: (script: Script) => {
      queryClient.setQueryData(scriptKeys.detail(script.id), script);
      return queryClient.invalidateQueries({ queryKey: scriptKeys.all, predicate: (query) => query.queryKey[1] !== "detail" });
    },
  });
}

export function useDeleteScript() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/scripts/{id}", { params: { path: { id } } })),
    onSuccess: (_data, id) => {
      queryClient.removeQueries({ queryKey: scriptKeys.detail(id) });
      return queryClient.invalidateQueries({ queryKey: scriptKeys.all });
    },
  });
}

/** Makes an old version's code current again, as a new version. */
export function useRestoreScriptVersion(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (version: number) =>
      unwrap(api.POST("/api/v1/scripts/{id}/versions/{version}/restore", { params: { path: { id, version } } })),
    onSuccess: (script: Script) => {
      queryClient.setQueryData(scriptKeys.detail(script.id), script);
      return queryClient.invalidateQueries({ queryKey: scriptKeys.all, predicate: (query) => query.queryKey[1] !== "detail" });
    },
  });
}

export function useRunScript(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: RunScriptRequest) => unwrap(api.POST("/api/v1/scripts/{id}/run", { params: { path: { id } }, body: request })),
    // The jobs feature owns its keys; its lists refetch on the job's command events anyway.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: rootKeys.jobs }),
  });
}

/** Clients for the target picker. */
export function useTargetClients(enabled: boolean) {
  return useQuery({
    queryKey: scriptKeys.targetClients,
    queryFn: () => unwrap(api.GET("/api/v1/clients", { params: { query: { page: 1, per_page: 200 } } })),
    enabled,
  });
}

/** One client's sites for the target picker. */
export function useTargetSites(clientId: string | null) {
  return useQuery({
    queryKey: scriptKeys.targetSites(clientId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/clients/{id}/sites", { params: { path: { id: clientId ?? "" }, query: { page: 1, per_page: 200 } } })),
    enabled: clientId !== null,
  });
}

/** Agents matching a search, for the target picker. */
export function useTargetAgents(q: string, enabled: boolean) {
  return useQuery({
    queryKey: scriptKeys.targetAgents(q),
    queryFn: () => unwrap(api.GET("/api/v1/agents", { params: { query: { q: q || undefined, page: 1, per_page: 50 } } })),
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** The client of an agent picked as a target, for the entries of the vault a run may use. */
export function useTargetAgentClient(agentId: string | null) {
  return useQuery({
    queryKey: scriptKeys.targetAgentClient(agentId),
    queryFn: async () => (await unwrap(api.GET("/api/v1/agents/{id}", { params: { path: { id: agentId ?? "" } } }))).client_id,
    enabled: agentId !== null,
    staleTime: 60_000,
  });
}

/** A client's vault entries (names and kinds; the list never holds a value), for a secret parameter. */
export function useTargetVaultEntries(clientId: string | null) {
  return useQuery({
    queryKey: scriptKeys.targetVault(clientId),
    queryFn: () => unwrap(api.GET("/api/v1/clients/{id}/vault", { params: { path: { id: clientId ?? "" } } })),
    enabled: clientId !== null,
  });
}
