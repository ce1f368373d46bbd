//! Streaming the audit log to a SIEM from the audit page, against a real server: the administrator
//! sets up the stream to a receiver this test runs, with a secret the page generates; the receiver
//! gets the log's events in order, each post signed with that secret (checked here), and the card
//! says it is caught up. Paused in the dashboard, the stream sends nothing of a change made meanwhile
//! and the card shows it pending; resumed, the change arrives. The stream is removed at the end.
//! The server must let it post to loopback (`GURURMM_ALLOW_PRIVATE_WEBHOOKS=true`, which the browser
//! suite of `cargo xtask test` sets).
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, expectOk, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface StreamedEvent {
  seq: number;
  action: string;
  target: string | null;
  details: { request?: { name?: string } } | null;
  hash: string;
}

/** What the SIEM receiver got, in order. */
const received: Received[] = [];
let receiver: Server;
let receiverPort = 0;
/** What this file makes, removed afterwards should a step fail before the page removes it. */
const made = { clientId: "", stream: false };

/** Long enough for the server's loop (about two seconds) plus a poll of the card (five). */
const ARRIVAL_MS = 30_000;

beforeAll(async () => {
  page = session.page;
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(200, { "Content-Type": "text/plain" });
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverPort = (receiver.address() as { port: number }).port;
});

afterAll(async () => {
  const { authed } = await apiClient();
  if (made.stream) await authed.DELETE("/api/v1/audit/stream");
  if (made.clientId) await authed.DELETE("/api/v1/clients/{id}", { params: { path: { id: made.clientId } } });
  await new Promise((resolve) => receiver?.close(resolve));
});

function unique(): string {
  return new Date().toISOString().replace(/\D/g, "").slice(0, 14);
}

/** Every event received so far, after checking each post's signature and sequence header. */
function receivedEvents(secret: string): StreamedEvent[] {
  return received.flatMap((post) => {
    const signature = `sha256=${createHmac("sha256", secret).update(post.body).digest("hex")}`;
    expect(post.headers["x-gururmm-signature"], "each post is signed with the generated secret").toBe(signature);
    const payload = JSON.parse(post.body.toString("utf8")) as { organization_id: string; events: StreamedEvent[] };
    expect(payload.organization_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.events.length).toBeGreaterThan(0);
    expect(post.headers["x-gururmm-audit-seq"]).toBe(`${payload.events[0]?.seq}-${payload.events.at(-1)?.seq}`);
    return payload.events;
  });
}

/** The events in chain order without repeats (at least once allows them), checked to leave no gap. */
function inOrderWithoutGaps(events: StreamedEvent[]): StreamedEvent[] {
  const unique = [...new Map(events.map((event) => [event.seq, event])).values()];
  const seqs = unique.map((event) => event.seq);
  expect(seqs, "in order").toEqual([...seqs].sort((a, b) => a - b));
  for (let index = 1; index < seqs.length; index++) expect(seqs[index], "without gaps").toBe((seqs[index - 1] ?? 0) + 1);
  return unique;
}

async function pending(card: Locator): Promise<number> {
  return Number(await card.getByTestId("audit-stream-pending").getAttribute("data-pending"));
}

describe("audit stream against a live server", () => {
  it("streams the log, signed, to the SIEM; pausing holds new events back until it is resumed", async () => {
    const card = page.getByTestId("audit-stream");
    let secret = "";
    let caughtUpThrough = 0;

    await step("log in and open the audit log", async () => {
      await logIn(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
      await card.getByTestId("audit-stream-explanation").waitFor();
    });

    await step("set up the stream to the receiver with a generated secret", async () => {
      await card.getByLabel("Endpoint URL").fill(`http://127.0.0.1:${receiverPort}/siem`);
      await card.getByRole("button", { name: "Generate" }).click();
      secret = await card.getByLabel("Signing secret").inputValue();
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(await card.getByRole("switch", { name: "Enabled" }).getAttribute("aria-checked")).toBe("true");
      await card.getByRole("button", { name: "Start streaming" }).click();
      made.stream = true;
      // A server that refuses loopback says so under the URL: fail with its words rather than time out.
      const refused = card
        .getByTestId("audit-stream-field-error")
        .waitFor()
        .then(async () => {
          throw new Error(`the stream was refused: ${await card.getByTestId("audit-stream-field-error").textContent()}`);
        });
      await Promise.race([card.getByTestId("audit-stream-status").waitFor(), refused]);
      refused.catch(() => undefined);
      expect(await card.getByTestId("audit-stream-state").textContent()).toBe("Enabled");
      expect(await card.getByTestId("audit-stream-url").textContent()).toBe(`http://127.0.0.1:${receiverPort}/siem`);
    });

    await step("the receiver gets the log from its oldest event, signed, and the card says it is caught up", async () => {
      await expect.poll(() => pending(card), { timeout: ARRIVAL_MS, interval: 500 }).toBe(0);
      const progress = (await card.getByTestId("audit-stream-progress").textContent()) ?? "";
      const through = Number(/Delivered through event #(\d+) of #(\d+)/.exec(progress)?.[1]);
      expect(through, progress).toBeGreaterThan(0);
      const events = inOrderWithoutGaps(receivedEvents(secret));
      expect(events[0]?.seq, "a new stream starts with the oldest event kept").toBe(1);
      expect(events.at(-1)?.seq).toBe(through);
      expect(received.every((post) => post.path === "/siem")).toBe(true);
      // The stream's own setting up is in the log, and so sent too.
      expect(events.some((event) => event.action === "put_audit_stream")).toBe(true);
      caughtUpThrough = through;
    });

    const clientName = `E2E stream ${unique()}`;
    let postsWhilePaused = 0;

    await step("pause it in the dashboard: a change made meanwhile stays pending", async () => {
      await card.getByRole("button", { name: "Pause" }).click();
      await card.getByTestId("audit-stream-state").filter({ hasText: "Paused" }).waitFor();
      // A post the server's loop had already begun may still land; after that nothing more.
      await page.waitForTimeout(3_000);
      postsWhilePaused = received.length;
      const { authed } = await apiClient();
      made.clientId = expectOk(await authed.POST("/api/v1/clients", { body: { name: clientName } }), "creating a client").id;
      await expect.poll(() => pending(card), { timeout: ARRIVAL_MS, interval: 500 }).toBeGreaterThan(0);
      await page.waitForTimeout(4_000);
      expect(received.length, "nothing is posted while paused").toBe(postsWhilePaused);
      const events = inOrderWithoutGaps(receivedEvents(secret));
      expect(events.some((event) => event.details?.request?.name === clientName)).toBe(false);
      expect(await card.getByTestId("audit-stream-progress").textContent()).toContain("Delivered through event #");
    });

    await step("resume it: the held-back change arrives, signed and in order, and the card catches up", async () => {
      await card.getByRole("button", { name: "Resume" }).click();
      await card.getByTestId("audit-stream-state").filter({ hasText: "Enabled" }).waitFor();
      await expect
        .poll(
          () => receivedEvents(secret).some((event) => event.action === "create_client" && event.details?.request?.name === clientName),
          {
            timeout: ARRIVAL_MS,
            interval: 250,
          },
        )
        .toBe(true);
      expect(received.length).toBeGreaterThan(postsWhilePaused);
      const events = inOrderWithoutGaps(receivedEvents(secret));
      expect(events.at(-1)?.seq ?? 0).toBeGreaterThan(caughtUpThrough);
      await expect.poll(() => pending(card), { timeout: ARRIVAL_MS, interval: 500 }).toBe(0);
    });

    await step("remove the stream: the card offers to set one up again and the server has none", async () => {
      await card.getByRole("button", { name: "Remove" }).click();
      const dialog = page.getByRole("alertdialog");
      await dialog.getByRole("button", { name: "Remove stream", exact: true }).click();
      await dialog.waitFor({ state: "detached" });
      await card.getByRole("button", { name: "Start streaming" }).waitFor();
      const { authed } = await apiClient();
      expect((await authed.GET("/api/v1/audit/stream")).response.status).toBe(404);
      made.stream = false;
    });
  });
});
