//! What a dialog shows once a one-time link is made (an invitation, a password reset, a new
//! organization's first owner): that it was emailed, or the link itself to copy, which the server
//! answers only this once.
import { MailCheckIcon, TriangleAlertIcon } from "lucide-react";
import { CopyButton } from "@/components/copy-button";
import type { components } from "@/api/schema";

type LinkCreated = components["schemas"]["LinkCreated"];

/** How long the link works, from the answer (72 hours for an invitation, 24 for a reset). */
export function linkHours(sent: LinkCreated): number {
  return Math.round((Date.parse(sent.invitation.expires_at) - Date.parse(sent.invitation.created_at)) / 3_600_000);
}

/** `what` names the link in the emailed message ("The invitation was emailed to …"). */
export function LinkSent({ sent, what = "link" }: { sent: LinkCreated; what?: string }) {
  const email = sent.invitation.email;
  const lifetime = `It works once, for ${linkHours(sent)} hours.`;
  if (sent.emailed || !sent.link) {
    return (
      <p className="flex items-start gap-2 rounded-md border px-3 py-2 text-sm" data-testid="link-emailed">
        <MailCheckIcon className="mt-0.5 size-4 shrink-0 text-success" aria-hidden />
        <span>
          The {what} was emailed to <strong className="font-medium">{email}</strong>. {lifetime}
        </span>
      </p>
    );
  }
  return (
    <div className="grid min-w-0 gap-3">
      {sent.email_error ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="link-email-error">
          Emailing the link to {email} failed: {sent.email_error}
        </p>
      ) : null}
      <div
        className="flex items-start gap-2 rounded-md border border-warning/50 bg-warning/10 px-3 py-2 text-sm"
        data-testid="link-shown-once"
      >
        <TriangleAlertIcon className="mt-0.5 size-4 shrink-0 text-warning" aria-hidden />
        <span>
          Send this link to <strong className="font-medium">{email}</strong> yourself. {lifetime} Copy it now: it is shown only this once.
        </span>
      </div>
      <div className="flex items-start gap-2">
        <code data-testid="one-time-link" className="min-w-0 flex-1 rounded-md bg-muted px-2 py-1.5 font-mono text-xs break-all">
          {sent.link}
        </code>
        <CopyButton text={sent.link} label="Copy link" />
      </div>
    </div>
  );
}
