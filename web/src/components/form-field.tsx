//! A form field's frame: its label, the control, a hint and the field's error, laid out the same in
//! every form.
import type { ReactNode } from "react";
import { Label } from "@/components/ui/label";

export function FormField({
  label,
  htmlFor,
  hint,
  error,
  children,
}: {
  label: string;
  htmlFor: string;
  /** A short note under the control, e.g. how the agent runs it. */
  hint?: ReactNode;
  /** The field's error message element, shown under the hint. */
  error?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="grid min-w-0 content-start gap-1">
      <Label htmlFor={htmlFor} className="text-xs text-muted-foreground">
        {label}
      </Label>
      {children}
      {hint ? <p className="text-[11px] text-muted-foreground">{hint}</p> : null}
      {error}
    </div>
  );
}
