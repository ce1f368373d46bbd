-- Environment variables a command takes from the credential vault: a JSON
-- object of variable name -> {"vault_entry_id", "entry_name"}. Only the
-- reference is kept; the server decrypts the entry when it sends the command
-- to its agent, so the value is never stored with the command.
ALTER TABLE commands ADD COLUMN vault_env TEXT NOT NULL DEFAULT '{}';
