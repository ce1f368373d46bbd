//! The dialog that shows one command's output, opened from the command history and from a job's
//! agents. Which command is open lives in the URL (`?command=`); the caller renders the output (the
//! commands feature's terminal), so this frame imports no feature.
import type { ReactNode } from "react";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { useLastDefined } from "@/hooks/use-last-defined";

export function CommandOutputDialog({
  commandId,
  title,
  description,
  onClose,
  children,
}: {
  /** The open command; undefined closes the dialog. */
  commandId: string | undefined;
  title: string;
  /** Read by screen readers only. */
  description: string;
  onClose: () => void;
  children: (commandId: string) => ReactNode;
}) {
  // Keep the last id while the dialog animates closed, so its content does not vanish first.
  const shownId = useLastDefined(commandId);
  return (
    <Dialog open={commandId !== undefined} onOpenChange={(open) => (open ? undefined : onClose())}>
      <DialogContent className="sm:max-w-4xl" data-testid="command-output-dialog">
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          <DialogDescription className="sr-only">{description}</DialogDescription>
        </DialogHeader>
        {shownId ? children(shownId) : null}
      </DialogContent>
    </Dialog>
  );
}
