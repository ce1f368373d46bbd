//! The devices scans found on the site: address, name, MAC and vendor, open ports, OS guess, type, the
//! agent running on it, when it was first and last seen, and whether the newest scan saw it first
//! (New) or missed it (Missing). Filtered and searched through the URL; named, typed and deleted by
//! users who organize agents.
import { Link } from "@tanstack/react-router";
import { NetworkIcon, Trash2Icon } from "lucide-react";
import type { Device } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useCan } from "@/lib/auth";
import { useDeleteDevice } from "../api/discovery";
import { deviceLabel, visibleDevices } from "../device-list";
import { DEVICE_FILTERS, type DeviceFilter, type DiscoverySearch } from "../discovery-search";
import { DeviceEditDialog, deviceTypeLabel } from "./device-edit-dialog";

const FILTER_LABELS: Record<DeviceFilter | "all", string> = {
  all: "All",
  new: "New",
  missing: "Missing",
  unmanaged: "Unmanaged",
};

export function DeviceTable({
  devices,
  deviceTypes,
  search,
  onSearchChange,
}: {
  devices: Device[];
  deviceTypes: string[];
  search: DiscoverySearch;
  onSearchChange: (next: DiscoverySearch) => void;
}) {
  const mayEdit = useCan("organize_agents");
  const visible = visibleDevices(devices, search);
  const counts: Record<DeviceFilter | "all", number> = {
    all: devices.length,
    new: devices.filter((device) => device.change === "new").length,
    missing: devices.filter((device) => device.change === "missing").length,
    unmanaged: devices.filter((device) => !device.managed_agent_id).length,
  };

  if (devices.length === 0) {
    return (
      <EmptyState icon={NetworkIcon} title="No device found yet" data-testid="devices-empty">
        Devices that answer a scan on one of its ports are listed here, with the agent running on them when there is one.
      </EmptyState>
    );
  }

  return (
    <div className="grid gap-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex flex-wrap items-center gap-2" role="group" aria-label="Show devices">
          {(["all", ...DEVICE_FILTERS] as const).map((option) => {
            const active = (search.show ?? "all") === option;
            return (
              <Button
                key={option}
                size="sm"
                variant={active ? "default" : "outline"}
                aria-pressed={active}
                onClick={() => onSearchChange({ ...search, show: option === "all" ? undefined : option })}
                data-testid={`devices-filter-${option}`}
              >
                {FILTER_LABELS[option]} ({counts[option]})
              </Button>
            );
          })}
        </div>
        <SearchInput
          value={search.q ?? ""}
          onChange={(q) => onSearchChange({ ...search, q: q.trim() === "" ? undefined : q })}
          placeholder="Search address, name, MAC, vendor"
          label="Search the devices"
          className="w-72"
        />
      </div>
      <Table data-testid="devices-table">
        <TableHeader>
          <TableRow>
            <TableHead>Address</TableHead>
            <TableHead>Name</TableHead>
            <TableHead>MAC</TableHead>
            <TableHead>Vendor</TableHead>
            <TableHead>Open ports</TableHead>
            <TableHead>OS guess</TableHead>
            <TableHead>Type</TableHead>
            <TableHead>Agent</TableHead>
            <TableHead>First seen</TableHead>
            <TableHead>Last seen</TableHead>
            {mayEdit ? (
              <TableHead className="w-20">
                <span className="sr-only">Actions</span>
              </TableHead>
            ) : null}
          </TableRow>
        </TableHeader>
        <TableBody>
          {visible.map((device) => (
            <DeviceRow key={device.id} device={device} deviceTypes={deviceTypes} mayEdit={mayEdit} />
          ))}
        </TableBody>
      </Table>
      {visible.length === 0 ? (
        <p className="text-sm text-muted-foreground" data-testid="devices-none-match">
          No device matches.
        </p>
      ) : null}
    </div>
  );
}

function DeviceRow({ device, deviceTypes, mayEdit }: { device: Device; deviceTypes: string[]; mayEdit: boolean }) {
  const deleteDevice = useDeleteDevice(device.site_id);
  const label = deviceLabel(device);
  return (
    <TableRow data-testid="device-row" data-ip={device.ip} data-change={device.change ?? "none"}>
      <TableCell className="whitespace-nowrap font-mono text-xs">
        <span data-testid="device-ip">{device.ip}</span>
        {device.change === "new" ? (
          <Badge variant="info" className="ml-2" data-testid="device-change">
            New
          </Badge>
        ) : device.change === "missing" ? (
          <Badge variant="warning" className="ml-2" data-testid="device-change">
            Missing
          </Badge>
        ) : null}
      </TableCell>
      <TableCell className="max-w-56" data-testid="device-name">
        <div className="truncate font-medium" title={label ?? undefined}>
          {label ?? <span className="text-muted-foreground">—</span>}
        </div>
        {device.name && device.hostname ? <div className="truncate text-xs text-muted-foreground">{device.hostname}</div> : null}
        {device.notes ? (
          <div className="truncate text-xs text-muted-foreground" title={device.notes}>
            {device.notes}
          </div>
        ) : null}
      </TableCell>
      <TableCell className="whitespace-nowrap font-mono text-xs">{device.mac ?? "—"}</TableCell>
      <TableCell className="max-w-40 truncate" title={device.vendor ?? undefined}>
        {device.vendor ?? "—"}
      </TableCell>
      <TableCell className="max-w-48 truncate font-mono text-xs" data-testid="device-ports" title={device.open_ports.join(", ")}>
        {device.open_ports.length > 0 ? device.open_ports.join(", ") : "—"}
      </TableCell>
      <TableCell>{device.os_guess ?? "—"}</TableCell>
      <TableCell data-testid="device-type">{device.device_type ? deviceTypeLabel(device.device_type) : "—"}</TableCell>
      <TableCell>
        {device.managed_agent_id ? (
          <Link
            to="/agents/$agentId"
            params={{ agentId: device.managed_agent_id }}
            className="text-primary hover:underline"
            data-testid="device-agent-link"
          >
            {device.managed_agent_hostname ?? "Agent"}
          </Link>
        ) : (
          <span className="text-muted-foreground">None</span>
        )}
      </TableCell>
      <TableCell className="whitespace-nowrap text-muted-foreground">
        <RelativeTime value={device.first_seen} />
      </TableCell>
      <TableCell className="whitespace-nowrap text-muted-foreground">
        <RelativeTime value={device.last_seen} />
      </TableCell>
      {mayEdit ? (
        <TableCell className="whitespace-nowrap text-right">
          <DeviceEditDialog device={device} deviceTypes={deviceTypes} />
          <ConfirmDialog
            trigger={
              <Button variant="ghost" size="icon" aria-label={`Delete ${device.ip}`} title="Delete" data-testid="device-delete">
                <Trash2Icon />
              </Button>
            }
            title={`Delete ${label ? `${label} (${device.ip})` : device.ip}?`}
            description="Its name, type and notes are lost. A later scan that sees it again lists it as a new device."
            confirmLabel="Delete device"
            onConfirm={() => deleteDevice.mutateAsync(device.id)}
          />
        </TableCell>
      ) : null}
    </TableRow>
  );
}
