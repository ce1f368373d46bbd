//! The organization's roles (`manage_users`): the built-in ones with their permissions, the custom
//! ones with how many users and pending invitations hold each; making, changing and deleting a
//! custom role.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";
import { currentUserQueryKey } from "@/lib/auth";

type Schemas = components["schemas"];
export type RoleList = Schemas["RoleList"];
export type BuiltInRole = Schemas["BuiltInRole"];
export type CustomRole = Schemas["CustomRoleView"];
export type RoleRequest = Schemas["RoleRequest"];

// Besides the users pages (whose root is below), no other feature shows roles, so the root stays
// here rather than in @/api/query-keys.
export const roleKeys = {
  all: ["roles"] as const,
  list: ["roles", "list"] as const,
};

/**
 * The users pages' root (`userKeys.all` of features/users): they show each user's custom role by name
 * and offer the roles in their menus, so a changed role makes them stale.
 */
const usersRoot = ["users"] as const;

export function useRoles(enabled = true) {
  return useQuery({ queryKey: roleKeys.list, queryFn: () => unwrap(api.GET("/api/v1/roles")), enabled });
}

/**
 * After any change the roles and the users pages are read again, and the signed-in user too: a role
 * they hold themselves may have changed what they may do.
 */
function useRolesChanged() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: roleKeys.all }),
      queryClient.invalidateQueries({ queryKey: usersRoot }),
      queryClient.invalidateQueries({ queryKey: currentUserQueryKey }),
    ]);
}

export function useCreateRole() {
  const changed = useRolesChanged();
  return useMutation({
    mutationFn: (body: RoleRequest) => unwrap(api.POST("/api/v1/roles", { body })),
    onSuccess: () => void changed(),
  });
}

/** Its users get the new permissions at their next request. */
export function useUpdateRole() {
  const changed = useRolesChanged();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: RoleRequest }) =>
      unwrap(api.PUT("/api/v1/roles/{id}", { params: { path: { id } }, body })),
    onSuccess: () => void changed(),
  });
}

/** 409 while a user or a pending invitation holds the role. */
export function useDeleteRole() {
  const changed = useRolesChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/roles/{id}", { params: { path: { id } } })),
    onSuccess: () => void changed(),
  });
}
