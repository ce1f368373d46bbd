//! The agent releases, staged rollouts and update policies of the organization, read and changed
//! through TanStack Query.
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { ApiError, unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { PolicyScope, RolloutRequest, UpdatePolicyRequest } from "@/api/types";
import { isActiveRollout } from "../rollout-form";

export const rolloutKeys = {
  all: rootKeys.rollouts,
  releases: ["rollouts", "releases"] as const,
  list: ["rollouts", "list"] as const,
  detail: (id: string) => ["rollouts", "detail", id] as const,
  policies: ["rollouts", "policies"] as const,
  target: (scope: PolicyScope, id: string) => ["rollouts", "target", scope, id] as const,
};

/** A rollout under way changes as agents report; this is how often its page asks again. */
export const ACTIVE_REFRESH_MS = 5_000;

export function useAgentReleases() {
  return useQuery({
    queryKey: rolloutKeys.releases,
    queryFn: () => unwrap(api.GET("/api/v1/agent-releases")),
    // Releases are copied into the directory by hand; a minute is soon enough to see a new one.
    refetchInterval: 60_000,
  });
}

/** The rollouts, newest first; asked again every few seconds while one runs or is halted. */
export function useRollouts() {
  return useQuery({
    queryKey: rolloutKeys.list,
    queryFn: () => unwrap(api.GET("/api/v1/rollouts")),
    refetchInterval: (query) => (query.state.data?.items.some(isActiveRollout) ? ACTIVE_REFRESH_MS : 30_000),
  });
}

/** One rollout with its waves' progress; refreshed while it is running or halted. */
export function useRollout(id: string | null) {
  return useQuery({
    queryKey: rolloutKeys.detail(id ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/rollouts/{id}", { params: { path: { id: id ?? "" } } })),
    enabled: id !== null,
    refetchInterval: (query) => (query.state.data && isActiveRollout(query.state.data) ? ACTIVE_REFRESH_MS : false),
  });
}

function useRolloutsChanged() {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: rolloutKeys.all });
}

export function useStartRollout() {
  const changed = useRolloutsChanged();
  return useMutation({
    mutationFn: (body: RolloutRequest) => unwrap(api.POST("/api/v1/rollouts", { body })),
    onSuccess: changed,
  });
}

export function useResumeRollout() {
  const changed = useRolloutsChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/rollouts/{id}/resume", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useCancelRollout() {
  const changed = useRolloutsChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/rollouts/{id}/cancel", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useUpdatePolicies() {
  return useQuery({ queryKey: rolloutKeys.policies, queryFn: () => unwrap(api.GET("/api/v1/update-policies")) });
}

/** A policy changes which agents a rollout reaches: its counts are stale too. */
export function usePutUpdatePolicy() {
  const changed = useRolloutsChanged();
  return useMutation({
    mutationFn: (body: UpdatePolicyRequest) => unwrap(api.PUT("/api/v1/update-policies", { body })),
    onSuccess: changed,
  });
}

export function useDeleteUpdatePolicy() {
  const changed = useRolloutsChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/update-policies/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

/** A policy's target: its name, or null when it no longer exists. */
async function targetName(scope: Exclude<PolicyScope, "global">, id: string): Promise<string | null> {
  try {
    if (scope === "client") return (await unwrap(api.GET("/api/v1/clients/{id}", { params: { path: { id } } }))).name;
    if (scope === "site") {
      const site = await unwrap(api.GET("/api/v1/sites/{id}", { params: { path: { id } } }));
      return `${site.name} (${site.client_name})`;
    }
    const agent = await unwrap(api.GET("/api/v1/agents/{id}", { params: { path: { id } } }));
    return agent.alias ? `${agent.alias} (${agent.hostname})` : agent.hostname;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/**
 * The names of the policies' clients, sites and agents (the policies carry ids only), by target id:
 * a string, null for a deleted target, undefined while it loads.
 */
export function useTargetNames(targets: readonly { scope: PolicyScope; target_id?: string | null }[]): Map<string, string | null> {
  const wanted = targets.filter(
    (target): target is { scope: Exclude<PolicyScope, "global">; target_id: string } => target.scope !== "global" && !!target.target_id,
  );
  return useQueries({
    queries: wanted.map((target) => ({
      queryKey: rolloutKeys.target(target.scope, target.target_id),
      queryFn: () => targetName(target.scope, target.target_id),
      staleTime: 60_000,
    })),
    combine: (results) => {
      const names = new Map<string, string | null>();
      results.forEach((result, index) => {
        const target = wanted[index];
        if (target && result.data !== undefined) names.set(target.target_id, result.data);
      });
      return names;
    },
  });
}
