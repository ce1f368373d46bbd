//! The dashboard on a phone (390 × 844, an iPhone's CSS size), against a real server and its live
//! agent: every main page fits the screen's width (the page itself never scrolls sideways; wide
//! tables scroll inside their own box), shows its heading, and the menu button opens the navigation
//! as a sheet that Escape closes and a followed link closes too.
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, baseUrl, expectOk, LIVE_TIMEOUT_MS, logIn, setUpBrowser } from "./support";

const PHONE = { width: 390, height: 844 };

const session = setUpBrowser();
const step = session.step;
let page: Page;

/** What this file makes through the API, removed afterwards (deleting the policy ends its assignment and its alert). */
const made = { scriptId: "", policyId: "", maintenanceId: "", channelId: "" };

beforeAll(async () => {
  page = session.page;
  await page.setViewportSize(PHONE);
});

afterAll(async () => {
  const { authed } = await apiClient();
  if (made.policyId) await authed.DELETE("/api/v1/policies/{id}", { params: { path: { id: made.policyId } } });
  if (made.scriptId) await authed.DELETE("/api/v1/scripts/{id}", { params: { path: { id: made.scriptId } } });
  if (made.maintenanceId) await authed.DELETE("/api/v1/maintenance-windows/{id}", { params: { path: { id: made.maintenanceId } } });
  if (made.channelId) await authed.DELETE("/api/v1/notification-channels/{id}", { params: { path: { id: made.channelId } } });
});

/**
 * What makes the page wider than the screen, to name in a failure: the elements reaching past its
 * right edge that stick out of their parent (a fixed width, a line that does not wrap); when none
 * does, the page was widened from inside (a grid track sized to its content), and the deepest
 * elements past the edge are listed instead.
 */
async function overflowingElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const describe = (element: Element) => {
      const testId = element.getAttribute("data-testid");
      const classes = typeof element.className === "string" ? element.className.split(/\s+/).slice(0, 5).join(".") : "";
      const text = (element.textContent ?? "").trim().slice(0, 40);
      const box = element.getBoundingClientRect();
      return `${element.tagName.toLowerCase()}${testId ? `[data-testid=${testId}]` : ""}${classes ? `.${classes}` : ""} "${text}" (${Math.round(box.left)}–${Math.round(box.right)} px)`;
    };
    const beyond: Element[] = [];
    for (const element of Array.from(document.body.querySelectorAll("*"))) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 1 || (element.closest("svg") !== element && element.closest("svg"))) continue;
      // Content that a scrolling box clips does not widen the page; only what escapes counts.
      let clipped = false;
      for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
        if (getComputedStyle(parent).overflowX !== "visible" && parent.getBoundingClientRect().right <= width + 1) {
          clipped = true;
          break;
        }
      }
      if (!clipped) beyond.push(element);
    }
    const stickingOut = beyond.filter((element) => {
      const parent = element.parentElement;
      return parent !== null && element.getBoundingClientRect().right > parent.getBoundingClientRect().right + 1;
    });
    const deepest = beyond.filter((element) => !beyond.some((other) => other !== element && element.contains(other)));
    return (stickingOut.length > 0 ? stickingOut : deepest).slice(0, 12).map(describe);
  });
}

/** Whether a box lies wholly within the screen as it is now. */
function fitsScreen(box: { x: number; y: number; width: number; height: number } | null): boolean {
  const screen = page.viewportSize();
  if (!box || !screen) return false;
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= screen.width + 0.5 && box.y + box.height <= screen.height + 0.5;
}

/** Whether an element lies within the screen's width (it may be below the fold). */
async function fitsWidth(locator: Locator): Promise<boolean> {
  const box = await locator.boundingBox();
  return box !== null && box.x >= 0 && box.x + box.width <= PHONE.width + 0.5;
}

/** Opens `path`, waits for its main heading, and checks the page does not scroll sideways. */
async function expectFitsPhone(path: string, heading: string | RegExp) {
  await page.goto(`${baseUrl}${path}`);
  await expectShownFitting(heading);
}

async function expectShownFitting(heading: string | RegExp) {
  const title = page.getByRole("heading", { level: 1, name: heading });
  await title.waitFor();
  expect(await title.isVisible()).toBe(true);
  // Measure the page with its data: wait until no skeleton stands in for an answer still to come.
  await page.waitForFunction(() => document.querySelector('[data-slot="skeleton"]') === null);
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  if (scrollWidth > innerWidth) {
    throw new Error(
      `the page is ${scrollWidth} px wide on a ${innerWidth} px screen; overflowing:\n${(await overflowingElements(page)).join("\n")}`,
    );
  }
}

describe("the dashboard on a phone", () => {
  it("fits every main page in a 390 px wide screen and opens the navigation from a menu button", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const { authed } = await apiClient();
    const agents = expectOk(await authed.GET("/api/v1/agents", { params: { query: { q: agentHostname } } }), "finding the agent");
    const agent = agents.items.find((item) => item.hostname === agentHostname);
    expect(agent).toBeDefined();
    const { id: agentId, client_id: clientId, site_id: siteId } = agent!;
    const script = expectOk(
      await authed.POST("/api/v1/scripts", {
        body: {
          name: `E2E phone script ${unique}`,
          command_type: "shell",
          body: "echo 'a fairly long line of output to see that the terminal wraps or scrolls within itself'",
        },
      }),
      "creating the script",
    );
    made.scriptId = script.id;
    // A failing check (nothing listens on the discard port) gives the checks and alerts pages a row.
    const checkName = `E2E phone port ${unique} with a name long enough to need wrapping`;
    const policy = expectOk(
      await authed.POST("/api/v1/policies", {
        body: {
          name: `E2E phone policy ${unique}`,
          description: "Made by the phone test: a port check that fails, so the lists have rows.",
          checks: [{ name: checkName, type: "port", host: "127.0.0.1", port: 9, interval_seconds: 10, fail_after: 1, severity: "warning" }],
        },
      }),
      "creating the policy",
    );
    made.policyId = policy.id;
    expectOk(
      await authed.POST("/api/v1/policy-assignments", { body: { policy_id: policy.id, scope: "agent", target_id: agentId } }),
      "assigning the policy",
    );
    // A window that starts tomorrow lists on the maintenance page without silencing the alert.
    const tomorrow = Date.now() + 24 * 3600_000;
    made.maintenanceId = expectOk(
      await authed.POST("/api/v1/maintenance-windows", {
        body: {
          scope: "client",
          target_id: clientId,
          starts_at: new Date(tomorrow).toISOString(),
          ends_at: new Date(tomorrow + 3600_000).toISOString(),
          reason: `E2E phone maintenance ${unique}`,
        },
      }),
      "creating the maintenance window",
    ).id;
    made.channelId = expectOk(
      await authed.POST("/api/v1/notification-channels", {
        body: {
          name: `E2E phone webhook ${unique}`,
          kind: "webhook",
          config: { url: "https://hooks.example.com/gururmm/phone-test", secret: "phone test signing secret" },
        },
      }),
      "creating the channel",
    ).id;
    const job = expectOk(
      await authed.POST("/api/v1/scripts/{id}/run", { params: { path: { id: script.id } }, body: { targets: { agent_ids: [agentId] } } }),
      "running the script",
    );
    // The pages are measured with the check's alert in their lists.
    await expect
      .poll(
        async () => {
          const alerts = await authed.GET("/api/v1/alerts", { params: { query: { agent_id: agentId, status: "unresolved" } } });
          return alerts.data?.items.some((alert) => alert.check_name === checkName) ?? false;
        },
        { timeout: LIVE_TIMEOUT_MS, interval: 500 },
      )
      .toBe(true);

    await step("log in on a phone", async () => {
      await expectFitsPhone("/login", "Sign in to your dashboard");
      await logIn(page);
    });

    await step("the menu button opens the navigation, Escape closes it", async () => {
      const sheet = page.getByTestId("navigation-sheet");
      // The sidebar is folded away: no navigation until the menu opens.
      expect(await page.getByRole("navigation", { name: "Main" }).isVisible()).toBe(false);
      await page.getByRole("button", { name: "Open navigation" }).click();
      await sheet.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).waitFor();
      await page.keyboard.press("Escape");
      await sheet.waitFor({ state: "detached" });
      // Focus goes back to the button, so a keyboard user carries on where they were (the dialog
      // library hands it back as the closing animation ends, which a busy machine may delay).
      await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Open navigation", undefined, {
        timeout: 5_000,
      });
    });

    await step("a link in the navigation navigates and closes it", async () => {
      await page.getByRole("button", { name: "Open navigation" }).click();
      await page.getByTestId("navigation-sheet").getByRole("link", { name: "Policies" }).click();
      await page.waitForURL((url) => url.pathname === "/policies");
      await page.getByTestId("navigation-sheet").waitFor({ state: "detached" });
      await expectShownFitting("Policies");
    });

    const pages: [string, string, string | RegExp][] = [
      ["overview", "/", "Overview"],
      ["agents", "/agents", "Agents"],
      ["agent", `/agents/${agentId}`, agentHostname],
      ["agent checks", `/agents/${agentId}?tab=checks`, agentHostname],
      ["agent alerts", `/agents/${agentId}?tab=alerts`, agentHostname],
      ["agent policy", `/agents/${agentId}?tab=policy`, agentHostname],
      ["deleted agents", "/agents/deleted", /deleted agents/i],
      ["clients", "/clients", "Clients"],
      ["client", `/clients/${clientId}`, agent!.client_name],
      ["site", `/sites/${siteId}`, agent!.site_name],
      ["scripts", "/scripts", "Scripts"],
      ["script editor", `/scripts/${script.id}`, script.name],
      ["new script", "/scripts/new", /new script/i],
      ["jobs", "/jobs", "Jobs"],
      ["job", `/jobs/${job.id}`, script.name],
      ["alerts", "/alerts", "Alerts"],
      ["checks", "/checks", "Checks"],
      ["policies", "/policies", "Policies"],
      ["policy editor", `/policies/${policy.id}`, policy.name],
      ["check templates", "/check-templates", /check templates/i],
      ["notifications", "/notifications", /notification/i],
      ["deliveries", "/notifications/deliveries", /deliver/i],
      ["maintenance", "/maintenance", /maintenance/i],
      ["enrollment requests", "/enrollment-requests", /approval|enrollment/i],
      ["users", "/users", "Users"],
      ["account", "/account", "Your account"],
      ["audit log", "/audit", "Audit log"],
      ["single sign-on", "/single-sign-on", "Single sign-on"],
      // A link that was never made reads like a used one: the public page's explanation.
      ["used-link welcome", "/welcome#token=gri_0000", "This link no longer works"],
    ];
    // Every page is visited even after one fails, so a failure names all the pages that overflow.
    const failures: string[] = [];
    for (const [name, path, heading] of pages) {
      await step(`the ${name} page fits the phone`, async () => {
        await expectFitsPhone(path, heading);
      }).catch((error: unknown) => failures.push(String(error)));
    }
    expect(failures).toEqual([]);

    await step("the agent's charts fit the phone", async () => {
      await page.goto(`${baseUrl}/agents/${agentId}`);
      await page.locator(".recharts-surface").first().waitFor({ timeout: LIVE_TIMEOUT_MS });
      await expectShownFitting(agentHostname);
      for (const chart of await page.locator(".recharts-surface").all()) {
        // Charts lie below the fold: only their width is the screen's business.
        expect(await fitsWidth(chart)).toBe(true);
      }
    });

    await step("a command's output fits the phone", async () => {
      const detail = expectOk(await authed.GET("/api/v1/jobs/{id}", { params: { path: { id: job.id } } }), "reading the job");
      const commandId = detail.agents[0]?.command_id ?? "";
      // The agent page's history opens a command's output (`?command=`) in a dialog.
      await page.goto(`${baseUrl}/agents/${agentId}?command=${commandId}`);
      const dialog = page.getByTestId("command-output-dialog");
      await dialog.getByTestId("command-output").filter({ hasText: "a fairly long line of output" }).waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect(fitsScreen(await dialog.boundingBox())).toBe(true);
      expect(await fitsWidth(dialog.getByTestId("command-terminal"))).toBe(true);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });

      // The job page shows the same output under the agent's row.
      await page.goto(`${baseUrl}/jobs/${job.id}?command=${commandId}`);
      await page.getByTestId("command-output").filter({ hasText: "a fairly long line of output" }).waitFor({ timeout: LIVE_TIMEOUT_MS });
      await expectShownFitting(script.name);
      // The agent's output under its row keeps to the phone's width (Duration and Started are hidden there).
      expect(await fitsWidth(page.getByTestId("command-terminal").first())).toBe(true);
    });

    await step("a dialog fits the phone upright, and on its side scrolls inside itself", async () => {
      await page.goto(`${baseUrl}/maintenance`);
      await page.getByRole("button", { name: "Plan maintenance" }).first().click();
      const dialog = page.getByRole("dialog");
      await dialog.waitFor();
      expect(fitsScreen(await dialog.boundingBox())).toBe(true);
      // Turned sideways the screen is shorter than the form: the dialog keeps within it and scrolls.
      await page.setViewportSize({ width: PHONE.height, height: PHONE.width });
      try {
        expect(fitsScreen(await dialog.boundingBox())).toBe(true);
        expect(await dialog.evaluate((element) => element.scrollHeight > element.clientHeight)).toBe(true);
        const submit = dialog.getByRole("button", { name: "Plan window" });
        await submit.scrollIntoViewIfNeeded();
        expect(fitsScreen(await submit.boundingBox())).toBe(true);
      } finally {
        await page.setViewportSize(PHONE);
      }
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
    });
  });
});
