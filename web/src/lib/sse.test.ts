import { reconnectDelayMs, SseParser, type ServerSentEvent } from "./sse";

function parseChunks(chunks: string[]): { events: ServerSentEvent[]; parser: SseParser } {
  const events: ServerSentEvent[] = [];
  const parser = new SseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  return { events, parser };
}

describe("SseParser", () => {
  it("parses named events with JSON data", () => {
    const { events } = parseChunks(['event: agent_status\ndata: {"agent_id":"a","status":"online"}\n\n']);
    expect(events).toEqual([{ event: "agent_status", data: '{"agent_id":"a","status":"online"}', id: null }]);
  });

  it("reassembles events split at any byte, including inside CRLF", () => {
    const stream = 'event: agent_metrics\r\ndata: {"cpu":1}\r\n\r\nevent: agent_status\r\ndata: x\r\n\r\n';
    for (let split = 1; split < stream.length; split += 1) {
      const { events } = parseChunks([stream.slice(0, split), stream.slice(split)]);
      expect(events.map((event) => [event.event, event.data])).toEqual([
        ["agent_metrics", '{"cpu":1}'],
        ["agent_status", "x"],
      ]);
    }
  });

  it("ignores keep-alive comments and dispatches nothing for them", () => {
    const { events } = parseChunks([": keep-alive\n\n", ":\n\n", "data: hello\n\n"]);
    expect(events).toEqual([{ event: "message", data: "hello", id: null }]);
  });

  it("joins multi-line data, keeps ids and reads the retry hint", () => {
    const { events, parser } = parseChunks(["id: 7\nretry: 2500\ndata: one\ndata:two\n\n"]);
    expect(events).toEqual([{ event: "message", data: "one\ntwo", id: "7" }]);
    expect(parser.retryMs).toBe(2500);
  });

  it("does not dispatch an event until its blank line arrives", () => {
    const { events } = parseChunks(["event: agent_status\ndata: pending\n"]);
    expect(events).toEqual([]);
  });

  it("resets the event name after each event", () => {
    const { events } = parseChunks(["event: agent_status\ndata: a\n\ndata: b\n\n"]);
    expect(events.map((event) => event.event)).toEqual(["agent_status", "message"]);
  });
});

describe("reconnectDelayMs", () => {
  it("grows exponentially with jitter and caps at 30 s", () => {
    expect(reconnectDelayMs(0, () => 0)).toBe(500);
    expect(reconnectDelayMs(0, () => 1)).toBe(1000);
    expect(reconnectDelayMs(3, () => 1)).toBe(8000);
    expect(reconnectDelayMs(20, () => 1)).toBe(30_000);
    expect(reconnectDelayMs(20, () => 0)).toBe(15_000);
  });
});
