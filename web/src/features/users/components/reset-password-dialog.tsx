//! Makes a one-time link (24 hours) for a user to set a new password, then shows it to copy or says
//! it was emailed. Their password keeps working until the link is used.
import { KeyRoundIcon } from "lucide-react";
import { useState } from "react";
import { errorMessage } from "@/api/errors";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { useResetPassword, type LinkCreated, type OrgUser } from "../api/users";
import { LinkSent } from "@/components/link-sent";

export function ResetPasswordDialog({ user }: { user: OrgUser }) {
  const [open, setOpen] = useState(false);
  const [sent, setSent] = useState<LinkCreated | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const reset = useResetPassword();
  const onOpenChange = (next: boolean) => {
    setOpen(next);
    setSent(null);
    setFailure(null);
  };
  const make = async () => {
    setFailure(null);
    try {
      setSent(await reset.mutateAsync(user.id));
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button
          variant="ghost"
          size="icon"
          aria-label={`Reset the password of ${user.email}`}
          title="Reset password"
          data-testid="reset-password"
        >
          <KeyRoundIcon />
        </Button>
      </DialogTrigger>
      <DialogContent
        className="sm:max-w-lg"
        data-testid="reset-password-dialog"
        onInteractOutside={(event) => {
          if (sent) event.preventDefault();
        }}
      >
        <div className="grid min-w-0 gap-4">
          <DialogHeader>
            <DialogTitle>Reset the password of {user.email}</DialogTitle>
            <DialogDescription>
              {sent
                ? "When they set a new password with the link, their sessions end."
                : "Makes a link for them to set a new password. Their current password keeps working until they use it; then their sessions end."}
            </DialogDescription>
          </DialogHeader>
          {sent ? <LinkSent sent={sent} /> : null}
          {failure ? (
            <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
              {failure}
            </p>
          ) : null}
          <DialogFooter>
            {sent ? (
              <Button type="button" onClick={() => onOpenChange(false)}>
                Done
              </Button>
            ) : (
              <Button type="button" disabled={reset.isPending} onClick={() => void make()} data-testid="make-reset-link">
                {reset.isPending ? "Making the link…" : "Make reset link"}
              </Button>
            )}
          </DialogFooter>
        </div>
      </DialogContent>
    </Dialog>
  );
}
