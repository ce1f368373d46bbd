-- Organization settings: whether every user must sign in with a second
-- factor (those without one may only set one up until they do).
ALTER TABLE organizations ADD COLUMN require_second_factor BOOLEAN NOT NULL DEFAULT FALSE;
