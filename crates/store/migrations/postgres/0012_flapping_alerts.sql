-- A check alert raised because its check keeps changing state (flapping).
ALTER TABLE alerts ADD COLUMN flapping BOOLEAN NOT NULL DEFAULT FALSE;
