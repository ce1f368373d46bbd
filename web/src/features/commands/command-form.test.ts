import { command } from "@/test/fixtures";
import { buildCommandSpec, commandToForm, EMPTY_COMMAND_FORM, parseArgLines, parseEnvLines, type CommandFormValues } from "./command-form";

function form(overrides: Partial<CommandFormValues>): CommandFormValues {
  return { ...EMPTY_COMMAND_FORM, ...overrides };
}

describe("parseArgLines", () => {
  it("makes one argument per line, keeping spaces and quotes, and skips blank lines", () => {
    expect(parseArgLines('--verbose\n\n"two words" here\r\n  indented\n   \n')).toEqual(["--verbose", '"two words" here', "  indented"]);
  });

  it("gives no arguments for an empty field", () => {
    expect(parseArgLines("")).toEqual([]);
  });
});

describe("parseEnvLines", () => {
  it("splits at the first = and keeps the rest of the value as typed", () => {
    expect(parseEnvLines("PATH_EXTRA=/opt/bin\nQUERY=a=b&c=d\nEMPTY=\n_UNDER=  spaced ")).toEqual({
      ok: true,
      env: { PATH_EXTRA: "/opt/bin", QUERY: "a=b&c=d", EMPTY: "", _UNDER: "  spaced " },
    });
  });

  it("skips blank lines and # comments", () => {
    expect(parseEnvLines("\n# proxy for the update\nHTTP_PROXY=http://proxy:3128\n")).toEqual({
      ok: true,
      env: { HTTP_PROXY: "http://proxy:3128" },
    });
  });

  it("refuses a line without = and says which line", () => {
    expect(parseEnvLines("A=1\nnot a pair")).toEqual({ ok: false, message: "Line 2: expected NAME=value" });
  });

  it("refuses names the server would refuse", () => {
    for (const bad of ["1ST=x", "MY-VAR=x", "HAS SPACE=x", "=x", "É=x"]) {
      const result = parseEnvLines(bad);
      expect(result.ok, bad).toBe(false);
    }
  });

  it("refuses a name set twice instead of silently keeping one", () => {
    expect(parseEnvLines("A=1\nA=2")).toEqual({ ok: false, message: "Line 2: A is set twice" });
  });
});

describe("buildCommandSpec", () => {
  it("sends a plain shell command with the default timeout as the system account", () => {
    expect(buildCommandSpec(form({ command: "uptime" }))).toEqual({
      ok: true,
      spec: { command_type: "shell", command: "uptime", timeout_seconds: 300, run_as: { context: "system" } },
    });
  });

  it("sends the interpreter only for scripts, and requires it there", () => {
    expect(buildCommandSpec(form({ commandType: "script", command: "echo hi" }))).toMatchObject({ ok: false, field: "interpreter" });
    expect(buildCommandSpec(form({ commandType: "script", command: "echo hi", interpreter: " bash " }))).toMatchObject({
      ok: true,
      spec: { command_type: "script", interpreter: "bash" },
    });
    const shell = buildCommandSpec(form({ commandType: "shell", command: "ls", interpreter: "bash" }));
    expect(shell.ok && "interpreter" in shell.spec).toBe(false);
  });

  it("includes arguments, environment and working directory only when given", () => {
    expect(buildCommandSpec(form({ command: "x", args: "a\nb", env: "K=v", workingDir: " /tmp " }))).toMatchObject({
      ok: true,
      spec: { args: ["a", "b"], env: { K: "v" }, working_dir: "/tmp" },
    });
    const bare = buildCommandSpec(form({ command: "x" }));
    expect(bare.ok && Object.keys(bare.spec).sort()).toEqual(["command", "command_type", "run_as", "timeout_seconds"]);
  });

  it("checks the timeout range", () => {
    for (const bad of ["0", "86401", "1.5", "abc", "-3"]) {
      expect(buildCommandSpec(form({ command: "x", timeoutSeconds: bad })), bad).toMatchObject({ ok: false, field: "timeoutSeconds" });
    }
    expect(buildCommandSpec(form({ command: "x", timeoutSeconds: "86400" }))).toMatchObject({ ok: true, spec: { timeout_seconds: 86400 } });
  });

  it("runs as a named local user or the logged-in session", () => {
    expect(buildCommandSpec(form({ command: "x", runAs: "user", username: "" }))).toMatchObject({ ok: false, field: "username" });
    expect(buildCommandSpec(form({ command: "x", runAs: "user", username: "-rf" }))).toMatchObject({ ok: false, field: "username" });
    expect(buildCommandSpec(form({ command: "x", runAs: "user", username: "CORP\\alice" }))).toMatchObject({
      ok: true,
      spec: { run_as: { context: "user", username: "CORP\\alice" } },
    });
    expect(buildCommandSpec(form({ command: "x", runAs: "user_session" }))).toMatchObject({
      ok: true,
      spec: { run_as: { context: "user_session" } },
    });
  });

  it("refuses an empty command and bad environment lines, naming the field", () => {
    expect(buildCommandSpec(form({ command: "  \n" }))).toMatchObject({ ok: false, field: "command" });
    expect(buildCommandSpec(form({ command: "x", env: "BAD NAME=1" }))).toMatchObject({ ok: false, field: "env" });
  });
});

describe("a command prefilled to run again with changes", () => {
  const ran = command({
    command_type: "script",
    interpreter: "bash",
    command: "deploy.sh",
    args: ["--fast", "two words"],
    env: { API_KEY: "********", LANG: "********" },
    secrets_hidden: true,
    run_as: { context: "user", username: "deploy" },
    timeout_seconds: 60,
    working_dir: "/srv",
  });

  it("brings every field, but hidden values as empty lines to enter again", () => {
    expect(commandToForm(ran)).toEqual({
      commandType: "script",
      command: "deploy.sh",
      interpreter: "bash",
      timeoutSeconds: "60",
      runAs: "user",
      username: "deploy",
      args: "--fast\ntwo words",
      env: "API_KEY=\nLANG=",
      workingDir: "/srv",
      reenterEnv: ["API_KEY", "LANG"],
    });
  });

  it("refuses to run until each hidden value is entered again or its line removed", () => {
    const values = commandToForm(ran);
    expect(buildCommandSpec(values)).toEqual({
      ok: false,
      field: "env",
      message: "Enter the values of API_KEY, LANG again (hidden: you need the View secrets permission to see them), or remove their lines.",
    });
    expect(buildCommandSpec({ ...values, env: "API_KEY=k-1\nLANG=" })).toMatchObject({
      ok: false,
      message: expect.stringContaining("Enter the value of LANG again"),
    });
    expect(buildCommandSpec({ ...values, env: "API_KEY=********\nLANG=C" })).toMatchObject({ ok: false, field: "env" });
    expect(buildCommandSpec({ ...values, env: "API_KEY=k-1" })).toMatchObject({ ok: true, spec: { env: { API_KEY: "k-1" } } });
  });

  it("keeps values shown to a user who may read them", () => {
    const values = commandToForm(command({ env: { LANG: "C" }, secrets_hidden: false }));
    expect(values).toMatchObject({ env: "LANG=C", reenterEnv: [] });
    expect(buildCommandSpec(values)).toMatchObject({ ok: true, spec: { env: { LANG: "C" } } });
  });
});
