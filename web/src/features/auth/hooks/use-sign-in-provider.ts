//! Which identity provider the sign-in page offers a button for: the one its link names
//! (`/login?sso=<id>`), else the one this browser last signed in through. Either is asked of the
//! server first, for its current name and to know it is still enabled; a provider the server no longer
//! knows is forgotten, and a link naming one says so.
import { useEffect, useState } from "react";
import { ApiError } from "@/api/errors";
import { useSignInProvider, type SignInProvider } from "../api/sso";
import { forgetProvider, readRememberedProvider } from "../remembered-provider";

export interface SignInProviderChoice {
  /** The provider to offer, once the server confirmed it. */
  provider: SignInProvider | null;
  /** The link names a provider that is unknown or disabled. */
  linkGone: boolean;
}

export function useSignInProviderChoice(linkedId: string | undefined): SignInProviderChoice {
  const [remembered] = useState(readRememberedProvider);
  const id = linkedId ?? remembered?.id ?? null;
  const answer = useSignInProvider(id);
  const gone = answer.error instanceof ApiError && answer.error.status === 404;

  useEffect(() => {
    if (gone && id !== null) forgetProvider(id);
  }, [gone, id]);

  if (answer.data) return { provider: answer.data, linkGone: false };
  if (gone) return { provider: null, linkGone: linkedId !== undefined };
  // The server could not answer (down, unreachable): the remembered button still leads to a clear error.
  if (answer.isError && remembered && remembered.id === id) return { provider: remembered, linkGone: false };
  return { provider: null, linkGone: false };
}
