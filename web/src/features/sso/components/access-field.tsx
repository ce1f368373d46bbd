//! The access a provider gives: a role (built-in or custom, only those the signed-in user may give,
//! never owner; for the default also "nobody without a matching group") and the clients it covers,
//! in the access field of inviting a user.
import { useId } from "react";
import { ClientScopeField } from "@/components/client-scope-field";
import { FormField } from "@/components/form-field";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import type { RoleChoice } from "@/lib/roles";
import { NOBODY, type AccessDraft } from "../sso-form";

export function AccessField({
  label,
  value,
  onChange,
  choices,
  allowNobody = false,
  problem,
  testId,
}: {
  label: string;
  value: AccessDraft;
  onChange: (next: AccessDraft) => void;
  /** The roles the signed-in user may give, owner left out. */
  choices: readonly RoleChoice[];
  /** Offer "Nobody without a matching group" (the default access only). */
  allowNobody?: boolean;
  problem: string | null | undefined;
  testId: string;
}) {
  const ids = useId();
  const nobody = value.choice === NOBODY;
  const choice = choices.find((candidate) => candidate.value === value.choice);
  return (
    <div className="grid min-w-0 gap-2" data-testid={testId}>
      <FormField
        label={label}
        htmlFor={`${ids}-role`}
        hint={
          nobody
            ? "Only people in a group a rule names may sign in; everyone else is refused."
            : (choice?.summary ?? "Choose a role you may give.")
        }
      >
        <Select value={value.choice} onValueChange={(next) => onChange({ ...value, choice: next })}>
          <SelectTrigger id={`${ids}-role`} className="w-full sm:w-72" data-testid={`${testId}-role`}>
            <SelectValue placeholder="Choose a role" />
          </SelectTrigger>
          <SelectContent>
            {allowNobody ? <SelectItem value={NOBODY}>Nobody without a matching group</SelectItem> : null}
            {choices.map((option) => (
              <SelectItem key={option.value} value={option.value}>
                {option.label}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </FormField>
      {nobody ? (
        problem ? (
          <p role="alert" className="text-xs text-destructive" data-testid={`${testId}-problem`}>
            {problem}
          </p>
        ) : null
      ) : (
        <ClientScopeField
          value={value.scope}
          onChange={(scope) => onChange({ ...value, scope })}
          role={choice?.role}
          problem={problem ?? null}
          testId={`${testId}-scope`}
        />
      )}
    </div>
  );
}
