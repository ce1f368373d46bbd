//! Domain membership on Linux from `realm list`, and from sssd's and Samba's
//! configuration where realmd is not installed.

use gururmm_protocol::inventory::{optional_field, DomainInfo, JoinState};

use super::key_value;

/// What the collector read; each is optional.
#[derive(Clone, Debug, Default)]
pub struct DomainEvidence<'a> {
    /// Output of `realm list`.
    pub realm_list: Option<&'a str>,
    /// `/etc/sssd/sssd.conf` (root only).
    pub sssd_conf: Option<&'a str>,
    /// `/etc/samba/smb.conf`.
    pub smb_conf: Option<&'a str>,
}

/// The join state. `realm list` is trusted first: it shows only realms the
/// machine is configured for (`configured: no` realms are discovered, not
/// joined). Then an sssd domain with `id_provider = ad` (or `ipa`), then
/// Samba: `security = ads` is a winbind member, `server role = active
/// directory domain controller` makes this machine a domain controller. A
/// bare `krb5.conf` proves nothing (Kerberos clients have one without any
/// join) and is not evidence.
pub fn detect_domain(evidence: &DomainEvidence<'_>) -> DomainInfo {
    if let Some(domain) = evidence.realm_list.and_then(from_realm_list) {
        return with_samba_role(domain, evidence.smb_conf);
    }
    if let Some(domain) = evidence.sssd_conf.and_then(from_sssd_conf) {
        return with_samba_role(domain, evidence.smb_conf);
    }
    with_samba_role(DomainInfo::default(), evidence.smb_conf)
}

fn from_realm_list(text: &str) -> Option<DomainInfo> {
    // One block per realm: the realm's name unindented, its details indented.
    let mut blocks: Vec<(&str, Vec<(&str, &str)>)> = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        if !line.starts_with([' ', '\t']) {
            blocks.push((line.trim(), Vec::new()));
        } else if let (Some(block), Some(pair)) = (blocks.last_mut(), key_value(line, ':')) {
            block.1.push(pair);
        }
    }
    blocks.into_iter().find_map(|(name, details)| {
        let detail = |wanted: &str| {
            details
                .iter()
                .find(|(key, _)| *key == wanted)
                .map(|(_, value)| *value)
        };
        let configured = detail("configured").unwrap_or("no");
        if configured == "no" {
            return None;
        }
        Some(DomainInfo {
            join_state: match detail("server-software") {
                Some("active-directory") => JoinState::ActiveDirectory,
                _ => JoinState::OtherRealm,
            },
            domain_name: optional_field(detail("domain-name").unwrap_or(name)),
            is_domain_controller: false,
            client: detail("client-software").and_then(optional_field),
        })
    })
}

fn from_sssd_conf(text: &str) -> Option<DomainInfo> {
    let mut section = "";
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name;
            continue;
        }
        let Some(domain) = section.strip_prefix("domain/") else {
            continue;
        };
        let join_state = match key_value(line, '=') {
            Some(("id_provider", "ad")) => JoinState::ActiveDirectory,
            Some(("id_provider", "ipa")) => JoinState::OtherRealm,
            _ => continue,
        };
        return Some(DomainInfo {
            join_state,
            domain_name: optional_field(domain),
            is_domain_controller: false,
            client: Some("sssd".to_owned()),
        });
    }
    None
}

fn with_samba_role(mut domain: DomainInfo, smb_conf: Option<&str>) -> DomainInfo {
    let Some(smb_conf) = smb_conf else {
        return domain;
    };
    let setting = |wanted: &str| {
        smb_conf
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with(['#', ';']))
            .filter_map(|line| key_value(line, '='))
            .find(|(key, _)| key.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value)
    };
    let realm = setting("realm").and_then(optional_field);
    if setting("server role")
        .is_some_and(|role| role.eq_ignore_ascii_case("active directory domain controller"))
    {
        domain.is_domain_controller = true;
        domain.join_state = JoinState::ActiveDirectory;
        domain.domain_name = domain.domain_name.or(realm);
        domain.client = Some("samba".to_owned());
    } else if domain.join_state == JoinState::None
        && setting("security").is_some_and(|security| security.eq_ignore_ascii_case("ads"))
    {
        domain.join_state = JoinState::ActiveDirectory;
        domain.domain_name = realm;
        domain.client = Some("winbind".to_owned());
    }
    domain
}
