import { QueryClient } from "@tanstack/react-query";
import type { Command } from "@/api/types";
import { commandKeys } from "./api/commands";
import { applyCommandOutputEvent, applyCommandStatusEvent, mergeOutputChunk } from "./live-cache";
import { command } from "@/test/fixtures";

const output = (stream: "stdout" | "stderr", data: string, commandId = "c1", offset: number | null = null) =>
  ({ type: "command_output", command_id: commandId, agent_id: "a1", stream, data, offset }) as const;

describe("live command output in the cache", () => {
  it("appends each chunk to its own stream, in order", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(commandKeys.detail("c1"), command({ stdout: "line 1\n" }));

    applyCommandOutputEvent(queryClient, output("stdout", "line 2\nline"));
    applyCommandOutputEvent(queryClient, output("stderr", "warning: disk\n"));
    applyCommandOutputEvent(queryClient, output("stdout", " 3\n"));

    expect(queryClient.getQueryData<Command>(commandKeys.detail("c1"))).toMatchObject({
      stdout: "line 1\nline 2\nline 3\n",
      stderr: "warning: disk\n",
    });
  });

  it("places chunks by offset, so output already in a fetched snapshot is not shown twice", () => {
    const queryClient = new QueryClient();
    // The snapshot was fetched after "line 1\nline 2\n" was stored, but its events arrive afterwards.
    queryClient.setQueryData(commandKeys.detail("c1"), command({ stdout: "line 1\nline 2\n" }));

    applyCommandOutputEvent(queryClient, output("stdout", "line 1\n", "c1", 0));
    applyCommandOutputEvent(queryClient, output("stdout", "line 2\nline 3\n", "c1", 7));
    applyCommandOutputEvent(queryClient, output("stdout", "line 4\n", "c1", 21));

    expect(queryClient.getQueryData<Command>(commandKeys.detail("c1"))?.stdout).toBe("line 1\nline 2\nline 3\nline 4\n");
  });

  it("counts offsets in UTF-8 bytes, skips chunks after a gap and appends without an offset", () => {
    // "é" is two bytes: the chunk at byte 3 starts right after "hé".
    expect(mergeOutputChunk("hé", "hé wörld", 0)).toBe("hé wörld");
    expect(mergeOutputChunk("hé w", "wörld", 4)).toBe("hé wörld");
    expect(mergeOutputChunk("hé", " wörld", 3)).toBe("hé wörld");
    expect(mergeOutputChunk("abc", "xyz", 10)).toBe("abc");
    expect(mergeOutputChunk("abc", "abc", null)).toBe("abcabc");
  });

  it("shows a queued command as running once its output arrives", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(commandKeys.detail("c1"), command({ status: "queued", started_at: null }));
    applyCommandOutputEvent(queryClient, output("stdout", "x"));
    expect(queryClient.getQueryData<Command>(commandKeys.detail("c1"))?.status).toBe("running");
  });

  it("leaves other commands, uncached commands and finished commands alone", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(commandKeys.detail("c1"), command({ stdout: "mine" }));
    queryClient.setQueryData(commandKeys.detail("done"), command({ id: "done", status: "completed", stdout: "all\n" }));

    applyCommandOutputEvent(queryClient, output("stdout", "other", "c2"));
    applyCommandOutputEvent(queryClient, output("stdout", "all\n", "done"));

    expect(queryClient.getQueryData<Command>(commandKeys.detail("c1"))?.stdout).toBe("mine");
    expect(queryClient.getQueryData(commandKeys.detail("c2"))).toBeUndefined();
    expect(queryClient.getQueryData<Command>(commandKeys.detail("done"))?.stdout).toBe("all\n");
  });

  it("takes the status and exit code from a status event", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(commandKeys.detail("c1"), command({ stdout: "kept" }));
    applyCommandStatusEvent(queryClient, {
      type: "command_status",
      command_id: "c1",
      agent_id: "a1",
      status: "failed",
      exit_code: 2,
      job_id: null,
    });
    expect(queryClient.getQueryData<Command>(commandKeys.detail("c1"))).toMatchObject({ status: "failed", exit_code: 2, stdout: "kept" });
  });
});
