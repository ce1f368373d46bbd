import { Link } from "@tanstack/react-router";
import { ChevronLeftIcon, FileCodeIcon, PlayIcon } from "lucide-react";
import { useState } from "react";
import type { Job, Script } from "@/api/types";
import { ErrorMessage } from "@/components/error-message";
import { SearchInput } from "@/components/search-input";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { useCan } from "@/lib/auth";
import { useScripts } from "../api/scripts";
import type { TargetChoice } from "../run-form";
import { RunScriptForm } from "./run-script-dialog";

/**
 * "Run script" on the page of an agent, a site or a client: pick a script of the library, fill in
 * its parameters and run it there (the target is prefilled and may still be changed). Hidden from
 * readonly users.
 */
export function RunScriptOnTargetButton({
  target,
  targetLabel,
  agentNames,
  onJobStarted,
}: {
  target: TargetChoice;
  /** What the target is called in the dialog's title ("pc-01", "site HQ"). */
  targetLabel: string;
  /** Hostnames of the agents of `target`, by id. */
  agentNames?: Record<string, string>;
  onJobStarted: (job: Job) => void;
}) {
  const mayMutate = useCan("run_scripts");
  const [open, setOpen] = useState(false);
  const [script, setScript] = useState<Script | null>(null);
  if (!mayMutate) return null;
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) setScript(null);
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" data-testid="run-script-on-target-button">
          <PlayIcon className="fill-current" /> Run script
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-2xl" data-testid="run-script-on-target-dialog">
        <DialogHeader>
          <DialogTitle>{script ? `Run ${script.name} on ${targetLabel}` : `Run a script on ${targetLabel}`}</DialogTitle>
          <DialogDescription>
            {script ? (
              <>
                Version {script.current.version}. Parameters reach the script as arguments ($1, $2…) and environment variables, never pasted
                into its code.
              </>
            ) : (
              "Pick a script from the library."
            )}
          </DialogDescription>
        </DialogHeader>
        {!open ? null : script ? (
          <div className="grid gap-3">
            <Button
              type="button"
              variant="ghost"
              size="sm"
              className="w-fit"
              onClick={() => setScript(null)}
              data-testid="choose-another-script"
            >
              <ChevronLeftIcon /> Another script
            </Button>
            <RunScriptForm
              key={script.id}
              script={script}
              initialTarget={target}
              agentNames={agentNames}
              onStarted={(job) => {
                setOpen(false);
                setScript(null);
                onJobStarted(job);
              }}
            />
          </div>
        ) : (
          <ScriptPicker onPick={setScript} />
        )}
      </DialogContent>
    </Dialog>
  );
}

function ScriptPicker({ onPick }: { onPick: (script: Script) => void }) {
  const [q, setQ] = useState("");
  const scripts = useScripts({ q: q || undefined, page: 1 });
  const items = scripts.data?.items ?? [];
  return (
    <div className="grid gap-2">
      <SearchInput label="Search scripts" placeholder="Search names and descriptions…" value={q} onChange={setQ} />
      {scripts.isError ? <ErrorMessage error={scripts.error} onRetry={() => void scripts.refetch()} /> : null}
      {scripts.isPending ? (
        <Skeleton className="h-48" />
      ) : items.length === 0 ? (
        <p className="rounded-md border border-dashed px-3 py-6 text-center text-sm text-muted-foreground" data-testid="no-script-to-run">
          {q ? (
            "No script matches."
          ) : (
            <>
              The library has no script yet.{" "}
              <Link to="/scripts/new" className="font-medium text-primary hover:underline">
                Write one
              </Link>
            </>
          )}
        </p>
      ) : (
        <ul className="max-h-80 overflow-auto rounded-md border" aria-label="Scripts" data-testid="script-pick-list">
          {items.map((script) => (
            <li key={script.id} className="border-b last:border-b-0">
              <button
                type="button"
                className="grid w-full gap-0.5 px-3 py-2 text-left hover:bg-accent focus-visible:bg-accent focus-visible:outline-none"
                onClick={() => onPick(script)}
                data-testid="script-pick"
                data-name={script.name}
              >
                <span className="flex items-center gap-2 text-sm font-medium">
                  <FileCodeIcon className="size-3.5 text-muted-foreground" aria-hidden />
                  {script.name}
                  <span className="text-xs font-normal text-muted-foreground">v{script.current.version}</span>
                  {script.category ? (
                    <Badge variant="secondary" className="ml-auto">
                      {script.category}
                    </Badge>
                  ) : null}
                </span>
                {script.description ? <span className="truncate text-xs text-muted-foreground">{script.description}</span> : null}
                <span className="text-[11px] text-muted-foreground">
                  {script.current.parameters.length === 0
                    ? "No parameters"
                    : `Parameters: ${script.current.parameters.map((parameter) => parameter.name).join(", ")}`}
                </span>
              </button>
            </li>
          ))}
          {(scripts.data?.total ?? 0) > items.length ? (
            <li className="px-3 py-2 text-center text-xs text-muted-foreground">
              {scripts.data?.total} scripts: search to find the others.
            </li>
          ) : null}
        </ul>
      )}
    </div>
  );
}
