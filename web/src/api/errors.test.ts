import { ApiError, unwrap } from "./errors";

function response(status: number): Response {
  return new Response(null, { status });
}

describe("unwrap", () => {
  it("returns data of a successful response", async () => {
    await expect(unwrap(Promise.resolve({ data: { ok: true }, response: response(200) }))).resolves.toEqual({ ok: true });
  });

  it("throws the server's message from the error body", async () => {
    const failure = unwrap(
      Promise.resolve({ error: { error: { code: "conflict", message: "The client still has 3 agents." } }, response: response(409) }),
    );
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 409, code: "conflict", message: "The client still has 3 agents." });
  });

  it("falls back to a generic message when the body is not an error body", async () => {
    await expect(unwrap(Promise.resolve({ error: "<html>bad gateway</html>", response: response(502) }))).rejects.toMatchObject({
      status: 502,
      message: "The server could not complete the request. Try again in a moment.",
    });
  });

  it("reports an unreachable server as a network error", async () => {
    await expect(unwrap(Promise.reject(new TypeError("Failed to fetch")))).rejects.toMatchObject({ code: "network" });
  });
});
