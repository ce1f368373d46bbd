//! `NAME=value` lines, as typed in the run-command form and a script's default environment.

export const MAX_ENV_VARS = 64;
/**
 * What the server answers in place of a secret value (an environment's values, a secret parameter's
 * default) to a caller without `view_secrets`. Sent back in a script edit it keeps the stored value;
 * anywhere else it is refused, so it is never typed as a value.
 */
export const HIDDEN_VALUE = "********";
/** An environment variable name: letters, digits and underscores, not starting with a digit. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

export type EnvParseResult = { ok: true; env: Record<string, string> } | { ok: false; message: string };

/**
 * `NAME=value` per line; the value is everything after the first `=` and may be empty or hold more
 * `=`. Blank lines and `#` comments are skipped; a name set twice is refused rather than guessed, and
 * so is the hidden-value placeholder as a value (the server would refuse it, or run it).
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
    const value = line.slice(equals + 1);
    if (value === HIDDEN_VALUE) {
      return { ok: false, message: `Line ${index + 1}: ${HIDDEN_VALUE} stands for a hidden value; enter the value of ${name}` };
    }
    env[name] = value;
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
