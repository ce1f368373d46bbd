import { apiKeyFieldProblem, apiKeyRequestFrom, apiKeyState, localDay, type ApiKeyFormValues } from "./api-key-form";

const NOW = new Date(2026, 2, 10, 15, 30);
const DAY = 86_400_000;

function values(overrides: Partial<ApiKeyFormValues> = {}): ApiKeyFormValues {
  return { name: "Backups", permissions: ["view_agents"], expiry: "never", expiryDate: "", ...overrides };
}

describe("apiKeyRequestFrom", () => {
  it("sends the trimmed name, the permissions and no expiry for a key that works until revoked", () => {
    expect(apiKeyRequestFrom(values({ name: "  Backups  " }), NOW)).toEqual({
      ok: true,
      body: { name: "Backups", permissions: ["view_agents"], expires_at: null },
    });
  });

  it("turns a preset into a moment that many days away", () => {
    const result = apiKeyRequestFrom(values({ expiry: "90" }), NOW);
    expect(result.ok && result.body.expires_at).toBe(new Date(NOW.getTime() + 90 * DAY).toISOString());
  });

  it("ends a chosen day's key as that day begins, in the browser's time zone", () => {
    const result = apiKeyRequestFrom(values({ expiry: "date", expiryDate: "2026-04-01" }), NOW);
    expect(result.ok && result.body.expires_at).toBe(new Date(2026, 3, 1).toISOString());
  });

  it("asks for a name, a permission and a day in the allowed range", () => {
    expect(apiKeyRequestFrom(values({ name: " ", permissions: [], expiry: "date", expiryDate: "" }), NOW)).toEqual({
      ok: false,
      problems: {
        name: "Give the key a name, such as what will use it.",
        permissions: "Choose at least one permission.",
        expires_at: "Choose the day the key stops working.",
      },
    });
    expect(apiKeyRequestFrom(values({ name: "x".repeat(101) }), NOW)).toMatchObject({
      ok: false,
      problems: { name: "Use at most 100 characters." },
    });
    expect(apiKeyRequestFrom(values({ expiry: "date", expiryDate: localDay(NOW) }), NOW)).toMatchObject({
      ok: false,
      problems: { expires_at: "Choose a day after today." },
    });
    expect(apiKeyRequestFrom(values({ expiry: "date", expiryDate: "2028-03-20" }), NOW)).toMatchObject({
      ok: false,
      problems: { expires_at: "Choose a day at most 730 days away." },
    });
  });
});

describe("apiKeyFieldProblem", () => {
  it("places the server's refusal on the field it names", () => {
    expect(apiKeyFieldProblem("permissions: manage_users is not yours to give; a key may hold only permissions you hold")).toEqual({
      field: "permissions",
      message: "Manage_users is not yours to give; a key may hold only permissions you hold",
    });
    expect(apiKeyFieldProblem("you have 50 keys already; revoke one you no longer use")).toBeNull();
  });
});

describe("apiKeyState", () => {
  it("tells active, expired and revoked keys apart", () => {
    const now = NOW.getTime();
    expect(apiKeyState({ revoked_at: null, expires_at: null }, now)).toBe("active");
    expect(apiKeyState({ expires_at: new Date(now + DAY).toISOString() }, now)).toBe("active");
    expect(apiKeyState({ expires_at: new Date(now - 1).toISOString() }, now)).toBe("expired");
    expect(apiKeyState({ revoked_at: new Date(now - DAY).toISOString(), expires_at: new Date(now - 1).toISOString() }, now)).toBe(
      "revoked",
    );
  });
});
