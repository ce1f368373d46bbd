//! The users page, the signed-in user's account page and the public page one-time links open, in
//! their own chunk.
import { useNavigate } from "@tanstack/react-router";
import { useSyncExternalStore } from "react";
import { AccountPage } from "@/features/users/components/account-page";
import { UsersPage } from "@/features/users/components/users-page";
import { WelcomePage } from "@/features/users/components/welcome-page";
import { readLinkToken } from "@/features/users/link-token";

export function UsersRoute() {
  return <UsersPage />;
}

export function AccountRoute() {
  return <AccountPage />;
}

function subscribeHash(listener: () => void): () => void {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
}

function currentHash(): string {
  return window.location.hash;
}

export function WelcomeRoute() {
  const navigate = useNavigate();
  // The token is in the fragment, which the router does not validate and the server never sees. A
  // second link opened in the same tab changes only the fragment, without loading the page again.
  const token = readLinkToken(useSyncExternalStore(subscribeHash, currentHash));
  return <WelcomePage key={token} token={token} onSignedIn={() => void navigate({ to: "/", replace: true })} />;
}
