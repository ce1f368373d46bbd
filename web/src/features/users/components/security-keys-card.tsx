//! The signed-in user's security keys and passkeys on their account page: the list (name, when added,
//! when last used), adding one (a name, then the browser's prompt) and removing one with the password.
//! Either change signs the user out everywhere else. A page that cannot use keys (an IP address, no
//! https, an old browser) says why instead of offering to add one.
import { KeySquareIcon, PlusIcon, Trash2Icon } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { RelativeTime } from "@/components/relative-time";
import { SectionCard } from "@/components/section-card";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useCurrentUser } from "@/lib/auth";
import { webauthnFailureMessage, webauthnUnavailableReason } from "@/lib/webauthn";
import { useAddSecurityKey, useRemoveSecurityKey, useSecurityKeys, type SecurityKey } from "../api/security-keys";
import { fieldProblemFromServer } from "../password-form";
import { usePasswordProof } from "../use-password-proof";
import { PasswordInput } from "./password-input";

/** The server's longest key name. */
export const MAX_KEY_NAME_CHARS = 60;

/** What the page says when the browser's part of adding a key failed, or the server's message. */
function addFailure(error: unknown): string {
  return error instanceof ApiError ? error.message : webauthnFailureMessage(error, "register");
}

function Failure({ message, testId }: { message: string | null; testId: string }) {
  return message ? (
    <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid={testId}>
      {message}
    </p>
  ) : null;
}

export function SecurityKeysCard() {
  const keys = useSecurityKeys();
  // Read once: where the page is open does not change while it is.
  const [unavailable] = useState(() => webauthnUnavailableReason());
  const items = keys.data?.items;
  return (
    <SectionCard
      title={
        <>
          <KeySquareIcon className="size-4" aria-hidden /> Security keys and passkeys
        </>
      }
      description="Sign in with a security key (such as a YubiKey) or a passkey on your computer or phone instead of a code from an app. Adding or removing one signs you out everywhere else."
      data-testid="security-keys-card"
      actions={unavailable ? null : <AddSecurityKey />}
    >
      <div className="grid gap-3">
        {unavailable ? (
          <p className="rounded-md bg-warning/10 px-3 py-2 text-sm" role="note" data-testid="security-keys-unavailable">
            {unavailable}
          </p>
        ) : null}
        {keys.isPending ? (
          <Skeleton className="h-12 w-full" />
        ) : keys.isError ? (
          <Failure message={errorMessage(keys.error)} testId="security-keys-error" />
        ) : items && items.length > 0 ? (
          <ul className="grid divide-y rounded-md border" data-testid="security-keys">
            {items.map((key) => (
              <SecurityKeyRow key={key.id} securityKey={key} />
            ))}
          </ul>
        ) : (
          <p className="text-sm text-muted-foreground" data-testid="security-keys-empty">
            No security key yet.
          </p>
        )}
      </div>
    </SectionCard>
  );
}

function SecurityKeyRow({ securityKey }: { securityKey: SecurityKey }) {
  return (
    <li className="flex items-center gap-3 px-3 py-2" data-testid="security-key" data-name={securityKey.name}>
      <div className="grid min-w-0 flex-1 gap-0.5">
        <span className="truncate text-sm font-medium" data-testid="security-key-name" title={securityKey.name}>
          {securityKey.name}
        </span>
        <span className="text-xs text-muted-foreground">
          Added <RelativeTime value={securityKey.created_at} /> ·{" "}
          {securityKey.last_used_at ? (
            <>
              last used <RelativeTime value={securityKey.last_used_at} />
            </>
          ) : (
            "not used yet"
          )}
        </span>
      </div>
      <RemoveSecurityKey securityKey={securityKey} />
    </li>
  );
}

function AddSecurityKey() {
  const ids = useId();
  const add = useAddSecurityKey();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const onOpenChange = (next: boolean) => {
    // Closing while the browser waits for the key would hide its outcome; the prompt has its own cancel.
    if (!next && add.isPending) return;
    setOpen(next);
    setName("");
    setProblem(null);
    setFailure(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const trimmed = name.trim();
    if (!trimmed) {
      setProblem("Give the key a name, so you can tell your keys apart.");
      return;
    }
    try {
      const added = await add.mutateAsync(trimmed);
      toast.success(`Security key “${added.name}” added. Your other sessions were signed out.`);
      setOpen(false);
    } catch (error) {
      const placed = error instanceof ApiError && error.status === 422 ? fieldProblemFromServer(error.message, { name: "name" }) : null;
      if (placed) setProblem(placed.message);
      else setFailure(addFailure(error));
    }
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" data-testid="security-key-add">
          <PlusIcon /> Add a security key
        </Button>
      </DialogTrigger>
      <DialogContent data-testid="security-key-add-dialog">
        <form className="grid gap-4" noValidate onSubmit={(event) => void submit(event)}>
          <DialogHeader>
            <DialogTitle>Add a security key or passkey</DialogTitle>
            <DialogDescription>
              Name the key, then follow your browser: touch the key, or confirm with your fingerprint, face or PIN. Your other sessions are
              signed out.
            </DialogDescription>
          </DialogHeader>
          <FormField
            label="Name of the key"
            htmlFor={`${ids}-name`}
            hint="For example “YubiKey 5C” or “Work laptop”."
            error={
              problem ? (
                <p className="text-xs text-destructive" id={`${ids}-name-error`} data-testid="security-key-name-error">
                  {problem}
                </p>
              ) : null
            }
          >
            <Input
              id={`${ids}-name`}
              autoFocus
              maxLength={MAX_KEY_NAME_CHARS}
              value={name}
              disabled={add.isPending}
              onChange={(event) => {
                setName(event.target.value);
                setProblem(null);
              }}
              data-testid="security-key-name-input"
              {...(problem ? { "aria-invalid": true, "aria-describedby": `${ids}-name-error` } : {})}
            />
          </FormField>
          {add.isPending ? (
            <p role="status" className="text-sm text-muted-foreground" data-testid="security-key-waiting">
              Waiting for your key: follow your browser’s prompt.
            </p>
          ) : null}
          <Failure message={failure} testId="security-key-add-failure" />
          <DialogFooter>
            <Button type="button" variant="outline" disabled={add.isPending} onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={add.isPending} data-testid="security-key-add-submit">
              {add.isPending ? "Waiting for the key…" : failure ? "Try again" : "Add the key"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

function RemoveSecurityKey({ securityKey }: { securityKey: SecurityKey }) {
  const ids = useId();
  const email = useCurrentUser().data?.email ?? "";
  const remove = useRemoveSecurityKey();
  const [open, setOpen] = useState(false);
  const { password, setPassword, problem, failure, reset, submit } = usePasswordProof(async (typed) => {
    await remove.mutateAsync({ id: securityKey.id, password: typed });
    toast.success(`Security key “${securityKey.name}” removed. Your other sessions were signed out.`);
    setOpen(false);
  });

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    reset();
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="ghost" size="icon" aria-label={`Remove ${securityKey.name}`} title="Remove" data-testid="security-key-remove">
          <Trash2Icon />
        </Button>
      </DialogTrigger>
      <DialogContent data-testid="security-key-remove-dialog">
        <form className="grid gap-4" noValidate onSubmit={(event) => void submit(event)}>
          <DialogHeader>
            <DialogTitle>Remove “{securityKey.name}”?</DialogTitle>
            <DialogDescription>Signing in no longer accepts this key, and your other sessions are signed out.</DialogDescription>
          </DialogHeader>
          <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
          <PasswordInput
            id={`${ids}-password`}
            label="Your password"
            value={password}
            onChange={setPassword}
            error={problem ?? undefined}
            autoComplete="current-password"
            autoFocus
            testId="security-key-password"
          />
          <Failure message={failure} testId="security-key-remove-failure" />
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" variant="destructive" disabled={remove.isPending} data-testid="security-key-remove-submit">
              {remove.isPending ? "Removing…" : "Remove the key"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
