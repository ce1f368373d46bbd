//! Where policies are assigned: on a policy's page, every scope it is assigned at; on a client,
//! site or agent page, the "Policy" card with what is assigned there. Both add and remove.
import { Link } from "@tanstack/react-router";
import { PlusIcon, ShieldIcon, Trash2Icon } from "lucide-react";
import type { ReactNode } from "react";
import type { PolicyAssignment, PolicyScope } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorMessage } from "@/components/error-message";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { SectionCard } from "@/components/section-card";
import { Skeleton } from "@/components/ui/skeleton";
import { useCan } from "@/lib/auth";
import { POLICY_SCOPE_LABELS } from "@/lib/monitoring";
import { useDeleteAssignment, usePolicyAssignments } from "../api/policies";
import { AssignPolicyDialog } from "./assign-policy-dialog";

/** A policy's assignments, with "Assign" and a remove button per row. */
export function PolicyAssignmentsCard({ policyId }: { policyId: string }) {
  const mayMutate = useCan("manage_policies");
  const assignments = usePolicyAssignments();
  const rows = (assignments.data?.items ?? []).filter((assignment) => assignment.policy_id === policyId);
  return (
    <SectionCard
      title="Assigned to"
      description="A policy does nothing until it is assigned."
      data-testid="policy-assignments"
      actions={
        mayMutate ? (
          <AssignPolicyDialog
            policyId={policyId}
            target={{ kind: "pick" }}
            trigger={
              <Button size="sm" variant="outline" data-testid="assign-policy-button">
                <PlusIcon /> Assign
              </Button>
            }
          />
        ) : null
      }
    >
      <AssignmentsList
        query={assignments}
        rows={rows}
        empty={
          <p className="text-sm text-muted-foreground" data-testid="policy-not-assigned">
            Not assigned anywhere.
          </p>
        }
        label={(assignment) => <AssignmentTarget assignment={assignment} />}
      />
    </SectionCard>
  );
}

function AssignmentTarget({ assignment }: { assignment: PolicyAssignment }) {
  const name = assignment.target_name ?? assignment.target_id?.slice(0, 8) ?? "";
  const id = assignment.target_id ?? "";
  return (
    <span className="flex items-center gap-2">
      <Badge variant="outline">{POLICY_SCOPE_LABELS[assignment.scope]}</Badge>
      {assignment.scope === "global" ? (
        <span>Every agent</span>
      ) : assignment.scope === "client" ? (
        <Link to="/clients/$clientId" params={{ clientId: id }} className="hover:underline">
          {name}
        </Link>
      ) : assignment.scope === "site" ? (
        <Link to="/sites/$siteId" params={{ siteId: id }} className="hover:underline">
          {name}
        </Link>
      ) : (
        <Link to="/agents/$agentId" params={{ agentId: id }} search={{ tab: "policy" }} className="hover:underline">
          {name}
        </Link>
      )}
    </span>
  );
}

function AssignmentsList({
  query,
  rows,
  empty,
  label,
}: {
  query: ReturnType<typeof usePolicyAssignments>;
  rows: PolicyAssignment[];
  empty: ReactNode;
  label: (assignment: PolicyAssignment) => ReactNode;
}) {
  return (
    <>
      {query.isError ? <ErrorMessage error={query.error} onRetry={() => void query.refetch()} /> : null}
      {query.isPending ? (
        <Skeleton className="h-8" />
      ) : rows.length === 0 ? (
        empty
      ) : (
        <ul className="grid gap-1">
          {rows.map((assignment) => (
            <AssignmentRow key={assignment.id} assignment={assignment} label={label(assignment)} />
          ))}
        </ul>
      )}
    </>
  );
}

function AssignmentRow({ assignment, label }: { assignment: PolicyAssignment; label: ReactNode }) {
  const mayMutate = useCan("manage_policies");
  const remove = useDeleteAssignment();
  return (
    <li
      className="flex flex-wrap items-center gap-2 rounded-md px-1 py-1 text-sm hover:bg-muted/40"
      data-testid="assignment-row"
      data-scope={assignment.scope}
    >
      {label}
      {assignment.block_inheritance ? (
        <Badge variant="warning" title="Policies of less specific scopes stop here">
          blocks inheritance
        </Badge>
      ) : null}
      <span className="ml-auto text-xs text-muted-foreground">by {assignment.created_by_email}</span>
      {mayMutate ? (
        <ConfirmDialog
          trigger={
            <Button variant="ghost" size="icon" aria-label={`Remove the assignment of ${assignment.policy_name}`}>
              <Trash2Icon />
            </Button>
          }
          title={`Remove ${assignment.policy_name} here?`}
          description="The agents it reached fall back to the policies of the other scopes; its checks stop on them."
          confirmLabel="Remove"
          onConfirm={() => remove.mutateAsync(assignment.id)}
        />
      ) : null}
    </li>
  );
}

/** The "Policy" card of a client, site or agent page: what is assigned there, assign and remove. */
export function ScopePolicyCard({ scope, targetId }: { scope: Exclude<PolicyScope, "global">; targetId: string }) {
  const mayMutate = useCan("manage_policies");
  const assignments = usePolicyAssignments();
  const here = (assignments.data?.items ?? []).filter((assignment) => assignment.scope === scope && assignment.target_id === targetId);
  return (
    <SectionCard
      data-testid="scope-policy-card"
      title={
        <>
          <ShieldIcon className="size-4" aria-hidden /> Policy
        </>
      }
      description={`Monitoring assigned to this ${scope}; less specific scopes still apply unless blocked.`}
      actions={
        mayMutate && here.length === 0 && !assignments.isPending ? (
          <AssignPolicyDialog
            target={{ kind: "fixed", scope, targetId }}
            trigger={
              <Button size="sm" variant="outline" data-testid="scope-assign-button">
                <PlusIcon /> Assign policy
              </Button>
            }
          />
        ) : null
      }
    >
      <AssignmentsList
        query={assignments}
        rows={here}
        empty={<p className="text-sm text-muted-foreground">No policy assigned here.</p>}
        label={(assignment) => (
          <Link to="/policies/$policyId" params={{ policyId: assignment.policy_id }} className="font-medium hover:underline">
            {assignment.policy_name}
          </Link>
        )}
      />
    </SectionCard>
  );
}
