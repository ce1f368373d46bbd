//! The global search: Ctrl+K (⌘K on a Mac) or the header's search button opens a palette that
//! searches agents, clients, sites, scripts and jobs as one types; arrows move, Enter opens.
import { useNavigate } from "@tanstack/react-router";
import { SearchIcon } from "lucide-react";
import { useDeferredValue, useEffect, useState, type KeyboardEvent } from "react";
import { errorMessage } from "@/api/errors";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { cn } from "@/lib/utils";
import { useGlobalSearch } from "../api/search";
import { moveActive, searchHits, type SearchHit } from "../search-hits";

/** Longest search the server takes. */
const MAX_SEARCH_CHARACTERS = 200;

export function GlobalSearch() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
        event.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <>
      <Button
        variant="outline"
        size="sm"
        className="mr-auto w-auto justify-start gap-2 text-muted-foreground sm:w-64"
        onClick={() => setOpen(true)}
        data-testid="global-search-button"
        aria-keyshortcuts="Control+K"
      >
        <SearchIcon /> <span className="max-sm:sr-only">Search…</span>
        <kbd className="ml-auto hidden rounded border bg-muted px-1.5 font-mono text-[10px] sm:inline">Ctrl K</kbd>
      </Button>
      {open ? <SearchPalette onClose={() => setOpen(false)} /> : null}
    </>
  );
}

function SearchPalette({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [text, setText] = useState("");
  const q = useDeferredValue(text.trim());
  const results = useGlobalSearch(q);
  const hits = q ? searchHits(results.data, q) : [];
  const [active, setActive] = useState(0);
  const current = Math.min(active, Math.max(0, hits.length - 1));

  const go = (hit: SearchHit | undefined) => {
    if (!hit) return;
    onClose();
    void navigate(hit.target);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      setActive(moveActive(current, hits.length, event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter") {
      event.preventDefault();
      go(hits[current]);
    }
  };

  return (
    <Dialog open onOpenChange={(next) => !next && onClose()}>
      <DialogContent className="top-[15%] translate-y-0 gap-0 p-0 sm:max-w-xl" data-testid="global-search">
        <DialogTitle className="sr-only">Search</DialogTitle>
        <DialogDescription className="sr-only">Agents, clients, sites, scripts and jobs</DialogDescription>
        <div className="flex items-center gap-2 border-b px-3">
          <SearchIcon className="size-4 text-muted-foreground" aria-hidden />
          <input
            autoFocus
            role="combobox"
            aria-expanded={hits.length > 0}
            aria-controls="global-search-results"
            aria-activedescendant={hits[current] ? `search-hit-${current}` : undefined}
            aria-label="Search agents, clients, sites, scripts and jobs"
            placeholder="Search agents, clients, sites, scripts, jobs…"
            className="h-11 flex-1 bg-transparent text-sm outline-none"
            value={text}
            maxLength={MAX_SEARCH_CHARACTERS}
            onChange={(event) => {
              setText(event.target.value);
              setActive(0);
            }}
            onKeyDown={onKeyDown}
            data-testid="global-search-input"
          />
        </div>
        <div className="max-h-[60vh] overflow-y-auto p-1" id="global-search-results" role="listbox" aria-label="Results">
          {!q ? (
            <p className="px-3 py-6 text-center text-sm text-muted-foreground">Type a hostname, IP, user, client, site, script or job.</p>
          ) : null}
          {q && results.isError ? <p className="px-3 py-3 text-sm text-destructive">{errorMessage(results.error)}</p> : null}
          {q && results.isSuccess && hits.length === 0 ? (
            <p className="px-3 py-6 text-center text-sm text-muted-foreground" data-testid="global-search-empty">
              Nothing matches “{q}”.
            </p>
          ) : null}
          {hits.map((hit, index) => (
            <div key={hit.key}>
              {index === 0 || hits[index - 1]?.group !== hit.group ? (
                <p className="px-2 pt-2 pb-1 text-xs font-medium text-muted-foreground">{hit.group}</p>
              ) : null}
              <div
                id={`search-hit-${index}`}
                role="option"
                aria-selected={index === current}
                className={cn(
                  "flex cursor-pointer items-baseline justify-between gap-3 rounded-md px-2 py-1.5 text-sm",
                  index === current && "bg-accent",
                )}
                onMouseMove={() => setActive(index)}
                onClick={() => go(hit)}
                data-testid="global-search-hit"
              >
                <span className="truncate font-medium">{hit.label}</span>
                <span className="truncate text-xs text-muted-foreground">{hit.detail}</span>
              </div>
            </div>
          ))}
        </div>
      </DialogContent>
    </Dialog>
  );
}
