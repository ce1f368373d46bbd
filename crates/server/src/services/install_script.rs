//! The one-line Linux install: `curl -fsSL 'https://SERVER/install.sh?token=…' | sudo sh`.
//!
//! The token is an installer link's (kind `linux_script`), made on the site's
//! page while its new enrollment key is known; it is the only credential. The
//! script the server answers with carries the server's URL, the token, the
//! site's key, and for each architecture the newest stable agent and
//! watchdog with their SHA-256 (from their manifests). On the machine it picks
//! its architecture, downloads both binaries through the token
//! (`/api/v1/installers/{token}/{file}`), refuses any whose hash differs,
//! writes the key to a private file and runs `gururmm-agent install`.
//!
//! The script's hashes come from the server over the same connection as the
//! binaries, so they guard against a broken or tampered download, not
//! against the server itself; updates after that are checked against the
//! root key compiled into the agent (docs/updates.md).

use crate::services::error::{ServiceError, ServiceResult};
use crate::services::installers::{self, open_link};
use crate::services::releases::{Catalog, Channel, Release};
use crate::state::AppState;
use chrono::Utc;
use gururmm_store::InstallerKind;
use gururmm_update::{AGENT_PRODUCT, WATCHDOG_PRODUCT};
use serde_json::json;
use std::net::IpAddr;
use std::sync::Arc;

/// The script's path (a fixed name: install commands in the wild use it).
pub const SCRIPT_PATH: &str = "/install.sh";
/// The architectures the script knows, as `uname -m` names them after it
/// maps `amd64`/`arm64`.
pub const LINUX_ARCHES: [&str; 2] = ["x86_64", "aarch64"];

/// The URL of the script behind a link's token.
pub fn script_url(public_url: &str, token: &str) -> String {
    format!("{public_url}{SCRIPT_PATH}?token={token}")
}

/// The one-line command a technician runs on the machine.
pub fn one_line_command(script_url: &str) -> String {
    format!("curl -fsSL {} | sudo sh", sh_quote(script_url))
}

/// The newest stable agent and watchdog for one architecture.
pub struct ArchRelease<'a> {
    pub agent: &'a Release,
    pub watchdog: &'a Release,
}

/// What the script offers: per architecture its builds, or why there are
/// none.
pub struct Offer<'a> {
    pub arches: Vec<(&'static str, Result<ArchRelease<'a>, String>)>,
}

fn offer(catalog: &Catalog) -> Offer<'_> {
    let now = Utc::now();
    let arches = LINUX_ARCHES
        .into_iter()
        .map(|arch| {
            let newest = |product| catalog.newest(product, "linux", arch, Channel::Stable, now);
            let found = match (newest(AGENT_PRODUCT), newest(WATCHDOG_PRODUCT)) {
                (Some(agent), Some(watchdog)) => Ok(ArchRelease { agent, watchdog }),
                (agent, _) => {
                    let missing = if agent.is_none() {
                        AGENT_PRODUCT
                    } else {
                        WATCHDOG_PRODUCT
                    };
                    Err(format!(
                        "this server has no stable {missing} release for linux {arch} machines"
                    ))
                }
            };
            (arch, found)
        })
        .collect();
    Offer { arches }
}

/// The catalog, if it offers the script a build for at least one
/// architecture; otherwise a 409 that says how to publish one.
pub async fn releases_for_script(state: &AppState) -> ServiceResult<Arc<Catalog>> {
    let catalog = state.releases.catalog().await;
    let usable = offer(&catalog)
        .arches
        .iter()
        .any(|(_, found)| found.is_ok());
    if usable {
        return Ok(catalog);
    }
    let why = if catalog.configured {
        "it has no unexpired stable release of both gururmm-agent and gururmm-watchdog for linux \
         x86_64 or aarch64"
    } else {
        "GURURMM_RELEASES_DIR (releases_dir) is not set"
    };
    Err(ServiceError::Unavailable {
        code: "installer_unavailable",
        message: format!(
            "this server cannot hand out the Linux install script: {why}; sign both builds with \
             `gururmm-release sign` (the watchdog with --product gururmm-watchdog) into \
             GURURMM_RELEASES_DIR (docs/updates.md)"
        ),
    })
}

/// The script behind a link's token, for the machine to run. Recorded in the
/// audit log (with the versions it offers, never the key) before it is
/// handed out.
pub async fn script(state: &AppState, token: &str, ip: Option<IpAddr>) -> ServiceResult<String> {
    let opened = open_link(state, token, InstallerKind::LinuxScript).await?;
    let catalog = releases_for_script(state).await?;
    let offer = offer(&catalog);
    let offered: serde_json::Map<String, serde_json::Value> = offer
        .arches
        .iter()
        .filter_map(|(arch, found)| {
            let found = found.as_ref().ok()?;
            Some((
                (*arch).to_string(),
                json!({"agent": found.agent.manifest.version, "watchdog": found.watchdog.manifest.version}),
            ))
        })
        .collect();
    let server_url = state.config.public_url();
    let text = render(&ScriptInput {
        server_url: &server_url,
        token,
        enrollment_key: &opened.enrollment_key,
        site_name: &opened.site.name,
        expires_at: opened.link.expires_at,
        offer: &offer,
    });
    installers::record_download(state, &opened, ip, json!({ "offered": offered })).await?;
    Ok(text)
}

/// A binary the script downloads: an agent or watchdog build for Linux in
/// the catalog, through a usable link's token (the same 404 as an unknown
/// token otherwise). The file is opened, not read.
pub async fn binary(
    state: &AppState,
    token: &str,
    file: &str,
) -> ServiceResult<(tokio::fs::File, u64)> {
    open_link(state, token, InstallerKind::LinuxScript).await?;
    let catalog = state.releases.catalog().await;
    let is_linux_build = catalog
        .releases
        .iter()
        .any(|release| release.file() == file && release.manifest.platform == "linux");
    if !is_linux_build {
        return Err(ServiceError::NotFound("release file"));
    }
    state
        .releases
        .open(file)
        .await
        .ok_or(ServiceError::NotFound("release file"))
}

/// What a script is made of.
pub struct ScriptInput<'a> {
    pub server_url: &'a str,
    pub token: &'a str,
    pub enrollment_key: &'a str,
    pub site_name: &'a str,
    pub expires_at: chrono::DateTime<Utc>,
    pub offer: &'a Offer<'a>,
}

/// `text` as one shell word in single quotes (a `'` in it closed, escaped
/// and reopened), so nothing in it is expanded.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A site's name as it may appear in a comment: one line of printable text.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect()
}

/// The POSIX sh script (checked with shellcheck in the tests).
pub fn render(input: &ScriptInput<'_>) -> String {
    let mut arches = String::new();
    for (arch, found) in &input.offer.arches {
        arches.push_str(&format!("    {arch})\n"));
        match found {
            Ok(found) => {
                for (name, release) in [("agent", found.agent), ("watchdog", found.watchdog)] {
                    arches.push_str(&format!(
                        "        {name}_file={}\n        {name}_sha256={}\n",
                        sh_quote(release.file()),
                        sh_quote(&release.manifest.sha256)
                    ));
                }
            }
            Err(why) => arches.push_str(&format!("        fail {}\n", sh_quote(why))),
        }
        arches.push_str("        ;;\n");
    }
    let insecure = if input.server_url.starts_with("http://") {
        "# The server's public URL is plain HTTP (a test setup): the agent must be told it may use it.\n\
         set -- \"$@\" --allow-insecure-http\n"
    } else {
        ""
    };
    let site = comment_text(input.site_name);
    let expires = input.expires_at.to_rfc3339();
    let (server, token, key) = (
        sh_quote(input.server_url),
        sh_quote(input.token),
        sh_quote(input.enrollment_key),
    );
    fill(
        SCRIPT,
        &[
            ("SITE", &site),
            ("EXPIRES", &expires),
            ("SERVER", &server),
            ("TOKEN", &token),
            ("KEY", &key),
            ("ARCHES", arches.trim_end_matches('\n')),
            ("INSECURE", insecure),
        ],
    )
}

/// `template` with each `@NAME@` replaced by its value, in one pass (a value
/// that contains `@…@` is never replaced again).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(start) = rest.find('@') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let named = after.find('@').and_then(|end| {
            let name = &after[..end];
            values
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (end, *value))
        });
        match named {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('@');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

const SCRIPT: &str = r#"#!/bin/sh
# Installs the GuruRMM agent as a service and enrolls it into the site "@SITE@".
# Made by the GuruRMM server for one install link, which works until @EXPIRES@.
# Run as root:  curl -fsSL '<this URL>' | sudo sh
# GURURMM_INSTALL_ROOT=DIR installs below DIR instead (for tests; no service is started).
set -eu
umask 077

server=@SERVER@
token=@TOKEN@
enrollment_key=@KEY@

fail() {
    printf 'gururmm install: %s\n' "$1" >&2
    exit 1
}

if [ -z "${GURURMM_INSTALL_ROOT:-}" ] && [ "$(id -u)" != 0 ]; then
    fail "run this as root, e.g. curl -fsSL '<URL>' | sudo sh"
fi
if [ "$(uname -s)" != Linux ]; then
    fail "this script installs the agent on Linux; this machine runs $(uname -s)"
fi
machine=$(uname -m)
case "$machine" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) fail "there is no GuruRMM agent for $machine machines" ;;
esac
agent_file=
agent_sha256=
watchdog_file=
watchdog_sha256=
case "$arch" in
@ARCHES@
esac

command -v sha256sum >/dev/null 2>&1 || fail "sha256sum is needed (coreutils)"
if command -v curl >/dev/null 2>&1; then
    fetch() { curl -fsS --retry 3 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
    fetch() { wget -q -O "$2" "$1"; }
else
    fail "curl or wget is needed to download the agent"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gururmm-install.XXXXXX") || fail "cannot make a temporary directory"
# The enrollment key and the downloads go with the directory, however the script ends.
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT HUP TERM

# Downloads one binary and keeps it only if its SHA-256 is the manifest's.
download() {
    file=$1
    expected=$2
    target=$3
    fetch "$server/api/v1/installers/$token/$file" "$work/$file.part" ||
        fail "downloading $file from $server failed (the install link may have expired: make a new one)"
    actual=$(sha256sum "$work/$file.part" | cut -d ' ' -f 1)
    if [ "$actual" != "$expected" ]; then
        fail "$file has SHA-256 $actual, not $expected: refusing to install it"
    fi
    mv "$work/$file.part" "$work/$target"
    chmod 0700 "$work/$target"
}

echo "gururmm install: downloading $agent_file and $watchdog_file"
download "$agent_file" "$agent_sha256" gururmm-agent
download "$watchdog_file" "$watchdog_sha256" gururmm-watchdog

# The key goes in a file only root can read, never on a command line.
printf '%s\n' "$enrollment_key" >"$work/enrollment-key"
chmod 0600 "$work/enrollment-key"

set -- install --server "$server" --enroll-key-file "$work/enrollment-key"
@INSECURE@if ! (cd "$work" && ./gururmm-agent "$@"); then
    fail "gururmm-agent install failed (see above); if $work is on a noexec file system, set TMPDIR to another directory"
fi
echo "gururmm install: done; the agent is enrolled and running"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_every_character_literal() {
        assert_eq!(sh_quote("plain"), "'plain'");
        assert_eq!(sh_quote("it's $HOME `x`"), r"'it'\''s $HOME `x`'");
        assert_eq!(
            one_line_command("https://rmm.example.test/install.sh?token=gri_1"),
            "curl -fsSL 'https://rmm.example.test/install.sh?token=gri_1' | sudo sh"
        );
    }

    #[test]
    fn a_site_name_stays_on_its_comment_line() {
        assert_eq!(comment_text("HQ\nrm -rf /\r"), "HQ rm -rf / ");
        assert_eq!(
            fill("a @X@ b @Y@ @Z@ c@", &[("X", "@Y@"), ("Y", "y")]),
            "a @Y@ b y @Z@ c@"
        );
    }
}
