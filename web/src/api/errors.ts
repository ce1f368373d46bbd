/** An API failure carrying the server's human-readable message, ready to show to the user. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** Reads the `{"error":{"code","message"}}` body; falls back to the HTTP status when the body is something else. */
export function apiErrorFrom(response: Response, body: unknown): ApiError {
  if (typeof body === "object" && body !== null && "error" in body) {
    const detail = (body as { error: unknown }).error;
    if (typeof detail === "object" && detail !== null) {
      const { code, message } = detail as { code?: unknown; message?: unknown };
      if (typeof message === "string" && message.length > 0) {
        return new ApiError(response.status, typeof code === "string" ? code : "error", message);
      }
    }
  }
  const fallback =
    response.status === 0 || response.status >= 500
      ? "The server could not complete the request. Try again in a moment."
      : `Request failed (${response.status} ${response.statusText}).`;
  return new ApiError(response.status, "http_error", fallback);
}

/** The message to show for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

/**
 * Turns an openapi-fetch result into its data or a thrown ApiError, so TanStack Query sees failures.
 * Bodiless successes (204) come back as undefined.
 */
export async function unwrap<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    throw new ApiError(0, "network", "Cannot reach the server. Check your connection.");
  }
  if (!result.response.ok) throw apiErrorFrom(result.response, result.error);
  return result.data as T;
}
