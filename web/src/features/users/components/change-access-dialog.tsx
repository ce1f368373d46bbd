//! Changes which clients a user may reach: the whole organization, or only some clients. Their
//! sessions end, so they sign in again with the new access. An owner's access cannot be limited.
import { BuildingIcon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { useChangeRole, type OrgUser } from "../api/users";
import { scopeDraft, scopePhrase, scopeProblem, scopeRequest, type ScopeDraft } from "@/lib/client-scope";
import { fieldProblemFromServer } from "../password-form";
import { ClientScopeField } from "@/components/client-scope-field";

export function ChangeAccessDialog({ user, names }: { user: OrgUser; names: ReadonlyMap<string, string> }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="ghost" size="icon" aria-label={`Change access of ${user.email}`} title="Change access" data-testid="change-access">
          <BuildingIcon />
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-lg" data-testid="change-access-dialog">
        {open ? <ChangeAccessForm user={user} names={names} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}

function ChangeAccessForm({ user, names, onDone }: { user: OrgUser; names: ReadonlyMap<string, string>; onDone: () => void }) {
  const [draft, setDraft] = useState<ScopeDraft>(() => scopeDraft(user.client_ids, names));
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const change = useChangeRole();

  const submit = async () => {
    setFailure(null);
    const found = scopeProblem(draft, user.role);
    setProblem(found);
    if (found) return;
    const clientIds = scopeRequest(draft, user.role);
    try {
      await change.mutateAsync({ id: user.id, client_ids: clientIds });
      const chosen = new Map(draft.clients.map((client) => [client.id, client.name]));
      toast.success(`${user.email} now has access to ${scopePhrase(clientIds, chosen)}; their sessions ended.`);
      onDone();
    } catch (error) {
      const placed =
        error instanceof ApiError && error.status < 500 ? fieldProblemFromServer(error.message, { client_ids: "client_ids" }) : null;
      if (placed) setProblem(placed.message);
      else setFailure(errorMessage(error));
    }
  };

  return (
    <form
      className="grid gap-4"
      noValidate
      aria-label="Change access"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <DialogHeader>
        <DialogTitle>Access of {user.email}</DialogTitle>
        <DialogDescription>
          A user limited to some clients sees only their agents, sites and commands; alerts, checks, scripts, jobs, policies and settings
          are for users of the whole organization. Their sessions end, so they sign in again.
        </DialogDescription>
      </DialogHeader>
      <ClientScopeField
        value={draft}
        onChange={(next) => {
          setDraft(next);
          setProblem(null);
        }}
        role={user.role}
        problem={problem}
      />
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="change-access-failure">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="button" variant="outline" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" disabled={change.isPending} data-testid="change-access-submit">
          {change.isPending ? "Saving…" : "Save access"}
        </Button>
      </DialogFooter>
    </form>
  );
}
