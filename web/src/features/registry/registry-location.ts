//! Where the registry browser is: a hive and a key path below it. Paths are typed or pasted in the
//! forms regedit, reg.exe and scripts use (`Computer\HKEY_LOCAL_MACHINE\SOFTWARE`, `HKLM\SOFTWARE`,
//! `HKLM:\SOFTWARE`, doubled backslashes) and checked against the server's limits before anything is sent.
import type { RegistryHive } from "@/api/types";

export const REGISTRY_HIVES: { hive: RegistryHive; name: string }[] = [
  { hive: "HKLM", name: "HKEY_LOCAL_MACHINE" },
  { hive: "HKCU", name: "HKEY_CURRENT_USER" },
  { hive: "HKU", name: "HKEY_USERS" },
  { hive: "HKCR", name: "HKEY_CLASSES_ROOT" },
  { hive: "HKCC", name: "HKEY_CURRENT_CONFIG" },
];

/** The server's limits (`crates/protocol/src/registry.rs`). */
export const MAX_PATH_CHARS = 1024;
export const MAX_KEY_NAME_CHARS = 255;

export interface RegistryLocation {
  hive: RegistryHive;
  /** Below the hive, parts separated by one `\`; "" is the hive itself. */
  path: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** Characters, not UTF-16 units, as the server counts them. */
export const charCount = (text: string) => [...text].length;

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why a key name cannot be used, or null. */
export function keyNameProblem(name: string): string | null {
  if (name === "") return "A key name cannot be empty.";
  if (name.includes("\\")) return "A key name cannot contain \\ (it separates keys).";
  if (charCount(name) > MAX_KEY_NAME_CHARS) return `A key name must be at most ${MAX_KEY_NAME_CHARS} characters.`;
  if (CONTROL.test(name)) return "A key name must not contain control characters.";
  return null;
}

/** Why a path below a hive cannot be used, or null. */
export function pathProblem(path: string): string | null {
  if (charCount(path) > MAX_PATH_CHARS) return `A key path must be at most ${MAX_PATH_CHARS} characters.`;
  if (path === "") return null;
  for (const part of path.split("\\")) {
    const problem = part === "" ? "Key path parts are separated by one \\, with none empty." : keyNameProblem(part);
    if (problem) return problem;
  }
  return null;
}

/** The hive a pasted root names: `HKLM`, `HKEY_LOCAL_MACHINE` or PowerShell's `HKLM:`, any case. */
function hiveOf(text: string): RegistryHive | null {
  const upper = text.toUpperCase().replace(/:$/, "");
  return REGISTRY_HIVES.find(({ hive, name }) => upper === hive || upper === name)?.hive ?? null;
}

/** A typed or pasted key path read as a location, or why it cannot be. */
export function parseRegistryLocation(text: string): Checked<RegistryLocation> {
  const cleaned = text
    .trim()
    .replace(/^["']|["']$/g, "")
    .replace(/\\{2,}/g, "\\")
    .replace(/^\\|\\$/g, "");
  const parts = cleaned === "" ? [] : cleaned.split("\\");
  // regedit's address bar starts with "Computer".
  if (parts.length > 0 && parts[0]!.toLowerCase() === "computer") parts.shift();
  if (parts.length === 0) return { ok: false, message: "Type a key path that starts with a hive, e.g. HKLM\\SOFTWARE." };
  const hive = hiveOf(parts[0]!);
  if (!hive) {
    return { ok: false, message: `"${parts[0]}" is not a hive: start with HKLM, HKCU, HKU, HKCR or HKCC (or their HKEY_ names).` };
  }
  const path = parts.slice(1).join("\\");
  const problem = pathProblem(path);
  return problem ? { ok: false, message: problem } : { ok: true, value: { hive, path } };
}

/** The key `name` below `path`. */
export function childPath(path: string, name: string): string {
  return path === "" ? name : `${path}\\${name}`;
}

/** The key above `path` ("" above a top-level key). */
export function parentPath(path: string): string {
  const last = path.lastIndexOf("\\");
  return last === -1 ? "" : path.slice(0, last);
}

/** Each ancestor of the location, the hive first, with its own path, for a breadcrumb. */
export function breadcrumb(location: RegistryLocation): { label: string; path: string }[] {
  const crumbs: { label: string; path: string }[] = [{ label: location.hive, path: "" }];
  if (location.path === "") return crumbs;
  let path = "";
  for (const part of location.path.split("\\")) {
    path = childPath(path, part);
    crumbs.push({ label: part, path });
  }
  return crumbs;
}

/** The path of a new key `name` below `location`, or why it cannot be created. */
export function newKeyPath(location: RegistryLocation, name: string): Checked<string> {
  const problem = keyNameProblem(name.trim());
  if (problem) return { ok: false, message: problem };
  const path = childPath(location.path, name.trim());
  if (charCount(path) > MAX_PATH_CHARS) return { ok: false, message: `The whole key path must be at most ${MAX_PATH_CHARS} characters.` };
  return { ok: true, value: path };
}
