//! The policy editor's fields turned into a `PolicyRequest` and back, with the server's ranges
//! checked first (`crates/protocol/src/checks.rs` and `services/policies.rs`) so a mistake is shown
//! next to its field. Check fields are named as on the wire, so a 422 from the server
//! (`checks[0].port: must be 1 to 65535`) lands on the same field as a check made here.
import type { CheckDefinition, CheckType, Policy, PolicyRequest, Severity } from "@/api/types";

export const CHECK_TYPES: readonly { type: CheckType; label: string; hint: string }[] = [
  { type: "cpu", label: "CPU", hint: "Average CPU use over a window" },
  { type: "memory", label: "Memory", hint: "Average memory use over a window" },
  { type: "disk", label: "Disk space", hint: "Used percentage or free space of a mount" },
  { type: "ping", label: "Ping", hint: "ICMP echo: loss and latency" },
  { type: "port", label: "TCP port", hint: "A TCP connection to a host and port" },
  { type: "http", label: "HTTP(S)", hint: "Status, keyword and certificate expiry" },
  { type: "script", label: "Script", hint: "A library script: exit 0 passes" },
  { type: "service", label: "Service", hint: "A service is running" },
  { type: "process", label: "Process", hint: "A process is running" },
];

export const CHECK_TYPE_LABELS = Object.fromEntries(CHECK_TYPES.map(({ type, label }) => [type, label])) as Record<CheckType, string>;

export const LIMITS = {
  nameChars: 100,
  descriptionChars: 2000,
  checksPerPolicy: 100,
  intervalSeconds: [10, 86_400],
  timeoutSeconds: [1, 600],
  failAfter: [1, 100],
  windowSeconds: [10, 3600],
  pingCount: [1, 10],
  warnLatencyMs: 60_000,
  port: [1, 65_535],
  httpStatus: [100, 599],
  certDays: 3650,
  textChars: 2048,
  hostChars: 253,
  offlineAlertMinutes: [1, 30 * 24 * 60],
  renotifyMinutes: [0, 7 * 24 * 60],
  metricsIntervalSeconds: [5, 3600],
  notifyRoutes: 20,
} as const;

const GIB = 1024 ** 3;

/** Every field of every check type, as text the inputs hold; a type reads only its own. */
export interface CheckFormValues {
  /** A local key for React lists; never sent. */
  key: string;
  name: string;
  type: CheckType;
  enabled: boolean;
  severity: Severity;
  interval_seconds: string;
  /** Empty: the type's default. */
  timeout_seconds: string;
  fail_after: string;
  max_percent: string;
  warn_percent: string;
  window_seconds: string;
  mount: string;
  max_used_percent: string;
  warn_used_percent: string;
  /** In GiB here; bytes on the wire. */
  min_free_bytes: string;
  host: string;
  count: string;
  max_loss_percent: string;
  warn_latency_ms: string;
  port: string;
  url: string;
  expect_status: string;
  keyword: string;
  min_cert_days: string;
  warn_cert_days: string;
  script_id: string;
  warning_exit_code: string;
  /** Empty: the check's own name. */
  service: string;
  restart_if_stopped: boolean;
  pass_if_not_installed: boolean;
  process: string;
}

export type CheckField = Exclude<keyof CheckFormValues, "key">;

const BLANK_CHECK: Omit<CheckFormValues, "key" | "type" | "name"> = {
  enabled: true,
  severity: "critical",
  interval_seconds: "300",
  timeout_seconds: "",
  fail_after: "1",
  max_percent: "",
  warn_percent: "",
  window_seconds: "300",
  mount: "",
  max_used_percent: "",
  warn_used_percent: "",
  min_free_bytes: "",
  host: "",
  count: "3",
  max_loss_percent: "",
  warn_latency_ms: "",
  port: "",
  url: "",
  expect_status: "",
  keyword: "",
  min_cert_days: "",
  warn_cert_days: "",
  script_id: "",
  warning_exit_code: "",
  service: "",
  restart_if_stopped: false,
  pass_if_not_installed: false,
  process: "",
};

/** Sensible starting values per type: what most MSPs alert on. */
const TYPE_DEFAULTS: Record<CheckType, Partial<CheckFormValues>> = {
  cpu: { name: "CPU", max_percent: "95", warn_percent: "85", window_seconds: "300", fail_after: "3", severity: "warning" },
  memory: { name: "Memory", max_percent: "95", warn_percent: "90", window_seconds: "300", fail_after: "3", severity: "warning" },
  disk: { name: "Disk space", max_used_percent: "95", warn_used_percent: "85", interval_seconds: "900" },
  ping: { name: "Ping", count: "3", interval_seconds: "60", fail_after: "2" },
  port: { name: "TCP port", interval_seconds: "60", fail_after: "2" },
  http: { name: "Website", url: "https://", interval_seconds: "300", fail_after: "2" },
  script: { name: "Script check", interval_seconds: "900" },
  service: { name: "", interval_seconds: "120", fail_after: "2" },
  process: { name: "", interval_seconds: "120", fail_after: "2" },
};

let nextCheckKey = 0;
function checkKey(): string {
  nextCheckKey += 1;
  return `check-${nextCheckKey}`;
}

export function newCheck(type: CheckType): CheckFormValues {
  return { key: checkKey(), type, name: "", ...BLANK_CHECK, ...TYPE_DEFAULTS[type] };
}

const text = (value: number | string | null | undefined): string => (value === null || value === undefined ? "" : String(value));

/** A stored check in the editor's fields. */
export function checkToForm(check: CheckDefinition): CheckFormValues {
  const form: CheckFormValues = {
    ...BLANK_CHECK,
    key: checkKey(),
    name: check.name,
    type: check.type,
    enabled: check.enabled ?? true,
    severity: check.severity ?? "critical",
    interval_seconds: text(check.interval_seconds ?? 300),
    timeout_seconds: text(check.timeout_seconds),
    fail_after: text(check.fail_after ?? 1),
  };
  switch (check.type) {
    case "cpu":
    case "memory":
      return {
        ...form,
        max_percent: text(check.max_percent),
        warn_percent: text(check.warn_percent),
        window_seconds: text(check.window_seconds ?? 300),
      };
    case "disk":
      return {
        ...form,
        mount: check.mount ?? "",
        max_used_percent: text(check.max_used_percent),
        warn_used_percent: text(check.warn_used_percent),
        min_free_bytes:
          check.min_free_bytes === null || check.min_free_bytes === undefined ? "" : String(+(check.min_free_bytes / GIB).toFixed(3)),
      };
    case "ping":
      return {
        ...form,
        host: check.host,
        count: text(check.count ?? 3),
        max_loss_percent: text(check.max_loss_percent),
        warn_latency_ms: text(check.warn_latency_ms),
      };
    case "port":
      return { ...form, host: check.host, port: text(check.port) };
    case "http":
      return {
        ...form,
        url: check.url,
        expect_status: text(check.expect_status),
        keyword: check.keyword ?? "",
        min_cert_days: text(check.min_cert_days),
        warn_cert_days: text(check.warn_cert_days),
      };
    case "script":
      return { ...form, script_id: check.script_id, warning_exit_code: text(check.warning_exit_code) };
    case "service":
      return {
        ...form,
        service: check.service ?? "",
        restart_if_stopped: check.restart_if_stopped ?? false,
        pass_if_not_installed: check.pass_if_not_installed ?? false,
      };
    case "process":
      return { ...form, process: check.process ?? "" };
  }
}

export interface FieldProblem<F extends string> {
  field: F;
  message: string;
}

export type CheckResult = { ok: true; check: CheckDefinition } | ({ ok: false } & FieldProblem<CheckField>);

class Invalid<F extends string> extends Error {
  constructor(
    readonly field: F,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const INTEGER = /^[+-]?\d+$/;

/** Reads a number field; blank gives null unless `required`. */
function numberField<F extends string>(
  field: F,
  raw: string,
  {
    required = false,
    integer = false,
    min,
    max,
    above,
  }: { required?: boolean; integer?: boolean; min?: number; max?: number; above?: number },
): number | null {
  const value = raw.trim();
  if (value === "") {
    if (required) throw new Invalid(field, "Required.");
    return null;
  }
  if (!(integer ? INTEGER : NUMBER).test(value)) throw new Invalid(field, integer ? "A whole number." : "A number.");
  const number = Number(value);
  if (above !== undefined && max !== undefined && !(number > above && number <= max)) {
    throw new Invalid(field, `Above ${above} and at most ${max}.`);
  }
  if (min !== undefined && max !== undefined && !(number >= min && number <= max)) throw new Invalid(field, `${min} to ${max}.`);
  if (min === undefined && max !== undefined && above === undefined && number > max) throw new Invalid(field, `At most ${max}.`);
  return number;
}

const percent = <F extends string>(field: F, raw: string, required = false) => numberField(field, raw, { required, above: 0, max: 100 });

function textField<F extends string>(field: F, raw: string, maxChars: number, { required = true } = {}): string | null {
  const value = raw.trim();
  if (value === "") {
    if (required) throw new Invalid(field, "Required.");
    return null;
  }
  if (value.length > maxChars) throw new Invalid(field, `At most ${maxChars} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Invalid(field, "No control characters.");
  return value;
}

function hostField(raw: string): string {
  const host = textField("host", raw, LIMITS.hostChars) ?? "";
  if (/\s/.test(host) || host.startsWith("-")) throw new Invalid("host", "A host name or address.");
  return host;
}

/** The check's type fields, checked as the protocol crate checks them. */
function kindFields(values: CheckFormValues): Record<string, unknown> {
  switch (values.type) {
    case "cpu":
    case "memory": {
      const max = percent("max_percent", values.max_percent, true) ?? 0;
      const warn = percent("warn_percent", values.warn_percent);
      if (warn !== null && warn >= max) throw new Invalid("warn_percent", "Below the failing threshold.");
      const window = numberField("window_seconds", values.window_seconds, {
        required: true,
        integer: true,
        min: LIMITS.windowSeconds[0],
        max: LIMITS.windowSeconds[1],
      });
      return { max_percent: max, warn_percent: warn, window_seconds: window };
    }
    case "disk": {
      const mount = textField("mount", values.mount, LIMITS.textChars, { required: false });
      const max = percent("max_used_percent", values.max_used_percent);
      const warn = percent("warn_used_percent", values.warn_used_percent);
      const minFreeGib = numberField("min_free_bytes", values.min_free_bytes, {});
      if (minFreeGib !== null && minFreeGib < 0) throw new Invalid("min_free_bytes", "At least 0.");
      if (max === null && minFreeGib === null) throw new Invalid("max_used_percent", "Give a used percentage, a free space or both.");
      if (warn !== null && max !== null && warn >= max) throw new Invalid("warn_used_percent", "Below the failing threshold.");
      return {
        mount,
        max_used_percent: max,
        warn_used_percent: warn,
        min_free_bytes: minFreeGib === null ? null : Math.round(minFreeGib * GIB),
      };
    }
    case "ping":
      return {
        host: hostField(values.host),
        count: numberField("count", values.count, { required: true, integer: true, min: LIMITS.pingCount[0], max: LIMITS.pingCount[1] }),
        max_loss_percent: percent("max_loss_percent", values.max_loss_percent),
        warn_latency_ms: numberField("warn_latency_ms", values.warn_latency_ms, { above: 0, max: LIMITS.warnLatencyMs }),
      };
    case "port":
      return {
        host: hostField(values.host),
        port: numberField("port", values.port, { required: true, integer: true, min: LIMITS.port[0], max: LIMITS.port[1] }),
      };
    case "http": {
      const url = textField("url", values.url, LIMITS.textChars) ?? "";
      const rest = /^https?:\/\/(.*)$/.exec(url)?.[1];
      if (rest === undefined) throw new Invalid("url", "An http:// or https:// URL.");
      const authority = rest.split(/[/?#]/)[0] ?? "";
      if (authority === "" || /\s/.test(authority)) throw new Invalid("url", "The URL must name a host.");
      const minCert = numberField("min_cert_days", values.min_cert_days, { integer: true, min: 0, max: LIMITS.certDays });
      const warnCert = numberField("warn_cert_days", values.warn_cert_days, { integer: true, min: 0, max: LIMITS.certDays });
      if ((minCert !== null || warnCert !== null) && !url.startsWith("https://")) {
        throw new Invalid("min_cert_days", "Certificate days need an https:// URL.");
      }
      return {
        url,
        expect_status: numberField("expect_status", values.expect_status, {
          integer: true,
          min: LIMITS.httpStatus[0],
          max: LIMITS.httpStatus[1],
        }),
        keyword: values.keyword === "" ? null : textField("keyword", values.keyword, LIMITS.textChars),
        min_cert_days: minCert,
        warn_cert_days: warnCert,
      };
    }
    case "script": {
      if (values.script_id === "") throw new Invalid("script_id", "Pick a script.");
      const warning = numberField("warning_exit_code", values.warning_exit_code, {
        integer: true,
        min: -2_147_483_648,
        max: 2_147_483_647,
      });
      return { script_id: values.script_id, warning_exit_code: warning };
    }
    case "service":
      return {
        service: textField("service", values.service, LIMITS.nameChars, { required: false }),
        restart_if_stopped: values.restart_if_stopped,
        pass_if_not_installed: values.pass_if_not_installed,
      };
    case "process":
      return { process: textField("process", values.process, LIMITS.nameChars, { required: false }) };
  }
}

/** Drops null type fields, which the server reads as absent anyway, so bodies stay short. */
function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null));
}

/** One check's request body, or the first field at fault. `otherNames` are the policy's other checks. */
export function buildCheck(values: CheckFormValues, otherNames: readonly string[] = []): CheckResult {
  try {
    const name = values.name.trim();
    if (name === "") throw new Invalid("name", "Give the check a name.");
    if (name.length > LIMITS.nameChars) throw new Invalid("name", `At most ${LIMITS.nameChars} characters.`);
    if (otherNames.includes(name)) throw new Invalid("name", "Another check of this policy has this name.");
    if ((values.type === "service" || values.type === "process") && values[values.type].trim() === "" && /\s/.test(name)) {
      // The check's own name stands for the service or process when the field is empty.
      throw new Invalid(values.type, `Name the ${values.type}: the check's name has spaces.`);
    }
    const common = {
      name,
      type: values.type,
      enabled: values.enabled,
      severity: values.severity,
      interval_seconds: numberField("interval_seconds", values.interval_seconds, {
        required: true,
        integer: true,
        min: LIMITS.intervalSeconds[0],
        max: LIMITS.intervalSeconds[1],
      }),
      timeout_seconds: numberField("timeout_seconds", values.timeout_seconds, {
        integer: true,
        min: LIMITS.timeoutSeconds[0],
        max: LIMITS.timeoutSeconds[1],
      }),
      fail_after: numberField("fail_after", values.fail_after, {
        required: true,
        integer: true,
        min: LIMITS.failAfter[0],
        max: LIMITS.failAfter[1],
      }),
    };
    return { ok: true, check: withoutNulls({ ...common, ...kindFields(values) }) as CheckDefinition };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, field: error.field as CheckField, message: error.message };
    throw error;
  }
}

/** A one-line summary of what a check checks, for the checks list. */
export function describeCheck(values: CheckFormValues): string {
  switch (values.type) {
    case "cpu":
    case "memory":
      return `fails at ${values.max_percent || "?"} %${values.warn_percent ? `, warns at ${values.warn_percent} %` : ""} over ${values.window_seconds || "300"} s`;
    case "disk":
      return [
        values.mount || "every fixed disk",
        values.max_used_percent ? `fails at ${values.max_used_percent} % used` : null,
        values.min_free_bytes ? `or below ${values.min_free_bytes} GiB free` : null,
      ]
        .filter(Boolean)
        .join(", ");
    case "ping":
      return `${values.host} × ${values.count || 3}`;
    case "port":
      return `${values.host}:${values.port}`;
    case "http":
      return values.url + (values.expect_status ? ` → ${values.expect_status}` : "");
    case "script":
      return "library script";
    case "service":
      return `service ${values.service || values.name}${values.restart_if_stopped ? ", restarts it" : ""}`;
    case "process":
      return `process ${values.process || values.name}`;
  }
}

export interface PolicyFormValues {
  name: string;
  description: string;
  /** Empty: inherited. */
  offline_alert_after_minutes: string;
  renotify_minutes: string;
  metrics_interval_seconds: string;
  checks: CheckFormValues[];
  /** Notification routes; null inherits a less specific policy's routes, a list (even empty) replaces them. */
  notify: Policy["notify"];
  /** Checks taken from check templates, kept as loaded (listed, not edited, here). */
  template_checks: NonNullable<Policy["template_checks"]>;
}

export const EMPTY_POLICY_FORM: PolicyFormValues = {
  name: "",
  description: "",
  offline_alert_after_minutes: "",
  renotify_minutes: "",
  metrics_interval_seconds: "",
  checks: [],
  notify: null,
  template_checks: [],
};

export function policyToForm(policy: Policy): PolicyFormValues {
  const offline = policy.offline_alert_after_seconds;
  return {
    name: policy.name,
    description: policy.description,
    offline_alert_after_minutes: offline === null || offline === undefined ? "" : String(+(offline / 60).toFixed(2)),
    renotify_minutes: text(policy.renotify_minutes),
    metrics_interval_seconds: text(policy.metrics_interval_seconds),
    checks: (policy.checks ?? []).map(checkToForm),
    notify: policy.notify ?? null,
    template_checks: policy.template_checks ?? [],
  };
}

export type PolicyField =
  "name" | "description" | "offline_alert_after_minutes" | "renotify_minutes" | "metrics_interval_seconds" | "checks" | "notify";

export type PolicyProblem = FieldProblem<PolicyField> & { check?: { index: number } & FieldProblem<CheckField> };

export type PolicyResult = { ok: true; request: PolicyRequest } | ({ ok: false } & PolicyProblem);

export function buildPolicyRequest(values: PolicyFormValues): PolicyResult {
  try {
    const name = textField("name", values.name, 200) ?? "";
    if (values.description.length > LIMITS.descriptionChars)
      throw new Invalid("description", `At most ${LIMITS.descriptionChars} characters.`);
    const offlineMinutes = numberField("offline_alert_after_minutes", values.offline_alert_after_minutes, {
      integer: true,
      min: LIMITS.offlineAlertMinutes[0],
      max: LIMITS.offlineAlertMinutes[1],
    });
    const renotify = numberField("renotify_minutes", values.renotify_minutes, {
      integer: true,
      min: LIMITS.renotifyMinutes[0],
      max: LIMITS.renotifyMinutes[1],
    });
    const metrics = numberField("metrics_interval_seconds", values.metrics_interval_seconds, {
      integer: true,
      min: LIMITS.metricsIntervalSeconds[0],
      max: LIMITS.metricsIntervalSeconds[1],
    });
    if (values.notify) {
      if (values.notify.length > LIMITS.notifyRoutes) throw new Invalid("notify", `At most ${LIMITS.notifyRoutes} notification routes.`);
      const unpicked = values.notify.findIndex((route) => !route.channel_id);
      if (unpicked >= 0) throw new Invalid("notify", `Pick a channel for notification route ${unpicked + 1}.`);
    }
    if (values.checks.length > LIMITS.checksPerPolicy) throw new Invalid("checks", `At most ${LIMITS.checksPerPolicy} checks.`);
    const checks: CheckDefinition[] = [];
    for (const [index, check] of values.checks.entries()) {
      const others = values.checks.filter((_, other) => other < index).map((other) => other.name.trim());
      const result = buildCheck(check, others);
      if (!result.ok) {
        return {
          ok: false,
          field: "checks",
          message: `${check.name || `Check ${index + 1}`}: ${result.message}`,
          check: { index, field: result.field, message: result.message },
        };
      }
      checks.push(result.check);
    }
    return {
      ok: true,
      request: {
        name,
        description: values.description.trim(),
        checks,
        offline_alert_after_seconds: offlineMinutes === null ? null : offlineMinutes * 60,
        renotify_minutes: renotify,
        metrics_interval_seconds: metrics,
        notify: values.notify ?? null,
        template_checks: values.template_checks,
      },
    };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, field: error.field as PolicyField, message: error.message };
    throw error;
  }
}

const SETTING_FIELDS: Record<string, PolicyField> = {
  name: "name",
  description: "description",
  offline_alert_after_seconds: "offline_alert_after_minutes",
  renotify_minutes: "renotify_minutes",
  metrics_interval_seconds: "metrics_interval_seconds",
  checks: "checks",
  notify: "notify",
};

/**
 * Places the server's 422 message on a field: `checks[2].port: must be 1 to 65535` on the third
 * check's port, `renotify_minutes: …` on that setting. Null when it names no field we show.
 */
export function problemFromServer(message: string, checks: readonly CheckFormValues[]): PolicyProblem | null {
  const checkMatch = /^checks\[(\d+)\]\.(\w+):\s*(.*)$/s.exec(message);
  if (checkMatch) {
    const index = Number(checkMatch[1]);
    const field = checkMatch[2] as CheckField;
    const detail = checkMatch[3] ?? "";
    const check = checks[index];
    if (!check || !(field in check)) return { field: "checks", message };
    return { field: "checks", message: `${check.name}: ${field} ${detail}`, check: { index, field, message: detail } };
  }
  if (/^notify\[\d+\]\.\w+:/.test(message)) return { field: "notify", message };
  const settingMatch = /^(\w+)(?::| must| is)\s*(.*)$/s.exec(message);
  const field = settingMatch ? SETTING_FIELDS[settingMatch[1] ?? ""] : undefined;
  return field ? { field, message } : null;
}
