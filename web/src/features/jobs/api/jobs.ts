import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import { useLiveConnectionState } from "@/lib/live-events";
import type { JobListSearch } from "../job-list-search";

export const JOBS_PER_PAGE = 25;

export const jobKeys = {
  all: rootKeys.jobs,
  lists: ["jobs", "list"] as const,
  list: (search: JobListSearch) => ["jobs", "list", search] as const,
  detail: (id: string) => ["jobs", "detail", id] as const,
};

/** Jobs, newest first. Command events of running jobs refresh it; the poll heals a dropped stream. */
export function useJobs(search: JobListSearch) {
  const live = useLiveConnectionState() === "open";
  return useQuery({
    queryKey: jobKeys.list(search),
    queryFn: () => unwrap(api.GET("/api/v1/jobs", { params: { query: { q: search.q, page: search.page ?? 1, per_page: JOBS_PER_PAGE } } })),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => {
      const running = query.state.data?.items.some((job) => job.status !== "done") ?? false;
      return running && !live ? 5_000 : 60_000;
    },
  });
}

export function useJob(id: string) {
  const live = useLiveConnectionState() === "open";
  return useQuery({
    queryKey: jobKeys.detail(id),
    queryFn: () => unwrap(api.GET("/api/v1/jobs/{id}", { params: { path: { id } } })),
    refetchInterval: (query) => {
      if (query.state.data?.status === "done") return false;
      return live ? 60_000 : 5_000;
    },
  });
}

export function useRerunFailed() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/jobs/{id}/rerun-failed", { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: jobKeys.lists }),
  });
}
