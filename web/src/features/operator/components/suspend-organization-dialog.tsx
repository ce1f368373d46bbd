//! Asks before suspending an organization, with an optional reason (kept in both audit logs): its
//! users are signed out at once and can neither sign in nor use the API until it is resumed; its
//! agents stay connected and its data stays. The dialog stays open while the server answers and
//! shows its refusal inside.
import { PauseCircleIcon } from "lucide-react";
import { useId, useState } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";
import { MAX_REASON_CHARS, useSuspendOrganization, type OperatorOrganization } from "../api/operator";

export function SuspendOrganizationDialog({ organization }: { organization: OperatorOrganization }) {
  const ids = useId();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [failure, setFailure] = useState<string | null>(null);
  const suspend = useSuspendOrganization();
  const length = Array.from(reason.trim()).length;
  const tooLong = length > MAX_REASON_CHARS;

  const confirm = async () => {
    setFailure(null);
    if (tooLong) return;
    try {
      await suspend.mutateAsync({ id: organization.id, reason });
      toast.success(`${organization.name} is suspended; its users were signed out.`);
      setOpen(false);
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };

  return (
    <AlertDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) {
          setFailure(null);
          setReason("");
        }
      }}
    >
      <AlertDialogTrigger asChild>
        <Button variant="outline" size="sm" aria-label={`Suspend ${organization.name}`} data-testid="suspend-organization">
          <PauseCircleIcon /> Suspend
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent data-testid="suspend-organization-dialog">
        <AlertDialogHeader>
          <AlertDialogTitle>Suspend {organization.name}?</AlertDialogTitle>
          <AlertDialogDescription asChild>
            <div className="grid gap-2">
              <p>
                Its users are signed out at once and cannot sign in or use the API (their API keys included) until you resume it. Its agents
                stay connected and its data is kept.
              </p>
            </div>
          </AlertDialogDescription>
        </AlertDialogHeader>
        <div className="grid gap-1">
          <Label htmlFor={`${ids}-reason`} className="text-xs text-muted-foreground">
            Reason (optional)
          </Label>
          <Textarea
            id={`${ids}-reason`}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            rows={3}
            placeholder="Kept in the audit log, yours and theirs"
            data-testid="suspend-reason"
            {...(tooLong ? { "aria-invalid": true, "aria-describedby": `${ids}-reason-count` } : {})}
          />
          <p id={`${ids}-reason-count`} className={tooLong ? "text-xs text-destructive" : "text-[11px] text-muted-foreground"}>
            {tooLong ? `Use at most ${MAX_REASON_CHARS} characters (${length} now).` : `${length} of ${MAX_REASON_CHARS} characters`}
          </p>
        </div>
        {failure ? (
          <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="suspend-failure">
            {failure}
          </p>
        ) : null}
        <AlertDialogFooter>
          <AlertDialogCancel disabled={suspend.isPending}>Cancel</AlertDialogCancel>
          <Button
            variant="destructive"
            disabled={suspend.isPending || tooLong}
            onClick={() => void confirm()}
            data-testid="suspend-confirm"
          >
            {suspend.isPending ? "Suspending…" : "Suspend"}
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
