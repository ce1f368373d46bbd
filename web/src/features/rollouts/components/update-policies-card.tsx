//! The update policies, in the order they apply (the organization's, then clients, sites and
//! agents), with the organization's default when it has no policy of its own; add, edit, delete.
import { Link } from "@tanstack/react-router";
import { PencilIcon, PlusIcon, SlidersHorizontalIcon, Trash2Icon } from "lucide-react";
import type { UpdatePolicy } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorMessage } from "@/components/error-message";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useCan } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { POLICY_SCOPE_LABELS } from "@/lib/monitoring";
import { useDeleteUpdatePolicy, useTargetNames, useUpdatePolicies } from "../api/rollouts";
import { DEFAULT_POLICY_TEXT, describeChannel, sortUpdatePolicies } from "../update-policy-form";
import { UpdatePolicyDialog } from "./update-policy-dialog";

export function UpdatePoliciesCard({ versions }: { versions: readonly string[] }) {
  const mayManage = useCan("manage_agents");
  const policies = useUpdatePolicies();
  const items = policies.data?.items ?? [];
  const names = useTargetNames(items);
  const rows = sortUpdatePolicies(items, names);
  const hasGlobal = items.some((policy) => policy.scope === "global");
  const nameOf = (policy: UpdatePolicy) =>
    policy.scope === "global"
      ? "Organization"
      : policy.target_id && names.has(policy.target_id)
        ? (names.get(policy.target_id) ?? "(deleted)")
        : "…";

  return (
    <SectionCard
      title={
        <>
          <SlidersHorizontalIcon className="size-4" aria-hidden /> Update policies
        </>
      }
      description="Which releases rollouts give which agents, and when. The most specific policy wins: the agent’s, else its site’s, its client’s, the organization’s."
      actions={
        mayManage ? (
          <UpdatePolicyDialog
            policies={items}
            versions={versions}
            trigger={
              <Button size="sm" variant="outline" data-testid="add-update-policy">
                <PlusIcon /> Add policy
              </Button>
            }
          />
        ) : null
      }
      data-testid="update-policies-card"
    >
      {policies.isError ? <ErrorMessage error={policies.error} onRetry={() => void policies.refetch()} /> : null}
      {policies.isPending ? (
        <Skeleton className="h-24" />
      ) : (
        <div className="overflow-x-auto rounded-md border">
          <Table data-testid="update-policies-table">
            <TableHeader>
              <TableRow>
                <TableHead className="w-24">Scope</TableHead>
                <TableHead>Target</TableHead>
                <TableHead className="w-40">Channel</TableHead>
                <TableHead className="w-48">When</TableHead>
                <TableHead className="w-64">Updated</TableHead>
                {mayManage ? <TableHead className="w-24">Actions</TableHead> : null}
              </TableRow>
            </TableHeader>
            <TableBody>
              {hasGlobal ? null : (
                <TableRow data-testid="update-policy-default">
                  <TableCell>
                    <Badge variant="outline">Default</Badge>
                  </TableCell>
                  <TableCell className="font-medium">Organization</TableCell>
                  <TableCell colSpan={mayManage ? 4 : 3} className="text-muted-foreground">
                    Without a policy: {DEFAULT_POLICY_TEXT.toLowerCase()}.
                  </TableCell>
                </TableRow>
              )}
              {rows.map((policy) => (
                <TableRow
                  key={policy.id}
                  data-testid="update-policy-row"
                  data-scope={policy.scope}
                  data-target={policy.target_id ?? ""}
                  data-channel={policy.channel}
                >
                  <TableCell>
                    <Badge variant="outline">{POLICY_SCOPE_LABELS[policy.scope]}</Badge>
                  </TableCell>
                  <TableCell className="max-w-0 truncate font-medium">
                    <PolicyTarget policy={policy} name={nameOf(policy)} />
                  </TableCell>
                  <TableCell>
                    <Badge variant={policy.channel === "manual" ? "muted" : policy.channel === "beta" ? "warning" : "secondary"}>
                      {describeChannel(policy)}
                    </Badge>
                  </TableCell>
                  <TableCell className="text-xs">{policy.maintenance_only ? "In maintenance windows" : "At any time"}</TableCell>
                  <TableCell className="text-xs text-muted-foreground">
                    {formatDateTime(policy.updated_at)} by {policy.updated_by_email}
                  </TableCell>
                  {mayManage ? (
                    <TableCell>
                      <div className="flex">
                        <UpdatePolicyDialog
                          policy={policy}
                          targetName={nameOf(policy)}
                          policies={items}
                          versions={versions}
                          trigger={
                            <Button
                              variant="ghost"
                              size="icon"
                              aria-label={`Edit the policy of ${nameOf(policy)}`}
                              data-testid="edit-update-policy"
                            >
                              <PencilIcon />
                            </Button>
                          }
                        />
                        <DeletePolicy policy={policy} name={nameOf(policy)} />
                      </div>
                    </TableCell>
                  ) : null}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
    </SectionCard>
  );
}

function PolicyTarget({ policy, name }: { policy: UpdatePolicy; name: string }) {
  const id = policy.target_id ?? "";
  const className = "hover:underline";
  if (policy.scope === "client")
    return (
      <Link to="/clients/$clientId" params={{ clientId: id }} className={className}>
        {name}
      </Link>
    );
  if (policy.scope === "site")
    return (
      <Link to="/sites/$siteId" params={{ siteId: id }} className={className}>
        {name}
      </Link>
    );
  if (policy.scope === "agent")
    return (
      <Link to="/agents/$agentId" params={{ agentId: id }} className={className}>
        {name}
      </Link>
    );
  return <span>{name}</span>;
}

function DeletePolicy({ policy, name }: { policy: UpdatePolicy; name: string }) {
  const remove = useDeleteUpdatePolicy();
  return (
    <ConfirmDialog
      trigger={
        <Button variant="ghost" size="icon" aria-label={`Delete the policy of ${name}`} data-testid="delete-update-policy">
          <Trash2Icon />
        </Button>
      }
      title="Delete this update policy?"
      description={
        policy.scope === "global"
          ? `Agents without a policy of their own go back to the default: ${DEFAULT_POLICY_TEXT.toLowerCase()}.`
          : `The agents of ${name} follow the next broader policy again (or the default: ${DEFAULT_POLICY_TEXT.toLowerCase()}).`
      }
      confirmLabel="Delete"
      onConfirm={() => remove.mutateAsync(policy.id)}
    />
  );
}
