//! The dashboard's one live connection to `GET /api/v1/events`. It parses Server-Sent Events from a
//! fetch stream (so the bearer token can be sent), reconnects with backoff, and fans events out to
//! subscribers; features decide which of their caches an event touches.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { AlertKind, AlertStatus, CheckState, CommandStatus, LiveEventData, Severity } from "@/api/types";
import { forgetSession, getSession } from "./session";
import { reconnectDelayMs, SseParser, type ServerSentEvent } from "./sse";

type LiveEventName = LiveEventData["event"];

/**
 * A live event as subscribers see it: the server's event (from the OpenAPI document) tagged by
 * `type`, with fields the parser normalizes (absent numbers and ids become null) overridden.
 */
type Live<E extends LiveEventName, Normalized = object> = Omit<Extract<LiveEventData, { event: E }>, "event" | keyof Normalized> &
  Normalized & { type: E };

export type AgentStatusEvent = Live<"agent_status", { last_seen: string | null }>;
/** An agent enrolled, was renamed, tagged, moved or deleted: lists, counts and its page are stale. */
export type AgentChangedEvent = Live<"agent_changed">;
export type AgentMetricsEvent = Live<
  "agent_metrics",
  { cpu_percent: number | null; memory_used_bytes: number | null; memory_total_bytes: number | null }
>;
/** A command changed status; the command itself is refetched for details. */
export type CommandStatusEvent = Live<"command_status", { exit_code: number | null; job_id: string | null }>;
/** New text of one output stream of a running command, in order; `offset` is null from a server that does not send it. */
export type CommandOutputEvent = Live<"command_output", { offset: number | null }>;
/** A machine's re-enrollment as an existing agent started waiting for approval, or was decided. */
export type EnrollmentRequestEvent = Live<"enrollment_request">;

/** A check of an agent reported a new state (or its first one). */
export type CheckStatusEvent = Live<"check_status">;
/** An alert opened, was acknowledged or snoozed, or resolved; `agent_id` is null for a site's alert. */
export type AlertEvent = Live<"alert", { agent_id: string | null; check_name: string | null }>;

/** Sent to subscribers after every (re)connection: events may have been missed, so refetch. */
export interface ConnectedEvent {
  type: "connected";
}

export type LiveEvent =
  | AgentStatusEvent
  | AgentChangedEvent
  | AgentMetricsEvent
  | CommandStatusEvent
  | CommandOutputEvent
  | EnrollmentRequestEvent
  | CheckStatusEvent
  | AlertEvent
  | ConnectedEvent;

// Records keyed by the schema's unions: a name the server adds or drops fails the type check here.
const LIVE_EVENT_NAMES: Record<LiveEventName, true> = {
  agent_status: true,
  agent_changed: true,
  agent_metrics: true,
  command_status: true,
  command_output: true,
  enrollment_request: true,
  check_status: true,
  alert: true,
};
const COMMAND_STATUSES: Record<CommandStatus, true> = {
  queued: true,
  running: true,
  completed: true,
  failed: true,
  timeout: true,
  cancelled: true,
  interrupted: true,
  expired: true,
};
const AGENT_CHANGES: Record<AgentChangedEvent["change"], true> = { enrolled: true, updated: true, moved: true, deleted: true };
const CHECK_STATES: Record<CheckState, true> = { pending: true, passing: true, warning: true, failing: true };
const ALERT_STATUSES: Record<AlertStatus, true> = { open: true, acknowledged: true, resolved: true };
const SEVERITIES: Record<Severity, true> = { info: true, warning: true, critical: true };
const ALERT_KINDS: Record<AlertKind, true> = { check: true, offline: true, site_offline: true, agent_crashing: true };
const isOneOf =
  <T extends string>(allowed: Record<T, true>) =>
  (value: unknown): value is T =>
    typeof value === "string" && Object.hasOwn(allowed, value);
const isCommandStatus = isOneOf(COMMAND_STATUSES);
const isCheckState = isOneOf(CHECK_STATES);
const isAlertStatus = isOneOf(ALERT_STATUSES);
const isSeverity = isOneOf(SEVERITIES);
const isAlertKind = isOneOf(ALERT_KINDS);
export type LiveConnectionState = "connecting" | "open" | "offline";

/** Turns one SSE message into a typed event; unknown events and malformed data are skipped. */
export function toLiveEvent(message: ServerSentEvent): LiveEvent | null {
  if (!Object.hasOwn(LIVE_EVENT_NAMES, message.event)) return null;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (typeof data !== "object" || data === null) return null;
  const record = data as Record<string, unknown>;
  if (message.event === "alert") {
    // A site's alert (every agent of a site offline) belongs to no agent.
    if (typeof record.alert_id !== "string" || !isAlertStatus(record.status) || !isSeverity(record.severity)) return null;
    if (!isAlertKind(record.kind)) return null;
    return {
      type: "alert",
      alert_id: record.alert_id,
      agent_id: typeof record.agent_id === "string" ? record.agent_id : null,
      kind: record.kind,
      check_name: typeof record.check_name === "string" ? record.check_name : null,
      status: record.status,
      severity: record.severity,
    };
  }
  if (typeof record.agent_id !== "string") return null;
  const numberOrNull = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : null);
  if (message.event === "command_status") {
    if (typeof record.command_id !== "string" || !isCommandStatus(record.status)) return null;
    return {
      type: "command_status",
      command_id: record.command_id,
      agent_id: record.agent_id,
      status: record.status,
      exit_code: numberOrNull(record.exit_code),
      job_id: typeof record.job_id === "string" ? record.job_id : null,
    };
  }
  if (message.event === "command_output") {
    if (typeof record.command_id !== "string" || typeof record.data !== "string") return null;
    if (record.stream !== "stdout" && record.stream !== "stderr") return null;
    const offset = numberOrNull(record.offset);
    return {
      type: "command_output",
      command_id: record.command_id,
      agent_id: record.agent_id,
      stream: record.stream,
      data: record.data,
      offset: offset !== null && Number.isInteger(offset) && offset >= 0 ? offset : null,
    };
  }
  if (message.event === "enrollment_request") {
    if (typeof record.request_id !== "string") return null;
    if (record.decision !== "pending" && record.decision !== "approved" && record.decision !== "rejected") return null;
    return { type: "enrollment_request", request_id: record.request_id, agent_id: record.agent_id, decision: record.decision };
  }
  if (message.event === "check_status") {
    if (typeof record.name !== "string" || !isCheckState(record.state)) return null;
    return {
      type: "check_status",
      agent_id: record.agent_id,
      name: record.name,
      state: record.state,
      checked_at: typeof record.checked_at === "string" ? record.checked_at : new Date().toISOString(),
    };
  }
  if (message.event === "agent_changed") {
    if (!isOneOf(AGENT_CHANGES)(record.change)) return null;
    return { type: "agent_changed", agent_id: record.agent_id, change: record.change };
  }
  if (message.event === "agent_status") {
    if (record.status !== "online" && record.status !== "offline") return null;
    return {
      type: "agent_status",
      agent_id: record.agent_id,
      status: record.status,
      last_seen: typeof record.last_seen === "string" ? record.last_seen : null,
    };
  }
  return {
    type: "agent_metrics",
    agent_id: record.agent_id,
    collected_at: typeof record.collected_at === "string" ? record.collected_at : new Date().toISOString(),
    cpu_percent: numberOrNull(record.cpu_percent),
    memory_used_bytes: numberOrNull(record.memory_used_bytes),
    memory_total_bytes: numberOrNull(record.memory_total_bytes),
  };
}

interface ConnectOptions {
  url: string;
  signal: AbortSignal;
  onEvent: (event: LiveEvent) => void;
  onStateChange: (state: LiveConnectionState) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Runs until `signal` aborts or the token is rejected; every drop is followed by a backoff retry. */
export async function runLiveEventsConnection({ url, signal, onEvent, onStateChange }: ConnectOptions): Promise<void> {
  let attempt = 0;
  while (!signal.aborted) {
    onStateChange("connecting");
    let retryHint: number | null = null;
    try {
      if (!getSession()) return;
      // The session cookie goes along (same origin); a GET needs no CSRF token.
      const response = await fetch(url, {
        headers: { Accept: "text/event-stream" },
        credentials: "same-origin",
        cache: "no-store",
        signal,
      });
      if (response.status === 401) {
        forgetSession();
        return;
      }
      if (!response.ok || !response.body) throw new Error(`events stream answered ${response.status}`);
      onStateChange("open");
      attempt = 0;
      onEvent({ type: "connected" });
      const parser = new SseParser((message) => {
        const event = toLiveEvent(message);
        if (event) onEvent(event);
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      retryHint = parser.retryMs;
    } catch {
      if (signal.aborted) return;
    }
    onStateChange("offline");
    await sleep(Math.max(retryHint ?? 0, reconnectDelayMs(attempt)), signal);
    attempt += 1;
  }
}

type Listener = (event: LiveEvent) => void;

interface LiveEventsContextValue {
  state: LiveConnectionState;
  subscribe: (listener: Listener) => () => void;
}

const LiveEventsContext = createContext<LiveEventsContextValue | null>(null);

/** Keeps the events stream open while signed in. */
export function LiveEventsProvider({ session, children }: { session: string | null; children: ReactNode }) {
  const listenersRef = useRef(new Set<Listener>());
  const [state, setState] = useState<LiveConnectionState>("connecting");

  useEffect(() => {
    if (!session) return;
    const controller = new AbortController();
    void runLiveEventsConnection({
      url: `${window.location.origin}/api/v1/events`,
      signal: controller.signal,
      onEvent: (event) => {
        for (const listener of listenersRef.current) listener(event);
      },
      onStateChange: setState,
    });
    return () => controller.abort();
  }, [session]);

  const subscribe = useCallback((listener: Listener) => {
    listenersRef.current.add(listener);
    return () => {
      listenersRef.current.delete(listener);
    };
  }, []);
  const value = useMemo<LiveEventsContextValue>(() => ({ state, subscribe }), [state, subscribe]);

  return <LiveEventsContext.Provider value={value}>{children}</LiveEventsContext.Provider>;
}

function useLiveEventsContext(): LiveEventsContextValue {
  const context = useContext(LiveEventsContext);
  if (!context) throw new Error("useLiveEvents needs a LiveEventsProvider");
  return context;
}

/** Calls `handler` for every live event; the latest handler is used without resubscribing. */
export function useLiveEvent(handler: Listener): void {
  const { subscribe } = useLiveEventsContext();
  const handlerRef = useRef(handler);
  useEffect(() => {
    handlerRef.current = handler;
  });
  useEffect(() => subscribe((event) => handlerRef.current(event)), [subscribe]);
}

export function useLiveConnectionState(): LiveConnectionState {
  return useLiveEventsContext().state;
}
