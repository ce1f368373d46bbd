import type { UpdatePolicy } from "@/api/types";
import {
  buildUpdatePolicyRequest,
  describeChannel,
  existingPolicyFor,
  newUpdatePolicyForm,
  sortUpdatePolicies,
  updatePolicyProblemFromServer,
} from "./update-policy-form";

const CLIENT = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c01";
const SITE = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4f01";

function policy(overrides: Partial<UpdatePolicy> = {}): UpdatePolicy {
  return {
    id: "p1",
    scope: "client",
    target_id: CLIENT,
    channel: "stable",
    pinned_version: null,
    maintenance_only: false,
    updated_at: "2026-05-01T00:00:00Z",
    updated_by_email: "tech@example.com",
    ...overrides,
  };
}

describe("buildUpdatePolicyRequest", () => {
  it("sends a client's policy", () => {
    expect(buildUpdatePolicyRequest({ ...newUpdatePolicyForm(), targetId: CLIENT, channel: "beta", maintenanceOnly: true })).toEqual({
      ok: true,
      body: { scope: "client", target_id: CLIENT, channel: "beta", pinned_version: null, maintenance_only: true },
    });
  });

  it("sends the organization's without a target", () => {
    expect(buildUpdatePolicyRequest({ ...newUpdatePolicyForm(), scope: "global", targetId: CLIENT })).toEqual({
      ok: true,
      body: { scope: "global", target_id: null, channel: "stable", pinned_version: null, maintenance_only: false },
    });
  });

  it("needs a target below the organization", () => {
    expect(buildUpdatePolicyRequest({ ...newUpdatePolicyForm(), scope: "site" })).toEqual({
      ok: false,
      problems: { target: "Pick the site." },
    });
  });

  it("sends the pinned version only for the pinned channel, and checks it", () => {
    const values = { ...newUpdatePolicyForm(), targetId: CLIENT, pinnedVersion: " 1.2.0 " };
    expect(buildUpdatePolicyRequest(values)).toMatchObject({ ok: true, body: { channel: "stable", pinned_version: null } });
    expect(buildUpdatePolicyRequest({ ...values, channel: "pinned" })).toMatchObject({ ok: true, body: { pinned_version: "1.2.0" } });
    expect(buildUpdatePolicyRequest({ ...values, channel: "pinned", pinnedVersion: "1.3.0-beta.1" }).ok).toBe(true);
    expect(buildUpdatePolicyRequest({ ...values, channel: "pinned", pinnedVersion: "" })).toEqual({
      ok: false,
      problems: { pinned_version: "Give the version to hold the agents at." },
    });
    expect(buildUpdatePolicyRequest({ ...values, channel: "pinned", pinnedVersion: "1.2" })).toEqual({
      ok: false,
      problems: { pinned_version: "A semantic version, like 1.2.0 or 1.3.0-beta.1." },
    });
    expect(buildUpdatePolicyRequest({ ...values, channel: "pinned", pinnedVersion: `1.2.0-${"a".repeat(60)}` })).toEqual({
      ok: false,
      problems: { pinned_version: "At most 64 characters." },
    });
  });

  it("starts an edit from the policy", () => {
    expect(newUpdatePolicyForm(policy({ channel: "pinned", pinned_version: "1.2.0", maintenance_only: true }))).toEqual({
      scope: "client",
      targetId: CLIENT,
      channel: "pinned",
      pinnedVersion: "1.2.0",
      maintenanceOnly: true,
    });
  });
});

describe("updatePolicyProblemFromServer", () => {
  it("places the server's 422 on its field", () => {
    expect(updatePolicyProblemFromServer('pinned_version "x" is not a semantic version: bad')).toEqual({
      field: "pinned_version",
      message: 'pinned_version "x" is not a semantic version: bad',
    });
    expect(updatePolicyProblemFromServer("target_id: give the client, site or agent")).toEqual({
      field: "target",
      message: "give the client, site or agent",
    });
    expect(updatePolicyProblemFromServer("something else")).toBeNull();
  });
});

describe("the policies table", () => {
  it("orders policies as they apply: organization, clients, sites, agents, each by name", () => {
    const agent = policy({ id: "a", scope: "agent", target_id: "ag" });
    const site = policy({ id: "s", scope: "site", target_id: SITE });
    const zeta = policy({ id: "z", target_id: "cz" });
    const acme = policy({ id: "c", target_id: CLIENT });
    const global = policy({ id: "g", scope: "global", target_id: null });
    const names = new Map<string, string | null>([
      [CLIENT, "Acme"],
      ["cz", "Zeta"],
    ]);
    expect(sortUpdatePolicies([agent, site, zeta, acme, global], names).map((p) => p.id)).toEqual(["g", "c", "z", "s", "a"]);
  });

  it("finds the policy a new one would replace", () => {
    const existing = policy();
    const global = policy({ id: "g", scope: "global", target_id: null });
    expect(existingPolicyFor([existing, global], "client", CLIENT)).toBe(existing);
    expect(existingPolicyFor([existing, global], "global", null)).toBe(global);
    expect(existingPolicyFor([existing], "site", CLIENT)).toBeNull();
  });

  it("describes the channel", () => {
    expect(describeChannel({ channel: "pinned", pinned_version: "1.2.0" })).toBe("Pinned to 1.2.0");
    expect(describeChannel({ channel: "manual", pinned_version: null })).toBe("Manual");
  });
});
