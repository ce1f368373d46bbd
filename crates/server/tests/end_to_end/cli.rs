//! The `gururmm-server` command line: configuration printing with secrets
//! redacted, and user management against a real database.

use gururmm_server::auth::secrets::verify_password;
use gururmm_server::config::{Config, Secret};
use gururmm_store::Role;
use gururmm_testing::OutputLines;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

fn server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gururmm-server"))
}

#[test]
fn config_commands_print_the_example_and_redact_secrets() {
    let example = server().args(["config", "example"]).output().unwrap();
    assert!(example.status.success());
    let text = String::from_utf8(example.stdout).unwrap();
    assert!(text.contains("# listen = \"127.0.0.1:8080\""));

    let shown = server()
        .args(["config", "show"])
        .env_remove("GURURMM_CONFIG")
        .env_remove("GURURMM_LISTEN")
        .env_remove("GURURMM_PUBLIC_URL")
        .env_remove("GURURMM_WEB_DIR")
        .env("GURURMM_ADMIN_PASSWORD", "super-secret-value")
        .env(
            "GURURMM_DATABASE_URL",
            "postgres://u:db-password@localhost/x",
        )
        .env("GURURMM_LISTEN_TYPO", "1")
        .output()
        .unwrap();
    assert!(shown.status.success());
    let stdout = String::from_utf8(shown.stdout).unwrap();
    assert!(!stdout.contains("super-secret-value") && !stdout.contains("db-password"));
    // TOML with the values in effect, secrets redacted.
    let resolved: toml::Table = stdout.parse().expect("config show prints TOML");
    assert_eq!(resolved["admin_password"].as_str(), Some("<redacted>"));
    assert_eq!(
        resolved["database_url"].as_str(),
        Some("postgres://u:<redacted>@localhost/x")
    );
    assert_eq!(
        resolved["public_url"].as_str(),
        Some("http://127.0.0.1:8080")
    );
    assert_eq!(resolved["web_dir"].as_str(), Some("web/dist"));
    assert_eq!(resolved["listen"].as_str(), Some("127.0.0.1:8080"));
    let stderr = String::from_utf8(shown.stderr).unwrap();
    assert!(
        stderr.contains("unknown environment variable GURURMM_LISTEN_TYPO"),
        "{stderr}"
    );

    let bad = server()
        .args(["config", "show"])
        .env("GURURMM_LISTEN", "not an address")
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[tokio::test]
async fn users_are_added_and_passwords_reset_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: data.path().to_path_buf(),
        admin_email: Some("owner@msp.test".into()),
        admin_password: Some(Secret("owner password 123".into())),
        ..Config::default()
    };
    let store = gururmm_store::connect(&config.database_url())
        .await
        .unwrap();
    gururmm_server::services::bootstrap::bootstrap_admin(store.as_ref(), &config)
        .await
        .unwrap();

    let added = server()
        .args(["--data-dir"])
        .arg(data.path())
        .args([
            "user",
            "add",
            "--email",
            "Reader@MSP.test",
            "--role",
            "readonly",
            "--same-organization-as",
            "owner@msp.test",
        ])
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let stdout = String::from_utf8(added.stdout).unwrap();
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("generated password printed")
        .to_string();
    let reader = store
        .find_user_by_email("reader@msp.test")
        .await
        .unwrap()
        .expect("user created");
    assert_eq!(reader.user.role, Role::ReadOnly);
    assert!(verify_password(&password, &reader.password_hash));
    let owner = store
        .find_user_by_email("owner@msp.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reader.user.organization_id, owner.user.organization_id);

    let mut reset = server()
        .args(["--data-dir"])
        .arg(data.path())
        .args([
            "user",
            "reset-password",
            "--email",
            "owner@msp.test",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    reset
        .stdin
        .take()
        .unwrap()
        .write_all(b"a brand new password\n")
        .unwrap();
    let output = reset.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let owner = store
        .find_user_by_email("owner@msp.test")
        .await
        .unwrap()
        .unwrap();
    assert!(verify_password(
        "a brand new password",
        &owner.password_hash
    ));

    let weak = server()
        .args(["--data-dir"])
        .arg(data.path())
        .args([
            "user",
            "add",
            "--email",
            "x@msp.test",
            "--role",
            "boss",
            "--same-organization-as",
            "owner@msp.test",
        ])
        .output()
        .unwrap();
    assert!(!weak.status.success(), "an unknown role is refused");
}

#[tokio::test]
async fn organizations_are_added_with_their_owner_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut command = server();
        command.args(["--data-dir"]).arg(data.path()).args(args);
        command.stdin(std::process::Stdio::piped());
        command.stdout(std::process::Stdio::piped());
        command.stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        if let Some(text) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    };
    let added = run(
        &[
            "org",
            "add",
            "--name",
            "Second MSP",
            "--admin-email",
            "Boss@Second.test",
        ],
        None,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let stdout = String::from_utf8(added.stdout).unwrap();
    assert!(
        stdout.contains("created organization Second MSP"),
        "{stdout}"
    );
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("generated password printed once")
        .to_string();
    let added = run(
        &[
            "org",
            "add",
            "--name",
            "Third MSP",
            "--admin-email",
            "boss@third.test",
            "--password-stdin",
        ],
        Some("third owner password\n"),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(!String::from_utf8(added.stdout)
        .unwrap()
        .contains("password:"));

    // A name or an owner's email taken already is refused, saying which.
    for (args, why) in [
        (
            [
                "org",
                "add",
                "--name",
                "second msp",
                "--admin-email",
                "x@second.test",
            ],
            "exists already",
        ),
        (
            [
                "org",
                "add",
                "--name",
                "Fourth",
                "--admin-email",
                "boss@second.test",
            ],
            "already has an account",
        ),
    ] {
        let refused = run(&args, None);
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(why), "{stderr}");
    }
    // Each creation is in its organization's audit log, whose chain verifies.
    let verified = run(&["audit", "verify"], None);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let verified = String::from_utf8(verified.stdout).unwrap();
    assert!(
        verified.contains("Second MSP: ok, 1 events checked"),
        "{verified}"
    );
    let listed = String::from_utf8(run(&["org", "list"], None).stdout).unwrap();
    let names: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.rsplit('\t').next())
        .collect();
    assert_eq!(names, ["Second MSP", "Third MSP"], "{listed}");

    let config = Config {
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    let store = gururmm_store::connect(&config.database_url())
        .await
        .unwrap();
    let boss = store
        .find_user_by_email("boss@second.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(boss.user.role, Role::Owner);
    assert_eq!(boss.user.organization_name, "Second MSP");
    assert!(verify_password(&password, &boss.password_hash));
    let third = store
        .find_user_by_email("boss@third.test")
        .await
        .unwrap()
        .unwrap();
    assert!(verify_password(
        "third owner password",
        &third.password_hash
    ));
    assert_ne!(third.user.organization_id, boss.user.organization_id);

    // Suspending and resuming, by name, each in the organization's log.
    let suspended = run(
        &[
            "org",
            "suspend",
            "--name",
            "second msp",
            "--reason",
            "unpaid",
        ],
        None,
    );
    assert!(
        suspended.status.success(),
        "{}",
        String::from_utf8_lossy(&suspended.stderr)
    );
    let listed = String::from_utf8(run(&["org", "list"], None).stdout).unwrap();
    assert!(
        listed.contains("Second MSP\t(suspended)") && !listed.contains("Third MSP\t(suspended)"),
        "{listed}"
    );
    let boss = store
        .find_user_by_email("boss@second.test")
        .await
        .unwrap()
        .unwrap();
    assert!(boss.user.organization_suspended);
    let unknown = run(&["org", "suspend", "--name", "Nobody"], None);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no organization is named"));
    let resumed = run(&["org", "resume", "--name", "Second MSP"], None);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let boss = store
        .find_user_by_email("boss@second.test")
        .await
        .unwrap()
        .unwrap();
    assert!(!boss.user.organization_suspended);
    assert!(
        !boss.user.operator,
        "an organization's owner is not the server's operator"
    );
    let granted = run(&["user", "operator", "--email", "boss@second.test"], None);
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    let boss = store
        .find_user_by_email("boss@second.test")
        .await
        .unwrap()
        .unwrap();
    assert!(boss.user.operator);
    let verified = String::from_utf8(run(&["audit", "verify"], None).stdout).unwrap();
    assert!(
        verified.contains("Second MSP: ok, 4 events checked"),
        "{verified}"
    );
}

#[tokio::test]
async fn a_fresh_database_gets_one_owner_with_a_generated_password() {
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    let store = gururmm_store::connect(&config.database_url())
        .await
        .unwrap();
    gururmm_server::services::bootstrap::bootstrap_admin(store.as_ref(), &config)
        .await
        .unwrap();
    gururmm_server::services::bootstrap::bootstrap_admin(store.as_ref(), &config)
        .await
        .unwrap();
    assert_eq!(
        store.count_users().await.unwrap(),
        1,
        "bootstrap happens once"
    );
    let admin = store
        .find_user_by_email("admin@localhost")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        admin.user.role,
        Role::Owner,
        "the first user owns the organization"
    );
    assert!(admin.user.operator, "and runs the server");
    assert!(!verify_password("", &admin.password_hash));
}

#[test]
fn serve_keeps_its_data_private_and_the_generated_password_out_of_the_log() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let mut child = server()
        .args(["--listen", "127.0.0.1:0", "--web-dir", "/nonexistent"])
        .env("GURURMM_DATA_DIR", &data)
        .env("GURURMM_ADMIN_EMAIL", "owner@example.com")
        .env_remove("GURURMM_ADMIN_PASSWORD")
        // Whatever umask the service manager leaves, the server's files are its own.
        .env("GURURMM_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log goes to standard error; read it on a thread so a silent server fails the test in time.
    let mut lines = OutputLines::read(child.stderr.take().unwrap());
    lines.wait_for("listening", Duration::from_secs(60));
    child.kill().unwrap();
    child.wait().unwrap();
    let log = lines.text();
    assert!(
        log.contains("listening"),
        "the server did not start:\n{log}"
    );
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("gururmm.db")), 0o600, "database");
    let password_file = data.join(gururmm_server::data_dir::INITIAL_PASSWORD_FILE);
    assert_eq!(mode(&password_file), 0o600);
    let text = std::fs::read_to_string(&password_file).unwrap();
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("the password is in the file");
    assert!(password.len() >= 16);
    assert!(
        !log.contains(password),
        "the password is not logged:\n{log}"
    );
    assert!(
        log.contains(gururmm_server::data_dir::INITIAL_PASSWORD_FILE),
        "the log says where it is"
    );
}

#[test]
fn the_vault_master_key_is_rotated_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let rotate = || {
        server()
            .args(["--data-dir"])
            .arg(data.path())
            .args(["vault", "rotate-key"])
            .output()
            .unwrap()
    };
    let first = rotate();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("0 organization data key(s) re-wrapped")
    );
    let ring = data.path().join(gururmm_server::vault_keys::KEY_RING_FILE);
    let before = std::fs::read_to_string(&ring).unwrap();
    assert_eq!(before.lines().count(), 1, "one master key after a rotation");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&ring).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(rotate().status.success());
    assert_ne!(
        std::fs::read_to_string(&ring).unwrap(),
        before,
        "a new key each time"
    );
}
