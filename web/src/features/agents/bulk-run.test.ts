import type { AgentBulkRequest } from "@/api/types";
import { runBulk, type BulkProgress } from "./bulk-run";

describe("runBulk", () => {
  it("sends the selection in chunks and reports progress and failures", async () => {
    const sent: AgentBulkRequest[] = [];
    const seen: BulkProgress[] = [];
    const ids = ["a", "b", "c", "d", "e"];
    const result = await runBulk(
      ids,
      { action: "tag", tags: ["x"] },
      (body) => {
        sent.push(body);
        return Promise.resolve({
          action: body.action,
          succeeded: 0,
          failed: 0,
          results: body.agent_ids.map((id) =>
            id === "d" ? { agent_id: id, ok: false, error: "agent not found" } : { agent_id: id, ok: true },
          ),
        });
      },
      2,
      (progress) => seen.push(progress),
    );
    expect(sent.map((body) => body.agent_ids)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(sent[0]).toMatchObject({ action: "tag", tags: ["x"] });
    expect(seen.map((progress) => progress.done)).toEqual([0, 2, 4, 5]);
    expect(result).toEqual({ done: 5, total: 5, succeeded: 4, failed: [{ agent_id: "d", error: "agent not found" }] });
  });

  it("stops at the first refused call, leaving the rest undone", async () => {
    let calls = 0;
    await expect(
      runBulk(
        ["a", "b", "c"],
        { action: "delete" },
        () => {
          calls += 1;
          return Promise.reject(new Error("forbidden"));
        },
        1,
        () => {},
      ),
    ).rejects.toThrow("forbidden");
    expect(calls).toBe(1);
  });
});
