-- What an installer link hands out: the site's Windows installer
-- (`windows_msi`, every link made before this column) or the Linux install
-- script with the binaries it downloads (`linux_script`). A link's token works
-- only for its own kind, and the audit log names which one was downloaded.
ALTER TABLE installer_links ADD COLUMN kind TEXT NOT NULL DEFAULT 'windows_msi';
