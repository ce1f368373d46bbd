//! Registry values as regedit shows them, and the typed value form: what a technician types for
//! each type, checked against the server's limits (`crates/protocol/src/registry.rs`) before it is sent.
import type { RegistryData, RegistryValue } from "@/api/types";
import { charCount, type Checked } from "./registry-location";

export const WRITABLE_TYPES = ["REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD", "REG_QWORD", "REG_BINARY", "REG_NONE"] as const;
export type WritableType = (typeof WRITABLE_TYPES)[number];

export const MAX_VALUE_NAME_CHARS = 16_383;
export const MAX_STRING_CHARS = 32 * 1024;
export const MAX_MULTI_STRINGS = 1024;
export const MAX_BINARY_BYTES = 32 * 1024;
const MAX_DWORD = 0xffff_ffffn;
/**
 * A QWORD travels as a JSON number, which JavaScript reads exactly only up to 2^53 - 1: larger
 * values are refused rather than silently rounded (the API itself takes the whole 64-bit range).
 */
export const MAX_EXACT_QWORD = BigInt(Number.MAX_SAFE_INTEGER);

/** How the default value is named, as in regedit. */
export const DEFAULT_VALUE_LABEL = "(Default)";

export function valueLabel(name: string): string {
  return name === "" ? DEFAULT_VALUE_LABEL : name;
}

/** Lowercase hex as spaced bytes: `01 ab ff`. */
export function spacedHex(hex: string): string {
  return (hex.match(/../g) ?? []).join(" ");
}

function hexNumber(value: number, digits: number): string {
  return `0x${BigInt(value).toString(16).padStart(digits, "0")}`;
}

/** The data as regedit's Data column shows it. */
export function formatRegistryData(data: RegistryData): string {
  switch (data.type) {
    case "REG_SZ":
    case "REG_EXPAND_SZ":
      return data.data;
    case "REG_MULTI_SZ":
      return data.data.join(" ");
    case "REG_DWORD":
      return `${hexNumber(data.data, 8)} (${data.data})`;
    case "REG_QWORD":
      // Past 2^53 the number was rounded when the answer was read: say so instead of showing it as exact.
      return Number.isSafeInteger(data.data)
        ? `${hexNumber(data.data, 16)} (${data.data})`
        : `≈ ${BigInt(data.data)} (too large to show exactly)`;
    case "REG_BINARY":
      return data.data === "" ? "(zero-length binary value)" : spacedHex(data.data);
    case "REG_NONE":
      return "(zero-length binary value)";
    case "other":
      return `${spacedHex(data.data.hex)} (type ${data.data.kind})`;
  }
}

/** The type column's text. */
export function typeLabel(data: RegistryData): string {
  return data.type === "other" ? `type ${data.data.kind}` : data.type;
}

/** What the value form holds: all as text, as typed. */
export interface ValueForm {
  name: string;
  type: WritableType;
  /** Strings as they are; a multi-string one per line; numbers decimal or 0x hex; binary hex bytes. */
  data: string;
}

export function emptyValueForm(): ValueForm {
  return { name: "", type: "REG_SZ", data: "" };
}

/** The form prefilled with a value to edit; null for a type the registry browser cannot write. */
export function valueToForm(value: RegistryValue): ValueForm | null {
  const data = value.value;
  const form = (type: WritableType, text: string): ValueForm => ({ name: value.name, type, data: text });
  switch (data.type) {
    case "REG_SZ":
    case "REG_EXPAND_SZ":
    case "REG_BINARY":
      return form(data.type, data.type === "REG_BINARY" ? spacedHex(data.data) : data.data);
    case "REG_MULTI_SZ":
      return form(data.type, data.data.join("\n"));
    case "REG_DWORD":
      return form(data.type, String(data.data));
    case "REG_QWORD":
      return Number.isSafeInteger(data.data) ? form(data.type, String(data.data)) : null;
    case "REG_NONE":
      return form(data.type, "");
    case "other":
      return null;
  }
}

/** A DWORD or QWORD typed in decimal or 0x hex, or why it is refused. */
export function parseRegistryNumber(text: string, type: "REG_DWORD" | "REG_QWORD"): Checked<number> {
  const trimmed = text.trim().replace(/_/g, "");
  const size = type === "REG_DWORD" ? "a DWORD (32-bit)" : "a QWORD (64-bit)";
  let value: bigint;
  if (/^0x[0-9a-f]+$/i.test(trimmed)) value = BigInt(trimmed);
  else if (/^[0-9]+$/.test(trimmed)) value = BigInt(trimmed);
  else return { ok: false, message: `Type ${size} as a whole number, in decimal (3) or hex (0x3).` };
  if (type === "REG_DWORD" && value > MAX_DWORD) return { ok: false, message: "A DWORD is at most 4294967295 (0xffffffff)." };
  if (type === "REG_QWORD" && value > MAX_EXACT_QWORD) {
    return {
      ok: false,
      message: `The dashboard writes QWORDs up to ${MAX_EXACT_QWORD} (2^53 - 1), the largest it can send exactly; use the API for larger ones.`,
    };
  }
  return { ok: true, value: Number(value) };
}

function stringProblem(text: string): string | null {
  if (text.includes("\0")) return "The data must not contain NUL characters.";
  if (charCount(text) > MAX_STRING_CHARS) return `The data must be at most ${MAX_STRING_CHARS} characters.`;
  return null;
}

/** Hex bytes typed with or without separators (`01 ab ff`, `01,ab,ff` as in .reg files, `01abff`). */
export function parseHexBytes(text: string): Checked<string> {
  const hex = text
    .replace(/^hex:/i, "")
    .replace(/[\s,]+/g, "")
    .toLowerCase();
  if (!/^[0-9a-f]*$/.test(hex) || hex.length % 2 !== 0) {
    return { ok: false, message: "Type the binary data as hex bytes, two digits each, e.g. 01 ab ff." };
  }
  if (hex.length / 2 > MAX_BINARY_BYTES) return { ok: false, message: `Binary data must be at most ${MAX_BINARY_BYTES} bytes.` };
  return { ok: true, value: hex };
}

/** The value to send for the form, or the first problem with it. */
export function buildRegistryValue(form: ValueForm): Checked<{ name: string; value: RegistryData }> {
  if (charCount(form.name) > MAX_VALUE_NAME_CHARS)
    return { ok: false, message: `A value name must be at most ${MAX_VALUE_NAME_CHARS} characters.` };
  if (form.name.includes("\0")) return { ok: false, message: "A value name must not contain NUL characters." };
  const done = (value: RegistryData) => ({ ok: true as const, value: { name: form.name, value } });
  switch (form.type) {
    case "REG_SZ":
    case "REG_EXPAND_SZ": {
      const problem = stringProblem(form.data);
      return problem ? { ok: false, message: problem } : done({ type: form.type, data: form.data });
    }
    case "REG_MULTI_SZ": {
      // One string per line; a trailing newline is not an empty string, but an empty line inside is.
      const lines = form.data.replace(/\r\n/g, "\n").replace(/\n$/, "");
      const strings = lines === "" ? [] : lines.split("\n");
      if (strings.some((line) => line === ""))
        return { ok: false, message: "A REG_MULTI_SZ cannot hold an empty string: remove the empty lines." };
      if (strings.length > MAX_MULTI_STRINGS) return { ok: false, message: `A REG_MULTI_SZ holds at most ${MAX_MULTI_STRINGS} strings.` };
      const problem = stringProblem(strings.join(""));
      return problem ? { ok: false, message: problem } : done({ type: form.type, data: strings });
    }
    case "REG_DWORD":
    case "REG_QWORD": {
      const number = parseRegistryNumber(form.data, form.type);
      return number.ok ? done({ type: form.type, data: number.value }) : number;
    }
    case "REG_BINARY": {
      const hex = parseHexBytes(form.data);
      return hex.ok ? done({ type: form.type, data: hex.value }) : hex;
    }
    case "REG_NONE":
      return done({ type: "REG_NONE" });
  }
}
