import { networkOf, parseIpv4, parsePortList, parseRangeList, parseWholeNumber, suggestedRanges } from "./network-ranges";

describe("networkOf", () => {
  it.each([
    ["192.168.1.20/24", "192.168.1.0/24"],
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["172.20.5.130/25", "172.20.5.128/25"],
    ["192.168.1.20/32", "192.168.1.20/32"],
    ["192.168.1.20/0", "0.0.0.0/0"],
  ])("%s is in %s", (cidr, network) => {
    expect(networkOf(cidr)).toBe(network);
  });

  it.each(["192.168.1.20", "192.168.1/24", "192.168.1.256/24", "192.168.1.1/33", "fe80::1/64", "a.b.c.d/24", "1.2.3.4/24/1"])(
    "reads no network from %s",
    (cidr) => {
      expect(networkOf(cidr)).toBeNull();
    },
  );
});

describe("parseIpv4", () => {
  it("reads the four octets", () => {
    expect(parseIpv4("192.168.1.20")).toBe(((192 * 256 + 168) * 256 + 1) * 256 + 20);
    expect(parseIpv4("255.255.255.255")).toBe(2 ** 32 - 1);
    expect(parseIpv4("1.2.3")).toBeNull();
  });
});

describe("suggestedRanges", () => {
  const MAX = 4096;

  it("suggests each interface's private network once", () => {
    expect(
      suggestedRanges(
        [
          { ipv4: ["127.0.0.1/8"] },
          { ipv4: ["192.168.1.20/24", "192.168.1.21/24"] },
          { ipv4: ["10.8.0.5/30"] },
          { ipv4: ["203.0.113.7/24"] },
          { ipv4: ["169.254.3.4/16"] },
          {},
        ],
        "192.168.1.20",
        MAX,
      ),
    ).toEqual(["192.168.1.0/24", "10.8.0.4/30"]);
  });

  it("narrows a network larger than a scan takes to the block around the agent", () => {
    expect(suggestedRanges([{ ipv4: ["10.1.200.7/16"] }], null, MAX)).toEqual(["10.1.192.0/20"]);
    expect(suggestedRanges([{ ipv4: ["10.1.200.7/16"] }], null, 256)).toEqual(["10.1.200.0/24"]);
  });

  it("falls back to the /24 of the local address when no interface has a private network", () => {
    expect(suggestedRanges([], "172.16.4.9", MAX)).toEqual(["172.16.4.0/24"]);
    expect(suggestedRanges([{ ipv4: ["127.0.0.1/8"] }], "100.64.1.2", MAX)).toEqual(["100.64.1.0/24"]);
  });

  it("suggests nothing for a public or missing address", () => {
    expect(suggestedRanges([], "8.8.8.8", MAX)).toEqual([]);
    expect(suggestedRanges([], null, MAX)).toEqual([]);
  });
});

describe("parseRangeList", () => {
  it("splits on commas, spaces and lines and drops repeats", () => {
    expect(parseRangeList(" 10.0.0.0/24, 192.168.1.0/24\n10.0.0.5  10.0.0.0/24;;")).toEqual(["10.0.0.0/24", "192.168.1.0/24", "10.0.0.5"]);
    expect(parseRangeList(" \n ,")).toEqual([]);
  });
});

describe("parsePortList", () => {
  it("reads the ports in order without repeats", () => {
    expect(parsePortList("22, 80 443\n80")).toEqual({ ports: [22, 80, 443] });
  });

  it.each([
    ["", "Enter at least one port."],
    ["22, http", '"http" is not a port (1 to 65535).'],
    ["0", '"0" is not a port (1 to 65535).'],
    ["65536", '"65536" is not a port (1 to 65535).'],
    ["22-25", '"22-25" is not a port (1 to 65535).'],
  ])("refuses %j", (text, error) => {
    expect(parsePortList(text)).toEqual({ error });
  });
});

describe("parseWholeNumber", () => {
  it("reads digits and refuses anything else", () => {
    expect(parseWholeNumber(" 500 ")).toEqual({ value: 500 });
    expect(parseWholeNumber("1.5")).toEqual({ error: "Enter a whole number." });
    expect(parseWholeNumber("")).toEqual({ error: "Enter a whole number." });
  });
});
