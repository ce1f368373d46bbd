//! The checks of a new password made before it is sent (the server makes them again), and placing
//! the server's "field: message" refusals on the field they name.

/** The server's minimum, in characters (`validate_password`). */
export const MIN_PASSWORD_CHARS = 12;

export interface NewPasswordProblems {
  password?: string;
  confirm?: string;
}

/** What is wrong with a new password and its confirmation; empty when both are fine. */
export function newPasswordProblems(password: string, confirm: string): NewPasswordProblems {
  const problems: NewPasswordProblems = {};
  // Counted in characters like the server, so "é" or an emoji counts once.
  if (Array.from(password).length < MIN_PASSWORD_CHARS) {
    problems.password = `Use at least ${MIN_PASSWORD_CHARS} characters.`;
  } else if (confirm !== password) {
    problems.confirm = "The two passwords differ.";
  }
  return problems;
}

export function hasProblems(problems: object): boolean {
  return Object.values(problems).some(Boolean);
}

/**
 * The server names the field of a 4xx refusal at the start of its message ("email: … is already a
 * user"); `fields` maps the server's names to the form's. Null when the message names none of them.
 */
export function fieldProblemFromServer<F extends string>(message: string, fields: Record<string, F>): { field: F; message: string } | null {
  const match = /^([a-z_]+): (.+)$/s.exec(message);
  if (!match) return null;
  const field = fields[match[1] ?? ""];
  if (!field) return null;
  const text = match[2] ?? "";
  return { field, message: text.charAt(0).toUpperCase() + text.slice(1) };
}
