//! A value taken from the credential vault, shown as the entry it came from ("vault: Domain admin"),
//! never as the value: commands and jobs keep only the reference.
import { KeyRoundIcon } from "lucide-react";
import { cn } from "@/lib/utils";

export function VaultReferenceValue({ entryName, className }: { entryName: string; className?: string }) {
  return (
    <span
      className={cn("inline-flex items-center gap-1 font-sans text-muted-foreground", className)}
      title="The agent gets this vault entry's value when the command is sent to it; it is never stored with the command."
      data-testid="vault-reference"
    >
      <KeyRoundIcon className="size-3 shrink-0" aria-hidden />
      vault: {entryName}
    </span>
  );
}
