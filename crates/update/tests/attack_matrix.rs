//! The update attack matrix on the formats: real minisign keys and
//! signatures (made as `gururmm-release` makes them), one valid release, and
//! every way an attacker or an accident could bend it. Only the valid one
//! passes; each refusal names its reason.

use chrono::{Duration, Utc};
use gururmm_update::*;
use minisign::KeyPair;
use std::io::Cursor;

struct Keys {
    root: KeyPair,
    signing: KeyPair,
    other: KeyPair,
}

fn sign(key: &KeyPair, content: &[u8]) -> String {
    minisign::sign(
        Some(&key.pk),
        &key.sk,
        Cursor::new(content),
        Some("gururmm test"),
        None,
    )
    .unwrap()
    .into_string()
}

fn public(key: &KeyPair) -> String {
    key.pk.to_base64()
}

fn id(key: &KeyPair) -> String {
    KeyId::of_public_key(&public(key)).unwrap().to_string()
}

fn statement(
    keys: &[&KeyPair],
    revoked: &[&KeyPair],
    sequence: u64,
    expires_in: Duration,
) -> Vec<u8> {
    serde_json::to_vec_pretty(&KeyStatement {
        format: FORMAT,
        sequence,
        issued_at: Utc::now(),
        expires_at: Utc::now() + expires_in,
        signing_keys: keys.iter().map(|k| public(k)).collect(),
        revoked: revoked.iter().map(|k| id(k)).collect(),
    })
    .unwrap()
}

const ARTIFACT: &[u8] = b"\x7fELF pretend this is gururmm-agent 0.2.0";

fn manifest(version: &str, platform: &str, artifact: &[u8], expires_in: Duration) -> Vec<u8> {
    serde_json::to_vec_pretty(&ReleaseManifest {
        format: FORMAT,
        product: AGENT_PRODUCT.into(),
        version: version.into(),
        platform: platform.into(),
        arch: "x86_64".into(),
        file: artifact_name(version, platform, "x86_64"),
        size: artifact.len() as u64,
        sha256: sha256_hex(artifact),
        released_at: Utc::now(),
        expires_at: Utc::now() + expires_in,
    })
    .unwrap()
}

fn target() -> Target {
    Target {
        product: AGENT_PRODUCT.into(),
        platform: "linux".into(),
        arch: "x86_64".into(),
        installed: semver::Version::parse("0.1.0").unwrap(),
    }
}

/// A whole update as an agent checks it: statement, manifest, artifact.
fn check(
    keys: &Keys,
    statement: (&[u8], Option<&str>),
    manifest: (&[u8], Option<&str>),
    artifact: &[u8],
    seen_sequence: u64,
) -> Result<ReleaseManifest, Refusal> {
    let roots = [public(&keys.root)];
    let roots: Vec<&str> = roots.iter().map(String::as_str).collect();
    let trusted = verify_keys(&roots, statement.0, statement.1, seen_sequence, Utc::now())?;
    let manifest = verify_manifest(&trusted, manifest.0, manifest.1, &target(), Utc::now())?;
    verify_artifact(&manifest, artifact)?;
    Ok(manifest)
}

fn keys() -> Keys {
    Keys {
        root: KeyPair::generate_unencrypted_keypair().unwrap(),
        signing: KeyPair::generate_unencrypted_keypair().unwrap(),
        other: KeyPair::generate_unencrypted_keypair().unwrap(),
    }
}

#[test]
fn only_the_valid_release_passes_and_each_attack_is_refused_with_its_reason() {
    let keys = keys();
    let day = Duration::days(1);
    let good_statement = statement(&[&keys.signing], &[], 2, day * 30);
    let good_statement_sig = sign(&keys.root, &good_statement);
    let good_manifest = manifest("0.2.0", "linux", ARTIFACT, day * 30);
    let good_manifest_sig = sign(&keys.signing, &good_manifest);
    let statement_ok = (good_statement.as_slice(), Some(good_statement_sig.as_str()));
    let manifest_ok = (good_manifest.as_slice(), Some(good_manifest_sig.as_str()));

    // The valid update.
    let accepted = check(&keys, statement_ok, manifest_ok, ARTIFACT, 0).unwrap();
    assert_eq!(
        (accepted.version.as_str(), accepted.size),
        ("0.2.0", ARTIFACT.len() as u64)
    );

    let refused = |result: Result<ReleaseManifest, Refusal>| result.unwrap_err().code();

    // Unsigned metadata.
    assert_eq!(
        refused(check(
            &keys,
            statement_ok,
            (&good_manifest, None),
            ARTIFACT,
            0
        )),
        "unsigned"
    );
    assert_eq!(
        refused(check(
            &keys,
            (&good_statement, None),
            manifest_ok,
            ARTIFACT,
            0
        )),
        "unsigned"
    );

    // Signed by a key nobody vouched for: the manifest, and the statement itself.
    let wrong = sign(&keys.other, &good_manifest);
    assert_eq!(
        refused(check(
            &keys,
            statement_ok,
            (&good_manifest, Some(&wrong)),
            ARTIFACT,
            0
        )),
        "unknown_key"
    );
    let self_made = sign(&keys.signing, &good_statement);
    assert_eq!(
        refused(check(
            &keys,
            (&good_statement, Some(&self_made)),
            manifest_ok,
            ARTIFACT,
            0
        )),
        "unknown_key"
    );

    // The signing key revoked by a newer statement (rotated to another key).
    let rotated = statement(&[&keys.signing, &keys.other], &[&keys.signing], 3, day * 30);
    let rotated_sig = sign(&keys.root, &rotated);
    let error = check(
        &keys,
        (&rotated, Some(&rotated_sig)),
        manifest_ok,
        ARTIFACT,
        2,
    )
    .unwrap_err();
    assert_eq!(error, Refusal::RevokedKey(id(&keys.signing)));
    // …and the new key's signature passes under it, without any reinstall.
    let by_new_key = sign(&keys.other, &good_manifest);
    check(
        &keys,
        (&rotated, Some(&rotated_sig)),
        (&good_manifest, Some(&by_new_key)),
        ARTIFACT,
        2,
    )
    .unwrap();
    // Replaying the statement before the revocation is refused.
    let error = check(&keys, statement_ok, manifest_ok, ARTIFACT, 3).unwrap_err();
    assert_eq!(
        error,
        Refusal::StaleKeys {
            offered: 2,
            seen: 3
        }
    );

    // A truncated artifact, and one flipped bit in it.
    let error = check(
        &keys,
        statement_ok,
        manifest_ok,
        &ARTIFACT[..ARTIFACT.len() - 1],
        0,
    )
    .unwrap_err();
    assert_eq!(error.code(), "size_mismatch");
    let mut flipped = ARTIFACT.to_vec();
    flipped[5] ^= 0x01;
    assert_eq!(
        refused(check(&keys, statement_ok, manifest_ok, &flipped, 0)),
        "hash_mismatch"
    );

    // One flipped bit in the signed manifest or statement.
    let mut bent = good_manifest.clone();
    let at = bent.iter().position(|&b| b == b'2').unwrap();
    bent[at] ^= 0x01;
    assert_eq!(
        refused(check(
            &keys,
            statement_ok,
            (&bent, Some(&good_manifest_sig)),
            ARTIFACT,
            0
        )),
        "bad_signature"
    );
    let mut bent = good_statement.clone();
    let last = bent.len() - 2;
    bent[last] ^= 0x01;
    assert_eq!(
        refused(check(
            &keys,
            (&bent, Some(&good_statement_sig)),
            manifest_ok,
            ARTIFACT,
            0
        )),
        "bad_signature"
    );

    // A valid signature, by the right key, over different content.
    let other_manifest = manifest("0.3.0", "linux", ARTIFACT, day);
    let other_sig = sign(&keys.signing, &other_manifest);
    assert_eq!(
        refused(check(
            &keys,
            statement_ok,
            (&good_manifest, Some(&other_sig)),
            ARTIFACT,
            0
        )),
        "bad_signature"
    );

    // Properly signed, but older than what runs (a rollback attack), or the same.
    for version in ["0.0.9", "0.1.0"] {
        let old = manifest(version, "linux", ARTIFACT, day);
        let old_sig = sign(&keys.signing, &old);
        assert_eq!(
            refused(check(
                &keys,
                statement_ok,
                (&old, Some(&old_sig)),
                ARTIFACT,
                0
            )),
            "not_newer"
        );
    }

    // Expired metadata: the manifest, and the key statement.
    let stale = manifest("0.2.0", "linux", ARTIFACT, -Duration::seconds(1));
    let stale_sig = sign(&keys.signing, &stale);
    assert_eq!(
        refused(check(
            &keys,
            statement_ok,
            (&stale, Some(&stale_sig)),
            ARTIFACT,
            0
        )),
        "expired"
    );
    let lapsed = statement(&[&keys.signing], &[], 2, -Duration::seconds(1));
    let lapsed_sig = sign(&keys.root, &lapsed);
    assert_eq!(
        refused(check(
            &keys,
            (&lapsed, Some(&lapsed_sig)),
            manifest_ok,
            ARTIFACT,
            0
        )),
        "expired"
    );

    // Another platform.
    let windows = manifest("0.2.0", "windows", ARTIFACT, day);
    let windows_sig = sign(&keys.signing, &windows);
    let error = check(
        &keys,
        statement_ok,
        (&windows, Some(&windows_sig)),
        ARTIFACT,
        0,
    )
    .unwrap_err();
    assert_eq!(
        error,
        Refusal::OtherTarget {
            offered: "gururmm-agent windows-x86_64".into(),
            expected: "gururmm-agent linux-x86_64".into()
        }
    );

    // A manifest whose hash is for other bytes of the same length.
    let lying = manifest("0.2.0", "linux", &flipped, day);
    let lying_sig = sign(&keys.signing, &lying);
    assert_eq!(
        refused(check(
            &keys,
            statement_ok,
            (&lying, Some(&lying_sig)),
            ARTIFACT,
            0
        )),
        "hash_mismatch"
    );

    // Garbage where a signature belongs.
    assert_eq!(
        refused(check(
            &keys,
            statement_ok,
            (&good_manifest, Some("untrusted comment: x\nnot base64!\n")),
            ARTIFACT,
            0
        )),
        "malformed"
    );
}

#[test]
fn artifacts_are_checked_as_they_stream_and_never_grow_past_the_manifest() {
    let manifest: ReleaseManifest =
        serde_json::from_slice(&manifest("0.2.0", "linux", ARTIFACT, Duration::days(1))).unwrap();
    let mut check = ArtifactCheck::new(&manifest);
    for chunk in ARTIFACT.chunks(7) {
        check.update(chunk).unwrap();
    }
    check.finish().unwrap();

    let mut check = ArtifactCheck::new(&manifest);
    check.update(ARTIFACT).unwrap();
    let error = check.update(b"x").unwrap_err();
    assert_eq!(
        error,
        Refusal::SizeMismatch {
            expected: ARTIFACT.len() as u64,
            got: ARTIFACT.len() as u64 + 1
        }
    );
}

#[test]
fn key_ids_read_like_minisign_shows_them() {
    let key = KeyPair::generate_unencrypted_keypair().unwrap();
    let id = KeyId::of_public_key(&key.pk.to_base64()).unwrap();
    let shown = format!(
        "{:016X}",
        u64::from_le_bytes(key.pk.keynum().try_into().unwrap())
    );
    assert_eq!(id.to_string(), shown);
    assert_eq!(KeyId::parse(&shown).unwrap(), id);
    let signature = sign(&key, b"content");
    assert_eq!(KeyId::of_signature(&signature).unwrap(), id);
    assert!(KeyId::parse("xyz").is_err());
}
