//! The script library and jobs routes. The job page composes the jobs feature with the commands
//! feature's status badge and terminal view.
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import type { Job } from "@/api/types";
import { CommandStatusBadge } from "@/features/commands/components/command-status-badge";
import { CommandTerminal } from "@/features/commands/components/command-terminal";
import { JobPage } from "@/features/jobs/components/job-page";
import { JobsPage } from "@/features/jobs/components/jobs-page";
import { ScriptEditorPage } from "@/features/scripts/components/script-editor-page";
import { ScriptsPage } from "@/features/scripts/components/scripts-page";

const scriptsApi = getRouteApi("/authed/scripts");
const scriptApi = getRouteApi("/authed/scripts/$scriptId");
const jobsApi = getRouteApi("/authed/jobs");
const jobApi = getRouteApi("/authed/jobs/$jobId");

function useGoToJob() {
  const navigate = useNavigate();
  return (job: Job) => void navigate({ to: "/jobs/$jobId", params: { jobId: job.id } });
}

export function ScriptsRoute() {
  const search = scriptsApi.useSearch();
  const navigate = useNavigate();
  const goToJob = useGoToJob();
  return <ScriptsPage search={search} onSearchChange={(next) => void navigate({ to: "/scripts", search: next })} onJobStarted={goToJob} />;
}

export function NewScriptRoute() {
  const navigate = useNavigate();
  const goToJob = useGoToJob();
  return (
    <ScriptEditorPage
      onCreated={(script) => void navigate({ to: "/scripts/$scriptId", params: { scriptId: script.id }, replace: true })}
      onDeleted={() => void navigate({ to: "/scripts" })}
      onJobStarted={goToJob}
    />
  );
}

export function ScriptRoute() {
  const { scriptId } = scriptApi.useParams();
  const navigate = useNavigate();
  const goToJob = useGoToJob();
  return (
    <ScriptEditorPage
      key={scriptId}
      scriptId={scriptId}
      onCreated={(script) => void navigate({ to: "/scripts/$scriptId", params: { scriptId: script.id } })}
      onDeleted={() => void navigate({ to: "/scripts" })}
      onJobStarted={goToJob}
    />
  );
}

export function JobsRoute() {
  const search = jobsApi.useSearch();
  const navigate = useNavigate();
  return <JobsPage search={search} onSearchChange={(next) => void navigate({ to: "/jobs", search: next })} />;
}

export function JobRoute() {
  const { jobId } = jobApi.useParams();
  const search = jobApi.useSearch();
  const navigate = useNavigate();
  const goToJob = useGoToJob();
  return (
    <JobPage
      key={jobId}
      jobId={jobId}
      search={search}
      onSearchChange={(next) => void navigate({ to: "/jobs/$jobId", params: { jobId }, search: next, replace: true })}
      onRerun={goToJob}
      renderCommandStatus={(status) => <CommandStatusBadge status={status} />}
      renderCommandOutput={(commandId) => <CommandTerminal key={commandId} commandId={commandId} />}
    />
  );
}
