//! Workflow shortcuts in the browser against a real server and its live agent: a script run from the
//! agent's page shows its live output on the job page, the job exports as CSV, the agent's history
//! names the script and runs it again, the site and client pages offer the same with their target,
//! and a script's versions are compared and restored.
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  agentHostname,
  apiClient,
  baseUrl,
  expectOk,
  LIVE_TIMEOUT_MS,
  logIn,
  onlineAgent,
  pickScriptToRun,
  PROMPT_MS,
  setUpBrowser,
} from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
beforeAll(() => {
  page = session.page;
});

/** The cells of an RFC 4180 document (the server's export), without its byte order mark. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  const chars = text.replace(/^\uFEFF/, "");
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index];
    if (quoted) {
      if (char === '"' && chars[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(cell);
      cell = "";
    } else if (char === "\n") {
      row.push(cell.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      cell = "";
    } else cell += char;
  }
  return rows;
}

describe("workflow shortcuts against a live server", () => {
  it("runs a script from the agent page, follows and exports the job, runs it again from the history, and restores a script version", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const scriptName = `E2E workflow ${unique}`;
    const greeting = `hi from ${unique}`;
    const { authed } = await apiClient();
    const agent = await onlineAgent(authed);
    // A first line a spreadsheet would evaluate, and the parameter as argument and environment.
    const body = 'echo "=1+1"\necho "$1 / $Greeting"\n';
    const script = expectOk(
      await authed.POST("/api/v1/scripts", {
        body: {
          name: scriptName,
          command_type: "script",
          interpreter: "bash",
          body,
          parameters: [{ name: "Greeting", type: "string", required: true }],
        },
      }),
      "creating the script",
    );
    const expectedOutput = `=1+1\n${greeting} / ${greeting}`;
    let jobId = "";

    await step("log in and open the live agent's page", async () => {
      await logIn(page);
      await page.goto(`${baseUrl}/agents/${agent.id}`);
      await page.getByTestId("agent-hostname").filter({ hasText: agentHostname }).waitFor();
    });

    await step("run the script from the agent page's header", async () => {
      const dialog = await pickScriptToRun(page, scriptName);
      // The agent the page is about is the target already, named by its hostname.
      expect(await dialog.getByTestId("selected-agents").textContent()).toContain(agentHostname);
      await dialog.getByTestId("run-parameter-Greeting").fill(greeting);
      await dialog.getByTestId("run-script-submit").click();
      await page.waitForURL(/\/jobs\/[0-9a-f-]{36}/);
      jobId = /\/jobs\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? "";
    });

    await step("see the agent's live output and exit code on the job page", async () => {
      const output = page.getByTestId("job-agent-output");
      await output.locator('[data-stream="stdout"]', { hasText: greeting }).first().waitFor({ timeout: LIVE_TIMEOUT_MS });
      await page.locator('[data-testid="job-page"][data-status="done"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
      await output.getByTestId("command-exit-code").filter({ hasText: "0" }).waitFor();
      expect((await output.getByTestId("command-output").textContent())?.trim()).toBe(expectedOutput);
    });

    await step("export the job's results as CSV", async () => {
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv-button").click()]);
      expect(download.suggestedFilename()).toBe(`job-${jobId}-results.csv`);
      const rows = parseCsv(await readFile(await download.path(), "utf8"));
      expect(rows[0]).toEqual([
        "hostname",
        "agent_id",
        "status",
        "exit_code",
        "started_at",
        "finished_at",
        "error",
        "stdout",
        "stderr",
        "output_truncated",
      ]);
      expect(rows).toHaveLength(2);
      const [hostname, agentId, status, exitCode, , , , stdout] = rows[1] ?? [];
      expect([hostname, agentId, status, exitCode]).toEqual([agentHostname, agent.id, "completed", "0"]);
      // The first line would be a formula in a spreadsheet: it is quoted out.
      expect(stdout?.trim()).toBe(`'${expectedOutput}`);
    });

    await step("find the script and its job in the agent's command history, not its code", async () => {
      await page.goto(`${baseUrl}/agents/${agent.id}`);
      const history = page.getByTestId("command-history-card");
      const row = history
        .getByTestId("command-row")
        .filter({ has: page.getByTestId("command-script-link") })
        .first();
      await row.waitFor();
      expect(await row.getByTestId("command-script-link").textContent()).toBe(`${scriptName} v1`);
      expect(await row.getByTestId("command-job-link").getAttribute("href")).toBe(`/jobs/${jobId}`);
      expect(await row.textContent()).not.toContain("$Greeting");
    });

    await step("run the command again from the history and watch its output", async () => {
      const row = page
        .getByTestId("command-history-card")
        .getByTestId("command-row")
        .filter({ has: page.getByTestId("command-script-link") })
        .first();
      const original = await row.getAttribute("data-command-id");
      await row.getByTestId("rerun-command-button").click();
      const confirm = page.getByRole("alertdialog");
      expect(await confirm.textContent()).toContain(`${scriptName} version 1`);
      await confirm.getByRole("button", { name: "Run again" }).click();
      const dialog = page.getByTestId("command-output-dialog");
      await dialog.locator('[data-stream="stdout"]', { hasText: greeting }).first().waitFor({ timeout: PROMPT_MS });
      await dialog.getByTestId("command-exit-code").filter({ hasText: "0" }).waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect((await dialog.getByTestId("command-output").textContent())?.trim()).toBe(expectedOutput);
      // A new command, not the old one's output shown again.
      const shown = new URL(page.url()).searchParams.get("command");
      expect(shown).toMatch(/^[0-9a-f-]{36}$/);
      expect(shown).not.toBe(original);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
    });

    await step("the site and client pages offer the script run with their target", async () => {
      await page.goto(`${baseUrl}/sites/${agent.site_id}`);
      await page.getByTestId("site-name").waitFor();
      let dialog = await pickScriptToRun(page, scriptName);
      expect(await dialog.getByTestId("target-kind-site").getAttribute("aria-checked")).toBe("true");
      await dialog.getByTestId("target-site-select").filter({ hasText: agent.site_name }).waitFor();
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });

      await page.goto(`${baseUrl}/clients/${agent.client_id}`);
      await page.getByTestId("client-name").waitFor();
      dialog = await pickScriptToRun(page, scriptName);
      expect(await dialog.getByTestId("target-kind-client").getAttribute("aria-checked")).toBe("true");
      await dialog.getByTestId("target-client-select").filter({ hasText: agent.client_name }).waitFor();
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
    });

    await step("compare a new version with the first and restore the first", async () => {
      expectOk(
        await authed.PUT("/api/v1/scripts/{id}", {
          params: { path: { id: script.id } },
          body: {
            name: scriptName,
            command_type: "script",
            interpreter: "bash",
            body: 'echo "version two"\n',
            parameters: [{ name: "Greeting", type: "string", required: true }],
          },
        }),
        "editing the script",
      );
      await page.goto(`${baseUrl}/scripts/${script.id}`);
      await page.getByTestId("script-version").filter({ hasText: "v2" }).waitFor();
      const versions = page.getByTestId("script-versions-card");
      await versions.locator('[data-testid="script-version-row"][data-version="2"]').getByTestId("compare-with-previous").click();
      const diff = page.getByTestId("version-diff-dialog");
      await diff.getByRole("heading", { name: "Version 1 → version 2" }).waitFor();
      const lines = diff.getByTestId("diff-line");
      expect(
        await lines.evaluateAll((rows) => rows.map((row) => `${row.getAttribute("data-kind")} ${row.lastElementChild?.textContent}`)),
      ).toEqual(['removed removed: echo "=1+1"', 'removed removed: echo "$1 / $Greeting"', 'added added: echo "version two"']);
      await page.keyboard.press("Escape");
      await diff.waitFor({ state: "detached" });

      await versions.locator('[data-testid="script-version-row"][data-version="1"]').getByTestId("restore-version-button").click();
      const confirm = page.getByRole("alertdialog");
      await confirm.getByRole("button", { name: "Restore version 1" }).click();
      await confirm.waitFor({ state: "detached" });
      await page.getByTestId("script-version").filter({ hasText: "v3" }).waitFor();
      await versions.locator('[data-testid="script-version-row"][data-version="3"]').waitFor();
      // The editor starts again from the restored code (its lines carry no line breaks in their text).
      expect(await page.getByRole("textbox", { name: "Script code" }).textContent()).toBe('echo "=1+1"echo "$1 / $Greeting"');
      const restored = expectOk(await authed.GET("/api/v1/scripts/{id}", { params: { path: { id: script.id } } }), "reading the script");
      expect([restored.current.version, restored.current.body]).toEqual([3, body]);
    });
  });
});
