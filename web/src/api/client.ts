//! The one API client, generated types from openapi.json through openapi-fetch.
import createClient, { type Middleware } from "openapi-fetch";
import { CSRF_HEADER, forgetSession, getSession } from "@/lib/session";
import type { paths } from "./schema";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The session cookie goes along by itself (same origin); changes also carry the CSRF token. */
const authMiddleware: Middleware = {
  onRequest({ request }) {
    const csrf = getSession();
    if (csrf && UNSAFE_METHODS.has(request.method)) request.headers.set(CSRF_HEADER, csrf);
    return request;
  },
  onResponse({ request, response }) {
    // An expired or revoked token logs the user out everywhere; a failed login is just a wrong password.
    if (response.status === 401 && !new URL(request.url).pathname.endsWith("/auth/login") && getSession() !== null) {
      forgetSession();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(authMiddleware);
