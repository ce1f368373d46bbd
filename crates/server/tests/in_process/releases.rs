//! The releases directory as the server serves it: the list for the
//! dashboard, and release files for agents (their credential, only the
//! files of complete releases, whole or resumed). The server checks no
//! signature, so the manifests here carry stand-in signatures; the
//! end-to-end suite signs real ones with `gururmm-release`.

use crate::support::*;
use crate::wire;
use chrono::{Duration, Utc};
use gururmm_store::testing::TestDatabase;
use gururmm_store::Role;
use gururmm_update::{product_artifact_name, sha256_hex, ReleaseManifest, FORMAT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;

/// Publishes `content` as `product` `version` for linux `arch` into `dir`:
/// the artifact, its manifest and a stand-in signature.
pub(crate) fn publish(dir: &Path, product: &str, version: &str, arch: &str, content: &[u8]) {
    let now = Utc::now();
    let manifest = ReleaseManifest {
        format: FORMAT,
        product: product.into(),
        version: version.into(),
        platform: "linux".into(),
        arch: arch.into(),
        file: product_artifact_name(product, version, "linux", arch),
        size: content.len() as u64,
        sha256: sha256_hex(content),
        released_at: now,
        expires_at: now + Duration::days(30),
    };
    std::fs::write(dir.join(&manifest.file), content).unwrap();
    let name = format!("{}.json", manifest.file);
    std::fs::write(dir.join(&name), serde_json::to_vec(&manifest).unwrap()).unwrap();
    std::fs::write(
        dir.join(format!("{name}.minisig")),
        "untrusted comment: stand-in\n",
    )
    .unwrap();
}

/// A releases directory holding a key statement and an agent build of each
/// of `versions` for linux-x86_64, as the catalog lists them (the server
/// checks the manifest's form and the artifact's size; the signatures are
/// stand-ins, the agent's to check).
pub(crate) fn agent_releases(versions: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keys.json"), "{}").unwrap();
    std::fs::write(dir.path().join("keys.json.minisig"), "signature").unwrap();
    for version in versions {
        let content = format!("the agent {version}");
        publish(
            dir.path(),
            "gururmm-agent",
            version,
            "x86_64",
            content.as_bytes(),
        );
    }
    dir
}

/// An agent build large enough to arrive in several chunks.
fn agent_build() -> Vec<u8> {
    (0..300_000u32).map(|i| (i % 251) as u8).collect()
}

fn releases_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    publish(
        dir.path(),
        "gururmm-agent",
        "0.2.0",
        "x86_64",
        &agent_build(),
    );
    publish(
        dir.path(),
        "gururmm-agent",
        "0.3.0-beta.1",
        "x86_64",
        b"beta",
    );
    publish(
        dir.path(),
        "gururmm-watchdog",
        "0.2.0",
        "x86_64",
        b"watchdog",
    );
    std::fs::write(dir.path().join("keys.json"), "{}").unwrap();
    std::fs::write(dir.path().join("keys.json.minisig"), "signature").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a release").unwrap();
    dir
}

/// Runs `test` on every backend against a server whose releases directory
/// is `dir` (none: not configured).
pub(crate) async fn each_backend_with_releases<F, Fut>(dir: Option<&Path>, test: F)
where
    F: Fn(TestServer) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for database in TestDatabase::all().await {
        let mut config = test_config();
        config.releases_dir = dir.map(Path::to_path_buf);
        test(TestServer::start_with(database, config).await).await;
    }
}

/// `GET /api/v1/agent/releases/{file}` (the name as written, unescaped)
/// with `credential` and `range`: status, headers, body.
async fn agent_get(
    server: &TestServer,
    file: &str,
    credential: Option<&str>,
    range: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    // Asked for, to show a binary (whole or part) is never compressed: a
    // resumed download appends the file's own bytes.
    let encoding = if file.ends_with(".json") {
        "identity"
    } else {
        "gzip, br"
    };
    raw_get(
        server,
        &format!("/api/v1/agent/releases/{file}"),
        credential,
        range,
        encoding,
    )
    .await
}

/// `GET path` with a bearer `credential`, `range` and `accept-encoding`:
/// status, headers, body as it came.
async fn raw_get(
    server: &TestServer,
    path: &str,
    credential: Option<&str>,
    range: Option<&str>,
    accept_encoding: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = server
        .http
        .get(format!("{}{path}", server.base))
        .header("accept-encoding", accept_encoding);
    if let Some(credential) = credential {
        request = request.bearer_auth(credential);
    }
    if let Some(range) = range {
        request = request.header("range", range);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn agents_download_release_files_whole_or_resumed_and_nothing_else() {
    let releases = releases_dir();
    let dir = releases.path().to_path_buf();
    each_backend_with_releases(Some(releases.path()), |server| {
        let dir = dir.clone();
        async move {
            let admin = server.admin_token().await;
            let (_, _, key) = server.client_site_key(&admin).await;
            let agent = wire::enroll(&server, &key, "release-pc").await;
            let credential = format!("{}.{}", agent.id, agent.secret);
            let build = agent_build();
            let file = "gururmm-agent-0.2.0-linux-x86_64";

            // Whole.
            let (status, headers, body) = agent_get(&server, file, Some(&credential), None).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(headers["content-type"], "application/octet-stream");
            assert_eq!(headers["accept-ranges"], "bytes");
            assert_eq!(headers["content-length"], build.len().to_string().as_str());
            assert!(!headers.contains_key("content-encoding"), "{headers:?}");
            assert_eq!(body, build);

            // Resumed after an interruption at 100,000 bytes.
            let (status, headers, rest) =
                agent_get(&server, file, Some(&credential), Some("bytes=100000-")).await;
            assert_eq!(status, StatusCode::PARTIAL_CONTENT);
            assert_eq!(
                headers["content-range"],
                format!("bytes 100000-{}/{}", build.len() - 1, build.len()).as_str()
            );
            assert!(!headers.contains_key("content-encoding"), "{headers:?}");
            let mut joined = build[..100_000].to_vec();
            joined.extend(rest);
            assert_eq!(joined, build);
            let (status, _, middle) =
                agent_get(&server, file, Some(&credential), Some("bytes=10-19")).await;
            assert_eq!(
                (status, middle.as_slice()),
                (StatusCode::PARTIAL_CONTENT, &build[10..20])
            );

            // A range past the end, or of a form not served: 416 with the length.
            for range in ["bytes=300000-", "bytes=-5", "bytes=0-1,5-6", "lines=1-"] {
                let (status, headers, _) =
                    agent_get(&server, file, Some(&credential), Some(range)).await;
                assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
                assert_eq!(headers["content-range"], "bytes */300000", "{range}");
            }

            // The manifest, its signature, the key statement and its signature.
            for (name, content_type) in [
                ("gururmm-agent-0.2.0-linux-x86_64.json", "application/json"),
                (
                    "gururmm-agent-0.2.0-linux-x86_64.json.minisig",
                    "text/plain; charset=utf-8",
                ),
                ("keys.json", "application/json"),
                ("keys.json.minisig", "text/plain; charset=utf-8"),
                (
                    "gururmm-watchdog-0.2.0-linux-x86_64",
                    "application/octet-stream",
                ),
            ] {
                let (status, headers, body) =
                    agent_get(&server, name, Some(&credential), None).await;
                assert_eq!(status, StatusCode::OK, "{name}");
                assert_eq!(headers["content-type"], content_type, "{name}");
                assert_eq!(body, std::fs::read(dir.join(name)).unwrap(), "{name}");
            }

            // Only files of the catalog: not other files in the directory, not
            // names that climb out of it however they are spelled.
            let outside = dir.parent().unwrap().join("gururmm-outside-secret");
            std::fs::write(&outside, "secret").unwrap();
            for name in [
                "notes.txt",
                "gururmm-agent-0.9.0-linux-x86_64",
                "..%2Fgururmm-outside-secret",
                "%2E%2E%2Fgururmm-outside-secret",
                "..%5Cgururmm-outside-secret",
                "%2Fetc%2Fpasswd",
                "keys.json%00.png",
                &"a".repeat(300),
            ] {
                let (status, _, body) = agent_get(&server, name, Some(&credential), None).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
                assert_ne!(body, b"secret", "{name}");
            }
            for path in [
                "../gururmm-outside-secret",
                "a/../../gururmm-outside-secret",
            ] {
                let (status, _, body) = agent_get(&server, path, Some(&credential), None).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
                assert_ne!(body, b"secret", "{path}");
            }
            std::fs::remove_file(outside).unwrap();

            // The agent's credential, and nothing else.
            let wrong = format!("{}.{}", agent.id, "0".repeat(agent.secret.len()));
            for credential in [
                None,
                Some(wrong.as_str()),
                Some("garbage"),
                Some(admin.as_str()),
            ] {
                let (status, _, body) = agent_get(&server, file, credential, None).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{credential:?}");
                assert_ne!(body, build);
            }
            // A deleted agent's credential no longer downloads.
            let (status, _) = server
                .delete(&format!("/api/v1/agents/{}", agent.id), &admin)
                .await;
            assert!(status.is_success(), "{status}");
            let (status, _, _) = agent_get(&server, file, Some(&credential), None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    })
    .await;
}

#[tokio::test]
async fn the_release_list_shows_channels_and_keys_to_whoever_may_view_agents() {
    let releases = releases_dir();
    each_backend_with_releases(Some(releases.path()), |server| async move {
        let admin = server.admin_token().await;
        let org = server.admin_organization().await;
        let reader = server
            .user_token(org, "reader@msp-one.test", Role::ReadOnly)
            .await;
        let stranger = server.stranger_token().await;
        for token in [&admin, &reader, &stranger] {
            let (status, list) = server.get("/api/v1/agent-releases", token).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            assert_eq!(list["configured"], true);
            assert_eq!(list["keys_present"], true);
            let items: Vec<(String, String, String)> = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| {
                    (
                        item["product"].as_str().unwrap().into(),
                        item["version"].as_str().unwrap().into(),
                        item["channel"].as_str().unwrap().into(),
                    )
                })
                .collect();
            let expected = [
                ("gururmm-agent", "0.3.0-beta.1", "beta"),
                ("gururmm-agent", "0.2.0", "stable"),
                ("gururmm-watchdog", "0.2.0", "stable"),
            ]
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
            assert_eq!(items, expected, "{list}");
            let first = &list["items"][1];
            assert_eq!(first["size"], 300_000);
            assert_eq!(first["sha256"], json!(sha256_hex(&agent_build())));
            assert_eq!(first["file"], "gururmm-agent-0.2.0-linux-x86_64");
            assert_eq!(
                (&first["platform"], &first["arch"]),
                (&json!("linux"), &json!("x86_64"))
            );
            assert!(first["released_at"].is_string() && first["expires_at"].is_string());
        }
        let (status, _) = server.get("/api/v1/agent-releases", "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    })
    .await;

    each_backend_with_releases(None, |server| async move {
        let admin = server.admin_token().await;
        let (_, list): (_, Value) = server.get("/api/v1/agent-releases", &admin).await;
        assert_eq!(
            list,
            json!({"configured": false, "keys_present": false, "items": []})
        );
    })
    .await;
}

/// `GET /api/v1/agent-packages/{file}` with a user's `token` and `range`.
async fn package_get(
    server: &TestServer,
    file: &str,
    token: &str,
    range: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    raw_get(
        server,
        &format!("/api/v1/agent-packages/{file}"),
        Some(token),
        range,
        "gzip, br",
    )
    .await
}

#[tokio::test]
async fn a_debian_package_downloads_under_its_debian_name_and_nothing_else_does() {
    let releases = releases_dir();
    let package = agent_build();
    publish(
        releases.path(),
        "gururmm-agent-deb",
        "0.2.0",
        "x86_64",
        &package,
    );
    each_backend_with_releases(Some(releases.path()), |server| {
        let package = package.clone();
        async move {
            let admin = server.admin_token().await;
            let org = server.admin_organization().await;
            let reader = server
                .user_token(org, "reader@msp-one.test", Role::ReadOnly)
                .await;
            let (_, list): (_, Value) = server.get("/api/v1/agent-releases", &admin).await;
            let listed = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|item| item["product"] == "gururmm-agent-deb")
                .cloned()
                .unwrap_or_else(|| panic!("the package is listed: {list}"));
            let file = "gururmm-agent-deb-0.2.0-linux-x86_64.deb";
            assert_eq!(listed["file"], file);
            assert_eq!(listed["sha256"], json!(sha256_hex(&package)));
            for token in [&admin, &reader] {
                let (status, headers, body) = package_get(&server, file, token, None).await;
                assert_eq!(status, StatusCode::OK);
                assert!(body == package, "the package's own bytes");
                assert_eq!(
                    headers["content-disposition"],
                    "attachment; filename=\"gururmm-agent_0.2.0_amd64.deb\""
                );
                assert_eq!(
                    headers["content-type"],
                    "application/vnd.debian.binary-package"
                );
            }
            let (status, _, body) = package_get(&server, file, &admin, Some("bytes=1000-")).await;
            assert_eq!(status, StatusCode::PARTIAL_CONTENT);
            assert!(body == package[1000..], "the rest of the package");
            // Only packages: not an agent build, the key statement, a
            // manifest, another file or a path out of the directory.
            for other in [
                "gururmm-agent-0.2.0-linux-x86_64",
                "keys.json",
                "gururmm-agent-deb-0.2.0-linux-x86_64.deb.json",
                "notes.txt",
                "..%2Fetc%2Fpasswd",
                &"x".repeat(300),
            ] {
                let (status, headers, _) = package_get(&server, other, &admin, None).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{other}");
                assert!(
                    headers["content-type"].to_str().unwrap().contains("json"),
                    "a problem with its message: {headers:?}"
                );
            }
            let (status, _, _) = package_get(&server, file, "", None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    })
    .await;
}
