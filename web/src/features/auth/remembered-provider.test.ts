import { forgetProvider, readRememberedProvider, rememberProvider } from "./remembered-provider";

const ACME = { id: "0b9c8f4e-5a55-4c3e-9d0e-8b7a6c5d4e3f", name: "Acme Entra" };
const OTHER = { id: "11111111-2222-4333-8444-555555555555", name: "Google" };

describe("the remembered identity provider", () => {
  afterEach(() => localStorage.clear());

  it("is nothing until a sign-in through a provider started", () => {
    expect(readRememberedProvider()).toBeNull();
  });

  it("remembers the last provider used", () => {
    rememberProvider(ACME);
    rememberProvider(OTHER);
    expect(readRememberedProvider()).toEqual(OTHER);
  });

  it("forgets a provider found gone, but not another remembered since", () => {
    rememberProvider(ACME);
    forgetProvider(OTHER.id);
    expect(readRememberedProvider()).toEqual(ACME);
    forgetProvider(ACME.id);
    expect(readRememberedProvider()).toBeNull();
  });

  it("ignores what is not a provider", () => {
    for (const kept of [
      "not json",
      "null",
      '"text"',
      '{"id":"nope","name":"Acme"}',
      `{"id":"${ACME.id}","name":""}`,
      `{"id":"${ACME.id}"}`,
    ]) {
      localStorage.setItem("gururmm.sso-provider", kept);
      expect(readRememberedProvider(), kept).toBeNull();
    }
    localStorage.setItem("gururmm.sso-provider", JSON.stringify({ id: ACME.id, name: "x".repeat(101) }));
    expect(readRememberedProvider()).toBeNull();
  });
});
