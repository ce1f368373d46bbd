//! The credential vault: customer credentials per client (or one of its
//! sites), typed, listed without their values, revealed only to a caller
//! holding `view_secrets` who proves again who they are (their password, or
//! a code of their authenticator app), each reveal in the audit log.
//! Values are encrypted with the organization's data key (`vault_keys.rs`).
//!
//! A script run may also give a secret parameter an entry instead of a value:
//! the command keeps a reference, and [`values_for_command`] decrypts it only
//! to put it into the frame that sends the command to its agent.

use crate::auth::secrets::verify_password;
use crate::auth::CurrentUser;
use crate::services::error::{ServiceError, ServiceResult};
use crate::services::second_factor::{self, Check, Offered};
use crate::state::AppState;
use crate::vault_keys::{DataKey, KeyRing, WrappedKey};
use chrono::Utc;
use gururmm_protocol::{ClientId, OrganizationId, SiteId, VaultEntryId};
use gururmm_store::{
    AuditActor, CommandRecord, NewAuditEvent, StoreError, StoredDataKey, User, VaultEntry,
    VaultReference,
};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What an entry may hold.
pub const KINDS: [&str; 5] = ["password", "ssh_key", "api_token", "note", "totp_seed"];
pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_USERNAME_CHARS: usize = 200;
pub const MAX_URL_CHARS: usize = 2_000;
pub const MAX_NOTES_CHARS: usize = 2_000;
/// Longest value (an SSH private key fits).
pub const MAX_SECRET_BYTES: usize = 16 * 1024;
/// Most entries one client keeps.
pub const MAX_ENTRIES_PER_CLIENT: usize = 1_000;

/// What a caller gives for an entry; `secret` left out of an edit keeps it.
pub struct EntryFields {
    pub site_id: Option<SiteId>,
    pub name: String,
    pub kind: String,
    pub username: Option<String>,
    pub url: Option<String>,
    pub notes: String,
    pub secret: Option<String>,
}

fn optional(value: Option<String>, field: &str, max: usize) -> ServiceResult<Option<String>> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        return Err(ServiceError::invalid(format!(
            "{field}: at most {max} characters"
        )));
    }
    Ok(value)
}

/// Checks the fields; answers them trimmed.
fn checked(fields: EntryFields, new: bool) -> ServiceResult<EntryFields> {
    let name = fields.name.trim().to_owned();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || crate::text::has_hidden_characters(&name)
    {
        return Err(ServiceError::invalid(format!(
            "name: give a name of 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if !KINDS.contains(&fields.kind.as_str()) {
        return Err(ServiceError::invalid(format!(
            "kind: one of {}",
            KINDS.join(", ")
        )));
    }
    match &fields.secret {
        None if new => {
            return Err(ServiceError::invalid(
                "secret: the value to keep is required",
            ))
        }
        Some(secret)
            if secret.is_empty() || secret.len() > MAX_SECRET_BYTES || secret.contains('\0') =>
        {
            return Err(ServiceError::invalid(format!(
                "secret: 1 to {MAX_SECRET_BYTES} bytes, without NUL"
            )))
        }
        _ => {}
    }
    let notes = fields.notes.trim().to_owned();
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(ServiceError::invalid(format!(
            "notes: at most {MAX_NOTES_CHARS} characters"
        )));
    }
    Ok(EntryFields {
        site_id: fields.site_id,
        name,
        kind: fields.kind,
        username: optional(fields.username, "username", MAX_USERNAME_CHARS)?,
        url: optional(fields.url, "url", MAX_URL_CHARS)?,
        notes,
        secret: fields.secret,
    })
}

/// The organization's data key, made (and kept wrapped) on first use. A key
/// wrapped by a master key this process does not know yet (a rotation from
/// the command line) reloads the key ring file.
async fn data_key(state: &AppState, org: OrganizationId) -> ServiceResult<DataKey> {
    let stored = match state
        .store
        .vault_data_key(org)
        .await
        .map_err(ServiceError::internal)?
    {
        Some(stored) => stored,
        None => {
            let wrapped = {
                let ring = state.vault_keys.read().map_err(ServiceError::internal)?;
                ring.new_data_key(org).1
            };
            state
                .store
                .put_vault_data_key(StoredDataKey {
                    organization_id: org,
                    master_key_id: wrapped.master_key_id,
                    wrapped_key: wrapped.wrapped,
                })
                .await
                .map_err(ServiceError::from_store("organization"))?
        }
    };
    let wrapped = WrappedKey {
        master_key_id: stored.master_key_id,
        wrapped: stored.wrapped_key,
    };
    {
        let ring = state.vault_keys.read().map_err(ServiceError::internal)?;
        if let Ok(key) = ring.unwrap(org, &wrapped) {
            return Ok(key);
        }
    }
    let reloaded = match &state.vault_key_file {
        Some(path) => KeyRing::load_or_create(path).map_err(ServiceError::internal)?,
        None => return Err(ServiceError::internal("the vault's data key does not open")),
    };
    let key = reloaded.unwrap(org, &wrapped).map_err(|_| {
        ServiceError::internal(
            "the vault's data key does not open with any master key in vault.keys",
        )
    })?;
    *state.vault_keys.write().map_err(ServiceError::internal)? = reloaded;
    Ok(key)
}

/// 404 unless the site is one of the client's.
async fn check_site(
    state: &AppState,
    org: OrganizationId,
    client: ClientId,
    site: Option<SiteId>,
) -> ServiceResult<()> {
    if let Some(site) = site {
        let found = state
            .store
            .get_site(org, site)
            .await
            .map_err(ServiceError::from_store("site"))?;
        if found.client_id != client {
            return Err(ServiceError::invalid(
                "site_id: a site of the entry's client",
            ));
        }
    }
    Ok(())
}

pub async fn list(
    state: &AppState,
    org: OrganizationId,
    client: ClientId,
) -> ServiceResult<Vec<VaultEntry>> {
    state
        .store
        .get_client(org, client)
        .await
        .map_err(ServiceError::from_store("client"))?;
    state
        .store
        .list_vault_entries(org, client)
        .await
        .map_err(ServiceError::internal)
}

pub async fn create(
    state: &AppState,
    current: &CurrentUser,
    client: ClientId,
    fields: EntryFields,
) -> ServiceResult<VaultEntry> {
    let org = current.user.organization_id;
    let fields = checked(fields, true)?;
    let existing = list(state, org, client).await?;
    if existing.len() >= MAX_ENTRIES_PER_CLIENT {
        return Err(ServiceError::Conflict(format!(
            "a client keeps at most {MAX_ENTRIES_PER_CLIENT} vault entries"
        )));
    }
    check_site(state, org, client, fields.site_id).await?;
    let key = data_key(state, org).await?;
    let id = VaultEntryId::new();
    let now = Utc::now();
    let entry = VaultEntry {
        id,
        organization_id: org,
        client_id: client,
        site_id: fields.site_id,
        name: fields.name,
        kind: fields.kind,
        username: fields.username,
        url: fields.url,
        notes: fields.notes,
        value_sealed: key.encrypt(org, id, fields.secret.as_deref().unwrap_or_default()),
        created_at: now,
        updated_at: now,
        created_by_email: current.user.email.clone(),
        updated_by_email: current.user.email.clone(),
    };
    state
        .store
        .create_vault_entry(entry)
        .await
        .map_err(ServiceError::from_store("client"))
}

pub async fn update(
    state: &AppState,
    current: &CurrentUser,
    id: VaultEntryId,
    fields: EntryFields,
) -> ServiceResult<VaultEntry> {
    let org = current.user.organization_id;
    let before = get(state, current, id).await?;
    let fields = checked(fields, false)?;
    check_site(state, org, before.client_id, fields.site_id).await?;
    let value_sealed = match &fields.secret {
        Some(secret) => data_key(state, org).await?.encrypt(org, id, secret),
        None => before.value_sealed.clone(),
    };
    state
        .store
        .update_vault_entry(VaultEntry {
            site_id: fields.site_id,
            name: fields.name,
            kind: fields.kind,
            username: fields.username,
            url: fields.url,
            notes: fields.notes,
            value_sealed,
            updated_at: Utc::now(),
            updated_by_email: current.user.email.clone(),
            ..before
        })
        .await
        .map_err(ServiceError::from_store("vault entry"))
}

/// The entry, when the caller may see its client.
pub async fn get(
    state: &AppState,
    current: &CurrentUser,
    id: VaultEntryId,
) -> ServiceResult<VaultEntry> {
    entry_of(state, &current.user, id).await
}

/// The entry of the user's organization, when they may reach its client (a
/// client-scoped user's other clients are a 404, like a missing entry).
async fn entry_of(state: &AppState, user: &User, id: VaultEntryId) -> ServiceResult<VaultEntry> {
    let entry = state
        .store
        .get_vault_entry(user.organization_id, id)
        .await
        .map_err(ServiceError::from_store("vault entry"))?;
    if user
        .clients
        .as_ref()
        .is_some_and(|clients| !clients.contains(&entry.client_id))
    {
        return Err(ServiceError::NotFound("vault entry"));
    }
    Ok(entry)
}

/// The entries a script run names for its secret parameters (by parameter
/// name), as the commands keep them: references, never values. Using an entry
/// needs no `view_secrets` (the caller never sees the value), only an entry
/// of a client they may reach; whether it may run on the job's agents is the
/// caller's next check ([`crate::services::jobs`]).
pub async fn references_for_run(
    state: &AppState,
    user: &User,
    named: &BTreeMap<String, VaultEntryId>,
) -> ServiceResult<Vec<(String, VaultEntry)>> {
    let mut entries = Vec::with_capacity(named.len());
    for (variable, id) in named {
        entries.push((variable.clone(), entry_of(state, user, *id).await?));
    }
    Ok(entries)
}

/// The reference a command keeps of an entry.
pub fn reference(entry: &VaultEntry) -> VaultReference {
    VaultReference {
        vault_entry_id: entry.id,
        entry_name: entry.name.clone(),
    }
}

/// Records in the audit log that `actor` had commands use these entries
/// (`vault_entry_used`, one event per entry, naming it and what used it).
/// The request that made the commands is already recorded; a failure here is
/// logged, never undoes the commands.
pub async fn record_uses(
    state: &AppState,
    actor: &AuditActor,
    org: OrganizationId,
    references: &BTreeMap<String, VaultReference>,
    used_by: serde_json::Value,
) {
    let mut by_entry: BTreeMap<VaultEntryId, (String, Vec<String>)> = BTreeMap::new();
    for (variable, reference) in references {
        by_entry
            .entry(reference.vault_entry_id)
            .or_insert_with(|| (reference.entry_name.clone(), Vec::new()))
            .1
            .push(variable.clone());
    }
    for (id, (name, variables)) in by_entry {
        let event = NewAuditEvent {
            organization_id: org,
            at: Utc::now(),
            actor: actor.clone(),
            action: "vault_entry_used".into(),
            target_kind: Some("vault".into()),
            target_id: Some(id.to_string()),
            source_ip: None,
            details: serde_json::json!({"entry_name": name, "variables": variables, "used_by": used_by}),
        };
        if let Err(error) = crate::services::audit::record(state.store.as_ref(), event).await {
            tracing::error!(%error, entry = %id, "recording a vault entry's use failed");
        }
    }
}

/// Why a command's vault variables have no values.
#[derive(Debug)]
pub enum Unresolved {
    /// The command cannot run as it was made (an entry was deleted, belongs
    /// to another client than the agent's now, or does not decrypt): the
    /// message is the command's error.
    Refused(String),
    /// The database or the key ring failed; another dispatch may succeed.
    Failed(ServiceError),
}

/// The values of a command's vault variables, decrypted for sending to its
/// agent and nowhere else: each entry must still exist in the command's
/// organization and belong to the agent's client (it may have moved since the
/// command was made).
pub async fn values_for_command(
    state: &AppState,
    command: &CommandRecord,
) -> Result<BTreeMap<String, String>, Unresolved> {
    let org = command.organization_id;
    let agent_client = match state.store.get_agent(org, command.agent_id).await {
        Ok(detail) => detail.agent.client_id,
        Err(StoreError::NotFound) => {
            return Err(Unresolved::Refused("the agent was deleted".into()))
        }
        Err(error) => return Err(Unresolved::Failed(ServiceError::internal(error))),
    };
    let key = data_key(state, org).await.map_err(Unresolved::Failed)?;
    let mut values = BTreeMap::new();
    for (variable, reference) in &command.vault_env {
        let id = reference.vault_entry_id;
        let named = format!(
            "vault entry \"{}\" ({id}) for {variable}",
            reference.entry_name
        );
        let entry = match state.store.get_vault_entry(org, id).await {
            Ok(entry) => entry,
            Err(StoreError::NotFound) => {
                return Err(Unresolved::Refused(format!(
                    "{named} no longer exists; the command did not run"
                )))
            }
            Err(error) => return Err(Unresolved::Failed(ServiceError::internal(error))),
        };
        if entry.client_id != agent_client {
            return Err(Unresolved::Refused(format!(
                "{named} belongs to another client than this agent's; the command did not run"
            )));
        }
        let value = key.decrypt(org, id, &entry.value_sealed).map_err(|_| {
            Unresolved::Refused(format!(
                "{named} does not decrypt (it was changed outside the server); the command did not run"
            ))
        })?;
        values.insert(variable.clone(), value);
    }
    Ok(values)
}

/// How a caller proves again who they are before a value is shown.
pub struct Proof<'a> {
    pub password: Option<&'a str>,
    pub totp: Option<&'a str>,
}

/// Checks the proof: the caller's password, or a current code of their
/// authenticator app. Failures count against sign-in's limits.
async fn reauthenticate(
    state: &AppState,
    current: &CurrentUser,
    ip: Option<IpAddr>,
    proof: &Proof<'_>,
) -> ServiceResult<()> {
    let email = current.user.email.clone();
    if let crate::auth::limiter::LoginGate::Locked { retry_after } =
        state.login_limiter.gate(&email, ip)
    {
        return Err(ServiceError::RateLimited {
            message: "too many wrong answers; wait before trying again".into(),
            retry_after,
        });
    }
    let user = state
        .store
        .get_user(current.user.id)
        .await
        .map_err(ServiceError::from_store("user"))?;
    let passed = match (proof.totp.filter(|c| !c.trim().is_empty()), proof.password) {
        (Some(code), _) => {
            if !user.user.second_factor {
                return Err(ServiceError::invalid(
                    "totp: you have no authenticator app; give your password",
                ));
            }
            let offered = Offered {
                totp: Some(code),
                recovery_code: None,
                webauthn: None,
            };
            matches!(
                second_factor::check(state, &user.user, &offered).await?,
                Check::Passed(_)
            )
        }
        (None, Some(password)) if !password.is_empty() => {
            let candidate = password.to_owned();
            let hash = user.password_hash.clone();
            tokio::task::spawn_blocking(move || verify_password(&candidate, &hash))
                .await
                .map_err(ServiceError::internal)?
        }
        _ => {
            return Err(ServiceError::invalid(
                "password: give your password, or totp: a code of your authenticator app",
            ))
        }
    };
    if passed {
        Ok(())
    } else {
        state.login_limiter.record_failure(&email, ip, true);
        Err(ServiceError::Forbidden(
            "that password or code is wrong; nothing was shown".into(),
        ))
    }
}

/// The entry's value, to a caller who proved who they are again.
pub async fn reveal(
    state: &AppState,
    current: &CurrentUser,
    id: VaultEntryId,
    ip: Option<IpAddr>,
    proof: &Proof<'_>,
) -> ServiceResult<String> {
    let entry = get(state, current, id).await?;
    reauthenticate(state, current, ip, proof).await?;
    let org = current.user.organization_id;
    let key = data_key(state, org).await?;
    let value = key.decrypt(org, id, &entry.value_sealed).map_err(|_| {
        ServiceError::Conflict(
            "this entry's value does not decrypt: it was changed or moved outside the server"
                .into(),
        )
    })?;
    tracing::info!(user = %current.user.id, entry = %id, "vault entry revealed");
    Ok(value)
}

pub async fn delete(
    state: &AppState,
    current: &CurrentUser,
    id: VaultEntryId,
) -> ServiceResult<()> {
    get(state, current, id).await?;
    state
        .store
        .delete_vault_entry(current.user.organization_id, id)
        .await
        .map_err(ServiceError::from_store("vault entry"))
}

/// Rotates the master key (the command line): a new key first in the key
/// ring, every data key re-wrapped by it, then the old keys dropped.
/// Answers how many data keys were re-wrapped.
pub async fn rotate_master_key(
    store: &dyn gururmm_store::Store,
    path: &std::path::Path,
) -> anyhow::Result<usize> {
    let mut ring = KeyRing::load_or_create(path)?;
    ring.rotate()?;
    let current = ring.ids()[0].clone();
    let mut rewrapped = 0;
    for stored in store.list_vault_data_keys().await? {
        if stored.master_key_id == current {
            continue;
        }
        let old = WrappedKey {
            master_key_id: stored.master_key_id.clone(),
            wrapped: stored.wrapped_key.clone(),
        };
        let new = ring.rewrap(stored.organization_id, &old).map_err(|_| {
            anyhow::anyhow!(
                "the data key of organization {} does not open with vault.keys",
                stored.organization_id
            )
        })?;
        store
            .rewrap_vault_data_key(
                &stored.master_key_id,
                StoredDataKey {
                    organization_id: stored.organization_id,
                    master_key_id: new.master_key_id,
                    wrapped_key: new.wrapped,
                },
            )
            .await?;
        rewrapped += 1;
    }
    ring.drop_old()?;
    Ok(rewrapped)
}
