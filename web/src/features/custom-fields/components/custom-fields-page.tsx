//! The organization's custom fields, one table per scope (clients, sites, agents): define, rename,
//! change a choice field's choices, delete with its values.
import { PencilIcon, PlusIcon, TagsIcon, Trash2Icon } from "lucide-react";
import type { CustomField, CustomFieldScope } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { useCustomFields, useDeleteCustomField } from "../api/custom-fields";
import { CUSTOM_FIELD_SCOPES, KIND_LABELS, SCOPE_LABELS } from "../custom-field-form";
import { CustomFieldDialog } from "./custom-field-dialog";

export function CustomFieldsPage() {
  useDocumentTitle("Custom fields");
  const mayMutate = useCan("manage_organization");
  const fields = useCustomFields();
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Custom fields"
        description="Your own fields on clients, sites and agents: shown on their pages, filterable in the agents list, readable by scripts."
        actions={
          mayMutate ? (
            <CustomFieldDialog
              trigger={
                <Button data-testid="new-custom-field-button">
                  <PlusIcon /> New field
                </Button>
              }
            />
          ) : null
        }
      />
      {CUSTOM_FIELD_SCOPES.map((scope) => (
        <ScopeFields key={scope} scope={scope} mayMutate={mayMutate} fields={fields} />
      ))}
    </div>
  );
}

function ScopeFields({
  scope,
  mayMutate,
  fields,
}: {
  scope: CustomFieldScope;
  mayMutate: boolean;
  fields: ReturnType<typeof useCustomFields>;
}) {
  const items = fields.data?.items.filter((field) => field.scope === scope);
  const list = { ...fields, data: items ? { items, total: items.length, per_page: 0 } : undefined };
  return (
    <SectionCard title={`${SCOPE_LABELS[scope]} fields`} data-testid={`custom-fields-${scope}`}>
      <DataTable
        query={list}
        columns={fieldColumns(mayMutate)}
        rowKey={(field) => field.id}
        rowProps={(field) => ({ "data-testid": "custom-field-row", "data-key": field.key })}
        testId={`custom-fields-table-${scope}`}
        empty={
          <EmptyState icon={TagsIcon} title={`No ${SCOPE_LABELS[scope].toLowerCase()} field`}>
            {scope === "agent"
              ? "An asset tag, a warranty end, a patch ring…"
              : scope === "site"
                ? "A server room, a backup share, an on-site contact…"
                : "A support tier, a contract's end, an account manager…"}
          </EmptyState>
        }
      />
    </SectionCard>
  );
}

function fieldColumns(mayMutate: boolean): DataColumn<CustomField>[] {
  const columns: DataColumn<CustomField>[] = [
    { header: "Name", headerClassName: "w-56", className: "truncate font-medium", cell: (field) => field.name },
    { header: "Key", headerClassName: "w-48", className: "truncate font-mono text-xs", cell: (field) => field.key },
    { header: "Kind", headerClassName: "w-24", cell: (field) => <Badge variant="muted">{KIND_LABELS[field.kind]}</Badge> },
    {
      header: "Choices",
      fill: true,
      className: "truncate text-xs text-muted-foreground",
      cell: (field) => (field.kind === "choice" ? field.choices.join(", ") : "—"),
    },
  ];
  if (mayMutate) {
    columns.push({
      header: "Actions",
      headerClassName: "w-24",
      cell: (field) => (
        <div className="flex gap-1">
          <CustomFieldDialog
            field={field}
            trigger={
              <Button variant="ghost" size="icon" aria-label={`Edit ${field.name}`} data-testid="edit-custom-field">
                <PencilIcon />
              </Button>
            }
          />
          <DeleteField field={field} />
        </div>
      ),
    });
  }
  return columns;
}

function DeleteField({ field }: { field: CustomField }) {
  const remove = useDeleteCustomField();
  return (
    <ConfirmDialog
      trigger={
        <Button variant="ghost" size="icon" aria-label={`Delete ${field.name}`} data-testid="delete-custom-field">
          <Trash2Icon />
        </Button>
      }
      title={`Delete the field ${field.name}?`}
      description={`Every ${field.scope}'s value of it is deleted too, and scripts reading ${field.key} get no value from it any more.`}
      confirmLabel="Delete"
      onConfirm={() => remove.mutateAsync(field.id)}
    />
  );
}
