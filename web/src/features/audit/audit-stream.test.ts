import { generateSecret, STREAM_SECRET_MAX, STREAM_SECRET_MIN, streamProblemFromServer, streamRequest, streamToForm } from "./audit-stream";

describe("audit stream form", () => {
  it("sends the trimmed URL and whether it runs, and the secret only when one is given", () => {
    expect(streamRequest({ url: " https://siem.example.com/in ", secret: "", enabled: false })).toEqual({
      url: "https://siem.example.com/in",
      enabled: false,
    });
    expect(streamRequest({ url: "https://siem.example.com/in", secret: " spaced secret kept as typed ", enabled: true })).toEqual({
      url: "https://siem.example.com/in",
      secret: " spaced secret kept as typed ",
      enabled: true,
    });
  });

  it("starts a new form enabled and an edit from the stream, never with its secret", () => {
    expect(streamToForm(null)).toEqual({ url: "", secret: "", enabled: true });
    expect(
      streamToForm({
        url: "https://a.example/x",
        enabled: false,
        delivered_through_seq: 1,
        head_seq: 2,
        pending: 1,
        failures: 0,
        next_attempt_at: "2026-03-01T10:00:00Z",
      }),
    ).toEqual({ url: "https://a.example/x", secret: "", enabled: false });
  });

  it("generates different URL-safe secrets the server accepts", () => {
    const first = generateSecret();
    expect(first).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(first.length).toBeGreaterThanOrEqual(STREAM_SECRET_MIN);
    expect(first.length).toBeLessThanOrEqual(STREAM_SECRET_MAX);
    expect(generateSecret()).not.toBe(first);
  });

  it("places the server's refusals under their fields", () => {
    expect(streamProblemFromServer("url: give an http(s) URL of at most 2000 characters")).toEqual({
      field: "url",
      message: "give an http(s) URL of at most 2000 characters",
    });
    expect(streamProblemFromServer("secret: give 16 to 200 characters")).toEqual({ field: "secret", message: "give 16 to 200 characters" });
    expect(streamProblemFromServer("unknown field `secrets`")).toBeNull();
  });
});
