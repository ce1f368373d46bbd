//! A notification channel's form: its values per kind, the `ChannelRequest` they make (checked as the
//! server checks them) and back, and a server 422 such as `config.url: …` placed on its field.
import type { Channel, ChannelConfigInput, ChannelKind, ChannelRequest } from "@/api/types";

export const CHANNEL_KINDS: readonly ChannelKind[] = ["email", "webhook", "slack", "teams"];
export const CHANNEL_KIND_LABELS: Record<ChannelKind, string> = {
  email: "Email",
  webhook: "Webhook",
  slack: "Slack",
  teams: "Microsoft Teams",
};

export interface ChannelFormValues {
  name: string;
  kind: ChannelKind;
  /** Email recipients, separated by commas, spaces or lines. */
  to: string;
  /** Write-only: empty on an edit keeps the stored URL. */
  url: string;
  /** Write-only: empty on an edit keeps the stored secret. */
  secret: string;
  subject_template: string;
  body_template: string;
}

export type ChannelField = "name" | "to" | "url" | "secret" | "subject_template" | "body_template";
export type ChannelProblems = Partial<Record<ChannelField, string>>;
export type ChannelResult = { ok: true; body: ChannelRequest } | { ok: false; problems: ChannelProblems };

export const MAX_RECIPIENTS = 20;
export const SECRET_MIN = 16;
export const SECRET_MAX = 200;

export function newChannelForm(kind: ChannelKind = "email"): ChannelFormValues {
  return { name: "", kind, to: "", url: "", secret: "", subject_template: "", body_template: "" };
}

/** A stored channel as form values; its URL and secret are never sent back, so they start empty. */
export function channelToForm(channel: Channel): ChannelFormValues {
  return {
    name: channel.name,
    kind: channel.kind,
    to: channel.config.to.join(", "),
    url: "",
    secret: "",
    subject_template: channel.subject_template ?? "",
    body_template: channel.body_template ?? "",
  };
}

export function splitRecipients(raw: string): string[] {
  return raw
    .split(/[\s,;]+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** `editing`: the channel exists, so an empty URL or secret keeps the stored one. */
export function buildChannelRequest(values: ChannelFormValues, editing: boolean): ChannelResult {
  const problems: ChannelProblems = {};
  const name = values.name.trim();
  if (!name) problems.name = "Give the channel a name.";
  else if (name.length > 200) problems.name = "At most 200 characters.";

  const config: ChannelConfigInput = {};
  if (values.kind === "email") {
    const to = splitRecipients(values.to);
    if (to.length === 0) problems.to = "Add at least one address.";
    else if (to.length > MAX_RECIPIENTS) problems.to = `At most ${MAX_RECIPIENTS} addresses.`;
    else {
      const bad = to.find((address) => !/^[^@\s]+@[^@\s]+$/.test(address));
      if (bad) problems.to = `Not an email address: ${bad}`;
    }
    config.to = to;
  } else {
    const url = values.url.trim();
    if (url) {
      if (!/^https?:\/\/\S+$/i.test(url)) problems.url = "An http:// or https:// URL.";
      config.url = url;
    } else if (!editing) {
      problems.url = "The URL is required.";
    }
    if (values.kind === "webhook") {
      const secret = values.secret;
      if (secret) {
        if (secret.length < SECRET_MIN || secret.length > SECRET_MAX) problems.secret = `${SECRET_MIN} to ${SECRET_MAX} characters.`;
        config.secret = secret;
      } else if (!editing) {
        problems.secret = "The signing secret is required.";
      }
    }
  }
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  return {
    ok: true,
    body: {
      name,
      kind: values.kind,
      config,
      subject_template: values.subject_template.trim() ? values.subject_template : null,
      body_template: values.body_template.trim() ? values.body_template : null,
    },
  };
}

const SERVER_FIELDS: Record<string, ChannelField> = {
  name: "name",
  "config.to": "to",
  to: "to",
  "config.url": "url",
  url: "url",
  "config.secret": "secret",
  secret: "secret",
  subject_template: "subject_template",
  body_template: "body_template",
};

/** `config.url: must be https` → the URL field; `config.to[2]: …` → the recipients. Null when no field is named. */
export function channelProblemFromServer(message: string): { field: ChannelField; message: string } | null {
  const match = /^([\w.]+)(?:\[\d+\])?(?::| must| is)\s*(.*)$/s.exec(message);
  const field = match ? SERVER_FIELDS[match[1] ?? ""] : undefined;
  if (!field || !match) return null;
  return { field, message: match[2] || message };
}
