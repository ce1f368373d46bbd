//! The public side of one-time links (an invitation or a password reset): what a link is for, and
//! using it to set a password, which signs its holder in. No session is needed for either.
import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";

export type LinkInfo = components["schemas"]["LinkInfo"];

export const linkKeys = {
  info: (token: string) => ["welcome-link", token] as const,
};

/** What the link is for; a used, expired, withdrawn or unknown link fails with a 404. */
export function useLinkInfo(token: string | null) {
  return useQuery({
    queryKey: linkKeys.info(token ?? ""),
    // The token goes in the body, never in a URL where proxies and logs would keep it.
    queryFn: () => unwrap(api.POST("/api/v1/auth/link", { body: { token: token ?? "" } })),
    enabled: token !== null,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

export function useAcceptLink() {
  return useMutation({
    mutationFn: ({ token, password }: { token: string; password: string }) =>
      unwrap(api.POST("/api/v1/auth/link/accept", { body: { token, password, cookie: true } })),
  });
}
