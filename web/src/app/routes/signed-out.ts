//! Where the dashboard goes when its session ends under it (a 401, or signed out in another tab): the
//! sign-in page, back to the page afterwards. An operator's support session that ended (it expired)
//! goes there saying so, without the page to come back to: it was the other organization's.
import type { User } from "@/api/types";
import { SIGNED_OUT_REASONS, type SignedOutReason } from "@/features/auth/components/login-page";
import { compact, optionalEnum, optionalText, optionalUuid } from "@/lib/search-params";
import { safeRedirect } from "../safe-redirect";

export interface SignInSearch {
  redirect?: string;
  ended?: SignedOutReason;
  /** The identity provider a sign-in link names (`<public_url>/login?sso=<provider id>`). */
  sso?: string;
  /** Why the server refused a sign-in through a provider, on the provider's return. */
  sso_error?: string;
}

/** The longest refusal the page shows: the server's are a sentence; a longer one was not written by it. */
const MAX_SSO_ERROR_CHARS = 300;

/** The sign-in page's search, validated: anything unexpected is dropped. */
export function parseSignInSearch(raw: Record<string, unknown>): SignInSearch {
  return compact({
    redirect: safeRedirect(raw.redirect),
    ended: optionalEnum(raw.ended, SIGNED_OUT_REASONS),
    sso: optionalUuid(raw.sso),
    sso_error: optionalText(raw.sso_error, MAX_SSO_ERROR_CHARS),
  });
}

/** The sign-in page's search for a session that just ended; `previous` is the user it was, if known. */
export function signInSearch(previous: User | undefined, href: string): SignInSearch {
  if (previous?.support) return { ended: "support" };
  return { redirect: href };
}
