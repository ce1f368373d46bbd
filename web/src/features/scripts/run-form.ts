//! The run dialog's state turned into a `RunScriptRequest`: parameter values typed by their
//! definition (text, number, checkbox, password), required ones checked, and exactly one kind of target.
//! The placeholder of a hidden value (`********`) is never sent: a secret parameter whose default this
//! user cannot read starts empty and, left empty, is left out so the server uses the stored default.
import type { RunScriptRequest, ScriptParameter, Targets } from "@/api/types";
import { MAX_TIMEOUT_SECONDS, parseTimeoutSeconds } from "@/lib/command-fields";
import { HIDDEN_VALUE } from "@/lib/env-lines";
import { valueMatchesType } from "./script-form";

/** Text for string, number and secret parameters, a flag for boolean ones, by parameter name. */
export type ParameterValues = Record<string, string | boolean>;

/**
 * Secret parameters given a credential vault entry instead of a value: the entry's id by parameter
 * name. The server sends the agent the entry's value; the form never sees it.
 */
export type VaultChoices = Record<string, string>;

export type TargetChoice =
  | { kind: "agents"; agentIds: string[] }
  | { kind: "site"; clientId: string | null; siteId: string | null }
  | { kind: "client"; clientId: string | null };

/**
 * Every parameter prefilled with its default; a boolean without one starts unchecked. A parameter
 * taken from a custom field starts empty, so each agent's value applies (its default still does
 * where an agent has none). A default hidden from this user is not a value: the field starts empty.
 */
export function initialParameterValues(parameters: ScriptParameter[]): ParameterValues {
  const values: ParameterValues = {};
  for (const parameter of parameters) {
    if (parameter.custom_field || hasHiddenDefault(parameter)) values[parameter.name] = parameter.type === "boolean" ? false : "";
    else values[parameter.name] = parameter.type === "boolean" ? parameter.default === "true" : (parameter.default ?? "");
  }
  return values;
}

/** A secret parameter whose default is set but hidden from this user (answered as `********`). */
export function hasHiddenDefault(parameter: ScriptParameter): boolean {
  return parameter.type === "secret" && parameter.default === HIDDEN_VALUE;
}

/**
 * The positional argument ($1, $2…) each parameter is passed as, by name; a secret parameter is
 * passed in the environment only and has none.
 */
export function positionalArguments(parameters: ScriptParameter[]): Record<string, number | null> {
  const positions: Record<string, number | null> = {};
  let next = 1;
  for (const parameter of parameters) {
    if (parameter.type === "secret") positions[parameter.name] = null;
    else positions[parameter.name] = next++;
  }
  return positions;
}

/** A value as a run sends it: typed text, a number, a flag, or a vault entry for a secret parameter. */
export type RunParameterValue = string | number | boolean | { vault_entry_id: string };

export type RunFormResult =
  | { ok: true; request: RunScriptRequest }
  | { ok: false; field: "parameter" | "targets" | "timeoutSeconds"; parameter?: string; message: string };

/**
 * Typed values for the request; an empty optional number, or an empty secret with a default, is left
 * out so the script's default applies.
 */
export function typedParameterValues(
  parameters: ScriptParameter[],
  values: ParameterValues,
  fromVault: VaultChoices = {},
): { ok: true; values: Record<string, RunParameterValue> } | { ok: false; parameter: string; message: string } {
  const typed: Record<string, RunParameterValue> = {};
  for (const parameter of parameters) {
    const value = values[parameter.name];
    if (parameter.type === "secret" && parameter.name in fromVault) {
      const entry = fromVault[parameter.name];
      if (!entry) return { ok: false, parameter: parameter.name, message: "Pick an entry of the vault." };
      typed[parameter.name] = { vault_entry_id: entry };
      continue;
    }
    // Left empty (or unchecked), a parameter taken from a custom field is not sent: the server
    // gives each agent its own value.
    const fromField = Boolean(parameter.custom_field);
    if (parameter.type === "boolean") {
      if (!fromField || value === true) typed[parameter.name] = value === true;
      continue;
    }
    const text = typeof value === "string" ? value : "";
    if (text === HIDDEN_VALUE) {
      return { ok: false, parameter: parameter.name, message: `${HIDDEN_VALUE} stands for a hidden value; enter the value itself.` };
    }
    if (text.trim() === "" && fromField) continue;
    if (parameter.type === "secret") {
      if (text !== "") typed[parameter.name] = text;
      else if (parameter.required && !parameter.default) {
        return { ok: false, parameter: parameter.name, message: `${parameter.name} is required.` };
      }
      continue;
    }
    if (text.trim() === "") {
      if (parameter.required) return { ok: false, parameter: parameter.name, message: `${parameter.name} is required.` };
      if (parameter.type === "string") typed[parameter.name] = text;
      continue;
    }
    if (parameter.type === "number") {
      if (!valueMatchesType("number", text))
        return { ok: false, parameter: parameter.name, message: `${parameter.name} must be a number.` };
      typed[parameter.name] = Number(text.trim());
      continue;
    }
    typed[parameter.name] = text;
  }
  return { ok: true, values: typed };
}

/**
 * The client whose vault entries a run may use: the target's, or that of the first agent picked
 * (`agentClient`, looked up by the caller); the server refuses agents of other clients by name.
 */
export function vaultClientOf(target: TargetChoice, agentClient: string | null): string | null {
  if (target.kind === "agents") return target.agentIds.length > 0 ? agentClient : null;
  return target.clientId;
}

/** Exactly one of agents, a site or a client, as the server wants it. */
export function buildTargets(choice: TargetChoice): { ok: true; targets: Targets } | { ok: false; message: string } {
  if (choice.kind === "agents") {
    if (choice.agentIds.length === 0) return { ok: false, message: "Pick at least one agent." };
    return { ok: true, targets: { agent_ids: [...new Set(choice.agentIds)] } };
  }
  if (choice.kind === "site") {
    if (!choice.siteId) return { ok: false, message: "Pick a site." };
    return { ok: true, targets: { site_id: choice.siteId } };
  }
  if (!choice.clientId) return { ok: false, message: "Pick a client." };
  return { ok: true, targets: { client_id: choice.clientId } };
}

export function buildRunRequest(
  parameters: ScriptParameter[],
  values: ParameterValues,
  target: TargetChoice,
  timeoutSeconds: string,
  fromVault: VaultChoices = {},
): RunFormResult {
  const typed = typedParameterValues(parameters, values, fromVault);
  if (!typed.ok) return { ok: false, field: "parameter", parameter: typed.parameter, message: typed.message };
  const targets = buildTargets(target);
  if (!targets.ok) return { ok: false, field: "targets", message: targets.message };
  // The document describes the values as a free-form object, which the generator types as empty.
  const request: RunScriptRequest = { targets: targets.targets, parameters: typed.values as RunScriptRequest["parameters"] };
  if (timeoutSeconds.trim() !== "") {
    const timeout = parseTimeoutSeconds(timeoutSeconds);
    if (timeout === null) {
      return { ok: false, field: "timeoutSeconds", message: `A whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}.` };
    }
    request.timeout_seconds = timeout;
  }
  return { ok: true, request };
}
