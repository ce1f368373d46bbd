use super::scm;
use super::*;
use crate::state;

/// `packaging/gururmm-agent.service` is what the generator writes for the
/// default layout: the file people install by hand stays the one `install` writes.
#[test]
fn the_packaged_unit_is_the_generated_one() {
    let packaged = include_str!("../../packaging/gururmm-agent.service");
    assert_eq!(
        systemd::unit(&Layout::linux(), &RunSettings::default()),
        packaged
    );
}

#[test]
fn the_unit_runs_the_watchdog_which_runs_the_installed_agent() {
    let unit = systemd::unit(&Layout::linux(), &RunSettings::default());
    assert!(unit.contains(
        "ExecStart=\"/opt/gururmm/bin/gururmm-watchdog\" --state-dir \"/var/lib/gururmm-agent\" \
         -- \"/opt/gururmm/bin/gururmm-agent\" run --state-dir \"/var/lib/gururmm-agent\"\n"
    ));
    // No environment file: the enrollment key is never kept after enrolling.
    assert!(!unit.contains("EnvironmentFile"));
    for line in [
        "Restart=always",
        "StateDirectoryMode=0700",
        "RuntimeDirectory=gururmm-agent",
        "UMask=0077",
        "WantedBy=multi-user.target",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} missing");
    }
    // What would stop remote commands from working is not there.
    for directive in [
        "ProtectSystem=",
        "ProtectHome=",
        "NoNewPrivileges=",
        "MemoryMax=",
    ] {
        assert!(
            !unit.lines().any(|l| l.starts_with(directive)),
            "{directive}"
        );
    }
}

#[test]
fn paths_are_quoted_for_systemd_and_escaped_for_launchd() {
    let odd = Layout {
        binary: "/opt/My Tools/50%/gururmm-agent".into(),
        watchdog: "/opt/My Tools/50%/gururmm-watchdog".into(),
        state_dir: "/var/lib/a\"b".into(),
        service_file: Some("/etc/systemd/system/gururmm-agent.service".into()),
        package_root: None,
    };
    assert!(systemd::unit(&odd, &RunSettings::default()).contains(
        r#"ExecStart="/opt/My Tools/50%%/gururmm-watchdog" --state-dir "/var/lib/a\"b" -- "/opt/My Tools/50%%/gururmm-agent" run --state-dir "/var/lib/a\"b""#
    ));
    let odd = Layout {
        binary: "/usr/local/R&D <x>/gururmm-agent".into(),
        ..Layout::macos()
    };
    assert!(launchd::plist(&odd, &RunSettings::default())
        .contains("<string>/usr/local/R&amp;D &lt;x&gt;/gururmm-agent</string>"));
}

#[test]
fn the_launchd_daemon_is_the_expected_one() {
    let expected = include_str!("../../tests/fixtures/install/com.gururmm.agent.plist");
    assert_eq!(
        launchd::plist(&Layout::macos(), &RunSettings::default()),
        expected
    );
}

#[test]
fn layouts_move_under_a_scratch_root() {
    let moved = Layout::linux().under(Path::new("/tmp/root"));
    assert_eq!(
        moved.binary,
        Path::new("/tmp/root/opt/gururmm/bin/gururmm-agent")
    );
    assert_eq!(
        moved.state_dir,
        Path::new("/tmp/root/var/lib/gururmm-agent")
    );
    assert_eq!(
        moved.service_file.as_deref(),
        Some(Path::new(
            "/tmp/root/etc/systemd/system/gururmm-agent.service"
        ))
    );
    assert_eq!(
        moved.watchdog,
        Path::new("/tmp/root/opt/gururmm/bin/gururmm-watchdog")
    );
    assert_eq!(
        moved.previous_binary(),
        Path::new("/tmp/root/opt/gururmm/bin/gururmm-agent.previous")
    );
}

#[test]
fn the_windows_service_is_the_one_the_msi_installs() {
    let layout = Layout::windows(Path::new(r"C:\Program Files"), Path::new(r"C:\ProgramData"));
    assert_eq!(layout.service_file, None);
    assert_eq!(
        layout.binary,
        Path::new(r"C:\Program Files").join("GuruRMM/gururmm-agent.exe")
    );
    let settings = RunSettings {
        allow_insecure_http: true,
        ca_cert: Some(layout.state_dir.join("server-ca.pem")),
    };
    let state_dir = layout.state_dir.display().to_string();
    let binary = layout.binary.display().to_string();
    let ca_cert = layout.ca_cert().display().to_string();
    assert_eq!(
        scm::service_arguments(&layout, &settings),
        [
            "--service",
            "--state-dir",
            &state_dir,
            "--",
            &binary,
            "service",
            "--state-dir",
            &state_dir,
            "--allow-insecure-http",
            "--ca-cert",
            &ca_cert,
        ]
    );
    // The MSI's arguments are the same (with its own quoting).
    let wxs = include_str!("../../packaging/windows/gururmm-agent.wxs");
    assert!(wxs.contains(
        r#"Arguments="--service --state-dir &quot;[CommonAppDataFolder]GuruRMM&quot; -- &quot;[INSTALLDIR]gururmm-agent.exe&quot; service --state-dir &quot;[CommonAppDataFolder]GuruRMM&quot;""#
    ));
    // A scratch root takes the paths without their drive.
    let moved = layout.under(Path::new("/tmp/root"));
    assert!(moved.binary.starts_with("/tmp/root"), "{moved:?}");
    assert!(
        moved.binary.ends_with("GuruRMM/gururmm-agent.exe"),
        "{moved:?}"
    );
}

/// What `install` was told and the agent needs at each start reaches both
/// service definitions, after the state directory.
#[test]
fn insecure_http_and_a_private_ca_reach_the_service_command() {
    let layout = Layout::linux();
    let settings = RunSettings {
        allow_insecure_http: true,
        ca_cert: Some(layout.ca_cert()),
    };
    assert!(systemd::unit(&layout, &settings).contains(
        " run --state-dir \"/var/lib/gururmm-agent\" --allow-insecure-http \
         --ca-cert \"/var/lib/gururmm-agent/server-ca.pem\"\n"
    ));
    let command = service_command(&layout, &settings);
    assert_eq!(
        command[command.len() - 3..],
        [
            "--allow-insecure-http",
            "--ca-cert",
            "/var/lib/gururmm-agent/server-ca.pem"
        ]
    );
    let plist = launchd::plist(&Layout::macos(), &settings);
    assert!(plist.contains("<string>--allow-insecure-http</string>"));
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_missing_watchdog_is_named_where_it_was_looked_for() {
    let temp = tempfile::tempdir().unwrap();
    let agent = temp.path().join("gururmm-agent");
    std::fs::write(&agent, b"agent").unwrap();
    let error = files::Sources::beside(&agent).unwrap_err().to_string();
    let expected = temp
        .path()
        .join(format!("gururmm-watchdog{}", std::env::consts::EXE_SUFFIX));
    assert!(error.contains(&expected.display().to_string()), "{error}");
    std::fs::write(&expected, b"watchdog").unwrap();
    let sources = files::Sources::beside(&agent).unwrap();
    assert_eq!((sources.agent, sources.watchdog), (agent, expected));
}

#[test]
fn binaries_are_copied_whole_and_executable() {
    let temp = tempfile::tempdir().unwrap();
    let source = temp.path().join("source");
    std::fs::write(&source, b"\x7fELF new").unwrap();
    let target = temp.path().join("root/opt/gururmm/bin/gururmm-agent");
    files::copy_executable(&source, &target).unwrap();
    // Over an existing binary (a reinstall): replaced, no temporary file left.
    std::fs::write(&source, b"\x7fELF newer").unwrap();
    files::copy_executable(&source, &target).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"\x7fELF newer");
    let names: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["gururmm-agent"]);
    #[cfg(unix)]
    assert_eq!(mode(&target), 0o755);
}

#[test]
fn uninstall_removes_what_install_wrote_and_purge_the_state_too() {
    let temp = tempfile::tempdir().unwrap();
    let layout = Layout::linux().under(temp.path());
    for path in [
        &layout.binary,
        &layout.watchdog,
        &layout.previous_binary(),
        layout.service_file.as_ref().unwrap(),
        &state::identity_path(&layout.state_dir),
    ] {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }
    let inspection = files::Inspection::of(&layout);
    assert!(inspection.installed() && inspection.partly_installed());

    let removed = files::remove_all(&files::removals(&layout, false)).unwrap();
    assert_eq!(removed.len(), 4, "{removed:?}");
    files::remove_empty_program_dirs(&layout);
    assert!(!temp.path().join("opt/gururmm").exists());
    assert!(
        temp.path().join("opt").exists(),
        "only the program's own directories"
    );
    assert!(
        state::identity_path(&layout.state_dir).exists(),
        "kept without purge"
    );
    assert!(!files::Inspection::of(&layout).partly_installed());

    // Again: nothing left but the state, which --purge takes.
    assert!(files::remove_all(&files::removals(&layout, false))
        .unwrap()
        .is_empty());
    assert_eq!(
        files::remove_all(&files::removals(&layout, true)).unwrap(),
        std::slice::from_ref(&layout.state_dir)
    );
    assert!(!layout.state_dir.exists());
}

#[test]
fn the_install_device_id_is_stored_only_after_enrolling() {
    let temp = tempfile::tempdir().unwrap();
    let state_dir = temp.path().join("state");
    let given = files::device_id_for_install(&state_dir, Some("given"), || None).unwrap();
    assert_eq!(given, ("given".to_owned(), false));
    let os = files::device_id_for_install(&state_dir, None, || Some("os-id".into())).unwrap();
    assert_eq!(os, ("os-id".to_owned(), false));
    let (generated, store) = files::device_id_for_install(&state_dir, None, || None).unwrap();
    assert!(store && uuid::Uuid::parse_str(&generated).is_ok());
    assert!(!state_dir.exists(), "nothing written before enrollment");
    // One kept from an earlier enrollment wins over a new one.
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::write(state_dir.join(state::DEVICE_ID_FILE), "kept-id").unwrap();
    let kept = files::device_id_for_install(&state_dir, None, || None).unwrap();
    assert_eq!(kept, ("kept-id".to_owned(), false));
}

#[test]
fn a_failed_install_removes_what_it_wrote_newest_first() {
    let temp = tempfile::tempdir().unwrap();
    let state_dir = temp.path().join("state");
    let binary = temp.path().join("bin/gururmm-agent");
    let mut written = files::Written::default();
    written.add(state_dir.clone());
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::write(state_dir.join("agent.json"), "{}").unwrap();
    written.add(binary.clone());
    files::copy_executable(&temp.path().join("missing"), &binary).unwrap_err();
    assert!(written.undo().is_empty());
    assert!(!state_dir.exists());
}

/// dpkg's list of the package's files, as `apt install ./gururmm-agent_….deb` leaves it.
fn install_package(layout: &Layout, root: &Path) {
    let list = root.join("var/lib/dpkg/info/gururmm-agent.list");
    std::fs::create_dir_all(list.parent().unwrap()).unwrap();
    std::fs::write(
        &list,
        "/.\n/opt\n/opt/gururmm\n/opt/gururmm/bin\n/opt/gururmm/bin/gururmm-agent\n\
         /opt/gururmm/bin/gururmm-watchdog\n/lib/systemd/system/gururmm-agent.service\n\
         /usr/bin/gururmm-agent\n",
    )
    .unwrap();
    for path in [&layout.binary, &layout.watchdog] {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"\x7fELF packaged").unwrap();
    }
}

#[test]
fn the_debian_package_s_files_are_its_own_and_uninstall_leaves_them() {
    let temp = tempfile::tempdir().unwrap();
    let layout = Layout::linux().under(temp.path());
    assert!(files::package_files(&layout).is_empty(), "no package yet");
    install_package(&layout, temp.path());
    assert_eq!(
        files::package_files(&layout),
        [layout.binary.clone(), layout.watchdog.clone()],
        "the package's binaries (its unit is in /lib, not the install's /etc)"
    );
    let inspection = files::Inspection::of(&layout);
    assert!(
        !inspection.partly_installed(),
        "the package alone is not an install"
    );
    // What `install` then wrote: the unit and the identity.
    let unit = layout.service_file.clone().unwrap();
    std::fs::create_dir_all(unit.parent().unwrap()).unwrap();
    std::fs::write(&unit, b"[Unit]").unwrap();
    assert!(files::Inspection::of(&layout).partly_installed());

    let mut said = Vec::new();
    commands::uninstall(Some(temp.path()), true, &mut |line: &str| {
        said.push(line.to_owned());
    })
    .unwrap();
    assert!(!unit.exists(), "{said:?}");
    for path in [&layout.binary, &layout.watchdog] {
        assert_eq!(
            std::fs::read(path).unwrap(),
            b"\x7fELF packaged",
            "{said:?}"
        );
    }
    assert!(
        said.iter()
            .any(|line| line.contains("to the gururmm-agent package (`apt remove gururmm-agent`")),
        "{said:?}"
    );
}
