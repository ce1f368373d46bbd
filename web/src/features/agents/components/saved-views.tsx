//! The agent list's saved views: a menu of the technician's own and the team's shared views, and
//! "Save view" for the current filters, order and columns.
import { BookmarkIcon, Trash2Icon, UsersIcon } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { errorMessage } from "@/api/errors";
import type { SavedView } from "@/api/types";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Input } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import { useCan } from "@/lib/auth";
import { parseColumns, type AgentColumnId } from "../agent-columns";
import { agentListQuery, agentListSearchFromQuery, type AgentListSearch } from "../agent-list-search";
import { useAgentSavedViews, useDeleteView, useSaveView } from "../api/saved-views";

export interface AppliedView {
  search: AgentListSearch;
  columns: AgentColumnId[] | undefined;
}

export function SavedViews({
  search,
  columns,
  onApply,
}: {
  search: AgentListSearch;
  columns: AgentColumnId[];
  onApply: (view: AppliedView) => void;
}) {
  const views = useAgentSavedViews();
  const remove = useDeleteView();
  const mayDeleteShared = useCan("manage_organization");
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const items = views.data?.items ?? [];
  const apply = (view: SavedView) =>
    onApply({ search: agentListSearchFromQuery(view.query), columns: view.columns ? parseColumns(view.columns) : undefined });
  return (
    <>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="outline" size="sm" data-testid="saved-views">
            <BookmarkIcon /> Views
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end" className="w-64">
          <DropdownMenuLabel>Saved views</DropdownMenuLabel>
          {items.length === 0 ? <p className="px-2 py-1.5 text-sm text-muted-foreground">None yet.</p> : null}
          {items.map((view) => (
            <DropdownMenuItem key={view.id} onSelect={() => apply(view)} data-testid="saved-view" className="justify-between">
              <span className="flex min-w-0 items-center gap-2">
                {view.shared ? <UsersIcon className="text-muted-foreground" aria-label="Shared" /> : null}
                <span className="truncate">{view.name}</span>
              </span>
              {view.mine || mayDeleteShared ? (
                <button
                  type="button"
                  className="rounded p-0.5 text-muted-foreground hover:text-destructive"
                  aria-label={`Delete the view ${view.name}`}
                  onClick={(event) => {
                    event.stopPropagation();
                    event.preventDefault();
                    remove.mutate(view.id, { onError: (error) => setProblem(errorMessage(error)) });
                  }}
                >
                  <Trash2Icon />
                </button>
              ) : null}
            </DropdownMenuItem>
          ))}
          <DropdownMenuSeparator />
          <DropdownMenuItem onSelect={() => setSaving(true)} data-testid="save-view">
            Save the current view…
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      {problem ? (
        <span role="alert" className="self-center text-sm text-destructive">
          {problem}
        </span>
      ) : null}
      {saving ? <SaveViewDialog search={search} columns={columns} onClose={() => setSaving(false)} /> : null}
    </>
  );
}

function SaveViewDialog({ search, columns, onClose }: { search: AgentListSearch; columns: AgentColumnId[]; onClose: () => void }) {
  const id = useId();
  const canShare = useCan("organize_agents");
  const save = useSaveView();
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return setFailure("Give the view a name.");
    setFailure(null);
    save.mutate(
      { list: "agents", name: name.trim(), query: agentListQuery(search), columns, shared },
      { onSuccess: onClose, onError: (error) => setFailure(errorMessage(error)) },
    );
  };
  return (
    <Dialog open onOpenChange={(open) => !open && onClose()}>
      <DialogContent>
        <form noValidate className="grid gap-4" aria-label="Save view" onSubmit={submit}>
          <DialogHeader>
            <DialogTitle>Save this view</DialogTitle>
            <DialogDescription>The list's filters, order and columns, under a name, in the Views menu.</DialogDescription>
          </DialogHeader>
          <FormField label="Name" htmlFor={`${id}-name`}>
            <Input
              id={`${id}-name`}
              value={name}
              maxLength={100}
              onChange={(event) => setName(event.target.value)}
              autoFocus
              data-testid="view-name"
            />
          </FormField>
          {canShare ? (
            <label className="flex items-center gap-2 text-sm">
              <Switch checked={shared} onCheckedChange={setShared} data-testid="view-shared" /> Share with everyone in the organization
            </label>
          ) : null}
          {failure ? (
            <p role="alert" className="text-sm text-destructive">
              {failure}
            </p>
          ) : null}
          <DialogFooter>
            <Button type="submit" disabled={save.isPending} data-testid="view-save">
              {save.isPending ? "Saving…" : "Save view"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
