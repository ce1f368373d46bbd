-- A second factor for signing in: a TOTP secret (sealed with the server's
-- secret key, never stored plain), the secret of a setup not yet confirmed,
-- and the last time step a code was accepted for, so a code works once.
-- Recovery codes are kept by their hash and used once each.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
