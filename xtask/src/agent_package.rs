//! `cargo xtask package agent`: the agent and its watchdog as a Debian package,
//! `target/package/gururmm-agent_<version>_<arch>.deb`, built with `dpkg-deb` like
//! the server's.
//!
//! The package holds the release binaries in `/opt/gururmm/bin` (the agent
//! linked from `/usr/bin`, so `sudo gururmm-agent …` finds it) and the systemd unit
//! the agent's `install` writes (`crates/agent/packaging/gururmm-agent.service`,
//! which a test keeps equal to the generator's output). Its maintainer scripts never
//! enroll, since that needs a site's enrollment key: a new machine is enrolled
//! afterwards with `gururmm-agent install --server URL --enroll-key-file FILE`, an
//! enrolled one (an upgrade) is restarted on the new binaries.

use crate::package::{
    command_output, copy_file, debian_architecture, debian_version, finish_tree,
    installed_size_kib, library_depends, make_dir, stage_maintainer_scripts,
};
use crate::root;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

const PACKAGE: &str = "gururmm-agent";
const AGENT: &str = "opt/gururmm/bin/gururmm-agent";
const WATCHDOG: &str = "opt/gururmm/bin/gururmm-watchdog";
const UNIT: &str = "lib/systemd/system/gururmm-agent.service";
/// The agent on every `PATH` (sudo's `secure_path` included), so the
/// dashboard's `sudo gururmm-agent install …` finds it: a link to `AGENT`.
const AGENT_ON_PATH: &str = "usr/bin/gururmm-agent";
const DOC_DIR: &str = "usr/share/doc/gururmm-agent";
/// The agent's packaging files, in the repository.
const PACKAGING: &str = "crates/agent/packaging";

pub(crate) fn package() -> Result<()> {
    let root = root();
    if Command::new("dpkg-deb").arg("--version").output().is_err() {
        anyhow::bail!("dpkg-deb is needed to build the package (apt-get install -y dpkg)");
    }
    let release = crate::build_shipped_agent(None)?;
    let deb = build(
        &release.join("gururmm-agent"),
        &release.join("gururmm-watchdog"),
        &root.join("target/package"),
        &debian_architecture()?,
    )?;
    println!("\n  {}", deb.display());
    println!(
        "  inspect: dpkg-deb -I {0} && dpkg-deb -c {0}",
        deb.display()
    );
    println!("  install: sudo apt install {}", deb.display());
    println!("  enroll:  sudo /{AGENT} install --server URL --enroll-key-file FILE");
    Ok(())
}

/// Stages the tree and builds the package into `out`; the version is the agent's.
fn build(agent: &Path, watchdog: &Path, out: &Path, arch: &str) -> Result<std::path::PathBuf> {
    let version = debian_version(agent)?;
    let stage = out.join(format!("{PACKAGE}_{version}_{arch}"));
    if stage.exists() {
        std::fs::remove_dir_all(&stage).with_context(|| format!("clearing {}", stage.display()))?;
    }
    stage_tree(&stage, agent, watchdog, &root().join(PACKAGING))?;
    let control = control_file(
        &version,
        arch,
        installed_size_kib(&stage)?,
        &library_depends(&std::fs::read(agent)?),
    );
    std::fs::write(stage.join("DEBIAN/control"), control)?;
    let deb = out.join(format!("{PACKAGE}_{version}_{arch}.deb"));
    command_output(
        Command::new("dpkg-deb")
            .args(["--build", "--root-owner-group", "-Zxz"])
            .arg(&stage)
            .arg(&deb),
    )?;
    Ok(deb)
}

fn stage_tree(stage: &Path, agent: &Path, watchdog: &Path, packaging: &Path) -> Result<()> {
    stage_maintainer_scripts(stage, packaging)?;
    copy_file(agent, &stage.join(AGENT), 0o755)?;
    copy_file(watchdog, &stage.join(WATCHDOG), 0o755)?;
    let link = stage.join(AGENT_ON_PATH);
    make_dir(link.parent().context("the link's directory")?)?;
    std::os::unix::fs::symlink(format!("/{AGENT}"), &link)
        .with_context(|| format!("linking {}", link.display()))?;
    copy_file(
        &packaging.join("gururmm-agent.service"),
        &stage.join(UNIT),
        0o644,
    )?;
    let doc = stage.join(DOC_DIR);
    make_dir(&doc)?;
    finish_tree(stage, &doc, COPYRIGHT)
}

const COPYRIGHT: &str = "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: GuruRMM

Files: *
Copyright: GuruRMM contributors
License: AGPL-3.0-only
";

fn control_file(version: &str, arch: &str, installed_kib: u64, depends: &str) -> String {
    let maintainer = std::env::var("GURURMM_PACKAGE_MAINTAINER")
        .unwrap_or_else(|_| "GuruRMM developers <gururmm@localhost>".to_string());
    format!(
        "Package: {PACKAGE}\n\
         Version: {version}\n\
         Architecture: {arch}\n\
         Maintainer: {maintainer}\n\
         Installed-Size: {installed_kib}\n\
         Depends: {depends}\n\
         Section: admin\n\
         Priority: optional\n\
         Description: GuruRMM agent: remote monitoring and management endpoint\n \
         The agent and its watchdog in /opt/gururmm/bin and the gururmm-agent systemd\n \
         service. Enroll it into a site with\n \
         gururmm-agent install --server URL --enroll-key-file FILE.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::set_mode;

    /// Builds the package around two stand-in programs and reads it back with
    /// dpkg-deb, as someone inspecting it before installing would.
    #[test]
    fn the_package_holds_both_binaries_the_unit_and_scripts_that_never_enroll() {
        let work =
            std::env::temp_dir().join(format!("gururmm-agent-package-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let agent = work.join("gururmm-agent");
        std::fs::write(&agent, "#!/bin/sh\necho 'gururmm-agent 0.4.0-rc.1'\n").unwrap();
        set_mode(&agent, 0o755).unwrap();
        let watchdog = work.join("gururmm-watchdog");
        std::fs::write(&watchdog, "#!/bin/sh\n").unwrap();
        let deb = build(&agent, &watchdog, &work.join("out"), "amd64").unwrap();
        assert_eq!(
            deb.file_name().unwrap(),
            "gururmm-agent_0.4.0~rc.1_amd64.deb"
        );

        let contents = command_output(Command::new("dpkg-deb").arg("-c").arg(&deb)).unwrap();
        let entry = |path: &str| {
            contents
                .lines()
                .find(|line| line.ends_with(&format!(" ./{path}")))
                .unwrap_or_else(|| panic!("{path} in\n{contents}"))
                .to_string()
        };
        for path in [AGENT, WATCHDOG] {
            assert!(
                entry(path).starts_with("-rwxr-xr-x root/root"),
                "{}",
                entry(path)
            );
        }
        assert!(
            entry(UNIT).starts_with("-rw-r--r-- root/root"),
            "{}",
            entry(UNIT)
        );
        let link = contents
            .lines()
            .find(|line| line.contains(&format!(" ./{AGENT_ON_PATH} -> ")))
            .unwrap_or_else(|| panic!("{AGENT_ON_PATH} in\n{contents}"));
        assert!(
            link.starts_with("lrwxrwxrwx root/root") && link.ends_with(&format!(" -> /{AGENT}")),
            "{link}"
        );
        entry(&format!("{DOC_DIR}/copyright"));

        let info = command_output(Command::new("dpkg-deb").arg("-I").arg(&deb)).unwrap();
        for expected in [
            "Package: gururmm-agent",
            "Version: 0.4.0~rc.1",
            "Architecture: amd64",
            "Depends: libc6",
            " postinst",
            " prerm",
            " postrm",
        ] {
            assert!(info.contains(expected), "{expected} in\n{info}");
        }
        // The unit is the agent's own file, byte for byte.
        let extracted = work.join("extracted");
        command_output(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&extracted)).unwrap();
        assert_eq!(
            std::fs::read(extracted.join(UNIT)).unwrap(),
            std::fs::read(root().join(PACKAGING).join("gururmm-agent.service")).unwrap()
        );
        // The maintainer scripts never enroll (no key, no server), and say how to.
        let control = work.join("control");
        command_output(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&control)).unwrap();
        let postinst = std::fs::read_to_string(control.join("postinst")).unwrap();
        assert!(
            postinst.contains("gururmm-agent install --server"),
            "{postinst}"
        );
        for script in ["postinst", "prerm", "postrm"] {
            let text = std::fs::read_to_string(control.join(script)).unwrap();
            assert!(
                !text.contains("GURURMM_ENROLL_KEY") && !text.contains(" run "),
                "{script}: {text}"
            );
        }
        std::fs::remove_dir_all(&work).unwrap();
    }
}
