import { DownloadIcon, TerminalIcon } from "lucide-react";
import { CopyButton } from "@/components/copy-button";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { useInstallerLink } from "../api/enrollment-keys";

/**
 * The one-line Linux install for a key just created: a button that asks the server for a short-lived
 * link to its install script, then the command that pipes it into `sudo sh` and a download of the script
 * itself. The script downloads the newest stable agent and watchdog, checks their SHA-256 and installs
 * the agent as a service enrolled with this key. When the server has no Linux release its answer (how to
 * publish one) is shown as it is.
 */
export function LinuxInstaller({ siteId, keyValue }: { siteId: string; keyValue: string }) {
  const { link, failure, create, isPending } = useInstallerLink(siteId, keyValue, "linux_script");
  const command = link?.command ?? "";

  return (
    <div className="grid gap-1" data-testid="linux-installer">
      <span className="text-xs font-medium text-muted-foreground">Install on Linux (one line)</span>
      {link ? (
        <>
          <div className="flex items-start gap-2">
            <pre
              data-testid="linux-install-command"
              className="flex-1 overflow-x-auto rounded-md bg-muted px-2 py-1.5 font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere]"
            >
              {command}
            </pre>
            <CopyButton text={command} label="Copy install command" />
          </div>
          <p className="text-xs text-muted-foreground" data-testid="linux-install-expiry">
            Run it on each machine of the site until the link expires <RelativeTime value={link.expires_at} />: anyone who has it can
            install an agent into this site.{" "}
            <a
              href={link.url}
              download
              className="inline-flex items-center gap-1 font-medium underline"
              data-testid="linux-script-download"
            >
              <DownloadIcon className="size-3" aria-hidden />
              Download install script
            </a>
          </p>
        </>
      ) : (
        <div>
          <Button type="button" variant="outline" size="sm" disabled={isPending} onClick={create} data-testid="create-linux-install-button">
            <TerminalIcon /> {isPending ? "Preparing…" : "Create install command"}
          </Button>
        </div>
      )}
      {failure ? (
        <p role="alert" className="text-xs text-destructive" data-testid="linux-install-error">
          {failure}
        </p>
      ) : null}
      <p className="text-xs text-muted-foreground">
        The script downloads the agent and its watchdog for the machine&apos;s architecture (x86_64 or aarch64), refuses any whose SHA-256
        differs from the release&apos;s, and installs the agent as a systemd service enrolled with this key.
      </p>
    </div>
  );
}
