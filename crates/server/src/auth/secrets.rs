//! Passwords (argon2id), random tokens and keys, and their stored hashes.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Longest password accepted, so hashing cannot be used to burn CPU.
pub const MAX_PASSWORD_LEN: usize = 1024;
pub const MIN_PASSWORD_LEN: usize = 12;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so unknown
/// accounts take as long as wrong passwords.
pub fn dummy_password_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("not-a-real-password-for-timing").expect("hash dummy password")
    })
}

/// `bytes` random bytes from the OS, hex-encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// A random password that is easy to copy: 24 characters from an unambiguous alphabet.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buffer = [0u8; 24];
    OsRng.fill_bytes(&mut buffer);
    buffer
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// SHA-256 hex of a high-entropy secret (tokens, keys, agent secrets). Such
/// secrets need no slow hash: they cannot be guessed.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares a presented secret with a stored SHA-256 hex in constant time.
pub fn secret_matches(presented: &str, stored_hash: &str) -> bool {
    sha256_hex(presented)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

/// A new site enrollment key: 160 random bits.
pub fn new_enrollment_key() -> String {
    format!("grk_{}", random_hex(20))
}

/// A new agent secret: 256 random bits.
pub fn new_agent_secret() -> String {
    random_hex(32)
}

/// A new dashboard session token: 256 random bits.
pub fn new_session_token() -> String {
    format!("grs_{}", random_hex(32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn keys_are_long_random_and_compared_by_hash() {
        let key = new_enrollment_key();
        assert_eq!(key.len(), 4 + 40);
        assert_ne!(key, new_enrollment_key());
        let stored = sha256_hex(&key);
        assert!(secret_matches(&key, &stored));
        assert!(!secret_matches("grk_guess", &stored));
        assert_eq!(random_password().len(), 24);
    }
}
