//! Reading the token of a one-time link. Links look like `<public_url>/welcome#token=gri_…`: the
//! token sits in the fragment, which browsers never send, so it stays out of request lines and logs.

/** The token of `#token=…`, or null when the fragment has none. */
export function readLinkToken(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token")?.trim();
  return token ? token : null;
}
