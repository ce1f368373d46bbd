//! Rename and Delete for anything that is just a name (clients, sites): the name dialog and the
//! confirmation, as icon buttons in a table row or as labelled buttons in a page header.
import { PencilIcon, Trash2Icon } from "lucide-react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { NameDialog } from "@/components/name-dialog";
import { Button } from "@/components/ui/button";

export function RenameDeleteActions({
  name,
  noun,
  deleteDescription,
  onRename,
  onDelete,
  variant,
}: {
  /** The thing's current name. */
  name: string;
  /** What it is, lower case: "client", "site". */
  noun: string;
  deleteDescription: string;
  onRename: (name: string) => Promise<unknown>;
  onDelete: () => Promise<unknown>;
  /** Icon buttons named "Rename <name>" in a row, or outlined "Rename" / "Delete" in a header. */
  variant: "row" | "header";
}) {
  const Noun = noun.charAt(0).toUpperCase() + noun.slice(1);
  const trigger = (label: "Rename" | "Delete") => {
    const Icon = label === "Rename" ? PencilIcon : Trash2Icon;
    return variant === "row" ? (
      <Button variant="ghost" size="icon-sm" aria-label={`${label} ${name}`}>
        <Icon />
      </Button>
    ) : (
      <Button variant="outline">
        <Icon /> {label}
      </Button>
    );
  };
  const actions = (
    <>
      <NameDialog
        trigger={trigger("Rename")}
        title={`Rename ${noun}`}
        label={`${Noun} name`}
        initialName={name}
        submitLabel="Save"
        onSubmit={onRename}
      />
      <ConfirmDialog
        trigger={trigger("Delete")}
        title={`Delete ${name}?`}
        description={deleteDescription}
        confirmLabel={`Delete ${noun}`}
        onConfirm={onDelete}
      />
    </>
  );
  return variant === "row" ? <div className="flex justify-end gap-1">{actions}</div> : actions;
}
