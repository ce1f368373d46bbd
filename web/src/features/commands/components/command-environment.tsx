//! A command's environment as `NAME=value` chips; a value hidden from this user (the server answered
//! `********`) shows as a lock and "hidden", never as the placeholder; a variable taken from the vault
//! shows the entry it comes from.
import type { Command } from "@/api/types";
import { VaultReferenceValue } from "@/components/vault-reference";
import { HIDDEN_VALUE } from "@/lib/env-lines";
import { cn } from "@/lib/utils";
import { HiddenValue } from "./hidden-value";

export function CommandEnvironment({
  command,
  className,
}: {
  command: Pick<Command, "env" | "secrets_hidden" | "vault_env">;
  className?: string;
}) {
  const entries = Object.entries(command.env);
  const fromVault = Object.entries(command.vault_env);
  if (entries.length === 0 && fromVault.length === 0) return null;
  return (
    <div className={cn("flex min-w-0 flex-wrap items-center gap-1.5 text-xs", className)} data-testid="command-env">
      <span className="text-muted-foreground">Environment</span>
      {entries.map(([name, value]) => (
        <code key={name} className="rounded bg-muted px-1.5 py-0.5 font-mono break-all" data-testid="command-env-var" data-name={name}>
          {name}={command.secrets_hidden && value === HIDDEN_VALUE ? <HiddenValue className="font-sans" /> : value}
        </code>
      ))}
      {fromVault.map(([name, reference]) => (
        <code key={name} className="rounded bg-muted px-1.5 py-0.5 font-mono break-all" data-testid="command-env-var" data-name={name}>
          {name}=<VaultReferenceValue entryName={reference.entry_name} />
        </code>
      ))}
    </div>
  );
}
