//! The one way features refresh their queries from live events: each feature says which queries an
//! event makes stale, and bursts are coalesced by `createLiveInvalidator`.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { createLiveInvalidator, type LiveInvalidator } from "@/lib/live-invalidator";
import { useLiveEvent, type LiveEvent } from "@/lib/live-events";

export type LiveEventHandler = (event: LiveEvent, invalidate: LiveInvalidator, queryClient: QueryClient) => void;

/** Calls `handler` for every live event with an invalidator whose `soon` waits `delayMs`; mounted once, in the layout. */
export function useLiveInvalidate(handler: LiveEventHandler, delayMs: number): void {
  const queryClient = useQueryClient();
  const [invalidator] = useState(() => createLiveInvalidator(queryClient, delayMs));
  useEffect(() => () => invalidator.dispose(), [invalidator]);
  useLiveEvent((event) => handler(event, invalidator, queryClient));
}
