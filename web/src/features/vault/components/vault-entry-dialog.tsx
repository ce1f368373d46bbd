import { EyeIcon, EyeOffIcon, PencilIcon, PlusIcon } from "lucide-react";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import {
  useCreateVaultEntry,
  useUpdateVaultEntry,
  useVaultSites,
  VAULT_KIND_LABELS,
  VAULT_KINDS,
  type VaultEntry,
  type VaultEntryRequest,
} from "../api/vault";

const FIELDS = ["name", "kind", "username", "url", "notes", "site_id", "secret"] as const;
type Field = (typeof FIELDS)[number];

interface FormValues {
  name: string;
  kind: string;
  username: string;
  url: string;
  notes: string;
  site_id: string;
  secret: string;
}

function initialValues(entry?: VaultEntry): FormValues {
  return {
    name: entry?.name ?? "",
    kind: entry?.kind ?? "password",
    username: entry?.username ?? "",
    url: entry?.url ?? "",
    notes: entry?.notes ?? "",
    site_id: entry?.site_id ?? "",
    secret: "",
  };
}

/** The server's 422 names the field first (`secret: 1 to 16384 bytes…`): shown under that field. */
export function fieldOfError(error: unknown): { field: Field; message: string } | null {
  if (!(error instanceof ApiError) || error.status !== 422) return null;
  const match = /^([a-z_]+): (.*)$/s.exec(error.message);
  if (!match) return null;
  const field = FIELDS.find((candidate) => candidate === match[1]);
  return field ? { field, message: match[2] ?? "" } : null;
}

const selectClass =
  "h-9 w-full rounded-md border border-input bg-transparent px-3 py-1 text-sm shadow-xs focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/50 outline-none";

/** Adds an entry to the client's vault, or (given `entry`) changes one; an empty secret keeps the stored value. */
export function VaultEntryDialog({ clientId, entry }: { clientId: string; entry?: VaultEntry }) {
  const editing = entry !== undefined;
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<FormValues>(() => initialValues(entry));
  const [fieldError, setFieldError] = useState<{ field: Field; message: string } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [shown, setShown] = useState(false);
  const create = useCreateVaultEntry(clientId);
  const update = useUpdateVaultEntry(clientId);
  const sites = useVaultSites(clientId, open);
  const pending = create.isPending || update.isPending;
  const id = useId();

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    // The typed secret is dropped either way: it never outlives the dialog.
    setValues(initialValues(entry));
    setFieldError(null);
    setFailure(null);
    setShown(false);
  };

  const set = (field: Field) => (event: { target: { value: string } }) => setValues((old) => ({ ...old, [field]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFieldError(null);
    setFailure(null);
    const body: VaultEntryRequest = {
      name: values.name,
      kind: values.kind,
      username: values.username.trim() || null,
      url: values.url.trim() || null,
      notes: values.notes,
      site_id: values.site_id || null,
    };
    if (values.secret !== "") body.secret = values.secret;
    else if (!editing) {
      setFieldError({ field: "secret", message: "the value to keep is required" });
      return;
    }
    try {
      if (entry) await update.mutateAsync({ id: entry.id, body });
      else await create.mutateAsync(body);
      onOpenChange(false);
    } catch (error) {
      const field = fieldOfError(error);
      if (field) setFieldError(field);
      else setFailure(errorMessage(error));
    }
  };

  const errorOf = (field: Field): ReactNode =>
    fieldError?.field === field ? (
      <p role="alert" className="text-xs text-destructive" data-testid={`vault-error-${field}`}>
        {field}: {fieldError.message}
      </p>
    ) : null;

  const multiline = values.kind === "ssh_key" || values.kind === "note";

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        {editing ? (
          <Button variant="outline" size="sm" aria-label={`Edit ${entry.name}`} data-testid="edit-vault-entry-button">
            <PencilIcon /> Edit
          </Button>
        ) : (
          <Button size="sm" data-testid="add-vault-entry-button">
            <PlusIcon /> Add entry
          </Button>
        )}
      </DialogTrigger>
      <DialogContent className="sm:max-w-lg">
        <form onSubmit={(event) => void submit(event)} className="grid gap-3" data-testid="vault-entry-form">
          <DialogHeader>
            <DialogTitle>{editing ? `Edit "${entry.name}"` : "Add a vault entry"}</DialogTitle>
            <DialogDescription>
              The name, username, URL and notes are not secret: everyone who can see this client sees them. The value is encrypted and shown
              only to users allowed to see secrets, after they confirm who they are.
            </DialogDescription>
          </DialogHeader>
          <FormField label="Name" htmlFor={`${id}-name`} error={errorOf("name")}>
            <Input id={`${id}-name`} value={values.name} onChange={set("name")} maxLength={120} required autoComplete="off" />
          </FormField>
          <div className="grid gap-3 sm:grid-cols-2">
            <FormField label="Kind" htmlFor={`${id}-kind`} error={errorOf("kind")}>
              <select id={`${id}-kind`} className={selectClass} value={values.kind} onChange={set("kind")}>
                {VAULT_KINDS.map((kind) => (
                  <option key={kind} value={kind}>
                    {VAULT_KIND_LABELS[kind]}
                  </option>
                ))}
              </select>
            </FormField>
            <FormField label="Site (optional)" htmlFor={`${id}-site`} error={errorOf("site_id")}>
              <select id={`${id}-site`} className={selectClass} value={values.site_id} onChange={set("site_id")}>
                <option value="">The whole client</option>
                {values.site_id && !sites.data?.items.some((site) => site.id === values.site_id) ? (
                  <option value={values.site_id}>Current site</option>
                ) : null}
                {(sites.data?.items ?? []).map((site) => (
                  <option key={site.id} value={site.id}>
                    {site.name}
                  </option>
                ))}
              </select>
            </FormField>
          </div>
          <div className="grid gap-3 sm:grid-cols-2">
            <FormField label="Username" htmlFor={`${id}-username`} error={errorOf("username")}>
              <Input id={`${id}-username`} value={values.username} onChange={set("username")} autoComplete="off" />
            </FormField>
            <FormField label="URL" htmlFor={`${id}-url`} error={errorOf("url")}>
              <Input id={`${id}-url`} value={values.url} onChange={set("url")} autoComplete="off" placeholder="https://" />
            </FormField>
          </div>
          <FormField label="Notes" htmlFor={`${id}-notes`} error={errorOf("notes")}>
            <Textarea id={`${id}-notes`} value={values.notes} onChange={set("notes")} rows={2} maxLength={2000} />
          </FormField>
          <FormField
            label="Secret"
            htmlFor={`${id}-secret`}
            hint={editing ? "Leave empty to keep the stored value." : "At most 16 KiB."}
            error={errorOf("secret")}
          >
            {multiline ? (
              <Textarea
                id={`${id}-secret`}
                value={values.secret}
                onChange={set("secret")}
                rows={5}
                className="font-mono text-xs"
                spellCheck={false}
                autoComplete="off"
                placeholder={editing ? "(unchanged)" : undefined}
              />
            ) : (
              <div className="flex gap-2">
                <Input
                  id={`${id}-secret`}
                  type={shown ? "text" : "password"}
                  value={values.secret}
                  onChange={set("secret")}
                  className="font-mono"
                  autoComplete="new-password"
                  spellCheck={false}
                  placeholder={editing ? "(unchanged)" : undefined}
                />
                <Button
                  type="button"
                  variant="outline"
                  size="icon"
                  aria-label={shown ? "Hide the secret" : "Show the secret"}
                  onClick={() => setShown((old) => !old)}
                >
                  {shown ? <EyeOffIcon /> : <EyeIcon />}
                </Button>
              </div>
            )}
          </FormField>
          {failure ? (
            <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
              {failure}
            </p>
          ) : null}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => onOpenChange(false)} disabled={pending}>
              Cancel
            </Button>
            <Button type="submit" disabled={pending} data-testid="save-vault-entry-button">
              {pending ? "Saving…" : editing ? "Save" : "Add entry"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
