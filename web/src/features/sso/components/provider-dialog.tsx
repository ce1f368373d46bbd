//! Adds or changes an identity provider: the name on its sign-in button, its issuer, the client the
//! organization registered there (the secret is write-only: on a change an empty field keeps the
//! stored one), the email domains it is trusted for, whether it creates users at their first sign-in,
//! the default access, the groups claim and the group rules, and whether it is enabled. The form's
//! rules are checked before sending; the server's 422 shows on the field it names.
import { useId, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import type { RoleChoice } from "@/lib/roles";
import { useSaveSsoProvider, type SsoProvider } from "../api/sso";
import {
  DEFAULT_GROUPS_CLAIM,
  MAX_DOMAINS,
  providerFormFrom,
  ssoFieldProblem,
  ssoProviderRequestFrom,
  type SsoField,
  type SsoProblems,
  type SsoProviderFormValues,
} from "../sso-form";
import { AccessField } from "./access-field";
import { GroupRulesField } from "./group-rules-field";

/** `provider` is the provider to change; without it the dialog adds one. */
export function ProviderDialog({
  provider,
  trigger,
  choices,
  names,
  defaultChoice,
}: {
  provider?: SsoProvider;
  trigger: ReactNode;
  /** The roles the signed-in user may give, owner left out. */
  choices: readonly RoleChoice[];
  /** Every client's name by id, to name the clients of an access. */
  names: ReadonlyMap<string, string>;
  /** The role a new provider and a new group rule start with. */
  defaultChoice: string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent className="max-h-[90svh] overflow-y-auto sm:max-w-2xl" data-testid="sso-provider-dialog">
        {open ? (
          <ProviderForm
            provider={provider}
            choices={choices}
            initial={providerFormFrom(provider, names, defaultChoice)}
            defaultChoice={defaultChoice}
            onDone={() => setOpen(false)}
          />
        ) : null}
      </DialogContent>
    </Dialog>
  );
}

function ProviderForm({
  provider,
  choices,
  initial,
  defaultChoice,
  onDone,
}: {
  provider?: SsoProvider;
  choices: readonly RoleChoice[];
  initial: SsoProviderFormValues;
  defaultChoice: string;
  onDone: () => void;
}) {
  const ids = useId();
  const [values, setValues] = useState(initial);
  const [problems, setProblems] = useState<SsoProblems>({});
  const [failure, setFailure] = useState<string | null>(null);
  const save = useSaveSsoProvider();
  const editing = provider !== undefined;

  /** Changes `key` and forgets the problem shown on `field`. */
  const set = <K extends keyof SsoProviderFormValues>(key: K, value: SsoProviderFormValues[K], field?: SsoField) => {
    setValues((current) => ({ ...current, [key]: value }));
    if (field) setProblems((shown) => ({ ...shown, [field]: undefined }));
  };

  const submit = async () => {
    setFailure(null);
    const result = ssoProviderRequestFrom(values, choices, editing);
    if (!result.ok) return setProblems(result.problems);
    setProblems({});
    try {
      const saved = await save.mutateAsync({ id: provider?.id, body: result.body });
      toast.success(
        editing ? `${saved.name} is saved.` : `${saved.name} is added: share its sign-in link with the people who sign in through it.`,
      );
      onDone();
    } catch (error) {
      const placed = error instanceof ApiError && error.status === 422 ? ssoFieldProblem(error.message) : null;
      if (placed) setProblems({ [placed.field]: placed.message });
      else setFailure(errorMessage(error));
    }
  };

  const problem = (field: SsoField) =>
    problems[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`sso-${field}-error`}>
        {problems[field]}
      </p>
    ) : null;
  const invalid = (field: SsoField) => (problems[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {});
  // Problems the form does not show beside a field of its own (a rule's, on its row) go above the button.
  const placed = Object.values(problems).some(Boolean);

  return (
    <form
      className="grid min-w-0 gap-4"
      noValidate
      aria-label={editing ? `Edit ${provider.name}` : "Add identity provider"}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <DialogHeader>
        <DialogTitle>{editing ? `Edit ${provider.name}` : "Add identity provider"}</DialogTitle>
        <DialogDescription>
          An OpenID Connect provider such as Microsoft Entra ID or Google Workspace. Register this dashboard&apos;s redirect URI there
          first, then copy the issuer, client ID and client secret here.
        </DialogDescription>
      </DialogHeader>
      <div className="grid gap-3 sm:grid-cols-2">
        <FormField label="Name" htmlFor={`${ids}-name`} hint="On the sign-in button: “Sign in with …”." error={problem("name")}>
          <Input
            id={`${ids}-name`}
            autoComplete="off"
            autoFocus
            value={values.name}
            onChange={(event) => set("name", event.target.value, "name")}
            placeholder="Microsoft"
            data-testid="sso-name"
            {...invalid("name")}
          />
        </FormField>
        <FormField
          label="Issuer URL"
          htmlFor={`${ids}-issuer`}
          hint="Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0 · Google: https://accounts.google.com"
          error={problem("issuer")}
        >
          <Input
            id={`${ids}-issuer`}
            type="url"
            autoComplete="off"
            value={values.issuer}
            onChange={(event) => set("issuer", event.target.value, "issuer")}
            placeholder="https://login.microsoftonline.com/<tenant id>/v2.0"
            data-testid="sso-issuer"
            {...invalid("issuer")}
          />
        </FormField>
        <FormField label="Client ID" htmlFor={`${ids}-client-id`} hint="The application (client) ID." error={problem("client_id")}>
          <Input
            id={`${ids}-client-id`}
            autoComplete="off"
            value={values.clientId}
            onChange={(event) => set("clientId", event.target.value, "client_id")}
            data-testid="sso-client-id"
            {...invalid("client_id")}
          />
        </FormField>
        <FormField
          label={
            <span className="flex items-center gap-2">
              Client secret
              {provider?.client_secret_set ? (
                <Badge variant="success" data-testid="sso-client-secret-set">
                  Set
                </Badge>
              ) : null}
            </span>
          }
          htmlFor={`${ids}-client-secret`}
          hint={editing ? "Leave empty to keep the stored secret. It is never shown again." : "Stored encrypted; never shown again."}
          error={problem("client_secret")}
        >
          <Input
            id={`${ids}-client-secret`}
            type="password"
            autoComplete="new-password"
            value={values.clientSecret}
            onChange={(event) => set("clientSecret", event.target.value, "client_secret")}
            placeholder={editing ? "Unchanged" : undefined}
            data-testid="sso-client-secret"
            {...invalid("client_secret")}
          />
        </FormField>
      </div>
      <FormField
        label="Email domains"
        htmlFor={`${ids}-domains`}
        hint={`Separated by commas or spaces, at most ${MAX_DOMAINS}. Only addresses of these domains sign in through this provider.`}
        error={problem("email_domains")}
      >
        <Input
          id={`${ids}-domains`}
          autoComplete="off"
          value={values.domains}
          onChange={(event) => set("domains", event.target.value, "email_domains")}
          placeholder="example.com, example.org"
          data-testid="sso-email-domains"
          {...invalid("email_domains")}
        />
      </FormField>
      <SwitchRow
        id={`${ids}-provision`}
        label="Create users at their first sign-in"
        hint="With the access below. Otherwise only people invited before may sign in through the provider."
        checked={values.provision}
        onChange={(next) => set("provision", next, "default_access")}
        testId="sso-provision"
      />
      <AccessField
        label="Default access"
        value={values.defaultAccess}
        onChange={(next) => set("defaultAccess", next, "default_access")}
        choices={choices}
        allowNobody
        problem={problems.default_access}
        testId="sso-default-access"
      />
      <FormField
        label="Groups claim"
        htmlFor={`${ids}-groups-claim`}
        hint="The ID token's claim listing a person's groups. Entra ID sends group object ids in “groups” once the app registration's groups claim is on."
        error={problem("groups_claim")}
      >
        <Input
          id={`${ids}-groups-claim`}
          autoComplete="off"
          className="sm:w-72"
          value={values.groupsClaim}
          onChange={(event) => set("groupsClaim", event.target.value, "groups_claim")}
          placeholder={DEFAULT_GROUPS_CLAIM}
          data-testid="sso-groups-claim"
          {...invalid("groups_claim")}
        />
      </FormField>
      <GroupRulesField
        rules={values.rules}
        onChange={(rules) => {
          setValues((current) => ({ ...current, rules }));
          // Rows may have moved: their problems no longer sit on the right row.
          setProblems((shown) => Object.fromEntries(Object.entries(shown).filter(([field]) => !field.startsWith("group_rules"))));
        }}
        choices={choices}
        problems={problems}
        defaultChoice={defaultChoice}
      />
      <SwitchRow
        id={`${ids}-enabled`}
        label="Enabled"
        hint="A disabled provider's sign-in link leads nowhere; its users keep their accounts."
        checked={values.enabled}
        onChange={(next) => set("enabled", next)}
        testId="sso-enabled"
      />
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="sso-provider-failure">
          {failure}
        </p>
      ) : placed ? (
        <p className="text-xs text-destructive" data-testid="sso-provider-problems">
          Correct the fields marked above.
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={save.isPending} data-testid="sso-provider-submit">
          {save.isPending ? "Saving…" : editing ? "Save" : "Add provider"}
        </Button>
      </DialogFooter>
    </form>
  );
}

function SwitchRow({
  id,
  label,
  hint,
  checked,
  onChange,
  testId,
}: {
  id: string;
  label: string;
  hint: string;
  checked: boolean;
  onChange: (next: boolean) => void;
  testId: string;
}) {
  return (
    <div className="flex items-start gap-3 text-sm">
      <Switch
        id={id}
        checked={checked}
        onCheckedChange={onChange}
        aria-describedby={`${id}-hint`}
        className="mt-0.5"
        data-testid={testId}
      />
      <div className="grid gap-0.5">
        <label htmlFor={id} className="font-medium">
          {label}
        </label>
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </p>
      </div>
    </div>
  );
}
