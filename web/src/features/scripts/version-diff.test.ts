import type { ScriptVersionInfo } from "@/api/types";
import { foldUnchanged, lineDiff, settingChanges, type DiffLine } from "./version-diff";

const render = (lines: DiffLine[] | null) =>
  lines?.map((line) => (line.kind === "added" ? `+${line.text}` : line.kind === "removed" ? `-${line.text}` : ` ${line.text}`));

describe("lineDiff", () => {
  it("marks removed and added lines and numbers each side", () => {
    const lines = lineDiff("a\nb\nc\n", "a\nB\nc\nd\n");
    expect(render(lines)).toEqual([" a", "-b", "+B", " c", "+d"]);
    expect(lines?.[2]).toEqual({ kind: "added", text: "B", newNumber: 2 });
    expect(lines?.[3]).toEqual({ kind: "same", text: "c", oldNumber: 3, newNumber: 3 });
  });

  it("does not count a missing final newline or Windows line ends as a change", () => {
    expect(render(lineDiff("a\nb", "a\nb\n"))).toEqual([" a", " b"]);
    expect(render(lineDiff("x\r\n", "x\n"))?.filter((line) => !line.startsWith(" "))).toEqual(["-x", "+x"]);
  });

  it("shows identical versions as unchanged and empty code as nothing", () => {
    expect(render(lineDiff("same\n", "same\n"))).toEqual([" same"]);
    expect(lineDiff("", "")).toEqual([]);
  });

  it("gives up on versions that have almost nothing in common", () => {
    const many = (prefix: string) => Array.from({ length: 3_000 }, (_, index) => `${prefix}${index}`).join("\n");
    expect(lineDiff(many("old "), many("new "))).toBeNull();
  });
});

describe("foldUnchanged", () => {
  it("keeps three lines around a change and folds the rest", () => {
    const before = Array.from({ length: 20 }, (_, index) => `line ${index + 1}`).join("\n");
    const after = before.replace("line 10", "line ten");
    const rows = foldUnchanged(lineDiff(before, after) ?? []);
    expect(rows.map((row) => (row.kind === "folded" ? `… ${row.count}` : row.text))).toEqual([
      "… 6",
      "line 7",
      "line 8",
      "line 9",
      "line 10",
      "line ten",
      "line 11",
      "line 12",
      "line 13",
      "… 7",
    ]);
  });

  it("does not fold a single line", () => {
    const rows = foldUnchanged(lineDiff("1\n2\n3\n4\n5\n", "1\n2\n3\n4\nfive\n") ?? [], 3);
    expect(rows.map((row) => row.kind)).toEqual(["same", "same", "same", "same", "removed", "added"]);
  });
});

describe("settingChanges", () => {
  const version = (overrides: Partial<ScriptVersionInfo>): ScriptVersionInfo => ({
    version: 1,
    command_type: "script",
    interpreter: "bash",
    body: "",
    parameters: [],
    default_env: {},
    secrets_hidden: false,
    default_timeout_seconds: 300,
    run_as: { context: "system" },
    created_at: "2026-01-01T00:00:00Z",
    created_by_email: "a@b.test",
    ...overrides,
  });

  it("names what changed besides the code", () => {
    expect(
      settingChanges(
        version({}),
        version({
          default_timeout_seconds: 60,
          parameters: [{ name: "Path", type: "string", required: true }],
          run_as: { context: "user", username: "backup" },
        }),
      ),
    ).toEqual(["parameters: none → Path (string, required)", "timeout: 300 s → 60 s", "run as: system → user backup"]);
    expect(settingChanges(version({}), version({ body: "other" }))).toEqual([]);
  });

  it("names a value hidden from this user as hidden, never as its placeholder", () => {
    const hidden = { secrets_hidden: true };
    expect(
      settingChanges(
        version({ ...hidden }),
        version({
          ...hidden,
          default_env: { TOKEN: "********" },
          parameters: [{ name: "Password", type: "secret", default: "********" }],
        }),
      ),
    ).toEqual(["parameters: none → Password (secret, default (hidden))", "environment: none → TOKEN=(hidden)"]);
  });
});
