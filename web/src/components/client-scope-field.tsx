//! The access of a user or invitation: the whole organization, or only the clients picked from a
//! searchable list of the organization's clients (read from the server by name, 200 at a time). An
//! owner's access cannot be limited. The server's refusal of the clients (`client_ids: …`) shows here.
import { XIcon } from "lucide-react";
import { useDeferredValue, useId, useState } from "react";
import { errorMessage } from "@/api/errors";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import type { Role } from "@/api/types";
import { cn } from "@/lib/utils";
import { usePickClientSearch } from "@/api/pick-queries";
import { mayLimit, toggleScopeClient, type ScopeDraft } from "@/lib/client-scope";

export function ClientScopeField({
  value,
  onChange,
  role,
  problem,
  testId = "scope",
}: {
  value: ScopeDraft;
  onChange: (next: ScopeDraft) => void;
  /** The role the user will hold: an owner always covers the whole organization. */
  role: Role | undefined;
  /** Why the access cannot be given (the field's check or the server's), or null. */
  problem: string | null;
  testId?: string;
}) {
  const ids = useId();
  const limitable = mayLimit(role);
  const limited = limitable && value.mode === "clients";
  return (
    <fieldset className="grid min-w-0 gap-1.5" data-testid={testId} aria-describedby={problem ? `${ids}-problem` : undefined}>
      <legend className="mb-1 text-xs text-muted-foreground">Access</legend>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="radio"
          name={`${ids}-mode`}
          className="size-4 accent-primary"
          checked={!limited}
          onChange={() => onChange({ ...value, mode: "organization" })}
          data-testid={`${testId}-whole`}
        />
        Whole organization
      </label>
      <label className={cn("flex items-center gap-2 text-sm", !limitable && "text-muted-foreground")}>
        <input
          type="radio"
          name={`${ids}-mode`}
          className="size-4 accent-primary"
          checked={limited}
          disabled={!limitable}
          onChange={() => onChange({ ...value, mode: "clients" })}
          data-testid={`${testId}-clients`}
        />
        Only these clients
      </label>
      {!limitable ? (
        <p className="text-[11px] text-muted-foreground" data-testid={`${testId}-owner-note`}>
          An owner always has access to the whole organization.
        </p>
      ) : limited ? (
        <ClientPicker value={value} onChange={onChange} testId={testId} />
      ) : (
        <p className="text-[11px] text-muted-foreground">Every client, including those added later.</p>
      )}
      {problem ? (
        <p role="alert" id={`${ids}-problem`} className="text-xs text-destructive" data-testid={`${testId}-problem`}>
          {problem}
        </p>
      ) : null}
    </fieldset>
  );
}

function ClientPicker({ value, onChange, testId }: { value: ScopeDraft; onChange: (next: ScopeDraft) => void; testId: string }) {
  const [text, setText] = useState("");
  const q = useDeferredValue(text.trim());
  const found = usePickClientSearch(q);
  const picked = new Set(value.clients.map((client) => client.id));
  const items = found.data?.items ?? [];
  return (
    <div className="grid min-w-0 gap-1.5 pl-6">
      {value.clients.length > 0 ? (
        <ul className="flex flex-wrap gap-1" aria-label="Chosen clients" data-testid={`${testId}-chosen`}>
          {value.clients.map((client) => (
            <li
              key={client.id}
              className="flex items-center gap-0.5 rounded-md bg-primary/15 py-0.5 pr-0.5 pl-1.5 text-xs font-medium text-primary"
              data-testid={`${testId}-chosen-client`}
              data-name={client.name}
            >
              {client.name}
              <Button
                type="button"
                variant="ghost"
                size="icon"
                className="size-5"
                aria-label={`Remove ${client.name}`}
                onClick={() => onChange(toggleScopeClient(value, client))}
              >
                <XIcon className="size-3" />
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
      <Input
        type="search"
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder="Search clients…"
        aria-label="Search clients"
        className="h-8"
        data-testid={`${testId}-search`}
      />
      <div className="max-h-40 overflow-y-auto rounded-md border" data-testid={`${testId}-options`}>
        {found.isError ? (
          <p className="px-2 py-1.5 text-xs text-destructive">The clients could not be read: {errorMessage(found.error)}</p>
        ) : found.isPending ? (
          <p className="px-2 py-1.5 text-xs text-muted-foreground">Reading the clients…</p>
        ) : items.length === 0 ? (
          <p className="px-2 py-1.5 text-xs text-muted-foreground">
            {q ? `No client matches “${q}”.` : "Your organization has no client yet."}
          </p>
        ) : (
          <ul className="grid">
            {items.map((client) => (
              <li key={client.id}>
                <label className="flex cursor-pointer items-center gap-2 px-2 py-1 text-sm hover:bg-accent">
                  <input
                    type="checkbox"
                    className="size-4 accent-primary"
                    checked={picked.has(client.id)}
                    onChange={() => onChange(toggleScopeClient(value, { id: client.id, name: client.name }))}
                    data-testid={`${testId}-option`}
                    data-name={client.name}
                  />
                  <span className="truncate">{client.name}</span>
                </label>
              </li>
            ))}
          </ul>
        )}
        {found.data && found.data.total > items.length ? (
          <p className="border-t px-2 py-1 text-[11px] text-muted-foreground">
            {found.data.total - items.length} more; search to find them.
          </p>
        ) : null}
      </div>
    </div>
  );
}
