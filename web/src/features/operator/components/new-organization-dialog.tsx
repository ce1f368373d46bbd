//! Makes an organization with its first owner: a name (unique on the server without regard to case)
//! and the owner's email. Afterwards the same dialog says the owner's invitation was emailed, or shows
//! its one-time link to copy: the server answers it only this once.
import { PlusIcon } from "lucide-react";
import { useId, useState } from "react";
import { ApiError, errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { MAX_ORGANIZATION_NAME_CHARS, useCreateOrganization, type OrganizationCreated } from "../api/operator";
import { LinkSent } from "@/components/link-sent";

type Field = "name" | "email";

/** The server's "name: …" or "email: …" refusal, as the field's sentence; null for anything else. */
export function fieldProblem(message: string): { field: Field; message: string } | null {
  const match = /^(name|email|owner_email): (.+)$/s.exec(message);
  if (!match) return null;
  const text = match[2] ?? "";
  return { field: match[1] === "name" ? "name" : "email", message: text.charAt(0).toUpperCase() + text.slice(1) };
}

export function NewOrganizationDialog() {
  const [open, setOpen] = useState(false);
  // The link lives only here, until the dialog closes: the server never answers it again.
  const [created, setCreated] = useState<OrganizationCreated | null>(null);
  const onOpenChange = (next: boolean) => {
    setOpen(next);
    setCreated(null);
  };
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button data-testid="new-organization-button">
          <PlusIcon /> New organization
        </Button>
      </DialogTrigger>
      <DialogContent
        className="sm:max-w-lg"
        data-testid="new-organization-dialog"
        // A stray click beside the dialog must not throw away a link that is shown only once.
        onInteractOutside={(event) => {
          if (created) event.preventDefault();
        }}
      >
        {!open ? null : created ? (
          <div className="grid min-w-0 gap-4" data-testid="organization-created">
            <DialogHeader>
              <DialogTitle>{created.organization.name} is ready</DialogTitle>
              <DialogDescription>
                {created.owner_invitation.invitation.email} is invited as its owner: they choose their password with the link, then invite
                their own users.
              </DialogDescription>
            </DialogHeader>
            <LinkSent sent={created.owner_invitation} what="invitation" />
            <DialogFooter>
              <Button type="button" onClick={() => onOpenChange(false)} data-testid="organization-created-done">
                Done
              </Button>
            </DialogFooter>
          </div>
        ) : (
          <NewOrganizationForm onCreated={setCreated} />
        )}
      </DialogContent>
    </Dialog>
  );
}

function NewOrganizationForm({ onCreated }: { onCreated: (created: OrganizationCreated) => void }) {
  const ids = useId();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const create = useCreateOrganization();

  const submit = async () => {
    setFailure(null);
    const wanted = { name: name.trim(), owner_email: email.trim() };
    const found: Partial<Record<Field, string>> = {};
    if (wanted.name === "") found.name = "Give the organization a name.";
    else if (Array.from(wanted.name).length > MAX_ORGANIZATION_NAME_CHARS)
      found.name = `Use at most ${MAX_ORGANIZATION_NAME_CHARS} characters.`;
    if (wanted.owner_email === "") found.email = "Enter the email address of its first owner.";
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    try {
      onCreated(await create.mutateAsync(wanted));
    } catch (error) {
      // 409 (the name is taken) and 422 (a refused name or address) name their field.
      const placed = error instanceof ApiError && error.status < 500 ? fieldProblem(error.message) : null;
      if (placed) setProblems({ [placed.field]: placed.message });
      else setFailure(errorMessage(error));
    }
  };

  const fieldError = (field: Field) =>
    problems[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`new-organization-${field}-error`}>
        {problems[field]}
      </p>
    ) : null;
  const invalid = (field: Field) => (problems[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {});

  return (
    <form
      className="grid gap-4"
      noValidate
      aria-label="New organization"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <DialogHeader>
        <DialogTitle>New organization</DialogTitle>
        <DialogDescription>
          An organization of its own on this server, with its first owner. They get a link to choose their password, which works once for 72
          hours: emailed when the server has a mail server, else shown here for you to pass on.
        </DialogDescription>
      </DialogHeader>
      <FormField label="Name" htmlFor={`${ids}-name`} error={fieldError("name")}>
        <Input
          id={`${ids}-name`}
          autoComplete="off"
          autoFocus
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            setProblems((current) => ({ ...current, name: undefined }));
          }}
          placeholder="Example MSP"
          data-testid="new-organization-name"
          {...invalid("name")}
        />
      </FormField>
      <FormField label="First owner's email" htmlFor={`${ids}-email`} error={fieldError("email")}>
        <Input
          id={`${ids}-email`}
          type="email"
          autoComplete="off"
          value={email}
          onChange={(event) => {
            setEmail(event.target.value);
            setProblems((current) => ({ ...current, email: undefined }));
          }}
          placeholder="owner@example.com"
          data-testid="new-organization-email"
          {...invalid("email")}
        />
      </FormField>
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="new-organization-failure">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={create.isPending} data-testid="new-organization-submit">
          {create.isPending ? "Creating…" : "Create"}
        </Button>
      </DialogFooter>
    </form>
  );
}
