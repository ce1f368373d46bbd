import { AlertTriangleIcon } from "lucide-react";
import { errorMessage } from "@/api/errors";
import { Button } from "@/components/ui/button";

/** Shown instead of a page that crashed while rendering, so the rest of the app keeps working. */
export function RouteError({ error, reset }: { error: unknown; reset?: () => void }) {
  return (
    <div role="alert" className="mx-auto mt-12 grid max-w-md gap-3 rounded-lg border p-6 text-center">
      <AlertTriangleIcon className="mx-auto size-8 text-destructive" aria-hidden />
      <h1 className="font-semibold">This page failed to load</h1>
      <p className="text-sm text-muted-foreground">{errorMessage(error)}</p>
      <div className="flex justify-center gap-2">
        {reset ? (
          <Button variant="outline" onClick={reset}>
            Try again
          </Button>
        ) : null}
        <Button onClick={() => window.location.reload()}>Reload</Button>
      </div>
    </div>
  );
}
