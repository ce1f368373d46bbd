//! Security keys and passkeys (WebAuthn) between the server's JSON and the browser's API. The server
//! (webauthn-rs) sends the options of `navigator.credentials.create` and `.get` as JSON with every
//! binary field in base64url (`{publicKey: {...}}`); the browser wants those fields as ArrayBuffers,
//! and answers a `PublicKeyCredential` whose binary fields the server takes back in base64url. The
//! conversion is written out here rather than left to `PublicKeyCredential.parseCreationOptionsFromJSON`,
//! which older browsers lack. It lives in `lib` because two features use it: the account page
//! (adding a key) and the sign-in page (answering with one).
//!
//! Browsers refuse WebAuthn on a page whose host is an IP address, and outside a secure context
//! (https, or http on localhost), so `webauthnUnavailableReason` says why a page cannot use keys.

/** Binary data as the server writes it: base64url, no padding. */
export type Base64Url = string;

/** The bytes of base64url (or base64) text; padding is optional. */
export function base64UrlToBuffer(text: Base64Url): ArrayBuffer {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(base64) || base64.length % 4 === 1) {
    throw new Error(`not base64url: ${text.slice(0, 40)}`);
  }
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes.buffer;
}

/** Bytes as base64url without padding, as the server reads them. */
export function bufferToBase64Url(data: ArrayBuffer | ArrayBufferView): Base64Url {
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A copy without `null` members: the server leaves out what it does not set, but a browser refuses a
 * `null` where a dictionary or a list belongs, so any that slipped through are dropped rather than
 * failing the ceremony.
 */
function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, member]) => member !== null && member !== undefined)
      .map(([key, member]) => [key, withoutNulls(member)]),
  ) as T;
}

/** `options.publicKey` of a ceremony the server started, checked enough to give clear errors. */
function publicKeyOf(options: unknown): JsonObject {
  const publicKey = isObject(options) ? options.publicKey : undefined;
  if (!isObject(publicKey) || typeof publicKey.challenge !== "string") {
    throw new Error("the server's WebAuthn options have no publicKey.challenge");
  }
  return withoutNulls(publicKey);
}

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.filter(isObject).map((descriptor) => ({
    ...(descriptor as unknown as PublicKeyCredentialDescriptor),
    id: base64UrlToBuffer(String(descriptor.id)),
  }));
}

/** The options of `navigator.credentials.create` from the server's registration options. */
export function creationOptionsFromServer(options: unknown): PublicKeyCredentialCreationOptions {
  const publicKey = publicKeyOf(options);
  const user = isObject(publicKey.user) ? publicKey.user : {};
  const converted = {
    ...publicKey,
    challenge: base64UrlToBuffer(publicKey.challenge as string),
    user: { ...user, id: base64UrlToBuffer(String(user.id ?? "")) },
  } as unknown as PublicKeyCredentialCreationOptions;
  const exclude = descriptors(publicKey.excludeCredentials);
  if (exclude) converted.excludeCredentials = exclude;
  return converted;
}

/** The options of `navigator.credentials.get` from the server's sign-in options. */
export function requestOptionsFromServer(options: unknown): PublicKeyCredentialRequestOptions {
  const publicKey = publicKeyOf(options);
  const converted = {
    ...publicKey,
    challenge: base64UrlToBuffer(publicKey.challenge as string),
  } as unknown as PublicKeyCredentialRequestOptions;
  const allow = descriptors(publicKey.allowCredentials);
  if (allow) converted.allowCredentials = allow;
  return converted;
}

/** What a browser's `PublicKeyCredential` offers that the conversion reads (tests make plain objects). */
export interface BrowserCredential {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  response: AuthenticatorResponse;
  getClientExtensionResults(): AuthenticationExtensionsClientOutputs;
}

/** A new key's answer as `POST /api/v1/auth/webauthn/register/finish` takes it. */
export interface RegistrationJson {
  id: string;
  rawId: Base64Url;
  type: string;
  response: { attestationObject: Base64Url; clientDataJSON: Base64Url; transports?: string[] };
  extensions: JsonObject;
}

/** A key's answer to a sign-in challenge as `POST /api/v1/auth/login` takes it (`webauthn.credential`). */
export interface AssertionJson {
  id: string;
  rawId: Base64Url;
  type: string;
  response: { authenticatorData: Base64Url; clientDataJSON: Base64Url; signature: Base64Url; userHandle?: Base64Url };
  extensions: JsonObject;
}

/**
 * The client extension results as plain JSON: binary outputs (none that the server asks for) become
 * base64url rather than the `{}` that `JSON.stringify` makes of an ArrayBuffer.
 */
function extensionResults(credential: BrowserCredential): JsonObject {
  const convert = (value: unknown): unknown => {
    if (ArrayBuffer.isView(value) || Object.prototype.toString.call(value) === "[object ArrayBuffer]") {
      return bufferToBase64Url(value as ArrayBuffer);
    }
    if (Array.isArray(value)) return value.map(convert);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, convert(member)]));
    return value;
  };
  return convert(credential.getClientExtensionResults() ?? {}) as JsonObject;
}

/** A credential that `navigator.credentials.create` answered, as the server takes it. */
export function registrationToServer(credential: BrowserCredential): RegistrationJson {
  const response = credential.response as AuthenticatorAttestationResponse;
  if (!("attestationObject" in response)) throw new Error("the browser's answer is not a new key's");
  // Old browsers lack getTransports; the server does without.
  const transports = typeof response.getTransports === "function" ? response.getTransports() : undefined;
  return {
    id: credential.id,
    rawId: bufferToBase64Url(credential.rawId),
    type: credential.type,
    response: {
      attestationObject: bufferToBase64Url(response.attestationObject),
      clientDataJSON: bufferToBase64Url(response.clientDataJSON),
      ...(transports ? { transports } : {}),
    },
    extensions: extensionResults(credential),
  };
}

/** A credential that `navigator.credentials.get` answered, as the server takes it. */
export function assertionToServer(credential: BrowserCredential): AssertionJson {
  const response = credential.response as AuthenticatorAssertionResponse;
  if (!("signature" in response)) throw new Error("the browser's answer is not a signature");
  return {
    id: credential.id,
    rawId: bufferToBase64Url(credential.rawId),
    type: credential.type,
    response: {
      authenticatorData: bufferToBase64Url(response.authenticatorData),
      clientDataJSON: bufferToBase64Url(response.clientDataJSON),
      signature: bufferToBase64Url(response.signature),
      ...(response.userHandle && response.userHandle.byteLength > 0 ? { userHandle: bufferToBase64Url(response.userHandle) } : {}),
    },
    extensions: extensionResults(credential),
  };
}

/** Whether a URL's host name is an IP address (v4, or v6 in brackets as `URL.hostname` has it). */
export function isIpAddressHost(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.includes(":");
}

function isLoopbackAddress(hostname: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname === "[::1]" || hostname === "::1";
}

/** The same page at `localhost`, when the page is on a loopback address (where the server stands in for it). */
export function localhostUrl(location: Pick<Location, "href" | "hostname">): string | null {
  if (!isLoopbackAddress(location.hostname)) return null;
  const url = new URL(location.href);
  url.hostname = "localhost";
  return url.toString();
}

/** What `webauthnUnavailableReason` looks at: the page's address, and what the browser offers. */
export interface WebauthnEnvironment {
  location: Pick<Location, "href" | "hostname">;
  /** `window.PublicKeyCredential` exists (browsers hide it outside secure contexts). */
  hasApi: boolean;
  secureContext: boolean;
}

function currentEnvironment(): WebauthnEnvironment {
  return {
    location: window.location,
    hasApi: typeof window.PublicKeyCredential === "function",
    secureContext: window.isSecureContext,
  };
}

/**
 * Why this page cannot use security keys, in words for the person in front of it; null when it can.
 * Security keys are bound to the server's host name, and browsers refuse them on an IP address.
 */
export function webauthnUnavailableReason(environment: WebauthnEnvironment = currentEnvironment()): string | null {
  const { location, hasApi, secureContext } = environment;
  if (isIpAddressHost(location.hostname)) {
    const local = localhostUrl(location);
    return local
      ? `Security keys need a host name, and this page is open on an IP address. Open ${local} instead.`
      : "Security keys need a host name, and this page is open on an IP address: open the dashboard at its host name instead.";
  }
  if (!hasApi && !secureContext) return "Security keys need a secure connection: open the dashboard over https.";
  if (!hasApi) return "This browser cannot use security keys or passkeys.";
  return null;
}

/** Thrown when the page cannot run a ceremony at all; its message is `webauthnUnavailableReason`'s. */
export class WebauthnUnavailableError extends Error {
  override name = "WebauthnUnavailableError";
}

function checkAvailable() {
  const reason = webauthnUnavailableReason();
  if (reason) throw new WebauthnUnavailableError(reason);
}

/** Runs a registration the server started: the browser asks for a key and the answer is the server's JSON. */
export async function createSecurityKeyCredential(serverOptions: unknown): Promise<RegistrationJson> {
  checkAvailable();
  const credential = await navigator.credentials.create({ publicKey: creationOptionsFromServer(serverOptions) });
  if (!credential) throw new DOMException("the browser gave no key", "NotAllowedError");
  return registrationToServer(credential as PublicKeyCredential);
}

/** Answers a sign-in challenge the server gave with one of the user's keys, as the server's JSON. */
export async function getSecurityKeyAssertion(serverOptions: unknown): Promise<AssertionJson> {
  checkAvailable();
  const credential = await navigator.credentials.get({ publicKey: requestOptionsFromServer(serverOptions) });
  if (!credential) throw new DOMException("the browser gave no answer", "NotAllowedError");
  return assertionToServer(credential as PublicKeyCredential);
}

/** What went wrong in the browser's part of a ceremony, in words for the person in front of it. */
export function webauthnFailureMessage(error: unknown, ceremony: "register" | "sign-in"): string {
  const name = typeof error === "object" && error !== null && "name" in error ? String(error.name) : "";
  switch (name) {
    case "WebauthnUnavailableError":
      return (error as Error).message;
    case "NotAllowedError":
      return ceremony === "register"
        ? "No key was added: the request was cancelled, timed out, or the browser or key refused it."
        : "Your security key did not answer: the request was cancelled or timed out, the key could not verify you, or it is not a key registered for this account.";
    case "InvalidStateError":
      return ceremony === "register"
        ? "This key is registered for your account already."
        : "This security key cannot be used here; try another one.";
    case "SecurityError":
      return "The browser refused security keys on this address: open the dashboard at its host name (for example localhost), over https unless it is localhost.";
    case "AbortError":
      return "The request to the security key was cancelled.";
    case "NotSupportedError":
      return "This browser or key supports none of the kinds of key the server accepts.";
    default:
      return error instanceof Error && error.message ? error.message : "The security key request failed.";
  }
}
