import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";

/** What deleting one does, said in its confirmation. */
export const SITE_DELETE_DESCRIPTION =
  'The site and its enrollment key are deleted. A site that still has agents cannot be deleted: first move each agent to another site ("Move to site" on the agent\'s page) or delete it.';

export const SITES_PER_PAGE = 50;

export const siteKeys = {
  all: rootKeys.sites,
  lists: ["sites", "list"] as const,
  listOfClient: (clientId: string, page: number) => ["sites", "list", clientId, page] as const,
  detail: (id: string) => ["sites", "detail", id] as const,
  // Under "sites" so that refetching every site query (after a rename, say) refetches the keys too.
  enrollmentKeys: (id: string) => ["sites", "enrollment-keys", id] as const,
  // The agent's packages the server publishes (not a site's, but shown with a site's keys).
  debianPackages: ["sites", "debian-packages"] as const,
};

export function useClientSites(clientId: string, page: number) {
  return useQuery({
    queryKey: siteKeys.listOfClient(clientId, page),
    queryFn: () =>
      unwrap(api.GET("/api/v1/clients/{id}/sites", { params: { path: { id: clientId }, query: { page, per_page: SITES_PER_PAGE } } })),
    placeholderData: keepPreviousData,
  });
}

export function useSite(id: string) {
  return useQuery({
    queryKey: siteKeys.detail(id),
    queryFn: () => unwrap(api.GET("/api/v1/sites/{id}", { params: { path: { id } } })),
  });
}

/** Site changes also change the counts shown on clients, so both are refetched. */
function useInvalidateSitesAndClients() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: siteKeys.all }), queryClient.invalidateQueries({ queryKey: rootKeys.clients })]);
}

export function useCreateSite(clientId: string) {
  const invalidate = useInvalidateSitesAndClients();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/v1/clients/{id}/sites", { params: { path: { id: clientId } }, body: { name } })),
    onSuccess: invalidate,
  });
}

export function useRenameSite(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.PATCH("/api/v1/sites/{id}", { params: { path: { id } }, body: { name } })),
    onSuccess: (site) => {
      queryClient.setQueryData(siteKeys.detail(id), site);
      // Agent rows show the site's name too.
      return queryClient.invalidateQueries();
    },
  });
}

export function useDeleteSite() {
  const queryClient = useQueryClient();
  const invalidate = useInvalidateSitesAndClients();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/sites/{id}", { params: { path: { id } } })),
    onSuccess: (_data, id) => {
      queryClient.removeQueries({ queryKey: siteKeys.detail(id) });
      return invalidate();
    },
  });
}

export function useCreateEnrollmentKey(siteId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/sites/{id}/enrollment-key", { params: { path: { id: siteId } } })),
    onSuccess: (key) => {
      queryClient.setQueryData(siteKeys.detail(siteId), (site: ReturnType<typeof useSite>["data"]) =>
        site ? { ...site, enrollment_key_created_at: key.created_at } : site,
      );
      // The detail was patched above; refetching it would race with showing the key. Regenerating revoked
      // every other key of the site, which the key list must show.
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: siteKeys.lists }),
        queryClient.invalidateQueries({ queryKey: siteKeys.enrollmentKeys(siteId) }),
      ]);
    },
  });
}
