//! The interactive API documentation at /docs: Swagger UI (bundled from swagger-ui-dist at build
//! time, nothing fetched from elsewhere) reading the server's own OpenAPI document. "Try it out"
//! runs as the signed-in user: the session cookie goes along by itself (same origin), and changes
//! carry the CSRF token as the dashboard's client sends it. API clients can instead authorize with a
//! bearer token (the "Authorize" button).
import SwaggerUIBundle, { type SwaggerRequest } from "swagger-ui-dist/swagger-ui-bundle.js";
import "swagger-ui-dist/swagger-ui.css";
import { CSRF_HEADER, getSession } from "@/lib/session";
import "./api-docs.css";

/** Where the server serves its OpenAPI document (`gururmm-server openapi` prints the same). */
export const OPENAPI_URL = "/api/v1/openapi.json";
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Adds the session's CSRF token to a change, as `src/api/client.ts` does for the dashboard. */
export function withCsrf(request: SwaggerRequest): SwaggerRequest {
  const csrf = getSession();
  // The document's own fetch names no method: a GET.
  const method = (request.method ?? "GET").toUpperCase();
  if (csrf && UNSAFE_METHODS.has(method)) request.headers = { ...request.headers, [CSRF_HEADER]: csrf };
  request.credentials = "same-origin";
  return request;
}

SwaggerUIBundle({
  url: OPENAPI_URL,
  dom_id: "#swagger-ui",
  deepLinking: true,
  // Tags start folded: the API has over 130 operations, and Swagger UI stops rendering part way
  // through that many unfolded ones (only the first two tags appeared).
  docExpansion: "none",
  validatorUrl: null,
  displayRequestDuration: true,
  requestInterceptor: withCsrf,
});
