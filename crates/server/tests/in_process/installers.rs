//! The per-site Windows installer: a link made for a site's new key, and the
//! MSI behind it, read back with the `msi` crate. The release MSI is the real
//! installer source built around a stand-in program (`fixtures/`).

use crate::support::*;
use gururmm_store::testing::TestDatabase;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Cursor;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/gururmm-agent-installer.msi"
);
const RELEASE_FILE: &str = "gururmm-agent-windows-x86_64.msi";
const PUBLIC_URL: &str = "https://rmm.example.test";
const MSI_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// A releases directory holding the fixture as the Windows installer.
fn releases() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(FIXTURE, dir.path().join(RELEASE_FILE)).unwrap();
    dir
}

/// Runs `test` on every backend against a server whose releases directory
/// is `releases` (none: not configured).
async fn each_backend_with<F, Fut>(releases: Option<&std::path::Path>, test: F)
where
    F: Fn(TestServer) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for database in TestDatabase::all().await {
        let mut config = test_config();
        config.releases_dir = releases.map(std::path::Path::to_path_buf);
        // A trailing slash, as an operator may write it.
        config.public_url = Some(format!("{PUBLIC_URL}/"));
        test(TestServer::start_with(database, config).await).await;
    }
}

/// A new key of the site, in clear.
async fn new_key(server: &TestServer, token: &str, site: &str) -> String {
    let (status, created) = server
        .post(
            &format!("/api/v1/sites/{site}/enrollment-keys"),
            token,
            json!({"label": "Installer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["key"].as_str().unwrap().to_string()
}

async fn make_link(server: &TestServer, token: &str, site: &str, key: &str) -> (StatusCode, Value) {
    server
        .post(
            &format!("/api/v1/sites/{site}/installer-links"),
            token,
            json!({"enrollment_key": key}),
        )
        .await
}

/// Fetches a link without any credential: status, headers and body.
async fn fetch(
    server: &TestServer,
    url: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let path = url
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{url} is on the public URL"));
    let response = server
        .http
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// Every table of a package with its rows as text, sorted.
fn tables(bytes: &[u8]) -> BTreeMap<String, Vec<String>> {
    let mut package = msi::Package::open(Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<String> = package.tables().map(|t| t.name().to_string()).collect();
    let mut all = BTreeMap::new();
    for name in names {
        let mut rows: Vec<String> = package
            .select_rows(msi::Select::table(&name))
            .unwrap()
            .map(|row| {
                (0..row.len())
                    .map(|i| row[i].to_string())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        rows.sort();
        all.insert(name, rows);
    }
    all
}

/// Every stream of a package (the cabinet, binaries) by name.
fn streams(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut package = msi::Package::open(Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<String> = package.streams().collect();
    assert!(!names.is_empty(), "the package carries its cabinet");
    names
        .into_iter()
        .map(|name| {
            let mut data = Vec::new();
            package
                .read_stream(&name)
                .unwrap()
                .read_to_end(&mut data)
                .unwrap();
            (name, data)
        })
        .collect()
}

fn property(bytes: &[u8], name: &str) -> String {
    let mut package = msi::Package::open(Cursor::new(bytes.to_vec())).unwrap();
    let rows: Vec<String> = package
        .select_rows(
            msi::Select::table("Property")
                .with(msi::Expr::col("Property").eq(msi::Expr::string(name))),
        )
        .unwrap()
        .map(|row| row["Value"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rows.len(), 1, "{name}: {rows:?}");
    rows[0].clone()
}

#[tokio::test]
async fn a_site_s_installer_carries_the_server_url_and_its_key_and_nothing_else() {
    let releases = releases();
    each_backend_with(Some(releases.path()), |server| async move {
        let admin = server.admin_token().await;
        let (_, site, _) = server.client_site_key(&admin).await;
        let key = new_key(&server, &admin, &site).await;
        let before = chrono::Utc::now();
        let (status, link) = make_link(&server, &admin, &site, &key).await;
        assert_eq!(status, StatusCode::CREATED, "{link}");
        let url = link["url"].as_str().unwrap().to_string();
        assert!(
            url.starts_with(&format!("{PUBLIC_URL}/api/v1/installers/")),
            "{url}"
        );
        let expires: chrono::DateTime<chrono::Utc> =
            link["expires_at"].as_str().unwrap().parse().unwrap();
        let lifetime = expires - before;
        assert!(
            lifetime > chrono::Duration::minutes(59) && lifetime <= chrono::Duration::minutes(61),
            "{link}"
        );

        let (status, headers, msi) = fetch(&server, &url).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&msi));
        assert_eq!(headers["content-type"], "application/x-msi");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"gururmm-agent-hq.msi\""
        );
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(msi[..8], MSI_MAGIC);
        assert_eq!(property(&msi, "SERVERURL"), PUBLIC_URL);
        assert_eq!(property(&msi, "ENROLLMENTKEY"), key);

        // Everything else is the release's: every other table, and the
        // Property table but for the two values (and the two that keep the
        // release's values).
        let release = std::fs::read(FIXTURE).unwrap();
        assert_eq!(property(&release, "ENROLLMENTKEY"), "none");
        let (mut ours, mut theirs) = (tables(&msi), tables(&release));
        assert!(
            ours["ServiceInstall"]
                .iter()
                .any(|row| row.contains("GuruRMMAgent")),
            "{:?}",
            ours["ServiceInstall"]
        );
        assert!(ours.contains_key("LockPermissions"), "{:?}", ours.keys());
        // The release's values stay, in two private properties.
        assert_eq!(property(&msi, "GuruRmmReleaseServerUrl"), "none");
        assert_eq!(property(&msi, "GuruRmmReleaseEnrollmentKey"), "none");
        let strip = |rows: &mut Vec<String>| {
            rows.retain(|row| {
                !row.starts_with("\"SERVERURL\"|")
                    && !row.starts_with("\"ENROLLMENTKEY\"|")
                    && !row.starts_with("\"GuruRmmRelease")
            })
        };
        strip(ours.get_mut("Property").unwrap());
        strip(theirs.get_mut("Property").unwrap());
        assert_eq!(ours, theirs);
        assert_eq!(
            streams(&msi),
            streams(&release),
            "the cabinet is the release's"
        );

        // The key in the installer enrolls into the site.
        let enrolled = server
            .enroll(&property(&msi, "ENROLLMENTKEY"), "msi-pc", "msi-pc")
            .await;
        let (_, agent) = server
            .get(
                &format!("/api/v1/agents/{}", enrolled["agent_id"].as_str().unwrap()),
                &admin,
            )
            .await;
        assert_eq!(agent["site_id"], json!(site), "{agent}");

        // The link works again until it expires (a retried download).
        let (status, _, again) = fetch(&server, &url).await;
        assert_eq!(
            (status, property(&again, "ENROLLMENTKEY")),
            (StatusCode::OK, key.clone())
        );

        // Neither the key nor the link's token is in the database in clear.
        let token = url.rsplit('/').next().unwrap();
        let stored = server
            .database()
            .query_strings(
                "SELECT id || organization_id || site_id || enrollment_key_id || token_hash || \
                 enrollment_key_sealed || created_by_email FROM installer_links",
            )
            .await;
        assert_eq!(stored.len(), 1, "{stored:?}");
        assert!(stored[0].contains("sealed:v1:"), "{stored:?}");
        assert!(
            !stored[0].contains(&key) && !stored[0].contains(token),
            "{stored:?}"
        );
        assert!(!stored[0].contains(&key["grk_".len()..]), "{stored:?}");

        // Each download is in the audit log, with the site and link, never the key.
        let (_, downloads) = server
            .get("/api/v1/audit?action=installer_downloaded", &admin)
            .await;
        assert_eq!(downloads["total"], 2, "{downloads}");
        let event = &downloads["items"][0];
        assert_eq!(event["target"], json!(format!("sites/{site}")), "{event}");
        assert_eq!(event["actor_kind"], "installer_link", "{event}");
        assert_eq!(event["source_ip"], "127.0.0.1", "{event}");
        assert!(event["details"]["installer_link_id"].is_string(), "{event}");
        let (_, export) = server
            .get("/api/v1/audit/export?format=jsonl", &admin)
            .await;
        let export = export.as_str().unwrap();
        assert!(export.contains("create_installer_link"), "{export}");
        assert!(
            !export.contains(&key) && !export.contains(token),
            "{export}"
        );
    })
    .await;
}

#[tokio::test]
async fn only_an_active_key_of_that_site_by_someone_who_may_add_agents_gets_a_link() {
    let releases = releases();
    each_backend_with(Some(releases.path()), |server| async move {
        let admin = server.admin_token().await;
        let (_, site, _) = server.client_site_key(&admin).await;
        let (_, other_site, other_key) = server.client_site_key(&admin).await;
        let key = new_key(&server, &admin, &site).await;

        let unknown = format!("grk_{}", "0".repeat(40));
        for (body, why) in [
            (json!({"enrollment_key": other_key}), "another site's key"),
            (json!({"enrollment_key": unknown}), "an unknown key"),
            (json!({"enrollment_key": ""}), "an empty key"),
            (json!({"enrollment_key": "k".repeat(129)}), "a long key"),
        ] {
            let (status, refused) = server
                .post(
                    &format!("/api/v1/sites/{site}/installer-links"),
                    &admin,
                    body,
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {refused}");
            assert!(
                refused["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("enrollment_key"),
                "{why}: {refused}"
            );
        }
        let (status, missing_field) = server
            .post(
                &format!("/api/v1/sites/{site}/installer-links"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{missing_field}");
        assert!(
            missing_field.to_string().contains("enrollment_key"),
            "{missing_field}"
        );

        // A revoked key gets no link, and a link made before the key was
        // revoked downloads nothing any more.
        let (_, link) = make_link(&server, &admin, &site, &key).await;
        let url = link["url"].as_str().unwrap().to_string();
        let (_, keys) = server
            .get(&format!("/api/v1/sites/{site}/enrollment-keys"), &admin)
            .await;
        let key_id = keys["items"][0]["id"].as_str().unwrap().to_string();
        server
            .post(
                &format!("/api/v1/enrollment-keys/{key_id}/revoke"),
                &admin,
                json!({}),
            )
            .await;
        let (status, refused) = make_link(&server, &admin, &site, &key).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(fetch(&server, &url).await.0, StatusCode::NOT_FOUND);

        // A read-only user may not; another organization's site is not found.
        let org = server.admin_organization().await;
        let reader = server
            .user_token(org, "reader@msp-one.test", Role::ReadOnly)
            .await;
        let fresh = new_key(&server, &admin, &other_site).await;
        let (status, refused) = make_link(&server, &reader, &other_site, &fresh).await;
        assert_eq!(
            (status, &refused["error"]["code"]),
            (StatusCode::FORBIDDEN, &json!("permission_denied")),
            "{refused}"
        );
        let stranger = server.stranger_token().await;
        let (status, refused) = make_link(&server, &stranger, &other_site, &fresh).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
        let (status, _) = make_link(&server, &admin, &other_site, &fresh).await;
        assert_eq!(status, StatusCode::CREATED);
    })
    .await;
}

#[tokio::test]
async fn a_link_expires_and_an_organization_holds_a_bounded_number() {
    let releases = releases();
    each_backend_with(Some(releases.path()), |server| async move {
        let admin = server.admin_token().await;
        let (_, site, _) = server.client_site_key(&admin).await;
        let key = new_key(&server, &admin, &site).await;
        let (_, link) = make_link(&server, &admin, &site, &key).await;
        let url = link["url"].as_str().unwrap().to_string();
        assert_eq!(fetch(&server, &url).await.0, StatusCode::OK);

        // Expired (its expiry moved into the past): the same 404 as a link that never was.
        server
            .database()
            .execute_raw("UPDATE installer_links SET expires_at = 0")
            .await;
        let (status, _, expired) = fetch(&server, &url).await;
        let (unknown_status, _, unknown) = fetch(
            &server,
            &format!("{PUBLIC_URL}/api/v1/installers/gri_{}", "0".repeat(64)),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!((status, &expired), (unknown_status, &unknown));
        let left = server
            .database()
            .query_strings("SELECT id FROM installer_links")
            .await;
        assert!(left.is_empty(), "the expired link was deleted: {left:?}");

        // At most 200 unexpired links per organization: the 201st is a 429
        // with a Retry-After; once they expire, new ones are made again.
        for _ in 0..200 {
            let (status, made) = make_link(&server, &admin, &site, &key).await;
            assert_eq!(status, StatusCode::CREATED, "{made}");
        }
        let response = server
            .http
            .post(format!(
                "{}/api/v1/sites/{site}/installer-links",
                server.base
            ))
            .bearer_auth(&admin)
            .json(&json!({"enrollment_key": key}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((3_000..=3_600).contains(&retry_after), "{retry_after}");
        server
            .database()
            .execute_raw("UPDATE installer_links SET expires_at = 0")
            .await;
        let (status, made) = make_link(&server, &admin, &site, &key).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let left = server
            .database()
            .query_strings("SELECT id FROM installer_links")
            .await;
        assert_eq!(left.len(), 1, "expired links were deleted");
    })
    .await;
}

#[tokio::test]
async fn without_a_release_installer_the_answer_says_how_to_provide_one() {
    each_backend_with(None, |server| async move {
        let admin = server.admin_token().await;
        let (_, site, _) = server.client_site_key(&admin).await;
        let key = new_key(&server, &admin, &site).await;
        let (status, refused) = make_link(&server, &admin, &site, &key).await;
        assert_eq!(
            (status, &refused["error"]["code"]),
            (StatusCode::CONFLICT, &json!("installer_unavailable")),
            "{refused}"
        );
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("cargo xtask dist windows")
                && message.contains("GURURMM_RELEASES_DIR"),
            "{message}"
        );
    })
    .await;

    // Configured, but the file is gone (or was never put there); and a
    // file that is not an installer is refused, never handed out.
    let releases = releases();
    let path = releases.path().join(RELEASE_FILE);
    each_backend_with(Some(releases.path()), |server| {
        let path = path.clone();
        async move {
            let admin = server.admin_token().await;
            let (_, site, _) = server.client_site_key(&admin).await;
            let key = new_key(&server, &admin, &site).await;
            std::fs::copy(FIXTURE, &path).unwrap();
            let (_, link) = make_link(&server, &admin, &site, &key).await;
            let url = link["url"].as_str().unwrap().to_string();
            std::fs::write(&path, b"MZ this is not an installer").unwrap();
            let (status, _, body) = fetch(&server, &url).await;
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                (status, &body["error"]["code"]),
                (StatusCode::CONFLICT, &json!("installer_unavailable")),
                "{body}"
            );
            std::fs::remove_file(&path).unwrap();
            let (status, refused) = make_link(&server, &admin, &site, &key).await;
            assert_eq!(status, StatusCode::CONFLICT, "{refused}");
            assert!(
                refused["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains(RELEASE_FILE),
                "{refused}"
            );
        }
    })
    .await;
}

/// A releases directory with a stable agent and watchdog for linux x86_64
/// (none for aarch64), and the Windows installer.
fn linux_releases() -> tempfile::TempDir {
    let dir = releases();
    crate::releases::publish(
        dir.path(),
        "gururmm-agent",
        "0.2.0",
        "x86_64",
        b"agent 0.2.0",
    );
    crate::releases::publish(
        dir.path(),
        "gururmm-agent",
        "0.3.0-beta.1",
        "x86_64",
        b"beta",
    );
    crate::releases::publish(
        dir.path(),
        "gururmm-watchdog",
        "0.2.0",
        "x86_64",
        b"watchdog",
    );
    dir
}

async fn make_script_link(
    server: &TestServer,
    token: &str,
    site: &str,
    key: &str,
) -> (StatusCode, Value) {
    server
        .post(
            &format!("/api/v1/sites/{site}/installer-links"),
            token,
            json!({"enrollment_key": key, "kind": "linux_script"}),
        )
        .await
}

/// Runs shellcheck on a script: required in CI, skipped with a note where
/// it is not installed.
#[allow(clippy::print_stderr)] // tells a developer what did not run
fn shellcheck(script: &str) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, script.as_bytes()).unwrap();
    let output = match std::process::Command::new("shellcheck")
        .args(["--shell=sh", "--severity=style"])
        .arg(file.path())
        .output()
    {
        Ok(output) => output,
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "shellcheck is not installed: the script's lint is skipped here (CI runs it)"
            );
            return;
        }
        Err(error) => panic!("shellcheck is needed under CI: {error}"),
    };
    assert!(
        output.status.success(),
        "shellcheck:\n{}\n{script}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[tokio::test]
async fn the_linux_install_script_carries_the_server_the_key_and_the_hashes() {
    let releases = linux_releases();
    each_backend_with(Some(releases.path()), |server| async move {
        let admin = server.admin_token().await;
        let (_, site, _) = server.client_site_key(&admin).await;
        let key = new_key(&server, &admin, &site).await;
        let (status, link) = make_script_link(&server, &admin, &site, &key).await;
        assert_eq!(status, StatusCode::CREATED, "{link}");
        assert_eq!(link["kind"], "linux_script");
        let url = link["url"].as_str().unwrap().to_string();
        let token = url
            .strip_prefix(&format!("{PUBLIC_URL}/install.sh?token="))
            .unwrap_or_else(|| panic!("{url}"))
            .to_string();
        assert_eq!(
            link["command"],
            json!(format!("curl -fsSL '{url}' | sudo sh"))
        );

        let (status, headers, script) = fetch(&server, &url).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&script)
        );
        assert_eq!(headers["content-type"], "text/x-shellscript; charset=utf-8");
        assert_eq!(headers["cache-control"], "no-store");
        let script = String::from_utf8(script).unwrap();
        assert!(script.starts_with("#!/bin/sh\n"), "{script}");
        for expected in [
            format!("server='{PUBLIC_URL}'"),
            format!("token='{token}'"),
            format!("enrollment_key='{key}'"),
            "agent_file='gururmm-agent-0.2.0-linux-x86_64'".into(),
            format!(
                "agent_sha256='{}'",
                gururmm_update::sha256_hex(b"agent 0.2.0")
            ),
            "watchdog_file='gururmm-watchdog-0.2.0-linux-x86_64'".into(),
            format!(
                "watchdog_sha256='{}'",
                gururmm_update::sha256_hex(b"watchdog")
            ),
            "fail 'this server has no stable gururmm-agent release for linux aarch64 machines'"
                .into(),
            "./gururmm-agent \"$@\"".into(),
            "--enroll-key-file \"$work/enrollment-key\"".into(),
        ] {
            assert!(script.contains(&expected), "{expected}\n{script}");
        }
        // A beta is not what new machines get; an https server needs no flag.
        assert!(!script.contains("0.3.0-beta.1"), "{script}");
        assert!(
            !script.contains("set -- \"$@\" --allow-insecure-http"),
            "{script}"
        );
        shellcheck(&script);

        // The binaries through the same token; not the MSI, nor other files.
        for (file, content) in [
            (
                "gururmm-agent-0.2.0-linux-x86_64",
                b"agent 0.2.0".as_slice(),
            ),
            (
                "gururmm-watchdog-0.2.0-linux-x86_64",
                b"watchdog".as_slice(),
            ),
        ] {
            let (status, headers, body) = fetch(
                &server,
                &format!("{PUBLIC_URL}/api/v1/installers/{token}/{file}"),
            )
            .await;
            assert_eq!(
                (status, body.as_slice()),
                (StatusCode::OK, content),
                "{file}"
            );
            assert_eq!(headers["content-type"], "application/octet-stream");
        }
        for file in [
            "gururmm-agent-0.2.0-linux-x86_64.json",
            "keys.json",
            RELEASE_FILE,
            "..%2F..%2Fetc%2Fpasswd",
        ] {
            let (status, _, _) = fetch(
                &server,
                &format!("{PUBLIC_URL}/api/v1/installers/{token}/{file}"),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{file}");
        }
        // A script link is not an MSI link, and an MSI link gives no script.
        let (status, _, _) =
            fetch(&server, &format!("{PUBLIC_URL}/api/v1/installers/{token}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, msi_link) = make_link(&server, &admin, &site, &key).await;
        let msi_token = msi_link["url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let (status, _, body) = fetch(
            &server,
            &format!("{PUBLIC_URL}/install.sh?token={msi_token}"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!String::from_utf8_lossy(&body).contains("#!/bin/sh"));
        let (status, _, _) = fetch(
            &server,
            &format!("{PUBLIC_URL}/api/v1/installers/{msi_token}/gururmm-agent-0.2.0-linux-x86_64"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Each script download is in the audit log with what it offered, never the key.
        let (_, downloads) = server
            .get("/api/v1/audit?action=installer_downloaded", &admin)
            .await;
        assert_eq!(downloads["total"], 1, "{downloads}");
        let event = &downloads["items"][0];
        assert_eq!(event["target"], json!(format!("sites/{site}")), "{event}");
        assert_eq!(event["details"]["kind"], "linux_script", "{event}");
        assert_eq!(
            event["details"]["offered"],
            json!({"x86_64": {"agent": "0.2.0", "watchdog": "0.2.0"}}),
            "{event}"
        );
        assert!(!event.to_string().contains(&key), "{event}");
        assert!(!event.to_string().contains(&token), "{event}");
    })
    .await;
}

#[tokio::test]
async fn a_script_link_expires_stays_in_its_organization_and_needs_a_release() {
    let releases = linux_releases();
    let dir = releases.path().to_path_buf();
    each_backend_with(Some(releases.path()), |server| {
        let dir = dir.clone();
        async move {
            let admin = server.admin_token().await;
            let (_, site, _) = server.client_site_key(&admin).await;
            let key = new_key(&server, &admin, &site).await;
            let (_, link) = make_script_link(&server, &admin, &site, &key).await;
            let url = link["url"].as_str().unwrap().to_string();
            let token = url.rsplit('=').next().unwrap().to_string();

            // Refusals are plain text, never a script.
            let refused = |status: StatusCode, body: &[u8], why: &str| {
                let text = String::from_utf8_lossy(body);
                assert!(status.is_client_error(), "{why}: {status}");
                assert!(text.starts_with("gururmm install: "), "{why}: {text}");
                assert!(!text.contains("#!/bin/sh"), "{why}: {text}");
                text.to_string()
            };
            let (status, headers, body) = fetch(&server, &format!("{PUBLIC_URL}/install.sh")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
            assert!(refused(status, &body, "no token").contains("token"));
            let (status, _, body) = fetch(
                &server,
                &format!("{PUBLIC_URL}/install.sh?token=gri_{}", "0".repeat(64)),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            let unknown = refused(status, &body, "unknown");
            let (status, _, body) = fetch(
                &server,
                &format!("{PUBLIC_URL}/install.sh?token={}", "x".repeat(500)),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            refused(status, &body, "long");

            // Expired: the same answer as an unknown token, binaries included.
            assert_eq!(fetch(&server, &url).await.0, StatusCode::OK);
            server
                .database()
                .execute_raw("UPDATE installer_links SET expires_at = 0")
                .await;
            let (status, _, body) = fetch(&server, &url).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(refused(status, &body, "expired"), unknown);
            assert!(unknown.contains("expired"), "{unknown}");
            let (status, _, _) = fetch(
                &server,
                &format!("{PUBLIC_URL}/api/v1/installers/{token}/gururmm-agent-0.2.0-linux-x86_64"),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND);

            // Read-only users may not make one; another organization's site is not found.
            let org = server.admin_organization().await;
            let reader = server
                .user_token(org, "reader@msp-one.test", Role::ReadOnly)
                .await;
            let (status, answer) = make_script_link(&server, &reader, &site, &key).await;
            assert_eq!(
                (status, &answer["error"]["code"]),
                (StatusCode::FORBIDDEN, &json!("permission_denied")),
                "{answer}"
            );
            let stranger = server.stranger_token().await;
            let (status, answer) = make_script_link(&server, &stranger, &site, &key).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
            let (status, answer) = server
                .post(
                    &format!("/api/v1/sites/{site}/installer-links"),
                    &admin,
                    json!({"enrollment_key": key, "kind": "macos_pkg"}),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");

            // Without a stable watchdog there is nothing to install: 409 when
            // the link is made, and plain text from a link made before.
            let (_, link) = make_script_link(&server, &admin, &site, &key).await;
            let url = link["url"].as_str().unwrap().to_string();
            let watchdog = dir.join("gururmm-watchdog-0.2.0-linux-x86_64.json");
            let kept = std::fs::read(&watchdog).unwrap();
            std::fs::remove_file(&watchdog).unwrap();
            let (status, answer) = make_script_link(&server, &admin, &site, &key).await;
            assert_eq!(
                (status, &answer["error"]["code"]),
                (StatusCode::CONFLICT, &json!("installer_unavailable")),
                "{answer}"
            );
            assert!(
                answer["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("gururmm-release sign"),
                "{answer}"
            );
            let (status, _, body) = fetch(&server, &url).await;
            assert_eq!(status, StatusCode::CONFLICT);
            assert!(refused(status, &body, "no release").contains("gururmm-watchdog"));
            std::fs::write(&watchdog, kept).unwrap();
            assert_eq!(fetch(&server, &url).await.0, StatusCode::OK);
        }
    })
    .await;
}

#[tokio::test]
async fn a_plain_http_server_s_script_allows_insecure_http() {
    let releases = linux_releases();
    for database in TestDatabase::all().await {
        let mut config = test_config();
        config.releases_dir = Some(releases.path().to_path_buf());
        let server = TestServer::start_with(database, config).await;
        let admin = server.admin_token().await;
        let (_, site, _) = server.client_site_key(&admin).await;
        let key = new_key(&server, &admin, &site).await;
        let (_, link) = make_script_link(&server, &admin, &site, &key).await;
        let url = link["url"].as_str().unwrap();
        assert!(url.starts_with("http://"), "{url}");
        let path = &url[url.find("/install.sh").unwrap()..];
        let script = server
            .http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            script.contains("set -- \"$@\" --allow-insecure-http\n"),
            "{script}"
        );
        shellcheck(&script);
    }
}
