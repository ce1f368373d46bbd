//! Creates or edits a notification channel: the kind's settings (URL and secret write-only on an
//! edit), and the optional subject and body templates with a live preview of a sample alert.
import { useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, errorMessage } from "@/api/errors";
import type { Channel, NotificationEvent } from "@/api/types";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { useCreateChannel, useTemplatePreview, useUpdateChannel } from "../api/notifications";
import {
  buildChannelRequest,
  CHANNEL_KIND_LABELS,
  CHANNEL_KINDS,
  channelProblemFromServer,
  channelToForm,
  newChannelForm,
  SECRET_MAX,
  SECRET_MIN,
  type ChannelField,
  type ChannelFormValues,
  type ChannelProblems,
} from "../channel-form";

const PREVIEW_EVENTS: readonly NotificationEvent[] = ["opened", "resolved", "reminder", "test"];

/** The value after it has stopped changing for `ms`, so typing does not ask the server each key. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function ChannelDialog({ trigger, channel }: { trigger: ReactNode; channel?: Channel }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent className="max-h-[90svh] overflow-y-auto sm:max-w-3xl">
        {open ? <ChannelForm channel={channel} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}

function ChannelForm({ channel, onDone }: { channel?: Channel; onDone: () => void }) {
  const ids = useId();
  const editing = channel !== undefined;
  const [values, setValues] = useState<ChannelFormValues>(() => (channel ? channelToForm(channel) : newChannelForm()));
  const [problems, setProblems] = useState<ChannelProblems>({});
  const [failure, setFailure] = useState<string | null>(null);
  const create = useCreateChannel();
  const update = useUpdateChannel();
  const pending = create.isPending || update.isPending;

  const set = <K extends keyof ChannelFormValues>(field: K, value: ChannelFormValues[K]) => {
    setValues((current) => ({ ...current, [field]: value }));
    setProblems((current) => ({ ...current, [field]: undefined }));
  };
  const fieldError = (field: ChannelField) =>
    problems[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid="channel-field-error" data-field={field}>
        {problems[field]}
      </p>
    ) : null;
  const invalidProps = (field: ChannelField) =>
    problems[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {};

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const result = buildChannelRequest(values, editing);
    if (!result.ok) {
      setProblems(result.problems);
      return;
    }
    try {
      if (channel) await update.mutateAsync({ id: channel.id, body: result.body });
      else await create.mutateAsync(result.body);
      onDone();
    } catch (error) {
      const placed = error instanceof ApiError && error.status === 422 ? channelProblemFromServer(error.message) : null;
      if (placed) setProblems({ [placed.field]: placed.message });
      else setFailure(errorMessage(error));
    }
  };

  const keepHint = editing ? "Write-only: leave blank to keep the stored one." : undefined;
  return (
    <form onSubmit={(event) => void submit(event)} className="grid gap-4" noValidate data-testid="channel-form">
      <DialogHeader>
        <DialogTitle>{editing ? `Edit ${channel.name}` : "New notification channel"}</DialogTitle>
        <DialogDescription>Where alerts are sent. Policies route alerts to channels by severity.</DialogDescription>
      </DialogHeader>
      <div className="grid gap-3 sm:grid-cols-2">
        <FormField label="Name" htmlFor={`${ids}-name`} error={fieldError("name")}>
          <Input
            id={`${ids}-name`}
            value={values.name}
            maxLength={200}
            onChange={(e) => set("name", e.target.value)}
            {...invalidProps("name")}
          />
        </FormField>
        <FormField label="Kind" htmlFor={`${ids}-kind`} hint={editing ? "The kind of a channel cannot change." : undefined}>
          <Select value={values.kind} onValueChange={(kind) => set("kind", kind as ChannelFormValues["kind"])} disabled={editing}>
            <SelectTrigger id={`${ids}-kind`} data-testid="channel-kind">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {CHANNEL_KINDS.map((kind) => (
                <SelectItem key={kind} value={kind}>
                  {CHANNEL_KIND_LABELS[kind]}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </FormField>
      </div>
      {values.kind === "email" ? (
        <FormField
          label="Recipients"
          htmlFor={`${ids}-to`}
          hint="1 to 20 addresses, separated by commas or lines."
          error={fieldError("to")}
        >
          <Textarea id={`${ids}-to`} rows={2} value={values.to} onChange={(e) => set("to", e.target.value)} {...invalidProps("to")} />
        </FormField>
      ) : (
        <div className="grid gap-3 sm:grid-cols-2">
          <FormField
            label={values.kind === "webhook" ? "URL" : `${CHANNEL_KIND_LABELS[values.kind]} incoming webhook URL`}
            htmlFor={`${ids}-url`}
            hint={keepHint}
            error={fieldError("url")}
          >
            <Input
              id={`${ids}-url`}
              type="url"
              autoComplete="off"
              value={values.url}
              placeholder={channel?.config.url_hint ?? "https://…"}
              onChange={(e) => set("url", e.target.value)}
              {...invalidProps("url")}
            />
          </FormField>
          {values.kind === "webhook" ? (
            <FormField
              label="Signing secret"
              htmlFor={`${ids}-secret`}
              hint={`${SECRET_MIN} to ${SECRET_MAX} characters; signs each request (X-GuruRMM-Signature).${keepHint ? ` ${keepHint}` : ""}`}
              error={fieldError("secret")}
            >
              <Input
                id={`${ids}-secret`}
                type="password"
                autoComplete="new-password"
                value={values.secret}
                placeholder={channel?.config.has_secret ? "•••••• (set)" : undefined}
                onChange={(e) => set("secret", e.target.value)}
                {...invalidProps("secret")}
              />
            </FormField>
          ) : null}
        </div>
      )}
      <TemplateFields ids={ids} values={values} set={set} fieldError={fieldError} invalidProps={invalidProps} />
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="save-channel-error">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={pending} data-testid="save-channel">
          {pending ? "Saving…" : editing ? "Save" : "Create channel"}
        </Button>
      </DialogFooter>
    </form>
  );
}

function TemplateFields({
  ids,
  values,
  set,
  fieldError,
  invalidProps,
}: {
  ids: string;
  values: ChannelFormValues;
  set: (field: "subject_template" | "body_template", value: string) => void;
  fieldError: (field: ChannelField) => ReactNode;
  invalidProps: (field: ChannelField) => object;
}) {
  const [event, setEvent] = useState<NotificationEvent>("opened");
  const subject = useSettled(values.subject_template, 400);
  const body = useSettled(values.body_template, 400);
  const preview = useTemplatePreview(subject, body, event);
  const defaults = preview.data;
  return (
    <div className="grid gap-3 md:grid-cols-2">
      <div className="grid content-start gap-3">
        <FormField
          label="Subject template"
          htmlFor={`${ids}-subject`}
          hint="Empty: the default (shown greyed)."
          error={fieldError("subject_template")}
        >
          <Input
            id={`${ids}-subject`}
            value={values.subject_template}
            placeholder={defaults?.default_subject_template}
            onChange={(e) => set("subject_template", e.target.value)}
            {...invalidProps("subject_template")}
          />
        </FormField>
        <FormField label="Body template" htmlFor={`${ids}-body`} error={fieldError("body_template")}>
          <Textarea
            id={`${ids}-body`}
            rows={6}
            className="font-mono text-xs"
            value={values.body_template}
            placeholder={defaults?.default_body_template}
            onChange={(e) => set("body_template", e.target.value)}
            {...invalidProps("body_template")}
          />
        </FormField>
        {defaults ? (
          <div className="text-[11px] text-muted-foreground" data-testid="template-variables">
            <p className="mb-1">
              Variables (minijinja, e.g. <code>{"{{ agent }}"}</code>), with the sample values:
            </p>
            <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-2">
              {Object.entries(defaults.variables).map(([name, sample]) => (
                <div key={name} className="contents">
                  <dt className="font-mono">{name}</dt>
                  <dd className="truncate" title={String(sample)}>
                    {String(sample) || "—"}
                  </dd>
                </div>
              ))}
            </dl>
          </div>
        ) : null}
      </div>
      <div className="grid content-start gap-2 rounded-md border p-3" data-testid="template-preview">
        <div className="flex items-center justify-between gap-2">
          <span className="text-xs font-medium">Preview</span>
          <Select value={event} onValueChange={(next) => setEvent(next as NotificationEvent)}>
            <SelectTrigger className="h-7 w-32 text-xs" aria-label="Preview event">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {PREVIEW_EVENTS.map((option) => (
                <SelectItem key={option} value={option}>
                  {option}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </div>
        {preview.isError ? (
          <p className="text-xs text-destructive" data-testid="preview-error">
            {errorMessage(preview.error)}
          </p>
        ) : defaults ? (
          <>
            <p className="text-sm font-medium break-words" data-testid="preview-subject">
              {defaults.subject}
            </p>
            <pre className="text-xs whitespace-pre-wrap break-words text-muted-foreground" data-testid="preview-body">
              {defaults.body}
            </pre>
          </>
        ) : (
          <p className="text-xs text-muted-foreground">Rendering…</p>
        )}
      </div>
    </div>
  );
}
