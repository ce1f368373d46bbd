//! A release for the feature's tests. (It belongs in `src/test/fixtures.ts` once the release types
//! come from the generated schema: shared test code may not import a feature.)
import type { AgentRelease } from "./api/updates";

/**
 * A signed stable (or, with a pre-release part, beta) Linux x86_64 agent build, valid until 2099.
 */
export function agentRelease(version: string, overrides: Partial<AgentRelease> = {}): AgentRelease {
  return {
    product: "gururmm-agent",
    version,
    channel: version.includes("-") ? "beta" : "stable",
    platform: "linux",
    arch: "x86_64",
    file: `gururmm-agent-${version}-linux-x86_64`,
    size: 3_800_000,
    sha256: "ab".repeat(32),
    released_at: "2026-05-01T00:00:00Z",
    expires_at: "2099-01-01T00:00:00Z",
    ...overrides,
  };
}
