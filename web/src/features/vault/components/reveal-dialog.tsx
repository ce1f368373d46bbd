import { EyeIcon } from "lucide-react";
import { useEffect, useId, useState, type FormEvent } from "react";
import { errorMessage } from "@/api/errors";
import { CopyButton } from "@/components/copy-button";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { useCurrentUser } from "@/lib/auth";
import { revealVaultEntry, useHasAuthenticatorApp, type VaultEntry } from "../api/vault";

/** How long a revealed value stays on screen. */
export const REVEAL_SECONDS = 30;

/**
 * Shows an entry's value after the user proves who they are again (their password, or a code of their
 * authenticator app). The value lives only in this dialog's state: it is dropped after
 * {@link REVEAL_SECONDS} seconds or when the dialog closes.
 */
export function RevealDialog({ entry }: { entry: VaultEntry }) {
  const user = useCurrentUser();
  const [open, setOpen] = useState(false);
  const secondFactor = user.data?.second_factor ?? false;
  // A second factor may be security keys only, whose answer a reveal does not take.
  const app = useHasAuthenticatorApp(open && secondFactor);
  const hasApp = secondFactor && app.data === true;
  const [method, setMethod] = useState<"password" | "totp">("password");
  const [proof, setProof] = useState("");
  const [failure, setFailure] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [left, setLeft] = useState(REVEAL_SECONDS);
  const id = useId();

  useEffect(() => {
    if (secret === null) return;
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = REVEAL_SECONDS - Math.floor((Date.now() - started) / 1000);
      if (remaining <= 0) {
        setSecret(null);
        setLeft(REVEAL_SECONDS);
      } else setLeft(remaining);
    }, 250);
    return () => clearInterval(timer);
  }, [secret]);

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    setSecret(null);
    setProof("");
    setFailure(null);
    setMethod("password");
    setLeft(REVEAL_SECONDS);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setFailure(null);
    try {
      const value = await revealVaultEntry(entry.id, method === "password" ? { password: proof } : { totp: proof.trim() });
      setSecret(value);
      setLeft(REVEAL_SECONDS);
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setProof("");
      setPending(false);
    }
  };

  const multiline = secret !== null && (secret.includes("\n") || entry.kind === "ssh_key" || entry.kind === "note");

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" aria-label={`Reveal ${entry.name}`} data-testid="reveal-vault-entry-button">
          <EyeIcon /> Reveal
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-lg">
        <DialogHeader>
          <DialogTitle>Reveal &quot;{entry.name}&quot;</DialogTitle>
          <DialogDescription>
            {secret === null
              ? "Confirm who you are to see the value. Every reveal is recorded in the audit log."
              : `Hidden again in ${left} second${left === 1 ? "" : "s"} or when you close this dialog.`}
          </DialogDescription>
        </DialogHeader>
        {secret === null ? (
          <form onSubmit={(event) => void submit(event)} className="grid gap-3" data-testid="reveal-form">
            {hasApp ? (
              <div className="flex gap-2 text-sm" role="radiogroup" aria-label="Confirm with">
                <Button
                  type="button"
                  size="sm"
                  variant={method === "password" ? "default" : "outline"}
                  role="radio"
                  aria-checked={method === "password"}
                  onClick={() => {
                    setMethod("password");
                    setProof("");
                  }}
                >
                  Password
                </Button>
                <Button
                  type="button"
                  size="sm"
                  variant={method === "totp" ? "default" : "outline"}
                  role="radio"
                  aria-checked={method === "totp"}
                  onClick={() => {
                    setMethod("totp");
                    setProof("");
                  }}
                >
                  Authenticator code
                </Button>
              </div>
            ) : null}
            {method === "password" ? (
              <FormField label="Your password" htmlFor={`${id}-password`}>
                <Input
                  id={`${id}-password`}
                  type="password"
                  autoComplete="current-password"
                  value={proof}
                  onChange={(event) => setProof(event.target.value)}
                  required
                  autoFocus
                />
              </FormField>
            ) : (
              <FormField label="A code of your authenticator app" htmlFor={`${id}-totp`}>
                <Input
                  id={`${id}-totp`}
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  value={proof}
                  onChange={(event) => setProof(event.target.value)}
                  required
                  autoFocus
                />
              </FormField>
            )}
            {failure ? (
              <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="reveal-error">
                {failure}
              </p>
            ) : null}
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => onOpenChange(false)} disabled={pending}>
                Cancel
              </Button>
              <Button type="submit" disabled={pending || proof === ""} data-testid="confirm-reveal-button">
                {pending ? "Checking…" : "Reveal"}
              </Button>
            </DialogFooter>
          </form>
        ) : (
          <div className="grid gap-3">
            {multiline ? (
              <Textarea
                readOnly
                value={secret}
                rows={6}
                className="font-mono text-xs"
                aria-label="Value"
                data-testid="revealed-secret"
                spellCheck={false}
              />
            ) : (
              <Input readOnly value={secret} className="font-mono" aria-label="Value" data-testid="revealed-secret" spellCheck={false} />
            )}
            <DialogFooter>
              <CopyButton text={secret} />
              <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
                Close
              </Button>
            </DialogFooter>
          </div>
        )}
      </DialogContent>
    </Dialog>
  );
}
