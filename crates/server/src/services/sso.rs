//! OpenID Connect single sign-on: the authorization code flow with PKCE,
//! `state` and `nonce`, and full ID-token verification by `openidconnect`
//! (signature against the provider's JWKS, an allow-list of asymmetric
//! algorithms, issuer, audience, expiry, nonce).
//!
//! A sign-in starts from a provider's link (`/login?sso=<provider id>`),
//! never from an email address: looking a provider up by the domain a
//! visitor types would let one organization of a shared server send another
//! organization's users to an identity provider of its choosing.
//!
//! The pending sign-in (nonce, PKCE verifier, where to return) waits in the
//! database under the hash of its `state`, and the browser that started it
//! holds the `state` in a cookie: the callback must come back to the same
//! browser, and each state serves once.
//!
//! Users are found by the provider's subject once linked; at their first
//! sign-in by their email address (whose domain must be one the provider is
//! trusted for) or, when the provider provisions, created with the access of
//! the first group rule naming one of their groups, else the default. With
//! group rules, access follows the groups at every sign-in (owners excepted).

use crate::auth::secrets::{hash_password, new_session_token, sha256_hex};
use crate::services::error::{ServiceError, ServiceResult};
use crate::services::login::{self, LoginSuccess};
use crate::services::{audit, users};
use crate::state::AppState;
use chrono::{Duration, Utc};
use gururmm_protocol::{ClientId, SsoProviderId};
use gururmm_store::{
    NewUser, Role, SsoAccess, SsoGroupRule, SsoLogin, SsoProvider, SsoProviderFields, StoreError,
    User,
};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId as OidcClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::IpAddr;
use utoipa::ToSchema;

/// Most identity providers one organization may trust.
pub const MAX_PROVIDERS: usize = 10;
const MAX_NAME_CHARS: usize = 100;
const MAX_URL_CHARS: usize = 500;
const MAX_CLIENT_ID_CHARS: usize = 500;
const MAX_CLIENT_SECRET_CHARS: usize = 2_000;
const MAX_DOMAINS: usize = 20;
const MAX_DOMAIN_CHARS: usize = 253;
const MAX_RULES: usize = 50;
const MAX_GROUP_CHARS: usize = 200;
const MAX_CLAIM_CHARS: usize = 100;
/// Most groups of a user read from the ID token.
const MAX_GROUPS: usize = 1_000;
/// How long a sign-in may spend at the provider.
const SIGN_IN_MINUTES: i64 = 10;
/// Most sign-ins through one provider waiting for their callback at once: a
/// start is public and asks the provider for its metadata, so it is bounded.
pub const MAX_PENDING_SIGN_INS: i64 = 1_000;
const DEFAULT_GROUPS_CLAIM: &str = "groups";
/// The cookie holding the `state` of the browser's sign-in in progress.
pub const STATE_COOKIE: &str = "gururmm_sso";
/// The path the provider sends the browser back to.
pub const CALLBACK_PATH: &str = "/api/v1/auth/sso/callback";

/// The signature algorithms an ID token may use: asymmetric ones only (never
/// `none`, never an HMAC keyed with the client secret).
const ALGORITHMS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// A provider as an administrator sets it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoProviderRequest {
    /// Shown on the sign-in button ("Microsoft", "Google Workspace").
    pub name: String,
    /// The provider's issuer URL (its discovery document is at
    /// `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// Required when adding; on a change, absent keeps the stored one.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The email domains whose users may sign in through it (at least one).
    pub email_domains: Vec<String>,
    /// Create users at their first sign-in (default true); else only users
    /// invited before may sign in.
    #[serde(default = "yes")]
    pub provision: bool,
    /// The access of users no group rule names; `null`: they are refused.
    #[serde(default)]
    pub default_access: Option<SsoAccess>,
    /// The ID-token claim listing a user's groups (default `groups`).
    #[serde(default)]
    pub groups_claim: Option<String>,
    /// In order; the first rule naming one of the user's groups decides.
    #[serde(default)]
    pub group_rules: Vec<SsoGroupRule>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A provider as the API shows it (never its client secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoProviderView {
    pub id: SsoProviderId,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_set: bool,
    pub email_domains: Vec<String>,
    pub provision: bool,
    pub default_access: Option<SsoAccess>,
    pub groups_claim: String,
    pub group_rules: Vec<SsoGroupRule>,
    pub enabled: bool,
    /// The dashboard link that signs in through this provider.
    pub sign_in_url: String,
    /// The redirect URI to register at the provider.
    pub redirect_uri: String,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

pub fn view(state: &AppState, provider: SsoProvider) -> SsoProviderView {
    let base = state.config.public_url();
    let base = base.trim_end_matches('/');
    SsoProviderView {
        sign_in_url: format!("{base}/login?sso={}", provider.id),
        redirect_uri: redirect_uri(state),
        id: provider.id,
        name: provider.name,
        issuer: provider.issuer,
        client_id: provider.client_id,
        client_secret_set: !provider.client_secret_sealed.is_empty(),
        email_domains: provider.email_domains,
        provision: provider.provision,
        default_access: provider.default_access,
        groups_claim: provider.groups_claim,
        group_rules: provider.group_rules,
        enabled: provider.enabled,
        created_at: provider.created_at,
        updated_at: provider.updated_at,
    }
}

pub fn redirect_uri(state: &AppState) -> String {
    format!(
        "{}{CALLBACK_PATH}",
        state.config.public_url().trim_end_matches('/')
    )
}

fn text_field(field: &str, value: &str, max: usize) -> ServiceResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ServiceError::invalid(format!(
            "{field}: give 1 to {max} characters, without control characters"
        )));
    }
    Ok(value.to_owned())
}

/// The issuer: an `https` URL (plain `http` only where webhooks may reach
/// private addresses, as on a lab server), without query or fragment.
fn issuer_field(state: &AppState, issuer: &str) -> ServiceResult<String> {
    let issuer = text_field("issuer", issuer, MAX_URL_CHARS)?;
    let parsed = reqwest::Url::parse(&issuer)
        .map_err(|e| ServiceError::invalid(format!("issuer: not a URL ({e})")))?;
    let lab = state.config.allow_private_webhooks;
    if parsed.scheme() != "https" && !(lab && parsed.scheme() == "http") {
        return Err(ServiceError::invalid(
            "issuer: give the provider's https:// issuer URL",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || parsed.host_str().is_none() {
        return Err(ServiceError::invalid(
            "issuer: give the issuer URL alone, without query or fragment",
        ));
    }
    crate::services::notify::send::reachable_url(&state.config, &issuer)
        .map_err(|e| ServiceError::invalid(format!("issuer: {e}")))?;
    Ok(issuer)
}

fn domains_field(domains: &[String]) -> ServiceResult<Vec<String>> {
    let mut kept: Vec<String> = Vec::with_capacity(domains.len());
    for domain in domains {
        let domain = domain.trim().trim_start_matches('@').to_lowercase();
        let valid = !domain.is_empty()
            && domain.len() <= MAX_DOMAIN_CHARS
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !valid {
            return Err(ServiceError::invalid(format!(
                "email_domains: {domain:?} is not a domain name such as example.com"
            )));
        }
        if !kept.contains(&domain) {
            kept.push(domain);
        }
    }
    if kept.is_empty() || kept.len() > MAX_DOMAINS {
        return Err(ServiceError::invalid(format!(
            "email_domains: give 1 to {MAX_DOMAINS} email domains whose users sign in through this provider"
        )));
    }
    Ok(kept)
}

/// Access the actor may hand out: never owner, never past their own
/// permissions, clients of their organization.
async fn access_field(
    state: &AppState,
    actor: &User,
    field: &str,
    access: SsoAccess,
) -> ServiceResult<SsoAccess> {
    if access.role == Role::Owner {
        return Err(ServiceError::invalid(format!(
            "{field}: single sign-on never grants the owner role; grant it in the users page"
        )));
    }
    let prefix = |error: ServiceError| match error {
        ServiceError::Invalid(message) => ServiceError::Invalid(format!("{field}.{message}")),
        other => other,
    };
    let (role, custom) = users::role_to_grant(state, actor, access.role, access.custom_role_id)
        .await
        .map_err(prefix)?;
    let clients = users::clients_to_grant(state, actor, role, access.client_ids)
        .await
        .map_err(prefix)?;
    Ok(SsoAccess {
        role,
        custom_role_id: custom.map(|c| c.id),
        client_ids: clients,
    })
}

async fn fields(
    state: &AppState,
    actor: &User,
    request: SsoProviderRequest,
    stored_secret: Option<String>,
) -> ServiceResult<SsoProviderFields> {
    let name = text_field("name", &request.name, MAX_NAME_CHARS)?;
    let issuer = issuer_field(state, &request.issuer)?;
    let client_id = text_field("client_id", &request.client_id, MAX_CLIENT_ID_CHARS)?;
    let client_secret_sealed = match (request.client_secret, stored_secret) {
        (Some(secret), _) => {
            let secret = text_field("client_secret", &secret, MAX_CLIENT_SECRET_CHARS)?;
            state.sealer.seal(&secret)
        }
        (None, Some(stored)) => stored,
        (None, None) => {
            return Err(ServiceError::invalid(
                "client_secret: give the client secret the provider issued",
            ))
        }
    };
    let email_domains = domains_field(&request.email_domains)?;
    let groups_claim = match request.groups_claim {
        None => DEFAULT_GROUPS_CLAIM.to_owned(),
        Some(claim) => {
            let claim = text_field("groups_claim", &claim, MAX_CLAIM_CHARS)?;
            if !claim
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-:/.".contains(c))
            {
                return Err(ServiceError::invalid(
                    "groups_claim: a claim name of letters, digits and _ - : / .",
                ));
            }
            claim
        }
    };
    if request.group_rules.len() > MAX_RULES {
        return Err(ServiceError::invalid(format!(
            "group_rules: at most {MAX_RULES} rules"
        )));
    }
    let mut group_rules = Vec::with_capacity(request.group_rules.len());
    for (index, rule) in request.group_rules.into_iter().enumerate() {
        let field = format!("group_rules[{index}]");
        let group = text_field(&format!("{field}.group"), &rule.group, MAX_GROUP_CHARS)?;
        let access = access_field(state, actor, &field, rule.access).await?;
        group_rules.push(SsoGroupRule { group, access });
    }
    let default_access = match request.default_access {
        Some(access) => Some(access_field(state, actor, "default_access", access).await?),
        None => None,
    };
    if request.provision && default_access.is_none() && group_rules.is_empty() {
        return Err(ServiceError::invalid(
            "default_access: a provider that creates users needs a default access or group rules",
        ));
    }
    Ok(SsoProviderFields {
        name,
        issuer,
        client_id,
        client_secret_sealed,
        email_domains,
        provision: request.provision,
        default_access,
        groups_claim,
        group_rules,
        enabled: request.enabled,
    })
}

fn from_store(error: StoreError) -> ServiceError {
    ServiceError::from_store("identity provider")(error)
}

pub async fn create(
    state: &AppState,
    actor: &User,
    request: SsoProviderRequest,
) -> ServiceResult<SsoProvider> {
    let org = actor.organization_id;
    let count = state
        .store
        .list_sso_providers(org)
        .await
        .map_err(ServiceError::internal)?
        .len();
    if count >= MAX_PROVIDERS {
        return Err(ServiceError::Conflict(format!(
            "an organization trusts at most {MAX_PROVIDERS} identity providers; delete one first"
        )));
    }
    let fields = fields(state, actor, request, None).await?;
    state
        .store
        .create_sso_provider(org, fields)
        .await
        .map_err(from_store)
}

pub async fn update(
    state: &AppState,
    actor: &User,
    id: SsoProviderId,
    request: SsoProviderRequest,
) -> ServiceResult<SsoProvider> {
    let org = actor.organization_id;
    let stored = state
        .store
        .get_sso_provider(org, id)
        .await
        .map_err(from_store)?;
    let fields = fields(state, actor, request, Some(stored.client_secret_sealed)).await?;
    if !fields.enabled {
        refuse_lockout(state, org, id).await?;
    }
    state
        .store
        .update_sso_provider(org, id, fields)
        .await
        .map_err(from_store)
}

pub async fn delete(state: &AppState, actor: &User, id: SsoProviderId) -> ServiceResult<()> {
    let org = actor.organization_id;
    let providers = state
        .store
        .list_sso_providers(org)
        .await
        .map_err(ServiceError::internal)?;
    if !providers.iter().any(|p| p.id == id) {
        return Err(ServiceError::NotFound("identity provider"));
    }
    refuse_lockout(state, org, id).await?;
    state
        .store
        .delete_sso_provider(org, id)
        .await
        .map_err(from_store)
}

/// Refuses disabling or deleting the provider `going` when the organization
/// signs in only through single sign-on and no other provider is enabled
/// (only owners could still sign in).
async fn refuse_lockout(
    state: &AppState,
    org: gururmm_protocol::OrganizationId,
    going: SsoProviderId,
) -> ServiceResult<()> {
    if !state
        .store
        .sso_only(org)
        .await
        .map_err(ServiceError::internal)?
    {
        return Ok(());
    }
    let others = state
        .store
        .list_sso_providers(org)
        .await
        .map_err(ServiceError::internal)?
        .iter()
        .any(|p| p.id != going && p.enabled);
    if others {
        return Ok(());
    }
    Err(ServiceError::Conflict(
        "this is the last enabled provider and the organization signs in only through single sign-on; turn that off first".into(),
    ))
}

/// Turns "single sign-on only" on or off (`None`: unchanged); on needs an
/// enabled provider. Recorded here, with the setting before and after; no
/// record, no change.
pub async fn set_sso_only(
    state: &AppState,
    current: &crate::auth::CurrentUser,
    wanted: Option<bool>,
    ip: Option<IpAddr>,
) -> ServiceResult<bool> {
    let org = current.user.organization_id;
    let before = state
        .store
        .sso_only(org)
        .await
        .map_err(ServiceError::internal)?;
    let after = wanted.unwrap_or(before);
    if after && !before {
        let enabled = state
            .store
            .list_sso_providers(org)
            .await
            .map_err(ServiceError::internal)?
            .iter()
            .any(|p| p.enabled);
        if !enabled {
            return Err(ServiceError::Conflict(
                "add and enable an identity provider before requiring single sign-on".into(),
            ));
        }
    }
    audit::record(
        state.store.as_ref(),
        gururmm_store::NewAuditEvent {
            organization_id: org,
            at: Utc::now(),
            actor: audit::caller_actor(current),
            action: "put_sso_settings".into(),
            target_kind: Some("sso".into()),
            target_id: None,
            source_ip: ip.map(|ip| ip.to_string()),
            details: json!({"before": {"sso_only": before}, "after": {"sso_only": after}}),
        },
    )
    .await
    .map_err(|_| ServiceError::AuditUnavailable)?;
    state
        .store
        .set_sso_only(org, after)
        .await
        .map_err(ServiceError::internal)?;
    Ok(after)
}

/// Why a password sign-in is refused in a "single sign-on only"
/// organization (its owners keep their password, to get in when the
/// provider is down).
pub async fn refuse_password_sign_in(state: &AppState, user: &User) -> ServiceResult<()> {
    if user.role == Role::Owner {
        return Ok(());
    }
    if state
        .store
        .sso_only(user.organization_id)
        .await
        .map_err(ServiceError::internal)?
    {
        return Err(ServiceError::Unauthorized {
            code: "sso_required",
            message: "your organization signs in through single sign-on; use its sign-in link"
                .into(),
        });
    }
    Ok(())
}

/// A client of the provider with its endpoints from discovery.
type DiscoveredClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The provider's metadata and a client for it.
async fn client(state: &AppState, provider: &SsoProvider) -> ServiceResult<DiscoveredClient> {
    let issuer = IssuerUrl::new(provider.issuer.clone())
        .map_err(|e| ServiceError::Upstream(format!("the issuer URL is invalid: {e}")))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, &state.webhooks)
        .await
        .map_err(|e| {
            ServiceError::Upstream(format!(
                "the identity provider {} could not be reached or described itself wrongly: {}",
                provider.name,
                error_chain(&e)
            ))
        })?;
    let secret = state
        .sealer
        .open(&provider.client_secret_sealed)
        .map_err(|_| {
            ServiceError::internal("the client secret does not open with this server's key")
        })?;
    let redirect = RedirectUrl::new(redirect_uri(state)).map_err(ServiceError::internal)?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        OidcClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(secret)),
    )
    .set_redirect_uri(redirect);
    Ok(client)
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    crate::text::truncate(&text, 300)
}

/// A dashboard path to land on, or nothing (never another site).
fn return_path(return_to: Option<&str>) -> Option<String> {
    let path = return_to?.trim();
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path.len() <= MAX_URL_CHARS;
    local.then(|| path.to_owned())
}

/// The provider a sign-in link names, as the sign-in page shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoProviderButton {
    pub id: SsoProviderId,
    pub name: String,
}

async fn enabled_provider(state: &AppState, id: SsoProviderId) -> ServiceResult<SsoProvider> {
    match state.store.sso_provider_for_sign_in(id).await {
        Ok(provider) if provider.enabled => Ok(provider),
        Ok(_) | Err(StoreError::NotFound) => Err(ServiceError::NotFound("sign-in provider")),
        Err(error) => Err(ServiceError::internal(error)),
    }
}

pub async fn button(state: &AppState, id: SsoProviderId) -> ServiceResult<SsoProviderButton> {
    let provider = enabled_provider(state, id).await?;
    Ok(SsoProviderButton {
        id: provider.id,
        name: provider.name,
    })
}

/// Where to send the browser, and the `state` its cookie must hold.
pub struct Started {
    pub authorization_url: String,
    pub state: String,
}

pub async fn start(
    state: &AppState,
    id: SsoProviderId,
    return_to: Option<&str>,
) -> ServiceResult<Started> {
    let provider = enabled_provider(state, id).await?;
    let pending = state
        .store
        .pending_sso_logins(provider.id, Utc::now())
        .await
        .map_err(ServiceError::internal)?;
    if pending >= MAX_PENDING_SIGN_INS {
        return Err(ServiceError::RateLimited {
            message: "too many sign-ins through this provider are in progress; try again in a few minutes"
                .into(),
            retry_after: std::time::Duration::from_secs(60),
        });
    }
    let client = client(state, &provider).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let csrf = CsrfToken::new(new_session_token());
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || csrf,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let login = SsoLogin {
        provider_id: provider.id,
        organization_id: provider.organization_id,
        nonce: nonce.secret().clone(),
        pkce_verifier_sealed: state.sealer.seal(verifier.secret()),
        return_to: return_path(return_to),
        expires_at: Utc::now() + Duration::minutes(SIGN_IN_MINUTES),
    };
    state
        .store
        .put_sso_login(&sha256_hex(csrf.secret()), login)
        .await
        .map_err(from_store)?;
    Ok(Started {
        authorization_url: url.to_string(),
        state: csrf.secret().clone(),
    })
}

/// What the provider sent the browser back with.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider's refusal (the user cancelled, or may not use the app).
    pub error: Option<String>,
}

/// A refused sign-in: what the person is told, and what the audit log
/// keeps (which may say more).
pub struct Refused {
    pub message: String,
    /// The dashboard path the sign-in was for, when known.
    pub return_to: Option<String>,
    /// The organization whose log records it, with the provider's name, when known.
    pub organization: Option<(gururmm_protocol::OrganizationId, String)>,
    pub reason: String,
}

impl Refused {
    fn new(message: &str, reason: impl Into<String>) -> Self {
        Refused {
            message: message.into(),
            return_to: None,
            organization: None,
            reason: reason.into(),
        }
    }
}

const NOT_VERIFIED: &str = "the identity provider's answer could not be verified; try again";
const STALE: &str = "this sign-in expired or was started in another browser; start again";
const NOT_ALLOWED: &str =
    "your account may not sign in here through this provider; ask your administrator";

/// Finishes a sign-in: verifies the provider's answer and opens a session.
pub async fn finish(
    state: &AppState,
    callback: Callback,
    cookie_state: Option<&str>,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
) -> Result<(LoginSuccess, Option<String>), Refused> {
    let sent_state = callback.state.as_deref().unwrap_or_default();
    let bound = cookie_state.is_some_and(|cookie| {
        use subtle::ConstantTimeEq;
        !sent_state.is_empty() && bool::from(cookie.as_bytes().ct_eq(sent_state.as_bytes()))
    });
    if !bound {
        return Err(Refused::new(
            STALE,
            "the state does not match this browser's",
        ));
    }
    let login = match state
        .store
        .take_sso_login(&sha256_hex(sent_state), Utc::now())
        .await
    {
        Ok(Some(login)) => login,
        Ok(None) => return Err(Refused::new(STALE, "unknown, used or expired state")),
        Err(error) => return Err(Refused::new(NOT_VERIFIED, error.to_string())),
    };
    let org = login.organization_id;
    let provider = state.store.get_sso_provider(org, login.provider_id).await;
    let provider_name = provider
        .as_ref()
        .map(|p| p.name.clone())
        .unwrap_or_else(|_| login.provider_id.to_string());
    let refused = |message: &str, reason: String| Refused {
        message: message.into(),
        return_to: login.return_to.clone(),
        organization: Some((org, provider_name.clone())),
        reason,
    };
    if let Some(error) = callback.error {
        let error: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(60)
            .collect();
        return Err(refused(
            "the identity provider did not sign you in",
            format!("the provider answered {error}"),
        ));
    }
    let Some(code) = callback.code.filter(|c| !c.is_empty() && c.len() <= 4_096) else {
        return Err(refused(NOT_VERIFIED, "no authorization code".into()));
    };
    let provider = match provider {
        Ok(provider) if provider.enabled => provider,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(refused(
                NOT_ALLOWED,
                "the provider is disabled or gone".into(),
            ))
        }
        Err(error) => return Err(refused(NOT_VERIFIED, error.to_string())),
    };
    let identity = match verified_identity(state, &provider, &login, code).await {
        Ok(identity) => identity,
        Err(reason) => return Err(refused(NOT_VERIFIED, reason)),
    };
    let user = match user_for(state, &provider, &identity).await {
        Ok(user) => user,
        Err((message, reason)) => return Err(refused(message, reason)),
    };
    audit::record_sign_in(
        state,
        org,
        audit::user_actor(&user),
        "sign_in",
        ip,
        json!({"method": "sso", "provider": provider.name, "user_agent": user_agent}),
    )
    .await;
    match login::start_session(state, user, ip, user_agent).await {
        Ok(success) => Ok((success, login.return_to)),
        Err(error) => Err(refused(&error.to_string(), format!("no session: {error}"))),
    }
}

/// Who the provider says signed in.
struct Identity {
    subject: String,
    email: String,
    groups: Vec<String>,
}

/// Exchanges the code (with the PKCE verifier) and verifies the ID token.
async fn verified_identity(
    state: &AppState,
    provider: &SsoProvider,
    login: &SsoLogin,
    code: String,
) -> Result<Identity, String> {
    let client = client(state, provider).await.map_err(|e| e.to_string())?;
    let verifier = state
        .sealer
        .open(&login.pkce_verifier_sealed)
        .map_err(|_| "the PKCE verifier does not open".to_string())?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| format!("the provider has no token endpoint: {e}"))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&state.webhooks)
        .await
        .map_err(|e| format!("the token request failed: {}", error_chain(&e)))?;
    let id_token = response
        .id_token()
        .ok_or_else(|| "the token response has no ID token".to_string())?;
    let id_verifier = client.id_token_verifier().set_allowed_algs(ALGORITHMS);
    let claims = id_token
        .claims(&id_verifier, &Nonce::new(login.nonce.clone()))
        .map_err(|e| format!("the ID token was refused: {}", error_chain(&e)))?;
    if let Some(expected) = claims.access_token_hash() {
        let algorithm = id_token.signing_alg().map_err(|e| e.to_string())?;
        let key = id_token
            .signing_key(&id_verifier)
            .map_err(|e| e.to_string())?;
        let actual = AccessTokenHash::from_token(response.access_token(), algorithm, key)
            .map_err(|e| e.to_string())?;
        if actual != *expected {
            return Err("the access token does not match the ID token's at_hash".into());
        }
    }
    if claims.email_verified() == Some(false) {
        return Err("the provider says the email address is not verified".into());
    }
    let email = claims
        .email()
        .map(|email| email.as_str().trim().to_lowercase())
        .filter(|email| !email.is_empty() && email.len() <= 254)
        .ok_or_else(|| {
            "the ID token has no email claim (add the email scope or claim at the provider)"
                .to_string()
        })?;
    // The signature was verified over this very text: its other claims
    // (the groups) are the provider's too.
    let payload = id_token
        .to_string()
        .split('.')
        .nth(1)
        .and_then(|part| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .unwrap_or(Value::Null);
    let groups = match &payload[&provider.groups_claim] {
        Value::Array(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .take(MAX_GROUPS)
            .collect(),
        Value::String(one) => vec![one.clone()],
        _ => Vec::new(),
    };
    Ok(Identity {
        subject: claims.subject().as_str().to_owned(),
        email,
        groups,
    })
}

/// The user the identity is: linked before, found by email, or created.
async fn user_for(
    state: &AppState,
    provider: &SsoProvider,
    identity: &Identity,
) -> Result<User, (&'static str, String)> {
    let internal = |error: &dyn std::fmt::Display| (NOT_VERIFIED, error.to_string());
    let org = provider.organization_id;
    let domain = identity
        .email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or_default();
    if !provider.email_domains.iter().any(|d| d == domain) {
        return Err((
            NOT_ALLOWED,
            format!("{} is not in the provider's email domains", identity.email),
        ));
    }
    let now = Utc::now();
    let linked = state
        .store
        .sso_identity_user(provider.id, &identity.subject, now)
        .await
        .map_err(|e| internal(&e))?;
    let user = match linked {
        Some(id) => state
            .store
            .get_org_user(org, id)
            .await
            .map_err(|e| internal(&e))?,
        None => {
            let found = state
                .store
                .find_user_by_email(&identity.email)
                .await
                .map_err(|e| internal(&e))?;
            let user = match found {
                Some(found) if found.user.organization_id == org => found.user,
                Some(_) => {
                    return Err((
                        NOT_ALLOWED,
                        format!("{} is a user of another organization", identity.email),
                    ))
                }
                None if provider.provision => provision(state, provider, identity).await?,
                None => {
                    return Err((
                        NOT_ALLOWED,
                        format!(
                            "{} has no account and the provider does not create users",
                            identity.email
                        ),
                    ))
                }
            };
            state
                .store
                .link_sso_identity(org, provider.id, &identity.subject, user.id, now)
                .await
                .map_err(|e| internal(&e))?;
            user
        }
    };
    if user.disabled_at.is_some() {
        return Err((NOT_ALLOWED, format!("{} is disabled", user.email)));
    }
    follow_groups(state, provider, identity, user).await
}

/// Checks that the access still names what exists (a custom role, clients).
async fn existing_access(
    state: &AppState,
    org: gururmm_protocol::OrganizationId,
    access: &SsoAccess,
) -> Result<Option<Vec<ClientId>>, (&'static str, String)> {
    if let Some(role) = access.custom_role_id {
        if state.store.get_role(org, role).await.is_err() {
            return Err((
                NOT_ALLOWED,
                "the provider grants a custom role that no longer exists".into(),
            ));
        }
    }
    let Some(clients) = &access.client_ids else {
        return Ok(None);
    };
    let mut kept = Vec::with_capacity(clients.len());
    for client in clients {
        if state.store.get_client(org, *client).await.is_ok() {
            kept.push(*client);
        }
    }
    if kept.is_empty() {
        return Err((
            NOT_ALLOWED,
            "every client the provider grants access to was deleted".into(),
        ));
    }
    Ok(Some(kept))
}

async fn provision(
    state: &AppState,
    provider: &SsoProvider,
    identity: &Identity,
) -> Result<User, (&'static str, String)> {
    let org = provider.organization_id;
    let Some(access) = provider.access_for(&identity.groups) else {
        return Err((
            NOT_ALLOWED,
            format!("{} is in no group the provider lets in", identity.email),
        ));
    };
    let clients = existing_access(state, org, access).await?;
    // Nobody knows this password: the user signs in through the provider
    // (an administrator may still send a password link).
    let unusable = new_session_token();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&unusable))
        .await
        .map_err(|e| (NOT_VERIFIED, e.to_string()))?
        .map_err(|e| (NOT_VERIFIED, e.to_string()))?;
    let user = state
        .store
        .create_user(NewUser {
            organization_id: org,
            email: identity.email.clone(),
            password_hash,
            role: access.role,
            custom_role: access.custom_role_id,
            clients,
        })
        .await
        .map_err(|e| (NOT_VERIFIED, e.to_string()))?;
    if let Err(error) = audit::record(
        state.store.as_ref(),
        gururmm_store::NewAuditEvent {
            organization_id: org,
            at: Utc::now(),
            actor: audit::user_actor(&user),
            action: "sso_provision".into(),
            target_kind: Some("users".into()),
            target_id: Some(user.id.to_string()),
            source_ip: None,
            details: json!({"provider": provider.name, "role": user.role.as_str(),
                "custom_role_id": access.custom_role_id, "client_ids": user.clients}),
        },
    )
    .await
    {
        tracing::error!(%error, "recording a provisioned user failed");
    }
    Ok(user)
}

/// With group rules, a user's access follows their groups at each sign-in
/// (an owner's never changes this way).
async fn follow_groups(
    state: &AppState,
    provider: &SsoProvider,
    identity: &Identity,
    user: User,
) -> Result<User, (&'static str, String)> {
    if provider.group_rules.is_empty() || user.role == Role::Owner {
        return Ok(user);
    }
    let org = provider.organization_id;
    let Some(access) = provider.access_for(&identity.groups) else {
        return Err((
            NOT_ALLOWED,
            format!("{} is in no group the provider lets in", identity.email),
        ));
    };
    let clients = existing_access(state, org, access).await?;
    let same = user.role == access.role
        && user.custom_role.as_ref().map(|r| r.id) == access.custom_role_id
        && user.clients == clients;
    if same {
        return Ok(user);
    }
    state
        .store
        .set_user_access(
            org,
            user.id,
            access.role,
            access.custom_role_id,
            clients.as_deref(),
        )
        .await
        .map_err(|e| (NOT_VERIFIED, e.to_string()))?;
    state.sessions.remove_user(user.id);
    state
        .store
        .get_org_user(org, user.id)
        .await
        .map_err(|e| (NOT_VERIFIED, e.to_string()))
}
