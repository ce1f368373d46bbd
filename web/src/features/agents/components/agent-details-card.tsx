//! The agent's own details on its page: the name people gave it (alias), its tags and notes, with
//! "Edit details" and "Move to site" (another site, possibly of another client) for technicians.
import { ArrowRightLeftIcon, PencilIcon } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { errorMessage } from "@/api/errors";
import type { AgentDetail } from "@/api/types";
import { FormField } from "@/components/form-field";
import { SectionCard } from "@/components/section-card";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { useCan } from "@/lib/auth";
import { useUpdateAgent } from "../api/agents";
import {
  agentDetailsRequest,
  agentDetailsValues,
  fieldOfRefusal,
  MAX_ALIAS_CHARACTERS,
  MAX_TAG_CHARACTERS,
  MAX_TAGS,
  type AgentDetailsErrors,
  type AgentDetailsField,
  type AgentDetailsFormValues,
} from "../agent-details-form";
import { AgentTags } from "./agent-tags";
import { SitePicker } from "./site-picker";

export function AgentDetailsCard({ agent }: { agent: AgentDetail }) {
  const mayMutate = useCan("organize_agents");
  const empty = !agent.alias && agent.tags.length === 0 && !agent.notes;
  return (
    <SectionCard
      title="Details"
      data-testid="agent-details"
      actions={
        mayMutate ? (
          <div className="flex gap-2">
            <EditAgentDetailsDialog agent={agent} />
            <MoveAgentDialog agent={agent} />
          </div>
        ) : null
      }
    >
      {empty ? (
        <p className="text-sm text-muted-foreground">No name, tags or notes yet.</p>
      ) : (
        <dl className="grid gap-2 text-sm">
          {agent.alias ? (
            <div className="flex gap-2">
              <dt className="w-14 shrink-0 text-muted-foreground">Name</dt>
              <dd className="font-medium" data-testid="agent-alias">
                {agent.alias}
              </dd>
            </div>
          ) : null}
          {agent.tags.length > 0 ? (
            <div className="flex gap-2">
              <dt className="w-14 shrink-0 text-muted-foreground">Tags</dt>
              <dd>
                <AgentTags tags={agent.tags} />
              </dd>
            </div>
          ) : null}
          {agent.notes ? (
            <div className="flex gap-2">
              <dt className="w-14 shrink-0 text-muted-foreground">Notes</dt>
              <dd className="whitespace-pre-wrap break-words" data-testid="agent-notes">
                {agent.notes}
              </dd>
            </div>
          ) : null}
        </dl>
      )}
    </SectionCard>
  );
}

function EditAgentDetailsDialog({ agent }: { agent: AgentDetail }) {
  const ids = useId();
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<AgentDetailsFormValues>(() => agentDetailsValues(agent));
  const [errors, setErrors] = useState<AgentDetailsErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const update = useUpdateAgent(agent.id);

  const change = (field: AgentDetailsField, value: string) => setValues((current) => ({ ...current, [field]: value }));
  const fieldError = (field: AgentDetailsField) =>
    errors[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`agent-${field}-error`}>
        {errors[field]}
      </p>
    ) : null;
  const invalid = (field: AgentDetailsField) =>
    errors[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {};

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = agentDetailsRequest(values);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    setFailure(null);
    update.mutate(result.request, {
      onSuccess: () => setOpen(false),
      onError: (error) => {
        const message = errorMessage(error);
        const field = fieldOfRefusal(message);
        if (field) setErrors({ [field]: message });
        else setFailure(message);
      },
    });
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) {
          setValues(agentDetailsValues(agent));
          setErrors({});
          setFailure(null);
        }
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" size="sm">
          <PencilIcon /> Edit details
        </Button>
      </DialogTrigger>
      <DialogContent>
        <form noValidate aria-label="Agent details" className="grid gap-4" onSubmit={submit}>
          <DialogHeader>
            <DialogTitle>Details of {agent.hostname}</DialogTitle>
            <DialogDescription>The name is shown with the hostname everywhere; tags group agents in the list.</DialogDescription>
          </DialogHeader>
          <FormField label="Name" htmlFor={`${ids}-alias`} hint="Empty: the hostname alone." error={fieldError("alias")}>
            <Input
              id={`${ids}-alias`}
              autoFocus
              value={values.alias}
              maxLength={MAX_ALIAS_CHARACTERS}
              placeholder="e.g. Front desk PC"
              onChange={(event) => change("alias", event.target.value)}
              {...invalid("alias")}
            />
          </FormField>
          <FormField
            label="Tags"
            htmlFor={`${ids}-tags`}
            hint={`Separated by commas; at most ${MAX_TAGS}, each up to ${MAX_TAG_CHARACTERS} characters, kept in lowercase.`}
            error={fieldError("tags")}
          >
            <Input
              id={`${ids}-tags`}
              value={values.tags}
              placeholder="e.g. reception, windows"
              onChange={(event) => change("tags", event.target.value)}
              {...invalid("tags")}
            />
          </FormField>
          <FormField label="Notes" htmlFor={`${ids}-notes`} error={fieldError("notes")}>
            <Textarea
              id={`${ids}-notes`}
              rows={5}
              value={values.notes}
              onChange={(event) => change("notes", event.target.value)}
              {...invalid("notes")}
            />
          </FormField>
          {failure ? (
            <p role="alert" className="text-sm text-destructive">
              {failure}
            </p>
          ) : null}
          <DialogFooter>
            <Button type="submit" disabled={update.isPending}>
              {update.isPending ? "Saving…" : "Save"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

/**
 * Moves the agent to another site, possibly of another client. Its history stays with it; its
 * checks become those of its new place, which the description says before anything happens.
 */
function MoveAgentDialog({ agent }: { agent: AgentDetail }) {
  const [open, setOpen] = useState(false);
  const [clientId, setClientId] = useState(agent.client_id);
  const [siteId, setSiteId] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);
  const update = useUpdateAgent(agent.id);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!siteId || siteId === agent.site_id) return;
    setFailure(null);
    update.mutate(
      { site_id: siteId },
      {
        onSuccess: () => setOpen(false),
        onError: (error) => setFailure(errorMessage(error)),
      },
    );
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) {
          setClientId(agent.client_id);
          setSiteId(undefined);
          setFailure(null);
        }
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" size="sm">
          <ArrowRightLeftIcon /> Move to site
        </Button>
      </DialogTrigger>
      <DialogContent>
        <form noValidate aria-label="Move agent" className="grid gap-4" onSubmit={submit}>
          <DialogHeader>
            <DialogTitle>Move {agent.alias || agent.hostname}</DialogTitle>
            <DialogDescription>
              Now in {agent.client_name} / {agent.site_name}. Its commands, metrics, checks and alerts stay with it; its checks and settings
              become those of the policies of its new client and site.
            </DialogDescription>
          </DialogHeader>
          <SitePicker
            enabled={open}
            clientId={clientId}
            siteId={siteId}
            onClientChange={(value) => {
              setClientId(value);
              setSiteId(undefined);
            }}
            onSiteChange={setSiteId}
            currentClient={{ id: agent.client_id, name: agent.client_name }}
            currentSiteId={agent.site_id}
          />
          {failure ? (
            <p role="alert" className="text-sm text-destructive">
              {failure}
            </p>
          ) : null}
          <DialogFooter>
            <Button type="submit" disabled={!siteId || siteId === agent.site_id || update.isPending}>
              {update.isPending ? "Moving…" : "Move agent"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
