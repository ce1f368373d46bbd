import { forgetSession, getSession, sessionChanged } from "./session";
import { runLiveEventsConnection, type LiveEvent, type LiveConnectionState } from "./live-events";

function streamResponse(chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
}

describe("runLiveEventsConnection", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    forgetSession();
  });

  /** What the server's sign-in answer leaves in the browser (the session cookie itself is HttpOnly). */
  function signIn(csrf: string) {
    document.cookie = `gururmm_csrf=${csrf}; Path=/`;
    sessionChanged();
  }

  it("sends the session cookie (never a token header), delivers typed events and reconnects after the stream ends", async () => {
    signIn("c5rf");
    const fetchMock = vi.fn(async () =>
      streamResponse([": keep-alive\n\n", 'event: agent_status\ndata: {"agent_id":"a1","status":"on', 'line","last_seen":null}\n\n']),
    );
    vi.stubGlobal("fetch", fetchMock);
    const controller = new AbortController();
    const events: LiveEvent[] = [];
    const states: LiveConnectionState[] = [];

    const done = runLiveEventsConnection({
      url: "http://localhost/api/v1/events",
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        // Stop on the second connection: it proves the first drop was followed by a retry.
        if (events.filter((item) => item.type === "connected").length === 2) controller.abort();
      },
      onStateChange: (state) => states.push(state),
    });
    await done;

    expect(fetchMock).toHaveBeenCalledTimes(2);
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(new Headers(init.headers).get("Authorization")).toBeNull();
    expect(init.credentials).toBe("same-origin");
    expect(events.slice(0, 2)).toEqual([
      { type: "connected" },
      { type: "agent_status", agent_id: "a1", status: "online", last_seen: null },
    ]);
    expect(states.slice(0, 4)).toEqual(["connecting", "open", "offline", "connecting"]);
  });

  it("signs out instead of retrying when the session is rejected", async () => {
    signIn("expired");
    const fetchMock = vi.fn(async () => new Response(null, { status: 401 }));
    vi.stubGlobal("fetch", fetchMock);
    await runLiveEventsConnection({
      url: "http://localhost/api/v1/events",
      signal: new AbortController().signal,
      onEvent: () => undefined,
      onStateChange: () => undefined,
    });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(getSession()).toBeNull();
    expect(document.cookie).not.toContain("gururmm_csrf=expired");
  });
});
