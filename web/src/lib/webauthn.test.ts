import {
  assertionToServer,
  base64UrlToBuffer,
  bufferToBase64Url,
  creationOptionsFromServer,
  isIpAddressHost,
  localhostUrl,
  registrationToServer,
  requestOptionsFromServer,
  webauthnFailureMessage,
  webauthnUnavailableReason,
  type BrowserCredential,
} from "./webauthn";

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

function list(buffer: ArrayBuffer | BufferSource | undefined): number[] {
  if (buffer === undefined) throw new Error("no buffer");
  return Array.from(
    ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer),
  );
}

/** Registration options as webauthn-rs writes them (`start_passkey_registration`). */
const CREATION = {
  publicKey: {
    rp: { name: "GuruRMM", id: "localhost" },
    user: { id: "AQIDBA", name: "kim@example.com", displayName: "kim@example.com" },
    challenge: "-_-_AA",
    pubKeyCredParams: [
      { type: "public-key", alg: -7 },
      { type: "public-key", alg: -257 },
    ],
    timeout: 300000,
    excludeCredentials: [{ type: "public-key", id: "_w" }],
    authenticatorSelection: { residentKey: "discouraged", requireResidentKey: false, userVerification: "required" },
    attestation: "none",
    extensions: { credentialProtectionPolicy: "userVerificationRequired", enforceCredentialProtectionPolicy: false, credProps: true },
  },
};

/** Sign-in options as webauthn-rs writes them (`start_passkey_authentication`). */
const REQUEST = {
  publicKey: {
    challenge: "AAEC",
    timeout: 300000,
    rpId: "localhost",
    allowCredentials: [{ type: "public-key", id: "qrvM", transports: ["usb", "internal"] }],
    userVerification: "required",
  },
  mediation: null,
};

describe("base64url", () => {
  it("round-trips every byte value and writes no padding", () => {
    const all = Array.from({ length: 256 }, (_, index) => index);
    const text = bufferToBase64Url(new Uint8Array(all));
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(list(base64UrlToBuffer(text))).toEqual(all);
  });

  it("writes the URL alphabet without padding for every length", () => {
    expect(bufferToBase64Url(bytes())).toBe("");
    expect(bufferToBase64Url(bytes(0xfb))).toBe("-w");
    expect(bufferToBase64Url(bytes(0xfb, 0xff))).toBe("-_8");
    expect(bufferToBase64Url(bytes(0xfb, 0xff, 0xbf))).toBe("-_-_");
    for (let length = 0; length < 8; length++) {
      const data = Array.from({ length }, (_, index) => (index * 97) % 256);
      const text = bufferToBase64Url(new Uint8Array(data));
      expect(text).not.toContain("=");
      expect(list(base64UrlToBuffer(text))).toEqual(data);
    }
  });

  it("reads padded and standard base64 too, and refuses what is neither", () => {
    expect(list(base64UrlToBuffer("-w=="))).toEqual([0xfb]);
    expect(list(base64UrlToBuffer("+/8="))).toEqual([0xfb, 0xff]);
    expect(() => base64UrlToBuffer("a")).toThrow("not base64url");
    expect(() => base64UrlToBuffer("ab$c")).toThrow("not base64url");
  });

  it("encodes only a view's own bytes", () => {
    const view = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 3);
    expect(bufferToBase64Url(view)).toBe(bufferToBase64Url(bytes(2, 3)));
  });
});

describe("creationOptionsFromServer", () => {
  it("turns the binary fields into buffers and keeps the rest as the server sent it", () => {
    const options = creationOptionsFromServer(CREATION);
    expect(list(options.challenge)).toEqual([0xfb, 0xff, 0xbf, 0x00]);
    expect(list(options.user.id)).toEqual([1, 2, 3, 4]);
    expect(options.user.name).toBe("kim@example.com");
    expect(options.user.displayName).toBe("kim@example.com");
    expect(options.excludeCredentials?.map((descriptor) => [descriptor.type, list(descriptor.id)])).toEqual([["public-key", [0xff]]]);
    expect(options.rp).toEqual({ name: "GuruRMM", id: "localhost" });
    expect(options.pubKeyCredParams).toEqual(CREATION.publicKey.pubKeyCredParams);
    expect(options.authenticatorSelection).toEqual(CREATION.publicKey.authenticatorSelection);
    expect(options.attestation).toBe("none");
    expect(options.extensions).toEqual(CREATION.publicKey.extensions);
    // The server's JSON is left as it was.
    expect(CREATION.publicKey.challenge).toBe("-_-_AA");
  });

  it("drops null members, which browsers refuse", () => {
    const options = creationOptionsFromServer({
      publicKey: {
        ...CREATION.publicKey,
        hints: null,
        excludeCredentials: null,
        authenticatorSelection: { userVerification: "required", authenticatorAttachment: null },
      },
    });
    expect("hints" in options).toBe(false);
    expect("excludeCredentials" in options).toBe(false);
    expect(options.authenticatorSelection).toEqual({ userVerification: "required" });
  });

  it("says so when the options are not a registration's", () => {
    expect(() => creationOptionsFromServer({})).toThrow("publicKey.challenge");
    expect(() => creationOptionsFromServer(null)).toThrow("publicKey.challenge");
  });
});

describe("requestOptionsFromServer", () => {
  it("turns the challenge and the allowed keys' ids into buffers", () => {
    const options = requestOptionsFromServer(REQUEST);
    expect(list(options.challenge)).toEqual([0, 1, 2]);
    expect(options.rpId).toBe("localhost");
    expect(options.userVerification).toBe("required");
    expect(options.timeout).toBe(300000);
    expect(options.allowCredentials).toHaveLength(1);
    const [allowed] = options.allowCredentials ?? [];
    expect(list(allowed?.id)).toEqual([0xaa, 0xbb, 0xcc]);
    expect(allowed?.transports).toEqual(["usb", "internal"]);
    expect(allowed?.type).toBe("public-key");
  });
});

function credential(response: object, extensions: object = {}): BrowserCredential {
  return {
    id: "qrvM",
    rawId: bytes(0xaa, 0xbb, 0xcc),
    type: "public-key",
    response: response as AuthenticatorResponse,
    getClientExtensionResults: () => extensions as AuthenticationExtensionsClientOutputs,
  };
}

describe("registrationToServer", () => {
  it("writes a new key's answer as the server reads it, every binary field in base64url", () => {
    const json = registrationToServer(
      credential(
        {
          attestationObject: bytes(0xa3, 0x63, 0x66),
          clientDataJSON: new TextEncoder().encode('{"type":"webauthn.create"}').buffer,
          getTransports: () => ["internal"],
        },
        { credProps: { rk: false } },
      ),
    );
    expect(json).toEqual({
      id: "qrvM",
      rawId: "qrvM",
      type: "public-key",
      response: {
        attestationObject: "o2Nm",
        clientDataJSON: bufferToBase64Url(new TextEncoder().encode('{"type":"webauthn.create"}')),
        transports: ["internal"],
      },
      extensions: { credProps: { rk: false } },
    });
    // And back: the server decodes the same bytes.
    expect(new TextDecoder().decode(base64UrlToBuffer(json.response.clientDataJSON))).toBe('{"type":"webauthn.create"}');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it("does without transports where the browser has no getTransports", () => {
    const json = registrationToServer(credential({ attestationObject: bytes(1), clientDataJSON: bytes(2) }));
    expect("transports" in json.response).toBe(false);
  });

  it("refuses a sign-in answer", () => {
    expect(() => registrationToServer(credential({ signature: bytes(1) }))).toThrow("not a new key's");
  });
});

describe("assertionToServer", () => {
  it("writes a key's signature as the login takes it, with its user handle", () => {
    const json = assertionToServer(
      credential(
        { authenticatorData: bytes(1, 2), clientDataJSON: bytes(3), signature: bytes(0xfb, 0xff), userHandle: bytes(9) },
        { hmacGetSecret: { output1: bytes(0xff) } },
      ),
    );
    expect(json).toEqual({
      id: "qrvM",
      rawId: "qrvM",
      type: "public-key",
      response: { authenticatorData: "AQI", clientDataJSON: "Aw", signature: "-_8", userHandle: "CQ" },
      // A binary extension output survives JSON as base64url, not as `{}`.
      extensions: { hmacGetSecret: { output1: "_w" } },
    });
  });

  it("leaves out a missing or empty user handle", () => {
    const base = { authenticatorData: bytes(1), clientDataJSON: bytes(2), signature: bytes(3) };
    expect("userHandle" in assertionToServer(credential({ ...base, userHandle: null })).response).toBe(false);
    expect("userHandle" in assertionToServer(credential({ ...base, userHandle: bytes() })).response).toBe(false);
  });

  it("refuses a registration's answer", () => {
    expect(() => assertionToServer(credential({ attestationObject: bytes(1), clientDataJSON: bytes(2) }))).toThrow("not a signature");
  });
});

describe("where security keys work", () => {
  const at = (href: string, hasApi = true) => ({
    location: { href, hostname: new URL(href).hostname },
    hasApi,
    secureContext: hasApi,
  });

  it("knows IP addresses from host names", () => {
    expect(isIpAddressHost("127.0.0.1")).toBe(true);
    expect(isIpAddressHost("192.0.2.10")).toBe(true);
    expect(isIpAddressHost("[::1]")).toBe(true);
    expect(isIpAddressHost("localhost")).toBe(false);
    expect(isIpAddressHost("rmm.example.com")).toBe(false);
    expect(isIpAddressHost("10.example.com")).toBe(false);
  });

  it("works on a host name", () => {
    expect(webauthnUnavailableReason(at("https://rmm.example.com/account"))).toBeNull();
    expect(webauthnUnavailableReason(at("http://localhost:8080/login"))).toBeNull();
  });

  it("sends a loopback address to localhost, the same page", () => {
    expect(localhostUrl({ href: "http://127.0.0.1:8080/login?x=1", hostname: "127.0.0.1" })).toBe("http://localhost:8080/login?x=1");
    expect(localhostUrl({ href: "http://[::1]:8080/", hostname: "[::1]" })).toBe("http://localhost:8080/");
    expect(localhostUrl({ href: "http://192.0.2.10/", hostname: "192.0.2.10" })).toBeNull();
    expect(webauthnUnavailableReason(at("http://127.0.0.1:8080/account"))).toBe(
      "Security keys need a host name, and this page is open on an IP address. Open http://localhost:8080/account instead.",
    );
  });

  it("asks for the host name on another IP address, even where the browser hides the API", () => {
    expect(webauthnUnavailableReason(at("http://192.0.2.10:8080/account", false))).toMatch(
      /^Security keys need a host name, and this page is open on an IP address: open the dashboard at its host name instead\.$/,
    );
  });

  it("asks for https on an insecure page, and says when the browser has no WebAuthn", () => {
    expect(webauthnUnavailableReason(at("http://rmm.internal/account", false))).toBe(
      "Security keys need a secure connection: open the dashboard over https.",
    );
    expect(webauthnUnavailableReason({ ...at("https://rmm.example.com/"), hasApi: false })).toBe(
      "This browser cannot use security keys or passkeys.",
    );
  });
});

describe("webauthnFailureMessage", () => {
  it("says a cancelled or refused ceremony plainly", () => {
    const refused = new DOMException("The operation either timed out or was not allowed.", "NotAllowedError");
    expect(webauthnFailureMessage(refused, "register")).toBe(
      "No key was added: the request was cancelled, timed out, or the browser or key refused it.",
    );
    expect(webauthnFailureMessage(refused, "sign-in")).toMatch(/^Your security key did not answer: the request was cancelled or timed out/);
  });

  it("says a key is registered already", () => {
    expect(webauthnFailureMessage(new DOMException("excluded", "InvalidStateError"), "register")).toBe(
      "This key is registered for your account already.",
    );
  });

  it("explains a refused address, and passes other errors' messages through", () => {
    expect(webauthnFailureMessage(new DOMException("bad rp id", "SecurityError"), "sign-in")).toMatch(/host name/);
    expect(webauthnFailureMessage(new Error("the server's WebAuthn options have no publicKey.challenge"), "sign-in")).toBe(
      "the server's WebAuthn options have no publicKey.challenge",
    );
    expect(webauthnFailureMessage("odd", "register")).toBe("The security key request failed.");
  });
});
