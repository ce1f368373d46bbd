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
import { useCan } from "@/lib/auth";
import { type EnrollmentKeyInfo, useSiteEnrollmentKeys } from "../api/enrollment-keys";
import { useCreateEnrollmentKey, useSite } from "../api/sites";
import { DebianPackages } from "./debian-packages";
import { LinuxInstaller } from "./linux-installer";
import { WindowsInstaller } from "./windows-installer";

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
 * The command a technician pastes on a Linux machine that has the agent (a release's binaries or the
 * .deb) to install it as a service enrolled into this site. The key goes into a new file from
 * `mktemp` (mode 0600, a name no one else chose; echo is a shell builtin, so the key never appears in
 * any process's command line, which every local user can read), `install` enrolls with it once, and
 * the file is deleted. The leading space keeps the line out of shells' history where
 * `HISTCONTROL=ignorespace` (bash's default on Debian and Ubuntu).
 */
export function linuxInstallCommand(serverUrl: string, key: string): string {
  const insecure = isPlainHttp(serverUrl) ? " --allow-insecure-http" : "";
  return (
    ` f=$(mktemp) && echo ${shellQuote(key)} > "$f" && ` +
    `sudo gururmm-agent install --server ${shellWord(serverUrl)}${insecure} --enroll-key-file "$f"; ` +
    `rm -f "$f"`
  );
}

/**
 * The quick path: one reusable key that never expires, and "regenerate", which revokes every key of
 * the site (the ones in the key list included) and issues a new one, for when a key may have leaked.
 */
export function EnrollmentKeySection({ siteId }: { siteId: string }) {
  const site = useSite(siteId);
  const keys = useSiteEnrollmentKeys(siteId);
  const createKey = useCreateEnrollmentKey(siteId);
  const mayMutate = useCan("manage_agents");
  // The full key exists only in this component's memory: the server never returns it again.
  const [freshKey, setFreshKey] = useState<EnrollmentKey | null>(null);

  // Regenerating goes through the confirm dialog, which shows failures itself.
  const regenerate = async () => setFreshKey(await createKey.mutateAsync());
  const generateFirst = () => createKey.mutateAsync().then(setFreshKey, (error: unknown) => toast.error(errorMessage(error)));

  // Once a key was generated it must stay on screen whatever happens to the site query.
  if (site.isPending && !freshKey) return <Skeleton className="h-32" />;
  if (site.isError && !freshKey) return null;
  const existingKeyCreatedAt = site.data?.enrollment_key_created_at ?? null;
  const activeKeys = keys.data?.items.filter((key) => key.state === "active");
  // Without the list, the site's date of its newest key that is not revoked is the best hint.
  const mayHaveWorkingKeys = activeKeys ? activeKeys.length > 0 : existingKeyCreatedAt !== null;

  return (
    <Card data-testid="enrollment-key-section">
      <CardHeader>
        <div className="grid gap-1">
          <CardTitle className="flex items-center gap-2">
            <KeyRoundIcon className="size-4" /> Site key
          </CardTitle>
          <CardDescription>
            The quickest way to install agents here: one reusable key that never expires. Regenerating it revokes every other key of this
            site at once, those under Enrollment keys included; use it when a key may have leaked. Agents already enrolled keep working.
          </CardDescription>
        </div>
        {mayMutate ? (
          mayHaveWorkingKeys || freshKey ? (
            <ConfirmDialog
              trigger={
                <Button variant="outline" size="sm" data-testid="regenerate-key-button">
                  Regenerate key
                </Button>
              }
              title="Revoke every key and regenerate?"
              description={<RegenerateWarning activeKeys={activeKeys} />}
              confirmLabel="Revoke all and regenerate"
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
          <ShownOnceKey
            siteId={siteId}
            keyValue={freshKey.key}
            serverUrl={freshKey.server_url}
            ifLost="If you lose it, regenerate, or create another key under Enrollment keys."
          />
        ) : (
          <p className="text-sm text-muted-foreground" data-testid="enrollment-key-status">
            <KeyStatus activeKeys={activeKeys} newestKeyCreatedAt={existingKeyCreatedAt} mayMutate={mayMutate} />
          </p>
        )}
      </CardContent>
    </Card>
  );
}

function KeyStatus({
  activeKeys,
  newestKeyCreatedAt,
  mayMutate,
}: {
  activeKeys: EnrollmentKeyInfo[] | undefined;
  newestKeyCreatedAt: string | null;
  mayMutate: boolean;
}) {
  if (activeKeys?.length === 0 || (activeKeys === undefined && newestKeyCreatedAt === null)) {
    return (
      <>
        This site has no working enrollment key.
        {mayMutate
          ? " Generate a reusable one here, or create a key that expires or enrolls a limited number of agents under Enrollment keys."
          : " Ask an administrator or technician to create one."}
      </>
    );
  }
  // The server lists keys newest first.
  const newestActive = activeKeys?.[0];
  return (
    <>
      {newestActive && activeKeys ? (
        <>
          {activeKeys.length === 1 ? "1 key works" : `${activeKeys.length} keys work`}, the newest created{" "}
          <RelativeTime value={newestActive.created_at} />
        </>
      ) : (
        <>
          A key was created <RelativeTime value={newestKeyCreatedAt} />
        </>
      )}
      . A key is shown only once, when it is created:{" "}
      {mayMutate
        ? "if you need one again, create a new key, or regenerate to replace them all."
        : "ask for a new one if it is needed again."}
    </>
  );
}

function RegenerateWarning({ activeKeys }: { activeKeys: EnrollmentKeyInfo[] | undefined }) {
  const named =
    activeKeys === undefined || activeKeys.length === 0
      ? null
      : activeKeys.length <= 3
        ? activeKeys.map((key) => key.label).join(", ")
        : `${activeKeys
            .slice(0, 3)
            .map((key) => key.label)
            .join(", ")} and ${activeKeys.length - 3} more`;
  return (
    <>
      <p>
        {activeKeys === undefined
          ? "Every key of this site stops working at once"
          : activeKeys.length === 1
            ? "The site's working key stops at once"
            : `All ${activeKeys.length} working keys of this site stop at once`}
        {named ? ` (${named})` : ""}: installers and commands that contain them can no longer enroll agents.
      </p>
      <p className="mt-2">You get one new reusable key that never expires. Agents already enrolled are not affected.</p>
    </>
  );
}

/**
 * A key the server just returned, with the Linux install commands (the agent already there, or the one-line install
 * script), the Windows installer and copy buttons. The server never
 * returns the key again, so this is the one moment it can be copied; `ifLost` says what to do instead.
 */
export function ShownOnceKey({
  siteId,
  keyValue,
  serverUrl,
  ifLost,
}: {
  siteId: string;
  keyValue: string;
  serverUrl: string;
  ifLost: string;
}) {
  const command = linuxInstallCommand(serverUrl, keyValue);
  const insecure = isPlainHttp(serverUrl);
  return (
    <>
      <div
        className="flex items-start gap-2 rounded-md border border-warning/50 bg-warning/10 px-3 py-2 text-sm"
        data-testid="shown-once-note"
      >
        <TriangleAlertIcon className="mt-0.5 size-4 shrink-0 text-warning" aria-hidden />
        <span>Copy the key now: it is shown only this once. {ifLost}</span>
      </div>
      <div className="grid gap-1">
        <span className="text-xs font-medium text-muted-foreground">Key</span>
        <div className="flex items-center gap-2">
          <code
            data-testid="enrollment-key-value"
            className="flex-1 overflow-x-auto rounded-md bg-muted px-2 py-1.5 font-mono text-xs break-all"
          >
            {keyValue}
          </code>
          <CopyButton text={keyValue} label="Copy key" />
        </div>
      </div>
      <div className="grid gap-1">
        <span className="text-xs font-medium text-muted-foreground">
          Linux with the agent already there (a release&apos;s binaries or the package below): run as a user who may use sudo
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
          The key goes into a new file only you can read, never into the machine&apos;s process list; the agent enrolls once with it,
          installs itself and its watchdog as a systemd service, and the file is deleted. The same command installs the agent on macOS (a
          launchd daemon) when its binaries are there.
        </p>
        {insecure ? (
          <p className="text-xs text-warning" data-testid="insecure-http-warning">
            This server&apos;s public URL is plain HTTP, so the command allows it with --allow-insecure-http: the key, the agent&apos;s
            secret and every command would cross the network unencrypted. Give the server an https:// public URL for real machines.
          </p>
        ) : null}
      </div>
      <DebianPackages />
      <LinuxInstaller siteId={siteId} keyValue={keyValue} />
      <WindowsInstaller siteId={siteId} keyValue={keyValue} />
    </>
  );
}
