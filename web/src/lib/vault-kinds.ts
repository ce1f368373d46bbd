//! The kinds of a credential vault entry and their names, shared by the vault card and the run
//! dialog's picker of entries.

export const VAULT_KINDS = ["password", "ssh_key", "api_token", "note", "totp_seed"] as const;
export type VaultKind = (typeof VAULT_KINDS)[number];

export const VAULT_KIND_LABELS: Record<VaultKind, string> = {
  password: "Password",
  ssh_key: "SSH key",
  api_token: "API token",
  note: "Secure note",
  totp_seed: "TOTP seed",
};

export function kindLabel(kind: string): string {
  return (VAULT_KIND_LABELS as Record<string, string>)[kind] ?? kind;
}
