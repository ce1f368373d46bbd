import type { CheckDefinition } from "@/api/types";
import { policy } from "@/test/fixtures";
import {
  buildCheck,
  buildPolicyRequest,
  checkToForm,
  CHECK_TYPES,
  EMPTY_POLICY_FORM,
  newCheck,
  policyToForm,
  problemFromServer,
  type CheckFormValues,
} from "./policy-form";

const SCRIPT_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c01";

function check(values: Partial<CheckFormValues> & Pick<CheckFormValues, "type">): CheckFormValues {
  return { ...newCheck(values.type), ...values };
}

function built(values: CheckFormValues): CheckDefinition {
  const result = buildCheck(values);
  if (!result.ok) throw new Error(`${result.field}: ${result.message}`);
  return result.check;
}

describe("buildCheck per type", () => {
  it("gives every type defaults the server accepts, but for the fields only a user can fill", () => {
    const filled: Record<string, Partial<CheckFormValues>> = {
      ping: { host: "8.8.8.8" },
      port: { host: "db01", port: "5432" },
      http: { url: "https://example.com/health" },
      script: { script_id: SCRIPT_ID },
      service: { name: "nginx" },
      process: { name: "sshd" },
    };
    for (const { type } of CHECK_TYPES) {
      expect(buildCheck(check({ type, ...filled[type] })).ok, type).toBe(true);
    }
  });

  it("builds cpu and memory checks with their thresholds and window", () => {
    expect(built(check({ type: "cpu", name: "CPU", max_percent: "90", warn_percent: "", window_seconds: "600" }))).toEqual({
      name: "CPU",
      type: "cpu",
      enabled: true,
      severity: "warning",
      interval_seconds: 300,
      fail_after: 3,
      max_percent: 90,
      window_seconds: 600,
    });
    expect(buildCheck(check({ type: "memory", max_percent: "80", warn_percent: "85" }))).toEqual({
      ok: false,
      field: "warn_percent",
      message: "Below the failing threshold.",
    });
    expect(buildCheck(check({ type: "cpu", max_percent: "0" }))).toMatchObject({ ok: false, field: "max_percent" });
    expect(buildCheck(check({ type: "cpu", window_seconds: "5" }))).toMatchObject({
      ok: false,
      field: "window_seconds",
      message: "10 to 3600.",
    });
  });

  it("builds disk checks from a percentage or free space in GiB", () => {
    expect(
      built(check({ type: "disk", name: "C:", mount: "C:\\", max_used_percent: "", warn_used_percent: "", min_free_bytes: "2.5" })),
    ).toMatchObject({ mount: "C:\\", min_free_bytes: 2.5 * 1024 ** 3 });
    expect(buildCheck(check({ type: "disk", max_used_percent: "", warn_used_percent: "", min_free_bytes: "" }))).toMatchObject({
      ok: false,
      field: "max_used_percent",
    });
  });

  it("checks ping, port and http fields as the server does", () => {
    expect(built(check({ type: "ping", host: "gw", count: "5", warn_latency_ms: "150" }))).toMatchObject({
      host: "gw",
      count: 5,
      warn_latency_ms: 150,
    });
    expect(buildCheck(check({ type: "ping", host: "gw", count: "11" }))).toMatchObject({ ok: false, field: "count" });
    expect(buildCheck(check({ type: "port", host: "db 01", port: "1" }))).toMatchObject({ ok: false, field: "host" });
    expect(buildCheck(check({ type: "port", host: "db01", port: "65536" }))).toEqual({ ok: false, field: "port", message: "1 to 65535." });
    expect(buildCheck(check({ type: "port", host: "db01", port: "80.5" }))).toMatchObject({
      ok: false,
      field: "port",
      message: "A whole number.",
    });
    expect(buildCheck(check({ type: "http", url: "ftp://x" }))).toMatchObject({ ok: false, field: "url" });
    expect(buildCheck(check({ type: "http", url: "http://x", min_cert_days: "7" }))).toMatchObject({ ok: false, field: "min_cert_days" });
    expect(built(check({ type: "http", url: "https://x/y", expect_status: "204", keyword: "ok", warn_cert_days: "21" }))).toMatchObject({
      url: "https://x/y",
      expect_status: 204,
      keyword: "ok",
      warn_cert_days: 21,
    });
  });

  it("needs a script for a script check and names a service when the check's name cannot", () => {
    expect(buildCheck(check({ type: "script" }))).toEqual({ ok: false, field: "script_id", message: "Pick a script." });
    expect(buildCheck(check({ type: "service", name: "Web server" }))).toMatchObject({ ok: false, field: "service" });
    expect(built(check({ type: "service", name: "Web server", service: "nginx", restart_if_stopped: true }))).toMatchObject({
      service: "nginx",
      restart_if_stopped: true,
      pass_if_not_installed: false,
    });
  });

  it("checks the common fields", () => {
    expect(buildCheck(check({ type: "process", name: " " }))).toMatchObject({ ok: false, field: "name" });
    expect(buildCheck(check({ type: "process", name: "sshd", interval_seconds: "5" }))).toMatchObject({
      ok: false,
      field: "interval_seconds",
    });
    expect(buildCheck(check({ type: "process", name: "sshd", timeout_seconds: "601" }))).toMatchObject({
      ok: false,
      field: "timeout_seconds",
    });
    expect(buildCheck(check({ type: "process", name: "sshd", fail_after: "0" }))).toMatchObject({ ok: false, field: "fail_after" });
    expect(buildCheck(check({ type: "process", name: "sshd" }), ["sshd"])).toMatchObject({ ok: false, field: "name" });
    expect(built(check({ type: "process", name: "sshd", enabled: false, severity: "info", timeout_seconds: "20" }))).toMatchObject({
      enabled: false,
      severity: "info",
      timeout_seconds: 20,
    });
  });
});

describe("stored checks round-trip through the form", () => {
  const stored: CheckDefinition[] = [
    {
      name: "CPU",
      type: "cpu",
      max_percent: 90,
      warn_percent: 80,
      window_seconds: 300,
      interval_seconds: 60,
      fail_after: 3,
      severity: "warning",
      enabled: true,
    },
    {
      name: "Data",
      type: "disk",
      mount: "/data",
      max_used_percent: 95,
      min_free_bytes: 10 * 1024 ** 3,
      interval_seconds: 600,
      fail_after: 1,
      severity: "critical",
      enabled: true,
    },
    {
      name: "Gateway",
      type: "ping",
      host: "10.0.0.1",
      count: 4,
      max_loss_percent: 50,
      interval_seconds: 60,
      fail_after: 2,
      severity: "critical",
      enabled: true,
    },
    {
      name: "Web port",
      type: "port",
      host: "127.0.0.1",
      port: 8443,
      interval_seconds: 60,
      fail_after: 2,
      severity: "critical",
      enabled: false,
    },
    {
      name: "Site",
      type: "http",
      url: "https://example.com",
      expect_status: 200,
      min_cert_days: 7,
      interval_seconds: 300,
      fail_after: 1,
      severity: "critical",
      enabled: true,
      timeout_seconds: 15,
    },
    {
      name: "Backup",
      type: "script",
      script_id: SCRIPT_ID,
      warning_exit_code: 2,
      interval_seconds: 3600,
      fail_after: 1,
      severity: "warning",
      enabled: true,
    },
    {
      name: "nginx",
      type: "service",
      restart_if_stopped: true,
      pass_if_not_installed: false,
      interval_seconds: 120,
      fail_after: 2,
      severity: "critical",
      enabled: true,
    },
    {
      name: "Agent process",
      type: "process",
      process: "gururmm-agent",
      interval_seconds: 120,
      fail_after: 1,
      severity: "info",
      enabled: true,
    },
  ];

  it.each(stored.map((definition) => [definition.type, definition] as const))("%s", (_type, definition) => {
    expect(built(checkToForm(definition))).toEqual(definition);
  });
});

describe("buildPolicyRequest", () => {
  it("sends empty settings as inherited and minutes as seconds", () => {
    const result = buildPolicyRequest({
      ...EMPTY_POLICY_FORM,
      name: " Servers ",
      offline_alert_after_minutes: "10",
      renotify_minutes: "0",
    });
    expect(result).toEqual({
      ok: true,
      request: {
        name: "Servers",
        description: "",
        checks: [],
        offline_alert_after_seconds: 600,
        renotify_minutes: 0,
        metrics_interval_seconds: null,
        notify: null,
        template_checks: [],
      },
    });
  });

  it("round-trips a stored policy, keeping the notification routes and template checks it does not edit", () => {
    const notify = [{ channel_id: SCRIPT_ID, min_severity: "critical" as const, on_resolve: true }];
    const templateChecks = [{ template_id: SCRIPT_ID, name: "Web", enabled: true }];
    const stored = policy({ offline_alert_after_seconds: 900, metrics_interval_seconds: 30, notify, template_checks: templateChecks });
    const result = buildPolicyRequest(policyToForm(stored));
    expect(result).toMatchObject({
      ok: true,
      request: {
        name: "Baseline",
        checks: stored.checks,
        offline_alert_after_seconds: 900,
        metrics_interval_seconds: 30,
        notify,
        template_checks: templateChecks,
      },
    });
  });

  it("names the setting or the check at fault", () => {
    expect(buildPolicyRequest({ ...EMPTY_POLICY_FORM, name: "" })).toMatchObject({ ok: false, field: "name" });
    expect(buildPolicyRequest({ ...EMPTY_POLICY_FORM, name: "P", metrics_interval_seconds: "1" })).toMatchObject({
      ok: false,
      field: "metrics_interval_seconds",
      message: "5 to 3600.",
    });
    const checks = [check({ type: "process", name: "sshd" }), check({ type: "port", name: "DB", host: "db", port: "0" })];
    expect(buildPolicyRequest({ ...EMPTY_POLICY_FORM, name: "P", checks })).toMatchObject({
      ok: false,
      field: "checks",
      check: { index: 1, field: "port", message: "1 to 65535." },
    });
    const twice = [check({ type: "process", name: "sshd" }), check({ type: "process", name: "sshd" })];
    expect(buildPolicyRequest({ ...EMPTY_POLICY_FORM, name: "P", checks: twice })).toMatchObject({ check: { index: 1, field: "name" } });
  });
});

describe("notification routes", () => {
  const route = { channel_id: SCRIPT_ID, min_severity: "warning" as const, on_resolve: false };

  it("sends null to inherit routes, and a list (even empty) to replace them", () => {
    expect(buildPolicyRequest({ ...EMPTY_POLICY_FORM, name: "P" })).toMatchObject({ ok: true, request: { notify: null } });
    expect(buildPolicyRequest({ ...EMPTY_POLICY_FORM, name: "P", notify: [] })).toMatchObject({ ok: true, request: { notify: [] } });
    expect(buildPolicyRequest({ ...EMPTY_POLICY_FORM, name: "P", notify: [route] })).toMatchObject({
      ok: true,
      request: { notify: [route] },
    });
  });

  it("needs a channel on every route and at most 20 routes", () => {
    expect(buildPolicyRequest({ ...EMPTY_POLICY_FORM, name: "P", notify: [route, { ...route, channel_id: "" }] })).toEqual({
      ok: false,
      field: "notify",
      message: "Pick a channel for notification route 2.",
    });
    expect(buildPolicyRequest({ ...EMPTY_POLICY_FORM, name: "P", notify: Array.from({ length: 21 }, () => route) })).toMatchObject({
      ok: false,
      field: "notify",
    });
  });

  it("places the server's route error on the routes", () => {
    expect(problemFromServer("notify[0].channel_id: no such notification channel", [])).toEqual({
      field: "notify",
      message: "notify[0].channel_id: no such notification channel",
    });
    expect(problemFromServer("notify: at most 20 routes", [])).toEqual({ field: "notify", message: "notify: at most 20 routes" });
  });
});

describe("problemFromServer", () => {
  const checks = [check({ type: "port", name: "DB", host: "db", port: "5432" })];

  it("places a check's field error on the check", () => {
    expect(problemFromServer("checks[0].port: must be 1 to 65535", checks)).toEqual({
      field: "checks",
      message: "DB: port must be 1 to 65535",
      check: { index: 0, field: "port", message: "must be 1 to 65535" },
    });
    expect(problemFromServer("checks[3].port: must be 1 to 65535", checks)).toEqual({
      field: "checks",
      message: "checks[3].port: must be 1 to 65535",
    });
  });

  it("places a setting's error on the setting, and leaves other messages to the form", () => {
    expect(problemFromServer("renotify_minutes: must be 0 to 10080", checks)).toMatchObject({ field: "renotify_minutes" });
    expect(problemFromServer("offline_alert_after_seconds: must be 60 to 2592000", checks)).toMatchObject({
      field: "offline_alert_after_minutes",
    });
    expect(problemFromServer("a policy with this name exists", checks)).toBeNull();
  });
});
