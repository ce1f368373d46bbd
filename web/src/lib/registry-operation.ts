//! A registry command read back for people: the command history and the output view name the
//! operation ("Registry: set_value HKLM\SOFTWARE\Contoso Level") instead of showing its JSON.
import type { RegistryHive, RegistryOperation } from "@/api/types";

/** `HKLM` and `SOFTWARE\Contoso` as one path, the way reg.exe writes it. */
export function registryKeyPath(hive: RegistryHive, path: string): string {
  return path === "" ? hive : `${hive}\\${path}`;
}

/** The operation a registry command's text holds, or null when the text is not one. */
export function parseRegistryOperation(text: string): RegistryOperation | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return null;
    const candidate = parsed as Partial<RegistryOperation>;
    if (typeof candidate.operation !== "string" || typeof candidate.hive !== "string" || typeof candidate.path !== "string") return null;
    return candidate as RegistryOperation;
  } catch {
    return null;
  }
}

/** One line naming what a registry command does; the raw text when it cannot be read as an operation. */
export function describeRegistryCommand(text: string): string {
  const operation = parseRegistryOperation(text);
  if (!operation) return text;
  const where = registryKeyPath(operation.hive, operation.path);
  const name = "name" in operation ? ` ${operation.name === "" ? "(Default)" : operation.name}` : "";
  const value = operation.operation === "set_value" ? ` (${operation.value.type})` : "";
  return `Registry: ${operation.operation} ${where}${name}${value}`;
}
