//! The signed-in user's own second factor (TOTP): starting a setup (a new secret for the app),
//! confirming it with the app's code (which turns it on and answers the recovery codes, once) and
//! turning it off with the password. Turning it on or off ends the user's other sessions, and the
//! current user's `second_factor` changes, as does what the list of security keys says of the app, so
//! all three are read again (as after adding or removing a key).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";
import { currentUserQueryKey } from "@/lib/auth";
import { accountKeys } from "./account";

export type TotpSetup = components["schemas"]["TotpSetup"];

export function useSecondFactorChanged() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: currentUserQueryKey }),
      queryClient.invalidateQueries({ queryKey: accountKeys.sessions }),
      queryClient.invalidateQueries({ queryKey: accountKeys.securityKeys }),
    ]);
}

/** A 409 means a second factor is on already (another tab turned it on): the user is read again. */
export function useStartTotpSetup() {
  const changed = useSecondFactorChanged();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/totp/setup")),
    onError: () => void changed(),
  });
}

export function useConfirmTotp() {
  const changed = useSecondFactorChanged();
  return useMutation({
    mutationFn: (code: string) => unwrap(api.POST("/api/v1/auth/totp/confirm", { body: { code } })),
    onSuccess: () => void changed(),
  });
}

export function useDisableTotp() {
  const changed = useSecondFactorChanged();
  return useMutation({
    mutationFn: (password: string) => unwrap(api.POST("/api/v1/auth/totp/disable", { body: { password } })),
    onSuccess: () => void changed(),
  });
}
