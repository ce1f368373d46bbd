//! The current time as state, so components that show "in 3 minutes" or "expired" stay pure and current.
import { useEffect, useState } from "react";

/** `Date.now()`, refreshed every `intervalMs`. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
