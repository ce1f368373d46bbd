//! Refetches the waiting re-enrollments when one arrives or is decided.
import { useLiveInvalidate } from "@/hooks/use-live-invalidate";
import { enrollmentRequestKeys } from "../api/enrollment-requests";

/** Mounted once in the app shell. Requests are rare, so each event refetches at once. */
export function useEnrollmentRequestLiveUpdates(): void {
  useLiveInvalidate((event, invalidate) => {
    if (event.type === "enrollment_request" || event.type === "connected") invalidate.now({ queryKey: enrollmentRequestKeys.all });
  }, 0);
}
