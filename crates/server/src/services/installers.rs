//! The per-site installers, handed out through short-lived links: the
//! Windows installer (a copy of the release MSI with the server's URL and a
//! site's enrollment key written into its Property table, `SERVERURL` and
//! `ENROLLMENTKEY`) and the Linux install script (`install_script`). A link
//! is made for one kind and its token works for that kind only.
//!
//! A key is kept only hashed, so a link is made while its key is known (right
//! after the key is created) and keeps the key sealed with the server's key.
//! A link may be used until it expires, several times: a technician whose
//! download broke, or who installs a few machines of the site in a row, needs
//! no new link, and the key it carries enrolls into that one site only (and
//! can be revoked). Every download is recorded in the audit log.

use crate::auth::secrets::{random_hex, sha256_hex};
use crate::services::audit;
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{Duration, Utc};
use gururmm_protocol::{OrganizationId, SiteId};
use gururmm_store::{
    AuditActor, InstallerKind, InstallerLink, InstallerLinkCreation, NewAuditEvent,
    NewInstallerLink, Site,
};
use serde_json::json;
use std::io::{Cursor, Read};
use std::net::IpAddr;
use std::path::Path;

/// The Windows installer's file name in the releases directory.
pub const WINDOWS_INSTALLER_FILE: &str = "gururmm-agent-windows-x86_64.msi";
/// How long a download link works.
pub const LINK_LIFETIME: Duration = Duration::hours(1);
/// Most unexpired links an organization may hold at once.
pub const MAX_LINKS_PER_ORGANIZATION: i64 = 200;
/// Largest release MSI the server reads (the agent's is a few MiB).
pub const MAX_INSTALLER_BYTES: u64 = 64 * 1024 * 1024;
/// Longest enrollment key or link token accepted (both are far shorter).
const MAX_SECRET_CHARS: usize = 128;
/// The path of a download, after the public URL.
pub const DOWNLOAD_PATH: &str = "/api/v1/installers/";

/// A new link: its token (shown once, in `url`) and record.
pub struct CreatedLink {
    pub url: String,
    pub link: InstallerLink,
}

/// Makes a download link of the site's installer of `kind` carrying
/// `enrollment_key`, which must be an active key of that site. The site is
/// checked first (a missing one, or another organization's, is a 404), then
/// the key (422), then that the server has an installer to hand out (409).
pub async fn create_link(
    state: &AppState,
    org: OrganizationId,
    site: SiteId,
    kind: InstallerKind,
    enrollment_key: &str,
    created_by_email: &str,
) -> ServiceResult<CreatedLink> {
    let store = state.store.as_ref();
    store
        .get_site(org, site)
        .await
        .map_err(ServiceError::from_store("site"))?;
    let enrollment_key = enrollment_key.trim();
    if enrollment_key.is_empty() {
        return Err(ServiceError::invalid("enrollment_key must not be empty"));
    }
    if enrollment_key.len() > MAX_SECRET_CHARS {
        return Err(ServiceError::invalid(format!(
            "enrollment_key is longer than {MAX_SECRET_CHARS} characters"
        )));
    }
    let now = Utc::now();
    let key = store
        .find_enrollment_key(&sha256_hex(enrollment_key))
        .await
        .map_err(ServiceError::internal)?
        .filter(|key| key.organization_id == org && key.site_id == site)
        .ok_or_else(|| {
            ServiceError::invalid("enrollment_key is not an enrollment key of this site")
        })?;
    if key.refusal(now).is_some() {
        return Err(ServiceError::invalid(
            "enrollment_key no longer enrolls (revoked, expired or used up); create a new key",
        ));
    }
    // Refuse now rather than hand out a link that cannot work.
    match kind {
        InstallerKind::WindowsMsi => {
            release_installer(state.config.releases_dir.as_deref(), false).await?;
        }
        InstallerKind::LinuxScript => {
            crate::services::install_script::releases_for_script(state).await?;
        }
    }
    let token = format!("gri_{}", random_hex(32));
    let created = store
        .create_installer_link(
            NewInstallerLink {
                kind,
                organization_id: org,
                site_id: site,
                enrollment_key_id: key.id,
                token_hash: sha256_hex(&token),
                enrollment_key_sealed: state.sealer.seal(enrollment_key),
                created_by_email: created_by_email.to_string(),
                created_at: now,
                expires_at: now + LINK_LIFETIME,
            },
            MAX_LINKS_PER_ORGANIZATION,
        )
        .await
        .map_err(ServiceError::from_store("site"))?;
    match created {
        InstallerLinkCreation::Created(link) => Ok(CreatedLink {
            url: match kind {
                InstallerKind::WindowsMsi => {
                    format!("{}{DOWNLOAD_PATH}{token}", state.config.public_url())
                }
                InstallerKind::LinuxScript => {
                    crate::services::install_script::script_url(&state.config.public_url(), &token)
                }
            },
            link,
        }),
        InstallerLinkCreation::TooMany { next_expiry } => Err(ServiceError::RateLimited {
            message: format!(
                "the organization already has {MAX_LINKS_PER_ORGANIZATION} installer links that \
                 have not expired"
            ),
            retry_after: (next_expiry - now).to_std().unwrap_or_default(),
        }),
    }
}

/// A personalised installer, ready to send.
pub struct Download {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

fn unknown_link() -> ServiceError {
    ServiceError::NotFound("installer link (it may have expired)")
}

/// A usable link of `kind` behind a token.
pub struct OpenLink {
    pub link: InstallerLink,
    /// The key the installer carries, in clear.
    pub enrollment_key: String,
    pub site: Site,
}

/// The link behind a token, if it is of `kind`, unexpired, and its key still
/// enrolls: unknown and expired tokens, another kind's token and a link whose
/// key was revoked since (its installer could not enroll) are the same 404.
pub async fn open_link(
    state: &AppState,
    token: &str,
    kind: InstallerKind,
) -> ServiceResult<OpenLink> {
    if token.len() > MAX_SECRET_CHARS {
        return Err(unknown_link());
    }
    let store = state.store.as_ref();
    let now = Utc::now();
    let link = store
        .find_installer_link(&sha256_hex(token), now)
        .await
        .map_err(ServiceError::internal)?
        .filter(|link| link.kind == kind)
        .ok_or_else(unknown_link)?;
    let enrollment_key = state
        .sealer
        .open(&link.enrollment_key_sealed)
        .map_err(ServiceError::internal)?;
    let usable = store
        .find_enrollment_key(&sha256_hex(&enrollment_key))
        .await
        .map_err(ServiceError::internal)?
        .is_some_and(|key| key.refusal(now).is_none());
    if !usable {
        return Err(unknown_link());
    }
    let site = store
        .get_site(link.organization_id, link.site_id)
        .await
        .map_err(|_| unknown_link())?;
    Ok(OpenLink {
        link,
        enrollment_key,
        site,
    })
}

/// Records a download through `opened` in the audit log (never the key);
/// `details` adds to what every download records.
pub async fn record_download(
    state: &AppState,
    opened: &OpenLink,
    ip: Option<IpAddr>,
    details: serde_json::Value,
) -> ServiceResult<()> {
    let link = &opened.link;
    let mut recorded = json!({
        "installer_link_id": link.id,
        "kind": link.kind.as_str(),
        "enrollment_key_id": link.enrollment_key_id,
        "site_name": opened.site.name,
        "link_expires_at": link.expires_at,
    });
    if let (Some(recorded), serde_json::Value::Object(more)) = (recorded.as_object_mut(), details) {
        recorded.extend(more);
    }
    audit::record(
        state.store.as_ref(),
        NewAuditEvent {
            organization_id: link.organization_id,
            at: Utc::now(),
            actor: AuditActor {
                kind: "installer_link".into(),
                id: Some(link.id.to_string()),
                label: format!("installer link made by {}", link.created_by_email),
            },
            action: "installer_downloaded".into(),
            target_kind: Some("sites".into()),
            target_id: Some(link.site_id.to_string()),
            source_ip: ip.map(|ip| ip.to_string()),
            details: recorded,
        },
    )
    .await
    .map_err(|_| ServiceError::AuditUnavailable)?;
    tracing::info!(site = %link.site_id, link = %link.id, kind = link.kind.as_str(), "installer downloaded");
    Ok(())
}

/// The installer behind a link's token: the release MSI with this server's
/// URL and the link's key (see [`open_link`] for the 404s). The download is
/// recorded in the audit log before it is handed out.
pub async fn download(
    state: &AppState,
    token: &str,
    ip: Option<IpAddr>,
) -> ServiceResult<Download> {
    let opened = open_link(state, token, InstallerKind::WindowsMsi).await?;
    let release = release_installer(state.config.releases_dir.as_deref(), true).await?;
    let server_url = state.config.public_url();
    let enrollment_key = opened.enrollment_key.clone();
    let bytes =
        tokio::task::spawn_blocking(move || personalize(release, &server_url, &enrollment_key))
            .await
            .map_err(ServiceError::internal)?
            .map_err(|error| {
                tracing::error!(%error, "the release installer could not be personalised");
                unavailable(format!(
            "the server's {WINDOWS_INSTALLER_FILE} cannot be personalised ({error}); build it with \
             `cargo xtask dist windows` and put it in GURURMM_RELEASES_DIR"
        ))
            })?;
    record_download(state, &opened, ip, json!({})).await?;
    Ok(Download {
        bytes,
        file_name: format!("gururmm-agent-{}.msi", slug(&opened.site.name)),
    })
}

fn unavailable(message: String) -> ServiceError {
    ServiceError::Unavailable {
        code: "installer_unavailable",
        message,
    }
}

/// The release MSI's bytes (with `read_contents`; otherwise only whether it
/// is there and not too large, and no bytes), or a 409 that says how to
/// provide it.
async fn release_installer(
    releases_dir: Option<&Path>,
    read_contents: bool,
) -> ServiceResult<Vec<u8>> {
    let how = format!(
        "build it with `cargo xtask dist windows` and put {WINDOWS_INSTALLER_FILE} in \
         GURURMM_RELEASES_DIR"
    );
    let Some(dir) = releases_dir else {
        return Err(unavailable(format!(
            "this server has no Windows installer: GURURMM_RELEASES_DIR (releases_dir) is not \
             set; {how}"
        )));
    };
    let path = dir.join(WINDOWS_INSTALLER_FILE);
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
        let file = std::fs::File::open(&path)?;
        if file.metadata()?.len() > MAX_INSTALLER_BYTES {
            return Ok(None);
        }
        if !read_contents {
            return Ok(Some(Vec::new()));
        }
        let mut bytes = Vec::new();
        file.take(MAX_INSTALLER_BYTES + 1).read_to_end(&mut bytes)?;
        Ok((bytes.len() as u64 <= MAX_INSTALLER_BYTES).then_some(bytes))
    })
    .await
    .map_err(ServiceError::internal)?;
    match read {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(unavailable(format!(
            "the server's {WINDOWS_INSTALLER_FILE} is larger than {} MiB; {how}",
            MAX_INSTALLER_BYTES / 1024 / 1024
        ))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(unavailable(format!(
            "this server has no Windows installer: {WINDOWS_INSTALLER_FILE} is not in {}; {how}",
            dir.display()
        ))),
        Err(error) => {
            tracing::error!(%error, dir = %dir.display(), "reading the release installer failed");
            Err(unavailable(format!(
                "the server cannot read {WINDOWS_INSTALLER_FILE} in its releases directory; {how}"
            )))
        }
    }
}

/// The properties the server sets, each with the private property (mixed
/// case: not settable from the command line, unused by the installer) that
/// keeps the release's value of it.
const PERSONALISED: [(&str, &str); 2] = [
    ("SERVERURL", "GuruRmmReleaseServerUrl"),
    ("ENROLLMENTKEY", "GuruRmmReleaseEnrollmentKey"),
];

/// A copy of `msi` with the Property table's `SERVERURL` and `ENROLLMENTKEY`
/// set, and their release values kept in two private properties; nothing
/// else changes. Fails when the package is not an MSI, lacks either
/// property, or would come out other than that.
///
/// Why the two extra properties: packages built by wixl and msibuild
/// undercount the uses of their strings (`none`, used by both properties, is
/// counted once), and the `msi` crate frees a string whose count drops to
/// zero, so that the next new string takes its slot and every other user of
/// it reads the new value. Referencing the release values from rows of our
/// own first keeps their counts above zero through the updates. The result
/// is read back and compared with the release, table by table, before it is
/// handed out.
pub fn personalize(
    msi: Vec<u8>,
    server_url: &str,
    enrollment_key: &str,
) -> std::io::Result<Vec<u8>> {
    use msi::{Insert, Package, Update, Value};
    let values = [server_url, enrollment_key];
    let mut expected = all_rows(&msi)?;
    let properties = expected
        .get_mut("Property")
        .ok_or_else(|| invalid_package("the package has no Property table".into()))?;
    let mut kept = Vec::new();
    for ((property, keeper), value) in PERSONALISED.into_iter().zip(values) {
        let mut found = properties
            .iter_mut()
            .filter(|row| row.first().and_then(Value::as_str) == Some(property));
        let (Some(row), None) = (found.next(), found.next()) else {
            return Err(invalid_package(format!(
                "the package has no {property} property"
            )));
        };
        let release_value = row[1].clone();
        row[1] = Value::from(value);
        // A package personalised before keeps the release value already.
        if !properties
            .iter()
            .any(|row| row.first().and_then(Value::as_str) == Some(keeper))
        {
            kept.push(vec![Value::from(keeper), release_value]);
        }
    }
    properties.extend(kept.iter().cloned());
    properties.sort_by_key(|row| format!("{row:?}"));

    let mut package = Package::open(Cursor::new(msi))?;
    package.insert_rows(Insert::into("Property").rows(kept))?;
    for ((property, _), value) in PERSONALISED.into_iter().zip(values) {
        package.update_rows(
            Update::table("Property")
                .set("Value", Value::from(value))
                .with(msi::Expr::col("Property").eq(msi::Expr::string(property))),
        )?;
    }
    package.flush()?;
    let personalised = package.into_inner()?.into_inner();
    if all_rows(&personalised)? != expected {
        return Err(invalid_package(
            "the package's string table is inconsistent: personalising it would change more \
             than the two properties"
                .into(),
        ));
    }
    Ok(personalised)
}

fn invalid_package(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// Every row of every table of a package, each table's rows in a fixed order.
fn all_rows(
    msi: &[u8],
) -> std::io::Result<std::collections::BTreeMap<String, Vec<Vec<msi::Value>>>> {
    let mut package = msi::Package::open(Cursor::new(msi))?;
    let names: Vec<String> = package
        .tables()
        .map(|table| table.name().to_string())
        .collect();
    let mut tables = std::collections::BTreeMap::new();
    for name in names {
        let mut rows: Vec<Vec<msi::Value>> = package
            .select_rows(msi::Select::table(&name))?
            .map(|row| (0..row.len()).map(|index| row[index].clone()).collect())
            .collect();
        rows.sort_by_key(|row| format!("{row:?}"));
        tables.insert(name, rows);
    }
    Ok(tables)
}

/// A site's name as part of a file name: lowercase ASCII letters and digits
/// with single dashes between words, at most 60 characters; `site` when
/// nothing is left.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for character in name.chars().flat_map(char::to_lowercase) {
        if character.is_ascii_alphanumeric() {
            slug.push(character);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "site".into()
    } else {
        slug.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_file_name_parts() {
        for (name, expected) in [
            ("Main Office", "main-office"),
            ("  Héllo / Wörld!! ", "h-llo-w-rld"),
            ("\"; rm -rf", "rm-rf"),
            ("東京", "site"),
            ("", "site"),
        ] {
            assert_eq!(slug(name), expected, "{name:?}");
        }
        assert_eq!(slug(&"a".repeat(300)).len(), 60);
    }

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gururmm-agent-installer.msi"
    );

    fn property(msi: &[u8], name: &str) -> String {
        let rows = all_rows(msi).unwrap();
        let row = rows["Property"]
            .iter()
            .find(|row| row[0].as_str() == Some(name))
            .unwrap();
        row[1].as_str().unwrap().to_string()
    }

    #[test]
    fn both_properties_get_their_own_values_though_the_release_shares_one_string() {
        let release = std::fs::read(FIXTURE).unwrap();
        assert_eq!(property(&release, "SERVERURL"), "none");
        assert_eq!(property(&release, "ENROLLMENTKEY"), "none");
        let msi = personalize(release, "https://rmm.example.test", "grk_0123").unwrap();
        assert_eq!(property(&msi, "SERVERURL"), "https://rmm.example.test");
        assert_eq!(property(&msi, "ENROLLMENTKEY"), "grk_0123");
        // Personalised again (a copy of a copy), still right.
        let again = personalize(msi, "https://other.example.test", "grk_4567").unwrap();
        assert_eq!(property(&again, "SERVERURL"), "https://other.example.test");
        assert_eq!(property(&again, "ENROLLMENTKEY"), "grk_4567");
    }

    #[test]
    fn what_is_not_an_msi_is_refused_not_handed_out() {
        let error = personalize(b"MZ not an installer".to_vec(), "https://x", "grk_1").unwrap_err();
        assert!(!error.to_string().is_empty());
    }
}
