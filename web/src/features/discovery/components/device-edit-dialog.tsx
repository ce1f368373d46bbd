//! A device's technician-set fields: its name (shown instead of the reverse DNS name), its type and
//! notes. An emptied name or "No type" clears it.
import { PencilIcon } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { errorMessage } from "@/api/errors";
import type { Device } from "@/api/types";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { useUpdateDevice } from "../api/discovery";

const NO_TYPE = "__none__";

const DEVICE_TYPE_LABELS: Record<string, string> = {
  workstation: "Workstation",
  server: "Server",
  laptop: "Laptop",
  printer: "Printer",
  network: "Network device",
  phone: "Phone",
  camera: "Camera",
  iot: "IoT device",
  other: "Other",
};

/** A device type as the table and the picker show it. */
export function deviceTypeLabel(type: string): string {
  return DEVICE_TYPE_LABELS[type] ?? type;
}

export function DeviceEditDialog({ device, deviceTypes }: { device: Device; deviceTypes: string[] }) {
  const ids = useId();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [type, setType] = useState(NO_TYPE);
  const [notes, setNotes] = useState("");
  const update = useUpdateDevice(device.site_id);

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (next) {
      setName(device.name ?? "");
      setType(device.device_type ?? NO_TYPE);
      setNotes(device.notes);
      update.reset();
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate(
      {
        deviceId: device.id,
        update: { name: name.trim() === "" ? null : name.trim(), device_type: type === NO_TYPE ? null : type, notes },
      },
      { onSuccess: () => setOpen(false) },
    );
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="ghost" size="icon" aria-label={`Edit ${device.ip}`} title="Edit" data-testid="device-edit">
          <PencilIcon />
        </Button>
      </DialogTrigger>
      <DialogContent data-testid="device-edit-dialog">
        <form noValidate aria-label={`Edit ${device.ip}`} className="grid gap-4" onSubmit={submit}>
          <DialogHeader>
            <DialogTitle>Edit {device.ip}</DialogTitle>
            <DialogDescription>
              {device.hostname ? `Reverse DNS: ${device.hostname}. ` : ""}A name given here is shown instead of the reverse DNS name.
            </DialogDescription>
          </DialogHeader>
          <FormField label="Name" htmlFor={`${ids}-name`} hint="Empty: the reverse DNS name.">
            <Input
              id={`${ids}-name`}
              autoFocus
              value={name}
              placeholder={device.hostname ?? "e.g. Reception printer"}
              onChange={(event) => setName(event.target.value)}
              data-testid="device-name-input"
            />
          </FormField>
          <FormField label="Type" htmlFor={`${ids}-type`}>
            <Select value={type} onValueChange={setType}>
              <SelectTrigger id={`${ids}-type`} className="w-full" data-testid="device-type-select">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={NO_TYPE}>No type</SelectItem>
                {deviceTypes.map((option) => (
                  <SelectItem key={option} value={option}>
                    {deviceTypeLabel(option)}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </FormField>
          <FormField label="Notes" htmlFor={`${ids}-notes`}>
            <Textarea
              id={`${ids}-notes`}
              rows={3}
              value={notes}
              onChange={(event) => setNotes(event.target.value)}
              data-testid="device-notes-input"
            />
          </FormField>
          {update.isError ? (
            <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
              {errorMessage(update.error)}
            </p>
          ) : null}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={update.isPending} data-testid="device-save">
              {update.isPending ? "Saving…" : "Save"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
