//! The caller's organization and its settings (`manage_organization`): its name, and whether every
//! user must sign in with a second factor.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";
import { currentUserQueryKey } from "@/lib/auth";

type Schemas = components["schemas"];
export type OrganizationSettings = Schemas["OrganizationSettings"];
export type OrganizationUpdate = Schemas["OrganizationUpdate"];

// No other feature reads the settings, so the root stays here rather than in @/api/query-keys.
export const organizationKeys = {
  all: ["organization"] as const,
  settings: ["organization", "settings"] as const,
};

export function useOrganization(enabled = true) {
  return useQuery({ queryKey: organizationKeys.settings, queryFn: () => unwrap(api.GET("/api/v1/organization")), enabled });
}

/**
 * The answer is the settings as they now are. The signed-in user is read again too: the user menu
 * shows the organization's name, and requiring a second factor may now apply to them.
 */
export function useUpdateOrganization() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: OrganizationUpdate) => unwrap(api.PATCH("/api/v1/organization", { body })),
    onSuccess: (settings) => {
      queryClient.setQueryData(organizationKeys.settings, settings);
      void queryClient.invalidateQueries({ queryKey: currentUserQueryKey });
    },
  });
}
