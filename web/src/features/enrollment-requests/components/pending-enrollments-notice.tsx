import { Link } from "@tanstack/react-router";
import { ShieldAlertIcon } from "lucide-react";
import { useCan } from "@/lib/auth";
import { useEnrollmentRequests } from "../api/enrollment-requests";

/** A banner while machines wait for an administrator to approve their re-enrollment. */
export function PendingEnrollmentsNotice() {
  const requests = useEnrollmentRequests(useCan("manage_agents"));
  const count = requests.data?.items.length ?? 0;
  if (count === 0) return null;
  return (
    <div
      role="alert"
      data-testid="pending-enrollments-notice"
      className="flex items-center gap-2 rounded-md border border-warning/50 bg-warning/10 px-3 py-2 text-sm"
    >
      <ShieldAlertIcon className="size-4 shrink-0 text-warning" aria-hidden />
      <span>
        {count === 1 ? "1 machine claims" : `${count} machines claim`} the identity of an existing agent and{" "}
        {count === 1 ? "waits" : "wait"} for approval.
      </span>
      <Link to="/enrollment-requests" className="ml-auto font-medium text-primary hover:underline">
        Review
      </Link>
    </div>
  );
}
