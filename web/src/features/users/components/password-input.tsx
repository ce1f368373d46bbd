//! A password field with its label and its own error under it, as the welcome and account pages use it.
import { FormField } from "@/components/form-field";
import { Input } from "@/components/ui/input";

export function PasswordInput({
  id,
  label,
  value,
  onChange,
  error,
  hint,
  autoComplete,
  autoFocus = false,
  testId,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  hint?: string;
  autoComplete: "current-password" | "new-password";
  autoFocus?: boolean;
  testId: string;
}) {
  return (
    <FormField
      label={label}
      htmlFor={id}
      hint={hint}
      error={
        error ? (
          <p className="text-xs text-destructive" id={`${id}-error`} data-testid={`${testId}-error`}>
            {error}
          </p>
        ) : null
      }
    >
      <Input
        id={id}
        type="password"
        autoComplete={autoComplete}
        autoFocus={autoFocus}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        data-testid={testId}
        {...(error ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {})}
      />
    </FormField>
  );
}
