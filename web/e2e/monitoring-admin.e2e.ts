//! The monitoring administration pages in the browser, against a real server and its live agent:
//! a signed webhook channel made in the dialog sends its test to a receiver this test runs (the
//! signature checked here), the delivery log shows the sent and the failed attempt, and a template
//! edit changes the preview and what is sent; a maintenance window on the agent shows its banner
//! until it is deleted; a check template used by a policy cannot be deleted until the policy drops it.
//! The server must let webhooks reach loopback (`GURURMM_ALLOW_PRIVATE_WEBHOOKS=true`, which the
//! browser suite of `cargo xtask test` sets).
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the webhook receiver got, in order, and how it answers the next requests. */
const received: Received[] = [];
let answer = { status: 200, body: "ok" };
let receiver: Server;
let receiverPort = 0;

beforeAll(async () => {
  page = session.page;
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ method: request.method ?? "", path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(answer.status, { "Content-Type": "text/plain" });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverPort = (receiver.address() as { port: number }).port;
});

/** What the tests make, named so that a step that failed halfway leaves nothing behind for the other files. */
const made = { channel: "", maintenanceReason: "", template: "", policy: "" };

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  // Normally each test removes what it made through the UI; this only clears up after a failure.
  const { authed } = await apiClient();
  const windows = (await authed.GET("/api/v1/maintenance-windows")).data?.items ?? [];
  for (const window of windows.filter((item) => made.maintenanceReason && item.reason === made.maintenanceReason)) {
    await authed.DELETE("/api/v1/maintenance-windows/{id}", { params: { path: { id: window.id } } });
  }
  const channels = (await authed.GET("/api/v1/notification-channels")).data?.items ?? [];
  for (const channel of channels.filter((item) => made.channel && item.name === made.channel)) {
    await authed.DELETE("/api/v1/notification-channels/{id}", { params: { path: { id: channel.id } } });
  }
  const policies = (await authed.GET("/api/v1/policies")).data?.items ?? [];
  for (const policy of policies.filter((item) => made.policy && item.name === made.policy)) {
    await authed.DELETE("/api/v1/policies/{id}", { params: { path: { id: policy.id } } });
  }
  const templates = (await authed.GET("/api/v1/check-templates")).data?.items ?? [];
  for (const template of templates.filter((item) => made.template && item.name === made.template)) {
    await authed.DELETE("/api/v1/check-templates/{id}", { params: { path: { id: template.id } } });
  }
});

function unique(): string {
  return new Date().toISOString().replace(/\D/g, "").slice(0, 14);
}

async function openFromNavigation(label: string, heading: string) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();
  await page.getByRole("heading", { name: heading, exact: true }).waitFor();
}

/** Picks `option` in the Radix select `trigger` opens. */
async function choose(trigger: Locator, option: string) {
  await trigger.click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

/** Confirms the open confirmation dialog with `label` and waits for it to close. */
async function confirm(label: string) {
  const dialog = page.getByRole("alertdialog");
  await dialog.getByRole("button", { name: label, exact: true }).click();
  await dialog.waitFor({ state: "detached" });
}

describe("monitoring administration against a live server", () => {
  it("sends a signed webhook test, shows it in the delivery log, and previews an edited template", async () => {
    const channelName = `E2E webhook ${unique()}`;
    made.channel = channelName;
    const secret = "e2e-signing-secret-0123456789";
    const channelRow = () => page.getByTestId("channel-row").filter({ hasText: channelName });
    const deliveryRows = () => page.getByTestId("delivery-row").filter({ hasText: channelName });

    await step("log in and open the notification channels", async () => {
      await logIn(page);
      await openFromNavigation("Notifications", "Notification channels");
    });

    await step("create a signed webhook channel pointing at the receiver", async () => {
      await page.getByTestId("new-channel-button").first().click();
      const form = page.getByTestId("channel-form");
      await form.getByLabel("Name", { exact: true }).fill(channelName);
      await choose(form.getByTestId("channel-kind"), "Webhook");
      await form.getByLabel("URL", { exact: true }).fill(`http://127.0.0.1:${receiverPort}/hook`);
      // Too short a secret is refused by its field before anything is sent.
      await form.getByLabel("Signing secret").fill("short");
      await form.getByTestId("save-channel").click();
      expect(await form.locator('[data-testid="channel-field-error"][data-field="secret"]').textContent()).toContain("16 to 200");
      await form.getByLabel("Signing secret").fill(secret);
      await form.getByTestId("save-channel").click();
      await form.waitFor({ state: "detached" });
      const target = channelRow().getByTestId("channel-target");
      await target.waitFor();
      expect(await target.textContent()).toContain("127.0.0.1");
      expect(await target.textContent()).toContain("· signed");
    });

    await step("send a test: the receiver gets a POST signed with the secret", async () => {
      expect(received).toHaveLength(0);
      await channelRow().getByTestId("test-channel").click();
      const outcome = channelRow().getByTestId("test-outcome");
      await outcome.waitFor();
      // A server without allow_private_webhooks refuses 127.0.0.1: say so rather than time out.
      expect(await outcome.getAttribute("data-status"), `the test was not sent: ${await outcome.textContent()}`).toBe("sent");
      // The server answers once the attempt is over: the request has arrived.
      expect(received).toHaveLength(1);
      const [request] = received;
      expect(request?.method).toBe("POST");
      expect(request?.path).toBe("/hook");
      const expected = `sha256=${createHmac("sha256", secret)
        .update(request?.body ?? Buffer.alloc(0))
        .digest("hex")}`;
      expect(request?.headers["x-gururmm-signature"]).toBe(expected);
      const payload = JSON.parse(request?.body.toString("utf8") ?? "{}") as { event: string; subject: string };
      expect(payload.event).toBe("test");
      expect(payload.subject).toContain(`Test notification from GuruRMM to ${channelName}`);
    });

    await step("see the test sent in the delivery log, with its attempt", async () => {
      await page.getByRole("link", { name: "Delivery log", exact: true }).click();
      await page.getByRole("heading", { name: "Delivery log", exact: true }).waitFor();
      await choose(page.getByTestId("delivery-channel-filter"), channelName);
      await page.waitForURL((url) => url.searchParams.has("channel_id"));
      const row = deliveryRows().first();
      await row.waitFor();
      expect(await deliveryRows().count()).toBe(1);
      expect(await row.getByTestId("delivery-status").textContent()).toBe("Sent");
      expect(await row.textContent()).toContain("test");
      await row.click();
      const detail = page.getByTestId("delivery-detail");
      const attempt = detail.getByTestId("delivery-attempt");
      await attempt.waitFor();
      expect(await attempt.getAttribute("data-ok")).toBe("true");
      expect(await attempt.textContent()).toContain("HTTP 200");
      await page.keyboard.press("Escape");
      await detail.waitFor({ state: "detached" });
    });

    await step("a receiver answering 500 makes the next test fail, with the reason in the log", async () => {
      answer = { status: 500, body: "receiver is down" };
      await page.getByRole("link", { name: "Channels", exact: true }).click();
      await page.getByRole("heading", { name: "Notification channels", exact: true }).waitFor();
      await channelRow().getByTestId("test-channel").click();
      const outcome = channelRow().locator('[data-testid="test-outcome"][data-status="failed"]');
      await outcome.waitFor();
      expect(await outcome.textContent()).toContain("HTTP 500: receiver is down");
      expect(received).toHaveLength(2);

      await page.getByRole("link", { name: "Delivery log", exact: true }).click();
      await choose(page.getByTestId("delivery-channel-filter"), channelName);
      const failed = deliveryRows().filter({ has: page.getByTestId("delivery-status").getByText("Failed", { exact: true }) });
      await failed.waitFor();
      expect(await failed.textContent()).toContain("HTTP 500: receiver is down");
      // The earlier delivery is still there, as sent.
      expect(await deliveryRows().count()).toBe(2);
      await deliveryRows()
        .filter({ has: page.getByTestId("delivery-status").getByText("Sent", { exact: true }) })
        .waitFor();
      await failed.click();
      const attempt = page.getByTestId("delivery-detail").getByTestId("delivery-attempt");
      await attempt.waitFor();
      expect(await attempt.getAttribute("data-ok")).toBe("false");
      expect(await attempt.textContent()).toContain("HTTP 500: receiver is down");
      await page.keyboard.press("Escape");
      await page.getByTestId("delivery-detail").waitFor({ state: "detached" });
      answer = { status: 200, body: "ok" };
    });

    await step("edit the subject template and see the preview change", async () => {
      await page.getByRole("link", { name: "Channels", exact: true }).click();
      await channelRow().getByTestId("edit-channel").click();
      const form = page.getByTestId("channel-form");
      // Empty: the default, rendered for a sample alert.
      await form.getByTestId("template-preview").getByText("[CRITICAL] disk failing on web-01", { exact: true }).waitFor();
      await form.getByLabel("Subject template").fill("E2E {{ agent }} is {{ severity | upper }}");
      await form.getByTestId("template-preview").getByText("E2E web-01 is CRITICAL", { exact: true }).waitFor();
      // A template that does not parse shows the server's error instead of a preview.
      await form.getByLabel("Subject template").fill("E2E {{ agent");
      await form.getByTestId("preview-error").waitFor();
      await form.getByLabel("Subject template").fill("E2E: {{ title }}");
      await form.getByTestId("template-preview").getByText("E2E: disk failing on web-01", { exact: true }).waitFor();
      await form.getByTestId("save-channel").click();
      await form.waitFor({ state: "detached" });
      await channelRow().getByText("custom", { exact: true }).waitFor();
    });

    await step("the next test is sent with the edited subject, still signed", async () => {
      await channelRow().getByTestId("test-channel").click();
      await channelRow().locator('[data-testid="test-outcome"][data-status="sent"]').waitFor();
      expect(received).toHaveLength(3);
      const request = received[2];
      const payload = JSON.parse(request?.body.toString("utf8") ?? "{}") as { subject: string };
      expect(payload.subject).toBe(`E2E: Test notification from GuruRMM to ${channelName}`);
      const expected = `sha256=${createHmac("sha256", secret)
        .update(request?.body ?? Buffer.alloc(0))
        .digest("hex")}`;
      expect(request?.headers["x-gururmm-signature"]).toBe(expected);
    });

    await step("delete the channel", async () => {
      await channelRow().getByTestId("delete-channel").click();
      await confirm("Delete");
      await channelRow().waitFor({ state: "detached" });
    });

    expect(session.errors.filter((message) => message.startsWith("pageerror"))).toEqual([]);
  });

  it("plans a maintenance window on the agent, sees its banner, and deletes it", async () => {
    const reason = `E2E maintenance ${unique()}`;
    made.maintenanceReason = reason;
    const windowRow = () => page.getByTestId("maintenance-row").filter({ hasText: reason });
    let agentPath = "";

    await step("plan a window on the agent", async () => {
      await openFromNavigation("Maintenance", "Maintenance windows");
      await page.getByTestId("new-maintenance-button").first().click();
      const dialog = page.getByTestId("maintenance-dialog");
      await dialog.getByTestId("maintenance-scope-agent").click();
      await dialog.getByRole("searchbox", { name: "Search agents" }).fill(agentHostname);
      await dialog
        .getByTestId("maintenance-agent-list")
        .getByRole("listitem")
        .filter({ has: page.getByText(agentHostname, { exact: true }) })
        .getByRole("radio")
        .check();
      await dialog.getByLabel("Reason").fill(reason);
      await dialog.getByTestId("maintenance-submit").click();
      await dialog.waitFor({ state: "detached" });
      const row = windowRow();
      await row.waitFor();
      // It starts now (to the minute): it is active at once.
      expect(await row.getAttribute("data-active")).toBe("true");
      await row.getByTestId("maintenance-active").waitFor();
    });

    await step("see the banner on the agent's page", async () => {
      await windowRow().getByRole("link", { name: agentHostname, exact: true }).click();
      await page.getByTestId("agent-hostname").waitFor();
      agentPath = new URL(page.url()).pathname;
      expect(agentPath).toMatch(/^\/agents\/[0-9a-f-]{36}$/);
      const banner = page.getByTestId("maintenance-banner");
      await banner.getByText(reason, { exact: false }).waitFor();
      expect(await banner.textContent()).toMatch(new RegExp(`Under maintenance until .+: ${reason}`));
    });

    await step("delete the window", async () => {
      await openFromNavigation("Maintenance", "Maintenance windows");
      await windowRow().getByTestId("delete-maintenance").click();
      await confirm("Delete");
      await windowRow().waitFor({ state: "detached" });
    });

    await step("the agent's page has no banner any more", async () => {
      const agentId = agentPath.split("/").pop() ?? "";
      // Wait for the server's answer about this agent's windows, so the banner's absence is the answer's.
      const answered = page.waitForResponse(
        (response) => new URL(response.url()).pathname === `/api/v1/agents/${agentId}/maintenance` && response.ok(),
      );
      await page.goto(`${new URL(page.url()).origin}${agentPath}`);
      await page.getByTestId("agent-hostname").waitFor();
      const windows = (await (await answered).json()) as { items: { reason: string }[] };
      expect(windows.items.map((window) => window.reason)).not.toContain(reason);
      await page.getByTestId("maintenance-banner").filter({ hasText: reason }).waitFor({ state: "detached" });
    });

    expect(session.errors.filter((message) => message.startsWith("pageerror"))).toEqual([]);
  });

  it("creates a check template, uses it in a policy, is refused deleting it while used, then deletes it", async () => {
    const stamp = unique();
    const templateName = `E2E template port ${stamp}`;
    const policyName = `E2E template policy ${stamp}`;
    made.template = templateName;
    made.policy = policyName;
    const templateRow = () => page.getByTestId("template-row").filter({ hasText: templateName });

    await step("create a port check template", async () => {
      await openFromNavigation("Check templates", "Check templates");
      await page.getByTestId("new-template-button").first().click();
      await page.getByTestId("new-template-port").click();
      const editor = page.getByTestId("check-editor");
      await editor.getByLabel("Template description").fill("made by the browser test");
      await editor.getByLabel("Name", { exact: true }).fill(templateName);
      await editor.getByLabel("Host").fill("127.0.0.1");
      await editor.getByLabel("Port").fill("9");
      await editor.getByTestId("save-check").click();
      await editor.waitFor({ state: "detached" });
      const row = templateRow();
      await row.waitFor();
      expect(await row.getByTestId("template-summary").textContent()).toContain("127.0.0.1:9 · made by the browser test");
      await row.getByText("no policy", { exact: true }).waitFor();
    });

    await step("make a policy with the template", async () => {
      await openFromNavigation("Policies", "Policies");
      await page.getByTestId("new-policy-button").first().click();
      await page.getByLabel("Name", { exact: true }).fill(policyName);
      await page.getByTestId("add-template-check-button").click();
      await page.getByTestId("add-template-check").filter({ hasText: templateName }).click();
      await page.getByTestId("template-check-row").filter({ hasText: templateName }).waitFor();
      await page.getByTestId("save-policy").click();
      await page.waitForURL(/\/policies\/[0-9a-f-]{36}$/);
      await page.getByTestId("template-check-row").filter({ hasText: templateName }).waitFor();
    });

    await step("see the policy using the template", async () => {
      await openFromNavigation("Check templates", "Check templates");
      await templateRow().getByTestId("template-used-by").getByText(policyName, { exact: true }).waitFor();
    });

    await step("deleting the template in use shows the server's refusal", async () => {
      await templateRow().getByTestId("delete-template").click();
      const dialog = page.getByRole("alertdialog");
      await dialog.getByRole("button", { name: "Delete", exact: true }).click();
      const refusal = dialog.getByRole("alert");
      await refusal.waitFor();
      expect(await refusal.textContent()).toContain(`the template is used by the policies ${policyName}`);
      await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
      await dialog.waitFor({ state: "detached" });
      await templateRow().waitFor();
    });

    await step("take the template out of the policy", async () => {
      await openFromNavigation("Policies", "Policies");
      await page.getByTestId("policy-row").getByRole("link", { name: policyName, exact: true }).click();
      const templateCheck = page.getByTestId("template-check-row").filter({ hasText: templateName });
      await templateCheck.getByRole("button", { name: `Remove ${templateName}` }).click();
      await templateCheck.waitFor({ state: "detached" });
      await page.getByTestId("save-policy").click();
      await page.getByText("Policy saved; agents get the change within seconds.").waitFor();
    });

    await step("delete the template, now unused", async () => {
      await openFromNavigation("Check templates", "Check templates");
      await templateRow().getByText("no policy", { exact: true }).waitFor();
      await templateRow().getByTestId("delete-template").click();
      await confirm("Delete");
      await templateRow().waitFor({ state: "detached" });
    });

    await step("delete the policy", async () => {
      await openFromNavigation("Policies", "Policies");
      await page.getByTestId("policy-row").getByRole("link", { name: policyName, exact: true }).click();
      await page.getByRole("button", { name: "Delete", exact: true }).click();
      await confirm("Delete policy");
      await page.waitForURL((url) => url.pathname === "/policies");
      await page.getByTestId("policy-row").filter({ hasText: policyName }).waitFor({ state: "detached" });
    });

    expect(session.errors.filter((message) => message.startsWith("pageerror"))).toEqual([]);
  });
});
