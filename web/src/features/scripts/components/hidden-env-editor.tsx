//! The default environment's variables whose values this user cannot read, listed apart from the
//! `NAME=value` text: each locked ("hidden — unchanged", kept on save), or replaced by a new value
//! typed in a password field, or removed.
import { LockIcon, PencilIcon, Trash2Icon, Undo2Icon } from "lucide-react";
import { Button } from "@/components/ui/button";
import type { HiddenEnvVar } from "../script-form";
import { SecretInput } from "./secret-input";

export function HiddenEnvEditor({
  variables,
  onChange,
  readOnly,
}: {
  variables: HiddenEnvVar[];
  onChange: (variables: HiddenEnvVar[]) => void;
  readOnly?: boolean;
}) {
  if (variables.length === 0) return null;
  const update = (index: number, replacement: string | null) =>
    onChange(variables.map((variable, at) => (at === index ? { ...variable, replacement } : variable)));
  return (
    <div className="grid gap-1" data-testid="hidden-env">
      <ul className="grid gap-1">
        {variables.map((variable, index) => (
          <li
            key={variable.name}
            className="grid grid-cols-[minmax(0,10rem)_minmax(0,1fr)_auto] items-center gap-1.5"
            data-testid="hidden-env-row"
            data-name={variable.name}
          >
            <span className="flex min-w-0 items-center gap-1 font-mono text-xs">
              <LockIcon className="size-3 shrink-0 text-muted-foreground" aria-hidden />
              <span className="truncate" title={variable.name}>
                {variable.name}
              </span>
            </span>
            {variable.replacement === null ? (
              <span
                className="flex h-8 items-center rounded-md border border-dashed px-2 text-xs text-muted-foreground italic"
                title="You need the View secrets permission to see this value. Left alone, it is kept when you save."
                data-testid="hidden-env-value"
              >
                hidden — unchanged
              </span>
            ) : (
              <SecretInput
                aria-label={`New value of ${variable.name}`}
                placeholder="New value"
                value={variable.replacement}
                onChange={(event) => update(index, event.target.value)}
                className="h-8 font-mono text-xs"
                disabled={readOnly}
              />
            )}
            {readOnly ? (
              <span />
            ) : (
              <span className="flex items-center">
                {variable.replacement === null ? (
                  <Button
                    type="button"
                    variant="ghost"
                    size="sm"
                    aria-label={`Replace the value of ${variable.name}`}
                    onClick={() => update(index, "")}
                    data-testid="replace-hidden-env"
                  >
                    <PencilIcon /> Replace
                  </Button>
                ) : (
                  <Button
                    type="button"
                    variant="ghost"
                    size="sm"
                    aria-label={`Keep the hidden value of ${variable.name}`}
                    onClick={() => update(index, null)}
                    data-testid="keep-hidden-env"
                  >
                    <Undo2Icon /> Keep
                  </Button>
                )}
                <Button
                  type="button"
                  variant="ghost"
                  size="icon-sm"
                  aria-label={`Remove ${variable.name}`}
                  title={`Remove ${variable.name}`}
                  onClick={() => onChange(variables.filter((_, at) => at !== index))}
                  data-testid="remove-hidden-env"
                >
                  <Trash2Icon />
                </Button>
              </span>
            )}
          </li>
        ))}
      </ul>
      <p className="text-[11px] text-muted-foreground">
        These values are hidden: you need the View secrets permission to see them. Left alone, each is kept when you save.
      </p>
    </div>
  );
}
