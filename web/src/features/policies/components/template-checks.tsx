//! A policy's checks taken from check templates: "Add from template" and the list of them, each
//! removable. The check itself is the template as it is now; the policy holds only the reference.
import { FileStackIcon, Trash2Icon } from "lucide-react";
import type { TemplateCheck } from "@/api/types";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuLabel, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { useCheckTemplates } from "../api/policies";

export function AddFromTemplateButton({ used, onAdd }: { used: readonly TemplateCheck[]; onAdd: (check: TemplateCheck) => void }) {
  const templates = useCheckTemplates();
  const available = (templates.data?.items ?? []).filter((template) => !used.some((check) => check.template_id === template.id));
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button type="button" size="sm" variant="outline" data-testid="add-template-check-button">
          <FileStackIcon /> Add from template
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end">
        {available.length === 0 ? (
          <DropdownMenuLabel className="text-xs font-normal text-muted-foreground">
            {templates.isPending ? "Loading templates…" : "No other template: create them under Check templates."}
          </DropdownMenuLabel>
        ) : (
          available.map((template) => (
            <DropdownMenuItem key={template.id} onSelect={() => onAdd({ template_id: template.id })} data-testid="add-template-check">
              {template.name}
            </DropdownMenuItem>
          ))
        )}
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

export function TemplateChecksList({
  checks,
  readOnly,
  onChange,
}: {
  checks: readonly TemplateCheck[];
  readOnly: boolean;
  onChange: (checks: TemplateCheck[]) => void;
}) {
  const templates = useCheckTemplates();
  if (checks.length === 0) return null;
  const nameOf = (check: TemplateCheck) =>
    check.name ?? templates.data?.items.find((template) => template.id === check.template_id)?.name ?? "template";
  return (
    <div className="mb-2 grid gap-1" data-testid="policy-template-checks">
      <p className="text-xs text-muted-foreground">From check templates (the template as it is now):</p>
      <ul className="grid divide-y rounded-md border">
        {checks.map((check, index) => (
          <li
            key={`${check.template_id}-${index}`}
            className="flex items-center gap-2 px-3 py-1.5 text-sm"
            data-testid="template-check-row"
          >
            <FileStackIcon className="size-4 text-muted-foreground" aria-hidden />
            <span className="min-w-0 font-medium [overflow-wrap:anywhere]">{nameOf(check)}</span>
            {check.enabled === false ? <span className="text-xs text-muted-foreground">switched off</span> : null}
            {readOnly ? null : (
              <Button
                type="button"
                variant="ghost"
                size="icon"
                className="ml-auto"
                aria-label={`Remove ${nameOf(check)}`}
                onClick={() => onChange(checks.filter((_, at) => at !== index))}
              >
                <Trash2Icon />
              </Button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
