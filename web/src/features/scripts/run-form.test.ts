import type { ScriptParameter } from "@/api/types";
import {
  buildRunRequest,
  buildTargets,
  hasHiddenDefault,
  initialParameterValues,
  positionalArguments,
  typedParameterValues,
  vaultClientOf,
} from "./run-form";

const parameters: ScriptParameter[] = [
  { name: "Name", type: "string", required: true },
  { name: "Count", type: "number", default: "3" },
  { name: "Force", type: "boolean", default: "true" },
  { name: "Verbose", type: "boolean" },
  { name: "Note", type: "string" },
];

describe("parameter values", () => {
  it("prefills defaults, booleans as checkboxes", () => {
    expect(initialParameterValues(parameters)).toEqual({ Name: "", Count: "3", Force: true, Verbose: false, Note: "" });
  });

  it("types each value by its parameter, keeping text exactly", () => {
    const values = { ...initialParameterValues(parameters), Name: `it's "me"; $(id)`, Count: " 7 " };
    expect(typedParameterValues(parameters, values)).toEqual({
      ok: true,
      values: { Name: `it's "me"; $(id)`, Count: 7, Force: true, Verbose: false, Note: "" },
    });
  });

  it("refuses an empty required value and a number that is not one", () => {
    expect(typedParameterValues(parameters, initialParameterValues(parameters))).toEqual({
      ok: false,
      parameter: "Name",
      message: "Name is required.",
    });
    expect(typedParameterValues(parameters, { ...initialParameterValues(parameters), Name: "x", Count: "3 apples" })).toMatchObject({
      ok: false,
      parameter: "Count",
    });
  });

  it("leaves out an empty optional number so the script's default applies", () => {
    const result = typedParameterValues([{ name: "Count", type: "number", default: "3" }], { Count: "" });
    expect(result).toEqual({ ok: true, values: {} });
  });
});

describe("targets", () => {
  it("builds exactly one kind of target", () => {
    expect(buildTargets({ kind: "agents", agentIds: ["a1", "a2", "a1"] })).toEqual({ ok: true, targets: { agent_ids: ["a1", "a2"] } });
    expect(buildTargets({ kind: "site", clientId: "c1", siteId: "s1" })).toEqual({ ok: true, targets: { site_id: "s1" } });
    expect(buildTargets({ kind: "client", clientId: "c1" })).toEqual({ ok: true, targets: { client_id: "c1" } });
  });

  it("asks for a pick when nothing is chosen", () => {
    expect(buildTargets({ kind: "agents", agentIds: [] })).toEqual({ ok: false, message: "Pick at least one agent." });
    expect(buildTargets({ kind: "site", clientId: "c1", siteId: null })).toEqual({ ok: false, message: "Pick a site." });
    expect(buildTargets({ kind: "client", clientId: null })).toEqual({ ok: false, message: "Pick a client." });
  });

  it("builds the whole request, with the timeout only when overridden", () => {
    const values = { ...initialParameterValues(parameters), Name: "me" };
    expect(buildRunRequest(parameters, values, { kind: "agents", agentIds: ["a1"] }, "")).toEqual({
      ok: true,
      request: { targets: { agent_ids: ["a1"] }, parameters: { Name: "me", Count: 3, Force: true, Verbose: false, Note: "" } },
    });
    expect(buildRunRequest(parameters, values, { kind: "client", clientId: "c1" }, "90")).toMatchObject({
      ok: true,
      request: { targets: { client_id: "c1" }, timeout_seconds: 90 },
    });
    expect(buildRunRequest(parameters, values, { kind: "client", clientId: "c1" }, "1.5")).toMatchObject({
      ok: false,
      field: "timeoutSeconds",
    });
    expect(buildRunRequest(parameters, values, { kind: "agents", agentIds: [] }, "")).toMatchObject({ ok: false, field: "targets" });
  });
});

describe("parameters taken from custom fields", () => {
  const mapped: ScriptParameter[] = [
    { name: "Path", type: "string", required: true, default: "/tmp", custom_field: "backup_path" },
    { name: "Deep", type: "boolean", custom_field: "deep_scan" },
    { name: "Days", type: "number", custom_field: "keep_days" },
  ];

  it("start empty and, left empty, are not sent, so each agent's value applies", () => {
    const values = initialParameterValues(mapped);
    expect(values).toEqual({ Path: "", Deep: false, Days: "" });
    expect(typedParameterValues(mapped, values)).toEqual({ ok: true, values: {} });
  });

  it("send what the caller types, which wins on every agent", () => {
    expect(typedParameterValues(mapped, { Path: "/given", Deep: true, Days: "3" })).toEqual({
      ok: true,
      values: { Path: "/given", Deep: true, Days: 3 },
    });
    expect(typedParameterValues(mapped, { Path: "", Deep: false, Days: "many" })).toMatchObject({ ok: false, parameter: "Days" });
  });
});

describe("secret parameters", () => {
  const secrets: ScriptParameter[] = [
    { name: "Host", type: "string", required: true },
    { name: "Password", type: "secret", default: "********", required: true },
    { name: "Token", type: "secret", required: true },
    { name: "Extra", type: "secret" },
    { name: "Port", type: "number" },
  ];

  it("start empty when their default is hidden, and take no positional argument", () => {
    expect(initialParameterValues(secrets)).toEqual({ Host: "", Password: "", Token: "", Extra: "", Port: "" });
    expect(hasHiddenDefault(secrets[1]!)).toBe(true);
    expect(hasHiddenDefault(secrets[2]!)).toBe(false);
    expect(positionalArguments(secrets)).toEqual({ Host: 1, Password: null, Token: null, Extra: null, Port: 2 });
  });

  it("leave out an empty secret, so the stored default applies; send a typed one as is", () => {
    const values = { ...initialParameterValues(secrets), Host: "db1", Token: " t 0k " };
    expect(typedParameterValues(secrets, values)).toEqual({ ok: true, values: { Host: "db1", Token: " t 0k " } });
  });

  it("require a required secret without a default, and never send the placeholder", () => {
    expect(typedParameterValues(secrets, { ...initialParameterValues(secrets), Host: "db1" })).toEqual({
      ok: false,
      parameter: "Token",
      message: "Token is required.",
    });
    expect(typedParameterValues(secrets, { Host: "db1", Password: "********", Token: "x" })).toMatchObject({
      ok: false,
      parameter: "Password",
    });
    expect(typedParameterValues(secrets, { Host: "********", Token: "x" })).toMatchObject({ ok: false, parameter: "Host" });
  });
});

describe("a secret parameter from the vault", () => {
  const withSecret: ScriptParameter[] = [
    { name: "Password", type: "secret", required: true },
    { name: "Days", type: "number", default: "7" },
  ];

  it("sends the entry's id instead of a value, and asks for an entry when none is picked", () => {
    const values = initialParameterValues(withSecret);
    expect(typedParameterValues(withSecret, values, { Password: "e-1" })).toEqual({
      ok: true,
      values: { Password: { vault_entry_id: "e-1" }, Days: 7 },
    });
    expect(typedParameterValues(withSecret, values, { Password: "" })).toEqual({
      ok: false,
      parameter: "Password",
      message: "Pick an entry of the vault.",
    });
  });

  it("takes the entries of the target's client, or of the first agent's", () => {
    expect(vaultClientOf({ kind: "site", clientId: "c-1", siteId: "s-1" }, null)).toBe("c-1");
    expect(vaultClientOf({ kind: "client", clientId: "c-2" }, null)).toBe("c-2");
    expect(vaultClientOf({ kind: "agents", agentIds: ["a-1"] }, "c-3")).toBe("c-3");
    expect(vaultClientOf({ kind: "agents", agentIds: [] }, "c-3")).toBeNull();
  });
});
