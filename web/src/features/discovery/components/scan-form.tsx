//! The scan form: the agent that scans (the site's first online one unless picked), the ranges
//! (its private networks unless typed), the ports, the probe timeout and rate (the server's defaults
//! unless typed). The lists are split here; whether a range may be scanned is the server's rule, and
//! its refusal is shown under the form as it words it.
import { RadarIcon } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { errorMessage } from "@/api/errors";
import type { AgentSummary, DiscoveryDefaults, ScanRequest } from "@/api/types";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Textarea } from "@/components/ui/textarea";
import { useScanningAgent, useSiteAgents, useStartScan } from "../api/discovery";
import { parsePortList, parseRangeList, parseWholeNumber, suggestedRanges } from "../network-ranges";

type ScanField = "ranges" | "ports" | "timeout" | "rate";
type ScanFormErrors = Partial<Record<ScanField, string>>;

/** The agent a scan starts on: the one picked, else the first online one, else the first. */
function defaultAgent(agents: readonly AgentSummary[]): AgentSummary | undefined {
  return agents.find((agent) => agent.status === "online") ?? agents[0];
}

export function ScanForm({
  siteId,
  defaults,
  scanRunning,
}: {
  siteId: string;
  defaults: DiscoveryDefaults;
  /** A scan of the site is queued or running: it is cancelled or awaited before another starts. */
  scanRunning: boolean;
}) {
  const agents = useSiteAgents(siteId);
  if (agents.isPending) return <Skeleton className="h-40" />;
  if (agents.isError) return <ErrorMessage error={agents.error} onRetry={() => void agents.refetch()} />;
  if (agents.data.items.length === 0) {
    return (
      <EmptyState icon={RadarIcon} title="No agent in this site" data-testid="scan-no-agents">
        A scan runs on one of the site&apos;s agents. Enroll a computer into the site first.
      </EmptyState>
    );
  }
  return <ScanFormFields siteId={siteId} defaults={defaults} agents={agents.data.items} scanRunning={scanRunning} />;
}

function ScanFormFields({
  siteId,
  defaults,
  agents,
  scanRunning,
}: {
  siteId: string;
  defaults: DiscoveryDefaults;
  agents: AgentSummary[];
  scanRunning: boolean;
}) {
  const ids = useId();
  const [pickedAgentId, setPickedAgentId] = useState<string | undefined>(undefined);
  const agent = agents.find((candidate) => candidate.id === pickedAgentId) ?? defaultAgent(agents);
  const agentDetail = useScanningAgent(agent?.id);
  // Null: the field shows its suggestion (the agent's networks, the server's defaults) until typed in.
  const [rangesText, setRangesText] = useState<string | null>(null);
  const [portsText, setPortsText] = useState<string | null>(null);
  const [timeoutText, setTimeoutText] = useState<string | null>(null);
  const [rateText, setRateText] = useState<string | null>(null);
  const [errors, setErrors] = useState<ScanFormErrors>({});
  const startScan = useStartScan(siteId);

  const suggested = agentDetail.data
    ? suggestedRanges(agentDetail.data.interfaces, agentDetail.data.local_ip, defaults.max_addresses).join(", ")
    : "";
  const values = {
    ranges: rangesText ?? suggested,
    ports: portsText ?? defaults.ports.join(", "),
    timeout: timeoutText ?? String(defaults.timeout_ms),
    rate: rateText ?? String(defaults.rate_per_second),
  };

  const submit = () => {
    if (!agent) return;
    const ranges = parseRangeList(values.ranges);
    const ports = parsePortList(values.ports);
    const timeout = parseWholeNumber(values.timeout);
    const rate = parseWholeNumber(values.rate);
    const found: ScanFormErrors = {
      ranges: ranges.length === 0 ? "Enter at least one range, e.g. 192.168.1.0/24." : undefined,
      ports: ports.error,
      timeout: timeout.error,
      rate: rate.error,
    };
    setErrors(found);
    if (Object.values(found).some(Boolean) || !ports.ports || timeout.value === undefined || rate.value === undefined) return;
    const request: ScanRequest = {
      agent_id: agent.id,
      ranges,
      ports: ports.ports,
      timeout_ms: timeout.value,
      rate_per_second: rate.value,
    };
    startScan.mutate(request);
  };

  const fieldError = (field: ScanField) =>
    errors[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`scan-${field}-error`}>
        {errors[field]}
      </p>
    ) : null;
  const invalidProps = (field: ScanField) => (errors[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {});
  const change = (field: ScanField, set: (value: string) => void) => (value: string) => {
    set(value);
    // A corrected field stops showing its old complaint.
    if (errors[field]) setErrors((current) => ({ ...current, [field]: undefined }));
  };

  return (
    <form
      noValidate
      aria-label="New scan"
      className="grid gap-4"
      data-testid="scan-form"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        submit();
      }}
    >
      <div className="grid gap-4 md:grid-cols-[16rem_minmax(0,1fr)]">
        <FormField label="Agent" htmlFor={`${ids}-agent`} hint="The computer on the site's network that runs the scan.">
          <Select
            value={agent?.id}
            onValueChange={(value) => {
              setPickedAgentId(value);
              // The new agent's networks replace what was suggested or typed for the old one.
              setRangesText(null);
            }}
          >
            <SelectTrigger id={`${ids}-agent`} className="w-full" data-testid="scan-agent-select">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {agents.map((candidate) => (
                <SelectItem key={candidate.id} value={candidate.id} data-testid="scan-agent-option" data-agent-id={candidate.id}>
                  {candidate.alias ? `${candidate.alias} (${candidate.hostname})` : candidate.hostname} · {candidate.status}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </FormField>
        <FormField
          label="Ranges"
          htmlFor={`${ids}-ranges`}
          hint={`Private IPv4 networks or addresses, separated by commas, spaces or lines: at most ${defaults.max_ranges} ranges and ${defaults.max_addresses.toLocaleString("en-US")} addresses in all.`}
          error={fieldError("ranges")}
        >
          <Textarea
            id={`${ids}-ranges`}
            rows={2}
            value={values.ranges}
            placeholder={agentDetail.isPending ? "Reading the agent's networks…" : "e.g. 192.168.1.0/24"}
            onChange={(event) => change("ranges", setRangesText)(event.target.value)}
            data-testid="scan-ranges-input"
            {...invalidProps("ranges")}
          />
        </FormField>
      </div>
      <div className="grid gap-4 md:grid-cols-[minmax(0,1fr)_10rem_10rem]">
        <FormField
          label="Ports"
          htmlFor={`${ids}-ports`}
          hint={`TCP ports probed on each address, at most ${defaults.max_ports}.`}
          error={fieldError("ports")}
        >
          <Input
            id={`${ids}-ports`}
            value={values.ports}
            onChange={(event) => change("ports", setPortsText)(event.target.value)}
            data-testid="scan-ports-input"
            {...invalidProps("ports")}
          />
        </FormField>
        <FormField label="Timeout (ms)" htmlFor={`${ids}-timeout`} hint="Per connection attempt." error={fieldError("timeout")}>
          <Input
            id={`${ids}-timeout`}
            inputMode="numeric"
            value={values.timeout}
            onChange={(event) => change("timeout", setTimeoutText)(event.target.value)}
            data-testid="scan-timeout-input"
            {...invalidProps("timeout")}
          />
        </FormField>
        <FormField label="Rate (per second)" htmlFor={`${ids}-rate`} hint="Attempts started each second." error={fieldError("rate")}>
          <Input
            id={`${ids}-rate`}
            inputMode="numeric"
            value={values.rate}
            onChange={(event) => change("rate", setRateText)(event.target.value)}
            data-testid="scan-rate-input"
            {...invalidProps("rate")}
          />
        </FormField>
      </div>
      {startScan.isError ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="scan-form-error">
          {errorMessage(startScan.error)}
        </p>
      ) : null}
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={startScan.isPending || scanRunning} data-testid="scan-start">
          <RadarIcon /> {startScan.isPending ? "Starting…" : "Start scan"}
        </Button>
        {scanRunning ? <span className="text-sm text-muted-foreground">A scan of this site is under way.</span> : null}
        {agent && agent.status !== "online" ? (
          <span className="text-sm text-muted-foreground" data-testid="scan-agent-offline">
            {agent.hostname} is offline: the scan starts when it connects.
          </span>
        ) : null}
      </div>
    </form>
  );
}
