import type { Script } from "@/api/types";
import {
  buildScriptRequest,
  EMPTY_SCRIPT_FORM,
  newParameterRow,
  scriptToForm,
  validateParameterRows,
  valueMatchesType,
} from "./script-form";

const row = newParameterRow;

describe("parameter rows", () => {
  it("accepts identifiers with defaults of their type", () => {
    expect(
      validateParameterRows([
        row({ name: "Name" }),
        row({ name: "_count2", type: "number", default: "-1.5e3" }),
        row({ name: "Force", type: "boolean", default: "false" }),
      ]),
    ).toBeNull();
  });

  it("refuses names that are not identifiers, and empty names", () => {
    expect(validateParameterRows([row({ name: "Name" }), row({ name: "2fast" })])).toMatchObject({ row: 1, field: "name" });
    expect(validateParameterRows([row({ name: "my-name" })])).toMatchObject({ row: 0, field: "name" });
    expect(validateParameterRows([row({ name: "  " })])).toEqual({ row: 0, field: "name", message: "Give the parameter a name." });
  });

  it("refuses a name defined twice", () => {
    expect(validateParameterRows([row({ name: "Path" }), row({ name: "Path" })])).toEqual({
      row: 1,
      field: "name",
      message: "Path is defined twice.",
    });
  });

  it("refuses a default that does not match the type", () => {
    expect(validateParameterRows([row({ name: "Count", type: "number", default: "ten" })])).toMatchObject({ field: "default" });
    expect(validateParameterRows([row({ name: "Force", type: "boolean", default: "yes" })])).toMatchObject({ field: "default" });
    expect(valueMatchesType("number", "Infinity")).toBe(false);
    expect(valueMatchesType("number", " 42 ")).toBe(true);
    expect(valueMatchesType("string", "anything at all")).toBe(true);
  });
});

describe("buildScriptRequest", () => {
  const base = { ...EMPTY_SCRIPT_FORM, name: "  Greet ", body: 'echo "hello $1"' };

  it("builds the request, sending an interpreter only for the script type", () => {
    const result = buildScriptRequest({
      ...base,
      interpreter: "bash",
      parameters: [row({ name: "Name", required: true, description: " who " }), row({ name: "Times", type: "number", default: " 3 " })],
      env: "LANG=C",
      timeoutSeconds: "60",
    });
    expect(result).toEqual({
      ok: true,
      request: {
        name: "Greet",
        description: "",
        category: "",
        command_type: "shell",
        interpreter: null,
        body: 'echo "hello $1"',
        parameters: [
          { name: "Name", type: "string", required: true, description: "who" },
          { name: "Times", type: "number", required: false, default: "3" },
        ],
        default_env: { LANG: "C" },
        default_timeout_seconds: 60,
        run_as: { context: "system" },
      },
    });
    expect(buildScriptRequest({ ...base, commandType: "script", interpreter: " bash " })).toMatchObject({
      ok: true,
      request: { command_type: "script", interpreter: "bash" },
    });
  });

  it("points at the field to fix", () => {
    expect(buildScriptRequest({ ...base, name: "" })).toMatchObject({ ok: false, field: "name" });
    expect(buildScriptRequest({ ...base, commandType: "script" })).toMatchObject({ ok: false, field: "interpreter" });
    expect(buildScriptRequest({ ...base, body: "  \n" })).toMatchObject({ ok: false, field: "body" });
    expect(buildScriptRequest({ ...base, parameters: [row({ name: "a b" })] })).toMatchObject({
      ok: false,
      field: "parameters",
      parameter: { row: 0, field: "name" },
    });
    expect(buildScriptRequest({ ...base, env: "1BAD=x" })).toMatchObject({ ok: false, field: "env" });
    expect(buildScriptRequest({ ...base, timeoutSeconds: "0" })).toMatchObject({ ok: false, field: "timeoutSeconds" });
    expect(buildScriptRequest({ ...base, runAs: "user", username: "" })).toMatchObject({ ok: false, field: "username" });
  });

  it("round-trips a stored script through the form", () => {
    const script: Script = {
      id: "s1",
      name: "Greet",
      description: "Says hello",
      category: "Demo",
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      current: {
        version: 2,
        command_type: "script",
        interpreter: "bash",
        body: "echo hi",
        parameters: [{ name: "Name", type: "string", default: "world", required: false }],
        default_env: { A: "1", B: "x=y" },
        secrets_hidden: false,
        default_timeout_seconds: 120,
        run_as: { context: "user", username: "alice" },
        created_at: "2026-01-01T00:00:00Z",
        created_by_email: "tech@example.com",
      },
    };
    expect(buildScriptRequest(scriptToForm(script))).toMatchObject({
      ok: true,
      request: {
        name: "Greet",
        category: "Demo",
        interpreter: "bash",
        parameters: [{ name: "Name", type: "string", default: "world", required: false }],
        default_env: { A: "1", B: "x=y" },
        default_timeout_seconds: 120,
        run_as: { context: "user", username: "alice" },
      },
    });
  });
});
