import { describe, expect, it } from "vitest";
import type { UpdateState } from "@/api/types";
import { isUpdateUnderWay, requestedBy, targetLabel, updateProgress, updateReason } from "./update-wording";

describe("updateReason", () => {
  it("says what the agent's codes mean", () => {
    expect(updateReason("bad_signature")).toBe("Signature does not match: the release was altered");
    expect(updateReason("unknown_key")).toBe("Signed by a key this agent does not trust");
    expect(updateReason("no_watchdog")).toBe(
      "This agent runs without its watchdog (not installed as a service), so it cannot update itself",
    );
    expect(updateReason("rolled_back")).toMatch(/did not report healthy in time/);
  });

  it("shows an unknown code as it is, and nothing for no code", () => {
    expect(updateReason("disk_full")).toBe("Code disk_full");
    expect(updateReason(null)).toBeNull();
    expect(updateReason("")).toBeNull();
  });
});

describe("updateProgress", () => {
  const attempt = (state: UpdateState) => ({ state, version: "0.3.0", from_version: "0.2.0" });

  it("follows an attempt that goes well", () => {
    expect(updateProgress(attempt("offered"), true)).toBe("Offered 0.3.0 to the agent; waiting for it to check the release's signatures.");
    expect(updateProgress(attempt("downloading"), true)).toBe("The agent verified the signatures of 0.3.0 and is downloading it.");
    expect(updateProgress(attempt("staged"), false)).toMatch(
      /^0\.3\.0 passed its self-check; the watchdog is swapping it in.*0\.2\.0 is restored\.$/,
    );
    expect(updateProgress(attempt("installed"), true)).toBe("0.3.0 is installed and reported healthy.");
  });

  it("tells that an offline agent gets the update when it connects", () => {
    expect(updateProgress(attempt("offered"), false)).toBe("The agent is offline: it gets the update to 0.3.0 when it connects.");
  });

  it("says which version runs after a refusal, a failure or a rollback", () => {
    expect(updateProgress(attempt("refused"), true)).toBe("The agent refused 0.3.0 and runs 0.2.0 on.");
    expect(updateProgress(attempt("failed"), true)).toBe("Updating to 0.3.0 failed; the agent runs 0.2.0 on.");
    expect(updateProgress(attempt("rolled_back"), false)).toBe("0.3.0 was rolled back; the agent runs 0.2.0 again.");
  });
});

describe("isUpdateUnderWay", () => {
  it("is true until the attempt ends", () => {
    const states: UpdateState[] = ["offered", "downloading", "staged", "installed", "refused", "failed", "rolled_back"];
    expect(states.filter(isUpdateUnderWay)).toEqual(["offered", "downloading", "staged"]);
  });
});

describe("targetLabel", () => {
  it("names the platform as people do", () => {
    expect(targetLabel("linux", "x86_64")).toBe("Linux x86_64");
    expect(targetLabel("macos", "aarch64")).toBe("macOS aarch64");
    expect(targetLabel("freebsd", "x86_64")).toBe("freebsd x86_64");
  });
});

describe("requestedBy", () => {
  it("names the user, or the rollout that started the attempt", () => {
    expect(requestedBy({ requested_by_email: "admin@example.com" })).toBe("admin@example.com");
    expect(requestedBy({ requested_by_email: null })).toBe("a rollout");
  });
});
