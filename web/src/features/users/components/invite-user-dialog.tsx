//! Invites someone by email with a role: a built-in one or one of the organization's custom roles,
//! only those the signed-in user may give, and their access: the whole organization or only some
//! clients. Afterwards the same dialog says the link was emailed, or
//! shows it to copy: the server answers it only this once.
import { UserPlusIcon } from "lucide-react";
import { useId, useState } from "react";
import { ApiError, errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useCurrentUser } from "@/lib/auth";
import { useInviteUser, useRoleChoices, type LinkCreated } from "../api/users";
import { scopeProblem, scopeRequest, WHOLE_ORGANIZATION, type ScopeDraft } from "@/lib/client-scope";
import { fieldProblemFromServer } from "../password-form";
import { defaultChoice, grantableRoles, roleNoun, roleRequest } from "@/lib/roles";
import { ClientScopeField } from "@/components/client-scope-field";
import { LinkSent } from "@/components/link-sent";

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
                They choose their password with the link and join as {roleNoun(sent.invitation)}. Until then you can withdraw the invitation
                under Pending invitations.
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
  const actor = useCurrentUser().data;
  const roleList = useRoleChoices();
  const choices = grantableRoles(actor, roleList.data);
  const [email, setEmail] = useState("");
  const [picked, setPicked] = useState<string | null>(null);
  const choice = choices.find((candidate) => candidate.value === picked) ?? defaultChoice(choices);
  const [emailProblem, setEmailProblem] = useState<string | null>(null);
  const [scope, setScope] = useState<ScopeDraft>(WHOLE_ORGANIZATION);
  const [scopeFault, setScopeFault] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const invite = useInviteUser();

  const submit = async () => {
    setFailure(null);
    const address = email.trim();
    const scopeCheck = scopeProblem(scope, choice?.role);
    setScopeFault(scopeCheck);
    if (address === "") return setEmailProblem("Enter the address to invite.");
    if (!choice) return setFailure("There is no role you may give yet.");
    if (scopeCheck) return;
    const clientIds = scopeRequest(scope, choice.role);
    try {
      onSent(await invite.mutateAsync({ email: address, ...roleRequest(choice), ...(clientIds ? { client_ids: clientIds } : {}) }));
    } catch (error) {
      const placed =
        error instanceof ApiError && error.status < 500
          ? fieldProblemFromServer(error.message, { email: "email", client_ids: "client_ids" } as const)
          : null;
      if (placed?.field === "email") setEmailProblem(placed.message);
      else if (placed?.field === "client_ids") setScopeFault(placed.message);
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
      <FormField
        label="Role"
        htmlFor={`${ids}-role`}
        hint={
          roleList.isError
            ? `The roles could not be read: ${errorMessage(roleList.error)}`
            : choice
              ? choice.summary
              : roleList.isPending
                ? "Reading the roles…"
                : "Your permissions let you give no role."
        }
      >
        <Select value={choice?.value ?? ""} disabled={!choice} onValueChange={setPicked}>
          <SelectTrigger id={`${ids}-role`} className="w-full sm:w-64" data-testid="invite-role">
            <SelectValue placeholder="Choose a role" />
          </SelectTrigger>
          <SelectContent>
            {choices.map((option) => (
              <SelectItem key={option.value} value={option.value}>
                {option.label}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </FormField>
      <ClientScopeField
        value={scope}
        onChange={(next) => {
          setScope(next);
          setScopeFault(null);
        }}
        role={choice?.role}
        problem={scopeFault}
        testId="invite-scope"
      />
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="invite-failure">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={invite.isPending || !choice} data-testid="invite-submit">
          {invite.isPending ? "Inviting…" : "Invite"}
        </Button>
      </DialogFooter>
    </form>
  );
}
