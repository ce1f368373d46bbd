//! The agent's "Edit details" form (alias, tags, notes) turned into `PATCH /api/v1/agents/{id}`, with
//! the server's rules checked first so a mistake is shown next to its field, and a refusal from the
//! server placed on the field its message names.
import type { AgentDetail, AgentUpdateRequest } from "@/api/types";

/** The server's limits (`services/agents.rs`). */
export const MAX_ALIAS_CHARACTERS = 200;
export const MAX_NOTES_CHARACTERS = 10_000;
export const MAX_TAGS = 20;
export const MAX_TAG_CHARACTERS = 32;

export interface AgentDetailsFormValues {
  alias: string;
  /** Tags separated by commas (or line breaks). */
  tags: string;
  notes: string;
}

export type AgentDetailsField = keyof AgentDetailsFormValues;
export type AgentDetailsErrors = Partial<Record<AgentDetailsField, string>>;
export type AgentDetailsResult = { ok: true; request: AgentUpdateRequest } | { ok: false; errors: AgentDetailsErrors };

// Control and invisible format characters (bidirectional overrides, zero-width spaces), which the server refuses.
const HIDDEN_CHARACTER = /[\p{Cc}\p{Cf}]/u;
const HIDDEN_IN_TEXT = /[^\P{Cc}\n\r\t]|\p{Cf}/u;

const characters = (text: string) => [...text].length;

export function agentDetailsValues(agent: Pick<AgentDetail, "alias" | "tags" | "notes">): AgentDetailsFormValues {
  return { alias: agent.alias ?? "", tags: agent.tags.join(", "), notes: agent.notes };
}

/** Tags as the server stores them: trimmed, lowercase, each once, in the order given. */
export function parseTags(text: string): string[] {
  const tags: string[] = [];
  for (const part of text.split(/[,\n]/)) {
    const tag = part.trim().toLowerCase();
    if (tag && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

function tagError(tags: string[]): string | undefined {
  if (tags.length > MAX_TAGS) return `At most ${MAX_TAGS} tags.`;
  const long = tags.find((tag) => characters(tag) > MAX_TAG_CHARACTERS);
  if (long) return `"${long}" is longer than ${MAX_TAG_CHARACTERS} characters.`;
  const odd = tags.find((tag) => /["\\]/.test(tag) || HIDDEN_CHARACTER.test(tag));
  if (odd) return `"${odd}" may not contain quotes, backslashes or invisible characters.`;
  return undefined;
}

/** The request for the whole form (every field is sent, so clearing one clears it), or the errors. */
export function agentDetailsRequest(values: AgentDetailsFormValues): AgentDetailsResult {
  const errors: AgentDetailsErrors = {};
  const alias = values.alias.trim();
  if (characters(alias) > MAX_ALIAS_CHARACTERS) errors.alias = `At most ${MAX_ALIAS_CHARACTERS} characters.`;
  else if (HIDDEN_CHARACTER.test(alias)) errors.alias = "No control or invisible characters.";
  const tags = parseTags(values.tags);
  const tagProblem = tagError(tags);
  if (tagProblem) errors.tags = tagProblem;
  const notes = values.notes.trimEnd();
  if (characters(notes) > MAX_NOTES_CHARACTERS) errors.notes = `At most ${MAX_NOTES_CHARACTERS.toLocaleString("en")} characters.`;
  else if (HIDDEN_IN_TEXT.test(notes)) errors.notes = "No control or invisible characters (line breaks and tabs are fine).";
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, request: { alias: alias || null, tags, notes } };
}

/** The form field a server refusal names (`alias must…`, `tags[2] must…`, `notes must…`), if any. */
export function fieldOfRefusal(message: string): AgentDetailsField | undefined {
  const field = /^(alias|tags|notes)\b/.exec(message)?.[1];
  return field as AgentDetailsField | undefined;
}
