//! `cargo xtask package [--container]`: the release server with the dashboard as a
//! Debian package, `target/package/gururmm-server_<version>_<arch>.deb`, built with
//! `dpkg-deb --build --root-owner-group` from a staged tree (no packaging tool to
//! install: `dpkg-deb` is on every Debian). With `--container`, the `Dockerfile`'s
//! image is built too where a container engine answers, and skipped (said so) where
//! none does.
//!
//! The package lays the server out as `crates/server/packaging/gururmm-server.service`
//! expects: the paths are the constants below, and a test checks the unit names them.

use crate::{cargo, npm, npm_install, root, run};
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "gururmm-server";
const BINARY: &str = "usr/bin/gururmm-server";
const WEB_DIR: &str = "usr/share/gururmm/web";
const UNIT: &str = "lib/systemd/system/gururmm-server.service";
const CONFIG: &str = "etc/gururmm/gururmm.toml";
const DOC_DIR: &str = "usr/share/doc/gururmm-server";
/// Created by `postinst` (and by the unit's `StateDirectory=`), never shipped.
const DATA_DIR: &str = "/var/lib/gururmm";
/// The server's own packaging files, in the repository.
const PACKAGING: &str = "crates/server/packaging";

pub(crate) fn package(args: &[String]) -> Result<()> {
    let container = match args {
        [] => false,
        [flag] if flag == "--container" => true,
        [what] if what == "agent" => return crate::agent_package::package(),
        _ => bail!("usage: cargo xtask package [--container | agent]"),
    };
    let root = root();
    if Command::new("dpkg-deb").arg("--version").output().is_err() {
        bail!("dpkg-deb is needed to build the package (apt-get install -y dpkg)");
    }
    npm_install()?;
    run(npm(&["run", "build"]))?;
    run(cargo().args(["build", "--release", "--locked", "-p", PACKAGE]))?;
    let binary = root.join("target/release").join(PACKAGE);
    let version = debian_version(&binary)?;
    let arch = debian_architecture()?;

    let out = root.join("target/package");
    let stage = out.join(format!("{PACKAGE}_{version}_{arch}"));
    if stage.exists() {
        std::fs::remove_dir_all(&stage).with_context(|| format!("clearing {}", stage.display()))?;
    }
    let example = command_output(Command::new(&binary).args(["config", "example"]))?;
    let binary_bytes = std::fs::read(&binary)?;
    stage_tree(&Staging {
        stage: &stage,
        binary: &binary,
        web_dist: &root.join("web/dist"),
        packaging: &root.join(PACKAGING),
        docs: &[root.join("README.md"), root.join("docs/operations.md")],
        config: &packaged_config(&example)?,
    })?;
    let installed_kib = installed_size_kib(&stage)?;
    let control = control_file(&version, &arch, installed_kib, &depends(&binary_bytes));
    std::fs::write(stage.join("DEBIAN/control"), control)?;

    let deb = out.join(format!("{PACKAGE}_{version}_{arch}.deb"));
    run(Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group", "-Zxz"])
        .arg(&stage)
        .arg(&deb))?;
    println!("\n  {}", deb.display());
    println!(
        "  inspect: dpkg-deb -I {0} && dpkg-deb -c {0}",
        deb.display()
    );
    println!("  install: sudo apt install {}", deb.display());

    if container {
        build_container(&root, &version)?;
    }
    Ok(())
}

/// What goes into the package's tree, besides its control file.
struct Staging<'a> {
    stage: &'a Path,
    binary: &'a Path,
    web_dist: &'a Path,
    packaging: &'a Path,
    docs: &'a [PathBuf],
    config: &'a str,
}

/// Lays out the package's files with their modes (dpkg-deb's `--root-owner-group`
/// makes every file root's; `postinst` gives the configuration to the server's group).
fn stage_tree(staging: &Staging<'_>) -> Result<()> {
    let stage = staging.stage;
    if !staging.web_dist.join("index.html").is_file() {
        bail!(
            "{} has no index.html: the dashboard is not built",
            staging.web_dist.display()
        );
    }
    let debian = stage_maintainer_scripts(stage, staging.packaging)?;
    // Listed as a conffile: dpkg keeps the administrator's edits across upgrades.
    std::fs::write(debian.join("conffiles"), format!("/{CONFIG}\n"))?;
    set_mode(&debian.join("conffiles"), 0o644)?;

    copy_file(staging.binary, &stage.join(BINARY), 0o755)?;
    copy_tree(staging.web_dist, &stage.join(WEB_DIR))?;
    copy_file(
        &staging.packaging.join("gururmm-server.service"),
        &stage.join(UNIT),
        0o644,
    )?;
    let config = stage.join(CONFIG);
    make_dir(config.parent().expect("a directory"))?;
    std::fs::write(&config, staging.config)?;
    set_mode(&config, 0o640)?;
    let doc = stage.join(DOC_DIR);
    make_dir(&doc)?;
    for file in staging.docs {
        let name = file.file_name().context("a document's name")?;
        copy_file(file, &doc.join(name), 0o644)?;
    }
    finish_tree(stage, &doc, COPYRIGHT)
}

/// `DEBIAN/` with the maintainer scripts from `<packaging>/debian/`.
pub(crate) fn stage_maintainer_scripts(stage: &Path, packaging: &Path) -> Result<PathBuf> {
    let debian = stage.join("DEBIAN");
    make_dir(&debian)?;
    for script in ["postinst", "prerm", "postrm"] {
        copy_file(
            &packaging.join("debian").join(script),
            &debian.join(script),
            0o755,
        )?;
    }
    Ok(debian)
}

/// Writes the copyright file into `doc` and opens every directory of the tree.
pub(crate) fn finish_tree(stage: &Path, doc: &Path, copyright: &str) -> Result<()> {
    std::fs::write(doc.join("copyright"), copyright)?;
    set_mode(&doc.join("copyright"), 0o644)?;
    // Whatever the umask: dpkg-deb refuses a private DEBIAN, and a private
    // directory would hide the files below it from the service's account.
    set_mode(stage, 0o755)?;
    for path in walk(stage)? {
        if path.is_dir() {
            set_mode(&path, 0o755)?;
        }
    }
    Ok(())
}

const COPYRIGHT: &str = "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: GuruRMM

Files: *
Copyright: GuruRMM contributors
License: AGPL-3.0-only
 The server and the dashboard are licensed under the GNU Affero General Public
 License, version 3 only. The dashboard in /usr/share/gururmm/web bundles npm
 packages under their own licenses (MIT, Apache-2.0 for Swagger UI, and others).
";

/// The example configuration with the two paths the package decides set, and every
/// other key left commented at its default. Fails when the example no longer has the
/// lines it replaces, so the package never ships a configuration that misses them.
fn packaged_config(example: &str) -> Result<String> {
    let mut config = String::from(
        "# Installed by the gururmm-server package (a conffile: your edits are kept\n\
         # across upgrades). Restart the service after a change:\n\
         #   systemctl restart gururmm-server\n\
         # GURURMM_* variables in /etc/gururmm/gururmm-server.env override this file.\n\n",
    );
    let mut replaced = (false, false);
    for line in example.lines() {
        if line.starts_with("# data_dir = ") {
            let _ = writeln!(config, "data_dir = \"{DATA_DIR}\"");
            replaced.0 = true;
        } else if line.starts_with("# web_dir = ") {
            let _ = writeln!(config, "web_dir = \"/{WEB_DIR}\"");
            replaced.1 = true;
        } else {
            let _ = writeln!(config, "{line}");
        }
    }
    if replaced != (true, true) {
        bail!("the example configuration has no `# data_dir = ` or `# web_dir = ` line to set");
    }
    Ok(config)
}

/// The server's version as Debian orders it (`1.2.0-rc.1` sorts before `1.2.0` as `1.2.0~rc.1`).
pub(crate) fn debian_version(binary: &Path) -> Result<String> {
    let output = command_output(Command::new(binary).arg("--version"))?;
    let version = output
        .split_whitespace()
        .nth(1)
        .with_context(|| format!("unexpected --version output: {output}"))?;
    Ok(version.replace('-', "~"))
}

pub(crate) fn debian_architecture() -> Result<String> {
    Ok(
        command_output(Command::new("dpkg").arg("--print-architecture"))?
            .trim()
            .to_string(),
    )
}

/// The server's dependencies: the libraries its binary needs, and the tools
/// `postinst` uses to make its account.
fn depends(binary: &[u8]) -> String {
    // postinst creates the account with useradd and groupadd.
    format!("{}, passwd", library_depends(binary))
}

/// The shared libraries a binary needs, from the symbol versions it carries: the
/// newest `GLIBC_2.x` it references is the oldest C library it runs on.
pub(crate) fn library_depends(binary: &[u8]) -> String {
    let mut newest: Option<(u32, u32)> = None;
    let marker = b"GLIBC_2.";
    let mut rest = binary;
    while let Some(at) = find(rest, marker) {
        rest = &rest[at + marker.len()..];
        let digits: Vec<u8> = rest
            .iter()
            .copied()
            .take_while(u8::is_ascii_digit)
            .collect();
        if let Ok(minor) = String::from_utf8_lossy(&digits).parse::<u32>() {
            newest = newest.max(Some((2, minor)));
        }
    }
    let mut depends = match newest {
        Some((major, minor)) => format!("libc6 (>= {major}.{minor})"),
        None => "libc6".to_string(),
    };
    if find(binary, b"libgcc_s.so.1").is_some() {
        depends.push_str(", libgcc-s1");
    }
    // WebAuthn (webauthn-rs) verifies signatures with OpenSSL.
    if find(binary, b"libssl.so.3").is_some() {
        depends.push_str(", libssl3");
    }
    depends
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

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
         Suggests: postgresql\n\
         Section: admin\n\
         Priority: optional\n\
         Description: GuruRMM server: remote monitoring and management for MSPs\n \
         One binary with the REST API, the agent WebSocket gateway, the web dashboard\n \
         and background jobs. SQLite by default (in /var/lib/gururmm), PostgreSQL with\n \
         a postgres:// database_url. Runs as the gururmm-server systemd service.\n"
    )
}

/// Installed-Size: the files' sizes, each rounded up to a KiB.
pub(crate) fn installed_size_kib(stage: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in walk(stage)? {
        if entry.starts_with(stage.join("DEBIAN")) {
            continue;
        }
        // A symbolic link's own entry: its target may be outside the tree.
        let metadata = entry.symlink_metadata()?;
        if metadata.is_file() {
            total += metadata.len().div_ceil(1024);
        }
    }
    Ok(total)
}

/// Every file and directory below `dir`, in a stable order.
pub(crate) fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for path in entries {
        found.push(path.clone());
        if path.is_dir() {
            found.extend(walk(&path)?);
        }
    }
    Ok(found)
}

pub(crate) fn make_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

pub(crate) fn copy_file(from: &Path, to: &Path, mode: u32) -> Result<()> {
    make_dir(to.parent().expect("a directory"))?;
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    set_mode(to, mode)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    make_dir(to)?;
    for path in walk(from)? {
        let target = to.join(path.strip_prefix(from)?);
        if path.is_dir() {
            make_dir(&target)?;
        } else {
            copy_file(&path, &target, 0o644)?;
        }
    }
    Ok(())
}

pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

pub(crate) fn command_output(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .with_context(|| format!("starting {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Builds the image where a container engine answers; says why it did not otherwise.
fn build_container(root: &Path, version: &str) -> Result<()> {
    let mut reasons = Vec::new();
    for engine in ["docker", "podman"] {
        match Command::new(engine).arg("info").output() {
            Err(_) => reasons.push(format!("{engine} is not on PATH")),
            Ok(output) if !output.status.success() => reasons.push(format!(
                "{engine} is on PATH but its engine does not answer (`{engine} info` failed)"
            )),
            Ok(_) => {
                return run(Command::new(engine)
                    .args(["build", "--tag"])
                    .arg(format!("gururmm-server:{}", version.replace('~', "-")))
                    .args(["--tag", "gururmm-server:latest", "."])
                    .current_dir(root));
            }
        }
    }
    println!(
        "\n  container image: skipped, no container engine here ({})",
        reasons.join("; ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository_file(path: &str) -> String {
        std::fs::read_to_string(root().join(path)).expect(path)
    }

    #[test]
    fn the_unit_runs_the_packaged_binary_with_the_packaged_configuration() {
        let unit = repository_file(&format!("{PACKAGING}/gururmm-server.service"));
        let exec = unit
            .lines()
            .find_map(|line| line.strip_prefix("ExecStart="))
            .expect("an ExecStart line");
        assert_eq!(exec, format!("/{BINARY} --config /{CONFIG} serve"));
        assert!(unit.contains(&format!(
            "StateDirectory={}",
            &DATA_DIR["/var/lib/".len()..]
        )));
        assert!(unit.contains("User=gururmm"));
    }

    #[test]
    fn the_packaged_configuration_sets_the_packaged_paths_and_nothing_else() {
        let example = repository_file("crates/server/gururmm.example.toml");
        let config = packaged_config(&example).unwrap();
        let set: Vec<&str> = config
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .collect();
        assert_eq!(
            set,
            [
                "data_dir = \"/var/lib/gururmm\"",
                "web_dir = \"/usr/share/gururmm/web\""
            ]
        );
        assert!(packaged_config("# listen = \"x\"\n").is_err());
    }

    #[test]
    fn depends_names_the_newest_glibc_the_binary_references() {
        let binary = b"\0GLIBC_2.2.5\0GLIBC_2.34\0GLIBC_2.17\0libgcc_s.so.1\0";
        assert_eq!(depends(binary), "libc6 (>= 2.34), libgcc-s1, passwd");
        let with_openssl = b"\0GLIBC_2.34\0libssl.so.3\0";
        assert_eq!(depends(with_openssl), "libc6 (>= 2.34), libssl3, passwd");
        assert_eq!(depends(b"static"), "libc6, passwd");
    }

    #[test]
    fn the_staged_tree_has_every_file_where_the_unit_expects_it() {
        let work =
            std::env::temp_dir().join(format!("gururmm-package-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        let dist = work.join("dist");
        std::fs::create_dir_all(dist.join("docs")).unwrap();
        std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dist.join("docs/index.html"), "<!doctype html>").unwrap();
        let binary = work.join("gururmm-server");
        std::fs::write(&binary, "#!/bin/sh\n").unwrap();
        let stage = work.join("package/stage");
        let root = root();
        stage_tree(&Staging {
            stage: &stage,
            binary: &binary,
            web_dist: &dist,
            packaging: &root.join(PACKAGING),
            docs: &[root.join("README.md")],
            config: "data_dir = \"/var/lib/gururmm\"\n",
        })
        .unwrap();
        let mode = |path: &str| stage.join(path).metadata().unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(BINARY), 0o755);
        assert_eq!(mode(UNIT), 0o644);
        assert_eq!(mode(CONFIG), 0o640);
        assert_eq!(mode(&format!("{WEB_DIR}/docs/index.html")), 0o644);
        assert_eq!(mode("DEBIAN/postinst"), 0o755);
        assert_eq!(mode(&format!("{DOC_DIR}/copyright")), 0o644);
        assert_eq!(
            std::fs::read_to_string(stage.join("DEBIAN/conffiles")).unwrap(),
            format!("/{CONFIG}\n")
        );
        std::fs::remove_dir_all(&work).unwrap();
    }
}
