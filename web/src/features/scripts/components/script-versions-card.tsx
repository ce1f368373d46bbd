import { GitCompareIcon, HistoryIcon, RotateCcwIcon } from "lucide-react";
import { useMemo, useState } from "react";
import { toast } from "sonner";
import type { Script, ScriptVersionInfo } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorMessage } from "@/components/error-message";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { COMMAND_TYPE_LABELS } from "@/lib/command-fields";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useCan } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { cn } from "@/lib/utils";
import { useRestoreScriptVersion, useScriptVersions } from "../api/scripts";
import { foldUnchanged, lineDiff, settingChanges, type DiffRow } from "../version-diff";
import { CodeEditor, codeLanguage } from "./code-editor";

/**
 * Every version of a script, newest first: a row opens its code read-only, any two versions can be
 * compared line by line, and an old version can be restored (its code becomes a new version).
 */
export function ScriptVersionsCard({ scriptId, onRestored }: { scriptId: string; onRestored?: (script: Script) => void }) {
  const versions = useScriptVersions(scriptId);
  const mayMutate = useCan("edit_scripts");
  const [open, setOpen] = useState<ScriptVersionInfo | null>(null);
  const [comparing, setComparing] = useState<{ from: ScriptVersionInfo; to: ScriptVersionInfo } | null>(null);
  const items = useMemo(() => versions.data?.items ?? [], [versions.data]);
  const newest = items[0];
  const [fromChoice, setFromChoice] = useState<number | null>(null);
  const [toChoice, setToChoice] = useState<number | null>(null);
  // Until someone picks, compare the version before the current one with the current one.
  const from = items.find((version) => version.version === fromChoice) ?? items[1];
  const to = items.find((version) => version.version === toChoice) ?? newest;
  const compare = (a: ScriptVersionInfo, b: ScriptVersionInfo) =>
    setComparing(a.version <= b.version ? { from: a, to: b } : { from: b, to: a });

  return (
    <Card data-testid="script-versions-card">
      <CardHeader className="flex-wrap">
        <CardTitle className="flex items-center gap-2">
          <HistoryIcon className="size-4 text-muted-foreground" aria-hidden /> Versions
          {versions.data ? <span className="font-normal text-muted-foreground tabular-nums">{items.length}</span> : null}
        </CardTitle>
        {items.length > 1 && from && to ? (
          <div className="flex flex-wrap items-center gap-2 text-xs" data-testid="compare-versions">
            <span className="text-muted-foreground">Compare</span>
            <VersionSelect label="Older version" items={items} value={from.version} onChange={setFromChoice} testId="compare-from" />
            <span className="text-muted-foreground">with</span>
            <VersionSelect label="Newer version" items={items} value={to.version} onChange={setToChoice} testId="compare-to" />
            <Button
              type="button"
              variant="outline"
              size="sm"
              disabled={from.version === to.version}
              onClick={() => compare(from, to)}
              data-testid="compare-versions-button"
            >
              <GitCompareIcon /> Compare
            </Button>
          </div>
        ) : null}
      </CardHeader>
      <CardContent>
        {versions.isError ? <ErrorMessage error={versions.error} onRetry={() => void versions.refetch()} /> : null}
        {versions.isPending ? (
          <Skeleton className="h-16" />
        ) : (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="w-24">Version</TableHead>
                <TableHead className="w-32">Type</TableHead>
                <TableHead className="w-24 text-right">Parameters</TableHead>
                <TableHead>By</TableHead>
                <TableHead className="w-40">When</TableHead>
                <TableHead className="w-56 text-right">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((version, index) => {
                const previous = items[index + 1];
                const current = version.version === newest?.version;
                return (
                  <TableRow
                    key={version.version}
                    className="cursor-pointer"
                    onClick={() => setOpen(version)}
                    data-testid="script-version-row"
                    data-version={version.version}
                  >
                    <TableCell>
                      <button
                        type="button"
                        className="font-medium tabular-nums hover:underline focus-visible:underline focus-visible:outline-none"
                        onClick={(event) => {
                          event.stopPropagation();
                          setOpen(version);
                        }}
                      >
                        v{version.version}
                      </button>
                      {current ? (
                        <Badge variant="success" className="ml-2">
                          current
                        </Badge>
                      ) : null}
                    </TableCell>
                    <TableCell className="text-muted-foreground">
                      {COMMAND_TYPE_LABELS[version.command_type] ?? version.command_type}
                      {version.interpreter ? <span className="font-mono text-xs"> ({version.interpreter})</span> : null}
                    </TableCell>
                    <TableCell className="text-right tabular-nums">{version.parameters.length}</TableCell>
                    <TableCell className="text-muted-foreground">{version.created_by_email}</TableCell>
                    <TableCell className="text-muted-foreground" title={formatDateTime(version.created_at)}>
                      <RelativeTime value={version.created_at} />
                    </TableCell>
                    <TableCell className="text-right" onClick={(event) => event.stopPropagation()}>
                      <span className="inline-flex gap-1">
                        {previous ? (
                          <Button
                            type="button"
                            variant="ghost"
                            size="sm"
                            title={`What changed from version ${previous.version}`}
                            onClick={() => compare(previous, version)}
                            data-testid="compare-with-previous"
                          >
                            <GitCompareIcon /> Changes
                          </Button>
                        ) : null}
                        {mayMutate && !current && newest ? (
                          <RestoreButton scriptId={scriptId} version={version} current={newest} onRestored={onRestored} />
                        ) : null}
                      </span>
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )}
      </CardContent>
      <Dialog open={open !== null} onOpenChange={(next) => (next ? undefined : setOpen(null))}>
        <DialogContent className="sm:max-w-4xl" data-testid="script-version-dialog">
          {open ? (
            <>
              <DialogHeader>
                <DialogTitle>Version {open.version}</DialogTitle>
                <DialogDescription>
                  {COMMAND_TYPE_LABELS[open.command_type] ?? open.command_type}
                  {open.interpreter ? ` (${open.interpreter})` : ""}, by {open.created_by_email}, {formatDateTime(open.created_at)}
                  {open.parameters.length > 0 ? `; parameters: ${open.parameters.map((parameter) => parameter.name).join(", ")}` : ""}
                </DialogDescription>
              </DialogHeader>
              <CodeEditor
                ariaLabel={`Code of version ${open.version}`}
                value={open.body}
                language={codeLanguage(open.command_type, open.interpreter)}
                readOnly
                height="420px"
              />
              {newest && open.version !== newest.version ? (
                <div className="flex justify-end gap-2">
                  <Button
                    type="button"
                    variant="outline"
                    onClick={() => {
                      setOpen(null);
                      compare(open, newest);
                    }}
                    data-testid="compare-with-current"
                  >
                    <GitCompareIcon /> Compare with current
                  </Button>
                </div>
              ) : null}
            </>
          ) : null}
        </DialogContent>
      </Dialog>
      <Dialog open={comparing !== null} onOpenChange={(next) => (next ? undefined : setComparing(null))}>
        <DialogContent className="sm:max-w-5xl" data-testid="version-diff-dialog">
          {comparing ? <VersionDiff from={comparing.from} to={comparing.to} /> : null}
        </DialogContent>
      </Dialog>
    </Card>
  );
}

function VersionSelect({
  label,
  items,
  value,
  onChange,
  testId,
}: {
  label: string;
  items: ScriptVersionInfo[];
  value: number;
  onChange: (version: number) => void;
  testId: string;
}) {
  return (
    <Select value={String(value)} onValueChange={(next) => onChange(Number(next))}>
      <SelectTrigger className="h-7 w-20" aria-label={label} data-testid={testId}>
        <SelectValue />
      </SelectTrigger>
      <SelectContent>
        {items.map((version) => (
          <SelectItem key={version.version} value={String(version.version)}>
            v{version.version}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}

function RestoreButton({
  scriptId,
  version,
  current,
  onRestored,
}: {
  scriptId: string;
  version: ScriptVersionInfo;
  current: ScriptVersionInfo;
  onRestored?: (script: Script) => void;
}) {
  const restore = useRestoreScriptVersion(scriptId);
  return (
    <ConfirmDialog
      variant="default"
      trigger={
        <Button type="button" variant="ghost" size="sm" data-testid="restore-version-button">
          <RotateCcwIcon /> Restore
        </Button>
      }
      title={`Restore version ${version.version}?`}
      description={
        <>
          Its code, parameters and defaults become version {current.version + 1}; version {current.version} stays in the history. The name,
          description and category do not change. Unsaved edits in the editor are discarded. Checks that run this script run the restored
          code from now on.
        </>
      }
      confirmLabel={`Restore version ${version.version}`}
      onConfirm={async () => {
        const script = await restore.mutateAsync(version.version);
        toast.success(`Version ${version.version} restored as version ${script.current.version}.`);
        onRestored?.(script);
      }}
    />
  );
}

function VersionDiff({ from, to }: { from: ScriptVersionInfo; to: ScriptVersionInfo }) {
  const lines = useMemo(() => lineDiff(from.body, to.body), [from.body, to.body]);
  const rows = useMemo(() => (lines ? foldUnchanged(lines) : []), [lines]);
  const changes = settingChanges(from, to);
  const added = lines?.filter((line) => line.kind === "added").length ?? 0;
  const removed = lines?.filter((line) => line.kind === "removed").length ?? 0;
  return (
    <>
      <DialogHeader>
        <DialogTitle>
          Version {from.version} → version {to.version}
        </DialogTitle>
        <DialogDescription>
          {lines === null ? (
            "The two versions have too little in common to compare line by line."
          ) : added + removed === 0 ? (
            <span data-testid="diff-summary">The code is the same.</span>
          ) : (
            <span data-testid="diff-summary">
              <span className="text-success">{added} added</span>, <span className="text-destructive">{removed} removed</span> line
              {added + removed === 1 ? "" : "s"}.
            </span>
          )}
        </DialogDescription>
      </DialogHeader>
      {changes.length > 0 ? (
        <ul className="grid gap-0.5 text-xs" data-testid="diff-setting-changes">
          {changes.map((change) => (
            <li key={change} className="font-mono break-all">
              {change}
            </li>
          ))}
        </ul>
      ) : null}
      {lines && lines.length > 0 ? (
        <div className="max-h-[60vh] overflow-auto rounded-md border font-mono text-xs" data-testid="version-diff">
          <table className="w-full border-collapse">
            <tbody>
              {rows.map((row, index) => (
                <DiffTableRow key={index} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function DiffTableRow({ row }: { row: DiffRow }) {
  if (row.kind === "folded") {
    return (
      <tr className="bg-muted/50 text-muted-foreground" data-testid="diff-folded">
        <td colSpan={4} className="px-2 py-0.5 text-center">
          … {row.count} unchanged lines …
        </td>
      </tr>
    );
  }
  const oldNumber = row.kind === "added" ? "" : row.oldNumber;
  const newNumber = row.kind === "removed" ? "" : row.newNumber;
  return (
    <tr
      className={cn(row.kind === "added" && "bg-success/10", row.kind === "removed" && "bg-destructive/10")}
      data-testid="diff-line"
      data-kind={row.kind}
    >
      <td className="w-10 border-r px-1.5 text-right text-muted-foreground select-none tabular-nums">{oldNumber}</td>
      <td className="w-10 border-r px-1.5 text-right text-muted-foreground select-none tabular-nums">{newNumber}</td>
      <td className="w-4 px-1 text-center select-none" aria-hidden>
        {row.kind === "added" ? "+" : row.kind === "removed" ? "−" : ""}
      </td>
      <td className="pr-2 whitespace-pre-wrap break-all">
        {row.kind === "added" ? (
          <span className="sr-only">added: </span>
        ) : row.kind === "removed" ? (
          <span className="sr-only">removed: </span>
        ) : null}
        {row.text}
      </td>
    </tr>
  );
}
