//! `gururmm-release` as a release manager runs it: keys, a key statement, a
//! signed build (the agent's and the watchdog's), its verification; then tampering, a rotation that revokes
//! the old signing key, and mistakes, each refused with a clear message.

use std::path::Path;
use std::process::{Command, Output};

fn release(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gururmm-release"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run gururmm-release")
}

fn ok(args: &[&str], dir: &Path) -> String {
    let output = release(args, dir);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn refused(args: &[&str], dir: &Path) -> String {
    let output = release(args, dir);
    assert!(!output.status.success(), "{args:?} should fail");
    String::from_utf8(output.stderr).unwrap()
}

const VERIFY: [&str; 7] = [
    "verify",
    "--root",
    "root.pub",
    "--releases-dir",
    "releases",
    "--artifact",
    "gururmm-agent-0.2.0-linux-x86_64",
];

fn keygen(name: &str, dir: &Path) -> String {
    ok(
        &[
            "keygen",
            "--secret-key",
            &format!("{name}.key"),
            "--public-key",
            &format!("{name}.pub"),
            "--password-file",
            "password",
        ],
        dir,
    )
}

fn certify(signing: &[&str], revoke: &[&str], sequence: &str, dir: &Path) -> String {
    let mut args = vec![
        "certify",
        "--root-key",
        "root.key",
        "--password-file",
        "password",
    ];
    for key in signing {
        args.extend(["--signing-key", key]);
    }
    for id in revoke {
        args.extend(["--revoke", id]);
    }
    args.extend(["--sequence", sequence, "--releases-dir", "releases"]);
    ok(&args, dir)
}

/// `sign` of the test build as `version`, with `key` and the password in `password_file`.
fn sign_args<'a>(key: &'a str, password_file: &'a str, version: &'a str) -> [&'a str; 15] {
    [
        "sign",
        "--key",
        key,
        "--password-file",
        password_file,
        "--artifact",
        "build/gururmm-agent",
        "--version",
        version,
        "--platform",
        "linux",
        "--arch",
        "x86_64",
        "--releases-dir",
        "releases",
    ]
}

fn sign(key: &str, dir: &Path) -> String {
    ok(&sign_args(key, "password", "0.2.0"), dir)
}

/// Flips one bit of the published `artifact`: `verify` refuses it for its
/// SHA-256; then the genuine bytes are put back.
fn assert_one_flipped_bit_refused(artifact: &str, verify: &[&str], dir: &Path) {
    let published = dir.join("releases").join(artifact);
    let genuine = std::fs::read(&published).unwrap();
    let mut bent = genuine.clone();
    bent[3] ^= 0x10;
    std::fs::write(&published, &bent).unwrap();
    assert!(refused(verify, dir).contains("SHA-256"));
    std::fs::write(&published, &genuine).unwrap();
}

#[test]
fn a_release_is_signed_verified_and_every_tampering_or_revocation_refused() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    std::fs::write(dir.join("password"), "correct horse battery staple\n").unwrap();
    std::fs::create_dir(dir.join("build")).unwrap();
    std::fs::write(dir.join("build/gururmm-agent"), b"\x7fELF agent 0.2.0").unwrap();

    let root = keygen("root", dir);
    assert!(root.starts_with("key "), "{root}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("root.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the secret key is private");
    }
    let secret = std::fs::read_to_string(dir.join("root.key")).unwrap();
    assert!(
        !secret.contains("correct horse"),
        "the password is not stored"
    );
    let again = refused(
        &[
            "keygen",
            "--secret-key",
            "root.key",
            "--public-key",
            "x.pub",
            "--password-file",
            "password",
        ],
        dir,
    );
    assert!(again.contains("never overwritten"), "{again}");
    let old_id = keygen("signing", dir)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .to_string();

    certify(&["signing.pub"], &[], "1", dir);
    let signed = sign("signing.key", dir);
    assert!(
        signed.contains("gururmm-agent-0.2.0-linux-x86_64"),
        "{signed}"
    );
    for file in [
        "keys.json",
        "keys.json.minisig",
        "gururmm-agent-0.2.0-linux-x86_64.json.minisig",
    ] {
        assert!(dir.join("releases").join(file).is_file(), "{file}");
    }
    let verified = ok(&VERIFY, dir);
    assert!(
        verified.starts_with("OK gururmm-agent-0.2.0-linux-x86_64: version 0.2.0"),
        "{verified}"
    );

    // The watchdog is signed the same way, under its own product name.
    std::fs::write(dir.join("build/gururmm-watchdog"), b"\x7fELF watchdog").unwrap();
    let mut watchdog = sign_args("signing.key", "password", "0.2.0").to_vec();
    watchdog[6] = "build/gururmm-watchdog";
    watchdog.extend(["--product", "gururmm-watchdog"]);
    let signed = ok(&watchdog, dir);
    assert!(
        signed.contains("gururmm-watchdog-0.2.0-linux-x86_64 "),
        "{signed}"
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("releases/gururmm-watchdog-0.2.0-linux-x86_64.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["product"], "gururmm-watchdog");
    assert_eq!(manifest["file"], "gururmm-watchdog-0.2.0-linux-x86_64");
    assert!(dir
        .join("releases/gururmm-watchdog-0.2.0-linux-x86_64.json.minisig")
        .is_file());
    // It verifies as the watchdog, and not as an agent build (nor an agent
    // build as the watchdog).
    let mut verify_watchdog = VERIFY.to_vec();
    verify_watchdog[6] = "gururmm-watchdog-0.2.0-linux-x86_64";
    verify_watchdog.extend(["--product", "gururmm-watchdog"]);
    let verified = ok(&verify_watchdog, dir);
    assert!(
        verified.starts_with("OK gururmm-watchdog-0.2.0-linux-x86_64: version 0.2.0"),
        "{verified}"
    );
    let as_agent = refused(&verify_watchdog[..7], dir);
    assert!(
        as_agent.contains("built for gururmm-watchdog linux-x86_64, not gururmm-agent"),
        "{as_agent}"
    );
    let mut agent_as_watchdog = VERIFY.to_vec();
    agent_as_watchdog.extend(["--product", "gururmm-watchdog"]);
    assert!(refused(&agent_as_watchdog, dir).contains("not gururmm-watchdog"));
    let mut unknown = verify_watchdog.clone();
    *unknown.last_mut().unwrap() = "gururmm-server";
    assert!(refused(&unknown, dir).contains("not one of gururmm-agent, gururmm-watchdog"));
    // Tampered, the watchdog's build is refused like the agent's.
    assert_one_flipped_bit_refused("gururmm-watchdog-0.2.0-linux-x86_64", &verify_watchdog, dir);
    ok(&verify_watchdog, dir);
    // Only the two products, and no names that would leave the directory.
    let mut other = watchdog.clone();
    *other.last_mut().unwrap() = "gururmm-server";
    assert!(refused(&other, dir).contains("not one of gururmm-agent, gururmm-watchdog"));
    let mut escaping = sign_args("signing.key", "password", "0.2.0").to_vec();
    escaping[12] = "../../x86_64";
    assert!(refused(&escaping, dir).contains("--arch"));

    // Not newer than what a machine runs.
    let mut newer_installed = VERIFY.to_vec();
    newer_installed.extend(["--installed", "0.2.0"]);
    assert!(refused(&newer_installed, dir).contains("not newer"));

    // One flipped bit in the published build.
    assert_one_flipped_bit_refused("gururmm-agent-0.2.0-linux-x86_64", &VERIFY, dir);

    // A key the root never vouched for.
    keygen("rogue", dir);
    sign("rogue.key", dir);
    assert!(refused(&VERIFY, dir).contains("not trusted"));

    // Rotation: a new signing key, the old one revoked, by the root alone.
    keygen("signing2", dir);
    certify(&["signing.pub", "signing2.pub"], &[&old_id], "2", dir);
    sign("signing.key", dir);
    let revoked = refused(&VERIFY, dir);
    assert!(
        revoked.contains("revoked") && revoked.contains(&old_id),
        "{revoked}"
    );
    sign("signing2.key", dir);
    ok(&VERIFY, dir);

    // Mistakes are explained.
    std::fs::write(dir.join("wrong"), "not the password at all\n").unwrap();
    let wrong = refused(&sign_args("signing2.key", "wrong", "0.3.0"), dir);
    assert!(wrong.contains("password"), "{wrong}");
    std::fs::write(dir.join("short"), "short\n").unwrap();
    assert!(refused(
        &[
            "keygen",
            "--secret-key",
            "s.key",
            "--public-key",
            "s.pub",
            "--password-file",
            "short"
        ],
        dir
    )
    .contains("at least 12"));
    let version = refused(&sign_args("signing2.key", "password", "two"), dir);
    assert!(version.contains("semantic version"), "{version}");
}
