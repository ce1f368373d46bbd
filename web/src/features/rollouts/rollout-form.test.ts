import type { AgentRelease } from "@/api/types";
import {
  activeRollout,
  agentVersions,
  buildRolloutRequest,
  compareVersions,
  defaultVersion,
  newRolloutForm,
  parseWaves,
  rolloutProblemFromServer,
  rolloutSummary,
  startBlockedReason,
} from "./rollout-form";

const NOW = Date.parse("2026-06-01T12:00:00Z");

function release(overrides: Partial<AgentRelease> = {}): AgentRelease {
  return {
    product: "gururmm-agent",
    version: "1.2.0",
    channel: "stable",
    platform: "linux",
    arch: "x86_64",
    file: `gururmm-agent-${overrides.version ?? "1.2.0"}-${overrides.platform ?? "linux"}-x86_64`,
    sha256: "00",
    size: 3_000_000,
    released_at: "2026-05-01T00:00:00Z",
    expires_at: "2026-08-01T00:00:00Z",
    ...overrides,
  };
}

describe("parseWaves", () => {
  it("reads a comma list, with or without spaces and percent signs", () => {
    expect(parseWaves("1, 10, 50, 100")).toEqual({ ok: true, waves: [1, 10, 50, 100] });
    expect(parseWaves("5%,100%")).toEqual({ ok: true, waves: [5, 100] });
    expect(parseWaves("100")).toEqual({ ok: true, waves: [100] });
  });

  it("refuses what the server refuses", () => {
    expect(parseWaves("")).toEqual({ ok: false, problem: "Give 1 to 10 percentages." });
    expect(parseWaves("1,2,3,4,5,6,7,8,9,10,100")).toEqual({ ok: false, problem: "Give 1 to 10 percentages." });
    expect(parseWaves("0, 100")).toEqual({ ok: false, problem: '"0" is not a percentage from 1 to 100.' });
    expect(parseWaves("10, 150")).toEqual({ ok: false, problem: '"150" is not a percentage from 1 to 100.' });
    expect(parseWaves("1.5, 100")).toEqual({ ok: false, problem: '"1.5" is not a percentage from 1 to 100.' });
    expect(parseWaves("ten, 100")).toEqual({ ok: false, problem: '"ten" is not a percentage from 1 to 100.' });
    expect(parseWaves("50, 10, 100")).toEqual({ ok: false, problem: "Each wave reaches a larger share than the one before." });
    expect(parseWaves("10, 10, 100")).toEqual({ ok: false, problem: "Each wave reaches a larger share than the one before." });
    expect(parseWaves("1, 10, 50")).toEqual({ ok: false, problem: "The last wave reaches 100% of the agents." });
  });
});

describe("buildRolloutRequest", () => {
  it("sends the defaults: waves 1, 10, 50, 100 and a 10% failure limit", () => {
    expect(buildRolloutRequest(newRolloutForm("1.2.0"))).toEqual({
      ok: true,
      body: { version: "1.2.0", waves: [1, 10, 50, 100], max_failure_percent: 10 },
    });
  });

  it("names every field that is wrong", () => {
    expect(buildRolloutRequest({ version: null, waves: "50, 10", maxFailurePercent: "101" })).toEqual({
      ok: false,
      problems: {
        version: "Pick a release.",
        waves: "Each wave reaches a larger share than the one before.",
        max_failure_percent: "A whole percentage from 0 to 100.",
      },
    });
    expect(buildRolloutRequest({ ...newRolloutForm("1.2.0"), maxFailurePercent: "0" }).ok).toBe(true);
    expect(buildRolloutRequest({ ...newRolloutForm("1.2.0"), maxFailurePercent: "-1" }).ok).toBe(false);
    expect(buildRolloutRequest({ ...newRolloutForm("1.2.0"), maxFailurePercent: "" }).ok).toBe(false);
  });
});

describe("rolloutSummary", () => {
  it("says what the waves and the gate do", () => {
    expect(rolloutSummary("1.2.0", [1, 10, 50, 100], 10)).toBe(
      "Offers 1.2.0 to 1%, then 10%, 50% and 100% of the eligible agents; a wave whose refused, failed and rolled-back updates exceed 10% of its finished ones halts the rollout.",
    );
    expect(rolloutSummary("1.2.0", [20, 100], 5)).toMatch(/^Offers 1.2.0 to 20%, then 100% of the eligible agents;/);
    expect(rolloutSummary("1.2.0", [100], 5)).toMatch(/^Offers 1.2.0 to 100% at once of the eligible agents;/);
  });
});

describe("rolloutProblemFromServer", () => {
  it("places the server's 422 on its field", () => {
    expect(rolloutProblemFromServer("waves must grow: each reaches a larger share of the fleet")?.field).toBe("waves");
    expect(rolloutProblemFromServer("the last wave must reach 100% of the agents")?.field).toBe("waves");
    expect(rolloutProblemFromServer("max_failure_percent is a percentage from 0 to 100")?.field).toBe("max_failure_percent");
    expect(rolloutProblemFromServer('version "x" is not a semantic version: …')?.field).toBe("version");
    expect(rolloutProblemFromServer("another rollout is running")).toBeNull();
  });
});

describe("compareVersions", () => {
  it("orders by semantic version precedence", () => {
    const sorted = ["1.10.0", "1.2.0", "1.2.0-beta.2", "1.2.0-beta.10", "1.2.0-alpha", "0.9.9", "2.0.0"].sort(compareVersions);
    expect(sorted).toEqual(["0.9.9", "1.2.0-alpha", "1.2.0-beta.2", "1.2.0-beta.10", "1.2.0", "1.10.0", "2.0.0"]);
  });
});

describe("agentVersions and defaultVersion", () => {
  it("lists the agent's versions newest first, with their platforms, without the watchdog's", () => {
    const versions = agentVersions(
      [
        release({ version: "1.2.0" }),
        release({ version: "1.2.0", platform: "windows" }),
        release({ version: "1.3.0-beta.1", channel: "beta" }),
        release({ version: "1.10.0", expires_at: "2026-05-30T00:00:00Z" }),
        release({ product: "gururmm-watchdog", version: "9.0.0" }),
      ],
      NOW,
    );
    expect(versions).toEqual([
      { version: "1.10.0", channel: "stable", platforms: ["linux/x86_64"], expired: true },
      { version: "1.3.0-beta.1", channel: "beta", platforms: ["linux/x86_64"], expired: false },
      { version: "1.2.0", channel: "stable", platforms: ["linux/x86_64", "windows/x86_64"], expired: false },
    ]);
    // The newest stable one that agents still accept, not the expired one nor the beta.
    expect(defaultVersion(versions)).toBe("1.2.0");
    expect(defaultVersion(versions.filter((version) => version.channel === "beta"))).toBe("1.3.0-beta.1");
    expect(defaultVersion([])).toBeNull();
  });
});

describe("startBlockedReason", () => {
  const published = { configured: true, keys_present: true, items: [release()] };

  it("lets a rollout start when a release is published and none is active", () => {
    expect(startBlockedReason(published, null, NOW)).toBeNull();
  });

  it("says why it cannot", () => {
    expect(startBlockedReason(published, { version: "1.1.0", state: "halted" }, NOW)).toMatch(/rollout of 1.1.0 is halted/);
    expect(startBlockedReason({ ...published, configured: false }, null, NOW)).toMatch(/GURURMM_RELEASES_DIR/);
    expect(startBlockedReason({ ...published, keys_present: false }, null, NOW)).toMatch(/signed key statement/);
    expect(startBlockedReason({ ...published, items: [] }, null, NOW)).toBe("No agent release is published.");
    expect(startBlockedReason({ ...published, items: [release({ expires_at: "2026-01-01T00:00:00Z" })] }, null, NOW)).toBe(
      "Every published agent release has expired.",
    );
  });
});

describe("activeRollout", () => {
  it("is the running or halted one", () => {
    expect(activeRollout([{ state: "completed" }, { state: "halted" }])).toEqual({ state: "halted" });
    expect(activeRollout([{ state: "completed" }, { state: "cancelled" }])).toBeNull();
  });
});
