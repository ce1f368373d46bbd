import { formatJobParameters, jobProgress } from "./job-progress";

describe("jobProgress", () => {
  it("splits the bar by count and counts finished agents either way", () => {
    const progress = jobProgress({ total: 8, completed: 4, failed: 2, running: 1, queued: 1 });
    expect(progress.percent).toEqual({ completed: 50, failed: 25, running: 12.5, queued: 12.5 });
    expect(progress.finished).toBe(6);
    expect(progress.label).toBe("6 of 8 finished");
  });

  it("shows an empty bar for a job without agents", () => {
    const progress = jobProgress({ total: 0, completed: 0, failed: 0, running: 0, queued: 0 });
    expect(progress.percent).toEqual({ completed: 0, failed: 0, running: 0, queued: 0 });
    expect(progress.label).toBe("0 of 0 finished");
  });
});

describe("formatJobParameters", () => {
  it("shows each value as it was sent, strings unquoted", () => {
    expect(formatJobParameters({ Name: `it's "me"`, Count: 3, Force: false })).toEqual([
      { name: "Name", value: `it's "me"`, hidden: false },
      { name: "Count", value: "3", hidden: false },
      { name: "Force", value: "false", hidden: false },
    ]);
    expect(formatJobParameters(null)).toEqual([]);
  });

  it("names the vault entry a secret parameter's value came from", () => {
    expect(formatJobParameters({ Password: { vault_entry_id: "e-1", entry_name: "Domain admin" } })).toEqual([
      { name: "Password", value: "Domain admin", hidden: false, vault: true },
    ]);
  });

  it("marks a secret parameter's value, hidden for everyone, without its placeholder", () => {
    expect(formatJobParameters({ Password: "********", Days: 7 })).toEqual([
      { name: "Password", value: "", hidden: true },
      { name: "Days", value: "7", hidden: false },
    ]);
  });
});
