//! The agent's Debian package on a site's page, in the browser against a real server. This file
//! publishes a package into the suite server's releases directory (`GURURMM_E2E_RELEASES_DIR`, set by
//! `cargo xtask browser`; the signature is a stand-in: the server checks a release's form and size,
//! the machine installing it checks the hash), creates a client and a site, generates the site's key
//! and finds the package with its SHA-256 and the install commands; the download arrives under
//! Debian's name with the package's own bytes. Files, client and site are removed afterwards (the
//! browser specs run one file at a time, so no other file sees the package).
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, baseUrl, expectOk, logIn, setUpBrowser } from "./support";

function releasesDirectory(): string {
  const dir = process.env.GURURMM_E2E_RELEASES_DIR;
  if (!dir) throw new Error("GURURMM_E2E_RELEASES_DIR must be set: cargo xtask browser sets it to the server's releases directory");
  return dir;
}
const releasesDir = releasesDirectory();

const session = setUpBrowser();
const step = session.step;
let page: Page;
const VERSION = "9.9.9";
const FILE = `gururmm-agent-deb-${VERSION}-linux-x86_64.deb`;
const published = [FILE, `${FILE}.json`, `${FILE}.json.minisig`];
const made = { clientId: "" };

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  for (const name of published) rmSync(join(releasesDir, name), { force: true });
  const { authed } = await apiClient();
  if (made.clientId) await authed.DELETE("/api/v1/clients/{id}", { params: { path: { id: made.clientId } } });
});

/** Publishes `content` as the package of VERSION for x86_64, as `gururmm-release sign` lays it out. */
function publish(content: Buffer): string {
  const sha256 = createHash("sha256").update(content).digest("hex");
  const now = new Date();
  const manifest = {
    format: 1,
    product: "gururmm-agent-deb",
    version: VERSION,
    platform: "linux",
    arch: "x86_64",
    file: FILE,
    size: content.length,
    sha256,
    released_at: now.toISOString(),
    expires_at: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
  };
  writeFileSync(join(releasesDir, FILE), content);
  writeFileSync(join(releasesDir, `${FILE}.json`), JSON.stringify(manifest));
  writeFileSync(join(releasesDir, `${FILE}.json.minisig`), "untrusted comment: stand-in\n");
  return sha256;
}

describe("the agent's Debian package on a site's page", () => {
  it("lists the package with its hash and downloads it under Debian's name", async () => {
    const content = randomBytes(200_000);
    const sha256 = publish(content);
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const { authed } = await apiClient();
    made.clientId = expectOk(await authed.POST("/api/v1/clients", { body: { name: `Package client ${unique}` } }), "creating a client").id;
    const site = expectOk(
      await authed.POST("/api/v1/clients/{id}/sites", { params: { path: { id: made.clientId } }, body: { name: "Package site" } }),
      "creating a site",
    );

    await step("generate the site's key and find the package", async () => {
      await logIn(page);
      await page.goto(`${baseUrl}/sites/${site.id}`);
      await page.getByTestId("generate-key-button").click();
      await page.getByTestId("enrollment-key-value").waitFor();
      const item = page.locator('[data-testid="debian-package"][data-arch="x86_64"]');
      await item.waitFor();
      expect(await item.getByTestId("debian-package-sha256").textContent()).toContain(sha256);
      expect(await item.textContent()).toContain(`sudo apt install ./gururmm-agent_${VERSION}_amd64.deb`);
      const command = (await page.getByTestId("install-command").textContent()) ?? "";
      expect(command).toContain("sudo gururmm-agent install --server");
    });

    await step("download it", async () => {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.locator('[data-testid="debian-package"][data-arch="x86_64"]').getByTestId("debian-package-download").click(),
      ]);
      expect(download.suggestedFilename()).toBe(`gururmm-agent_${VERSION}_amd64.deb`);
      const path = await download.path();
      expect(createHash("sha256").update(readFileSync(path)).digest("hex")).toBe(sha256);
    });
  });
});
