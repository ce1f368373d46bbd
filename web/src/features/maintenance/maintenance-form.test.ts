import { maintenanceWindow } from "@/test/fixtures";
import {
  activeUntil,
  activeWindowsOn,
  buildMaintenanceRequest,
  maintenanceProblemFromServer,
  newMaintenanceForm,
  toLocalInput,
} from "./maintenance-form";

const NOW = new Date(2026, 5, 1, 10, 30, 15);
const SITE = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4f01";

describe("buildMaintenanceRequest", () => {
  it("sends local times as UTC instants", () => {
    const values = { ...newMaintenanceForm(NOW, "site", SITE), reason: " Switch swap " };
    expect(values.startsAt).toBe("2026-06-01T10:30");
    expect(values.endsAt).toBe("2026-06-01T12:30");
    expect(buildMaintenanceRequest(values, NOW)).toEqual({
      ok: true,
      body: {
        scope: "site",
        target_id: SITE,
        starts_at: new Date(2026, 5, 1, 10, 30).toISOString(),
        ends_at: new Date(2026, 5, 1, 12, 30).toISOString(),
        weekly: false,
        reason: "Switch swap",
      },
    });
  });

  it("needs a target and an end after the start", () => {
    const values = { ...newMaintenanceForm(NOW, "agent"), endsAt: "2026-06-01T09:00" };
    expect(buildMaintenanceRequest(values, NOW)).toEqual({
      ok: false,
      problems: { target: "Pick the agent.", ends_at: "Must be after the start." },
    });
  });

  it("limits one-off windows to 90 days and weekly ones to 7", () => {
    const long = { ...newMaintenanceForm(NOW, "client", SITE), endsAt: toLocalInput(new Date(2026, 5, 9, 10, 30)) };
    expect(buildMaintenanceRequest(long, NOW).ok).toBe(true);
    expect(buildMaintenanceRequest({ ...long, weekly: true }, NOW)).toEqual({
      ok: false,
      problems: { ends_at: "A weekly window lasts at most 7 days." },
    });
  });

  it("refuses a one-off window already over but lets a weekly one start in the past", () => {
    const past = { ...newMaintenanceForm(new Date(2026, 4, 1), "site", SITE) };
    expect(buildMaintenanceRequest(past, NOW)).toEqual({ ok: false, problems: { ends_at: "The window is already over." } });
    expect(buildMaintenanceRequest({ ...past, weekly: true }, NOW).ok).toBe(true);
  });

  it("limits the reason", () => {
    const values = { ...newMaintenanceForm(NOW, "site", SITE), reason: "x".repeat(501) };
    expect(buildMaintenanceRequest(values, NOW)).toEqual({ ok: false, problems: { reason: "At most 500 characters." } });
  });
});

describe("maintenanceProblemFromServer", () => {
  it("places a 422 on its field", () => {
    expect(maintenanceProblemFromServer("ends_at: the window is already over")).toEqual({
      field: "ends_at",
      message: "the window is already over",
    });
    expect(maintenanceProblemFromServer("target_id: no such site")).toEqual({ field: "target", message: "no such site" });
    expect(maintenanceProblemFromServer("no field here")).toBeNull();
  });
});

describe("activeUntil", () => {
  it("is the end of a one-off window and of a weekly window's current occurrence", () => {
    const once = { starts_at: "2026-01-01T00:00:00Z", ends_at: "2026-01-01T02:00:00Z", weekly: false };
    expect(activeUntil(once, Date.parse("2026-01-01T01:00:00Z")).toISOString()).toBe("2026-01-01T02:00:00.000Z");
    const weekly = { ...once, weekly: true };
    expect(activeUntil(weekly, Date.parse("2026-01-15T01:00:00Z")).toISOString()).toBe("2026-01-15T02:00:00.000Z");
  });
});

describe("activeWindowsOn", () => {
  it("keeps the active windows of the target", () => {
    const active = maintenanceWindow();
    const other = maintenanceWindow({ id: "x", target_id: "y" });
    const over = maintenanceWindow({ id: "z", active: false });
    expect(activeWindowsOn([active, other, over], "site", SITE)).toEqual([active]);
    expect(activeWindowsOn([active], "client", SITE)).toEqual([]);
  });
});
