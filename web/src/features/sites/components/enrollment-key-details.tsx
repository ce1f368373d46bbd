import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { useNow } from "@/hooks/use-now";
import type { EnrollmentKeyInfo } from "../api/enrollment-keys";
import { ENROLLMENT_KEY_STATE_LABELS, isKnownKeyState, type EnrollmentKeyState } from "../enrollment-key-form";

const STATE_VARIANTS: Record<EnrollmentKeyState, "success" | "destructive" | "muted"> = {
  active: "success",
  revoked: "destructive",
  expired: "muted",
  used_up: "muted",
};

export function EnrollmentKeyStateBadge({ state }: { state: string }) {
  // A state a newer server invents is shown as it is rather than hidden.
  const known = isKnownKeyState(state);
  return (
    <Badge variant={known ? STATE_VARIANTS[state] : "outline"} data-testid="enrollment-key-state" data-state={state}>
      {known ? ENROLLMENT_KEY_STATE_LABELS[state] : state}
    </Badge>
  );
}

/** "never", "in 23 hours", or "expired 2 days ago". */
export function EnrollmentKeyExpiry({ expiresAt }: { expiresAt: string | null | undefined }) {
  const now = useNow(15_000);
  if (!expiresAt) return <>never</>;
  if (Date.parse(expiresAt) <= now) {
    return (
      <>
        expired <RelativeTime value={expiresAt} />
      </>
    );
  }
  return <RelativeTime value={expiresAt} />;
}

/** What a key allows, in one sentence: "One-time key, expires in 24 hours." */
export function EnrollmentKeyLimits({ info }: { info: Pick<EnrollmentKeyInfo, "max_uses" | "expires_at"> }) {
  const uses =
    info.max_uses === null || info.max_uses === undefined
      ? "Reusable key for any number of agents"
      : info.max_uses === 1
        ? "One-time key: it enrolls a single agent"
        : `Enrolls up to ${info.max_uses.toLocaleString("en-US")} agents`;
  return (
    <span data-testid="enrollment-key-limits">
      {uses},{" "}
      {info.expires_at ? (
        <>
          expires <RelativeTime value={info.expires_at} />
        </>
      ) : (
        "never expires"
      )}
      .
    </span>
  );
}
