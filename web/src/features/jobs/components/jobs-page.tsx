import { Link } from "@tanstack/react-router";
import { ListChecksIcon } from "lucide-react";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { cn } from "@/lib/utils";
import { JOBS_PER_PAGE, useJobs } from "../api/jobs";
import type { JobListSearch } from "../job-list-search";
import { JobProgressBar } from "./job-progress-bar";
import { JobStatusBadge } from "./job-status-badge";

/** Every job, newest first, with live progress. */
export function JobsPage({ search, onSearchChange }: { search: JobListSearch; onSearchChange: (next: JobListSearch) => void }) {
  useDocumentTitle("Jobs");
  const jobs = useJobs(search);
  return (
    <div className="grid gap-4">
      <PageHeader title="Jobs" description="Each script run: what it ran, where, and how every agent did." />
      <div className="flex items-center gap-2">
        <SearchInput
          label="Search jobs"
          placeholder="Search job names…"
          value={search.q ?? ""}
          onChange={(q) => onSearchChange({ q: q || undefined, page: undefined })}
          className="w-72"
        />
      </div>
      {jobs.isError ? <ErrorMessage error={jobs.error} onRetry={() => void jobs.refetch()} /> : null}
      {jobs.isPending ? (
        <Skeleton className="h-40" />
      ) : jobs.data && jobs.data.items.length === 0 ? (
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
      ) : jobs.data ? (
        <>
          <Card className="overflow-hidden">
            <Table data-testid="jobs-table" className={cn(jobs.isPlaceholderData && "opacity-60")}>
              <TableHeader>
                <TableRow>
                  <TableHead>Job</TableHead>
                  <TableHead className="w-56">Target</TableHead>
                  <TableHead className="w-48">By</TableHead>
                  <TableHead className="w-28">Started</TableHead>
                  <TableHead className="w-72">Progress</TableHead>
                  <TableHead className="w-36">Status</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {jobs.data.items.map((job) => (
                  <TableRow key={job.id} data-testid="job-row" data-job-id={job.id}>
                    <TableCell className="max-w-0 w-full">
                      <Link
                        to="/jobs/$jobId"
                        params={{ jobId: job.id }}
                        className="block truncate font-medium hover:underline"
                        title={job.name}
                      >
                        {job.name}
                      </Link>
                    </TableCell>
                    <TableCell className="max-w-56 min-w-32 truncate text-muted-foreground" title={job.target}>
                      {job.target}
                    </TableCell>
                    <TableCell className="max-w-48 truncate text-muted-foreground" title={job.created_by_email}>
                      {job.created_by_email}
                    </TableCell>
                    <TableCell className="text-muted-foreground">
                      <RelativeTime value={job.created_at} />
                    </TableCell>
                    <TableCell className="min-w-72">
                      <JobProgressBar counts={job.counts} />
                    </TableCell>
                    <TableCell>
                      <JobStatusBadge job={job} />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Card>
          <Pagination
            page={search.page ?? 1}
            perPage={jobs.data.per_page || JOBS_PER_PAGE}
            total={jobs.data.total}
            onPageChange={(next) => onSearchChange({ ...search, page: next > 1 ? next : undefined })}
          />
        </>
      ) : null}
    </div>
  );
}
