import { PlusIcon } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { type CreatedEnrollmentKey, useCreateSiteEnrollmentKey } from "../api/enrollment-keys";
import {
  buildNewEnrollmentKeyRequest,
  DEFAULT_KEY_LABEL,
  describeNewKey,
  EMPTY_ENROLLMENT_KEY_FORM,
  EXPIRY_CHOICES,
  MAX_KEY_HOURS,
  MAX_KEY_USES,
  USES_CHOICES,
  type EnrollmentKeyFormErrors,
  type EnrollmentKeyFormField,
  type EnrollmentKeyFormValues,
  type ExpiryChoice,
  type UsesChoice,
} from "../enrollment-key-form";
import { EnrollmentKeyLimits } from "./enrollment-key-details";
import { ShownOnceKey } from "./enrollment-key-section";

/**
 * Creates a key for the site with an optional label, expiry and use limit; the site's other keys keep
 * working. After creation the same dialog shows the key and its install command, once.
 */
export function NewEnrollmentKeyDialog({ siteId }: { siteId: string }) {
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<EnrollmentKeyFormValues>(EMPTY_ENROLLMENT_KEY_FORM);
  const [errors, setErrors] = useState<EnrollmentKeyFormErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  // The key in clear lives only here, until the dialog closes: the server never returns it again.
  const [created, setCreated] = useState<CreatedEnrollmentKey | null>(null);
  const createKey = useCreateSiteEnrollmentKey(siteId);

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (next) {
      setValues(EMPTY_ENROLLMENT_KEY_FORM);
      setErrors({});
      setFailure(null);
      setCreated(null);
    } else {
      setCreated(null);
    }
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button size="sm" data-testid="new-enrollment-key-button">
          <PlusIcon /> New key
        </Button>
      </DialogTrigger>
      <DialogContent
        className="sm:max-w-xl"
        data-testid="new-enrollment-key-dialog"
        // A stray click beside the dialog must not throw away a key that is shown only once.
        onInteractOutside={(event) => {
          if (created) event.preventDefault();
        }}
      >
        {created ? (
          <CreatedKeyView created={created} onDone={() => onOpenChange(false)} />
        ) : (
          <NewKeyForm
            values={values}
            errors={errors}
            failure={failure}
            pending={createKey.isPending}
            onChange={(field, value) => {
              setValues((current) => ({ ...current, [field]: value }));
              // A corrected field stops showing its old complaint.
              if (field in errors) setErrors((current) => ({ ...current, [field]: undefined }));
            }}
            onSubmit={() => {
              const result = buildNewEnrollmentKeyRequest(values);
              if (!result.ok) {
                setErrors(result.errors);
                return;
              }
              setErrors({});
              setFailure(null);
              createKey.mutate(result.request, {
                onSuccess: setCreated,
                onError: (error) => setFailure(errorMessage(error)),
              });
            }}
          />
        )}
      </DialogContent>
    </Dialog>
  );
}

function NewKeyForm({
  values,
  errors,
  failure,
  pending,
  onChange,
  onSubmit,
}: {
  values: EnrollmentKeyFormValues;
  errors: EnrollmentKeyFormErrors;
  failure: string | null;
  pending: boolean;
  onChange: <K extends keyof EnrollmentKeyFormValues>(field: K, value: EnrollmentKeyFormValues[K]) => void;
  onSubmit: () => void;
}) {
  const ids = useId();
  const preview = buildNewEnrollmentKeyRequest(values);
  const invalidProps = (field: EnrollmentKeyFormField) =>
    errors[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {};
  const fieldError = (field: EnrollmentKeyFormField) =>
    errors[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`enrollment-key-${field}-error`}>
        {errors[field]}
      </p>
    ) : null;

  return (
    <form
      noValidate
      aria-label="New enrollment key"
      className="grid gap-4"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <DialogHeader>
        <DialogTitle>New enrollment key</DialogTitle>
        <DialogDescription>
          The site&apos;s other keys keep working. For a rollout, let the key expire or limit how many agents it may enroll; a one-time key
          enrolls a single machine.
        </DialogDescription>
      </DialogHeader>

      <FormField label="Label" htmlFor={`${ids}-label`} error={fieldError("label")}>
        <Input
          id={`${ids}-label`}
          autoFocus
          value={values.label}
          placeholder={`e.g. Laptop rollout (empty: "${DEFAULT_KEY_LABEL}")`}
          onChange={(event) => onChange("label", event.target.value)}
          data-testid="enrollment-key-label-input"
          {...invalidProps("label")}
        />
      </FormField>

      <div className="grid gap-4 sm:grid-cols-2">
        <FormField label="Expires" htmlFor={`${ids}-expiry`} error={fieldError("customHours")}>
          <Select value={values.expiry} onValueChange={(value) => onChange("expiry", value as ExpiryChoice)}>
            <SelectTrigger id={`${ids}-expiry`} className="w-full" data-testid="enrollment-key-expiry-select">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {EXPIRY_CHOICES.map((choice) => (
                <SelectItem key={choice.value} value={choice.value}>
                  {choice.label}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          {values.expiry === "custom" ? (
            <Input
              aria-label="Hours until the key expires"
              inputMode="numeric"
              placeholder={`1 to ${MAX_KEY_HOURS.toLocaleString("en-US")}`}
              value={values.customHours}
              onChange={(event) => onChange("customHours", event.target.value)}
              data-testid="enrollment-key-hours-input"
              {...invalidProps("customHours")}
            />
          ) : null}
        </FormField>

        <FormField label="Uses" htmlFor={`${ids}-uses`} error={fieldError("customUses")}>
          <Select value={values.uses} onValueChange={(value) => onChange("uses", value as UsesChoice)}>
            <SelectTrigger id={`${ids}-uses`} className="w-full" data-testid="enrollment-key-uses-select">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {USES_CHOICES.map((choice) => (
                <SelectItem key={choice.value} value={choice.value}>
                  {choice.label}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          {values.uses === "custom" ? (
            <Input
              aria-label="How many agents the key may enroll"
              inputMode="numeric"
              placeholder={`1 to ${MAX_KEY_USES.toLocaleString("en-US")}`}
              value={values.customUses}
              onChange={(event) => onChange("customUses", event.target.value)}
              data-testid="enrollment-key-max-uses-input"
              {...invalidProps("customUses")}
            />
          ) : null}
        </FormField>
      </div>

      {preview.ok ? (
        <p className="text-sm text-muted-foreground" data-testid="new-enrollment-key-summary">
          {describeNewKey(preview.request)}
        </p>
      ) : null}

      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="new-enrollment-key-error">
          {failure}
        </p>
      ) : null}

      <DialogFooter>
        <Button type="submit" disabled={pending} data-testid="create-enrollment-key-button">
          {pending ? "Creating…" : "Create key"}
        </Button>
      </DialogFooter>
    </form>
  );
}

function CreatedKeyView({ created, onDone }: { created: CreatedEnrollmentKey; onDone: () => void }) {
  return (
    <div className="grid min-w-0 gap-3" data-testid="created-enrollment-key">
      <DialogHeader>
        <DialogTitle>Key &ldquo;{created.info.label}&rdquo; created</DialogTitle>
        <DialogDescription asChild>
          <div>
            <EnrollmentKeyLimits info={created.info} />
          </div>
        </DialogDescription>
      </DialogHeader>
      <ShownOnceKey
        siteId={created.info.site_id}
        keyValue={created.key}
        serverUrl={created.server_url}
        ifLost="Once you close this dialog it cannot be shown again: if you lose it, revoke it and create a new one."
      />
      <DialogFooter>
        <Button type="button" onClick={onDone} data-testid="close-created-key-button">
          Done
        </Button>
      </DialogFooter>
    </div>
  );
}
