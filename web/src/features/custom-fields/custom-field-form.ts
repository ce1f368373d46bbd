//! The rules of a custom field's definition and of its values, as the server has them, so the forms
//! say what is wrong before sending; and the server's 422 messages placed on the field they name.
import type { CustomField, CustomFieldKind, CustomFieldRequest, CustomFieldScope, CustomFieldUpdate } from "@/api/types";

export const CUSTOM_FIELD_SCOPES: readonly CustomFieldScope[] = ["client", "site", "agent"];
export const CUSTOM_FIELD_KINDS: readonly CustomFieldKind[] = ["text", "number", "date", "choice"];
export const SCOPE_LABELS: Record<CustomFieldScope, string> = { client: "Client", site: "Site", agent: "Agent" };
export const KIND_LABELS: Record<CustomFieldKind, string> = { text: "Text", number: "Number", date: "Date", choice: "Choice" };

export const MAX_KEY_CHARS = 40;
export const MAX_FIELD_NAME_CHARS = 100;
export const MAX_CHOICES = 50;
export const MAX_CHOICE_CHARS = 100;
export const MAX_TEXT_CHARS = 1000;

const KEY = /^[a-z][a-z0-9_]*$/;
/** What Rust's `f64` parse accepts, minus infinities and NaN. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Control (Cc) and invisible format (Cf) characters: what the server refuses in names and values. */
const HIDDEN = /[\p{Cc}\p{Cf}]/u;

/** A key suggested from a name: "Backup path" → "backup_path". */
export function keyFromName(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[_0-9]+|_+$/g, "");
  return slug.slice(0, MAX_KEY_CHARS).replace(/_+$/, "");
}

export interface FieldFormValues {
  scope: CustomFieldScope;
  key: string;
  name: string;
  kind: CustomFieldKind;
  /** One choice per line. */
  choices: string;
}

export type FieldFormField = "key" | "name" | "choices";
export type FieldFormResult<T> = { ok: true; body: T } | { ok: false; field: FieldFormField; message: string };

export function fieldToForm(field: CustomField): FieldFormValues {
  return { scope: field.scope, key: field.key, name: field.name, kind: field.kind, choices: field.choices.join("\n") };
}

function checkName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === "") return "Give the field a name.";
  if ([...trimmed].length > MAX_FIELD_NAME_CHARS) return `At most ${MAX_FIELD_NAME_CHARS} characters.`;
  if (HIDDEN.test(trimmed)) return "No control or invisible characters.";
  return null;
}

/** The choices, one per line, trimmed, empty lines left out; or what is wrong with them. */
export function parseChoices(text: string): { ok: true; choices: string[] } | { ok: false; message: string } {
  const choices = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  if (choices.length === 0 || choices.length > MAX_CHOICES)
    return { ok: false, message: `Give 1 to ${MAX_CHOICES} choices, one per line.` };
  const seen = new Set<string>();
  for (const choice of choices) {
    if ([...choice].length > MAX_CHOICE_CHARS)
      return { ok: false, message: `"${choice.slice(0, 20)}…": at most ${MAX_CHOICE_CHARS} characters.` };
    if (HIDDEN.test(choice)) return { ok: false, message: `"${choice}": no control or invisible characters.` };
    if (seen.has(choice.toLowerCase())) return { ok: false, message: `"${choice}" is listed twice.` };
    seen.add(choice.toLowerCase());
  }
  return { ok: true, choices };
}

export function buildFieldRequest(values: FieldFormValues): FieldFormResult<CustomFieldRequest> {
  const key = values.key.trim();
  if (!KEY.test(key) || key.length > MAX_KEY_CHARS) {
    return { ok: false, field: "key", message: `1 to ${MAX_KEY_CHARS} of a-z, digits and _, starting with a letter.` };
  }
  const nameProblem = checkName(values.name);
  if (nameProblem) return { ok: false, field: "name", message: nameProblem };
  const body: CustomFieldRequest = { scope: values.scope, key, name: values.name.trim(), kind: values.kind };
  if (values.kind === "choice") {
    const choices = parseChoices(values.choices);
    if (!choices.ok) return { ok: false, field: "choices", message: choices.message };
    body.choices = choices.choices;
  }
  return { ok: true, body };
}

/** A rename and, for a choice field, its choices (the key and kind never change). */
export function buildFieldUpdate(values: FieldFormValues): FieldFormResult<CustomFieldUpdate> {
  const nameProblem = checkName(values.name);
  if (nameProblem) return { ok: false, field: "name", message: nameProblem };
  const body: CustomFieldUpdate = { name: values.name.trim() };
  if (values.kind === "choice") {
    const choices = parseChoices(values.choices);
    if (!choices.ok) return { ok: false, field: "choices", message: choices.message };
    body.choices = choices.choices;
  }
  return { ok: true, body };
}

/** The form field a server refusal of a definition names (`key…`, `name…`, `choices…`), if any. */
export function fieldProblemFromServer(message: string): { field: FieldFormField; message: string } | null {
  const match = /^(key|name|choices)(\[\d+\])?:?\s/.exec(message);
  if (!match) return null;
  return { field: match[1] as FieldFormField, message };
}

/** What is wrong with a value typed for a field (empty is fine: it clears the value), or null. */
export function valueProblem(field: CustomField, text: string): string | null {
  const value = text.trim();
  if (value === "") return null;
  switch (field.kind) {
    case "text":
      if ([...value].length > MAX_TEXT_CHARS) return `At most ${MAX_TEXT_CHARS} characters.`;
      return HIDDEN.test(value) ? "One line, without control or invisible characters." : null;
    case "number":
      return NUMBER.test(value) && Number.isFinite(Number(value)) ? null : "A number, such as 42 or -1.5.";
    case "date": {
      if (!DATE.test(value)) return "A date, YYYY-MM-DD.";
      const date = new Date(`${value}T00:00:00Z`);
      return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) ? null : "Not a date of the calendar.";
    }
    case "choice":
      return field.choices.includes(value) ? null : `One of ${field.choices.join(", ")}.`;
  }
}

export type ValueDrafts = Record<string, string>;

/**
 * The values that changed from `saved`, by key (an emptied one is `null`, which clears it), or the
 * problem of each value that is wrong.
 */
export function buildValuesBody(
  fields: CustomField[],
  drafts: ValueDrafts,
  saved: Record<string, string | null>,
): { ok: true; values: Record<string, string | null> } | { ok: false; problems: Record<string, string> } {
  const values: Record<string, string | null> = {};
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const draft = (drafts[field.key] ?? "").trim();
    const before = saved[field.key] ?? "";
    if (draft === before) continue;
    const problem = valueProblem(field, draft);
    if (problem) problems[field.key] = problem;
    else values[field.key] = draft === "" ? null : draft;
  }
  return Object.keys(problems).length > 0 ? { ok: false, problems } : { ok: true, values };
}

/**
 * The server's 422 on values (`key: why; key: why`) split per key; a message naming none of `keys`
 * comes back as `null`, to be shown for the whole form.
 */
export function valueProblemsFromServer(message: string, keys: string[]): Record<string, string> | null {
  const problems: Record<string, string> = {};
  const starts = [...message.matchAll(/(?:^|; )([a-z][a-z0-9_]*): /g)];
  starts.forEach((match, index) => {
    const key = match[1] ?? "";
    if (!keys.includes(key)) return;
    const from = (match.index ?? 0) + match[0].length;
    const next = starts[index + 1];
    problems[key] = message.slice(from, next ? next.index : message.length);
  });
  return Object.keys(problems).length > 0 ? problems : null;
}
