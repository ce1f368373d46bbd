//! A password-type input for a secret value, with a button that shows or hides what was typed.
import { EyeIcon, EyeOffIcon } from "lucide-react";
import { useState, type ComponentProps } from "react";
import { Input } from "@/components/ui/input";
import { cn } from "@/lib/utils";

export function SecretInput({ className, ...props }: Omit<ComponentProps<"input">, "type">) {
  const [shown, setShown] = useState(false);
  return (
    <span className="relative flex min-w-0">
      <Input
        type={shown ? "text" : "password"}
        autoComplete="new-password"
        spellCheck={false}
        className={cn("pr-7", className)}
        {...props}
      />
      <button
        type="button"
        className="absolute inset-y-0 right-0 flex w-7 items-center justify-center text-muted-foreground hover:text-foreground disabled:opacity-50"
        aria-label={shown ? "Hide the value" : "Show the value"}
        aria-pressed={shown}
        disabled={props.disabled}
        onClick={() => setShown((current) => !current)}
        data-testid="secret-toggle"
      >
        {shown ? <EyeOffIcon className="size-3.5" aria-hidden /> : <EyeIcon className="size-3.5" aria-hidden />}
      </button>
    </span>
  );
}
