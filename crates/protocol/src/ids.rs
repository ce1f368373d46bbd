//! Newtype identifiers, so an agent id can never be passed where a site id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Every id type of GuruRMM: a UUID newtype, serialized as its string,
/// described as a UUID in the OpenAPI document. `new()` is random (version 4)
/// unless another constructor is named (commands use time-ordered version 7).
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        id_type!($(#[$doc])* $name, Uuid::new_v4);
    };
    ($(#[$doc:meta])* $name:ident, $new:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new identifier.
            pub fn new() -> Self {
                Self($new())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An organization (tenant): an MSP and everything it manages.
    OrganizationId
);
id_type!(
    /// A user who signs in to the dashboard.
    UserId
);
id_type!(
    /// A customer of the MSP.
    ClientId
);
id_type!(
    /// A location of a client; agents enroll into a site.
    SiteId
);
id_type!(
    /// One enrolled agent (one managed machine).
    AgentId
);
id_type!(
    /// One command sent to one agent. Time-ordered (UUID version 7): commands
    /// created in the same millisecond still sort, and so run, in the order
    /// they were created.
    CommandId,
    Uuid::now_v7
);
id_type!(
    /// A script in an organization's library.
    ScriptId
);
id_type!(
    /// A bulk run of one script version on many agents.
    JobId
);
id_type!(
    /// A site's enrollment key.
    EnrollmentKeyId
);
id_type!(
    /// A short-lived download link of a site's Windows installer.
    InstallerLinkId
);
id_type!(
    /// A re-enrollment of a known device, waiting for an administrator.
    EnrollmentRequestId
);
id_type!(
    /// A monitoring policy: checks, alert rules and notification routing.
    PolicyId
);
id_type!(
    /// A policy assigned at one scope (global, a client, a site or an agent).
    PolicyAssignmentId
);
id_type!(
    /// One alert: one open problem of one condition, until it resolves.
    AlertId
);
id_type!(
    /// Where notifications go: an email list, a webhook, a Slack or Teams channel.
    NotificationChannelId
);
id_type!(
    /// One notification to one channel, in the outbox until it is sent or given up.
    DeliveryId
);
id_type!(
    /// A maintenance window: a time when an agent, site or client raises no alerts.
    MaintenanceWindowId
);
id_type!(
    /// A check defined once in the library and used by policies.
    CheckTemplateId
);
id_type!(
    /// A saved view of a list: its filters, order and columns, under a name.
    SavedViewId
);
id_type!(
    /// A custom field an organization defined on its clients, sites or agents.
    CustomFieldId
);
id_type!(
    /// An invitation to join an organization, or a password reset: a one-time link.
    InvitationId
);
id_type!(
    /// An API key: a named, revocable credential for automation.
    ApiKeyId
);
id_type!(
    /// A custom role: an organization's own named set of permissions.
    RoleId
);
id_type!(
    /// A credential kept in the vault for a client (or one of its sites).
    VaultEntryId
);
id_type!(
    /// An OpenID Connect identity provider an organization signs in with.
    SsoProviderId
);
id_type!(
    /// One attempt to bring an agent to a release (its offer and reports).
    AgentUpdateId
);
id_type!(
    /// A staged rollout of an agent release to an organization's fleet.
    RolloutId
);
id_type!(
    /// An update policy (channel and window) at one scope.
    UpdatePolicyId
);
id_type!(
    /// A network discovery scan.
    DiscoveryScanId
);
id_type!(
    /// A device found on a site's network by discovery.
    DeviceId
);
