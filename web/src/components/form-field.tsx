//! A form field's frame: its label, the control, a hint and the field's error, laid out the same in
//! every form.
import type { ReactNode } from "react";
import { Label } from "@/components/ui/label";

export function FormField({
  label,
  htmlFor,
  hint,
  error,
  beside = false,
  children,
}: {
  /** Usually text; a field named by data (a script parameter) passes its own marks. */
  label: ReactNode;
  htmlFor: string;
  /** A short note under the control, e.g. how the agent runs it. */
  hint?: ReactNode;
  /** The field's error message element, shown under the hint. */
  error?: ReactNode;
  /** Put the label in a column beside the control (rows of many like fields) instead of above it. */
  beside?: boolean;
  children: ReactNode;
}) {
  const below = (
    <>
      {children}
      {hint ? <p className="text-[11px] text-muted-foreground">{hint}</p> : null}
      {error}
    </>
  );
  if (beside) {
    return (
      <div className="grid items-start gap-x-3 gap-y-0.5 sm:grid-cols-[10rem_minmax(0,1fr)]">
        <Label htmlFor={htmlFor} className="text-xs text-muted-foreground sm:pt-1.5">
          {label}
        </Label>
        <div className="grid min-w-0 gap-0.5">{below}</div>
      </div>
    );
  }
  return (
    <div className="grid min-w-0 content-start gap-1">
      <Label htmlFor={htmlFor} className="text-xs text-muted-foreground">
        {label}
      </Label>
      {below}
    </div>
  );
}
