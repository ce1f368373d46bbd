//! A secret parameter's value taken from the credential vault: the entries of the targets' client by
//! name and kind, never a value (the list has none; the server gives the agent the value itself).
import { KeyRoundIcon } from "lucide-react";
import { ErrorMessage } from "@/components/error-message";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { kindLabel } from "@/lib/vault-kinds";
import { useTargetVaultEntries } from "../api/scripts";

/** Entries of `clientId`'s vault; `value` is the picked entry's id ("" for none). */
export function VaultEntryPicker({
  id,
  parameter,
  clientId,
  value,
  onChange,
  invalid,
}: {
  id: string;
  parameter: string;
  clientId: string | null;
  value: string;
  onChange: (entryId: string) => void;
  invalid?: boolean;
}) {
  const entries = useTargetVaultEntries(clientId);
  if (entries.isError) return <ErrorMessage error={entries.error} />;
  const items = entries.data?.items ?? [];
  const placeholder =
    clientId === null
      ? "Pick where to run first"
      : entries.isPending
        ? "Loading the vault…"
        : items.length === 0
          ? "This client's vault is empty"
          : "Pick an entry";
  return (
    <Select
      value={items.some((entry) => entry.id === value) ? value : ""}
      disabled={clientId === null || items.length === 0}
      onValueChange={onChange}
    >
      <SelectTrigger
        id={id}
        className="w-full text-xs"
        aria-label={`${parameter} from the vault`}
        aria-invalid={invalid || undefined}
        data-testid={`run-parameter-vault-${parameter}`}
      >
        <SelectValue placeholder={placeholder} />
      </SelectTrigger>
      <SelectContent>
        {items.map((entry) => (
          <SelectItem key={entry.id} value={entry.id} data-testid="run-vault-entry">
            <KeyRoundIcon className="size-3.5 text-muted-foreground" aria-hidden /> {entry.name}{" "}
            <span className="text-muted-foreground">({kindLabel(entry.kind)})</span>
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}

/** Whether a secret parameter is typed in or taken from the vault. */
export function SecretSourceSwitch({
  parameter,
  fromVault,
  onChange,
}: {
  parameter: string;
  fromVault: boolean;
  onChange: (fromVault: boolean) => void;
}) {
  return (
    <div role="radiogroup" aria-label={`Where ${parameter} comes from`} className="inline-flex w-fit rounded-md border p-0.5 text-[11px]">
      {[
        { vault: false, label: "Type a value" },
        { vault: true, label: "From the vault" },
      ].map((option) => (
        <button
          key={option.label}
          type="button"
          role="radio"
          aria-checked={fromVault === option.vault}
          data-testid={`run-parameter-source-${parameter}-${option.vault ? "vault" : "typed"}`}
          className={
            fromVault === option.vault
              ? "rounded bg-accent px-2 py-0.5 font-medium text-foreground"
              : "rounded px-2 py-0.5 text-muted-foreground hover:text-foreground"
          }
          onClick={() => onChange(option.vault)}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}
