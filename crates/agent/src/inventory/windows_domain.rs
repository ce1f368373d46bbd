//! Domain membership on Windows from `dsregcmd /status` and
//! `(Get-CimInstance Win32_ComputerSystem).DomainRole`.

use gururmm_protocol::inventory::{optional_field, DomainInfo, JoinState};

use super::key_value;

/// `Win32_ComputerSystem.DomainRole` of a backup and a primary domain controller.
const DOMAIN_CONTROLLER_ROLES: [u8; 2] = [4, 5];

/// The join state from dsregcmd's `Name : value` lines: joined to both Entra
/// ID (Azure AD) and an Active Directory domain is hybrid; the domain name is
/// the AD domain (`DomainName`, NetBIOS form) where there is one, otherwise
/// the Entra tenant's name. `domain_role` marks a domain controller.
pub fn parse_dsregcmd_status(text: &str, domain_role: Option<u8>) -> DomainInfo {
    let field = |wanted: &str| {
        text.lines()
            .filter_map(|line| key_value(line, ':'))
            .find(|(key, _)| *key == wanted)
            .map(|(_, value)| value)
    };
    let azure_ad = field("AzureAdJoined") == Some("YES");
    let active_directory = field("DomainJoined") == Some("YES");
    let join_state = match (azure_ad, active_directory) {
        (true, true) => JoinState::Hybrid,
        (true, false) => JoinState::AzureAd,
        (false, true) => JoinState::ActiveDirectory,
        (false, false) => JoinState::None,
    };
    let domain_name = if active_directory {
        field("DomainName").and_then(optional_field)
    } else if azure_ad {
        field("TenantName").and_then(optional_field)
    } else {
        None
    };
    DomainInfo {
        join_state,
        domain_name,
        is_domain_controller: domain_role
            .is_some_and(|role| DOMAIN_CONTROLLER_ROLES.contains(&role)),
        client: None,
    }
}
