//! Secrets the server must read back (a webhook's signing secret, a Slack or
//! Teams URL, which carries its token) are sealed before they reach the
//! database: ChaCha20-Poly1305 with a random nonce per value, under a key that
//! lives outside the database (`secret_key` in the configuration, or the
//! 0600 file `secret.key` in the data directory, created on first start). A
//! copy of the database alone, such as a backup or a dump, does not reveal
//! them.

use anyhow::{bail, Context};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::path::Path;

/// File in the data directory holding the key (64 hex digits).
pub const KEY_FILE: &str = "secret.key";
/// What a sealed value starts with.
const PREFIX: &str = "sealed:v1:";
const NONCE_BYTES: usize = 12;

#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key>)")
    }
}

/// A sealed value that does not open: another key, or tampered with.
#[derive(Debug, thiserror::Error)]
#[error("a sealed secret does not open with this server's key")]
pub struct Unsealable;

impl SecretBox {
    /// A box from 64 hex digits.
    pub fn from_hex(key: &str) -> anyhow::Result<Self> {
        let bytes = hex::decode(key.trim()).context("secret_key must be 64 hex digits")?;
        if bytes.len() != 32 {
            bail!("secret_key must be 64 hex digits (32 bytes)");
        }
        Ok(Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&bytes)),
        })
    }

    /// A random key for this process only.
    pub fn ephemeral() -> Self {
        Self::from_hex(&hex::encode(rand::random::<[u8; 32]>())).expect("32 random bytes are a key")
    }

    /// The key from `secret.key` in `dir`, created (0600) when missing.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                Self::from_hex(&text).with_context(|| format!("reading {}", path.display()))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                use std::io::Write;
                let key = hex::encode(rand::random::<[u8; 32]>());
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options
                    .open(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                writeln!(file, "{key}")?;
                Self::from_hex(&key)
            }
            Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("ChaCha20-Poly1305 encrypts any length this server handles");
        format!("{PREFIX}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    pub fn open(&self, sealed: &str) -> Result<String, Unsealable> {
        let hex_text = sealed.strip_prefix(PREFIX).ok_or(Unsealable)?;
        let bytes = hex::decode(hex_text).map_err(|_| Unsealable)?;
        if bytes.len() < NONCE_BYTES {
            return Err(Unsealable);
        }
        let (nonce, body) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| Unsealable)?;
        String::from_utf8(plain).map_err(|_| Unsealable)
    }

    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_refuses_other_keys_and_tampering() {
        let one = SecretBox::from_hex(&"11".repeat(32)).unwrap();
        let two = SecretBox::from_hex(&"22".repeat(32)).unwrap();
        let sealed = one.seal("hook secret");
        assert!(SecretBox::is_sealed(&sealed));
        assert!(!sealed.contains("hook secret"));
        assert_ne!(sealed, one.seal("hook secret"), "a fresh nonce each time");
        assert_eq!(one.open(&sealed).unwrap(), "hook secret");
        assert!(two.open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('0') { '1' } else { '0' });
        assert!(one.open(&tampered).is_err());
        assert!(one.open("plain").is_err());
        assert!(SecretBox::from_hex("abcd").is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretBox::load_or_create(dir.path()).unwrap();
        let sealed = first.seal("x");
        let again = SecretBox::load_or_create(dir.path()).unwrap();
        assert_eq!(again.open(&sealed).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
