//! The policies list: each policy with its checks, its settings and where it is assigned.
import { Link } from "@tanstack/react-router";
import { PlusIcon, ShieldIcon } from "lucide-react";
import type { Policy, PolicyAssignment } from "@/api/types";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { POLICY_SCOPE_LABELS } from "@/lib/monitoring";
import { usePolicies, usePolicyAssignments } from "../api/policies";

export function PoliciesPage() {
  useDocumentTitle("Policies");
  const mayMutate = useCan("manage_policies");
  const policies = usePolicies();
  const assignments = usePolicyAssignments();
  const byPolicy = new Map<string, PolicyAssignment[]>();
  for (const assignment of assignments.data?.items ?? []) {
    byPolicy.set(assignment.policy_id, [...(byPolicy.get(assignment.policy_id) ?? []), assignment]);
  }
  // The API answers the whole list; the table reads it as one page.
  const list = {
    ...policies,
    data: policies.data ? { items: policies.data.items, total: policies.data.items.length, per_page: 0 } : undefined,
  };
  const newButton = mayMutate ? (
    <Button asChild>
      <Link to="/policies/new" data-testid="new-policy-button">
        <PlusIcon /> New policy
      </Link>
    </Button>
  ) : null;
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Policies"
        description="Checks, alert rules and telemetry settings, assigned globally or to clients, sites and agents."
        actions={newButton}
      />
      <DataTable
        query={list}
        columns={policyColumns((policy) => byPolicy.get(policy.id) ?? [])}
        rowKey={(policy) => policy.id}
        rowProps={(policy) => ({ "data-testid": "policy-row", "data-policy-id": policy.id })}
        testId="policies-table"
        framed
        empty={
          <EmptyState icon={ShieldIcon} title="No policy yet" action={newButton} data-testid="policies-empty">
            A policy holds checks (CPU, disk, ping, ports, websites, services, scripts…) and alert settings. Assign it globally for every
            agent, or to a client, site or agent.
          </EmptyState>
        }
      />
    </div>
  );
}

function policyColumns(assignmentsOf: (policy: Policy) => PolicyAssignment[]): DataColumn<Policy>[] {
  return [
    {
      header: "Policy",
      fill: true,
      cell: (policy) => (
        <div className="grid min-w-0">
          <Link to="/policies/$policyId" params={{ policyId: policy.id }} className="truncate font-medium hover:underline">
            {policy.name}
          </Link>
          {policy.description ? <span className="truncate text-xs text-muted-foreground">{policy.description}</span> : null}
        </div>
      ),
    },
    {
      header: "Checks",
      headerClassName: "w-24",
      className: "tabular-nums",
      cell: (policy) => {
        const checks = [...(policy.checks ?? []), ...(policy.template_checks ?? [])];
        const disabled = checks.filter((check) => check.enabled === false).length;
        return (
          <span title={checks.map((check) => check.name ?? "template").join(", ")}>
            {checks.length}
            {disabled > 0 ? <span className="text-xs text-muted-foreground"> ({disabled} off)</span> : null}
          </span>
        );
      },
    },
    {
      header: "Assigned to",
      headerClassName: "w-72",
      className: "max-w-72",
      cell: (policy) => {
        const assigned = assignmentsOf(policy);
        if (assigned.length === 0) return <span className="text-xs text-muted-foreground">nowhere</span>;
        return (
          <span className="flex flex-wrap gap-1">
            {assigned.map((assignment) => (
              <Badge key={assignment.id} variant="outline" title={assignment.block_inheritance ? "blocks inheritance" : undefined}>
                {assignment.scope === "global" ? "Global" : `${POLICY_SCOPE_LABELS[assignment.scope]}: ${assignment.target_name ?? "?"}`}
              </Badge>
            ))}
          </span>
        );
      },
    },
    {
      header: "Changed",
      headerClassName: "w-28",
      className: "text-muted-foreground",
      cell: (policy) => <RelativeTime value={policy.updated_at} />,
    },
  ];
}
