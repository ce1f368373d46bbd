import type { User } from "@/api/types";
import { customRole, roleList } from "@/test/fixtures";
import { testUser } from "@/test/render-page";
import type { OrgUser } from "./api/users";
import { readLinkToken } from "./link-token";
import { fieldProblemFromServer, newPasswordProblems } from "./password-form";
import {
  choiceValue,
  defaultChoice,
  grantableRoles,
  mayActOn,
  missingPermissions,
  roleName,
  roleNoun,
  roleRequest,
  whyNotManage,
} from "@/lib/roles";
import { shortenUserAgent } from "./user-agent";

function orgUser(role: User["role"]): OrgUser {
  // Asserted rather than checked, so a field the server adds later (and the rules ignore) needs no edit here.
  return { id: "x", email: "x@example.com", role, permissions: [], created_at: "2026-01-01T00:00:00Z", second_factor: false } as OrgUser;
}

describe("roles", () => {
  const helpdesk = customRole();
  const scriptEditors = customRole({ id: "r2", name: "Script editors", permissions: ["view_agents", "edit_scripts"], description: "" });
  const roles = roleList([helpdesk, scriptEditors]);
  const values = (actor: User) => grantableRoles(actor, roles).map((choice) => choice.value);

  it("offers the owner role to owners only", () => {
    expect(values(testUser("owner"))).toEqual(["owner", "admin", "technician", "readonly", `custom:${helpdesk.id}`, "custom:r2"]);
    expect(values(testUser("admin"))).toEqual(["admin", "technician", "readonly", `custom:${helpdesk.id}`, "custom:r2"]);
  });

  it("offers only roles whose permissions the actor holds all of", () => {
    // A technician with manage_users gives neither admin (edit_scripts, …) nor Script editors.
    const lead = { ...testUser("technician"), permissions: [...testUser("technician").permissions, "manage_users" as const] };
    expect(values(lead)).toEqual(["technician", "readonly", `custom:${helpdesk.id}`]);
    const narrow = { ...testUser("custom"), permissions: ["view_agents", "manage_users"] as User["permissions"] };
    expect(values(narrow)).toEqual(["readonly"]);
    expect(grantableRoles(undefined, roles)).toEqual([]);
    expect(grantableRoles(testUser("owner"), undefined)).toEqual([]);
  });

  it("sends a custom role by id, a built-in one by name", () => {
    const [admin] = grantableRoles(testUser("admin"), roles);
    expect(roleRequest(admin!)).toEqual({ role: "admin" });
    const custom = grantableRoles(testUser("admin"), roles).find((choice) => choice.customRoleId === "r2")!;
    expect(roleRequest(custom)).toEqual({ role: "custom", custom_role_id: "r2" });
    expect(custom.label).toBe("Script editors");
    expect(custom.summary).toBe("view_agents, edit_scripts");
  });

  it("starts the invite menu on technician, else the narrowest built-in role", () => {
    expect(defaultChoice(grantableRoles(testUser("admin"), roles))?.value).toBe("technician");
    const narrow = { ...testUser("custom"), permissions: ["view_agents", "run_scripts", "manage_users"] as User["permissions"] };
    expect(defaultChoice(grantableRoles(narrow, roles))?.value).toBe("readonly");
    expect(defaultChoice([])).toBeUndefined();
  });

  it("names a custom role by its own name", () => {
    const holder = { role: "custom" as const, custom_role: { id: helpdesk.id, name: "Helpdesk" } };
    expect(roleName(holder)).toBe("Helpdesk");
    expect(roleNoun(holder)).toBe("the role Helpdesk");
    expect(choiceValue(holder)).toBe(`custom:${helpdesk.id}`);
    expect(roleName({ role: "readonly", custom_role: null })).toBe("Read-only");
    expect(choiceValue({ role: "technician" })).toBe("technician");
  });

  it("lets only an owner act on an owner", () => {
    expect(mayActOn(testUser("admin"), orgUser("owner"))).toBe(false);
    expect(mayActOn(testUser("owner"), orgUser("owner"))).toBe(true);
    expect(mayActOn(testUser("admin"), orgUser("technician"))).toBe(true);
    expect(mayActOn(undefined, orgUser("technician"))).toBe(false);
    expect(whyNotManage(testUser("admin"), orgUser("owner"))).toBe("Only an owner manages an owner");
  });

  it("refuses managing someone holding a permission the actor lacks", () => {
    const lead = { ...testUser("technician"), permissions: [...testUser("technician").permissions, "manage_users" as const] };
    const admin = { ...orgUser("admin"), permissions: testUser("admin").permissions };
    expect(mayActOn(lead, admin)).toBe(false);
    expect(whyNotManage(lead, admin)).toContain("edit_scripts");
    const tech = { ...orgUser("technician"), permissions: testUser("technician").permissions };
    expect(mayActOn(lead, tech)).toBe(true);
    expect(mayActOn(lead, { ...orgUser("custom"), permissions: ["view_agents", "view_secrets"] })).toBe(false);
    expect(missingPermissions(lead, ["view_agents", "view_secrets", "view_audit"])).toEqual(["view_secrets", "view_audit"]);
  });
});

describe("newPasswordProblems", () => {
  it("wants 12 characters, counted like the server", () => {
    expect(newPasswordProblems("short", "short")).toEqual({ password: "Use at least 12 characters." });
    // Eleven characters, though more than twelve UTF-16 units.
    expect(newPasswordProblems("🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒", "🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒").password).toBeDefined();
    expect(newPasswordProblems("twelve chars", "twelve chars")).toEqual({});
  });

  it("wants the confirmation to match", () => {
    expect(newPasswordProblems("a long enough password", "a long enough passw0rd")).toEqual({ confirm: "The two passwords differ." });
  });
});

describe("fieldProblemFromServer", () => {
  it("places a message naming a known field on it", () => {
    expect(fieldProblemFromServer("email: bob@example.com is already a user of your organization", { email: "email" })).toEqual({
      field: "email",
      message: "Bob@example.com is already a user of your organization",
    });
    expect(fieldProblemFromServer("current_password: this is not your current password", { current_password: "current" })).toEqual({
      field: "current",
      message: "This is not your current password",
    });
  });

  it("leaves other messages alone", () => {
    expect(fieldProblemFromServer("only an owner may grant, change or remove the owner role", { email: "email" })).toBeNull();
    expect(fieldProblemFromServer("role: unknown", { email: "email" })).toBeNull();
  });
});

describe("readLinkToken", () => {
  it("reads the token from the fragment", () => {
    expect(readLinkToken("#token=gri_abc123")).toBe("gri_abc123");
    expect(readLinkToken("token=gri_abc123&x=1")).toBe("gri_abc123");
    expect(readLinkToken("")).toBeNull();
    expect(readLinkToken("#token=")).toBeNull();
    expect(readLinkToken("#other=1")).toBeNull();
  });
});

describe("shortenUserAgent", () => {
  it.each([
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome on Linux"],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0",
      "Edge on Windows",
    ],
    ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
      "Safari on macOS",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      "Safari on iOS",
    ],
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
      "Chrome on Android",
    ],
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36", "Chrome on Linux"],
    ["curl/8.5.0", "curl"],
    ["node", "node"],
    [null, "Unknown client"],
  ])("%s is %s", (userAgent, short) => {
    expect(shortenUserAgent(userAgent)).toBe(short);
  });
});
