//! The group rules: ordered rows of a group (as the provider's groups claim names it) and the access
//! its members get. At each sign-in the first rule naming one of the person's groups decides, so rows
//! move up and down; without a matching rule the default access applies.
import { ArrowDownIcon, ArrowUpIcon, PlusIcon, Trash2Icon } from "lucide-react";
import { useId } from "react";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import type { RoleChoice } from "@/lib/roles";
import { MAX_RULES, moveRule, newRule, type RuleDraft, type SsoProblems } from "../sso-form";
import { AccessField } from "./access-field";

export function GroupRulesField({
  rules,
  onChange,
  choices,
  problems,
  defaultChoice,
}: {
  rules: RuleDraft[];
  onChange: (next: RuleDraft[]) => void;
  choices: readonly RoleChoice[];
  problems: SsoProblems;
  /** The role a new rule starts with. */
  defaultChoice: string;
}) {
  const change = (index: number, rule: RuleDraft) => onChange(rules.map((current, at) => (at === index ? rule : current)));
  return (
    <fieldset className="grid min-w-0 gap-2" data-testid="sso-group-rules">
      <legend className="mb-1 text-xs text-muted-foreground">Group rules</legend>
      <p className="text-[11px] text-muted-foreground">
        At each sign-in the first rule naming one of the person&apos;s groups gives their access, so a change of group at the provider
        changes it here (owners excepted). People in no group a rule names get the default access.
      </p>
      {rules.length > 0 ? (
        <ol className="grid gap-2">
          {rules.map((rule, index) => (
            <RuleRow
              key={rule.key}
              rule={rule}
              index={index}
              last={index === rules.length - 1}
              choices={choices}
              problems={problems}
              onChange={(next) => change(index, next)}
              onMove={(offset) => onChange(moveRule(rules, index, offset))}
              onRemove={() => onChange(rules.filter((_, at) => at !== index))}
            />
          ))}
        </ol>
      ) : null}
      {problems.group_rules ? (
        <p role="alert" className="text-xs text-destructive" data-testid="sso-group-rules-problem">
          {problems.group_rules}
        </p>
      ) : null}
      <div>
        <Button
          type="button"
          variant="outline"
          size="sm"
          disabled={rules.length >= MAX_RULES}
          onClick={() => onChange([...rules, newRule(defaultChoice)])}
          data-testid="sso-add-group-rule"
        >
          <PlusIcon /> Add group rule
        </Button>
      </div>
    </fieldset>
  );
}

function RuleRow({
  rule,
  index,
  last,
  choices,
  problems,
  onChange,
  onMove,
  onRemove,
}: {
  rule: RuleDraft;
  index: number;
  last: boolean;
  choices: readonly RoleChoice[];
  problems: SsoProblems;
  onChange: (next: RuleDraft) => void;
  onMove: (offset: -1 | 1) => void;
  onRemove: () => void;
}) {
  const ids = useId();
  const groupProblem = problems[`group_rules[${index}].group`];
  const accessProblem = problems[`group_rules[${index}].access`];
  const position = `rule ${index + 1}`;
  return (
    <li className="grid min-w-0 gap-2 rounded-md border p-2" data-testid="sso-group-rule" aria-label={`Group rule ${index + 1}`}>
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-48 flex-1">
          <FormField
            label={`Group (${position})`}
            htmlFor={`${ids}-group`}
            error={
              groupProblem ? (
                <p className="text-xs text-destructive" id={`${ids}-group-error`} data-testid="sso-group-rule-group-error">
                  {groupProblem}
                </p>
              ) : null
            }
          >
            <Input
              id={`${ids}-group`}
              autoComplete="off"
              value={rule.group}
              onChange={(event) => onChange({ ...rule, group: event.target.value })}
              placeholder="rmm-admins, or a group's object id"
              data-testid="sso-group-rule-group"
              {...(groupProblem ? { "aria-invalid": true, "aria-describedby": `${ids}-group-error` } : {})}
            />
          </FormField>
        </div>
        <div className="flex gap-1">
          <Button
            type="button"
            variant="ghost"
            size="icon"
            disabled={index === 0}
            onClick={() => onMove(-1)}
            aria-label={`Move ${position} up`}
          >
            <ArrowUpIcon />
          </Button>
          <Button type="button" variant="ghost" size="icon" disabled={last} onClick={() => onMove(1)} aria-label={`Move ${position} down`}>
            <ArrowDownIcon />
          </Button>
          <Button type="button" variant="ghost" size="icon" onClick={onRemove} aria-label={`Remove ${position}`}>
            <Trash2Icon />
          </Button>
        </div>
      </div>
      <AccessField
        label="Role"
        value={rule.access}
        onChange={(access) => onChange({ ...rule, access })}
        choices={choices}
        problem={accessProblem}
        testId="sso-group-rule-access"
      />
    </li>
  );
}
