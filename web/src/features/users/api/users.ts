//! The organization's users and pending invitations (`manage_users`): the lists, inviting, a user's
//! role, disabling and enabling, password reset links, resetting a second factor, removing, and
//! withdrawing an invitation; and the roles the menus offer.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];
export type OrgUser = Schemas["OrgUser"];
export type UserList = Schemas["UserList"];
export type Invitation = Schemas["Invitation"];
export type InvitationList = Schemas["InvitationList"];
export type InviteRequest = Schemas["InviteRequest"];
export type UserUpdate = Schemas["UserUpdate"];
/** The built-in roles with their permissions and the organization's custom roles. */
export type RoleList = Schemas["RoleList"];
/** The custom role a user or invitation holds. */
export type CustomRoleName = Schemas["CustomRoleName"];
/** A one-time link made for someone: its link when it was not emailed, shown this once. */
export type LinkCreated = Schemas["LinkCreated"];

// No other feature shows users, so the root stays here rather than in @/api/query-keys.
export const userKeys = {
  all: ["users"] as const,
  list: ["users", "list"] as const,
  invitations: ["users", "invitations"] as const,
  /** The roles the menus offer (`GET /api/v1/roles`), read again with the users. */
  roles: ["users", "roles"] as const,
};

/**
 * The roles page's root (`roleKeys.all` of features/roles): it counts the users and invitations
 * holding each custom role, so any change here makes it stale.
 */
const rolesRoot = ["roles"] as const;

export function useUsers(enabled = true) {
  return useQuery({ queryKey: userKeys.list, queryFn: () => unwrap(api.GET("/api/v1/users")), enabled });
}

export function useInvitations(enabled = true) {
  return useQuery({ queryKey: userKeys.invitations, queryFn: () => unwrap(api.GET("/api/v1/invitations")), enabled });
}

export function useRoleChoices(enabled = true) {
  return useQuery({ queryKey: userKeys.roles, queryFn: () => unwrap(api.GET("/api/v1/roles")), enabled });
}

/** After any change both lists are read again: an accepted invitation moves from one to the other. */
function useUsersChanged() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: userKeys.all }), queryClient.invalidateQueries({ queryKey: rolesRoot })]);
}

export function useInviteUser() {
  const changed = useUsersChanged();
  return useMutation({
    mutationFn: (body: InviteRequest) => unwrap(api.POST("/api/v1/users", { body })),
    onSuccess: changed,
  });
}

export function useChangeRole() {
  const changed = useUsersChanged();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: string } & UserUpdate) =>
      unwrap(api.PATCH("/api/v1/users/{id}", { params: { path: { id } }, body })),
    onSuccess: changed,
  });
}

export function useSetUserDisabled() {
  const changed = useUsersChanged();
  return useMutation({
    mutationFn: ({ id, disabled }: { id: string; disabled: boolean }) =>
      disabled
        ? unwrap(api.POST("/api/v1/users/{id}/disable", { params: { path: { id } } }))
        : unwrap(api.POST("/api/v1/users/{id}/enable", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useResetPassword() {
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/users/{id}/reset-password", { params: { path: { id } } })),
  });
}

/** Turns a user's second factor off (a lost phone); the server ends all their sessions. */
export function useResetSecondFactor() {
  const changed = useUsersChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/users/{id}/reset-second-factor", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useRemoveUser() {
  const changed = useUsersChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/users/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useWithdrawInvitation() {
  const changed = useUsersChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/invitations/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}
