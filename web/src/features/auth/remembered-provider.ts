//! The identity provider this browser last signed in through (its id and the name on its button), so
//! the sign-in page offers its button on later visits without the provider's link. It is kept in
//! localStorage: it is no secret (the link is the organization's public sign-in address) and nothing
//! but the button reads it.

const STORAGE_KEY = "gururmm.sso-provider";
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The server's longest provider name (`services::sso::MAX_NAME_CHARS`). */
const MAX_NAME_CHARS = 100;

export interface RememberedProvider {
  id: string;
  name: string;
}

/** Storage may be missing or refuse access (privacy settings): then nothing is remembered. */
function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The provider remembered, or null when none is, or what is kept is not one (edited by hand, an older format). */
export function readRememberedProvider(): RememberedProvider | null {
  try {
    const kept: unknown = JSON.parse(storage()?.getItem(STORAGE_KEY) ?? "null");
    if (typeof kept !== "object" || kept === null) return null;
    const { id, name } = kept as { id?: unknown; name?: unknown };
    if (typeof id !== "string" || !UUID_PATTERN.test(id)) return null;
    if (typeof name !== "string" || name.trim() === "" || Array.from(name).length > MAX_NAME_CHARS) return null;
    return { id, name };
  } catch {
    return null;
  }
}

export function rememberProvider(provider: RememberedProvider): void {
  try {
    storage()?.setItem(STORAGE_KEY, JSON.stringify({ id: provider.id, name: provider.name }));
  } catch {
    // A full or refused storage only means the button is not offered next time.
  }
}

/** Forgets the provider `id` (gone or disabled), leaving any other remembered since. */
export function forgetProvider(id: string): void {
  if (readRememberedProvider()?.id !== id) return;
  try {
    storage()?.removeItem(STORAGE_KEY);
  } catch {
    // Nothing to do: it is offered again and found gone again.
  }
}
