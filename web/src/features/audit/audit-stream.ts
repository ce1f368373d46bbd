//! The audit stream's form: what a save sends, a generated signing secret, and which field a refusal
//! of the server (`url: …`, `secret: …`) belongs under.
import type { AuditStreamRequest, AuditStreamView } from "./audit-actions";

/** The server's bounds on the signing secret. */
export const STREAM_SECRET_MIN = 16;
export const STREAM_SECRET_MAX = 200;

/** Random bytes in a generated secret: 43 characters once encoded. */
const GENERATED_SECRET_BYTES = 32;

export type StreamField = "url" | "secret";

export interface StreamFormValues {
  url: string;
  /** Empty on an edit: the stored secret is kept. */
  secret: string;
  enabled: boolean;
}

export function streamToForm(stream: AuditStreamView | null): StreamFormValues {
  return { url: stream?.url ?? "", secret: "", enabled: stream?.enabled ?? true };
}

/**
 * The PUT body. A secret left empty is left out, which keeps the stored one (a new stream without one
 * is refused by the server, under the field). `enabled` is always sent: the server turns a stream on
 * when it is left out, and an edit of a paused stream must not resume it.
 */
export function streamRequest(values: StreamFormValues): AuditStreamRequest {
  const body: AuditStreamRequest = { url: values.url.trim(), enabled: values.enabled };
  if (values.secret !== "") body.secret = values.secret;
  return body;
}

/** A signing secret of 43 URL-safe characters from the browser's cryptographic random source. */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(GENERATED_SECRET_BYTES));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The field a 422 message names (`url: not a valid URL`), with the rest of the message; null for others. */
export function streamProblemFromServer(message: string): { field: StreamField; message: string } | null {
  const match = /^(url|secret):\s*(.*)$/s.exec(message);
  if (!match) return null;
  return { field: match[1] as StreamField, message: match[2] || message };
}
