import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { CustomFieldRequest, CustomFieldScope, CustomFieldUpdate } from "@/api/types";

export const customFieldKeys = {
  all: rootKeys.customFields,
  list: ["custom-fields", "list"] as const,
  values: (scope: CustomFieldScope, id: string) => ["custom-fields", "values", scope, id] as const,
};

/** Every field of the organization: clients', then sites', then agents', by name. */
export function useCustomFields() {
  return useQuery({
    queryKey: customFieldKeys.list,
    queryFn: () => unwrap(api.GET("/api/v1/custom-fields")),
  });
}

/** A definition changed: this feature's data, and the agents list's filter menu and rows, are stale. */
function useCustomFieldsChanged() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: customFieldKeys.all });
    void queryClient.invalidateQueries({ queryKey: rootKeys.agents });
  };
}

export function useCreateCustomField() {
  const changed = useCustomFieldsChanged();
  return useMutation({
    mutationFn: (body: CustomFieldRequest) => unwrap(api.POST("/api/v1/custom-fields", { body })),
    onSuccess: changed,
  });
}

export function useUpdateCustomField() {
  const changed = useCustomFieldsChanged();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: CustomFieldUpdate }) =>
      unwrap(api.PATCH("/api/v1/custom-fields/{id}", { params: { path: { id } }, body })),
    onSuccess: changed,
  });
}

export function useDeleteCustomField() {
  const changed = useCustomFieldsChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/custom-fields/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

function readValues(scope: CustomFieldScope, id: string) {
  const params = { params: { path: { id } } };
  if (scope === "agent") return unwrap(api.GET("/api/v1/agents/{id}/custom-fields", params));
  if (scope === "site") return unwrap(api.GET("/api/v1/sites/{id}/custom-fields", params));
  return unwrap(api.GET("/api/v1/clients/{id}/custom-fields", params));
}

/** Values by key; `null` clears one. */
export type CustomValues = Record<string, string | null>;

function writeValues(scope: CustomFieldScope, id: string, values: CustomValues) {
  // The document describes the values as a free-form object, which the generator types as empty.
  const request = { params: { path: { id } }, body: { values: values as Record<string, never> } };
  if (scope === "agent") return unwrap(api.PUT("/api/v1/agents/{id}/custom-fields", request));
  if (scope === "site") return unwrap(api.PUT("/api/v1/sites/{id}/custom-fields", request));
  return unwrap(api.PUT("/api/v1/clients/{id}/custom-fields", request));
}

/** Every field of the scope with the client's, site's or agent's value. */
export function useTargetCustomFields(scope: CustomFieldScope, id: string) {
  return useQuery({ queryKey: customFieldKeys.values(scope, id), queryFn: () => readValues(scope, id) });
}

export function useSetTargetCustomFields(scope: CustomFieldScope, id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (values: CustomValues) => writeValues(scope, id, values),
    onSuccess: (answer) => {
      queryClient.setQueryData(customFieldKeys.values(scope, id), answer);
      // The agents list may be filtered by these values.
      void queryClient.invalidateQueries({ queryKey: rootKeys.agents });
    },
  });
}
