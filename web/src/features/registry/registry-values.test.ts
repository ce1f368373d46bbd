import { describe, expect, it } from "vitest";
import type { RegistryData } from "@/api/types";
import { buildRegistryValue, formatRegistryData, parseRegistryNumber, valueToForm, type ValueForm } from "./registry-values";

describe("formatRegistryData", () => {
  const check = (data: RegistryData, shown: string) => expect(formatRegistryData(data)).toBe(shown);

  it("shows data as regedit does", () => {
    check({ type: "REG_DWORD", data: 3 }, "0x00000003 (3)");
    check({ type: "REG_DWORD", data: 4294967295 }, "0xffffffff (4294967295)");
    check({ type: "REG_QWORD", data: 1000 }, "0x00000000000003e8 (1000)");
    check({ type: "REG_QWORD", data: 2 ** 60 }, "≈ 1152921504606846976 (too large to show exactly)");
    check({ type: "REG_BINARY", data: "01abff" }, "01 ab ff");
    check({ type: "REG_BINARY", data: "" }, "(zero-length binary value)");
    check({ type: "REG_NONE" }, "(zero-length binary value)");
    check({ type: "REG_MULTI_SZ", data: ["a", "b c"] }, "a b c");
    check({ type: "REG_EXPAND_SZ", data: "%SystemRoot%" }, "%SystemRoot%");
    check({ type: "other", data: { kind: 6, hex: "5c00" } }, "5c 00 (type 6)");
  });
});

describe("parseRegistryNumber", () => {
  it("takes decimal and 0x hex within the type's range", () => {
    expect(parseRegistryNumber("3", "REG_DWORD")).toEqual({ ok: true, value: 3 });
    expect(parseRegistryNumber(" 0xFF ", "REG_DWORD")).toEqual({ ok: true, value: 255 });
    expect(parseRegistryNumber("4294967295", "REG_DWORD")).toEqual({ ok: true, value: 4294967295 });
    expect(parseRegistryNumber("9007199254740991", "REG_QWORD")).toEqual({ ok: true, value: 9007199254740991 });
  });

  it("refuses anything else with a reason", () => {
    const refused = (text: string, type: "REG_DWORD" | "REG_QWORD", needle: string) => {
      const result = parseRegistryNumber(text, type);
      expect(!result.ok && result.message).toContain(needle);
    };
    refused("abc", "REG_DWORD", "decimal (3) or hex (0x3)");
    refused("-1", "REG_DWORD", "whole number");
    refused("1.5", "REG_QWORD", "whole number");
    refused("4294967296", "REG_DWORD", "at most 4294967295");
    refused("9007199254740992", "REG_QWORD", "use the API");
    refused("", "REG_DWORD", "whole number");
  });
});

describe("buildRegistryValue", () => {
  const form = (type: ValueForm["type"], data: string, name = "Level"): ValueForm => ({ name, type, data });
  const message = (value: ValueForm) => {
    const result = buildRegistryValue(value);
    return result.ok ? null : result.message;
  };

  it("builds each type", () => {
    expect(buildRegistryValue(form("REG_SZ", "hello"))).toEqual({
      ok: true,
      value: { name: "Level", value: { type: "REG_SZ", data: "hello" } },
    });
    expect(buildRegistryValue(form("REG_MULTI_SZ", "a\r\nb\n"))).toEqual({
      ok: true,
      value: { name: "Level", value: { type: "REG_MULTI_SZ", data: ["a", "b"] } },
    });
    expect(buildRegistryValue(form("REG_DWORD", "0x10"))).toEqual({
      ok: true,
      value: { name: "Level", value: { type: "REG_DWORD", data: 16 } },
    });
    expect(buildRegistryValue(form("REG_BINARY", "hex:01,AB, ff"))).toEqual({
      ok: true,
      value: { name: "Level", value: { type: "REG_BINARY", data: "01abff" } },
    });
    expect(buildRegistryValue(form("REG_NONE", "ignored", ""))).toEqual({ ok: true, value: { name: "", value: { type: "REG_NONE" } } });
  });

  it("refuses what the server would, with the reason", () => {
    expect(message(form("REG_SZ", "a\0b"))).toContain("NUL");
    expect(message(form("REG_SZ", "x".repeat(32 * 1024 + 1)))).toContain("at most 32768 characters");
    expect(message(form("REG_MULTI_SZ", "a\n\nb"))).toContain("empty");
    expect(message(form("REG_MULTI_SZ", "a\n".repeat(1025)))).toContain("at most 1024 strings");
    expect(message(form("REG_BINARY", "abc"))).toContain("two digits");
    expect(message(form("REG_BINARY", "zz"))).toContain("two digits");
    expect(message(form("REG_BINARY", "00".repeat(32 * 1024 + 1)))).toContain("at most 32768 bytes");
    expect(message(form("REG_DWORD", "abc"))).toContain("decimal (3) or hex (0x3)");
    expect(message(form("REG_SZ", "", "n".repeat(16_384)))).toContain("at most 16383");
  });

  it("prefills the form from a value, and round-trips it", () => {
    const values: RegistryData[] = [
      { type: "REG_SZ", data: "x" },
      { type: "REG_MULTI_SZ", data: ["a", "b"] },
      { type: "REG_DWORD", data: 7 },
      { type: "REG_BINARY", data: "00ff" },
      { type: "REG_NONE" },
    ];
    for (const value of values) {
      const prefilled = valueToForm({ name: "v", value });
      expect(prefilled && buildRegistryValue(prefilled)).toEqual({ ok: true, value: { name: "v", value } });
    }
    expect(valueToForm({ name: "v", value: { type: "other", data: { kind: 6, hex: "" } } })).toBeNull();
    expect(valueToForm({ name: "v", value: { type: "REG_QWORD", data: 2 ** 60 } })).toBeNull();
  });
});
