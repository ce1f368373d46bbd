//! "Single sign-on only": everyone but the owners signs in through a provider. Owners keep their
//! password, to get in when the provider is down. The server refuses it without an enabled provider
//! (409), and its message shows here.
import { useId, useState } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import { SectionCard } from "@/components/section-card";
import { Switch } from "@/components/ui/switch";
import { useSetSsoOnly } from "../api/sso";

export function SsoOnlyCard({ ssoOnly }: { ssoOnly: boolean }) {
  const ids = useId();
  const update = useSetSsoOnly();
  const [failure, setFailure] = useState<string | null>(null);

  const change = async (next: boolean) => {
    setFailure(null);
    try {
      await update.mutateAsync(next);
      toast.success(
        next
          ? "Everyone but the owners now signs in through single sign-on."
          : "Users may sign in with their password again, as well as through single sign-on.",
      );
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };

  return (
    <SectionCard title="Single sign-on only" description="Whether users may still sign in with a password." data-testid="sso-only-card">
      <div className="grid gap-3">
        <div className="flex items-start gap-3 text-sm">
          <Switch
            id={`${ids}-only`}
            checked={ssoOnly}
            disabled={update.isPending}
            onCheckedChange={(next) => void change(next)}
            aria-describedby={`${ids}-only-hint`}
            className="mt-0.5"
            data-testid="sso-only"
          />
          <div className="grid gap-0.5">
            <label htmlFor={`${ids}-only`} className="font-medium">
              Sign in only through single sign-on
            </label>
            <p id={`${ids}-only-hint`} className="text-xs text-muted-foreground">
              Everyone but the owners must sign in through an identity provider: their passwords stop working, and an invitation makes an
              account that signs in through the provider. Owners keep their password, to get in when the provider is down. It needs an
              enabled provider, and the last enabled one cannot be disabled or deleted while it is on.
            </p>
          </div>
        </div>
        {failure ? (
          <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="sso-only-failure">
            {failure}
          </p>
        ) : null}
      </div>
    </SectionCard>
  );
}
