import { describe, expect, it } from "vitest";
import { breadcrumb, newKeyPath, parentPath, parseRegistryLocation, pathProblem } from "./registry-location";

describe("parseRegistryLocation", () => {
  const check = (text: string, hive: string, path: string) =>
    expect(parseRegistryLocation(text)).toEqual({ ok: true, value: { hive, path } });
  const refused = (text: string, needle: string) => {
    const result = parseRegistryLocation(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(needle);
  };

  it("reads the forms regedit, reg.exe, PowerShell and scripts use", () => {
    check("HKLM\\SOFTWARE\\Contoso", "HKLM", "SOFTWARE\\Contoso");
    check("HKEY_LOCAL_MACHINE\\SOFTWARE", "HKLM", "SOFTWARE");
    check("Computer\\HKEY_CURRENT_USER\\Software\\Microsoft", "HKCU", "Software\\Microsoft");
    check("hkcu:\\Software", "HKCU", "Software");
    check("  HKLM\\\\SOFTWARE\\\\Contoso\\ ", "HKLM", "SOFTWARE\\Contoso");
    check('"HKEY_USERS\\S-1-5-18"', "HKU", "S-1-5-18");
    check("HKCR", "HKCR", "");
    check("HKEY_CURRENT_CONFIG\\", "HKCC", "");
  });

  it("says what is wrong with anything else", () => {
    refused("", "starts with a hive");
    refused("SOFTWARE\\Contoso", '"SOFTWARE" is not a hive');
    refused(`HKLM\\${"x".repeat(256)}`, "at most 255");
    refused(`HKLM\\${"abc\\".repeat(300)}x`, "at most 1024");
    refused("HKLM\\a\u0007b", "control");
  });
});

describe("paths", () => {
  it("refuses empty parts", () => {
    expect(pathProblem("A\\\\B")).toContain("none empty");
    expect(pathProblem("")).toBeNull();
  });

  it("walks up and builds a breadcrumb", () => {
    expect(parentPath("SOFTWARE\\Contoso\\App")).toBe("SOFTWARE\\Contoso");
    expect(parentPath("SOFTWARE")).toBe("");
    expect(breadcrumb({ hive: "HKLM", path: "SOFTWARE\\Contoso" })).toEqual([
      { label: "HKLM", path: "" },
      { label: "SOFTWARE", path: "SOFTWARE" },
      { label: "Contoso", path: "SOFTWARE\\Contoso" },
    ]);
  });

  it("checks a new key's name", () => {
    expect(newKeyPath({ hive: "HKLM", path: "SOFTWARE" }, " GuruRMM ")).toEqual({ ok: true, value: "SOFTWARE\\GuruRMM" });
    expect(newKeyPath({ hive: "HKLM", path: "" }, "A\\B")).toEqual({
      ok: false,
      message: "A key name cannot contain \\ (it separates keys).",
    });
    expect(newKeyPath({ hive: "HKLM", path: "" }, "  ")).toEqual({ ok: false, message: "A key name cannot be empty." });
  });
});
