import { HistoryIcon } from "lucide-react";
import { useState } from "react";
import type { ScriptVersionInfo } from "@/api/types";
import { ErrorMessage } from "@/components/error-message";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { COMMAND_TYPE_LABELS } from "@/lib/command-fields";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import { useScriptVersions } from "../api/scripts";
import { CodeEditor, codeLanguage } from "./code-editor";

/** Every version of a script, newest first; a row opens its code read-only. */
export function ScriptVersionsCard({ scriptId }: { scriptId: string }) {
  const versions = useScriptVersions(scriptId);
  const [open, setOpen] = useState<ScriptVersionInfo | null>(null);
  const items = versions.data?.items ?? [];
  const newest = items[0]?.version;
  return (
    <Card data-testid="script-versions-card">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <HistoryIcon className="size-4 text-muted-foreground" aria-hidden /> Versions
          {versions.data ? <span className="font-normal text-muted-foreground tabular-nums">{items.length}</span> : null}
        </CardTitle>
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
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((version) => (
                <TableRow
                  key={version.version}
                  className="cursor-pointer"
                  onClick={() => setOpen(version)}
                  data-testid="script-version-row"
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
                    {version.version === newest ? (
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
                </TableRow>
              ))}
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
            </>
          ) : null}
        </DialogContent>
      </Dialog>
    </Card>
  );
}
