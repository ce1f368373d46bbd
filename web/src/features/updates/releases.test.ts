import { describe, expect, it } from "vitest";
import { agentRelease } from "@/test/fixtures";
import { compareVersions, isNewerVersion, preferredChoice, releasesFor, updateChoices } from "./releases";

describe("compareVersions", () => {
  const order = (a: string, b: string) => compareVersions(a, b);

  it("orders by semantic version precedence, not as text", () => {
    expect(order("0.10.0", "0.9.0")).toBe(1);
    expect(order("1.0.0", "1.0.0")).toBe(0);
    expect(order("0.2.0", "0.2.1")).toBe(-1);
    // A pre-release comes before its release, and after the release before it.
    expect(order("0.3.0-beta.1", "0.3.0")).toBe(-1);
    expect(order("0.3.0-beta.1", "0.2.9")).toBe(1);
    // Numeric identifiers compare as numbers, and before alphanumeric ones.
    expect(order("1.0.0-beta.11", "1.0.0-beta.2")).toBe(1);
    expect(order("1.0.0-1", "1.0.0-alpha")).toBe(-1);
    expect(order("1.0.0-alpha", "1.0.0-alpha.1")).toBe(-1);
    // Build metadata does not count.
    expect(order("1.0.0+build.5", "1.0.0")).toBe(0);
  });

  it("gives null when either is not a semantic version", () => {
    expect(order("dev", "0.1.0")).toBeNull();
    expect(order("0.1", "0.1.0")).toBeNull();
    expect(order("01.0.0", "1.0.0")).toBeNull();
  });
});

describe("isNewerVersion", () => {
  it("compares semantic versions; a development build takes any release", () => {
    expect(isNewerVersion("0.2.0", "0.1.0")).toBe(true);
    expect(isNewerVersion("0.1.0", "0.1.0")).toBe(false);
    expect(isNewerVersion("0.2.0-beta.1", "0.2.0")).toBe(false);
    expect(isNewerVersion("0.2.0", "dev")).toBe(true);
    expect(isNewerVersion("nightly", "0.1.0")).toBe(false);
  });
});

const NOW = Date.parse("2026-06-01T00:00:00Z");

describe("updateChoices", () => {
  const target = { platform: "linux", arch: "x86_64", agentVersion: "0.2.0" };
  const published = [
    agentRelease("0.1.0"),
    agentRelease("0.2.0"),
    agentRelease("0.3.0"),
    agentRelease("0.10.0-beta.1"),
    agentRelease("0.4.0", { expires_at: "2026-05-31T00:00:00Z" }),
    agentRelease("0.5.0", { arch: "aarch64" }),
    agentRelease("0.6.0", { platform: "windows", file: "gururmm-agent-0.6.0-windows-x86_64.exe" }),
    agentRelease("0.7.0", { product: "gururmm-watchdog" }),
  ];

  it("keeps the agent's own product, platform and arch, unexpired and newer, newest first", () => {
    expect(updateChoices(published, target, NOW).map((choice) => choice.version)).toEqual(["0.10.0-beta.1", "0.3.0"]);
    expect(releasesFor(published, target, NOW).map((choice) => choice.version)).toEqual(["0.10.0-beta.1", "0.3.0", "0.2.0", "0.1.0"]);
  });

  it("prefers the newest stable release, else the newest beta", () => {
    expect(preferredChoice(updateChoices(published, target, NOW))?.version).toBe("0.3.0");
    expect(preferredChoice([agentRelease("0.4.0-beta.2"), agentRelease("0.4.0-beta.1")])?.version).toBe("0.4.0-beta.2");
    expect(preferredChoice([])).toBeNull();
  });
});
