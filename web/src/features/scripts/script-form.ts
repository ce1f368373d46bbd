//! The script editor's fields turned into a `ScriptRequest`, with the server's rules checked first
//! (parameter names, duplicates, defaults of the right type, environment lines) so a mistake is shown
//! next to its field instead of after a round trip.
//!
//! A caller without `view_secrets` gets the default environment's values and secret parameters'
//! defaults as `********`. The form keeps those apart (`hiddenEnv`, `hiddenDefault`) so they are
//! never shown or edited as text: left alone they go back as `********`, which keeps the stored
//! value; replaced, the new value goes.
import type { CommandType, ParameterType, Script, ScriptParameter, ScriptRequest } from "@/api/types";
import {
  buildRunAs,
  DEFAULT_TIMEOUT_SECONDS,
  INTERPRETER_REQUIRED,
  MAX_TIMEOUT_SECONDS,
  parseTimeoutSeconds,
  type RunAsChoice,
} from "@/lib/command-fields";
import { ENV_NAME, formatEnvLines, HIDDEN_VALUE, MAX_ENV_VARS, parseEnvLines } from "@/lib/env-lines";

export const MAX_PARAMETERS = 32;
/** What Rust's `f64` parse accepts, minus infinities and NaN (the server refuses those). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface ParameterRow {
  /** A local key for React lists; never sent. */
  key: string;
  name: string;
  type: ParameterType;
  default: string;
  required: boolean;
  description: string;
  /** The key of the custom field the value comes from on each agent when the run gives none; "" for none. */
  customField: string;
  /**
   * The stored name of a secret parameter whose default this user cannot read (null when it is shown
   * or there is none). Unless `replaceHidden`, it is sent back as `********`, which keeps it, and
   * `default` is unused.
   */
  hiddenDefault: string | null;
  /** The user chose to type a new default (`default`) in place of the hidden one. */
  replaceHidden: boolean;
}

/** A variable of the default environment whose value this user cannot read. */
export interface HiddenEnvVar {
  name: string;
  /** null: the stored value is kept; otherwise the new value typed for it. */
  replacement: string | null;
}

export interface ScriptFormValues {
  name: string;
  description: string;
  category: string;
  commandType: CommandType;
  interpreter: string;
  body: string;
  parameters: ParameterRow[];
  /** One `NAME=value` per line: the variables whose values are shown, and new ones. */
  env: string;
  /** The variables with hidden values, listed apart from `env`. */
  hiddenEnv: HiddenEnvVar[];
  timeoutSeconds: string;
  runAs: RunAsChoice;
  username: string;
}

export const EMPTY_SCRIPT_FORM: ScriptFormValues = {
  name: "",
  description: "",
  category: "",
  commandType: "shell",
  interpreter: "",
  body: "",
  parameters: [],
  env: "",
  hiddenEnv: [],
  timeoutSeconds: String(DEFAULT_TIMEOUT_SECONDS),
  runAs: "system",
  username: "",
};

let nextRowKey = 0;

export function newParameterRow(partial: Partial<Omit<ParameterRow, "key">> = {}): ParameterRow {
  nextRowKey += 1;
  return {
    key: `p${nextRowKey}`,
    name: "",
    type: "string",
    default: "",
    required: false,
    description: "",
    customField: "",
    hiddenDefault: null,
    replaceHidden: false,
    ...partial,
  };
}

/**
 * The row with another type. A boolean default other than true/false would be refused, so it starts
 * empty; a hidden secret default is not carried to a type whose default everyone reads.
 */
export function changeParameterType(row: ParameterRow, type: ParameterType): ParameterRow {
  if (keepsHiddenDefault(row) && type !== "secret") return { ...row, type, default: "", replaceHidden: true };
  if (type === "boolean" && row.default !== "true" && row.default !== "false") return { ...row, type, default: "" };
  return { ...row, type };
}

/** Whether the row sends `********` back for its default, keeping the stored one. */
export function keepsHiddenDefault(row: ParameterRow): boolean {
  return row.hiddenDefault !== null && !row.replaceHidden;
}

/** Whether a stored value is the placeholder of a value this user cannot read. */
function isHidden(hidden: boolean, value: string | null | undefined): boolean {
  return hidden && value === HIDDEN_VALUE;
}

/** The editor's fields for a stored script's current version. */
export function scriptToForm(script: Script): ScriptFormValues {
  const current = script.current;
  const runAs = current.run_as;
  const hidden = current.secrets_hidden;
  const shownEnv: Record<string, string> = {};
  const hiddenEnv: HiddenEnvVar[] = [];
  for (const [name, value] of Object.entries(current.default_env)) {
    if (isHidden(hidden, value)) hiddenEnv.push({ name, replacement: null });
    else shownEnv[name] = value;
  }
  return {
    name: script.name,
    description: script.description,
    category: script.category,
    commandType: current.command_type as CommandType,
    interpreter: current.interpreter ?? "",
    body: current.body,
    parameters: current.parameters.map((parameter) => {
      const hiddenDefault = parameter.type === "secret" && isHidden(hidden, parameter.default);
      return newParameterRow({
        name: parameter.name,
        type: parameter.type,
        default: hiddenDefault ? "" : (parameter.default ?? ""),
        hiddenDefault: hiddenDefault ? parameter.name : null,
        required: parameter.required ?? false,
        description: parameter.description ?? "",
        customField: parameter.custom_field ?? "",
      });
    }),
    env: formatEnvLines(shownEnv),
    hiddenEnv,
    timeoutSeconds: String(current.default_timeout_seconds),
    runAs: runAs.context,
    username: runAs.context === "user" ? runAs.username : "",
  };
}

/** Whether `text` is a value the server accepts for a parameter of this type. */
export function valueMatchesType(type: ParameterType, text: string): boolean {
  if (type === "number") return NUMBER.test(text.trim());
  if (type === "boolean") return text === "true" || text === "false";
  return true;
}

export type ParameterField = "name" | "default" | "description";
export interface ParameterProblem {
  row: number;
  field: ParameterField;
  message: string;
}

/** The first mistake in the parameter rows, or null. Mirrors the server's `validate_parameters`. */
export function validateParameterRows(rows: ParameterRow[]): ParameterProblem | null {
  if (rows.length > MAX_PARAMETERS) return { row: MAX_PARAMETERS, field: "name", message: `At most ${MAX_PARAMETERS} parameters.` };
  const seen = new Set<string>();
  for (let row = 0; row < rows.length; row += 1) {
    const parameter = rows[row];
    if (!parameter) continue;
    const name = parameter.name.trim();
    if (name === "") return { row, field: "name", message: "Give the parameter a name." };
    if (!ENV_NAME.test(name) || name.length > 64) {
      return { row, field: "name", message: `"${name}": letters, digits and _ only, not starting with a digit.` };
    }
    if (seen.has(name)) return { row, field: "name", message: `${name} is defined twice.` };
    seen.add(name);
    if (keepsHiddenDefault(parameter)) {
      // The server keeps a hidden default by the parameter's name: renamed, there is nothing to keep.
      if (parameter.type !== "secret" || name !== parameter.hiddenDefault) {
        return {
          row,
          field: "default",
          message: `The hidden default belongs to ${parameter.hiddenDefault}: keep that name, or replace the default.`,
        };
      }
    } else if (parameter.default === HIDDEN_VALUE) {
      return { row, field: "default", message: `${HIDDEN_VALUE} stands for a hidden value; enter the default itself.` };
    } else if (parameter.default !== "" && !valueMatchesType(parameter.type, parameter.default)) {
      return {
        row,
        field: "default",
        message: parameter.type === "boolean" ? "The default must be true or false." : "The default must be a number.",
      };
    }
    if (parameter.description.length > 1024) return { row, field: "description", message: "At most 1024 characters." };
  }
  return null;
}

export type ScriptFormField = "name" | "category" | "interpreter" | "body" | "parameters" | "env" | "timeoutSeconds" | "username";

export type ScriptFormResult =
  { ok: true; request: ScriptRequest } | { ok: false; field: ScriptFormField; message: string; parameter?: ParameterProblem };

function parameterFromRow(row: ParameterRow): ScriptParameter {
  const parameter: ScriptParameter = { name: row.name.trim(), type: row.type, required: row.required };
  if (keepsHiddenDefault(row)) parameter.default = HIDDEN_VALUE;
  else if (row.default !== "") parameter.default = row.type === "number" ? row.default.trim() : row.default;
  const description = row.description.trim();
  if (description !== "") parameter.description = description;
  if (row.customField !== "") parameter.custom_field = row.customField;
  return parameter;
}

/** Validates the form and builds the request body. */
export function buildScriptRequest(values: ScriptFormValues): ScriptFormResult {
  const name = values.name.trim();
  if (name === "") return { ok: false, field: "name", message: "Give the script a name." };
  if (name.length > 200) return { ok: false, field: "name", message: "At most 200 characters." };
  if (values.category.trim().length > 100) return { ok: false, field: "category", message: "At most 100 characters." };
  const interpreter = values.interpreter.trim();
  if (values.commandType === "script" && interpreter === "") {
    return { ok: false, field: "interpreter", message: INTERPRETER_REQUIRED };
  }
  if (values.body.trim() === "") return { ok: false, field: "body", message: "Write the script's code." };
  const problem = validateParameterRows(values.parameters);
  if (problem) return { ok: false, field: "parameters", message: problem.message, parameter: problem };
  const env = buildDefaultEnv(values.env, values.hiddenEnv);
  if (!env.ok) return { ok: false, field: "env", message: env.message };
  const timeout = parseTimeoutSeconds(values.timeoutSeconds);
  if (timeout === null) {
    return { ok: false, field: "timeoutSeconds", message: `A whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}.` };
  }
  const runAs = buildRunAs(values.runAs, values.username);
  if (!runAs.ok) return { ok: false, field: "username", message: runAs.message };
  return {
    ok: true,
    request: {
      name,
      description: values.description.trim(),
      category: values.category.trim(),
      command_type: values.commandType,
      // The server refuses an interpreter for the other types.
      interpreter: values.commandType === "script" ? interpreter : null,
      body: values.body,
      parameters: values.parameters.map(parameterFromRow),
      default_env: env.env,
      default_timeout_seconds: timeout,
      run_as: runAs.runAs,
    },
  };
}

/** The typed lines and the hidden variables (`********` when kept, else their new value) as one environment. */
export function buildDefaultEnv(
  text: string,
  hidden: HiddenEnvVar[],
): { ok: true; env: Record<string, string> } | { ok: false; message: string } {
  const parsed = parseEnvLines(text);
  if (!parsed.ok) return parsed;
  const env = parsed.env;
  for (const variable of hidden) {
    if (Object.hasOwn(env, variable.name)) {
      return { ok: false, message: `${variable.name} is also a hidden variable: replace it there, or remove one of the two.` };
    }
    if (variable.replacement === HIDDEN_VALUE) {
      return { ok: false, message: `${HIDDEN_VALUE} stands for a hidden value; enter the new value of ${variable.name}.` };
    }
    env[variable.name] = variable.replacement ?? HIDDEN_VALUE;
  }
  if (Object.keys(env).length > MAX_ENV_VARS) return { ok: false, message: `At most ${MAX_ENV_VARS} variables` };
  return { ok: true, env };
}
