//! `NAME=value` lines, as typed in the run-command form and a script's default environment.

const MAX_ENV_VARS = 64;
/** An environment variable name: letters, digits and underscores, not starting with a digit. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

export type EnvParseResult = { ok: true; env: Record<string, string> } | { ok: false; message: string };

/**
 * `NAME=value` per line; the value is everything after the first `=` and may be empty or hold more
 * `=`. Blank lines and `#` comments are skipped; a name set twice is refused rather than guessed.
 */
export function parseEnvLines(text: string): EnvParseResult {
  const env: Record<string, string> = {};
  const all = lines(text);
  for (let index = 0; index < all.length; index += 1) {
    const line = all[index] ?? "";
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const equals = line.indexOf("=");
    if (equals === -1) return { ok: false, message: `Line ${index + 1}: expected NAME=value` };
    const name = line.slice(0, equals).trim();
    if (!ENV_NAME.test(name) || name.length > 128) {
      return {
        ok: false,
        message: `Line ${index + 1}: "${name}" is not a valid variable name (letters, digits and _, not starting with a digit)`,
      };
    }
    if (Object.hasOwn(env, name)) return { ok: false, message: `Line ${index + 1}: ${name} is set twice` };
    env[name] = line.slice(equals + 1);
  }
  if (Object.keys(env).length > MAX_ENV_VARS) return { ok: false, message: `At most ${MAX_ENV_VARS} variables` };
  return { ok: true, env };
}

/** The inverse of `parseEnvLines`, for editing a stored environment. */
export function formatEnvLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `${name}=${value}`)
    .join("\n");
}
