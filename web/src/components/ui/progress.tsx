import { Progress as ProgressPrimitive } from "radix-ui";
import type * as React from "react";
import { cn } from "@/lib/utils";

/**
 * A usage bar; turns amber above 80 % and red above 90 % so full disks stand out. A bar of work done
 * (a scan's addresses probed) passes `usage={false}`: nearly done is not a warning.
 */
function Progress({ className, value, usage = true, ...props }: React.ComponentProps<typeof ProgressPrimitive.Root> & { usage?: boolean }) {
  const percent = Math.max(0, Math.min(100, value ?? 0));
  const tone = !usage ? "bg-primary" : percent >= 90 ? "bg-destructive" : percent >= 80 ? "bg-warning" : "bg-primary";
  return (
    <ProgressPrimitive.Root
      data-slot="progress"
      value={percent}
      className={cn("relative h-2 w-full overflow-hidden rounded-full bg-muted", className)}
      {...props}
    >
      <ProgressPrimitive.Indicator
        data-slot="progress-indicator"
        className={cn("h-full w-full flex-1 transition-all", tone)}
        style={{ transform: `translateX(-${100 - percent}%)` }}
      />
    </ProgressPrimitive.Root>
  );
}

export { Progress };
