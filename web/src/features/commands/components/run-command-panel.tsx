//! One agent's run panel: the command form next to the live output of the last command run.
import { TerminalSquareIcon } from "lucide-react";
import { useId, useState } from "react";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { useCan } from "@/lib/auth";
import { useRunCommand } from "../api/commands";
import { CommandSpecForm } from "./command-spec-form";
import { CommandTerminal } from "./command-terminal";

/** The form that runs a command on one agent, with the live output of the last run next to it. Hidden from readonly users. */
export function RunCommandPanel({ agentId, agentOnline }: { agentId: string; agentOnline: boolean }) {
  if (!useCan("run_commands")) return null;
  return <RunCommandForm agentId={agentId} agentOnline={agentOnline} />;
}

function RunCommandForm({ agentId, agentOnline }: { agentId: string; agentOnline: boolean }) {
  const [lastCommandId, setLastCommandId] = useState<string | null>(null);
  const run = useRunCommand(agentId);
  const ids = useId();
  return (
    <Card data-testid="run-command-panel" aria-labelledby={`${ids}-title`}>
      <CardHeader>
        <CardTitle id={`${ids}-title`} className="flex items-center gap-2">
          <TerminalSquareIcon className="size-4 text-muted-foreground" aria-hidden /> Run command
        </CardTitle>
      </CardHeader>
      <CardContent className="grid gap-4 lg:grid-cols-[minmax(0,5fr)_minmax(0,7fr)]">
        <CommandSpecForm
          onRun={(spec) => run.mutate(spec, { onSuccess: (command) => setLastCommandId(command.id) })}
          pending={run.isPending}
          error={run.isError ? run.error : null}
          onEdit={() => {
            if (run.isError) run.reset();
          }}
          note={agentOnline ? "The agent is online: it starts right away." : "The agent is offline: the command waits for it."}
        />
        <div className="min-w-0">
          {lastCommandId ? (
            <CommandTerminal key={lastCommandId} commandId={lastCommandId} agentOnline={agentOnline} />
          ) : (
            <div className="flex h-full min-h-40 flex-col items-center justify-center gap-1 rounded-md border border-dashed bg-zinc-950/[0.03] p-4 text-center text-xs text-muted-foreground dark:bg-zinc-950/40">
              <TerminalSquareIcon className="size-6" aria-hidden />
              Output of the command you run appears here, live.
            </div>
          )}
        </div>
      </CardContent>
    </Card>
  );
}
