//! A Server-Sent Events parser (the WHATWG "event stream" format) that works on text chunks from
//! fetch, because EventSource cannot send the Authorization header.

export interface ServerSentEvent {
  /** The `event:` field, "message" when absent. */
  event: string;
  data: string;
  id: string | null;
}

/**
 * Feeds arbitrary chunks (split anywhere, even inside a line or a CRLF) and calls `onEvent`
 * for every complete event. Comment lines (keep-alives starting with ":") are ignored.
 */
export class SseParser {
  private buffer = "";
  private eventType = "";
  private dataLines: string[] = [];
  private lastEventId: string | null = null;
  private pendingCarriageReturn = false;
  private readonly onEvent: (event: ServerSentEvent) => void;
  /** The server's `retry:` hint in milliseconds, if it sent one. */
  retryMs: number | null = null;

  constructor(onEvent: (event: ServerSentEvent) => void) {
    this.onEvent = onEvent;
  }

  push(chunk: string): void {
    let text = chunk;
    // A CR ending the previous chunk may be the first half of a CRLF.
    if (this.pendingCarriageReturn && text.startsWith("\n")) text = text.slice(1);
    this.pendingCarriageReturn = false;
    this.buffer += text;
    let start = 0;
    for (let index = 0; index < this.buffer.length; index += 1) {
      const char = this.buffer[index];
      if (char !== "\n" && char !== "\r") continue;
      this.processLine(this.buffer.slice(start, index));
      if (char === "\r") {
        if (index + 1 < this.buffer.length) {
          if (this.buffer[index + 1] === "\n") index += 1;
        } else {
          this.pendingCarriageReturn = true;
        }
      }
      start = index + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  private processLine(line: string): void {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.dataLines.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    if (this.dataLines.length === 0) {
      this.eventType = "";
      return;
    }
    const event: ServerSentEvent = {
      event: this.eventType || "message",
      data: this.dataLines.join("\n"),
      id: this.lastEventId,
    };
    this.eventType = "";
    this.dataLines = [];
    this.onEvent(event);
  }
}

/** Delay before reconnect attempt `attempt` (0-based): exponential from 1 s to 30 s, with jitter. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 10));
  return Math.round(base / 2 + random() * (base / 2));
}
