//! A dialog form's problems: one message per field (from the form's own checks, or the server's 422
//! placed on the field it names) and a failure it cannot place, with the elements that show them.
//! `testId` prefixes their test ids (`maintenance-field-error`, `maintenance-failure`).
import { useId, useState } from "react";
import { ApiError, errorMessage } from "@/api/errors";

export function useFormProblems<F extends string>(testId: string) {
  const ids = useId();
  const [problems, setProblems] = useState<Partial<Record<F, string>>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const errorId = (field: F) => `${ids}-${field}-error`;
  return {
    /** A prefix for the form's element ids. */
    ids,
    problems,
    setProblems,
    /** Forgets a field's problem, once it is edited. */
    clear: (field: F) => setProblems((current) => ({ ...current, [field]: undefined })),
    /** The field's message, under its control. */
    fieldError: (field: F) =>
      problems[field] ? (
        <p className="text-xs text-destructive" id={errorId(field)} data-testid={`${testId}-field-error`} data-field={field}>
          {problems[field]}
        </p>
      ) : null,
    /** The control's props while its field has a problem. */
    invalidProps: (field: F) => (problems[field] ? { "aria-invalid": true, "aria-describedby": errorId(field) } : {}),
    failureAlert: failure ? (
      <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid={`${testId}-failure`}>
        {failure}
      </p>
    ) : null,
    /**
     * Sends the form: a 422 that `place` puts on a field shows there, anything else as the failure.
     * Whether it was saved.
     */
    send: async (request: () => Promise<unknown>, place: (message: string) => { field: F; message: string } | null) => {
      setFailure(null);
      try {
        await request();
        return true;
      } catch (error) {
        const placed = error instanceof ApiError && error.status === 422 ? place(error.message) : null;
        if (placed) setProblems({ [placed.field]: placed.message } as Partial<Record<F, string>>);
        else setFailure(errorMessage(error));
        return false;
      }
    },
  };
}
