//! An organization that requires a second factor lets a user without one do nothing but set it up:
//! the server refuses every other request with `403 second_factor_setup_required`. Whether the
//! signed-in user read says so, or any answer does, this sends them to their account page, which
//! explains why and has the two-factor card; they stay there until they have set one up.
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate, useRouterState } from "@tanstack/react-router";
import { useEffect } from "react";
import { onSecondFactorSetupRequired } from "@/api/client";
import type { User } from "@/api/types";
import { currentUserQueryKey, useCurrentUser } from "@/lib/auth";

/** Where a user without the required second factor is sent, and kept. */
export const SECOND_FACTOR_SETUP_PATH = "/account";

export function SecondFactorSetupRedirect() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  const required = useCurrentUser().data?.second_factor_setup_required ?? false;

  useEffect(
    () =>
      onSecondFactorSetupRequired(() => {
        // The requirement may have come on since the user was read: mark it at once (the account page
        // shows why), then read the user again for the rest.
        queryClient.setQueryData<User>(currentUserQueryKey, (user) => (user ? { ...user, second_factor_setup_required: true } : user));
        void queryClient.invalidateQueries({ queryKey: currentUserQueryKey });
      }),
    [queryClient],
  );

  useEffect(() => {
    if (required && pathname !== SECOND_FACTOR_SETUP_PATH) void navigate({ to: SECOND_FACTOR_SETUP_PATH, replace: true });
  }, [required, pathname, navigate]);

  return null;
}
