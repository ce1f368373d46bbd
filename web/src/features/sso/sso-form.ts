//! The identity provider form: its state, the rules checked before sending (the server's, in
//! `services::sso`, checks them again), the request it makes, the server's 422 placed on the field it
//! names ("issuer: …", "group_rules[0].group: …"), and how a provider's access reads in the list.
import type { RoleList } from "@/api/types";
import { scopeDraft, scopeProblem, scopeRequest, scopeSummary, WHOLE_ORGANIZATION, type ScopeDraft } from "@/lib/client-scope";
import { ROLE_LABELS, type RoleChoice } from "@/lib/roles";
import type { SsoAccess, SsoProvider, SsoProviderRequest } from "./api/sso";

/** The server's limits (`services::sso`). */
export const MAX_NAME_CHARS = 100;
export const MAX_ISSUER_CHARS = 500;
export const MAX_CLIENT_ID_CHARS = 500;
export const MAX_CLIENT_SECRET_CHARS = 2_000;
export const MAX_DOMAINS = 20;
const MAX_DOMAIN_CHARS = 253;
export const MAX_RULES = 50;
export const MAX_GROUP_CHARS = 200;
const MAX_CLAIM_CHARS = 100;
export const DEFAULT_GROUPS_CLAIM = "groups";

/** The default access's menu value for "nobody without a matching group". */
export const NOBODY = "nobody";

/** An access as the form edits it: a role menu value (`technician`, `custom:<id>`, or `NOBODY`) and clients. */
export interface AccessDraft {
  choice: string;
  scope: ScopeDraft;
}

/** A group rule as the form edits it; `key` keeps a row's identity while rows move. */
export interface RuleDraft {
  key: string;
  group: string;
  access: AccessDraft;
}

export interface SsoProviderFormValues {
  name: string;
  issuer: string;
  clientId: string;
  /** Empty on a change keeps the stored secret. */
  clientSecret: string;
  /** The email domains as typed: separated by commas or spaces. */
  domains: string;
  provision: boolean;
  defaultAccess: AccessDraft;
  groupsClaim: string;
  rules: RuleDraft[];
  enabled: boolean;
}

export type RuleField = `group_rules[${number}].group` | `group_rules[${number}].access`;
export type SsoField =
  "name" | "issuer" | "client_id" | "client_secret" | "email_domains" | "default_access" | "groups_claim" | "group_rules" | RuleField;
export type SsoProblems = Partial<Record<SsoField, string>>;

export type SsoFormResult = { ok: true; body: SsoProviderRequest } | { ok: false; problems: SsoProblems };

let rulesMade = 0;

/** A new row of the group rules, giving `choice`. */
export function newRule(choice: string): RuleDraft {
  rulesMade += 1;
  return { key: `rule-${rulesMade}`, group: "", access: { choice, scope: WHOLE_ORGANIZATION } };
}

/** The role menu's value of an access: `custom:<id>` for a custom role, else the built-in role. */
export function accessChoice(access: Pick<SsoAccess, "role" | "custom_role_id">): string {
  return access.role === "custom" && access.custom_role_id ? `custom:${access.custom_role_id}` : access.role;
}

function accessDraft(access: SsoAccess | null | undefined, names: ReadonlyMap<string, string>): AccessDraft {
  if (!access) return { choice: NOBODY, scope: WHOLE_ORGANIZATION };
  return { choice: accessChoice(access), scope: scopeDraft(access.client_ids, names) };
}

/**
 * The form's start: the provider's settings (never its secret, which the server does not show), or a
 * new provider that creates users as `defaultChoice` (the least powerful role offered) by default.
 */
export function providerFormFrom(
  provider: SsoProvider | undefined,
  names: ReadonlyMap<string, string>,
  defaultChoice: string,
): SsoProviderFormValues {
  if (!provider) {
    return {
      name: "",
      issuer: "",
      clientId: "",
      clientSecret: "",
      domains: "",
      provision: true,
      defaultAccess: { choice: defaultChoice, scope: WHOLE_ORGANIZATION },
      groupsClaim: DEFAULT_GROUPS_CLAIM,
      rules: [],
      enabled: true,
    };
  }
  return {
    name: provider.name,
    issuer: provider.issuer,
    clientId: provider.client_id,
    clientSecret: "",
    domains: provider.email_domains.join(", "),
    provision: provider.provision,
    defaultAccess: accessDraft(provider.default_access, names),
    groupsClaim: provider.groups_claim,
    rules: provider.group_rules.map((rule) => ({ ...newRule(NOBODY), group: rule.group, access: accessDraft(rule, names) })),
    enabled: provider.enabled,
  };
}

/** The domains typed, separated by commas, semicolons or spaces: lowercase, without a leading "@", each once. */
export function parseEmailDomains(text: string): string[] {
  const domains = text
    .split(/[\s,;]+/)
    .map((domain) => domain.trim().replace(/^@+/, "").toLowerCase())
    .filter((domain) => domain !== "");
  return [...new Set(domains)];
}

/** A domain name such as example.com, as the server accepts it. */
export function isEmailDomain(domain: string): boolean {
  return (
    domain.length <= MAX_DOMAIN_CHARS &&
    domain.includes(".") &&
    domain.split(".").every((label) => label !== "" && /^[a-z0-9-]+$/i.test(label))
  );
}

// Control characters are what the server refuses in names and ids.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why a text field cannot be sent, or null; `what` names it in "Give …". */
function textProblem(value: string, max: number, what: string): string | null {
  const text = value.trim();
  if (text === "") return `Give ${what}.`;
  if (Array.from(text).length > max) return `Use at most ${max.toLocaleString("en")} characters.`;
  if (CONTROL.test(text)) return "Remove the control characters.";
  return null;
}

function issuerProblem(value: string): string | null {
  const problem = textProblem(value, MAX_ISSUER_CHARS, "the provider's issuer URL");
  if (problem) return problem;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return "Give the issuer as a URL, such as https://login.microsoftonline.com/<tenant id>/v2.0.";
  }
  // Plain http is for a lab server only, which the server decides (it says so when it refuses).
  if (url.protocol !== "https:" && url.protocol !== "http:") return "Give the provider's https:// issuer URL.";
  if (url.search !== "" || url.hash !== "" || value.includes("?") || value.includes("#")) {
    return "Give the issuer URL alone, without a query or fragment.";
  }
  return null;
}

function domainsProblem(domains: string[]): string | null {
  const wrong = domains.find((domain) => !isEmailDomain(domain));
  if (wrong !== undefined) return `“${wrong}” is not a domain name such as example.com.`;
  if (domains.length === 0) return "Give the email domain (or domains) whose users sign in through this provider.";
  if (domains.length > MAX_DOMAINS) return `Give at most ${MAX_DOMAINS} domains.`;
  return null;
}

function claimProblem(value: string): string | null {
  const claim = value.trim();
  if (claim === "") return null;
  if (claim.length > MAX_CLAIM_CHARS) return `Use at most ${MAX_CLAIM_CHARS} characters.`;
  if (!/^[A-Za-z0-9_\-:/.]+$/.test(claim)) return "A claim name is letters, digits and _ - : / . only.";
  return null;
}

type AccessResult = { ok: true; access: SsoAccess } | { ok: false; problem: string };

/** The access a draft gives, among the roles the signed-in user may give (never owner). */
export function accessRequest(draft: AccessDraft, choices: readonly RoleChoice[]): AccessResult {
  const choice = choices.find((candidate) => candidate.value === draft.choice);
  if (!choice || choice.role === "owner") return { ok: false, problem: "Choose a role you may give." };
  const problem = scopeProblem(draft.scope, choice.role);
  if (problem) return { ok: false, problem };
  const clientIds = scopeRequest(draft.scope, choice.role);
  return {
    ok: true,
    access: {
      role: choice.role,
      ...(choice.customRoleId ? { custom_role_id: choice.customRoleId } : {}),
      ...(clientIds ? { client_ids: clientIds } : {}),
    },
  };
}

/** The request to send, or what is wrong with the form. `editing`: an empty secret keeps the stored one. */
export function ssoProviderRequestFrom(values: SsoProviderFormValues, choices: readonly RoleChoice[], editing: boolean): SsoFormResult {
  const problems: SsoProblems = {};
  const found = (field: SsoField, problem: string | null) => {
    if (problem) problems[field] = problem;
  };
  found("name", textProblem(values.name, MAX_NAME_CHARS, "the name on the sign-in button, such as Microsoft"));
  found("issuer", issuerProblem(values.issuer));
  found("client_id", textProblem(values.clientId, MAX_CLIENT_ID_CHARS, "the client (application) ID the provider issued"));
  const secret = values.clientSecret.trim();
  if (!editing || secret !== "") {
    found("client_secret", textProblem(values.clientSecret, MAX_CLIENT_SECRET_CHARS, "the client secret the provider issued"));
  }
  const domains = parseEmailDomains(values.domains);
  found("email_domains", domainsProblem(domains));
  found("groups_claim", claimProblem(values.groupsClaim));

  let defaultAccess: SsoAccess | null = null;
  if (values.defaultAccess.choice !== NOBODY) {
    const result = accessRequest(values.defaultAccess, choices);
    if (result.ok) defaultAccess = result.access;
    else found("default_access", result.problem);
  }
  if (values.rules.length > MAX_RULES) found("group_rules", `Use at most ${MAX_RULES} group rules.`);
  const rules: NonNullable<SsoProviderRequest["group_rules"]> = [];
  values.rules.forEach((rule, index) => {
    found(`group_rules[${index}].group`, textProblem(rule.group, MAX_GROUP_CHARS, "the group's name or id as the provider sends it"));
    const result = accessRequest(rule.access, choices);
    if (result.ok) rules.push({ group: rule.group.trim(), ...result.access });
    else found(`group_rules[${index}].access`, result.problem);
  });
  if (values.provision && values.defaultAccess.choice === NOBODY && values.rules.length === 0 && !problems.default_access) {
    found("default_access", "A provider that creates users needs a default access or at least one group rule.");
  }

  if (Object.keys(problems).length > 0) return { ok: false, problems };
  const claim = values.groupsClaim.trim();
  return {
    ok: true,
    body: {
      name: values.name.trim(),
      issuer: values.issuer.trim(),
      client_id: values.clientId.trim(),
      ...(secret !== "" ? { client_secret: secret } : {}),
      email_domains: domains,
      provision: values.provision,
      default_access: defaultAccess,
      groups_claim: claim === "" ? null : claim,
      group_rules: rules,
      enabled: values.enabled,
    },
  };
}

const SERVER_FIELD =
  /^(name|issuer|client_id|client_secret|email_domains|default_access|groups_claim|group_rules)(?:\[(\d+)\])?(?:\.([a-z_]+))?: (.+)$/s;

/**
 * The field a 4xx refusal names at the start of its message ("group_rules[0].group: give 1 to 200
 * characters"), with the rest as a sentence; null when it names none of the form's fields. What a
 * rule's or the default's access is refused for (its role, custom role or clients) goes on its access.
 */
export function ssoFieldProblem(message: string): { field: SsoField; message: string } | null {
  const match = SERVER_FIELD.exec(message);
  if (!match) return null;
  const [, base, index, part, rest = ""] = match;
  const text = rest.charAt(0).toUpperCase() + rest.slice(1);
  if (base === "group_rules" && index !== undefined) {
    return { field: part === "group" ? `group_rules[${Number(index)}].group` : `group_rules[${Number(index)}].access`, message: text };
  }
  return { field: base as SsoField, message: text };
}

/** The rules with the one at `index` moved `offset` places (up is -1), or unchanged at an end. */
export function moveRule<T>(rules: readonly T[], index: number, offset: -1 | 1): T[] {
  const target = index + offset;
  if (index < 0 || index >= rules.length || target < 0 || target >= rules.length) return [...rules];
  const moved = [...rules];
  const [rule] = moved.splice(index, 1);
  moved.splice(target, 0, rule as T);
  return moved;
}

/** The request that keeps a provider as it is but for `changes` (its stored secret stays). */
export function providerRequestFromView(provider: SsoProvider, changes: Partial<SsoProviderRequest> = {}): SsoProviderRequest {
  return {
    name: provider.name,
    issuer: provider.issuer,
    client_id: provider.client_id,
    email_domains: provider.email_domains,
    provision: provider.provision,
    default_access: provider.default_access ?? null,
    groups_claim: provider.groups_claim,
    group_rules: provider.group_rules,
    enabled: provider.enabled,
    ...changes,
  };
}

/** An access as the list shows it: the role's name and its clients ("Technician · All clients"). */
export function accessSummary(
  access: SsoAccess | null | undefined,
  roles: RoleList | undefined,
  names: ReadonlyMap<string, string>,
): { label: string; clients: string[] | null } {
  if (!access) return { label: "Nobody without a matching group", clients: null };
  const role =
    access.role === "custom"
      ? (roles?.custom.find((custom) => custom.id === access.custom_role_id)?.name ?? "A custom role")
      : ROLE_LABELS[access.role];
  const scope = scopeSummary(access.client_ids, names);
  return { label: `${role} · ${scope.label}`, clients: scope.names };
}
