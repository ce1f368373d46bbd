//! A site's enrollment keys: the list (never the keys themselves), creating a key with limits, and
//! revoking one. The key in clear exists only in the answer that creates it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "@/api/client";
import { errorMessage, unwrap } from "@/api/errors";
import type { components } from "@/api/schema";
import { siteKeys } from "./sites";

type Schemas = components["schemas"];
export type EnrollmentKeyInfo = Schemas["EnrollmentKeyInfo"];
export type EnrollmentKeyList = Schemas["EnrollmentKeyList"];
export type NewEnrollmentKeyRequest = Schemas["NewEnrollmentKeyRequest"];
export type CreatedEnrollmentKey = Schemas["CreatedEnrollmentKey"];

export function useSiteEnrollmentKeys(siteId: string) {
  return useQuery({
    queryKey: siteKeys.enrollmentKeys(siteId),
    queryFn: () => unwrap(api.GET("/api/v1/sites/{id}/enrollment-keys", { params: { path: { id: siteId } } })),
  });
}

/**
 * A key's state and uses change on the server, so after any change the list is refetched; the site
 * (whose "enrollment key created" date follows its newest key that is not revoked) is refetched too.
 */
function useRefreshAfterKeyChange(siteId: string) {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: siteKeys.enrollmentKeys(siteId) }),
      queryClient.invalidateQueries({ queryKey: siteKeys.detail(siteId) }),
      queryClient.invalidateQueries({ queryKey: siteKeys.lists }),
    ]);
}

export function useCreateSiteEnrollmentKey(siteId: string) {
  const queryClient = useQueryClient();
  const refresh = useRefreshAfterKeyChange(siteId);
  return useMutation({
    mutationFn: (body: NewEnrollmentKeyRequest) =>
      unwrap(api.POST("/api/v1/sites/{id}/enrollment-keys", { params: { path: { id: siteId } }, body })),
    onSuccess: (created) => {
      // Shown at once, newest first like the server orders them, before the refetch confirms it.
      queryClient.setQueryData<EnrollmentKeyList>(siteKeys.enrollmentKeys(siteId), (list) =>
        list ? { items: [created.info, ...list.items.filter((key) => key.id !== created.info.id)] } : list,
      );
      void refresh();
    },
  });
}

export function useRevokeEnrollmentKey(siteId: string) {
  const queryClient = useQueryClient();
  const refresh = useRefreshAfterKeyChange(siteId);
  return useMutation({
    mutationFn: (keyId: string) => unwrap(api.POST("/api/v1/enrollment-keys/{id}/revoke", { params: { path: { id: keyId } } })),
    onSuccess: (revoked) => {
      queryClient.setQueryData<EnrollmentKeyList>(siteKeys.enrollmentKeys(siteId), (list) =>
        list ? { items: list.items.map((key) => (key.id === revoked.id ? revoked : key)) } : list,
      );
      void refresh();
    },
  });
}

export type InstallerLinkInfo = Schemas["InstallerLinkInfo"];
export type InstallerLinkKind = Schemas["InstallerLinkKind"];

/**
 * A short-lived link to one of the site's installers (the Windows MSI, or the Linux install script)
 * carrying `enrollment_key`, which must be a key of the site just created: the server keeps keys hashed,
 * so a link can only be made while the key is known.
 */
export function useCreateInstallerLink(siteId: string, kind: InstallerLinkKind) {
  return useMutation({
    mutationFn: (enrollmentKey: string) =>
      unwrap(
        api.POST("/api/v1/sites/{id}/installer-links", {
          params: { path: { id: siteId } },
          body: { enrollment_key: enrollmentKey, kind },
        }),
      ),
  });
}

/**
 * Asking for an installer link of `kind` for a key just created: the link once made, or the server's
 * answer when it could not make one (how to provide an installer), shown as it is.
 */
export function useInstallerLink(siteId: string, keyValue: string, kind: InstallerLinkKind) {
  const createLink = useCreateInstallerLink(siteId, kind);
  const [link, setLink] = useState<InstallerLinkInfo | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const create = () => {
    setFailure(null);
    createLink.mutate(keyValue, {
      onSuccess: setLink,
      onError: (error) => setFailure(errorMessage(error)),
    });
  };
  return { link, failure, create, isPending: createLink.isPending };
}
