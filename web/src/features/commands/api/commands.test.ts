import type { Command } from "@/api/types";
import { keepNewerOutput } from "./commands";
import { command as runningCommand } from "@/test/fixtures";

const command = (overrides: Partial<Command>) => runningCommand({ command: "tail -f log", ...overrides });

describe("keepNewerOutput", () => {
  it("keeps live chunks that arrived while a running command was being fetched", () => {
    const cached = command({ stdout: "a\nb\nc\n", stderr: "warn\n" });
    const fetched = command({ stdout: "a\nb\n", stderr: "warn\n", started_at: "2026-01-01T00:00:01.5Z" });
    expect(keepNewerOutput(cached, fetched)).toMatchObject({ stdout: "a\nb\nc\n", stderr: "warn\n", started_at: "2026-01-01T00:00:01.5Z" });
  });

  it("takes the server's output when the cache does not extend it", () => {
    const fetched = command({ stdout: "a\nb\n" });
    expect(keepNewerOutput(command({ stdout: "a\n" }), fetched).stdout).toBe("a\nb\n");
    expect(keepNewerOutput(command({ stdout: "x\ny\nz\n" }), fetched).stdout).toBe("a\nb\n");
    expect(keepNewerOutput(undefined, fetched)).toBe(fetched);
  });

  it("always takes a finished command's stored output, which is complete", () => {
    const fetched = command({ status: "completed", stdout: "a\n" });
    expect(keepNewerOutput(command({ stdout: "a\na\n" }), fetched)).toBe(fetched);
  });
});
