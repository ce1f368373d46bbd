import { Link } from "@tanstack/react-router";
import { ListChecksIcon } from "lucide-react";
import type { Job } from "@/api/types";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { changeListSearch } from "@/lib/search-params";
import { JOBS_PER_PAGE, useJobs } from "../api/jobs";
import type { JobListSearch } from "../job-list-search";
import { JobProgressBar } from "./job-progress-bar";
import { JobStatusBadge } from "./job-status-badge";

/** Every job, newest first, with live progress. */
export function JobsPage({ search, onSearchChange }: { search: JobListSearch; onSearchChange: (next: JobListSearch) => void }) {
  useDocumentTitle("Jobs");
  const jobs = useJobs(search);
  const change = (partial: Partial<JobListSearch>) => onSearchChange(changeListSearch(search, partial));
  return (
    <div className="grid gap-4">
      <PageHeader title="Jobs" description="Each script run: what it ran, where, and how every agent did." />
      <div className="flex items-center gap-2">
        <SearchInput
          label="Search jobs"
          placeholder="Search job names…"
          value={search.q ?? ""}
          onChange={(q) => change({ q: q || undefined })}
          className="w-72"
        />
      </div>
      <DataTable
        query={jobs}
        columns={JOB_COLUMNS}
        rowKey={(job) => job.id}
        rowProps={(job) => ({ "data-testid": "job-row", "data-job-id": job.id })}
        testId="jobs-table"
        framed
        dimmed={jobs.isPlaceholderData}
        empty={
          search.q ? (
            <EmptyState icon={ListChecksIcon} title="No job matches your search" />
          ) : (
            <EmptyState icon={ListChecksIcon} title="No jobs yet" data-testid="jobs-empty">
              Run a script from the{" "}
              <Link to="/scripts" className="text-primary hover:underline">
                script library
              </Link>{" "}
              on agents, a site or a client: the job and each agent's result appear here.
            </EmptyState>
          )
        }
        pagination={{ page: search.page ?? 1, perPage: JOBS_PER_PAGE, onPageChange: (page) => change({ page }) }}
      />
    </div>
  );
}

const JOB_COLUMNS: DataColumn<Job>[] = [
  {
    header: "Job",
    fill: true,
    cell: (job) => (
      <Link to="/jobs/$jobId" params={{ jobId: job.id }} className="block truncate font-medium hover:underline" title={job.name}>
        {job.name}
      </Link>
    ),
  },
  {
    header: "Target",
    headerClassName: "w-56",
    className: "max-w-56 min-w-32 truncate text-muted-foreground",
    cellProps: (job) => ({ title: job.target }),
    cell: (job) => job.target,
  },
  {
    header: "By",
    headerClassName: "w-48",
    className: "max-w-48 truncate text-muted-foreground",
    cellProps: (job) => ({ title: job.created_by_email }),
    cell: (job) => job.created_by_email,
  },
  {
    header: "Started",
    headerClassName: "w-28",
    className: "text-muted-foreground",
    cell: (job) => <RelativeTime value={job.created_at} />,
  },
  { header: "Progress", headerClassName: "w-72", className: "min-w-72", cell: (job) => <JobProgressBar counts={job.counts} /> },
  { header: "Status", headerClassName: "w-36", cell: (job) => <JobStatusBadge job={job} /> },
];
