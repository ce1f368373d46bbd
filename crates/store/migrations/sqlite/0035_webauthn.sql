-- WebAuthn security keys and passkeys, a second factor beside TOTP. A
-- credential is its public key and signature counter (webauthn-rs's
-- `Passkey`, JSON): nothing secret, but only its user's. Its id (base64url)
-- is unique across the server, as WebAuthn requires.
CREATE TABLE webauthn_credentials (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials(user_id, created_at);
-- A registration or sign-in ceremony between its challenge and its answer:
-- the server-side state webauthn-rs needs (sealed), taken once.
CREATE TABLE webauthn_challenges (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    name TEXT,
    state_sealed TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges(expires_at);
