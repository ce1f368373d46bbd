import { describe, expect, it } from "vitest";
import { compareVersions } from "./version-order";

/** The same rows as the server's `versions_order_like_dpkg` test. */
const ROWS: [string, number, string][] = [
  ["3.0.2", -1, "3.0.7"],
  ["3.0.7", -1, "3.0.10"],
  ["1:1.0", 1, "2.0"],
  ["0:2.0", 0, "2.0"],
  ["1.0~rc1", -1, "1.0"],
  ["1.0~~", -1, "1.0~"],
  ["1.0", -1, "1.0a"],
  ["1.0a", -1, "1.0+"],
  ["1.0+dfsg", -1, "1.0.1"],
  ["3.0.7-1ubuntu1", 1, "3.0.7"],
  ["3.0.7-0ubuntu0.22.04.1", -1, "3.0.7-1"],
  ["3.0.7", 0, "3.0.7-0"],
  ["010", 0, "10"],
  ["1.2.3-4.el9", -1, "1.2.10-1.el9"],
  ["1.0-beta-2", 1, "1.0-beta-1"],
  ["99999999999999999999999", -1, "100000000000000000000000"],
  ["120.0.6099.109", 1, "120.0.6099.71"],
  ["", -1, "0.1"],
];

describe("compareVersions", () => {
  it.each(ROWS)("%s vs %s", (left, expected, right) => {
    expect(Math.sign(compareVersions(left, right))).toBe(expected);
    expect(Math.sign(compareVersions(right, left))).toBe(-expected || 0);
  });
});
