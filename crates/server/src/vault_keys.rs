//! The credential vault's envelope encryption.
//!
//! Each organization has a random 256-bit data key; its entries' values are
//! encrypted with it (ChaCha20-Poly1305, a random nonce per value) with the
//! organization and the entry bound as associated data, so a ciphertext
//! copied to another entry or organization does not decrypt. The data keys
//! are stored wrapped by a master key that never reaches the database: the
//! key ring file (`vault.keys` in the data directory, 0600, made on first
//! start), one `<id>:<64 hex digits>` per line, the first line the key new
//! wrappings use. Rotating the master key ([`KeyRing::rotate`]) puts a new
//! key first, after which every data key is re-wrapped (entries are not
//! touched) and the old keys are dropped; at every step each data key is
//! wrapped by a key in the file, so a crash in between loses nothing.

use anyhow::{bail, Context};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use gururmm_protocol::{OrganizationId, VaultEntryId};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The key ring's file in the data directory.
pub const KEY_RING_FILE: &str = "vault.keys";
const NONCE_BYTES: usize = 12;

/// A value or key that does not decrypt: another key, another entry or
/// organization, or tampered with.
#[derive(Debug, thiserror::Error)]
#[error("the vault value does not decrypt here")]
pub struct Undecryptable;

struct MasterKey {
    id: String,
    /// Kept to write the key ring back (a rotation).
    bytes: [u8; 32],
    cipher: ChaCha20Poly1305,
}

/// The master keys, newest first.
pub struct KeyRing {
    path: Option<PathBuf>,
    keys: Vec<MasterKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("path", &self.path)
            .field("ids", &self.ids())
            .finish()
    }
}

/// A key's name: the first 16 hex digits of its SHA-256 (names it without revealing it).
fn key_id(key: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(key))[..16].to_owned()
}

fn master(hex_key: &str) -> anyhow::Result<MasterKey> {
    let bytes: [u8; 32] = hex::decode(hex_key.trim())
        .context("a vault master key is 64 hex digits")?
        .try_into()
        .map_err(|_| anyhow::anyhow!("a vault master key is 64 hex digits (32 bytes)"))?;
    Ok(MasterKey {
        id: key_id(&bytes),
        bytes,
        cipher: ChaCha20Poly1305::new(Key::from_slice(&bytes)),
    })
}

fn new_key_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn seal(cipher: &ChaCha20Poly1305, plain: &[u8], aad: &[u8]) -> String {
    let nonce: [u8; NONCE_BYTES] = rand::random();
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
        .expect("ChaCha20-Poly1305 encrypts any length the vault takes");
    format!("{}{}", hex::encode(nonce), hex::encode(sealed))
}

fn open(cipher: &ChaCha20Poly1305, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, Undecryptable> {
    let bytes = hex::decode(sealed).map_err(|_| Undecryptable)?;
    if bytes.len() < NONCE_BYTES {
        return Err(Undecryptable);
    }
    let (nonce, body) = bytes.split_at(NONCE_BYTES);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
        .map_err(|_| Undecryptable)
}

fn data_key_aad(org: OrganizationId) -> Vec<u8> {
    format!("gururmm-vault-data-key:{org}").into_bytes()
}

fn entry_aad(org: OrganizationId, entry: VaultEntryId) -> Vec<u8> {
    format!("gururmm-vault-entry:{org}:{entry}").into_bytes()
}

/// A data key wrapped by a master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    pub master_key_id: String,
    pub wrapped: String,
}

/// An organization's data key, unwrapped.
pub struct DataKey(ChaCha20Poly1305);

impl DataKey {
    /// Encrypts an entry's value, bound to the organization and the entry.
    pub fn encrypt(&self, org: OrganizationId, entry: VaultEntryId, value: &str) -> String {
        seal(&self.0, value.as_bytes(), &entry_aad(org, entry))
    }

    pub fn decrypt(
        &self,
        org: OrganizationId,
        entry: VaultEntryId,
        sealed: &str,
    ) -> Result<String, Undecryptable> {
        let plain = open(&self.0, sealed, &entry_aad(org, entry))?;
        String::from_utf8(plain).map_err(|_| Undecryptable)
    }
}

impl KeyRing {
    /// The key ring in `path`, made with one new key when the file is missing.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, Some(path.to_path_buf())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let ring = Self::parse(
                    &format!("{}\n", line_of(&new_key_hex())?),
                    Some(path.to_path_buf()),
                )?;
                ring.write()?;
                Ok(ring)
            }
            Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// A key ring for this process only (tests, embedded uses without a data directory).
    pub fn ephemeral() -> Self {
        Self::parse(&line_of(&new_key_hex()).expect("a new key is valid"), None)
            .expect("a new key ring is valid")
    }

    fn parse(text: &str, path: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some((id, key)) = line.split_once(':') else {
                bail!("each line of the vault key ring is <id>:<64 hex digits>");
            };
            let key = master(key)?;
            if key.id != id {
                bail!("the vault key ring's key {id} does not match its id");
            }
            keys.push(key);
        }
        if keys.is_empty() {
            bail!("the vault key ring holds no key");
        }
        Ok(Self { path, keys })
    }

    /// The ids of its keys, the one new wrappings use first.
    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }

    /// A new data key for `org`, with its wrapping by the current master key.
    pub fn new_data_key(&self, org: OrganizationId) -> (DataKey, WrappedKey) {
        let bytes: [u8; 32] = rand::random();
        let wrapped = self.wrap(org, &bytes);
        (
            DataKey(ChaCha20Poly1305::new(Key::from_slice(&bytes))),
            wrapped,
        )
    }

    fn wrap(&self, org: OrganizationId, bytes: &[u8; 32]) -> WrappedKey {
        let current = &self.keys[0];
        WrappedKey {
            master_key_id: current.id.clone(),
            wrapped: seal(&current.cipher, bytes, &data_key_aad(org)),
        }
    }

    fn unwrap_bytes(
        &self,
        org: OrganizationId,
        wrapped: &WrappedKey,
    ) -> Result<[u8; 32], Undecryptable> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == wrapped.master_key_id)
            .ok_or(Undecryptable)?;
        open(&key.cipher, &wrapped.wrapped, &data_key_aad(org))?
            .try_into()
            .map_err(|_| Undecryptable)
    }

    /// The organization's data key.
    pub fn unwrap(
        &self,
        org: OrganizationId,
        wrapped: &WrappedKey,
    ) -> Result<DataKey, Undecryptable> {
        let bytes = self.unwrap_bytes(org, wrapped)?;
        Ok(DataKey(ChaCha20Poly1305::new(Key::from_slice(&bytes))))
    }

    /// The same data key wrapped by the current master key.
    pub fn rewrap(
        &self,
        org: OrganizationId,
        wrapped: &WrappedKey,
    ) -> Result<WrappedKey, Undecryptable> {
        let bytes = self.unwrap_bytes(org, wrapped)?;
        Ok(self.wrap(org, &bytes))
    }

    /// Puts a new master key first (and into the file); the old ones stay
    /// until [`KeyRing::drop_old`], once every data key is re-wrapped.
    pub fn rotate(&mut self) -> anyhow::Result<()> {
        self.keys.insert(0, master(&new_key_hex())?);
        self.write()
    }

    /// Keeps only the current master key.
    pub fn drop_old(&mut self) -> anyhow::Result<()> {
        self.keys.truncate(1);
        self.write()
    }

    fn write(&self) -> anyhow::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let text: String = self
            .keys
            .iter()
            .map(|k| format!("{}:{}\n", k.id, hex::encode(k.bytes)))
            .collect();
        let temporary = path.with_extension("keys.new");
        let _ = std::fs::remove_file(&temporary);
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(&temporary)
                .with_context(|| format!("creating {}", temporary.display()))?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))
    }
}

fn line_of(hex_key: &str) -> anyhow::Result<String> {
    Ok(format!("{}:{hex_key}", master(hex_key)?.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_decrypts_only_for_its_entry_and_organization() {
        let ring = KeyRing::ephemeral();
        let org = OrganizationId::new();
        let (key, wrapped) = ring.new_data_key(org);
        let entry = VaultEntryId::new();
        let sealed = key.encrypt(org, entry, "Pa55word!");
        assert_eq!(key.decrypt(org, entry, &sealed).unwrap(), "Pa55word!");
        assert!(
            key.decrypt(org, VaultEntryId::new(), &sealed).is_err(),
            "moved to another entry"
        );
        assert!(
            key.decrypt(OrganizationId::new(), entry, &sealed).is_err(),
            "moved to another organization"
        );
        let mut tampered = sealed.clone();
        tampered.replace_range(30..32, if &sealed[30..32] == "00" { "11" } else { "00" });
        assert!(key.decrypt(org, entry, &tampered).is_err(), "tampered");
        assert!(
            ring.unwrap(OrganizationId::new(), &wrapped).is_err(),
            "a data key is bound to its organization"
        );
        let again = ring.unwrap(org, &wrapped).unwrap();
        assert_eq!(again.decrypt(org, entry, &sealed).unwrap(), "Pa55word!");
        assert!(!sealed.contains("Pa55word"));
    }

    #[test]
    fn rotation_rewraps_data_keys_and_the_file_keeps_them_readable_at_every_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_RING_FILE);
        let mut ring = KeyRing::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let org = OrganizationId::new();
        let entry = VaultEntryId::new();
        let (key, wrapped) = ring.new_data_key(org);
        let sealed = key.encrypt(org, entry, "secret");
        let old_id = ring.ids()[0].clone();

        ring.rotate().unwrap();
        // A crash here: the file holds both keys, the old wrapping still opens.
        let reloaded = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(reloaded.ids()[1], old_id);
        assert!(reloaded.unwrap(org, &wrapped).is_ok());
        let rewrapped = ring.rewrap(org, &wrapped).unwrap();
        assert_ne!(rewrapped.master_key_id, old_id);
        ring.drop_old().unwrap();
        let reloaded = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(reloaded.ids().len(), 1);
        assert!(
            reloaded.unwrap(org, &wrapped).is_err(),
            "the old master key is gone"
        );
        let key = reloaded.unwrap(org, &rewrapped).unwrap();
        assert_eq!(
            key.decrypt(org, entry, &sealed).unwrap(),
            "secret",
            "entries were not touched"
        );
    }

    #[test]
    fn a_damaged_key_ring_is_refused() {
        for text in [
            "",
            "nonsense",
            "abcd:1234",
            &format!("0000000000000000:{}", "11".repeat(32)),
        ] {
            assert!(KeyRing::parse(text, None).is_err(), "{text}");
        }
    }
}
