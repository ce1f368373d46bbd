//! Snoozing an alert: the preset durations, and the custom time (a `datetime-local` value, local
//! time) checked as the server checks it: in the future and at most 30 days ahead.

export const MAX_SNOOZE_DAYS = 30;

export const SNOOZE_PRESETS = [
  { value: "1h", label: "1 hour", hours: 1 },
  { value: "4h", label: "4 hours", hours: 4 },
  { value: "24h", label: "24 hours", hours: 24 },
] as const;

export type SnoozeChoice = (typeof SNOOZE_PRESETS)[number]["value"] | "custom";

export type SnoozeResult = { ok: true; until: string } | { ok: false; message: string };

/** The `until` to send for a choice, `now` in milliseconds; `custom` is a `datetime-local` value. */
export function snoozeUntil(choice: SnoozeChoice, custom: string, now: number): SnoozeResult {
  const preset = SNOOZE_PRESETS.find((option) => option.value === choice);
  if (preset) return { ok: true, until: new Date(now + preset.hours * 3_600_000).toISOString() };
  if (custom.trim() === "") return { ok: false, message: "Pick a date and time." };
  // A `datetime-local` value has no zone: the browser reads it as local time.
  const at = new Date(custom);
  if (Number.isNaN(at.getTime())) return { ok: false, message: "Pick a date and time." };
  if (at.getTime() <= now) return { ok: false, message: "Pick a time in the future." };
  if (at.getTime() > now + MAX_SNOOZE_DAYS * 86_400_000) return { ok: false, message: `At most ${MAX_SNOOZE_DAYS} days ahead.` };
  return { ok: true, until: at.toISOString() };
}

/** A `datetime-local` value (local time, minutes) for a moment, to prefill the custom field. */
export function toDateTimeLocal(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
