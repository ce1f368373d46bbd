import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "@/api/errors";

/** Mutation failures are shown where they happen (dialogs, toasts), so there is no global error handler. */
export function createAppQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // Client errors (404, 403) will not fix themselves; network blips and 5xx may.
        retry: (failureCount, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failureCount < 2,
        refetchOnWindowFocus: true,
      },
    },
  });
}
