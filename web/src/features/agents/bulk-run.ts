//! Runs one bulk action over a long selection of agents in calls of `BULK_CHUNK`, reporting progress
//! after each call, and gathers what failed (with the server's reason) for the result.
import type { AgentBulkRequest, AgentBulkResult } from "@/api/types";

export interface BulkProgress {
  done: number;
  total: number;
  succeeded: number;
  failed: { agent_id: string; error: string }[];
}

export async function runBulk(
  ids: readonly string[],
  request: Omit<AgentBulkRequest, "agent_ids">,
  send: (body: AgentBulkRequest) => Promise<AgentBulkResult>,
  chunk: number,
  onProgress: (progress: BulkProgress) => void,
): Promise<BulkProgress> {
  const progress: BulkProgress = { done: 0, total: ids.length, succeeded: 0, failed: [] };
  onProgress({ ...progress });
  for (let start = 0; start < ids.length; start += chunk) {
    const result = await send({ ...request, agent_ids: ids.slice(start, start + chunk) });
    for (const outcome of result.results) {
      if (outcome.ok) progress.succeeded += 1;
      else progress.failed.push({ agent_id: outcome.agent_id, error: outcome.error ?? "failed" });
    }
    progress.done = Math.min(ids.length, start + chunk);
    onProgress({ ...progress, failed: [...progress.failed] });
  }
  return progress;
}
