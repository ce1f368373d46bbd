//! The check templates: checks defined once and used by policies (`used_by`). Each is edited with the
//! policy editor's check form; one in use cannot be deleted (the server's 409 names the policies).
import { FileStackIcon, PencilIcon, PlusIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import type { CheckTemplate, CheckType } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { FormField } from "@/components/form-field";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { Input } from "@/components/ui/input";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { useCheckTemplates, useDeleteCheckTemplate, useSaveCheckTemplate } from "../api/policies";
import {
  buildCheck,
  CHECK_TYPES,
  checkToForm,
  describeCheck,
  newCheck,
  type CheckField,
  type CheckFormValues,
  type FieldProblem,
} from "../policy-form";
import { CheckEditorDialog } from "./check-editor-dialog";

interface Editing {
  template?: CheckTemplate;
  description: string;
  values: CheckFormValues;
  serverProblem?: FieldProblem<CheckField> | null;
}

export function CheckTemplatesPage() {
  useDocumentTitle("Check templates");
  const mayMutate = useCan("manage_policies");
  const templates = useCheckTemplates();
  const save = useSaveCheckTemplate();
  const [editing, setEditing] = useState<Editing | null>(null);
  const list = {
    ...templates,
    data: templates.data ? { items: templates.data.items, total: templates.data.items.length, per_page: 0 } : undefined,
  };
  const otherNames = (templates.data?.items ?? [])
    .filter((template) => template.id !== editing?.template?.id)
    .map((template) => template.name);

  const saveTemplate = async (values: CheckFormValues) => {
    if (!editing) return;
    const built = buildCheck(values, otherNames);
    if (!built.ok) return;
    try {
      await save.mutateAsync({ id: editing.template?.id, body: { ...built.check, description: editing.description.trim() } });
      toast.success(editing.template ? "Template saved; the policies using it change too." : "Template created.");
      setEditing(null);
    } catch (error) {
      const match = error instanceof ApiError && error.status === 422 ? /^(\w+):\s*(.*)$/s.exec(error.message) : null;
      const field = match?.[1];
      if (match && field && field in values) {
        // Reopen the form on the values sent, with the server's complaint on its field.
        setEditing({
          ...editing,
          values: { ...values, key: `${values.key}-r` },
          serverProblem: { field: field as CheckField, message: match[2] ?? "" },
        });
      } else {
        toast.error(errorMessage(error));
      }
    }
  };

  const newButton = mayMutate ? (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button data-testid="new-template-button">
          <PlusIcon /> New template
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end">
        {CHECK_TYPES.map(({ type, label, hint }) => (
          <DropdownMenuItem
            key={type}
            onSelect={() => setEditing({ description: "", values: newCheck(type as CheckType) })}
            data-testid={`new-template-${type}`}
          >
            <span className="grid">
              <span>{label}</span>
              <span className="text-xs text-muted-foreground">{hint}</span>
            </span>
          </DropdownMenuItem>
        ))}
      </DropdownMenuContent>
    </DropdownMenu>
  ) : null;

  return (
    <div className="grid gap-4">
      <PageHeader
        title="Check templates"
        description="Checks defined once; a policy adds them from its editor, and a change here reaches every policy using them."
        actions={newButton}
      />
      <DataTable
        query={list}
        columns={templateColumns(mayMutate, (template) =>
          setEditing({ template, description: template.description, values: checkToForm(template) }),
        )}
        rowKey={(template) => template.id}
        rowProps={(template) => ({ "data-testid": "template-row", "data-template-id": template.id })}
        testId="templates-table"
        framed
        empty={
          <EmptyState icon={FileStackIcon} title="No check template yet" action={newButton} data-testid="templates-empty">
            A template is a check (a port, a website, a service…) kept in one place for many policies.
          </EmptyState>
        }
      />
      <CheckEditorDialog
        initial={editing?.values ?? null}
        otherNames={otherNames}
        serverProblem={editing?.serverProblem}
        onSave={(values) => void saveTemplate(values)}
        onClose={() => setEditing(null)}
        extra={
          editing ? (
            <FormField label="Template description" htmlFor="check-template-description" hint="Shown in the templates list.">
              <Input
                id="check-template-description"
                value={editing.description}
                maxLength={2000}
                onChange={(event) => setEditing({ ...editing, description: event.target.value })}
              />
            </FormField>
          ) : null
        }
      />
    </div>
  );
}

function templateColumns(mayMutate: boolean, onEdit: (template: CheckTemplate) => void): DataColumn<CheckTemplate>[] {
  const columns: DataColumn<CheckTemplate>[] = [
    {
      header: "Template",
      fill: true,
      cell: (template) => (
        <div className="grid min-w-0">
          <span className="truncate font-medium">{template.name}</span>
          <span className="truncate text-xs text-muted-foreground" data-testid="template-summary">
            {describeCheck(checkToForm(template))}
            {template.description ? ` · ${template.description}` : ""}
          </span>
        </div>
      ),
    },
    {
      header: "Used by",
      headerClassName: "w-72",
      className: "max-w-72",
      cell: (template) =>
        template.used_by.length === 0 ? (
          <span className="text-xs text-muted-foreground">no policy</span>
        ) : (
          <span className="flex flex-wrap gap-1" data-testid="template-used-by">
            {template.used_by.map((name) => (
              <Badge key={name} variant="outline">
                {name}
              </Badge>
            ))}
          </span>
        ),
    },
  ];
  if (mayMutate) {
    columns.push({
      header: "Actions",
      headerClassName: "w-24",
      cell: (template) => (
        <div className="flex gap-1">
          <Button
            variant="ghost"
            size="icon"
            aria-label={`Edit ${template.name}`}
            onClick={() => onEdit(template)}
            data-testid="edit-template"
          >
            <PencilIcon />
          </Button>
          <DeleteTemplate template={template} />
        </div>
      ),
    });
  }
  return columns;
}

function DeleteTemplate({ template }: { template: CheckTemplate }) {
  const remove = useDeleteCheckTemplate();
  return (
    <ConfirmDialog
      trigger={
        <Button variant="ghost" size="icon" aria-label={`Delete ${template.name}`} data-testid="delete-template">
          <Trash2Icon />
        </Button>
      }
      title={`Delete ${template.name}?`}
      description={
        template.used_by.length > 0 ? `Policies use it (${template.used_by.join(", ")}): take it out of them first.` : "No policy uses it."
      }
      confirmLabel="Delete"
      onConfirm={() => remove.mutateAsync(template.id)}
    />
  );
}
