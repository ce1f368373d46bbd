//! Invites someone by email with a role. Afterwards the same dialog says the link was emailed, or
//! shows it to copy: the server answers it only this once.
import { UserPlusIcon } from "lucide-react";
import { useId, useState } from "react";
import { ApiError, errorMessage } from "@/api/errors";
import type { Role } from "@/api/types";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useCurrentUser } from "@/lib/auth";
import { useInviteUser, type LinkCreated } from "../api/users";
import { fieldProblemFromServer } from "../password-form";
import { grantableRoles, ROLE_LABELS, ROLE_NOUNS, ROLE_SUMMARIES } from "../roles";
import { LinkSent } from "./link-sent";

export function InviteUserDialog() {
  const [open, setOpen] = useState(false);
  // The link lives only here, until the dialog closes: the server never answers it again.
  const [sent, setSent] = useState<LinkCreated | null>(null);
  const onOpenChange = (next: boolean) => {
    setOpen(next);
    setSent(null);
  };
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button data-testid="invite-user-button">
          <UserPlusIcon /> Invite user
        </Button>
      </DialogTrigger>
      <DialogContent
        className="sm:max-w-lg"
        data-testid="invite-user-dialog"
        // A stray click beside the dialog must not throw away a link that is shown only once.
        onInteractOutside={(event) => {
          if (sent) event.preventDefault();
        }}
      >
        {!open ? null : sent ? (
          <div className="grid min-w-0 gap-4" data-testid="invitation-sent">
            <DialogHeader>
              <DialogTitle>{sent.invitation.email} is invited</DialogTitle>
              <DialogDescription>
                They choose their password with the link and join as {ROLE_NOUNS[sent.invitation.role]}. Until then you can withdraw the
                invitation under Pending invitations.
              </DialogDescription>
            </DialogHeader>
            <LinkSent sent={sent} />
            <DialogFooter>
              <Button type="button" onClick={() => onOpenChange(false)} data-testid="invitation-done">
                Done
              </Button>
            </DialogFooter>
          </div>
        ) : (
          <InviteForm onSent={setSent} />
        )}
      </DialogContent>
    </Dialog>
  );
}

function InviteForm({ onSent }: { onSent: (sent: LinkCreated) => void }) {
  const ids = useId();
  const actorRole = useCurrentUser().data?.role;
  const roles = grantableRoles(actorRole);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("technician");
  const [emailProblem, setEmailProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const invite = useInviteUser();

  const submit = async () => {
    setFailure(null);
    const address = email.trim();
    if (address === "") return setEmailProblem("Enter the address to invite.");
    try {
      onSent(await invite.mutateAsync({ email: address, role }));
    } catch (error) {
      const placed = error instanceof ApiError && error.status < 500 ? fieldProblemFromServer(error.message, { email: "email" }) : null;
      if (placed) setEmailProblem(placed.message);
      else setFailure(errorMessage(error));
    }
  };

  return (
    <form
      className="grid gap-4"
      noValidate
      aria-label="Invite user"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <DialogHeader>
        <DialogTitle>Invite a user</DialogTitle>
        <DialogDescription>
          They get a link to choose their password, which works once for 72 hours. It is emailed when the server has a mail server, else
          shown here for you to pass on.
        </DialogDescription>
      </DialogHeader>
      <FormField
        label="Email"
        htmlFor={`${ids}-email`}
        error={
          emailProblem ? (
            <p className="text-xs text-destructive" id={`${ids}-email-error`} data-testid="invite-email-error">
              {emailProblem}
            </p>
          ) : null
        }
      >
        <Input
          id={`${ids}-email`}
          type="email"
          autoComplete="off"
          autoFocus
          value={email}
          onChange={(event) => {
            setEmail(event.target.value);
            setEmailProblem(null);
          }}
          placeholder="name@example.com"
          data-testid="invite-email"
          {...(emailProblem ? { "aria-invalid": true, "aria-describedby": `${ids}-email-error` } : {})}
        />
      </FormField>
      <FormField label="Role" htmlFor={`${ids}-role`} hint={ROLE_SUMMARIES[role]}>
        <Select value={role} onValueChange={(next) => setRole(next as Role)}>
          <SelectTrigger id={`${ids}-role`} className="w-full sm:w-56" data-testid="invite-role">
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {roles.map((option) => (
              <SelectItem key={option} value={option}>
                {ROLE_LABELS[option]}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </FormField>
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="invite-failure">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={invite.isPending} data-testid="invite-submit">
          {invite.isPending ? "Inviting…" : "Invite"}
        </Button>
      </DialogFooter>
    </form>
  );
}
