use super::*;

/// `packaging/gururmm-agent.service` is what the generator writes for the
/// default layout: the file people install by hand stays the one `install` writes.
#[test]
fn the_packaged_unit_is_the_generated_one() {
    let packaged = include_str!("../../packaging/gururmm-agent.service");
    assert_eq!(systemd::unit(&Layout::linux()), packaged);
}

#[test]
fn the_unit_runs_the_installed_binary_with_its_state_directory() {
    let unit = systemd::unit(&Layout::linux());
    assert!(unit.contains(
        "ExecStart=\"/opt/gururmm/bin/gururmm-agent\" run --state-dir \"/var/lib/gururmm-agent\"\n"
    ));
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
        state_dir: "/var/lib/a\"b".into(),
        service_file: "/etc/systemd/system/gururmm-agent.service".into(),
    };
    assert!(systemd::unit(&odd).contains(
        r#"ExecStart="/opt/My Tools/50%%/gururmm-agent" run --state-dir "/var/lib/a\"b""#
    ));
    let odd = Layout {
        binary: "/usr/local/R&D <x>/gururmm-agent".into(),
        ..Layout::macos()
    };
    assert!(launchd::plist(&odd)
        .contains("<string>/usr/local/R&amp;D &lt;x&gt;/gururmm-agent</string>"));
}

#[test]
fn the_launchd_daemon_is_the_expected_one() {
    let expected = include_str!("../../tests/fixtures/install/com.gururmm.agent.plist");
    assert_eq!(launchd::plist(&Layout::macos()), expected);
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
        moved.service_file,
        Path::new("/tmp/root/etc/systemd/system/gururmm-agent.service")
    );
}
