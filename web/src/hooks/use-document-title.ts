import { useEffect } from "react";

/** Names the browser tab after the page, so technicians with many tabs can find the right machine. */
export function useDocumentTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · GuruRMM` : "GuruRMM";
  }, [title]);
}
