import { testUser } from "@/test/render-page";
import { signInSearch } from "./signed-out";

describe("signInSearch", () => {
  it("comes back to the page after signing in again", () => {
    expect(signInSearch(testUser("technician"), "/agents?page=2")).toEqual({ redirect: "/agents?page=2" });
    expect(signInSearch(undefined, "/agents")).toEqual({ redirect: "/agents" });
  });

  it("says an operator's support session ended, without the other organization's page to come back to", () => {
    const supporting = {
      ...testUser("owner"),
      support: { home_organization_name: "Best MSP", reason: "ticket 4521", expires_at: "2026-01-01T00:00:00Z" },
    };
    expect(signInSearch(supporting, "/agents/a1")).toEqual({ ended: "support" });
  });
});
