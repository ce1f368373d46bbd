import { toLiveEvent } from "./live-events";

describe("toLiveEvent", () => {
  it("reads agent_status events", () => {
    expect(
      toLiveEvent({ event: "agent_status", id: null, data: '{"agent_id":"a1","status":"offline","last_seen":"2026-01-01T00:00:00Z"}' }),
    ).toEqual({ type: "agent_status", agent_id: "a1", status: "offline", last_seen: "2026-01-01T00:00:00Z" });
  });

  it("reads agent_metrics events and keeps unknown numbers as null", () => {
    expect(
      toLiveEvent({
        event: "agent_metrics",
        id: null,
        data: '{"agent_id":"a1","collected_at":"2026-01-01T00:00:00Z","cpu_percent":12.5,"memory_used_bytes":null,"memory_total_bytes":1024}',
      }),
    ).toEqual({
      type: "agent_metrics",
      agent_id: "a1",
      collected_at: "2026-01-01T00:00:00Z",
      cpu_percent: 12.5,
      memory_used_bytes: null,
      memory_total_bytes: 1024,
    });
  });

  it("reads command_status events, with or without an exit code", () => {
    expect(
      toLiveEvent({ event: "command_status", id: null, data: '{"command_id":"c1","agent_id":"a1","status":"completed","exit_code":0}' }),
    ).toEqual({ type: "command_status", command_id: "c1", agent_id: "a1", status: "completed", exit_code: 0, job_id: null });
    expect(
      toLiveEvent({ event: "command_status", id: null, data: '{"command_id":"c1","agent_id":"a1","status":"running","exit_code":null}' }),
    ).toMatchObject({ status: "running", exit_code: null });
  });

  it("reads enrollment_request events and skips unknown decisions", () => {
    expect(
      toLiveEvent({ event: "enrollment_request", id: null, data: '{"request_id":"r1","agent_id":"a1","decision":"pending"}' }),
    ).toEqual({ type: "enrollment_request", request_id: "r1", agent_id: "a1", decision: "pending" });
    expect(
      toLiveEvent({ event: "enrollment_request", id: null, data: '{"request_id":"r1","agent_id":"a1","decision":"maybe"}' }),
    ).toBeNull();
  });

  it("reads the job of a command_status event", () => {
    expect(
      toLiveEvent({ event: "command_status", id: null, data: '{"command_id":"c1","agent_id":"a1","status":"failed","job_id":"j1"}' }),
    ).toMatchObject({ job_id: "j1" });
  });

  it("reads command_output events and keeps the text exactly, newlines and spaces included", () => {
    expect(
      toLiveEvent({
        event: "command_output",
        id: null,
        data: JSON.stringify({ command_id: "c1", agent_id: "a1", stream: "stderr", data: "  oops\n", offset: 12 }),
      }),
    ).toEqual({ type: "command_output", command_id: "c1", agent_id: "a1", stream: "stderr", data: "  oops\n", offset: 12 });
    expect(
      toLiveEvent({
        event: "command_output",
        id: null,
        data: '{"command_id":"c","agent_id":"a","stream":"stdout","data":"x","offset":-1}',
      }),
    ).toMatchObject({ offset: null });
  });

  it("skips command events without an id, text or a known stream", () => {
    expect(toLiveEvent({ event: "command_status", id: null, data: '{"agent_id":"a1","status":"running"}' })).toBeNull();
    expect(
      toLiveEvent({ event: "command_output", id: null, data: '{"command_id":"c","agent_id":"a","stream":"stdin","data":"x"}' }),
    ).toBeNull();
    expect(toLiveEvent({ event: "command_output", id: null, data: '{"command_id":"c","agent_id":"a","stream":"stdout"}' })).toBeNull();
  });

  it("reads check_status events and skips unknown states", () => {
    expect(
      toLiveEvent({
        event: "check_status",
        id: null,
        data: '{"agent_id":"a1","name":"Web port","state":"failing","checked_at":"2026-01-01T00:00:00Z"}',
      }),
    ).toEqual({ type: "check_status", agent_id: "a1", name: "Web port", state: "failing", checked_at: "2026-01-01T00:00:00Z" });
    expect(toLiveEvent({ event: "check_status", id: null, data: '{"agent_id":"a1","name":"x","state":"broken"}' })).toBeNull();
  });

  it("reads alert events, with or without an agent", () => {
    expect(
      toLiveEvent({
        event: "alert",
        id: null,
        data: '{"alert_id":"al1","agent_id":"a1","kind":"check","check_name":"Web port","status":"open","severity":"critical"}',
      }),
    ).toEqual({
      type: "alert",
      alert_id: "al1",
      agent_id: "a1",
      kind: "check",
      check_name: "Web port",
      status: "open",
      severity: "critical",
    });
    expect(
      toLiveEvent({ event: "alert", id: null, data: '{"alert_id":"al2","kind":"site_offline","status":"resolved","severity":"warning"}' }),
    ).toEqual({
      type: "alert",
      alert_id: "al2",
      agent_id: null,
      kind: "site_offline",
      check_name: null,
      status: "resolved",
      severity: "warning",
    });
    expect(
      toLiveEvent({ event: "alert", id: null, data: '{"alert_id":"al3","kind":"check","status":"gone","severity":"warning"}' }),
    ).toBeNull();
    expect(toLiveEvent({ event: "alert", id: null, data: '{"alert_id":"al4","status":"open","severity":"warning"}' })).toBeNull();
  });

  it("skips unknown events, bad JSON and impossible statuses", () => {
    expect(toLiveEvent({ event: "message", id: null, data: "{}" })).toBeNull();
    expect(toLiveEvent({ event: "agent_status", id: null, data: "not json" })).toBeNull();
    expect(toLiveEvent({ event: "agent_status", id: null, data: '{"agent_id":"a","status":"sleeping"}' })).toBeNull();
    expect(toLiveEvent({ event: "agent_metrics", id: null, data: '{"cpu_percent":1}' })).toBeNull();
  });
});
