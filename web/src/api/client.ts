//! The one API client, generated types from openapi.json through openapi-fetch.
import createClient, { type Middleware } from "openapi-fetch";
import { getToken, setToken } from "@/lib/auth-token";
import type { paths } from "./schema";

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // An expired or revoked token logs the user out everywhere; a failed login is just a wrong password.
    if (response.status === 401 && !new URL(request.url).pathname.endsWith("/auth/login") && getToken() !== null) {
      setToken(null);
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(authMiddleware);
