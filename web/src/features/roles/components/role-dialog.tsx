//! Makes or changes a custom role: its name, description and permissions, grouped, each with what it
//! allows. Permissions the signed-in user does not hold are shown but cannot be ticked: the server
//! refuses a role holding one (403), and if it does anyway its message is shown here.
import { useId, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import type { Permission } from "@/api/types";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { useCurrentUser } from "@/lib/auth";
import { useCreateRole, useUpdateRole, type CustomRole } from "../api/roles";
import { PERMISSION_DESCRIPTIONS, PERMISSION_GROUPS, roleFieldProblem, roleRequestFrom, type RoleField } from "../role-form";

/** `role` is the role to change; without it the dialog makes a new one. */
export function RoleDialog({ role, trigger }: { role?: CustomRole; trigger: ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent className="max-h-[90svh] overflow-y-auto sm:max-w-2xl" data-testid="role-dialog">
        {open ? <RoleForm role={role} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}

function RoleForm({ role, onDone }: { role?: CustomRole; onDone: () => void }) {
  const ids = useId();
  const held = useCurrentUser().data?.permissions ?? [];
  const [name, setName] = useState(role?.name ?? "");
  const [description, setDescription] = useState(role?.description ?? "");
  const [permissions, setPermissions] = useState<Permission[]>(role?.permissions ?? []);
  const [problems, setProblems] = useState<Partial<Record<RoleField, string>>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const create = useCreateRole();
  const update = useUpdateRole();
  const pending = create.isPending || update.isPending;

  const clear = (field: RoleField) => setProblems((shown) => ({ ...shown, [field]: undefined }));
  const toggle = (permission: Permission, on: boolean) => {
    setPermissions((chosen) => (on ? [...chosen, permission] : chosen.filter((p) => p !== permission)));
    clear("permissions");
  };

  const submit = async () => {
    setFailure(null);
    const result = roleRequestFrom({ name, description, permissions }, held);
    if (!result.ok) return setProblems(result.problems);
    setProblems({});
    try {
      if (role) {
        const saved = await update.mutateAsync({ id: role.id, body: result.body });
        toast.success(`${saved.name} is saved; its users have the new permissions from their next request.`);
      } else {
        const saved = await create.mutateAsync(result.body);
        toast.success(`The role ${saved.name} is made; give it to users on the Users page.`);
      }
      onDone();
    } catch (error) {
      const placed = roleFieldProblem(error);
      if (placed) setProblems({ [placed.field]: placed.message });
      else setFailure(errorMessage(error));
    }
  };

  const problem = (field: RoleField) =>
    problems[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`role-${field}-error`}>
        {problems[field]}
      </p>
    ) : null;
  const invalid = (field: RoleField) => (problems[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {});

  return (
    <form
      className="grid min-w-0 gap-4"
      noValidate
      aria-label={role ? `Edit ${role.name}` : "New role"}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <DialogHeader>
        <DialogTitle>{role ? `Edit ${role.name}` : "New role"}</DialogTitle>
        <DialogDescription>
          A role may do exactly what its permissions allow and nothing else.
          {role ? " Its users get the change at their next request." : null}
        </DialogDescription>
      </DialogHeader>
      <FormField label="Name" htmlFor={`${ids}-name`} error={problem("name")}>
        <Input
          id={`${ids}-name`}
          autoComplete="off"
          autoFocus
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            clear("name");
          }}
          placeholder="Helpdesk"
          data-testid="role-name"
          {...invalid("name")}
        />
      </FormField>
      <FormField label="Description" htmlFor={`${ids}-description`} hint="Optional: who the role is for." error={problem("description")}>
        <Textarea
          id={`${ids}-description`}
          rows={2}
          value={description}
          onChange={(event) => {
            setDescription(event.target.value);
            clear("description");
          }}
          data-testid="role-description"
          {...invalid("description")}
        />
      </FormField>
      <div className="grid min-w-0 gap-3" data-testid="role-permission-choices" {...invalid("permissions")}>
        {PERMISSION_GROUPS.map((group) => (
          <fieldset key={group.title} className="grid min-w-0 gap-1">
            <legend className="mb-1 text-xs font-medium text-muted-foreground">{group.title}</legend>
            {group.permissions.map((permission) => {
              const lacking = !held.includes(permission);
              return (
                <label
                  key={permission}
                  className={`flex items-start gap-2 rounded px-1 py-0.5 text-sm ${lacking ? "opacity-60" : "hover:bg-accent"}`}
                  title={lacking ? "You do not hold this permission, so you cannot give it" : undefined}
                >
                  <input
                    type="checkbox"
                    className="mt-0.5 size-4 shrink-0 accent-primary"
                    checked={permissions.includes(permission)}
                    disabled={lacking}
                    onChange={(event) => toggle(permission, event.target.checked)}
                    aria-describedby={`${ids}-${permission}-about`}
                    data-testid="role-permission"
                    data-permission={permission}
                  />
                  <span className="grid min-w-0">
                    <span className="font-mono text-xs">{permission}</span>
                    <span id={`${ids}-${permission}-about`} className="text-xs text-muted-foreground">
                      {PERMISSION_DESCRIPTIONS[permission]}
                      {lacking ? (
                        <span className="block italic" data-testid="role-permission-not-held">
                          You do not hold this permission, so you cannot give it.
                        </span>
                      ) : null}
                    </span>
                  </span>
                </label>
              );
            })}
          </fieldset>
        ))}
        {problem("permissions")}
      </div>
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="role-failure">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={pending} data-testid="role-submit">
          {pending ? "Saving…" : role ? "Save" : "Create role"}
        </Button>
      </DialogFooter>
    </form>
  );
}
