//! What reaches an agent once every assigned policy is merged: each setting and check with the
//! scope and policy it comes from, the checks a more specific policy replaced or switched off, and
//! the assignments cut off by a block of inheritance.
import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import type { EffectiveCheck, PolicySource, SourcedSetting } from "@/api/types";
import { ErrorMessage } from "@/components/error-message";
import { SeverityBadge } from "@/components/monitoring-badges";
import { Badge } from "@/components/ui/badge";
import { SectionCard } from "@/components/section-card";
import { Skeleton } from "@/components/ui/skeleton";
import { POLICY_SCOPE_LABELS } from "@/lib/monitoring";
import { useEffectivePolicy } from "../api/checks";
import { useClientScope } from "@/lib/auth";

export function EffectivePolicyView({ agentId }: { agentId: string }) {
  const effective = useEffectivePolicy(agentId);
  if (effective.isPending) return <Skeleton className="h-64" />;
  if (effective.isError) return <ErrorMessage error={effective.error} onRetry={() => void effective.refetch()} />;
  const policy = effective.data;
  return (
    <div className="grid gap-3" data-testid="effective-policy">
      <SectionCard
        title="Applied policies"
        description="Merged least specific first; a later one wins a setting or a check of the same name."
        contentClassName="grid gap-2"
      >
        {policy.applied.length === 0 ? (
          <p className="text-sm text-muted-foreground" data-testid="no-applied-policy">
            No policy reaches this agent.
          </p>
        ) : (
          <ol className="flex flex-wrap items-center gap-1.5 text-sm" data-testid="applied-policies">
            {policy.applied.map((source, index) => (
              <li key={source.assignment_id} className="flex items-center gap-1.5">
                {index > 0 ? <span className="text-muted-foreground">→</span> : null}
                <Source source={source} />
              </li>
            ))}
          </ol>
        )}
        {policy.blocked.length > 0 ? (
          <div className="text-sm" data-testid="blocked-policies">
            <span className="text-muted-foreground">Blocked by inheritance: </span>
            {policy.blocked.map((source) => (
              <span key={source.assignment_id} className="mr-2 line-through opacity-70">
                <Source source={source} />
              </span>
            ))}
          </div>
        ) : null}
      </SectionCard>
      <SectionCard title="Settings">
        <dl className="grid gap-1 text-sm sm:grid-cols-[14rem_1fr]" data-testid="effective-settings">
          <Setting
            label="Offline alert after"
            setting={policy.offline_alert_after_seconds}
            format={(value) => `${Math.round(value / 60)} min`}
          />
          <Setting label="Remind every" setting={policy.renotify_minutes} format={(value) => (value === 0 ? "never" : `${value} min`)} />
          <Setting label="Metrics every" setting={policy.metrics_interval_seconds} format={(value) => `${value} s`} />
          <dt className="text-muted-foreground">Notifications</dt>
          <dd>
            {policy.notify ? (
              <span>
                {policy.notify.value.length} route{policy.notify.value.length === 1 ? "" : "s"} <Source source={policy.notify.source} />
              </span>
            ) : (
              <span className="text-muted-foreground">server default</span>
            )}
          </dd>
        </dl>
      </SectionCard>
      <SectionCard title="Checks" contentClassName="grid gap-3">
        {policy.checks.length === 0 ? (
          <p className="text-sm text-muted-foreground">No check.</p>
        ) : (
          <CheckList checks={policy.checks} testId="effective-checks" />
        )}
        {policy.disabled_checks.length > 0 ? (
          <div className="grid gap-1">
            <h3 className="text-xs font-medium text-muted-foreground">Switched off by a more specific policy</h3>
            <CheckList checks={policy.disabled_checks} testId="disabled-checks" muted />
          </div>
        ) : null}
      </SectionCard>
    </div>
  );
}

function CheckList({ checks, testId, muted = false }: { checks: EffectiveCheck[]; testId: string; muted?: boolean }) {
  return (
    <ul className="grid divide-y rounded-md border text-sm" data-testid={testId}>
      {checks.map((check) => (
        <li
          key={check.name}
          className={muted ? "grid gap-0.5 px-3 py-1.5 opacity-70" : "grid gap-0.5 px-3 py-1.5"}
          data-testid="effective-check"
          data-check-name={check.name}
        >
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium">{check.name}</span>
            <Badge variant="outline">{check.type}</Badge>
            {check.severity ? <SeverityBadge severity={check.severity} /> : null}
            {check.template_id ? <Badge variant="muted">from a template</Badge> : null}
            <span className="ml-auto">
              <Source source={check.source} />
            </span>
          </div>
          {check.overrides.length > 0 ? (
            <p className="text-xs text-muted-foreground" data-testid="check-overrides">
              Replaces the check of the same name from{" "}
              {check.overrides.map((source, index) => (
                <Fragmented key={source.assignment_id} first={index === 0}>
                  <Source source={source} />
                </Fragmented>
              ))}
            </p>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function Fragmented({ first, children }: { first: boolean; children: ReactNode }) {
  return (
    <>
      {first ? null : ", "}
      {children}
    </>
  );
}

function Setting({
  label,
  setting,
  format,
}: {
  label: string;
  setting: SourcedSetting | null | undefined;
  format: (value: number) => string;
}) {
  return (
    <>
      <dt className="text-muted-foreground">{label}</dt>
      <dd>
        {setting ? (
          <span>
            {format(setting.value)} <Source source={setting.source} />
          </span>
        ) : (
          <span className="text-muted-foreground">server default</span>
        )}
      </dd>
    </>
  );
}

/** "Baseline (global)", linking to the policy (named only, for a user limited to some clients: policies are not open to them). */
function Source({ source }: { source: PolicySource }) {
  const scoped = useClientScope() !== null;
  return (
    <span className="inline-flex items-center gap-1 text-xs" data-testid="policy-source" data-scope={source.scope}>
      {scoped ? (
        <span className="font-medium">{source.policy_name}</span>
      ) : (
        <Link to="/policies/$policyId" params={{ policyId: source.policy_id }} className="font-medium hover:underline">
          {source.policy_name}
        </Link>
      )}
      <Badge variant="muted">{POLICY_SCOPE_LABELS[source.scope]}</Badge>
    </span>
  );
}
