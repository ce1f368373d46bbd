import type { Device } from "@/api/types";
import { discoveredDevice as device } from "@/test/fixtures";
import { deviceLabel, visibleDevices } from "./device-list";
import { parseDiscoverySearch } from "./discovery-search";

const DEVICES = [
  device({ ip: "192.168.1.10", hostname: "printer.lan", vendor: "Brother", change: "new" }),
  device({ ip: "192.168.1.9", name: "Front desk", hostname: "desk01", managed_agent_id: "a1", managed_agent_hostname: "desk01" }),
  device({ ip: "192.168.1.100", mac: "AA:BB:CC:00:11:22", change: "missing" }),
];

const ips = (devices: Device[]) => devices.map((item) => item.ip);

describe("visibleDevices", () => {
  it("lists every device by address", () => {
    expect(ips(visibleDevices(DEVICES, {}))).toEqual(["192.168.1.9", "192.168.1.10", "192.168.1.100"]);
  });

  it("shows the new, the missing or the unmanaged ones", () => {
    expect(ips(visibleDevices(DEVICES, { show: "new" }))).toEqual(["192.168.1.10"]);
    expect(ips(visibleDevices(DEVICES, { show: "missing" }))).toEqual(["192.168.1.100"]);
    expect(ips(visibleDevices(DEVICES, { show: "unmanaged" }))).toEqual(["192.168.1.10", "192.168.1.100"]);
  });

  it("searches the address, names, MAC and vendor in any case", () => {
    expect(ips(visibleDevices(DEVICES, { q: "brother" }))).toEqual(["192.168.1.10"]);
    expect(ips(visibleDevices(DEVICES, { q: "front" }))).toEqual(["192.168.1.9"]);
    expect(ips(visibleDevices(DEVICES, { q: "aa:bb" }))).toEqual(["192.168.1.100"]);
    expect(ips(visibleDevices(DEVICES, { q: "1.10" }))).toEqual(["192.168.1.10", "192.168.1.100"]);
    expect(ips(visibleDevices(DEVICES, { show: "new", q: "desk" }))).toEqual([]);
  });
});

describe("deviceLabel", () => {
  it("prefers the technician's name to the reverse DNS name", () => {
    expect(deviceLabel({ name: "Front desk", hostname: "desk01" })).toBe("Front desk");
    expect(deviceLabel({ name: "  ", hostname: "desk01" })).toBe("desk01");
    expect(deviceLabel({ name: null, hostname: null })).toBeNull();
  });
});

describe("parseDiscoverySearch", () => {
  it("keeps a known filter and the search text, and drops the rest", () => {
    expect(parseDiscoverySearch({ show: "missing", q: "printer", page: "2" })).toEqual({ show: "missing", q: "printer" });
    expect(parseDiscoverySearch({ show: "everything" })).toEqual({});
  });
});
