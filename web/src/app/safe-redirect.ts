/** Only same-site paths, so a crafted link cannot send a user elsewhere after login. */
export function safeRedirect(value: unknown): string | undefined {
  // Browsers read "/\host" like "//host", so a backslash is refused as well.
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || value.includes("\\") || value.startsWith("/login")) {
    return undefined;
  }
  return value;
}
