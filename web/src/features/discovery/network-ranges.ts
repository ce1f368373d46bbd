//! The scan form's lists: the ranges suggested from the agent's network interfaces, and the ranges
//! and ports a technician types, split into what the API takes. Which ranges may be scanned (private
//! networks only, how many addresses) is the server's rule; its refusal is shown as it words it.

/** A network interface's IPv4 addresses as the agent reports them (`192.168.1.20/24`). */
export interface InterfaceAddresses {
  ipv4?: string[];
}

/**
 * The networks a suggestion may come from: RFC 1918 and carrier-grade NAT. Loopback is the agent
 * itself and a link-local /16 is far more addresses than a scan takes, so neither is suggested
 * (a technician may still type them).
 */
const SUGGESTED_NETWORKS: readonly (readonly [string, number])[] = [
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["100.64.0.0", 10],
];

/** An IPv4 address as a 32-bit number, or null when the text is not one. */
export function parseIpv4(text: string): number | null {
  const parts = text.trim().split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The first address of the /`prefix` block holding `address`. */
function networkStart(address: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(address / size) * size;
}

function isSuggestedNetwork(address: number): boolean {
  return SUGGESTED_NETWORKS.some(([base, prefix]) => networkStart(address, prefix) === parseIpv4(base));
}

/**
 * The network of an interface address: `192.168.1.20/24` → `192.168.1.0/24`. Null when the text is
 * not an IPv4 address with a prefix length.
 */
export function networkOf(cidr: string): string | null {
  const [addressText, prefixText, ...rest] = cidr.trim().split("/");
  if (addressText === undefined || prefixText === undefined || rest.length > 0 || !/^\d{1,2}$/.test(prefixText)) return null;
  const address = parseIpv4(addressText);
  const prefix = Number(prefixText);
  if (address === null || prefix > 32) return null;
  return `${formatIpv4(networkStart(address, prefix))}/${prefix}`;
}

/**
 * The ranges the scan form starts with for an agent: the private IPv4 networks of its interfaces, or,
 * when it reported none, the /24 of its local address. A network larger than `maxAddresses` (a /16
 * office network) is narrowed to the largest block around the agent's address that a scan takes, so
 * the suggestion is one the server accepts.
 */
export function suggestedRanges(
  interfaces: readonly InterfaceAddresses[],
  localIp: string | null | undefined,
  maxAddresses: number,
): string[] {
  const smallestPrefix = Math.min(32, Math.max(0, 32 - Math.floor(Math.log2(Math.max(1, maxAddresses)))));
  const ranges: string[] = [];
  const add = (address: number, prefix: number) => {
    const narrowed = Math.max(prefix, smallestPrefix);
    const range = `${formatIpv4(networkStart(address, narrowed))}/${narrowed}`;
    if (!ranges.includes(range)) ranges.push(range);
  };
  for (const networkInterface of interfaces) {
    for (const cidr of networkInterface.ipv4 ?? []) {
      const [addressText = "", prefixText = ""] = cidr.split("/");
      const address = parseIpv4(addressText);
      if (address === null || networkOf(cidr) === null || !isSuggestedNetwork(address)) continue;
      add(address, Number(prefixText));
    }
  }
  if (ranges.length === 0 && localIp) {
    const address = parseIpv4(localIp);
    if (address !== null && isSuggestedNetwork(address)) add(address, 24);
  }
  return ranges;
}

/** Splits a list typed one per line or separated by commas, semicolons or spaces; repeats dropped. */
function splitList(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter((item) => item.length > 0))];
}

/** The ranges typed in the form, as the API takes them (the server checks each). */
export function parseRangeList(text: string): string[] {
  return splitList(text);
}

export type ParsedPorts = { ports: number[]; error?: undefined } | { ports?: undefined; error: string };

/** The TCP ports typed in the form ("22, 80 443"), or what is wrong with them. */
export function parsePortList(text: string): ParsedPorts {
  const items = splitList(text);
  if (items.length === 0) return { error: "Enter at least one port." };
  const ports: number[] = [];
  for (const item of items) {
    const port = /^\d{1,5}$/.test(item) ? Number(item) : NaN;
    if (!(port >= 1 && port <= 65_535)) return { error: `"${item}" is not a port (1 to 65535).` };
    if (!ports.includes(port)) ports.push(port);
  }
  return { ports };
}

export type ParsedNumber = { value: number; error?: undefined } | { value?: undefined; error: string };

/** A whole number typed in the form (a timeout, a rate); its bounds are the server's to check. */
export function parseWholeNumber(text: string): ParsedNumber {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) return { error: "Enter a whole number." };
  return { value: Number(trimmed) };
}
