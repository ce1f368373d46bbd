//! The registry browser on a Windows agent's page, for users who may run commands: a hive picker,
//! a breadcrumb and a path box, the open key's subkeys and values (formatted as regedit shows them),
//! and the changes a technician makes (keys and typed values). Every read and change is a registry
//! command: it waits for an offline agent and is listed in the agent's command history.
import { ArrowUpIcon, FolderIcon, FolderPlusIcon, FolderOpenIcon, PencilIcon, PlusIcon, RefreshCwIcon, Trash2Icon } from "lucide-react";
import { useEffect, useId, useRef, useState } from "react";
import type { AgentDetail, Command, RegistryData, RegistryHive, RegistryOperation, RegistryValue } from "@/api/types";
import { errorMessage } from "@/api/errors";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { NameDialog } from "@/components/name-dialog";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useCan } from "@/lib/auth";
import { registryKeyPath } from "@/lib/registry-operation";
import { cn } from "@/lib/utils";
import { useRegistryCommand, useRegistryOperation } from "../api/registry";
import {
  breadcrumb,
  childPath,
  newKeyPath,
  parentPath,
  parseRegistryLocation,
  MAX_KEY_NAME_CHARS,
  REGISTRY_HIVES,
  type RegistryLocation,
} from "../registry-location";
import { emptyValueForm, formatRegistryData, typeLabel, valueLabel, valueToForm } from "../registry-values";
import { ValueDialog } from "./value-dialog";

/** The card, on Windows agents and for users with `run_commands` only (reading the registry is running a command). */
export function RegistryCard({ agent }: { agent: AgentDetail }) {
  const mayRun = useCan("run_commands");
  if (!mayRun || agent.os.family !== "windows") return null;
  return <RegistryBrowser agentId={agent.id} agentOnline={agent.status === "online"} />;
}

const locationKey = (location: RegistryLocation) => `${location.hive}\\${location.path}`;

/** A change sent to the agent, followed until it is final. */
interface PendingChange {
  commandId: string;
  /** "Deleting HKLM\SOFTWARE\X", for the status line. */
  label: string;
  /** Where to go once it is done (the parent of a deleted key), else the listing is refreshed. */
  then: RegistryLocation;
}

function RegistryBrowser({ agentId, agentOnline }: { agentId: string; agentOnline: boolean }) {
  const ids = useId();
  const operation = useRegistryOperation(agentId);
  const [location, setLocation] = useState<RegistryLocation | null>(null);
  /** The latest listing command of each location visited, so going back shows it at once. */
  const [listings, setListings] = useState<Record<string, string>>({});
  const [change, setChange] = useState<PendingChange | null>(null);
  /** get_value commands that load a truncated value whole, by value name, for the open location. */
  const [wholeValues, setWholeValues] = useState<Record<string, string>>({});

  const list = async (next: RegistryLocation) => {
    setLocation(next);
    setWholeValues({});
    const command = await operation.mutateAsync({ operation: "list_key", hive: next.hive, path: next.path });
    setListings((previous) => ({ ...previous, [locationKey(next)]: command.id }));
  };
  const open = (next: RegistryLocation) => {
    setLocation(next);
    setWholeValues({});
    operation.reset();
    if (!listings[locationKey(next)]) void list(next).catch(() => undefined);
  };
  const send = async (body: RegistryOperation, label: string, then: RegistryLocation) => {
    const command = await operation.mutateAsync(body);
    setChange({ commandId: command.id, label, then });
  };

  return (
    <Card data-testid="registry-card" aria-labelledby={`${ids}-title`}>
      <CardHeader className="flex flex-row flex-wrap items-center justify-between gap-2">
        <CardTitle id={`${ids}-title`} className="flex items-center gap-2">
          <FolderOpenIcon className="size-4 text-muted-foreground" aria-hidden /> Registry
        </CardTitle>
        {location ? null : (
          <Button variant="outline" size="sm" onClick={() => open({ hive: "HKLM", path: "" })}>
            Browse registry
          </Button>
        )}
      </CardHeader>
      {location ? (
        <CardContent className="grid gap-3">
          {/* Keyed by the location: a path typed but not opened gives way to the key opened instead. */}
          <LocationBar key={locationKey(location)} location={location} onOpen={open} />
          <div className="flex flex-wrap items-center gap-2">
            <Button variant="outline" size="sm" onClick={() => void list(location).catch(() => undefined)} disabled={operation.isPending}>
              <RefreshCwIcon /> Refresh
            </Button>
            <NameDialog
              trigger={
                <Button variant="outline" size="sm">
                  <FolderPlusIcon /> New key
                </Button>
              }
              title="New key"
              description={`Creates a key below ${registryKeyPath(location.hive, location.path)}.`}
              label="Key name"
              maxLength={MAX_KEY_NAME_CHARS}
              submitLabel="Create key"
              validate={(name) => {
                const path = newKeyPath(location, name);
                return path.ok ? null : path.message;
              }}
              onSubmit={(name) =>
                send(
                  { operation: "create_key", hive: location.hive, path: childPath(location.path, name) },
                  `Creating ${registryKeyPath(location.hive, childPath(location.path, name))}`,
                  location,
                )
              }
            />
            <ValueDialog
              trigger={
                <Button variant="outline" size="sm">
                  <PlusIcon /> New value
                </Button>
              }
              title="New value"
              description={`Writes a value in ${registryKeyPath(location.hive, location.path)}; an existing value of that name is replaced.`}
              initial={emptyValueForm()}
              editing={false}
              onSave={(name, value) => send(setValue(location, name, value), `Setting ${valueLabel(name)}`, location)}
            />
            {location.path === "" ? null : (
              <ConfirmDialog
                trigger={
                  <Button variant="outline" size="sm" className="text-destructive">
                    <Trash2Icon /> Delete key
                  </Button>
                }
                title={`Delete ${registryKeyPath(location.hive, location.path)}?`}
                description="Deletes the key with all its subkeys and values on the agent. This cannot be undone."
                confirmLabel="Delete key"
                onConfirm={() =>
                  send(
                    { operation: "delete_key", hive: location.hive, path: location.path },
                    `Deleting ${registryKeyPath(location.hive, location.path)}`,
                    { hive: location.hive, path: parentPath(location.path) },
                  )
                }
              />
            )}
          </div>
          {operation.isError ? (
            <p
              role="alert"
              className="rounded-md bg-destructive/10 px-2 py-1.5 text-xs text-destructive"
              data-testid="registry-request-error"
            >
              {errorMessage(operation.error)}
            </p>
          ) : null}
          {change ? (
            <ChangeStatus
              key={change.commandId}
              change={change}
              agentOnline={agentOnline}
              onDone={(succeeded) => {
                if (!succeeded) return;
                setChange(null);
                void list(change.then).catch(() => undefined);
              }}
            />
          ) : null}
          {listings[locationKey(location)] ? (
            <Listing
              key={listings[locationKey(location)]}
              commandId={listings[locationKey(location)]!}
              location={location}
              agentOnline={agentOnline}
              wholeValues={wholeValues}
              onOpenSubkey={(name) => open({ hive: location.hive, path: childPath(location.path, name) })}
              onLoadWhole={async (name) => {
                const command = await operation.mutateAsync({ operation: "get_value", hive: location.hive, path: location.path, name });
                setWholeValues((previous) => ({ ...previous, [name]: command.id }));
              }}
              onSetValue={(name, value) => send(setValue(location, name, value), `Setting ${valueLabel(name)}`, location)}
              onDeleteValue={(name) =>
                send(
                  { operation: "delete_value", hive: location.hive, path: location.path, name },
                  `Deleting ${valueLabel(name)}`,
                  location,
                )
              }
            />
          ) : null}
        </CardContent>
      ) : (
        <CardContent>
          <p className="text-xs text-muted-foreground">
            Browse and edit this computer&apos;s registry. Each read and change runs as a registry command on the agent and is kept in its
            command history.
          </p>
        </CardContent>
      )}
    </Card>
  );
}

function setValue(location: RegistryLocation, name: string, value: RegistryData): RegistryOperation {
  return { operation: "set_value", hive: location.hive, path: location.path, name, value };
}

/** The hive picker, the breadcrumb and a path box that takes pasted paths. */
function LocationBar({ location, onOpen }: { location: RegistryLocation; onOpen: (location: RegistryLocation) => void }) {
  const ids = useId();
  const [typed, setTyped] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const shown = typed ?? registryKeyPath(location.hive, location.path);
  return (
    <div className="grid gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <Select value={location.hive} onValueChange={(hive) => onOpen({ hive: hive as RegistryHive, path: "" })}>
          <SelectTrigger aria-label="Hive" className="w-56">
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {REGISTRY_HIVES.map(({ hive, name }) => (
              <SelectItem key={hive} value={hive}>
                {name}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
        <form
          className="flex min-w-64 flex-1 items-center gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            const parsed = parseRegistryLocation(shown);
            if (!parsed.ok) {
              setProblem(parsed.message);
              return;
            }
            setTyped(null);
            setProblem(null);
            onOpen(parsed.value);
          }}
        >
          <Input
            aria-label="Key path"
            aria-describedby={problem ? `${ids}-problem` : undefined}
            aria-invalid={problem ? true : undefined}
            className="font-mono text-xs"
            value={shown}
            onChange={(event) => {
              setTyped(event.target.value);
              setProblem(null);
            }}
          />
          <Button type="submit" variant="outline" size="sm">
            Go
          </Button>
        </form>
      </div>
      {problem ? (
        <p id={`${ids}-problem`} role="alert" className="text-xs text-destructive">
          {problem}
        </p>
      ) : null}
      <nav aria-label="Registry path" className="flex flex-wrap items-center gap-1 font-mono text-xs">
        {location.path === "" ? null : (
          <Button
            variant="ghost"
            size="icon-sm"
            aria-label="Up one level"
            title="Up one level"
            onClick={() => onOpen({ hive: location.hive, path: parentPath(location.path) })}
          >
            <ArrowUpIcon />
          </Button>
        )}
        {breadcrumb(location).map((crumb, index, all) => (
          <span key={crumb.path} className="flex items-center gap-1">
            {index > 0 ? <span className="text-muted-foreground">\</span> : null}
            {index === all.length - 1 ? (
              <span aria-current="location" className="font-semibold">
                {crumb.label}
              </span>
            ) : (
              <button type="button" className="hover:underline" onClick={() => onOpen({ hive: location.hive, path: crumb.path })}>
                {crumb.label}
              </button>
            )}
          </span>
        ))}
      </nav>
    </div>
  );
}

/** What a queued or running registry command is waiting for. */
function WaitingNote({ command, agentOnline, what }: { command: Command; agentOnline: boolean; what: string }) {
  return (
    <p role="status" className={cn("text-xs", agentOnline ? "text-muted-foreground" : "text-warning")} data-testid="registry-waiting">
      {what}: waiting for the agent…
      {agentOnline || command.status !== "queued" ? null : " The agent is offline; the operation runs when it reconnects."}
    </p>
  );
}

/** The failure of a registry command, in the agent's words. */
function FailureNote({ command, testId }: { command: Command; testId: string }) {
  return (
    <p role="alert" className="rounded-md bg-destructive/10 px-2 py-1.5 text-xs text-destructive" data-testid={testId}>
      {command.error || `The operation ended ${command.status}.`}
    </p>
  );
}

/** A change's progress; calls `onDone` once, when it has ended (whether it succeeded). */
function ChangeStatus({
  change,
  agentOnline,
  onDone,
}: {
  change: PendingChange;
  agentOnline: boolean;
  onDone: (succeeded: boolean) => void;
}) {
  const command = useRegistryCommand(change.commandId);
  const status = command.data?.status;
  const final = status === "completed" || (status !== undefined && !["queued", "running"].includes(status));
  const reported = useRef(false);
  useEffect(() => {
    if (final && !reported.current) {
      reported.current = true;
      onDone(status === "completed");
    }
  }, [final, status, onDone]);
  if (!command.data || command.data.status === "completed") return null;
  if (!final) return <WaitingNote command={command.data} agentOnline={agentOnline} what={change.label} />;
  return <FailureNote command={command.data} testId="registry-change-error" />;
}

function Listing({
  commandId,
  location,
  agentOnline,
  wholeValues,
  onOpenSubkey,
  onLoadWhole,
  onSetValue,
  onDeleteValue,
}: {
  commandId: string;
  location: RegistryLocation;
  agentOnline: boolean;
  wholeValues: Record<string, string>;
  onOpenSubkey: (name: string) => void;
  onLoadWhole: (name: string) => Promise<unknown>;
  onSetValue: (name: string, value: RegistryData) => Promise<unknown>;
  onDeleteValue: (name: string) => Promise<unknown>;
}) {
  const command = useRegistryCommand(commandId);
  if (!command.data) return null;
  const where = registryKeyPath(location.hive, location.path);
  if (command.data.status === "queued" || command.data.status === "running") {
    return <WaitingNote command={command.data} agentOnline={agentOnline} what={`Reading ${where}`} />;
  }
  const answer = command.data.registry;
  if (command.data.status !== "completed" || answer?.answer !== "key")
    return <FailureNote command={command.data} testId="registry-listing-error" />;
  const hasDefault = answer.values.some((value) => value.name === "");
  const values: RegistryValue[] = hasDefault ? answer.values : [{ name: "", value: { type: "REG_SZ", data: "" } }, ...answer.values];
  return (
    <div className="grid gap-3 lg:grid-cols-[minmax(0,1fr)_minmax(0,3fr)]">
      <section aria-label="Subkeys" className="grid content-start gap-1">
        <h3 className="text-xs font-medium text-muted-foreground">Subkeys</h3>
        {answer.subkeys.length === 0 ? (
          <p className="text-xs text-muted-foreground">No subkeys.</p>
        ) : (
          <ul className="grid max-h-96 gap-0.5 overflow-y-auto text-sm">
            {answer.subkeys.map((name) => (
              <li key={name}>
                <button
                  type="button"
                  className="flex w-full items-center gap-1.5 truncate rounded px-1 py-0.5 text-left hover:bg-accent"
                  onClick={() => onOpenSubkey(name)}
                >
                  <FolderIcon className="size-3.5 shrink-0 text-muted-foreground" aria-hidden />
                  {name}
                </button>
              </li>
            ))}
          </ul>
        )}
        {answer.subkeys_truncated ? (
          <p className="text-xs text-warning">Only the first {answer.subkeys.length} subkeys are listed.</p>
        ) : null}
      </section>
      <section aria-label="Values" className="grid content-start gap-1">
        <Table aria-label={`Values of ${where}`}>
          <TableHeader>
            <TableRow>
              <TableHead>Name</TableHead>
              <TableHead className="w-36">Type</TableHead>
              <TableHead>Data</TableHead>
              <TableHead className="w-20">
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {values.map((value) => (
              <ValueRow
                key={value.name}
                value={value}
                notSet={!hasDefault && value.name === ""}
                where={where}
                wholeCommandId={wholeValues[value.name]}
                onLoadWhole={() => onLoadWhole(value.name)}
                onSetValue={onSetValue}
                onDeleteValue={() => onDeleteValue(value.name)}
              />
            ))}
          </TableBody>
        </Table>
        {answer.values_truncated ? <p className="text-xs text-warning">Only the first {answer.values.length} values are listed.</p> : null}
      </section>
    </div>
  );
}

/** What a row of the values table shows and does. */
interface ValueRowProps {
  value: RegistryValue;
  /** The (Default) row of a key without a default value. */
  notSet: boolean;
  where: string;
  onLoadWhole: () => Promise<unknown>;
  onSetValue: (name: string, value: RegistryData) => Promise<unknown>;
  onDeleteValue: () => Promise<unknown>;
}

function ValueRow({ wholeCommandId, ...props }: ValueRowProps & { wholeCommandId: string | undefined }) {
  return wholeCommandId ? <WholeValueRow commandId={wholeCommandId} {...props} /> : <ValueRowView {...props} loading={null} />;
}

/** A truncated value once its whole data was asked for: the listed part until the agent answers. */
function WholeValueRow({ commandId, ...props }: ValueRowProps & { commandId: string }) {
  const command = useRegistryCommand(commandId);
  const answer = command.data?.registry;
  if (command.data?.status === "completed" && answer?.answer === "value")
    return <ValueRowView {...props} value={answer.value} loading={null} />;
  const loading =
    !command.data || ["queued", "running"].includes(command.data.status)
      ? "Loading the whole value…"
      : (command.data.error ?? "Loading failed.");
  return <ValueRowView {...props} loading={loading} />;
}

function ValueRowView({
  value,
  notSet,
  where,
  loading,
  onLoadWhole,
  onSetValue,
  onDeleteValue,
}: ValueRowProps & { loading: string | null }) {
  const label = valueLabel(value.name);
  const form = value.truncated ? null : valueToForm(value);
  const data = notSet ? "(value not set)" : formatRegistryData(value.value);
  return (
    <TableRow data-testid="registry-value-row" data-name={value.name}>
      <TableCell className="max-w-48 truncate" title={label}>
        {label}
      </TableCell>
      <TableCell className="font-mono text-xs">{typeLabel(value.value)}</TableCell>
      <TableCell className="max-w-96 font-mono text-xs">
        <span className={cn("line-clamp-3 break-all", notSet && "text-muted-foreground")} title={data}>
          {data}
          {value.truncated ? "…" : null}
        </span>
        {value.truncated ? (
          loading ? (
            <span className="text-muted-foreground">{loading}</span>
          ) : (
            <Button variant="link" size="sm" className="h-auto p-0 text-xs" onClick={() => void onLoadWhole().catch(() => undefined)}>
              Load whole value
            </Button>
          )
        ) : null}
      </TableCell>
      <TableCell>
        <span className="flex justify-end">
          {form ? (
            <ValueDialog
              trigger={
                <Button variant="ghost" size="icon-sm" aria-label={`Edit ${label}`} title="Edit value">
                  <PencilIcon />
                </Button>
              }
              title={`Edit ${label}`}
              description={`Writes the value ${label} in ${where}.`}
              initial={form}
              editing
              onSave={onSetValue}
            />
          ) : null}
          {notSet ? null : (
            <ConfirmDialog
              trigger={
                <Button variant="ghost" size="icon-sm" aria-label={`Delete ${label}`} title="Delete value">
                  <Trash2Icon />
                </Button>
              }
              title={`Delete the value ${label}?`}
              description={`Deletes ${label} from ${where} on the agent.`}
              confirmLabel="Delete value"
              onConfirm={onDeleteValue}
            />
          )}
        </span>
      </TableCell>
    </TableRow>
  );
}
