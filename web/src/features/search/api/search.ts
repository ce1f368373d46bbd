import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";

export const searchKeys = {
  results: (q: string) => ["search", q] as const,
};

/** The global search's hits for `q` (nothing is asked for an empty search). */
export function useGlobalSearch(q: string) {
  return useQuery({
    queryKey: searchKeys.results(q),
    queryFn: () => unwrap(api.GET("/api/v1/search", { params: { query: { q } } })),
    enabled: q.trim().length > 0,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
}
