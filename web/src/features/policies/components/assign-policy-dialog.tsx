//! Assigning a policy: at which scope (global, a client, a site, an agent), which target, and
//! whether policies of less specific scopes stop there. One policy per scope and target: the server
//! answers 409 otherwise, shown here.
import { useId, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import type { PolicyScope } from "@/api/types";
import { FormField } from "@/components/form-field";
import { ScopedTargetPicker } from "@/components/target-pickers";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { POLICY_SCOPES } from "@/lib/monitoring";
import { useCreateAssignment, usePolicies } from "../api/policies";

/** Where the assignment goes: fixed by the page it is made from, or picked in the dialog. */
export type AssignTarget = { kind: "pick" } | { kind: "fixed"; scope: Exclude<PolicyScope, "global">; targetId: string };

export function AssignPolicyDialog({
  trigger,
  policyId,
  target,
}: {
  trigger: ReactNode;
  /** The policy to assign (from its page), or absent to pick one (from a client, site or agent page). */
  policyId?: string;
  target: AssignTarget;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent data-testid="assign-policy-dialog">
        {open ? <AssignForm policyId={policyId} target={target} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}

function AssignForm({ policyId, target, onDone }: { policyId?: string; target: AssignTarget; onDone: () => void }) {
  const ids = useId();
  const [pickedPolicy, setPickedPolicy] = useState(policyId ?? "");
  const [scope, setScope] = useState<PolicyScope>(target.kind === "fixed" ? target.scope : "global");
  const [targetId, setTargetId] = useState<string | null>(target.kind === "fixed" ? target.targetId : null);
  const [blockInheritance, setBlockInheritance] = useState(false);
  const [invalid, setInvalid] = useState<string | null>(null);
  const create = useCreateAssignment();
  const policies = usePolicies();

  const submit = () => {
    if (pickedPolicy === "") return setInvalid("Pick a policy.");
    if (scope !== "global" && !targetId) return setInvalid(`Pick the ${scope}.`);
    setInvalid(null);
    create.mutate(
      { policy_id: pickedPolicy, scope, target_id: scope === "global" ? null : targetId, block_inheritance: blockInheritance },
      {
        onSuccess: () => {
          toast.success("Policy assigned.");
          onDone();
        },
      },
    );
  };
  const failure = create.isError
    ? create.error instanceof ApiError && create.error.status === 409
      ? `${errorMessage(create.error)} Remove the policy assigned there first.`
      : errorMessage(create.error)
    : null;

  return (
    <form
      className="grid gap-4"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <DialogHeader>
        <DialogTitle>Assign a policy</DialogTitle>
        <DialogDescription>
          Agents merge the policies of every scope that reaches them, least specific first; a check of the same name in a more specific
          policy replaces the other.
        </DialogDescription>
      </DialogHeader>
      {policyId === undefined ? (
        <FormField label="Policy" htmlFor={`${ids}-policy`}>
          <Select value={pickedPolicy} onValueChange={setPickedPolicy}>
            <SelectTrigger id={`${ids}-policy`} className="w-full" data-testid="assign-policy-select">
              <SelectValue placeholder={policies.isPending ? "Loading policies…" : "Pick a policy"} />
            </SelectTrigger>
            <SelectContent>
              {(policies.data?.items ?? []).map((policy) => (
                <SelectItem key={policy.id} value={policy.id}>
                  {policy.name}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </FormField>
      ) : null}
      {target.kind === "pick" ? (
        <>
          <ScopedTargetPicker
            testId="assign"
            scopes={POLICY_SCOPES}
            scope={scope}
            onScopeChange={(option) => {
              setScope(option);
              setTargetId(null);
              setInvalid(null);
            }}
            targetId={targetId}
            onTargetChange={setTargetId}
            globalNote="Every agent of the organization."
          />
        </>
      ) : null}
      <label className="flex items-start gap-2 text-sm">
        <Switch
          checked={blockInheritance}
          onCheckedChange={setBlockInheritance}
          data-testid="assign-block-inheritance"
          className="mt-0.5"
        />
        <span>
          Block inheritance
          <span className="block text-xs text-muted-foreground">Policies of less specific scopes do not reach the agents here.</span>
        </span>
      </label>
      {invalid || failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
          {invalid ?? failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="button" variant="outline" onClick={onDone} disabled={create.isPending}>
          Cancel
        </Button>
        <Button type="submit" disabled={create.isPending} data-testid="assign-policy-submit">
          Assign
        </Button>
      </DialogFooter>
    </form>
  );
}
