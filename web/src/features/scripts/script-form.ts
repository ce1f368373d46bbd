//! The script editor's fields turned into a `ScriptRequest`, with the server's rules checked first
//! (parameter names, duplicates, defaults of the right type, environment lines) so a mistake is shown
//! next to its field instead of after a round trip.
import type { CommandType, ParameterType, Script, ScriptParameter, ScriptRequest } from "@/api/types";
import {
  buildRunAs,
  DEFAULT_TIMEOUT_SECONDS,
  INTERPRETER_REQUIRED,
  MAX_TIMEOUT_SECONDS,
  parseTimeoutSeconds,
  type RunAsChoice,
} from "@/lib/command-fields";
import { ENV_NAME, formatEnvLines, parseEnvLines } from "@/lib/env-lines";

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
}

export interface ScriptFormValues {
  name: string;
  description: string;
  category: string;
  commandType: CommandType;
  interpreter: string;
  body: string;
  parameters: ParameterRow[];
  /** One `NAME=value` per line. */
  env: string;
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
  timeoutSeconds: String(DEFAULT_TIMEOUT_SECONDS),
  runAs: "system",
  username: "",
};

let nextRowKey = 0;

export function newParameterRow(partial: Partial<Omit<ParameterRow, "key">> = {}): ParameterRow {
  nextRowKey += 1;
  return { key: `p${nextRowKey}`, name: "", type: "string", default: "", required: false, description: "", customField: "", ...partial };
}

/** The editor's fields for a stored script's current version. */
export function scriptToForm(script: Script): ScriptFormValues {
  const current = script.current;
  const runAs = current.run_as;
  return {
    name: script.name,
    description: script.description,
    category: script.category,
    commandType: current.command_type as CommandType,
    interpreter: current.interpreter ?? "",
    body: current.body,
    parameters: current.parameters.map((parameter) =>
      newParameterRow({
        name: parameter.name,
        type: parameter.type,
        default: parameter.default ?? "",
        required: parameter.required ?? false,
        description: parameter.description ?? "",
        customField: parameter.custom_field ?? "",
      }),
    ),
    env: formatEnvLines(current.default_env),
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
    if (parameter.default !== "" && !valueMatchesType(parameter.type, parameter.default)) {
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
  if (row.default !== "") parameter.default = row.type === "number" ? row.default.trim() : row.default;
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
  const env = parseEnvLines(values.env);
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
