import { screen, within } from "@testing-library/react";
import type { EffectivePolicy, PolicySource } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { checkKeys } from "../api/checks";
import { EffectivePolicyView } from "./effective-policy-view";

const source = (scope: PolicySource["scope"], name: string): PolicySource => ({
  scope,
  policy_name: name,
  policy_id: `p-${scope}`,
  assignment_id: `as-${scope}`,
});
const global = source("global", "Baseline");
const client = source("client", "Acme servers");
const site = source("site", "Branch office");

const effective: EffectivePolicy = {
  applied: [global, client],
  blocked: [site],
  checks: [
    { name: "Web port", type: "port", host: "127.0.0.1", port: 443, severity: "critical", source: client, overrides: [global] },
    { name: "Disk", type: "disk", max_used_percent: 90, severity: "warning", source: global, overrides: [] },
  ],
  disabled_checks: [{ name: "CPU", type: "cpu", max_percent: 95, enabled: false, source: client, overrides: [global] }],
  offline_alert_after_seconds: { value: 900, source: client },
  renotify_minutes: null,
  metrics_interval_seconds: { value: 30, source: global },
  notify: null,
};

describe("EffectivePolicyView", () => {
  it("names each setting's and check's source, what was replaced, switched off and blocked", async () => {
    renderPage(<EffectivePolicyView agentId="a" />, { seed: [[checkKeys.effective("a"), effective]] });
    expect(await screen.findByTestId("applied-policies")).toHaveTextContent("Baseline");
    expect(screen.getByTestId("applied-policies")).toHaveTextContent("Acme servers");
    expect(screen.getByTestId("blocked-policies")).toHaveTextContent("Branch office");

    const settings = screen.getByTestId("effective-settings");
    expect(settings).toHaveTextContent("15 min");
    expect(settings).toHaveTextContent("Acme servers");
    expect(settings).toHaveTextContent("server default");

    const port = within(screen.getByTestId("effective-checks"))
      .getAllByTestId("effective-check")
      .find((row) => row.dataset.checkName === "Web port");
    expect(within(port!).getAllByTestId("policy-source")[0]).toHaveAttribute("data-scope", "client");
    expect(within(port!).getByTestId("check-overrides")).toHaveTextContent("Baseline");
    expect(within(screen.getByTestId("disabled-checks")).getByTestId("effective-check")).toHaveAttribute("data-check-name", "CPU");
  });
});
