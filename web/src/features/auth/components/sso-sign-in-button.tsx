//! "Sign in with <provider>": starts the sign-in at the server, which answers the provider's address,
//! and sends the browser there (the provider sends it back to the server, which opens the session and
//! returns to the page the sign-in started from). The provider is remembered for the next visit.
import { KeyRoundIcon } from "lucide-react";
import { errorMessage } from "@/api/errors";
import { Button } from "@/components/ui/button";
import { leavePage } from "@/lib/leave-page";
import { useStartSso, type SignInProvider } from "../api/sso";
import { rememberProvider } from "../remembered-provider";

export function SsoSignInButton({
  provider,
  returnTo,
  onFailure,
}: {
  provider: SignInProvider;
  /** The dashboard path to land on afterwards (the sign-in page's `redirect`). */
  returnTo: string | undefined;
  /** Why the sign-in could not start (the provider unreachable), or null when trying again. */
  onFailure: (message: string | null) => void;
}) {
  const start = useStartSso();
  // After a start the browser is on its way to the provider: the button stays busy until it leaves.
  const leaving = start.isPending || start.isSuccess;
  return (
    <Button
      type="button"
      className="w-full"
      disabled={leaving}
      data-testid="sso-sign-in"
      onClick={() => {
        onFailure(null);
        start.mutate(
          { provider_id: provider.id, ...(returnTo ? { return_to: returnTo } : {}) },
          {
            onSuccess: ({ authorization_url }) => {
              rememberProvider(provider);
              leavePage(authorization_url);
            },
            onError: (error) => onFailure(errorMessage(error)),
          },
        );
      }}
    >
      <KeyRoundIcon /> {leaving ? `Going to ${provider.name}…` : `Sign in with ${provider.name}`}
    </Button>
  );
}
