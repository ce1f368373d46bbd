//! Whether the dashboard is signed in. The session itself is an HttpOnly cookie that no script can
//! read (so an injected script cannot steal it); the server also sets a readable CSRF cookie, whose
//! presence tells the page it is signed in and whose value goes back in the `X-CSRF-Token` header on
//! every request that changes something.

const CSRF_COOKIE = "gururmm_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
type Listener = () => void;
const listeners = new Set<Listener>();

function readCsrfCookie(): string | null {
  if (typeof document === "undefined") return null;
  for (const pair of document.cookie.split(";")) {
    const [name, ...rest] = pair.trim().split("=");
    if (name === CSRF_COOKIE) {
      const value = rest.join("=");
      return value === "" ? null : value;
    }
  }
  return null;
}

let current: string | null = readCsrfCookie();
// Other tabs hear about sign-in and sign-out (cookies raise no events of their own).
const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("gururmm-session");

function notify(): void {
  for (const listener of listeners) listener();
}

/** The CSRF token of the current session, or null when signed out. */
export function getSession(): string | null {
  return current;
}

/** Re-reads the cookies after the server changed them (sign-in). */
export function sessionChanged(): void {
  current = readCsrfCookie();
  channel?.postMessage("changed");
  notify();
}

/** Forgets the session here (sign-out, or the server no longer knows it). */
export function forgetSession(): void {
  if (typeof document !== "undefined") document.cookie = `${CSRF_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict`;
  current = null;
  channel?.postMessage("changed");
  notify();
}

export function subscribeSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

channel?.addEventListener("message", () => {
  current = readCsrfCookie();
  notify();
});
