//! The bearer token, kept in localStorage so a reload stays logged in, with change notification
//! so React (and the 401 handler in the API client) can react to login and logout.

const STORAGE_KEY = "gururmm.token";
type Listener = () => void;
const listeners = new Set<Listener>();

function readStoredToken(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

let currentToken: string | null = readStoredToken();

export function getToken(): string | null {
  return currentToken;
}

export function setToken(token: string | null): void {
  currentToken = token;
  try {
    if (token === null) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Private browsing may refuse storage; the session then lasts until reload.
  }
  for (const listener of listeners) listener();
}

export function subscribeToken(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab logging out (or in) applies here too.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key !== STORAGE_KEY) return;
    currentToken = event.newValue;
    for (const listener of listeners) listener();
  });
}
