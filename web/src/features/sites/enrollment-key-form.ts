//! The "New key" form turned into the server's request, with the server's limits checked first so a
//! mistake is shown next to its field; and the words the key list uses for a key's state and uses.
import type { EnrollmentKeyInfo, NewEnrollmentKeyRequest } from "./api/enrollment-keys";

/** The server's limits (`services/enrollment.rs`): 366 days, 100 000 agents, 200 characters. */
export const MAX_KEY_HOURS = 8784;
export const MAX_KEY_USES = 100_000;
export const MAX_LABEL_CHARACTERS = 200;

/** What the server calls a key without a label. */
export const DEFAULT_KEY_LABEL = "Site key";

export type ExpiryChoice = "never" | "1" | "24" | "168" | "720" | "custom";
export type UsesChoice = "unlimited" | "one-time" | "custom";

export const EXPIRY_CHOICES: { value: ExpiryChoice; label: string }[] = [
  { value: "never", label: "Never" },
  { value: "1", label: "In 1 hour" },
  { value: "24", label: "In 24 hours" },
  { value: "168", label: "In 7 days" },
  { value: "720", label: "In 30 days" },
  { value: "custom", label: "Custom (hours)" },
];

export const USES_CHOICES: { value: UsesChoice; label: string }[] = [
  { value: "unlimited", label: "Unlimited" },
  { value: "one-time", label: "One-time (1 agent)" },
  { value: "custom", label: "Custom number" },
];

export interface EnrollmentKeyFormValues {
  label: string;
  expiry: ExpiryChoice;
  customHours: string;
  uses: UsesChoice;
  customUses: string;
}

export const EMPTY_ENROLLMENT_KEY_FORM: EnrollmentKeyFormValues = {
  label: "",
  expiry: "never",
  customHours: "",
  uses: "unlimited",
  customUses: "",
};

export type EnrollmentKeyFormField = "label" | "customHours" | "customUses";
export type EnrollmentKeyFormErrors = Partial<Record<EnrollmentKeyFormField, string>>;
export type EnrollmentKeyFormResult = { ok: true; request: NewEnrollmentKeyRequest } | { ok: false; errors: EnrollmentKeyFormErrors };

// Control and invisible format characters (bidirectional overrides, zero-width spaces), which the server refuses in names.
const HIDDEN_CHARACTER = /[\p{Cc}\p{Cf}]/u;
const WHOLE_NUMBER = /^\d+$/;

function wholeNumberBetween(text: string, min: number, max: number): number | null {
  const trimmed = text.trim();
  if (!WHOLE_NUMBER.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= min && value <= max ? value : null;
}

const grouped = new Intl.NumberFormat("en-US");

/** Checks every field at once (so all mistakes show together) and builds the request body. */
export function buildNewEnrollmentKeyRequest(values: EnrollmentKeyFormValues): EnrollmentKeyFormResult {
  const errors: EnrollmentKeyFormErrors = {};
  const request: NewEnrollmentKeyRequest = {};

  const label = values.label.trim();
  if ([...label].length > MAX_LABEL_CHARACTERS) {
    errors.label = `A label has at most ${MAX_LABEL_CHARACTERS} characters.`;
  } else if (HIDDEN_CHARACTER.test(label)) {
    errors.label = "A label cannot contain control or invisible characters.";
  } else if (label !== "") {
    request.label = label;
  }

  if (values.expiry === "custom") {
    const hours = wholeNumberBetween(values.customHours, 1, MAX_KEY_HOURS);
    if (values.customHours.trim() === "") errors.customHours = "Enter after how many hours the key expires.";
    else if (hours === null) errors.customHours = `Enter a whole number of hours from 1 to ${grouped.format(MAX_KEY_HOURS)} (366 days).`;
    else request.expires_in_hours = hours;
  } else if (values.expiry !== "never") {
    request.expires_in_hours = Number(values.expiry);
  }

  if (values.uses === "custom") {
    const uses = wholeNumberBetween(values.customUses, 1, MAX_KEY_USES);
    if (values.customUses.trim() === "") errors.customUses = "Enter how many agents the key may enroll.";
    else if (uses === null) errors.customUses = `Enter a whole number of agents from 1 to ${grouped.format(MAX_KEY_USES)}.`;
    else request.max_uses = uses;
  } else if (values.uses === "one-time") {
    request.max_uses = 1;
  }

  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, request };
}

function hoursText(hours: number): string {
  if (hours % 24 === 0) return hours === 24 ? "24 hours" : `${grouped.format(hours / 24)} days`;
  return hours === 1 ? "1 hour" : `${grouped.format(hours)} hours`;
}

/** One sentence on what a key made from this request allows, shown before it is created. */
export function describeNewKey(request: NewEnrollmentKeyRequest): string {
  const uses =
    request.max_uses === undefined || request.max_uses === null
      ? "Enrolls any number of agents"
      : request.max_uses === 1
        ? "Enrolls a single agent"
        : `Enrolls up to ${grouped.format(request.max_uses)} agents`;
  const expiry =
    request.expires_in_hours === undefined || request.expires_in_hours === null
      ? "never expires"
      : `expires ${hoursText(request.expires_in_hours)} after it is created`;
  return `${uses} and ${expiry}.`;
}

/** "3 of 10", "1 of 1 (one-time)", "5, no limit". */
export function enrollmentKeyUsesText(key: Pick<EnrollmentKeyInfo, "uses" | "max_uses">): string {
  const uses = grouped.format(key.uses);
  if (key.max_uses === null || key.max_uses === undefined) return `${uses}, no limit`;
  if (key.max_uses === 1) return `${uses} of 1 (one-time)`;
  return `${uses} of ${grouped.format(key.max_uses)}`;
}

export type EnrollmentKeyState = "active" | "revoked" | "expired" | "used_up";

export const ENROLLMENT_KEY_STATE_LABELS: Record<EnrollmentKeyState, string> = {
  active: "Active",
  revoked: "Revoked",
  expired: "Expired",
  used_up: "Used up",
};

export function isKnownKeyState(state: string): state is EnrollmentKeyState {
  return Object.hasOwn(ENROLLMENT_KEY_STATE_LABELS, state);
}
