//! The one API client, generated types from openapi.json through openapi-fetch.
import createClient, { type Middleware } from "openapi-fetch";
import { CSRF_HEADER, forgetSession, getSession } from "@/lib/session";
import type { paths } from "./schema";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The code of the 403 an organization that requires a second factor answers a user who has none. */
export const SECOND_FACTOR_SETUP_REQUIRED = "second_factor_setup_required";

const secondFactorSetupListeners = new Set<() => void>();

/**
 * Calls `listener` whenever the server refuses a request because the signed-in user must set up a
 * second factor first; the signed-in layout sends them to their account page. Returns the unsubscribe.
 */
export function onSecondFactorSetupRequired(listener: () => void): () => void {
  secondFactorSetupListeners.add(listener);
  return () => secondFactorSetupListeners.delete(listener);
}

/** The code of the 403 a user limited to some clients gets from an operation not open to them. */
export const CLIENT_SCOPE_REFUSED = "client_scope";

const clientScopeListeners = new Set<() => void>();

/**
 * Calls `listener` whenever the server refuses a request because the signed-in user is limited to
 * some clients and the operation is not open to such users. Returns the unsubscribe.
 */
export function onClientScopeRefused(listener: () => void): () => void {
  clientScopeListeners.add(listener);
  return () => clientScopeListeners.delete(listener);
}

/** The `error.code` of an error body, read from a copy so the caller still reads the answer. */
async function errorCode(response: Response): Promise<string | null> {
  try {
    const body: unknown = await response.clone().json();
    const detail = typeof body === "object" && body !== null && "error" in body ? (body as { error: unknown }).error : null;
    const code = typeof detail === "object" && detail !== null && "code" in detail ? (detail as { code: unknown }).code : null;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

/** The session cookie goes along by itself (same origin); changes also carry the CSRF token. */
const authMiddleware: Middleware = {
  onRequest({ request }) {
    const csrf = getSession();
    if (csrf && UNSAFE_METHODS.has(request.method)) request.headers.set(CSRF_HEADER, csrf);
    return request;
  },
  async onResponse({ request, response }) {
    // An expired or revoked token logs the user out everywhere; a failed login is just a wrong password.
    if (response.status === 401 && !new URL(request.url).pathname.endsWith("/auth/login") && getSession() !== null) {
      forgetSession();
    }
    // The organization requires a second factor and this user has none: whatever page asked, the
    // answer is to set one up, which only their account page does.
    if (response.status === 403 && getSession() !== null) {
      const code = await errorCode(response);
      if (code === SECOND_FACTOR_SETUP_REQUIRED) for (const listener of secondFactorSetupListeners) listener();
      // The user is limited to some clients: the signed-in layout shows that the page is not for them.
      if (code === CLIENT_SCOPE_REFUSED) for (const listener of clientScopeListeners) listener();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(authMiddleware);
