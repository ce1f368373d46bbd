import { useState, type FormEvent, type ReactNode } from "react";
import { errorMessage } from "@/api/errors";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

/** The create and rename dialog for anything that is just a name (clients, sites, registry keys). */
export function NameDialog({
  trigger,
  title,
  description,
  label,
  initialName = "",
  submitLabel,
  maxLength = 200,
  validate,
  onSubmit,
}: {
  trigger: ReactNode;
  title: string;
  description?: string;
  label: string;
  initialName?: string;
  submitLabel: string;
  maxLength?: number;
  /** Why the trimmed name cannot be used (beyond being empty), or null; nothing is submitted then. */
  validate?: (name: string) => string | null;
  onSubmit: (name: string) => Promise<unknown>;
}) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(initialName);
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setFailure("The name cannot be empty.");
      return;
    }
    const problem = validate?.(trimmed) ?? null;
    if (problem) {
      setFailure(problem);
      return;
    }
    setPending(true);
    setFailure(null);
    try {
      await onSubmit(trimmed);
      setOpen(false);
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setPending(false);
    }
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) {
          setName(initialName);
          setFailure(null);
        }
      }}
    >
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent>
        <form onSubmit={(event) => void submit(event)} className="grid gap-4">
          <DialogHeader>
            <DialogTitle>{title}</DialogTitle>
            {description ? (
              <DialogDescription>{description}</DialogDescription>
            ) : (
              <DialogDescription className="sr-only">{title}</DialogDescription>
            )}
          </DialogHeader>
          <div className="grid gap-1.5">
            <Label htmlFor="name-dialog-input">{label}</Label>
            <Input
              id="name-dialog-input"
              autoFocus
              value={name}
              maxLength={maxLength}
              onChange={(event) => setName(event.target.value)}
              aria-invalid={failure !== null}
            />
            {failure ? (
              <p role="alert" className="text-sm text-destructive">
                {failure}
              </p>
            ) : null}
          </div>
          <DialogFooter>
            <Button type="submit" disabled={pending}>
              {pending ? "Saving…" : submitLabel}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
