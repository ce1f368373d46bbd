import { DownloadIcon } from "lucide-react";
import { CopyButton } from "@/components/copy-button";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { useInstallerLink } from "../api/enrollment-keys";

/**
 * The Windows installer (MSI) for a key just created: a button that asks the server for a download link
 * of its release MSI with this server's URL and the key written in, then the link with its expiry. The
 * link works for an hour, more than once, without signing in; when the server has no installer its
 * answer (how to provide one) is shown as it is.
 */
export function WindowsInstaller({ siteId, keyValue }: { siteId: string; keyValue: string }) {
  const { link, failure, create, isPending } = useInstallerLink(siteId, keyValue, "windows_msi");

  return (
    <div className="grid gap-1" data-testid="windows-installer">
      <span className="text-xs font-medium text-muted-foreground">Windows installer (MSI)</span>
      {link ? (
        <>
          <div className="flex items-center gap-2">
            <code
              data-testid="installer-link"
              className="flex-1 overflow-x-auto rounded-md bg-muted px-2 py-1.5 font-mono text-xs break-all"
            >
              {link.url}
            </code>
            <CopyButton text={link.url} label="Copy link" />
          </div>
          <p className="text-xs text-muted-foreground" data-testid="installer-link-expiry">
            The link works until it expires <RelativeTime value={link.expires_at} />, as often as needed, without signing in: anyone who has
            it can download the installer and the key in it.{" "}
            <a href={link.url} download className="inline-flex items-center gap-1 font-medium underline" data-testid="installer-download">
              <DownloadIcon className="size-3" aria-hidden />
              Download the MSI
            </a>
          </p>
        </>
      ) : (
        <div>
          <Button
            type="button"
            variant="outline"
            size="sm"
            disabled={isPending}
            onClick={create}
            data-testid="create-installer-link-button"
          >
            <DownloadIcon /> {isPending ? "Preparing…" : "Create download link"}
          </Button>
        </div>
      )}
      {failure ? (
        <p role="alert" className="text-xs text-destructive" data-testid="installer-link-error">
          {failure}
        </p>
      ) : null}
      <p className="text-xs text-muted-foreground">
        Run the MSI on the machine as an administrator: it installs the agent as a service, which enrolls into this site with this key. The
        key is written to a registry key only SYSTEM and Administrators can read.
      </p>
    </div>
  );
}
