//! The bar above the header for the whole of an operator's support session: which organization, why,
//! and how long is left, counting down, with the button that ends it. It cannot be dismissed. Ending
//! opens a session in the operator's own organization again and goes back to the organizations page.
//! When the time is up, the banner asks the server who is signed in: the server answers 401 and the
//! signed-in layout sends the operator to the sign-in page, which says the support session ended.
import { useNavigate } from "@tanstack/react-router";
import { LifeBuoyIcon, LogOutIcon } from "lucide-react";
import { useEffect } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import { Button } from "@/components/ui/button";
import { useNow } from "@/hooks/use-now";
import type { User } from "@/api/types";
import { supportRemainingMs, supportSession, useCurrentUser, useEndSupport, type SupportSession } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";

/** How often to ask the server again once the time is up and it still knows the session (clocks differ). */
export const EXPIRED_RECHECK_MS = 5_000;

/** 3_723_000 → "1h 02m 03s", 125_000 → "2m 05s", 9_000 → "9s"; never below zero. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (value: number) => String(value).padStart(2, "0");
  if (hours > 0) return `${hours}h ${two(minutes)}m ${two(seconds)}s`;
  if (minutes > 0) return `${minutes}m ${two(seconds)}s`;
  return `${seconds}s`;
}

export function SupportBanner() {
  const user = useCurrentUser().data;
  const support = supportSession(user);
  // Its own component, so the clock starts when the session does (the shell is mounted long before).
  return user && support ? <SupportBar user={user} support={support} /> : null;
}

function SupportBar({ user, support }: { user: User; support: SupportSession }) {
  const { refetch } = useCurrentUser();
  const now = useNow(1_000);
  const remaining = supportRemainingMs(user, now) ?? 0;
  const expired = remaining <= 0;
  const end = useEndSupport();
  const navigate = useNavigate();

  // The time is up: the next answer about the user is the server's 401, which signs the dashboard out
  // (see the signed-in layout). A server whose clock is behind still knows the session; ask again.
  useEffect(() => {
    if (!expired) return;
    void refetch();
    const timer = setInterval(() => void refetch(), EXPIRED_RECHECK_MS);
    return () => clearInterval(timer);
  }, [expired, refetch]);

  // Awaited rather than a callback of `mutate`: the new session replaces this user, which unmounts the
  // bar before such a callback would run.
  const finish = async () => {
    try {
      const session = await end.mutateAsync();
      toast.success(`Support access to ${user.organization_name} ended; you are back in ${session.user.organization_name}.`);
      void navigate({ to: "/operator" });
    } catch (error) {
      toast.error(`Could not end support access: ${errorMessage(error)}`);
    }
  };

  return (
    <div
      // A region, not a live one: a countdown announced every second would drown everything else.
      role="region"
      aria-label="Support access"
      className="flex min-h-10 flex-wrap items-center gap-x-3 gap-y-1 bg-amber-500 px-3 py-1.5 text-sm text-amber-950 md:px-4"
      data-testid="support-banner"
      data-expired={expired}
    >
      <LifeBuoyIcon className="size-4 shrink-0" aria-hidden />
      <p className="min-w-0 flex-1">
        <span className="font-semibold">
          Support access to <span data-testid="support-banner-organization">{user.organization_name}</span>
        </span>
        {" — "}
        <span className="break-words" data-testid="support-banner-reason">
          {support.reason}
        </span>
        {" — "}
        <time dateTime={support.expires_at} title={`Ends ${formatDateTime(support.expires_at)}`} data-testid="support-banner-countdown">
          {expired ? "ending now" : `ends in ${formatCountdown(remaining)}`}
        </time>
      </p>
      <Button
        size="sm"
        variant="outline"
        className="h-7 border-amber-950/40 bg-amber-50 text-amber-950 hover:bg-amber-100 hover:text-amber-950"
        disabled={end.isPending}
        onClick={() => void finish()}
        data-testid="support-banner-end"
      >
        <LogOutIcon /> {end.isPending ? "Ending…" : "End support access"}
      </Button>
    </div>
  );
}
