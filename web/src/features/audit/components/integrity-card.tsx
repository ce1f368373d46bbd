//! Whether the audit log's hash chain is intact: the server checks every kept event's number, link
//! and hash, and that the chain ends where it should. A break names the first event found wrong.
import { RefreshCwIcon, ShieldAlertIcon, ShieldCheckIcon } from "lucide-react";
import { ErrorMessage } from "@/components/error-message";
import { SectionCard } from "@/components/section-card";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { useAuditVerification } from "../api/audit";

function events(count: number): string {
  return count === 1 ? "1 event" : `${count.toLocaleString("en")} events`;
}

export function IntegrityCard() {
  const verification = useAuditVerification();
  const result = verification.data;
  return (
    <SectionCard
      title="Integrity"
      description="Each event's hash covers the one before, so an event changed, inserted or removed in the database breaks the chain."
      data-testid="audit-integrity"
      actions={
        <Button
          variant="outline"
          size="sm"
          disabled={verification.isFetching}
          onClick={() => void verification.refetch()}
          data-testid="audit-verify-again"
        >
          <RefreshCwIcon className={verification.isFetching ? "animate-spin" : undefined} /> Check again
        </Button>
      }
    >
      {verification.isPending ? (
        <Skeleton className="h-9" />
      ) : verification.isError ? (
        <ErrorMessage error={verification.error} onRetry={() => void verification.refetch()} />
      ) : result?.ok ? (
        <div className="grid gap-1 text-sm" data-testid="audit-chain-intact">
          <p className="flex items-center gap-2 font-medium text-success">
            <ShieldCheckIcon className="size-4 shrink-0" aria-hidden />
            Chain intact — {events(result.checked)} checked
          </p>
          {result.pruned_through_seq > 0 ? (
            <p className="text-xs text-muted-foreground">
              Events up to #{result.pruned_through_seq} were deleted by retention; the chain is checked from there to #{result.last_seq}.
            </p>
          ) : null}
        </div>
      ) : result ? (
        <div
          role="alert"
          className="grid gap-1 rounded-md border border-destructive/40 bg-destructive/10 px-3 py-2 text-sm text-destructive"
          data-testid="audit-chain-broken"
        >
          <p className="flex items-center gap-2 font-medium">
            <ShieldAlertIcon className="size-4 shrink-0" aria-hidden />
            {result.problem ? `Chain broken at event #${result.problem.seq}` : "Chain broken"}
          </p>
          {result.problem ? <p>{result.problem.message}</p> : null}
          <p className="text-xs">
            {events(result.checked)} checked before the break. The log was changed outside the server: compare it with an earlier export.
          </p>
        </div>
      ) : null}
    </SectionCard>
  );
}
