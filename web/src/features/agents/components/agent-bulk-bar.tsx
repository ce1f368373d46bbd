//! What a technician does to the agents selected in the list: add or remove tags, move them to a
//! site, delete them. A long selection is sent in chunks with a progress bar, and the result names
//! every agent that failed and why.
import { useQueryClient } from "@tanstack/react-query";
import { ArrowRightLeftIcon, TagIcon, TagsIcon, Trash2Icon, XIcon } from "lucide-react";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { errorMessage } from "@/api/errors";
import type { BulkActionKind } from "@/api/types";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { agentKeys, bulkAgents, BULK_CHUNK } from "../api/agents";
import { useCan } from "@/lib/auth";
import { MAX_TAGS, parseTags } from "../agent-details-form";
import { runBulk, type BulkProgress } from "../bulk-run";
import { SitePicker } from "./site-picker";

const VERBS: Record<BulkActionKind, { title: string; running: string; button: string }> = {
  tag: { title: "Add tags", running: "Tagging", button: "Add tags" },
  untag: { title: "Remove tags", running: "Untagging", button: "Remove tags" },
  move: { title: "Move to site", running: "Moving", button: "Move agents" },
  delete: { title: "Delete agents", running: "Deleting", button: "Delete agents" },
};

export function AgentBulkBar({
  selected,
  total,
  onSelectAll,
  selectingAll,
  onClear,
  hostnames,
  extra,
}: {
  selected: readonly string[];
  /** Agents matching the filters, for "select all". */
  total: number;
  onSelectAll: () => void;
  selectingAll: boolean;
  onClear: () => void;
  /** Names of the agents on the current page, for the failure list. */
  hostnames: ReadonlyMap<string, string>;
  /** Actions of other features on the selection (running a script). */
  extra?: ReactNode;
}) {
  const [action, setAction] = useState<BulkActionKind | null>(null);
  const mayOrganize = useCan("organize_agents");
  const mayDelete = useCan("manage_agents");
  const count = selected.length;
  const plural = (n: number) => `${n.toLocaleString()} agent${n === 1 ? "" : "s"}`;
  return (
    <div
      className="sticky top-2 z-10 flex flex-wrap items-center gap-2 rounded-lg border bg-card px-3 py-2 shadow-sm"
      role="region"
      aria-label="Selected agents"
      data-testid="agent-bulk-bar"
    >
      <span className="text-sm font-medium" data-testid="agent-selection-count">
        {plural(count)} selected
      </span>
      {count < total ? (
        <Button
          variant="link"
          size="sm"
          className="h-auto px-1"
          disabled={selectingAll}
          onClick={onSelectAll}
          data-testid="select-all-matching"
        >
          {selectingAll ? "Selecting…" : `Select all ${plural(total)} matching`}
        </Button>
      ) : null}
      <div className="ml-auto flex flex-wrap gap-1">
        {extra}
        {mayOrganize ? (
          <>
            <ActionButton icon={<TagIcon />} label="Add tags" onClick={() => setAction("tag")} testId="bulk-tag" />
            <ActionButton icon={<TagsIcon />} label="Remove tags" onClick={() => setAction("untag")} testId="bulk-untag" />
            <ActionButton icon={<ArrowRightLeftIcon />} label="Move" onClick={() => setAction("move")} testId="bulk-move" />
          </>
        ) : null}
        {mayDelete ? (
          <ActionButton icon={<Trash2Icon />} label="Delete" onClick={() => setAction("delete")} testId="bulk-delete" destructive />
        ) : null}
        <Button variant="ghost" size="sm" onClick={onClear} aria-label="Clear the selection">
          <XIcon /> Clear
        </Button>
      </div>
      {action ? (
        <BulkActionDialog
          action={action}
          ids={selected}
          hostnames={hostnames}
          onClose={(finished) => {
            setAction(null);
            if (finished) onClear();
          }}
        />
      ) : null}
    </div>
  );
}

function ActionButton({
  icon,
  label,
  onClick,
  testId,
  destructive = false,
}: {
  icon: ReactNode;
  label: string;
  onClick: () => void;
  testId: string;
  destructive?: boolean;
}) {
  return (
    <Button variant="outline" size="sm" onClick={onClick} data-testid={testId} className={destructive ? "text-destructive" : undefined}>
      {icon} {label}
    </Button>
  );
}

function BulkActionDialog({
  action,
  ids,
  hostnames,
  onClose,
}: {
  action: BulkActionKind;
  ids: readonly string[];
  hostnames: ReadonlyMap<string, string>;
  /** `finished`: the action ran, so the selection is done with. */
  onClose: (finished: boolean) => void;
}) {
  const formId = useId();
  const queryClient = useQueryClient();
  const [tagsText, setTagsText] = useState("");
  const [clientId, setClientId] = useState<string | undefined>(undefined);
  const [siteId, setSiteId] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  const [progress, setProgress] = useState<BulkProgress | null>(null);
  const [running, setRunning] = useState(false);
  const verbs = VERBS[action];
  const count = ids.length;
  const finished = progress !== null && !running;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const tags = parseTags(tagsText);
    if ((action === "tag" || action === "untag") && tags.length === 0) return setProblem("Give at least one tag.");
    if (tags.length > MAX_TAGS) return setProblem(`At most ${MAX_TAGS} tags.`);
    if (action === "move" && !siteId) return setProblem("Choose a site.");
    setRunning(true);
    try {
      await runBulk(
        ids,
        { action, tags: action === "tag" || action === "untag" ? tags : undefined, site_id: action === "move" ? siteId : undefined },
        bulkAgents,
        BULK_CHUNK,
        setProgress,
      );
    } catch (error) {
      setProblem(errorMessage(error));
    } finally {
      setRunning(false);
      // Tags, places, counts and the deleted agents all change.
      void queryClient.invalidateQueries({ queryKey: action === "tag" || action === "untag" ? agentKeys.all : undefined });
    }
  };

  return (
    <Dialog open onOpenChange={(open) => !open && !running && onClose(progress !== null)}>
      <DialogContent data-testid="agent-bulk-dialog">
        <DialogHeader>
          <DialogTitle>
            {verbs.title}: {count.toLocaleString()} agent{count === 1 ? "" : "s"}
          </DialogTitle>
          <DialogDescription>
            {action === "tag"
              ? "The tags are added to each agent's own; agents that already have one keep it once."
              : action === "untag"
                ? "The tags are removed from each agent that has them."
                : action === "move"
                  ? "Their commands, metrics, checks and alerts stay with them; their checks and settings become those of the new place's policies."
                  : "Their secrets stop working and their connections close. Their command history stays under Deleted agents."}
          </DialogDescription>
        </DialogHeader>
        {progress === null || running ? (
          <form id={formId} noValidate className="grid gap-4" onSubmit={(event) => void submit(event)}>
            {action === "tag" || action === "untag" ? (
              <FormField label="Tags" htmlFor={`${formId}-tags`} hint="Separate tags with commas.">
                <Input
                  id={`${formId}-tags`}
                  value={tagsText}
                  onChange={(event) => setTagsText(event.target.value)}
                  placeholder="e.g. patch-tuesday, servers"
                  disabled={running}
                  data-testid="bulk-tags-input"
                  autoFocus
                />
              </FormField>
            ) : null}
            {action === "move" ? (
              <SitePicker
                enabled
                clientId={clientId}
                siteId={siteId}
                onClientChange={(value) => {
                  setClientId(value);
                  setSiteId(undefined);
                }}
                onSiteChange={setSiteId}
              />
            ) : null}
          </form>
        ) : null}
        {progress ? <BulkProgressView progress={progress} running={running} verb={verbs.running} hostnames={hostnames} /> : null}
        {problem ? (
          <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
            {problem}
          </p>
        ) : null}
        <DialogFooter>
          {finished ? (
            <Button onClick={() => onClose(true)} data-testid="bulk-done">
              Done
            </Button>
          ) : (
            <>
              <Button variant="outline" disabled={running} onClick={() => onClose(false)}>
                Cancel
              </Button>
              <Button
                type="submit"
                form={formId}
                variant={action === "delete" ? "destructive" : "default"}
                disabled={running}
                data-testid="bulk-submit"
              >
                {running ? `${verbs.running}…` : verbs.button}
              </Button>
            </>
          )}
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

function BulkProgressView({
  progress,
  running,
  verb,
  hostnames,
}: {
  progress: BulkProgress;
  running: boolean;
  verb: string;
  hostnames: ReadonlyMap<string, string>;
}) {
  const percent = progress.total === 0 ? 100 : Math.round((progress.done / progress.total) * 100);
  return (
    <div className="grid gap-2" data-testid="bulk-progress">
      <div
        className="h-2 w-full overflow-hidden rounded-full bg-muted"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={progress.total}
        aria-valuenow={progress.done}
        aria-label={`${verb} agents`}
      >
        <div className="h-full bg-primary transition-all" style={{ width: `${percent}%` }} />
      </div>
      <p className="text-sm" data-testid="bulk-progress-text">
        {running
          ? `${verb} ${progress.done.toLocaleString()} of ${progress.total.toLocaleString()}…`
          : `Done: ${progress.succeeded.toLocaleString()} succeeded, ${progress.failed.length.toLocaleString()} failed.`}
      </p>
      {progress.failed.length > 0 ? (
        <ul className="max-h-40 overflow-auto rounded-md border p-2 text-sm" data-testid="bulk-failures">
          {progress.failed.map((failure) => (
            <li key={failure.agent_id}>
              <span className="font-medium">{hostnames.get(failure.agent_id) ?? failure.agent_id}</span>: {failure.error}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
