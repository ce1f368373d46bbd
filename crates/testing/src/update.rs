//! The agent builds the update tests install, and the test root key they
//! trust (`fixtures/update/`, public, for tests only). `cargo xtask test`
//! builds each [`VARIANTS`] entry with [`TEST_ROOT_PUBLIC_KEY`] compiled in
//! (and, for the broken ones, the break mode) into [`variants_dir`]; the
//! end-to-end update suite signs and serves them.

use std::path::{Path, PathBuf};

/// One agent build for the update tests.
#[derive(Clone, Copy, Debug)]
pub struct AgentVariant {
    /// Its file name in [`variants_dir`].
    pub name: &'static str,
    /// `GURURMM_AGENT_VERSION` at build time.
    pub version: &'static str,
    /// `GURURMM_AGENT_TEST_BREAK` at build time: `exit` (exits at start) or
    /// `never-connect` (runs but never connects).
    pub break_mode: Option<&'static str>,
}

/// The installed version, the good update, and two broken updates.
pub const VARIANTS: [AgentVariant; 4] = [
    AgentVariant {
        name: "base",
        version: "1.0.0",
        break_mode: None,
    },
    AgentVariant {
        name: "good",
        version: "1.1.0",
        break_mode: None,
    },
    AgentVariant {
        name: "exits",
        version: "1.2.0",
        break_mode: Some("exit"),
    },
    AgentVariant {
        name: "silent",
        version: "1.3.0",
        break_mode: Some("never-connect"),
    },
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/update")
}

/// The test root's public key file (minisign `.pub`).
pub fn test_root_public_key_file() -> PathBuf {
    fixtures().join("test-root.pub")
}

/// The test root's secret key file, and the file holding its password.
pub fn test_root_secret_key_files() -> (PathBuf, PathBuf) {
    (
        fixtures().join("test-root.key"),
        fixtures().join("test-root.password"),
    )
}

/// The base64 line of the test root's public key, as
/// `GURURMM_UPDATE_ROOT_KEYS` takes it.
pub fn test_root_public_key() -> String {
    let text = std::fs::read_to_string(test_root_public_key_file())
        .expect("the test root public key fixture");
    text.lines()
        .nth(1)
        .expect("a minisign public key file has two lines")
        .trim()
        .to_string()
}

/// Where `cargo xtask test` puts the builds (`<workspace>/target/update-variants`).
pub fn variants_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/update-variants")
}

/// A variant's binary.
pub fn variant_binary(variant: &AgentVariant) -> PathBuf {
    variants_dir().join(variant.name)
}

/// A variant's Windows build (`cargo xtask test` makes them when the
/// Windows suite runs), which the update suite runs under Wine.
pub fn variant_windows_binary(variant: &AgentVariant) -> PathBuf {
    variants_dir().join(format!("{}.exe", variant.name))
}
