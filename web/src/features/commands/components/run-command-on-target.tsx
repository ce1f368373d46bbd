//! "Run command" on agents chosen elsewhere (a selection of the agent list): the run panel's form in a
//! dialog, sent as one job, whose page then shows each agent's progress and output. Hidden from
//! readonly users.
import { TerminalSquareIcon } from "lucide-react";
import { useState } from "react";
import type { Job } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { useCan } from "@/lib/auth";
import { useRunCommandJob } from "../api/commands";
import { CommandSpecForm } from "./command-spec-form";

export function RunCommandOnTargetButton({
  agentIds,
  targetLabel,
  onJobStarted,
}: {
  agentIds: string[];
  /** What the agents are called in the dialog's title ("3 agents", "pc-01"). */
  targetLabel: string;
  onJobStarted: (job: Job) => void;
}) {
  const mayMutate = useCan("run_commands");
  const [open, setOpen] = useState(false);
  const run = useRunCommandJob();
  if (!mayMutate) return null;
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) run.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" data-testid="run-command-on-target-button">
          <TerminalSquareIcon /> Run command
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-xl" data-testid="run-command-on-target-dialog">
        <DialogHeader>
          <DialogTitle>Run a command on {targetLabel}</DialogTitle>
          <DialogDescription>One command per agent, gathered in a job: its page shows each agent's progress and output.</DialogDescription>
        </DialogHeader>
        {open ? (
          <CommandSpecForm
            onRun={(command) =>
              run.mutate(
                { targets: { agent_ids: agentIds }, command },
                {
                  onSuccess: (job) => {
                    setOpen(false);
                    onJobStarted(job);
                  },
                },
              )
            }
            pending={run.isPending}
            error={run.isError ? run.error : null}
            onEdit={() => {
              if (run.isError) run.reset();
            }}
            note="Online agents start at once; offline ones when they return."
          />
        ) : null}
      </DialogContent>
    </Dialog>
  );
}
