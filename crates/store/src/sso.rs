//! OpenID Connect single sign-on: each organization's identity providers,
//! the sign-ins on their way through a provider, and which user a provider's
//! subject is.

use crate::{Role, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, OrganizationId, RoleId, SsoProviderId, UserId};
use serde::{Deserialize, Serialize};

/// Access a provider gives its users: a role (with [`Role::Custom`], which
/// custom role) and the clients they are limited to (`None`: all).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SsoAccess {
    pub role: Role,
    #[serde(default)]
    pub custom_role_id: Option<RoleId>,
    /// `null` or absent: the whole organization.
    #[serde(default)]
    pub client_ids: Option<Vec<ClientId>>,
}

/// Members of `group` (a value of the provider's groups claim) get `access`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SsoGroupRule {
    pub group: String,
    #[serde(flatten)]
    pub access: SsoAccess,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoProvider {
    pub id: SsoProviderId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// Sealed with the server's key.
    pub client_secret_sealed: String,
    /// The email domains whose addresses may sign in through it.
    pub email_domains: Vec<String>,
    /// New users come in at their first sign-in (else only linked ones may sign in).
    pub provision: bool,
    /// The access of users no group rule names (`None`: they are refused).
    pub default_access: Option<SsoAccess>,
    /// The ID-token claim that lists a user's groups.
    pub groups_claim: String,
    /// In order: the first rule naming one of the user's groups decides.
    pub group_rules: Vec<SsoGroupRule>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an administrator sets of a provider (the secret already sealed).
#[derive(Clone, Debug)]
pub struct SsoProviderFields {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: String,
    pub email_domains: Vec<String>,
    pub provision: bool,
    pub default_access: Option<SsoAccess>,
    pub groups_claim: String,
    pub group_rules: Vec<SsoGroupRule>,
    pub enabled: bool,
}

/// A sign-in sent to a provider, waiting for its callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoLogin {
    pub provider_id: SsoProviderId,
    pub organization_id: OrganizationId,
    pub nonce: String,
    /// The PKCE code verifier, sealed with the server's key.
    pub pkce_verifier_sealed: String,
    /// The dashboard path to land on afterwards.
    pub return_to: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait SsoStore {
    async fn list_sso_providers(&self, org: OrganizationId) -> StoreResult<Vec<SsoProvider>>;
    async fn get_sso_provider(
        &self,
        org: OrganizationId,
        id: SsoProviderId,
    ) -> StoreResult<SsoProvider>;
    /// A provider found by its id alone, for a sign-in that has no
    /// organization yet (its link names the provider).
    async fn sso_provider_for_sign_in(&self, id: SsoProviderId) -> StoreResult<SsoProvider>;
    async fn create_sso_provider(
        &self,
        org: OrganizationId,
        fields: SsoProviderFields,
    ) -> StoreResult<SsoProvider>;
    async fn update_sso_provider(
        &self,
        org: OrganizationId,
        id: SsoProviderId,
        fields: SsoProviderFields,
    ) -> StoreResult<SsoProvider>;
    /// Deletes the provider with its pending sign-ins and links.
    async fn delete_sso_provider(&self, org: OrganizationId, id: SsoProviderId) -> StoreResult<()>;

    /// Keeps a sign-in under the hash of its state (dropping expired ones).
    async fn put_sso_login(&self, state_hash: &str, login: SsoLogin) -> StoreResult<()>;
    /// How many sign-ins through the provider wait for their callback.
    async fn pending_sso_logins(
        &self,
        provider: SsoProviderId,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;
    /// Takes (deletes and returns) the sign-in with this state, if it has
    /// not expired: each state serves once.
    async fn take_sso_login(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SsoLogin>>;

    /// The user a provider's subject signed in as before (and notes the use).
    async fn sso_identity_user(
        &self,
        provider: SsoProviderId,
        subject: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>>;
    async fn link_sso_identity(
        &self,
        org: OrganizationId,
        provider: SsoProviderId,
        subject: &str,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Whether users other than owners may only sign in through a provider.
    async fn sso_only(&self, org: OrganizationId) -> StoreResult<bool>;
    async fn set_sso_only(&self, org: OrganizationId, sso_only: bool) -> StoreResult<()>;
}

impl SsoProvider {
    /// The access a user with `groups` gets: the first rule naming one of
    /// them, else the default (`None`: not let in).
    pub fn access_for(&self, groups: &[String]) -> Option<&SsoAccess> {
        self.group_rules
            .iter()
            .find(|rule| groups.contains(&rule.group))
            .map(|rule| &rule.access)
            .or(self.default_access.as_ref())
    }
}
