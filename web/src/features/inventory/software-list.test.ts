import { describe, expect, it } from "vitest";
import type { SoftwareItem } from "@/api/types";
import { visibleSoftware } from "./software-list";

const item = (name: string, version: string, extra: Partial<SoftwareItem> = {}): SoftwareItem => ({
  name,
  version,
  source: "dpkg",
  publisher: null,
  arch: null,
  install_date: null,
  ...extra,
});

const ITEMS = [
  item("openssl", "3.0.10"),
  item("OpenSSH-server", "9.2p1", { publisher: "Debian OpenSSH Maintainers", install_date: "2024-05-01" }),
  item("bash", "5.2.15"),
  item("firefox", "125.0", { source: "snap", install_date: "2024-01-02" }),
  item("libssl3", "3.0.2"),
];
const names = (items: SoftwareItem[]) => items.map((i) => i.name);

describe("visibleSoftware", () => {
  it("sorts by name without regard to case, and reverses", () => {
    expect(names(visibleSoftware(ITEMS, { filter: "", sort: "name", descending: false }))).toEqual([
      "bash",
      "firefox",
      "libssl3",
      "OpenSSH-server",
      "openssl",
    ]);
    expect(names(visibleSoftware(ITEMS, { filter: "", sort: "name", descending: true }))[0]).toBe("openssl");
  });

  it("sorts versions as versions, not as text", () => {
    const sorted = visibleSoftware(ITEMS, { filter: "ssl", sort: "version", descending: false });
    expect(sorted.map((i) => i.version)).toEqual(["3.0.2", "3.0.10"]);
  });

  it("filters on the name or the publisher and puts undated packages last", () => {
    expect(names(visibleSoftware(ITEMS, { filter: "maintainers", sort: "name", descending: false }))).toEqual(["OpenSSH-server"]);
    expect(names(visibleSoftware(ITEMS, { filter: "", sort: "install_date", descending: false })).slice(0, 2)).toEqual([
      "firefox",
      "OpenSSH-server",
    ]);
  });
});
