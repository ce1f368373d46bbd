-- The machine's serial number as its firmware reports it, sent by the agent
-- in every `hello` and written only when it differs (with the other facts).
-- The agent list shows, sorts and searches by it: technicians look machines
-- up by the serial on the sticker or in the warranty portal.
ALTER TABLE agents ADD COLUMN serial_number TEXT;
