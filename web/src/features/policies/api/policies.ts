import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { CheckTemplateRequest, PolicyAssignmentRequest, PolicyRequest } from "@/api/types";

export const policyKeys = {
  all: rootKeys.policies,
  list: ["policies", "list"] as const,
  detail: (id: string) => ["policies", "detail", id] as const,
  assignments: ["policies", "assignments"] as const,
  scripts: ["policies", "pick", "scripts"] as const,
  pickChannels: ["policies", "pick", "channels"] as const,
  templates: ["policies", "templates"] as const,
};

export function usePolicies() {
  return useQuery({ queryKey: policyKeys.list, queryFn: () => unwrap(api.GET("/api/v1/policies")) });
}

export function usePolicy(id: string) {
  return useQuery({
    queryKey: policyKeys.detail(id),
    queryFn: () => unwrap(api.GET("/api/v1/policies/{id}", { params: { path: { id } } })),
  });
}

/** Every assignment of the organization (the API lists them all; pages pick theirs). */
export function usePolicyAssignments() {
  return useQuery({ queryKey: policyKeys.assignments, queryFn: () => unwrap(api.GET("/api/v1/policy-assignments")) });
}

/** A policy or assignment changed: every agent's checks and effective policy may have too, and the
 * fleet's checks their types and severities. */
function usePolicyChanged() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: policyKeys.all });
    void queryClient.invalidateQueries({ queryKey: rootKeys.checks });
    void queryClient.invalidateQueries({ queryKey: rootKeys.fleetChecks });
  };
}

export function useCreatePolicy() {
  const changed = usePolicyChanged();
  return useMutation({
    mutationFn: (body: PolicyRequest) => unwrap(api.POST("/api/v1/policies", { body })),
    onSuccess: changed,
  });
}

export function useUpdatePolicy(id: string) {
  const changed = usePolicyChanged();
  return useMutation({
    mutationFn: (body: PolicyRequest) => unwrap(api.PUT("/api/v1/policies/{id}", { params: { path: { id } }, body })),
    onSuccess: changed,
  });
}

export function useDeletePolicy() {
  const changed = usePolicyChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/policies/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useCreateAssignment() {
  const changed = usePolicyChanged();
  return useMutation({
    mutationFn: (body: PolicyAssignmentRequest) => unwrap(api.POST("/api/v1/policy-assignments", { body })),
    onSuccess: changed,
  });
}

export function useDeleteAssignment() {
  const changed = usePolicyChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/policy-assignments/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

/** The script library for a script check's picker. */
export function useCheckScripts(enabled: boolean) {
  return useQuery({
    queryKey: policyKeys.scripts,
    queryFn: () => unwrap(api.GET("/api/v1/scripts", { params: { query: { page: 1, per_page: 200 } } })),
    enabled,
    staleTime: 30_000,
  });
}

/** The notification channels a policy's routes pick from. */
export function usePickChannels(enabled: boolean) {
  return useQuery({
    queryKey: policyKeys.pickChannels,
    queryFn: () => unwrap(api.GET("/api/v1/notification-channels")),
    enabled,
  });
}

/** The check templates, with the policies using each. */
export function useCheckTemplates() {
  return useQuery({ queryKey: policyKeys.templates, queryFn: () => unwrap(api.GET("/api/v1/check-templates")) });
}

export function useSaveCheckTemplate() {
  const changed = usePolicyChanged();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: CheckTemplateRequest }) =>
      id
        ? unwrap(api.PUT("/api/v1/check-templates/{id}", { params: { path: { id } }, body }))
        : unwrap(api.POST("/api/v1/check-templates", { body })),
    onSuccess: changed,
  });
}

export function useDeleteCheckTemplate() {
  const changed = usePolicyChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/check-templates/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}
