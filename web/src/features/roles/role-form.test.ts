import { ApiError } from "@/api/errors";
import type { Permission } from "@/api/types";
import { ALL_PERMISSIONS, missingPermissions, PERMISSION_GROUPS, roleFieldProblem, roleRequestFrom } from "./role-form";

const EVERYTHING = ALL_PERMISSIONS;

describe("PERMISSION_GROUPS", () => {
  it("holds every permission exactly once", () => {
    const grouped = PERMISSION_GROUPS.flatMap((group) => group.permissions);
    expect([...grouped].sort()).toEqual([...ALL_PERMISSIONS].sort());
  });
});

describe("roleRequestFrom", () => {
  it("trims and sends the permissions in the server's order", () => {
    expect(
      roleRequestFrom({ name: "  Helpdesk ", description: " First line ", permissions: ["run_scripts", "view_agents"] }, EVERYTHING),
    ).toEqual({
      ok: true,
      body: { name: "Helpdesk", description: "First line", permissions: ["view_agents", "run_scripts"] },
    });
  });

  it("wants a name of 1 to 60 characters that is not a built-in role's", () => {
    const problem = (name: string) => {
      const result = roleRequestFrom({ name, description: "", permissions: [] }, EVERYTHING);
      return result.ok ? null : result.problems.name;
    };
    expect(problem("   ")).toBe("Give the role a name, such as what its holders do.");
    expect(problem("x".repeat(61))).toBe("Use at most 60 characters.");
    expect(problem("🔒".repeat(60))).toBeNull();
    expect(problem("Admin")).toBe("Admin is a built-in role's name; choose another.");
    expect(problem("readonly")).toBe("readonly is a built-in role's name; choose another.");
    expect(problem("Administrators")).toBeNull();
  });

  it("wants a description of at most 500 characters", () => {
    const result = roleRequestFrom({ name: "Helpdesk", description: "x".repeat(501), permissions: [] }, EVERYTHING);
    expect(result).toEqual({ ok: false, problems: { description: "Use at most 500 characters." } });
  });

  it("refuses permissions the user does not hold", () => {
    const held: Permission[] = ["view_agents", "manage_users"];
    expect(roleRequestFrom({ name: "Helpdesk", description: "", permissions: ["view_agents", "view_secrets"] }, held)).toEqual({
      ok: false,
      problems: { permissions: "You do not hold view_secrets, so you cannot give it." },
    });
    expect(missingPermissions(held, ["view_audit", "view_agents", "run_commands"])).toEqual(["run_commands", "view_audit"]);
  });
});

describe("roleFieldProblem", () => {
  it("places the server's field refusals and a taken name on their field", () => {
    expect(roleFieldProblem(new ApiError(422, "invalid", "description: at most 500 characters"))).toEqual({
      field: "description",
      message: "At most 500 characters",
    });
    expect(roleFieldProblem(new ApiError(409, "conflict", "name: Admin is a built-in role's name"))).toEqual({
      field: "name",
      message: "Admin is a built-in role's name",
    });
    expect(roleFieldProblem(new ApiError(409, "conflict", "another role is named so"))).toEqual({
      field: "name",
      message: "Another role is named so",
    });
  });

  it("leaves the rest to the form's failure line", () => {
    expect(roleFieldProblem(new ApiError(409, "conflict", "an organization keeps at most 100 custom roles; delete one first"))).toBeNull();
    expect(
      roleFieldProblem(
        new ApiError(403, "forbidden", "the role holds permissions you do not have (view_secrets); ask someone who holds them"),
      ),
    ).toBeNull();
    expect(roleFieldProblem(new ApiError(500, "internal", "name: oops"))).toBeNull();
    expect(roleFieldProblem(new Error("name: boom"))).toBeNull();
  });
});
