//! The agent's signed Debian packages the server publishes (product `gururmm-agent-deb` in its
//! releases list): the newest stable one per architecture, for a site's install instructions.
import { useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { AgentRelease } from "@/api/types";
import { siteKeys } from "./sites";

export const DEB_PRODUCT = "gururmm-agent-deb";

/** The newest stable package of each architecture, as the server lists them (newest first). */
export function newestPackages(items: AgentRelease[]): AgentRelease[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (item.product !== DEB_PRODUCT || item.channel !== "stable" || seen.has(item.arch)) return false;
    seen.add(item.arch);
    return true;
  });
}

/** Debian's name for an architecture, as the package's file is named. */
export function debianArch(arch: string): string {
  return ({ x86_64: "amd64", aarch64: "arm64" } as Record<string, string>)[arch] ?? arch;
}

/** The command that installs a downloaded package (apt needs the ./ to read a file). */
export function packageInstallCommand(item: AgentRelease): string {
  return `sudo apt install ./gururmm-agent_${item.version}_${debianArch(item.arch)}.deb`;
}

/** Where the dashboard downloads a package (the session cookie authenticates it). */
export function packageUrl(item: AgentRelease): string {
  return `/api/v1/agent-packages/${encodeURIComponent(item.file)}`;
}

export function useDebianPackages() {
  return useQuery({
    queryKey: siteKeys.debianPackages,
    queryFn: () => unwrap(api.GET("/api/v1/agent-releases")),
    select: (list) => newestPackages(list.items),
    staleTime: 60_000,
  });
}
