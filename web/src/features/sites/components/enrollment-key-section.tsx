import { KeyRoundIcon, TriangleAlertIcon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import type { EnrollmentKey } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CopyButton } from "@/components/copy-button";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { useCanMutate } from "@/lib/auth";
import { useCreateEnrollmentKey, useSite } from "../api/sites";

/** Whether agents would reach this server over plain HTTP, which they refuse unless told otherwise. */
export function isPlainHttp(serverUrl: string): boolean {
  return /^http:\/\//i.test(serverUrl);
}

/** `value` as one word for a POSIX shell: as is when it is plainly safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : shellQuote(value);
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command a technician pastes on a Linux machine to enroll it into this site. The key is piped in
 * (echo is a shell builtin), so it never appears in any process's command line, which every local
 * user can read.
 */
export function linuxInstallCommand(serverUrl: string, key: string): string {
  const insecure = isPlainHttp(serverUrl) ? " --allow-insecure-http" : "";
  return (
    `echo ${shellQuote(key)} | sudo gururmm-agent run --server ${shellWord(serverUrl)}${insecure} ` +
    "--enroll-key-stdin --state-dir /var/lib/gururmm-agent"
  );
}

export function EnrollmentKeySection({ siteId }: { siteId: string }) {
  const site = useSite(siteId);
  const createKey = useCreateEnrollmentKey(siteId);
  const mayMutate = useCanMutate();
  // The full key exists only in this component's memory: the server never returns it again.
  const [freshKey, setFreshKey] = useState<EnrollmentKey | null>(null);

  // Regenerating goes through the confirm dialog, which shows failures itself.
  const regenerate = async () => setFreshKey(await createKey.mutateAsync());
  const generateFirst = () => createKey.mutateAsync().then(setFreshKey, (error: unknown) => toast.error(errorMessage(error)));

  // Once a key was generated it must stay on screen whatever happens to the site query.
  if (site.isPending && !freshKey) return <Skeleton className="h-32" />;
  if (site.isError && !freshKey) return null;
  const existingKeyCreatedAt = site.data?.enrollment_key_created_at ?? null;

  return (
    <Card data-testid="enrollment-key-section">
      <CardHeader>
        <div className="grid gap-1">
          <CardTitle className="flex items-center gap-2">
            <KeyRoundIcon className="size-4" /> Enrollment key
          </CardTitle>
          <CardDescription>
            Agents use this key once to join the site; each agent then gets its own secret. Regenerating the key stops the old one from
            enrolling new agents (agents already enrolled keep working).
          </CardDescription>
        </div>
        {mayMutate ? (
          existingKeyCreatedAt || freshKey ? (
            <ConfirmDialog
              trigger={
                <Button variant="outline" size="sm" data-testid="regenerate-key-button">
                  Regenerate key
                </Button>
              }
              title="Regenerate the enrollment key?"
              description="The current key stops working at once: installers and commands that contain it can no longer enroll agents. Agents already enrolled are not affected."
              confirmLabel="Regenerate key"
              onConfirm={regenerate}
            />
          ) : (
            <Button size="sm" data-testid="generate-key-button" disabled={createKey.isPending} onClick={() => void generateFirst()}>
              Generate key
            </Button>
          )
        ) : null}
      </CardHeader>
      <CardContent className="grid gap-3">
        {freshKey ? (
          <FreshKey enrollmentKey={freshKey} />
        ) : existingKeyCreatedAt ? (
          <p className="text-sm text-muted-foreground" data-testid="enrollment-key-status">
            A key was created <RelativeTime value={existingKeyCreatedAt} />. For security it is shown only once, when it is generated;
            regenerate it if you need it again.
          </p>
        ) : (
          <p className="text-sm text-muted-foreground" data-testid="enrollment-key-status">
            This site has no enrollment key yet.
            {mayMutate ? " Generate one to install agents." : " Ask an administrator or technician to generate one."}
          </p>
        )}
      </CardContent>
    </Card>
  );
}

function FreshKey({ enrollmentKey }: { enrollmentKey: EnrollmentKey }) {
  const command = linuxInstallCommand(enrollmentKey.server_url, enrollmentKey.key);
  const insecure = isPlainHttp(enrollmentKey.server_url);
  return (
    <>
      <div className="flex items-start gap-2 rounded-md border border-warning/50 bg-warning/10 px-3 py-2 text-sm">
        <TriangleAlertIcon className="mt-0.5 size-4 shrink-0 text-warning" aria-hidden />
        <span>Copy the key now: it is shown only this once. If you lose it, regenerate a new one.</span>
      </div>
      <div className="grid gap-1">
        <span className="text-xs font-medium text-muted-foreground">Key</span>
        <div className="flex items-center gap-2">
          <code
            data-testid="enrollment-key-value"
            className="flex-1 overflow-x-auto rounded-md bg-muted px-2 py-1.5 font-mono text-xs break-all"
          >
            {enrollmentKey.key}
          </code>
          <CopyButton text={enrollmentKey.key} label="Copy key" />
        </div>
      </div>
      <div className="grid gap-1">
        <span className="text-xs font-medium text-muted-foreground">
          Linux: run on the machine to enroll, as a user who may use sudo (with the gururmm-agent binary on root&apos;s PATH)
        </span>
        <div className="flex items-start gap-2">
          <pre
            data-testid="install-command"
            className="flex-1 overflow-x-auto rounded-md bg-muted px-2 py-1.5 font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere]"
          >
            {command}
          </pre>
          <CopyButton text={command} label="Copy command" />
        </div>
        <p className="text-xs text-muted-foreground">
          The key is piped in, so it never shows in the machine&apos;s process list. The agent enrolls once, keeps its own identity in the
          state directory and then reconnects by itself. Windows and macOS installers are not available yet.
        </p>
        {insecure ? (
          <p className="text-xs text-warning" data-testid="insecure-http-warning">
            This server&apos;s public URL is plain HTTP, so the command allows it with --allow-insecure-http: the key, the agent&apos;s
            secret and every command would cross the network unencrypted. Give the server an https:// public URL for real machines.
          </p>
        ) : null}
      </div>
    </>
  );
}
