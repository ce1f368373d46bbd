import { useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import { useLiveConnectionState } from "@/lib/live-events";

export const overviewKeys = {
  all: rootKeys.overview,
  fleet: ["overview", "fleet"] as const,
};

/** The fleet's counts. Live events refetch it; the poll heals a dropped stream. */
export function useOverview() {
  const live = useLiveConnectionState() === "open";
  return useQuery({
    queryKey: overviewKeys.fleet,
    queryFn: () => unwrap(api.GET("/api/v1/overview")),
    refetchInterval: live ? 60_000 : 10_000,
  });
}
