import type { Script } from "@/api/types";
import { script as scriptFixture } from "@/test/fixtures";
import {
  buildScriptRequest,
  changeParameterType,
  EMPTY_SCRIPT_FORM,
  keepsHiddenDefault,
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

describe("secrets hidden from this user", () => {
  const hiddenScript = scriptFixture(
    {},
    {
      secrets_hidden: true,
      body: "deploy",
      interpreter: "bash",
      parameters: [
        { name: "Password", type: "secret", default: "********", required: true },
        { name: "Token", type: "secret" },
        { name: "Days", type: "number", default: "7" },
      ],
      default_env: { API_KEY: "********", REGION: "********" },
    },
  );

  it("keeps hidden values apart from the text, never as the placeholder", () => {
    const values = scriptToForm(hiddenScript);
    expect(values.env).toBe("");
    expect(values.hiddenEnv).toEqual([
      { name: "API_KEY", replacement: null },
      { name: "REGION", replacement: null },
    ]);
    expect(values.parameters[0]).toMatchObject({ name: "Password", default: "", hiddenDefault: "Password", replaceHidden: false });
    expect(values.parameters[1]).toMatchObject({ name: "Token", default: "", hiddenDefault: null });
    expect(values.parameters[2]).toMatchObject({ default: "7", hiddenDefault: null });
  });

  it("shows the values to a user who may read them", () => {
    const values = scriptToForm(
      scriptFixture({}, { parameters: [{ name: "Password", type: "secret", default: "s3cret" }], default_env: { API_KEY: "k-123" } }),
    );
    expect(values.env).toBe("API_KEY=k-123");
    expect(values.hiddenEnv).toEqual([]);
    expect(values.parameters[0]).toMatchObject({ default: "s3cret", hiddenDefault: null });
  });

  it("sends untouched hidden values back as the placeholder, which keeps them", () => {
    const values = scriptToForm(hiddenScript);
    const result = buildScriptRequest({ ...values, env: "LANG=C" });
    expect(result).toMatchObject({
      ok: true,
      request: {
        default_env: { LANG: "C", API_KEY: "********", REGION: "********" },
        parameters: [
          { name: "Password", type: "secret", required: true, default: "********" },
          { name: "Token", type: "secret", required: false },
          { name: "Days", type: "number", required: false, default: "7" },
        ],
      },
    });
  });

  it("sends a replaced value, drops a removed one, and a replaced default", () => {
    const values = scriptToForm(hiddenScript);
    const result = buildScriptRequest({
      ...values,
      hiddenEnv: [{ name: "API_KEY", replacement: "new-key" }],
      parameters: values.parameters.map((parameter, index) =>
        index === 0 ? { ...parameter, replaceHidden: true, default: "hunter2" } : parameter,
      ),
    });
    expect(result.ok && result.request.default_env).toEqual({ API_KEY: "new-key" });
    expect(result.ok && result.request.parameters?.[0]).toEqual({ name: "Password", type: "secret", required: true, default: "hunter2" });
  });

  it("refuses the placeholder typed as a value, and a hidden variable typed again", () => {
    const values = scriptToForm(hiddenScript);
    expect(buildScriptRequest({ ...values, env: "NEW=********" })).toMatchObject({ ok: false, field: "env" });
    expect(buildScriptRequest({ ...values, hiddenEnv: [{ name: "API_KEY", replacement: "********" }] })).toMatchObject({
      ok: false,
      field: "env",
    });
    expect(buildScriptRequest({ ...values, env: "API_KEY=x" })).toEqual({
      ok: false,
      field: "env",
      message: "API_KEY is also a hidden variable: replace it there, or remove one of the two.",
    });
    expect(validateParameterRows([row({ name: "Token", type: "secret", default: "********" })])).toMatchObject({
      row: 0,
      field: "default",
    });
  });

  it("refuses renaming a parameter whose hidden default is kept (the server keeps it by name)", () => {
    const [password] = scriptToForm(hiddenScript).parameters;
    expect(validateParameterRows([{ ...password!, name: "Passphrase" }])).toEqual({
      row: 0,
      field: "default",
      message: "The hidden default belongs to Password: keep that name, or replace the default.",
    });
    expect(validateParameterRows([{ ...password!, name: "Passphrase", replaceHidden: true, default: "x" }])).toBeNull();
  });

  it("does not carry a hidden default to a type everyone reads", () => {
    const [password] = scriptToForm(hiddenScript).parameters;
    const asText = changeParameterType(password!, "string");
    expect(asText).toMatchObject({ type: "string", default: "", replaceHidden: true });
    expect(keepsHiddenDefault(asText)).toBe(false);
    expect(changeParameterType(row({ type: "string", default: "yes" }), "boolean")).toMatchObject({ type: "boolean", default: "" });
    expect(changeParameterType(row({ type: "string", default: "abc" }), "secret")).toMatchObject({ type: "secret", default: "abc" });
  });
});
