//! Makes an API key: a name, the permissions it may use (only the caller's own are offered) and when
//! it expires. Afterwards the same dialog shows the key to copy: the server answers it only this once.
import { KeyRoundIcon, PlusIcon, TriangleAlertIcon } from "lucide-react";
import { useId, useState } from "react";
import { ApiError, errorMessage } from "@/api/errors";
import type { Permission } from "@/api/types";
import { CopyButton } from "@/components/copy-button";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useCurrentUser } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { useCreateApiKey, type ApiKeyCreated } from "../api/api-keys";
import {
  apiKeyFieldProblem,
  apiKeyRequestFrom,
  EXPIRY_LABELS,
  localDay,
  MAX_LIFETIME_DAYS,
  PERMISSION_LABELS,
  type ApiKeyField,
  type ExpiryChoice,
} from "../api-key-form";

export function CreateApiKeyDialog() {
  const [open, setOpen] = useState(false);
  // The key lives only here, until the dialog closes: the server never answers it again.
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const onOpenChange = (next: boolean) => {
    setOpen(next);
    setCreated(null);
  };
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button data-testid="create-api-key-button">
          <PlusIcon /> New API key
        </Button>
      </DialogTrigger>
      <DialogContent
        className="sm:max-w-lg"
        data-testid="create-api-key-dialog"
        // A stray click beside the dialog must not throw away a key that is shown only once.
        onInteractOutside={(event) => {
          if (created) event.preventDefault();
        }}
      >
        {!open ? null : created ? (
          <KeyShownOnce created={created} onDone={() => onOpenChange(false)} />
        ) : (
          <CreateForm onCreated={setCreated} />
        )}
      </DialogContent>
    </Dialog>
  );
}

function KeyShownOnce({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  return (
    <div className="grid min-w-0 gap-4" data-testid="api-key-created">
      <DialogHeader>
        <DialogTitle>Your new API key “{created.name}”</DialogTitle>
        <DialogDescription>
          Send it as <code className="font-mono text-xs">Authorization: Bearer &lt;key&gt;</code>.{" "}
          {created.expires_at ? `It works until ${formatDateTime(created.expires_at)}.` : "It works until you revoke it."}
        </DialogDescription>
      </DialogHeader>
      <div
        role="alert"
        className="flex items-start gap-2 rounded-md border border-warning/50 bg-warning/10 px-3 py-2 text-sm"
        data-testid="api-key-shown-once"
      >
        <TriangleAlertIcon className="mt-0.5 size-4 shrink-0 text-warning" aria-hidden />
        <span>
          Copy the key now and keep it somewhere safe, such as a password manager.{" "}
          <strong className="font-medium">You will not see it again</strong>: the server keeps only a fingerprint of it. If you lose it,
          revoke it and make a new one.
        </span>
      </div>
      <div className="flex items-start gap-2">
        <code data-testid="api-key-secret" className="min-w-0 flex-1 rounded-md bg-muted px-2 py-1.5 font-mono text-xs break-all">
          {created.key}
        </code>
        <CopyButton text={created.key} label="Copy key" />
      </div>
      <DialogFooter>
        <Button type="button" onClick={onDone} data-testid="api-key-done">
          Done
        </Button>
      </DialogFooter>
    </div>
  );
}

function CreateForm({ onCreated }: { onCreated: (created: ApiKeyCreated) => void }) {
  const ids = useId();
  const user = useCurrentUser().data;
  // Only what the caller holds may go on a key; listed in the server's order.
  const offered = (Object.keys(PERMISSION_LABELS) as Permission[]).filter((permission) => user?.permissions.includes(permission));
  const [name, setName] = useState("");
  const [permissions, setPermissions] = useState<Permission[]>([]);
  const [expiry, setExpiry] = useState<ExpiryChoice>("90");
  const [expiryDate, setExpiryDate] = useState("");
  const [problems, setProblems] = useState<Partial<Record<ApiKeyField, string>>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const create = useCreateApiKey();
  const now = new Date();

  const clear = (field: ApiKeyField) => setProblems((shown) => ({ ...shown, [field]: undefined }));
  const toggle = (permission: Permission, on: boolean) => {
    setPermissions((chosen) => (on ? [...chosen, permission] : chosen.filter((p) => p !== permission)));
    clear("permissions");
  };

  const submit = async () => {
    setFailure(null);
    // Sent in the offered order whatever order they were ticked in.
    const result = apiKeyRequestFrom({ name, permissions: offered.filter((p) => permissions.includes(p)), expiry, expiryDate });
    if (!result.ok) return setProblems(result.problems);
    setProblems({});
    try {
      onCreated(await create.mutateAsync(result.body));
    } catch (error) {
      const placed = error instanceof ApiError && error.status < 500 ? apiKeyFieldProblem(error.message) : null;
      if (placed) setProblems({ [placed.field]: placed.message });
      else setFailure(errorMessage(error));
    }
  };

  const problem = (field: ApiKeyField) =>
    problems[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`api-key-${field}-error`}>
        {problems[field]}
      </p>
    ) : null;
  const invalid = (field: ApiKeyField) => (problems[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {});
  const all = offered.length > 0 && permissions.length === offered.length;

  return (
    <form
      className="grid min-w-0 gap-4"
      noValidate
      aria-label="New API key"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <DialogHeader>
        <DialogTitle>New API key</DialogTitle>
        <DialogDescription>
          For scripts and integrations that call the API as you. A key may use only the permissions you choose here, and never more than
          your own role allows.
        </DialogDescription>
      </DialogHeader>
      <FormField label="Name" htmlFor={`${ids}-name`} error={problem("name")}>
        <Input
          id={`${ids}-name`}
          autoComplete="off"
          autoFocus
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            clear("name");
          }}
          placeholder="Backup report script"
          data-testid="api-key-name"
          {...invalid("name")}
        />
      </FormField>
      <fieldset className="grid min-w-0 gap-1.5" {...invalid("permissions")} data-testid="api-key-permission-choices">
        <legend className="sr-only">Permissions</legend>
        <div className="flex items-center justify-between gap-2">
          <span className="text-xs text-muted-foreground" aria-hidden>
            Permissions
          </span>
          <Button
            type="button"
            variant="link"
            size="sm"
            className="h-auto p-0 text-xs"
            onClick={() => {
              setPermissions(all ? [] : offered);
              clear("permissions");
            }}
          >
            {all ? "Clear all" : "Choose all"}
          </Button>
        </div>
        <div className="grid max-h-64 gap-1 overflow-y-auto rounded-md border p-2">
          {offered.map((permission) => (
            <label key={permission} className="flex items-start gap-2 rounded px-1 py-0.5 text-sm hover:bg-accent">
              <input
                type="checkbox"
                className="mt-0.5 size-4 shrink-0 accent-primary"
                checked={permissions.includes(permission)}
                onChange={(event) => toggle(permission, event.target.checked)}
                data-testid="api-key-permission"
                data-permission={permission}
              />
              <span className="grid min-w-0">
                <span className="font-mono text-xs">{permission}</span>
                <span className="text-xs text-muted-foreground">{PERMISSION_LABELS[permission]}</span>
              </span>
            </label>
          ))}
        </div>
        {problem("permissions")}
      </fieldset>
      <div className="grid gap-3 sm:grid-cols-2">
        <FormField label="Expires" htmlFor={`${ids}-expiry`} error={expiry === "date" ? null : problem("expires_at")}>
          <Select
            value={expiry}
            onValueChange={(next) => {
              setExpiry(next as ExpiryChoice);
              clear("expires_at");
            }}
          >
            <SelectTrigger id={`${ids}-expiry`} className="w-full" data-testid="api-key-expiry">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {(Object.keys(EXPIRY_LABELS) as ExpiryChoice[]).map((choice) => (
                <SelectItem key={choice} value={choice}>
                  {EXPIRY_LABELS[choice]}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </FormField>
        {expiry === "date" ? (
          <FormField label="Day" htmlFor={`${ids}-day`} hint="The key stops working as this day begins." error={problem("expires_at")}>
            <Input
              id={`${ids}-day`}
              type="date"
              min={localDay(new Date(now.getTime() + 86_400_000))}
              max={localDay(new Date(now.getTime() + MAX_LIFETIME_DAYS * 86_400_000))}
              value={expiryDate}
              onChange={(event) => {
                setExpiryDate(event.target.value);
                clear("expires_at");
              }}
              data-testid="api-key-expiry-date"
              {...invalid("expires_at")}
            />
          </FormField>
        ) : null}
      </div>
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="api-key-failure">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={create.isPending} data-testid="api-key-submit">
          <KeyRoundIcon /> {create.isPending ? "Creating…" : "Create key"}
        </Button>
      </DialogFooter>
    </form>
  );
}
