//! Turns bursts of live events into few refetches. A fleet reconnecting or a script finishing on
//! hundreds of agents sends hundreds of events; each named invalidation runs once, `delayMs` after
//! the first event of its burst (so the burst's last change is included).
import type { InvalidateQueryFilters, QueryClient } from "@tanstack/react-query";

export interface LiveInvalidator {
  /** Marks the queries stale at once (a reconnect, or a fetch that must not wait). */
  now(filters: InvalidateQueryFilters): void;
  /** Marks the queries stale once per burst; requests under the same `name` join the pending one. */
  soon(name: string, filters: InvalidateQueryFilters): void;
}

export function createLiveInvalidator(queryClient: QueryClient, delayMs: number): LiveInvalidator & { dispose(): void } {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  return {
    now(filters) {
      void queryClient.invalidateQueries(filters);
    },
    soon(name, filters) {
      if (timers.has(name)) return;
      timers.set(
        name,
        setTimeout(() => {
          timers.delete(name);
          void queryClient.invalidateQueries(filters);
        }, delayMs),
      );
    },
    dispose() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
