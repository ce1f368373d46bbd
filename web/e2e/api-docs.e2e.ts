//! The API documentation page in the browser: /docs renders Swagger UI under the server's strict
//! Content-Security-Policy (no refused script or style reaches the console), lists the operations of
//! the server's OpenAPI document, and "Try it out" runs as the signed-in user: a read with the session
//! cookie, and a change (sign-out) that also needs the CSRF header the page adds.
import type { Locator, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { baseUrl, email, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;

beforeAll(() => {
  page = session.page;
});

/** Opens an operation (by Swagger UI's `operations-<tag>-<operationId>` id), runs it and returns its live answer. */
async function tryOperation(id: string): Promise<{ status: string; body: Locator }> {
  const operation = page.locator(`#${id}`);
  if ((await operation.locator(".opblock-body").count()) === 0) await operation.locator(".opblock-summary").first().click();
  // The body renders after the click: wait for its first button before asking which it is.
  const tryItOut = operation.getByRole("button", { name: "Try it out" });
  await operation
    .getByRole("button", { name: /^(Try it out|Execute)$/ })
    .first()
    .waitFor();
  if (await tryItOut.isVisible()) await tryItOut.click();
  await operation.getByRole("button", { name: "Execute" }).click();
  const live = operation.locator(".live-responses-table .response").first();
  await live.waitFor();
  const status = (await live.locator(".response-col_status").textContent())?.trim() ?? "";
  return { status, body: live.locator(".response-col_description") };
}

describe("API documentation", () => {
  it("lists the operations and tries them as the signed-in user", async () => {
    await step("sign in", () => logIn(page));

    await step("the docs page lists the API's operations", async () => {
      await page.goto(`${baseUrl}/docs`);
      // Every tag is listed, folded (the whole API unfolded is too long a page to read, and Swagger UI
      // stops rendering after some 130 unfolded operations); a tag opens on a click.
      await page.locator("#operations-tag-auth").waitFor();
      expect(await page.locator(".opblock-tag").count()).toBeGreaterThan(15);
      for (const tag of ["auth", "agents"]) await page.locator(`#operations-tag-${tag}`).click();
      await page.locator("#operations-auth-me").waitFor();
      expect(await page.locator(".opblock").count()).toBeGreaterThan(20);
      await page.locator("#operations-agents-list_agents").getByText("/api/v1/agents", { exact: true }).waitFor();
      expect(await page.title()).toBe("GuruRMM API");
    });

    await step("a read runs with the session cookie", async () => {
      const { status, body } = await tryOperation("operations-auth-me");
      expect(status).toBe("200");
      await body.getByText(email).first().waitFor();
    });

    await step("a change carries the CSRF token", async () => {
      const { status } = await tryOperation("operations-auth-logout");
      expect(status).toBe("204");
      const after = await tryOperation("operations-auth-me");
      expect(after.status).toBe("401");
    });

    await step("nothing was refused by the Content-Security-Policy", async () => {
      // The 401 of the last step is expected; any other console error (a refused script, style or
      // connection above all) is a failure.
      const unexpected = session.errors.filter((error) => !error.includes("401"));
      expect(unexpected).toEqual([]);
    });
  });
});
