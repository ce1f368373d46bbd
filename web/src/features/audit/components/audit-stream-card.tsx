//! Where the audit log is streamed (`manage_organization`): with no stream, what streaming does and
//! the form that starts it; with one, how far the sending got (read again every few seconds), why it
//! fails when it does, and its edit, pause or resume, and removal.
import {
  AlertTriangleIcon,
  EyeIcon,
  EyeOffIcon,
  PauseIcon,
  PencilIcon,
  PlayIcon,
  RadioTowerIcon,
  Trash2Icon,
  WandSparklesIcon,
} from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CopyButton } from "@/components/copy-button";
import { ErrorMessage } from "@/components/error-message";
import { FormField } from "@/components/form-field";
import { RelativeTime } from "@/components/relative-time";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import { useNow } from "@/hooks/use-now";
import { formatDateTime, formatRelativeTime } from "@/lib/format";
import { useAuditStream, useRemoveAuditStream, useSaveAuditStream } from "../api/audit";
import type { AuditStreamView } from "../audit-actions";
import {
  generateSecret,
  STREAM_SECRET_MAX,
  STREAM_SECRET_MIN,
  streamProblemFromServer,
  streamRequest,
  streamToForm,
  type StreamField,
  type StreamFormValues,
} from "../audit-stream";

export function AuditStreamCard() {
  const stream = useAuditStream();
  const [editing, setEditing] = useState(false);
  const current = stream.data;
  return (
    <SectionCard
      title={
        <>
          <RadioTowerIcon className="size-4" aria-hidden /> Stream to your SIEM
        </>
      }
      description="Sends every event of this log to your SIEM or log pipeline as it is recorded."
      data-testid="audit-stream"
    >
      {stream.isPending ? (
        <Skeleton className="h-24" />
      ) : stream.isError ? (
        <ErrorMessage error={stream.error} onRetry={() => void stream.refetch()} />
      ) : current && editing ? (
        <StreamForm stream={current} onDone={() => setEditing(false)} />
      ) : current ? (
        <div className="grid gap-4">
          <StreamStatus stream={current} />
          <StreamActions stream={current} onEdit={() => setEditing(true)} />
        </div>
      ) : (
        <div className="grid gap-4">
          <p className="text-sm text-muted-foreground" data-testid="audit-stream-explanation">
            Every event is posted to your endpoint, oldest kept first, in order and at least once (drop repeats by <code>seq</code>), each
            post signed with HMAC-SHA256 under your secret in the <code>X-GuruRMM-Signature</code> header. The format is in the
            server&apos;s <code>docs/audit.md</code>, &ldquo;Streaming to a SIEM&rdquo;.
          </p>
          <StreamForm stream={null} />
        </div>
      )}
    </SectionCard>
  );
}

function StreamActions({ stream, onEdit }: { stream: AuditStreamView; onEdit: () => void }) {
  const save = useSaveAuditStream();
  const remove = useRemoveAuditStream();
  const toggle = () =>
    save.mutate(
      { url: stream.url, enabled: !stream.enabled },
      { onError: (error) => toast.error(`Could not ${stream.enabled ? "pause" : "resume"} the stream: ${errorMessage(error)}`) },
    );
  return (
    <div className="flex flex-wrap gap-2">
      <Button variant="outline" size="sm" onClick={onEdit} data-testid="edit-audit-stream">
        <PencilIcon /> Edit
      </Button>
      <Button variant="outline" size="sm" disabled={save.isPending} onClick={toggle} data-testid="toggle-audit-stream">
        {stream.enabled ? (
          <>
            <PauseIcon /> Pause
          </>
        ) : (
          <>
            <PlayIcon /> Resume
          </>
        )}
      </Button>
      <ConfirmDialog
        trigger={
          <Button variant="outline" size="sm" data-testid="remove-audit-stream">
            <Trash2Icon /> Remove
          </Button>
        }
        title="Stop streaming the audit log?"
        description="The endpoint and its secret are forgotten and nothing more is sent. Set up again, a stream starts over with the oldest event kept."
        confirmLabel="Remove stream"
        onConfirm={() => remove.mutateAsync()}
      />
    </div>
  );
}

function StreamStatus({ stream }: { stream: AuditStreamView }) {
  return (
    <div className="grid gap-3 text-sm" data-testid="audit-stream-status" data-enabled={stream.enabled}>
      <div className="flex min-w-0 items-center gap-2">
        <Badge variant={stream.enabled ? "success" : "muted"} data-testid="audit-stream-state">
          {stream.enabled ? "Enabled" : "Paused"}
        </Badge>
        <span className="truncate font-mono text-xs" title={stream.url} data-testid="audit-stream-url">
          {stream.url}
        </span>
      </div>
      <p className="font-medium" data-testid="audit-stream-progress">
        {stream.delivered_through_seq > 0
          ? `Delivered through event #${stream.delivered_through_seq} of #${stream.head_seq}`
          : `Nothing delivered yet; the log is at event #${stream.head_seq}`}
      </p>
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1">
        <dt className="text-muted-foreground">Pending</dt>
        <dd data-testid="audit-stream-pending" data-pending={stream.pending}>
          {stream.pending === 0 ? "0, caught up" : stream.pending === 1 ? "1 event" : `${stream.pending.toLocaleString("en")} events`}
        </dd>
        <dt className="text-muted-foreground">Last delivered</dt>
        <dd data-testid="audit-stream-last-delivered">
          <RelativeTime value={stream.last_delivered_at} />
        </dd>
      </dl>
      {stream.failures > 0 ? <StreamFailing stream={stream} /> : null}
      {stream.enabled ? null : (
        <p className="text-xs text-muted-foreground">Paused: new events wait here and are sent, in order, once it is resumed.</p>
      )}
    </div>
  );
}

/** "in 8 seconds" (formatRelativeTime says "just now" under ten), or "any moment now" once due. */
function untilAttempt(iso: string, now: number): string {
  const seconds = Math.ceil((Date.parse(iso) - now) / 1000);
  if (!(seconds > 0)) return "any moment now";
  if (seconds < 60) return seconds === 1 ? "in 1 second" : `in ${seconds} seconds`;
  return formatRelativeTime(iso, now);
}

function StreamFailing({ stream }: { stream: AuditStreamView }) {
  const now = useNow(1_000);
  return (
    <div
      role="alert"
      className="grid gap-1 rounded-md border border-warning/50 bg-warning/10 px-3 py-2 text-amber-700 dark:text-warning"
      data-testid="audit-stream-failing"
    >
      <p className="flex items-center gap-2 font-medium">
        <AlertTriangleIcon className="size-4 shrink-0" aria-hidden />
        {stream.failures === 1 ? "The last attempt failed" : `The last ${stream.failures} attempts failed`}
      </p>
      {stream.last_error ? (
        <p className="font-mono text-xs break-words" data-testid="audit-stream-last-error">
          {stream.last_error}
        </p>
      ) : null}
      <p className="text-xs" data-testid="audit-stream-next-attempt">
        {stream.enabled ? (
          <>
            Next attempt <time title={formatDateTime(stream.next_attempt_at)}>{untilAttempt(stream.next_attempt_at, now)}</time>, with the
            same events.
          </>
        ) : (
          "Resume the stream to try again."
        )}
      </p>
    </div>
  );
}

/** Starts a stream (`stream` null) or changes its endpoint or secret; an edit keeps whether it runs. */
function StreamForm({ stream, onDone }: { stream: AuditStreamView | null; onDone?: () => void }) {
  const ids = useId();
  const editing = stream !== null;
  const [values, setValues] = useState<StreamFormValues>(() => streamToForm(stream));
  const [shown, setShown] = useState(false);
  const [problems, setProblems] = useState<Partial<Record<StreamField, string>>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const save = useSaveAuditStream();

  const set = <K extends keyof StreamFormValues>(field: K, value: StreamFormValues[K]) => {
    setValues((current) => ({ ...current, [field]: value }));
    if (field === "url" || field === "secret") setProblems((current) => ({ ...current, [field]: undefined }));
  };
  const fieldError = (field: StreamField) =>
    problems[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid="audit-stream-field-error" data-field={field}>
        {problems[field]}
      </p>
    ) : null;
  const invalidProps = (field: StreamField) =>
    problems[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {};

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    setProblems({});
    try {
      await save.mutateAsync(streamRequest(values));
      onDone?.();
    } catch (error) {
      const placed = error instanceof ApiError && error.status === 422 ? streamProblemFromServer(error.message) : null;
      if (placed) setProblems({ [placed.field]: placed.message });
      else setFailure(errorMessage(error));
    }
  };

  const secretHint = editing
    ? "Leave it empty to keep the current secret. A new one signs every post from now on and, like the current one, is never shown again."
    : `${STREAM_SECRET_MIN} to ${STREAM_SECRET_MAX} characters. Give the same one to your SIEM to check each post; copy it now, it is never shown again.`;
  return (
    <form onSubmit={(event) => void submit(event)} className="grid gap-3" noValidate data-testid="audit-stream-form">
      <FormField label="Endpoint URL" htmlFor={`${ids}-url`} error={fieldError("url")}>
        <Input
          id={`${ids}-url`}
          type="url"
          autoComplete="off"
          spellCheck={false}
          placeholder="https://siem.example.com/gururmm"
          value={values.url}
          onChange={(event) => set("url", event.target.value)}
          {...invalidProps("url")}
        />
      </FormField>
      <FormField
        label={editing ? "New signing secret" : "Signing secret"}
        htmlFor={`${ids}-secret`}
        hint={secretHint}
        error={fieldError("secret")}
      >
        <div className="flex items-center gap-2">
          <span className="relative flex min-w-0 flex-1">
            <Input
              id={`${ids}-secret`}
              type={shown ? "text" : "password"}
              autoComplete="new-password"
              spellCheck={false}
              className="pr-8 font-mono"
              placeholder={editing ? "Empty: keep the current secret" : undefined}
              value={values.secret}
              onChange={(event) => set("secret", event.target.value)}
              {...invalidProps("secret")}
            />
            <button
              type="button"
              className="absolute inset-y-0 right-0 flex w-8 items-center justify-center text-muted-foreground hover:text-foreground"
              aria-label={shown ? "Hide the secret" : "Show the secret"}
              aria-pressed={shown}
              onClick={() => setShown((current) => !current)}
              data-testid="audit-stream-secret-toggle"
            >
              {shown ? <EyeOffIcon className="size-3.5" aria-hidden /> : <EyeIcon className="size-3.5" aria-hidden />}
            </button>
          </span>
          <Button
            type="button"
            variant="outline"
            size="sm"
            onClick={() => {
              set("secret", generateSecret());
              setShown(true);
            }}
            data-testid="generate-audit-stream-secret"
          >
            <WandSparklesIcon /> Generate
          </Button>
          {values.secret ? <CopyButton text={values.secret} /> : null}
        </div>
      </FormField>
      {editing ? null : (
        <div className="flex items-center gap-2">
          <Switch id={`${ids}-enabled`} checked={values.enabled} onCheckedChange={(enabled) => set("enabled", enabled)} />
          <Label htmlFor={`${ids}-enabled`}>Enabled</Label>
          <span className="text-xs text-muted-foreground">Off: saved, but nothing is sent until it is resumed.</span>
        </div>
      )}
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="audit-stream-save-error">
          {failure}
        </p>
      ) : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={save.isPending} data-testid="save-audit-stream">
          {save.isPending ? "Saving…" : editing ? "Save" : "Start streaming"}
        </Button>
        {onDone ? (
          <Button type="button" variant="ghost" onClick={onDone} disabled={save.isPending}>
            Cancel
          </Button>
        ) : null}
      </div>
    </form>
  );
}
