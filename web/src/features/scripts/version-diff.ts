//! Comparing two versions of a script: a line diff of their code (numbered on both sides, long
//! unchanged stretches folded) and the settings that differ besides the code.
import { diffLines } from "diff";
import type { ScriptVersionInfo } from "@/api/types";
import { HIDDEN_VALUE } from "@/lib/env-lines";

export type DiffLine =
  | { kind: "same"; text: string; oldNumber: number; newNumber: number }
  | { kind: "removed"; text: string; oldNumber: number }
  | { kind: "added"; text: string; newNumber: number };

/** A folded stretch of unchanged lines. */
export type DiffRow = DiffLine | { kind: "folded"; count: number };

/** Past this many changed lines the comparison gives up: two unrelated scripts are not worth a diff. */
export const MAX_DIFF_EDITS = 2_000;

/** The lines of `before` and `after` as removed, added or the same; `null` when they differ too much. */
export function lineDiff(before: string, after: string): DiffLine[] | null {
  const parts = diffLines(before, after, { ignoreNewlineAtEof: true, maxEditLength: MAX_DIFF_EDITS, timeout: 1_000 });
  if (!parts) return null;
  const lines: DiffLine[] = [];
  let oldNumber = 1;
  let newNumber = 1;
  for (const part of parts) {
    for (const text of splitLines(part.value)) {
      if (part.added) lines.push({ kind: "added", text, newNumber: newNumber++ });
      else if (part.removed) lines.push({ kind: "removed", text, oldNumber: oldNumber++ });
      else lines.push({ kind: "same", text, oldNumber: oldNumber++, newNumber: newNumber++ });
    }
  }
  return lines;
}

function splitLines(value: string): string[] {
  const lines = value.replace(/\r\n/g, "\n").split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Keeps `context` unchanged lines around each change and folds the rest (a fold of one line is not worth it). */
export function foldUnchanged(lines: DiffLine[], context = 3): DiffRow[] {
  const changed = lines.map((line) => line.kind !== "same");
  const near = (index: number) => {
    for (let other = Math.max(0, index - context); other <= Math.min(lines.length - 1, index + context); other++) {
      if (changed[other]) return true;
    }
    return false;
  };
  const rows: DiffRow[] = [];
  let hidden: DiffLine[] = [];
  const flush = () => {
    const [only] = hidden;
    if (hidden.length === 1 && only) rows.push(only);
    else if (hidden.length > 1) rows.push({ kind: "folded", count: hidden.length });
    hidden = [];
  };
  lines.forEach((line, index) => {
    if (line.kind === "same" && !near(index)) {
      hidden.push(line);
      return;
    }
    flush();
    rows.push(line);
  });
  flush();
  return rows;
}

/** What differs between two versions besides the code, in words ("timeout 300 s → 60 s"). */
export function settingChanges(before: ScriptVersionInfo, after: ScriptVersionInfo): string[] {
  const changes: string[] = [];
  const change = (label: string, from: string, to: string) => {
    if (from !== to) changes.push(`${label}: ${from} → ${to}`);
  };
  change("type", before.command_type, after.command_type);
  change("interpreter", before.interpreter ?? "none", after.interpreter ?? "none");
  change("parameters", parameterList(before), parameterList(after));
  change("timeout", `${before.default_timeout_seconds} s`, `${after.default_timeout_seconds} s`);
  change("run as", runAsLabel(before.run_as), runAsLabel(after.run_as));
  change("environment", envList(before), envList(after));
  return changes;
}

function parameterList(version: ScriptVersionInfo): string {
  if (version.parameters.length === 0) return "none";
  return version.parameters
    .map(
      (parameter) =>
        `${parameter.name} (${parameter.type}${parameter.required ? ", required" : ""}${parameter.default != null ? `, default ${shown(version, parameter.default)}` : ""})`,
    )
    .join(", ");
}

function runAsLabel(runAs: ScriptVersionInfo["run_as"]): string {
  return runAs.context === "user" ? `user ${runAs.username}` : runAs.context === "user_session" ? "logged-in user" : "system";
}

function envList(version: ScriptVersionInfo): string {
  const entries = Object.entries(version.default_env ?? {});
  return entries.length === 0 ? "none" : entries.map(([name, value]) => `${name}=${shown(version, value)}`).join(", ");
}

/** A value as words: one hidden from this user is "(hidden)", not its placeholder. */
function shown(version: ScriptVersionInfo, value: string): string {
  return version.secrets_hidden && value === HIDDEN_VALUE ? "(hidden)" : value;
}
