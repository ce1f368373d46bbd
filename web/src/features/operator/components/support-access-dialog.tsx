//! Opens support access to another organization: the operator says why (required, kept in both audit
//! logs) and for how long. A new session opens inside that organization, answered like a sign-in,
//! and the dashboard goes to its home page; a banner shows it on every page until it ends or expires.
//! The server's refusal stays in the dialog.
import { useNavigate } from "@tanstack/react-router";
import { LifeBuoyIcon } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Textarea } from "@/components/ui/textarea";
import { useAuthActions } from "@/lib/auth";
import { cn } from "@/lib/utils";
import {
  DEFAULT_SUPPORT_MINUTES,
  MAX_REASON_CHARS,
  SUPPORT_MINUTES,
  useStartSupport,
  type OperatorOrganization,
  type SupportMinutes,
} from "../api/operator";

/** 15 → "15 min", 120 → "2 h". */
export function supportLength(minutes: number): string {
  return minutes < 60 ? `${minutes} min` : `${minutes / 60} h`;
}

/** Why the reason cannot be sent, or null when it can. */
export function reasonProblem(reason: string): string | null {
  const length = Array.from(reason.trim()).length;
  if (length === 0) return "Say why you need access: it is kept in both audit logs.";
  if (length > MAX_REASON_CHARS) return `Use at most ${MAX_REASON_CHARS} characters (${length} now).`;
  return null;
}

export function SupportAccessDialog({ organization }: { organization: OperatorOrganization }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" aria-label={`Support access to ${organization.name}`} data-testid="support-organization">
          <LifeBuoyIcon /> Support access
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-lg" data-testid="support-access-dialog">
        {open ? <SupportAccessForm organization={organization} /> : null}
      </DialogContent>
    </Dialog>
  );
}

function SupportAccessForm({ organization }: { organization: OperatorOrganization }) {
  const ids = useId();
  const [reason, setReason] = useState("");
  const [minutes, setMinutes] = useState<SupportMinutes>(DEFAULT_SUPPORT_MINUTES);
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const start = useStartSupport();
  const { completeLogin } = useAuthActions();
  const navigate = useNavigate();
  const length = Array.from(reason.trim()).length;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const found = reasonProblem(reason);
    setProblem(found);
    if (found) return;
    try {
      const session = await start.mutateAsync({ id: organization.id, reason, minutes });
      // The server set the support session's cookies: from here on the dashboard acts in that organization.
      completeLogin(session);
      toast.success(`Support access to ${organization.name} for ${supportLength(minutes)}.`);
      void navigate({ to: "/" });
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };

  return (
    <form className="grid gap-4" noValidate aria-label={`Support access to ${organization.name}`} onSubmit={(event) => void submit(event)}>
      <DialogHeader>
        <DialogTitle>Support access to {organization.name}</DialogTitle>
        <DialogDescription asChild>
          <div className="grid gap-2" data-testid="support-access-explanation">
            <p>
              A new session opens inside {organization.name}: you see and do what its administrators do, except managing its users, reading
              its secrets or changing its settings.
            </p>
            <p>
              It ends by itself after the time you choose, or when you end it from the banner shown on every page meanwhile. Starting it,
              the reason and everything you do are recorded in both audit logs, yours and theirs.
            </p>
          </div>
        </DialogDescription>
      </DialogHeader>
      <FormField
        label="Reason"
        htmlFor={`${ids}-reason`}
        hint={problem ? undefined : `${length} of ${MAX_REASON_CHARS} characters`}
        error={
          problem ? (
            <p className="text-xs text-destructive" id={`${ids}-reason-error`} data-testid="support-reason-error">
              {problem}
            </p>
          ) : null
        }
      >
        <Textarea
          id={`${ids}-reason`}
          value={reason}
          autoFocus
          rows={3}
          onChange={(event) => {
            setReason(event.target.value);
            setProblem(null);
          }}
          placeholder="e.g. Ticket 4521: their alerts stopped reaching them"
          data-testid="support-reason"
          {...(problem ? { "aria-invalid": true, "aria-describedby": `${ids}-reason-error` } : {})}
        />
      </FormField>
      <div className="grid gap-1">
        <span id={`${ids}-length`} className="text-xs text-muted-foreground">
          Length
        </span>
        <div role="radiogroup" aria-labelledby={`${ids}-length`} className="flex flex-wrap gap-1" data-testid="support-length">
          {SUPPORT_MINUTES.map((option) => (
            <Button
              key={option}
              type="button"
              role="radio"
              aria-checked={option === minutes}
              variant="outline"
              size="sm"
              className={cn(option === minutes && "border-primary bg-primary/10 text-primary hover:bg-primary/15")}
              onClick={() => setMinutes(option)}
              data-testid="support-length-option"
              data-minutes={option}
            >
              {supportLength(option)}
            </Button>
          ))}
        </div>
      </div>
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="support-failure">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={start.isPending} data-testid="support-confirm">
          {start.isPending ? "Opening…" : `Start support access for ${supportLength(minutes)}`}
        </Button>
      </DialogFooter>
    </form>
  );
}
