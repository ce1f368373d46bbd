import { describe, expect, it } from "vitest";
import { describeRegistryCommand, registryKeyPath } from "./registry-operation";

describe("registry commands read back", () => {
  it("names the operation, the key and the value", () => {
    const set = JSON.stringify({
      operation: "set_value",
      hive: "HKLM",
      path: "SOFTWARE\\Contoso",
      name: "Level",
      value: { type: "REG_DWORD", data: 3 },
    });
    expect(describeRegistryCommand(set)).toBe("Registry: set_value HKLM\\SOFTWARE\\Contoso Level (REG_DWORD)");
    expect(describeRegistryCommand(JSON.stringify({ operation: "list_key", hive: "HKCU", path: "" }))).toBe("Registry: list_key HKCU");
    expect(describeRegistryCommand(JSON.stringify({ operation: "get_value", hive: "HKLM", path: "S", name: "" }))).toBe(
      "Registry: get_value HKLM\\S (Default)",
    );
  });

  it("shows text that is not an operation as it is", () => {
    expect(describeRegistryCommand("reg query HKLM")).toBe("reg query HKLM");
    expect(describeRegistryCommand('{"hive": 3}')).toBe('{"hive": 3}');
  });

  it("joins a hive and a path the way reg.exe does", () => {
    expect(registryKeyPath("HKLM", "")).toBe("HKLM");
    expect(registryKeyPath("HKU", "S-1-5-18\\Software")).toBe("HKU\\S-1-5-18\\Software");
  });
});
