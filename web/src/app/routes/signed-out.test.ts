import { testUser } from "@/test/render-page";
import { parseSignInSearch, signInSearch } from "./signed-out";

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

describe("parseSignInSearch", () => {
  const provider = "0b9c8f4e-5a55-4c3e-9d0e-8b7a6c5d4e3f";

  it("keeps a provider's link and a refusal of single sign-on", () => {
    expect(parseSignInSearch({ sso: provider.toUpperCase(), redirect: "/agents" })).toEqual({ sso: provider, redirect: "/agents" });
    expect(parseSignInSearch({ sso_error: " this sign-in expired; start again " })).toEqual({
      sso_error: "this sign-in expired; start again",
    });
  });

  it("drops what is not a provider id, an empty refusal and anything unknown", () => {
    expect(parseSignInSearch({ sso: "acme", sso_error: "  ", other: "x", redirect: "https://evil.example" })).toEqual({});
  });

  it("cuts a refusal longer than any the server words to 300 characters", () => {
    expect(parseSignInSearch({ sso_error: "x".repeat(5_000) }).sso_error).toHaveLength(300);
  });
});
