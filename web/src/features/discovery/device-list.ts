//! The device table's rows: filtered by change or management, searched, in address order.
import type { Device } from "@/api/types";
import { parseIpv4 } from "./network-ranges";
import type { DiscoverySearch } from "./discovery-search";

/** What the table calls a device: the technician's name, else its reverse DNS name. */
export function deviceLabel(device: Pick<Device, "name" | "hostname">): string | null {
  return device.name?.trim() || device.hostname?.trim() || null;
}

function matches(device: Device, needle: string): boolean {
  return [
    device.ip,
    device.name,
    device.hostname,
    device.mac,
    device.vendor,
    device.os_guess,
    device.device_type,
    device.managed_agent_hostname,
  ]
    .filter((field): field is string => typeof field === "string")
    .some((field) => field.toLowerCase().includes(needle));
}

/** The devices the table shows for the URL's filter and search, by address (10.0.0.9 before 10.0.0.10). */
export function visibleDevices(devices: readonly Device[], search: DiscoverySearch): Device[] {
  const needle = search.q?.trim().toLowerCase() ?? "";
  return devices
    .filter((device) => {
      if (search.show === "new" && device.change !== "new") return false;
      if (search.show === "missing" && device.change !== "missing") return false;
      if (search.show === "unmanaged" && device.managed_agent_id) return false;
      return needle === "" || matches(device, needle);
    })
    .sort((left, right) => (parseIpv4(left.ip) ?? 0) - (parseIpv4(right.ip) ?? 0) || left.ip.localeCompare(right.ip));
}
