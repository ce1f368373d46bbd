import { DownloadIcon } from "lucide-react";
import { CopyButton } from "@/components/copy-button";
import { formatBytes } from "@/lib/format";
import { packageInstallCommand, packageUrl, useDebianPackages } from "../api/packages";

/**
 * The agent's signed Debian packages for download, the newest stable one per architecture, with the
 * SHA-256 to compare before installing (`sha256sum`). Installing the package puts the agent and its
 * watchdog on the machine; the install command above then enrolls it and starts the service. Shown
 * only when the server publishes a package.
 */
export function DebianPackages() {
  const packages = useDebianPackages();
  const items = packages.data ?? [];
  if (items.length === 0) return null;
  return (
    <div className="grid gap-1" data-testid="debian-packages">
      <span className="text-xs font-medium text-muted-foreground">Debian and Ubuntu package</span>
      <ul className="grid gap-1">
        {items.map((item) => {
          const install = packageInstallCommand(item);
          return (
            <li key={item.file} className="grid gap-1 text-xs" data-testid="debian-package" data-arch={item.arch}>
              <div className="flex flex-wrap items-center gap-2">
                <a
                  href={packageUrl(item)}
                  download
                  className="inline-flex items-center gap-1 font-medium underline"
                  data-testid="debian-package-download"
                >
                  <DownloadIcon className="size-3" aria-hidden />
                  {item.version} for {item.arch}
                </a>
                <span className="text-muted-foreground">{formatBytes(item.size)}</span>
              </div>
              <code className="font-mono break-all text-muted-foreground" data-testid="debian-package-sha256">
                SHA-256 {item.sha256}
              </code>
              <div className="flex items-start gap-2">
                <pre className="flex-1 overflow-x-auto rounded-md bg-muted px-2 py-1.5 font-mono whitespace-pre-wrap">{install}</pre>
                <CopyButton text={install} label="Copy package install command" />
              </div>
            </li>
          );
        })}
      </ul>
      <p className="text-xs text-muted-foreground">Then run the install command above on the machine to enroll it and start the service.</p>
    </div>
  );
}
