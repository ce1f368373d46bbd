//! Where the dashboard goes when its session ends under it (a 401, or signed out in another tab): the
//! sign-in page, back to the page afterwards. An operator's support session that ended (it expired)
//! goes there saying so, without the page to come back to: it was the other organization's.
import type { User } from "@/api/types";
import type { SignedOutReason } from "@/features/auth/components/login-page";

export { SIGNED_OUT_REASONS } from "@/features/auth/components/login-page";

export interface SignInSearch {
  redirect?: string;
  ended?: SignedOutReason;
}

/** The sign-in page's search for a session that just ended; `previous` is the user it was, if known. */
export function signInSearch(previous: User | undefined, href: string): SignInSearch {
  if (previous?.support) return { ended: "support" };
  return { redirect: href };
}
