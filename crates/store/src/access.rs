//! What a user may do: fine [`Permission`]s, the sets of them the built-in
//! [`Role`]s hold, and [`PermissionSet`], the set a request is checked against.
//!
//! Deny by default: a permission not in the caller's set is refused, and a
//! role's set is the only source of rights (no check compares role names).

use crate::model::Role;
use serde::{Deserialize, Serialize};

/// Declares [`Permission`], its API names, [`Permission::ALL`] and one marker
/// type per permission in [`need`], from one list.
macro_rules! permissions {
    ($($(#[doc = $doc:literal])* $name:ident = $text:literal,)*) => {
        /// One thing a user may be allowed to do in an organization.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum Permission {
            $($(#[doc = $doc])* $name,)*
        }

        impl Permission {
            /// Every permission, in the order the dashboard lists them.
            pub const ALL: &'static [Permission] = &[$(Permission::$name),*];

            /// The name in the API (`run_commands`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Permission::$name => $text,)*
                }
            }
        }

        /// One type per [`Permission`], so a route can name the one it needs
        /// in its arguments (the server's `Can<need::RunCommands>`).
        pub mod need {
            use super::{Permission, Requirement};
            $(
                #[derive(Debug)]
                pub struct $name;
                impl Requirement for $name {
                    const PERMISSION: Permission = Permission::$name;
                }
            )*
        }
    };
}

/// A permission as a type (see [`need`]).
pub trait Requirement {
    const PERMISSION: Permission;
}

permissions! {
    /// See the fleet: agents, clients, sites, their metrics, checks, alerts,
    /// commands, jobs, scripts and policies (secret values excepted).
    ViewAgents = "view_agents",
    /// Run ad-hoc commands and command jobs, cancel and re-run them.
    RunCommands = "run_commands",
    /// Run saved scripts on agents, sites and clients.
    RunScripts = "run_scripts",
    /// Create, change, restore and delete scripts.
    EditScripts = "edit_scripts",
    /// Acknowledge, snooze and resolve alerts; maintenance windows; run checks now.
    ManageAlerts = "manage_alerts",
    /// Policies, their assignments, check templates and notification channels.
    ManagePolicies = "manage_policies",
    /// Create, rename and delete clients and sites.
    ManageClients = "manage_clients",
    /// Name, describe, tag and move agents; custom field values; shared views.
    OrganizeAgents = "organize_agents",
    /// Enrollment keys, enrollment approvals, deleting agents, device ids.
    ManageAgents = "manage_agents",
    /// Read secret values: script and command environments, secret parameters.
    ViewSecrets = "view_secrets",
    /// Invite, change, disable and remove users; roles.
    ManageUsers = "manage_users",
    /// Read the audit log.
    ViewAudit = "view_audit",
    /// Organization settings: custom field definitions, sign-in policy.
    ManageOrganization = "manage_organization",
}

impl Permission {
    pub fn parse(name: &str) -> Option<Permission> {
        Self::ALL.iter().copied().find(|p| p.as_str() == name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u32);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    pub fn all() -> Self {
        Self::of(Permission::ALL)
    }

    pub fn of(permissions: &[Permission]) -> Self {
        PermissionSet(permissions.iter().fold(0, |bits, p| bits | p.bit()))
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// Whether every permission of `other` is in this set.
    pub fn covers(self, other: PermissionSet) -> bool {
        other.0 & !self.0 == 0
    }

    pub fn with(self, permission: Permission) -> Self {
        PermissionSet(self.0 | permission.bit())
    }

    pub fn without(self, permission: Permission) -> Self {
        PermissionSet(self.0 & !permission.bit())
    }

    /// The permissions of the set, in [`Permission::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }

    pub fn to_vec(self) -> Vec<Permission> {
        self.iter().collect()
    }
}

impl std::fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(Self::EMPTY, PermissionSet::with)
    }
}

/// What a technician does all day: watch, run, respond, organize; not change
/// what runs everywhere (scripts, policies), who may enter (enrollment, users)
/// or see secrets.
const TECHNICIAN: [Permission; 6] = [
    Permission::ViewAgents,
    Permission::RunCommands,
    Permission::RunScripts,
    Permission::ManageAlerts,
    Permission::ManageClients,
    Permission::OrganizeAgents,
];

/// What an operator's support session may do in the organization it
/// supports: everything but managing its users, reading its secrets and
/// changing its settings (so support never leaves a way back in behind it).
pub fn support_permissions() -> PermissionSet {
    PermissionSet::all()
        .without(Permission::ManageUsers)
        .without(Permission::ViewSecrets)
        .without(Permission::ManageOrganization)
}

impl Role {
    /// The permissions the built-in role holds.
    pub fn permissions(self) -> PermissionSet {
        match self {
            Role::Owner | Role::Admin => PermissionSet::all(),
            Role::Technician => PermissionSet::of(&TECHNICIAN),
            Role::ReadOnly => PermissionSet::of(&[Permission::ViewAgents]),
            // What the organization's custom role holds (the store reads it); nothing by itself.
            Role::Custom => PermissionSet::EMPTY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_permission_has_its_own_bit() {
        for &permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
            assert_eq!(
                serde_json::to_value(permission).unwrap(),
                permission.as_str()
            );
        }
        assert_eq!(PermissionSet::all().iter().count(), Permission::ALL.len());
        assert_eq!(Permission::parse("root"), None);
    }

    #[test]
    fn built_in_roles_nest_and_deny_by_default() {
        let readonly = Role::ReadOnly.permissions();
        let technician = Role::Technician.permissions();
        assert!(technician.covers(readonly) && !readonly.covers(technician));
        assert!(Role::Admin.permissions().covers(technician));
        assert_eq!(readonly.to_vec(), [Permission::ViewAgents]);
        for kept_from_technicians in [
            Permission::EditScripts,
            Permission::ManageAgents,
            Permission::ManageUsers,
            Permission::ViewSecrets,
        ] {
            assert!(!technician.contains(kept_from_technicians));
        }
        assert!(!PermissionSet::EMPTY.contains(Permission::ViewAgents));
        let set: PermissionSet = [Permission::RunScripts].into_iter().collect();
        assert_eq!(set.without(Permission::RunScripts), PermissionSet::EMPTY);
    }
}
