import { grantableRoles } from "@/lib/roles";
import { customRole, roleList, ssoProvider } from "@/test/fixtures";
import { testUser } from "@/test/render-page";
import {
  accessSummary,
  moveRule,
  newRule,
  NOBODY,
  parseEmailDomains,
  providerFormFrom,
  providerRequestFromView,
  ssoFieldProblem,
  ssoProviderRequestFrom,
  type SsoProviderFormValues,
} from "./sso-form";

const helpdesk = customRole();
const roles = roleList([helpdesk]);
const choices = grantableRoles(testUser("owner"), roles);
const NAMES = new Map([
  ["c1", "Acme"],
  ["c2", "Globex"],
  ["c3", "Initech"],
]);

function filled(overrides: Partial<SsoProviderFormValues> = {}): SsoProviderFormValues {
  return {
    ...providerFormFrom(undefined, NAMES, "technician"),
    name: " Acme Entra ",
    issuer: "https://login.microsoftonline.com/tenant/v2.0",
    clientId: "rmm-app",
    clientSecret: "s3cret",
    domains: "acme.test",
    ...overrides,
  };
}

describe("parseEmailDomains", () => {
  it("reads domains separated by commas, semicolons or spaces, lowercase, without @, each once", () => {
    expect(parseEmailDomains(" Acme.test, @globex.example;acme.TEST\n initech.example ")).toEqual([
      "acme.test",
      "globex.example",
      "initech.example",
    ]);
    expect(parseEmailDomains(" , ")).toEqual([]);
  });
});

describe("ssoProviderRequestFrom", () => {
  it("makes the request of a new provider that creates technicians", () => {
    expect(ssoProviderRequestFrom(filled(), choices, false)).toEqual({
      ok: true,
      body: {
        name: "Acme Entra",
        issuer: "https://login.microsoftonline.com/tenant/v2.0",
        client_id: "rmm-app",
        client_secret: "s3cret",
        email_domains: ["acme.test"],
        provision: true,
        default_access: { role: "technician" },
        groups_claim: "groups",
        group_rules: [],
        enabled: true,
      },
    });
  });

  it("sends group rules in order, with custom roles and clients, and nobody by default", () => {
    const admins = { ...newRule("admin"), group: " rmm-admins " };
    const desk = {
      ...newRule(`custom:${helpdesk.id}`),
      group: "helpdesk",
      access: { choice: `custom:${helpdesk.id}`, scope: { mode: "clients" as const, clients: [{ id: "c2", name: "Globex" }] } },
    };
    const result = ssoProviderRequestFrom(
      filled({ defaultAccess: { choice: NOBODY, scope: { mode: "organization", clients: [] } }, rules: [admins, desk], groupsClaim: " " }),
      choices,
      false,
    );
    expect(result.ok && result.body).toMatchObject({
      default_access: null,
      groups_claim: null,
      group_rules: [
        { group: "rmm-admins", role: "admin" },
        { group: "helpdesk", role: "custom", custom_role_id: helpdesk.id, client_ids: ["c2"] },
      ],
    });
  });

  it("keeps the stored secret when a change leaves it empty, and requires one of a new provider", () => {
    const change = ssoProviderRequestFrom(filled({ clientSecret: "  " }), choices, true);
    expect(change.ok && "client_secret" in change.body).toBe(false);
    expect(ssoProviderRequestFrom(filled({ clientSecret: "" }), choices, false)).toEqual({
      ok: false,
      problems: { client_secret: "Give the client secret the provider issued." },
    });
  });

  it("checks every field as the server does", () => {
    const result = ssoProviderRequestFrom(
      filled({
        name: "x".repeat(101),
        issuer: "https://idp.example/?tenant=1",
        clientId: "",
        clientSecret: "y".repeat(2_001),
        domains: "acme.test, not_a domain",
        groupsClaim: "groups; drop",
        rules: [
          { ...newRule("admin"), group: "" },
          { ...newRule("owner"), group: "owners" },
        ],
      }),
      choices,
      false,
    );
    expect(result).toEqual({
      ok: false,
      problems: {
        name: "Use at most 100 characters.",
        issuer: "Give the issuer URL alone, without a query or fragment.",
        client_id: "Give the client (application) ID the provider issued.",
        client_secret: "Use at most 2,000 characters.",
        email_domains: "“not_a” is not a domain name such as example.com.",
        groups_claim: "A claim name is letters, digits and _ - : / . only.",
        "group_rules[0].group": "Give the group's name or id as the provider sends it.",
        "group_rules[1].access": "Choose a role you may give.",
      },
    });
  });

  it("refuses an issuer that is not a URL, no domain, too many domains, and too many rules", () => {
    const many = Array.from({ length: 21 }, (_, i) => `d${i}.example`).join(" ");
    const rules = Array.from({ length: 51 }, () => ({ ...newRule("readonly"), group: "g" }));
    const result = ssoProviderRequestFrom(filled({ issuer: "login.example", domains: many, rules }), choices, false);
    expect(result.ok ? null : result.problems).toMatchObject({
      issuer: "Give the issuer as a URL, such as https://login.microsoftonline.com/<tenant id>/v2.0.",
      email_domains: "Give at most 20 domains.",
      group_rules: "Use at most 50 group rules.",
    });
    expect(ssoProviderRequestFrom(filled({ domains: " " }), choices, false)).toMatchObject({
      ok: false,
      problems: { email_domains: "Give the email domain (or domains) whose users sign in through this provider." },
    });
  });

  it("needs a default access or a group rule of a provider that creates users, and clients when limited", () => {
    const nobody = { choice: NOBODY, scope: { mode: "organization" as const, clients: [] } };
    expect(ssoProviderRequestFrom(filled({ defaultAccess: nobody }), choices, false)).toEqual({
      ok: false,
      problems: { default_access: "A provider that creates users needs a default access or at least one group rule." },
    });
    expect(ssoProviderRequestFrom(filled({ defaultAccess: nobody, provision: false }), choices, false).ok).toBe(true);
    const limitedToNothing = { choice: "technician", scope: { mode: "clients" as const, clients: [] } };
    expect(ssoProviderRequestFrom(filled({ defaultAccess: limitedToNothing }), choices, false)).toEqual({
      ok: false,
      problems: { default_access: "Choose at least one client, or give access to the whole organization." },
    });
  });

  it("never offers a role the signed-in user may not give", () => {
    const technicianChoices = grantableRoles(testUser("technician"), roles);
    expect(
      ssoProviderRequestFrom(
        filled({ defaultAccess: { choice: "admin", scope: { mode: "organization", clients: [] } } }),
        technicianChoices,
        false,
      ),
    ).toEqual({
      ok: false,
      problems: { default_access: "Choose a role you may give." },
    });
  });
});

describe("providerFormFrom", () => {
  it("starts a change from the provider's settings, without its secret, naming the clients", () => {
    const provider = ssoProvider({
      email_domains: ["acme.test", "acme.example"],
      default_access: null,
      provision: false,
      group_rules: [{ group: "rmm-techs", role: "technician", client_ids: ["c1", "gone"] }],
    });
    const values = providerFormFrom(provider, NAMES, "readonly");
    expect(values).toMatchObject({
      name: "Acme Entra",
      clientSecret: "",
      domains: "acme.test, acme.example",
      provision: false,
      defaultAccess: { choice: NOBODY },
      groupsClaim: "groups",
      enabled: true,
    });
    expect(values.rules.map((rule) => [rule.group, rule.access])).toEqual([
      [
        "rmm-techs",
        {
          choice: "technician",
          scope: {
            mode: "clients",
            clients: [
              { id: "c1", name: "Acme" },
              { id: "gone", name: "Unknown client" },
            ],
          },
        },
      ],
    ]);
    // Sent back unchanged, it asks for what the provider has.
    const request = ssoProviderRequestFrom(values, choices, true);
    expect(request.ok && request.body.group_rules).toEqual([{ group: "rmm-techs", role: "technician", client_ids: ["c1", "gone"] }]);
  });
});

describe("ssoFieldProblem", () => {
  it("places the server's refusal on the field it names", () => {
    expect(ssoFieldProblem("issuer: give the provider's https:// issuer URL")).toEqual({
      field: "issuer",
      message: "Give the provider's https:// issuer URL",
    });
    expect(ssoFieldProblem("group_rules[3].group: give 1 to 200 characters, without control characters")).toEqual({
      field: "group_rules[3].group",
      message: "Give 1 to 200 characters, without control characters",
    });
    expect(ssoFieldProblem("group_rules[0].client_ids: c9 is not a client of your organization")?.field).toBe("group_rules[0].access");
    expect(ssoFieldProblem("group_rules[1]: single sign-on never grants the owner role; grant it in the users page")?.field).toBe(
      "group_rules[1].access",
    );
    expect(ssoFieldProblem("default_access.custom_role_id: name the custom role to grant")?.field).toBe("default_access");
    expect(ssoFieldProblem("group_rules: at most 50 rules")?.field).toBe("group_rules");
    expect(ssoFieldProblem("an organization trusts at most 10 identity providers; delete one first")).toBeNull();
  });
});

describe("moveRule", () => {
  it("moves a rule up or down, and leaves the ends alone", () => {
    expect(moveRule(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(moveRule(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(moveRule(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
    expect(moveRule(["a", "b", "c"], 2, 1)).toEqual(["a", "b", "c"]);
  });
});

describe("providerRequestFromView", () => {
  it("keeps everything but the change, and never sends a secret", () => {
    const provider = ssoProvider({ group_rules: [{ group: "rmm-admins", role: "admin" }] });
    const request = providerRequestFromView(provider, { enabled: false });
    expect(request).toEqual({
      name: provider.name,
      issuer: provider.issuer,
      client_id: provider.client_id,
      email_domains: ["acme.test"],
      provision: true,
      default_access: { role: "technician" },
      groups_claim: "groups",
      group_rules: [{ group: "rmm-admins", role: "admin" }],
      enabled: false,
    });
  });
});

describe("accessSummary", () => {
  it("names the role and the clients", () => {
    expect(accessSummary({ role: "technician" }, roles, NAMES)).toEqual({ label: "Technician · All clients", clients: null });
    expect(accessSummary({ role: "custom", custom_role_id: helpdesk.id, client_ids: ["c1"] }, roles, NAMES).label).toBe("Helpdesk · Acme");
    expect(accessSummary({ role: "readonly", client_ids: ["c1", "c2", "c3"] }, roles, NAMES)).toEqual({
      label: "Read-only · 3 clients",
      clients: ["Acme", "Globex", "Initech"],
    });
    expect(accessSummary(null, roles, NAMES).label).toBe("Nobody without a matching group");
  });
});
