import { describe, expect, it } from "vitest";
import type { CustomField } from "@/api/types";
import {
  buildFieldRequest,
  buildFieldUpdate,
  buildValuesBody,
  fieldProblemFromServer,
  keyFromName,
  parseChoices,
  valueProblem,
  valueProblemsFromServer,
} from "./custom-field-form";

function field(key: string, kind: CustomField["kind"], choices: string[] = []): CustomField {
  return { id: key, key, name: key, kind, choices, scope: "agent", created_at: "2025-01-01T00:00:00Z" };
}

describe("custom field definitions", () => {
  it("suggests a key from the name", () => {
    expect(keyFromName("Backup path")).toBe("backup_path");
    expect(keyFromName("  2nd Floor – Zürich! ")).toBe("nd_floor_zurich");
    expect(keyFromName("x".repeat(60))).toHaveLength(40);
  });

  it("builds a request and names the field at fault", () => {
    expect(buildFieldRequest({ scope: "client", key: "tier", name: " Tier ", kind: "choice", choices: "Gold\n\n Silver " })).toEqual({
      ok: true,
      body: { scope: "client", key: "tier", name: "Tier", kind: "choice", choices: ["Gold", "Silver"] },
    });
    expect(buildFieldRequest({ scope: "agent", key: "asset", name: "Asset", kind: "text", choices: "ignored" })).toEqual({
      ok: true,
      body: { scope: "agent", key: "asset", name: "Asset", kind: "text" },
    });
    const problem = (values: Partial<Parameters<typeof buildFieldRequest>[0]>) => {
      const result = buildFieldRequest({ scope: "agent", key: "k", name: "n", kind: "text", choices: "", ...values });
      return result.ok ? null : result.field;
    };
    expect(problem({ key: "Bad Key" })).toBe("key");
    expect(problem({ key: "9lives" })).toBe("key");
    expect(problem({ key: "k".repeat(41) })).toBe("key");
    expect(problem({ name: "  " })).toBe("name");
    expect(problem({ name: "n".repeat(101) })).toBe("name");
    expect(problem({ name: "a\u202eb" })).toBe("name");
    expect(problem({ kind: "choice", choices: "" })).toBe("choices");
    expect(buildFieldUpdate({ scope: "client", key: "tier", name: "Plan", kind: "choice", choices: "A\nB" })).toEqual({
      ok: true,
      body: { name: "Plan", choices: ["A", "B"] },
    });
  });

  it("refuses choices the server would", () => {
    expect(parseChoices("Gold\ngold")).toEqual({ ok: false, message: '"gold" is listed twice.' });
    expect(parseChoices(Array.from({ length: 51 }, (_, n) => `c${n}`).join("\n")).ok).toBe(false);
    expect(parseChoices("c".repeat(101)).ok).toBe(false);
  });

  it("places the server's refusal on its field", () => {
    expect(fieldProblemFromServer('key: there is a agent field with the key "x" already')?.field).toBe("key");
    expect(fieldProblemFromServer('choices[1]: "a" is listed twice')?.field).toBe("choices");
    expect(fieldProblemFromServer("name must not be empty")?.field).toBe("name");
    expect(fieldProblemFromServer("the organization has 100 custom fields already; delete one first")).toBeNull();
  });
});

describe("custom field values", () => {
  it("checks each kind as the server does", () => {
    expect(valueProblem(field("n", "number"), " -1.5e3 ")).toBeNull();
    expect(valueProblem(field("n", "number"), "ten")).not.toBeNull();
    expect(valueProblem(field("d", "date"), "2024-02-29")).toBeNull();
    expect(valueProblem(field("d", "date"), "2025-02-29")).not.toBeNull();
    expect(valueProblem(field("d", "date"), "2025-2-1")).not.toBeNull();
    expect(valueProblem(field("t", "text"), "two\nlines")).not.toBeNull();
    expect(valueProblem(field("t", "text"), "x".repeat(1001))).not.toBeNull();
    expect(valueProblem(field("c", "choice", ["Gold"]), "Gold")).toBeNull();
    expect(valueProblem(field("c", "choice", ["Gold"]), "Lead")).toBe("One of Gold.");
    expect(valueProblem(field("n", "number"), "")).toBeNull();
  });

  it("sends only what changed, an emptied value as null", () => {
    const fields = [field("a", "text"), field("b", "number"), field("c", "text")];
    expect(buildValuesBody(fields, { a: " new ", b: "", c: "same" }, { a: "old", b: "4", c: "same" })).toEqual({
      ok: true,
      values: { a: "new", b: null },
    });
    expect(buildValuesBody(fields, { a: "x", b: "lots" }, {})).toEqual({ ok: false, problems: { b: "A number, such as 42 or -1.5." } });
  });

  it("splits the server's 422 by key", () => {
    const message = "rack_units: must be a finite number such as 42 or -1.5; ring: must be one of Early, Late; nope: no agent field";
    expect(valueProblemsFromServer(message, ["rack_units", "ring"])).toEqual({
      rack_units: "must be a finite number such as 42 or -1.5",
      ring: "must be one of Early, Late",
    });
    expect(valueProblemsFromServer("agent not found", ["ring"])).toBeNull();
  });
});
