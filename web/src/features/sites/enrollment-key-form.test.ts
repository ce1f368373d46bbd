import {
  buildNewEnrollmentKeyRequest,
  describeNewKey,
  EMPTY_ENROLLMENT_KEY_FORM,
  enrollmentKeyUsesText,
  type EnrollmentKeyFormValues,
} from "./enrollment-key-form";

function check(changes: Partial<EnrollmentKeyFormValues>, expected: ReturnType<typeof buildNewEnrollmentKeyRequest>) {
  expect(buildNewEnrollmentKeyRequest({ ...EMPTY_ENROLLMENT_KEY_FORM, ...changes })).toEqual(expected);
}

describe("buildNewEnrollmentKeyRequest", () => {
  it("sends nothing for the defaults: the server then makes a reusable key that never expires", () => {
    check({}, { ok: true, request: {} });
    check({ label: "   " }, { ok: true, request: {} });
  });

  it("trims the label and maps the choices to hours and uses", () => {
    check(
      { label: "  Laptop rollout ", expiry: "24", uses: "one-time" },
      { ok: true, request: { label: "Laptop rollout", expires_in_hours: 24, max_uses: 1 } },
    );
    check({ expiry: "168" }, { ok: true, request: { expires_in_hours: 168 } });
    check({ expiry: "720", uses: "unlimited" }, { ok: true, request: { expires_in_hours: 720 } });
    check(
      { expiry: "custom", customHours: " 48 ", uses: "custom", customUses: "25" },
      { ok: true, request: { expires_in_hours: 48, max_uses: 25 } },
    );
  });

  it("accepts the server's limits and nothing beyond them", () => {
    check({ expiry: "custom", customHours: "1" }, { ok: true, request: { expires_in_hours: 1 } });
    check({ expiry: "custom", customHours: "8784" }, { ok: true, request: { expires_in_hours: 8784 } });
    check({ uses: "custom", customUses: "100000" }, { ok: true, request: { max_uses: 100_000 } });
    const hoursError = "Enter a whole number of hours from 1 to 8,784 (366 days).";
    for (const customHours of ["0", "8785", "1.5", "-3", "abc", "1e3"]) {
      check({ expiry: "custom", customHours }, { ok: false, errors: { customHours: hoursError } });
    }
    const usesError = "Enter a whole number of agents from 1 to 100,000.";
    for (const customUses of ["0", "100001", "2.5", "ten"]) {
      check({ uses: "custom", customUses }, { ok: false, errors: { customUses: usesError } });
    }
  });

  it("asks for the custom numbers when they are left empty, and reports every mistake at once", () => {
    check(
      { label: "x".repeat(201), expiry: "custom", customHours: "", uses: "custom", customUses: " " },
      {
        ok: false,
        errors: {
          label: "A label has at most 200 characters.",
          customHours: "Enter after how many hours the key expires.",
          customUses: "Enter how many agents the key may enroll.",
        },
      },
    );
  });

  it("ignores a custom number once another choice is picked", () => {
    check({ expiry: "never", customHours: "nonsense", uses: "one-time", customUses: "0" }, { ok: true, request: { max_uses: 1 } });
  });

  it("counts characters, not UTF-16 units, and refuses hidden characters as the server does", () => {
    check({ label: "👍".repeat(200) }, { ok: true, request: { label: "👍".repeat(200) } });
    for (const label of ["invoice\u202Efdp.exe", "zero\u200Bwidth", "tab\there"]) {
      check({ label }, { ok: false, errors: { label: "A label cannot contain control or invisible characters." } });
    }
    check({ label: "Zürich – HQ 東京" }, { ok: true, request: { label: "Zürich – HQ 東京" } });
  });
});

describe("describeNewKey", () => {
  it("says what the key will allow", () => {
    expect(describeNewKey({})).toBe("Enrolls any number of agents and never expires.");
    expect(describeNewKey({ max_uses: 1, expires_in_hours: 1 })).toBe("Enrolls a single agent and expires 1 hour after it is created.");
    expect(describeNewKey({ max_uses: 2500, expires_in_hours: 168 })).toBe(
      "Enrolls up to 2,500 agents and expires 7 days after it is created.",
    );
    expect(describeNewKey({ expires_in_hours: 36 })).toBe("Enrolls any number of agents and expires 36 hours after it is created.");
  });
});

describe("enrollmentKeyUsesText", () => {
  it("reads like a technician would say it", () => {
    expect(enrollmentKeyUsesText({ uses: 3, max_uses: 10 })).toBe("3 of 10");
    expect(enrollmentKeyUsesText({ uses: 0, max_uses: 1 })).toBe("0 of 1 (one-time)");
    expect(enrollmentKeyUsesText({ uses: 1, max_uses: 1 })).toBe("1 of 1 (one-time)");
    expect(enrollmentKeyUsesText({ uses: 5, max_uses: null })).toBe("5, no limit");
    expect(enrollmentKeyUsesText({ uses: 5 })).toBe("5, no limit");
    expect(enrollmentKeyUsesText({ uses: 1234, max_uses: 100_000 })).toBe("1,234 of 100,000");
  });
});
