//! A secret value this user may not read (the server answered `********`): a lock and "hidden", never
//! the placeholder as if it were the value. Used for command environments, and by the script and job
//! pages for default environments and secret parameters.
import { LockIcon } from "lucide-react";
import { cn } from "@/lib/utils";

export const HIDDEN_VALUE_TITLE = "You need the View secrets permission to see this value";

export function HiddenValue({ label = "hidden", className }: { label?: string; className?: string }) {
  return (
    <span
      className={cn("inline-flex items-center gap-1 text-muted-foreground italic", className)}
      title={HIDDEN_VALUE_TITLE}
      data-testid="hidden-value"
    >
      <LockIcon className="size-3 shrink-0" aria-hidden />
      {label}
    </span>
  );
}
