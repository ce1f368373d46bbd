//! Managing an organization's users: invitations (one-time links, emailed
//! when a mail server is configured, else shown once to copy), password
//! resets, roles, disabling and removing, and each user's own password and
//! sessions.
//!
//! Rules every change keeps: only an owner grants, changes or removes the
//! owner role; nobody grants a role holding a permission they lack, or
//! manages a user who holds one (so a custom role with `manage_users` cannot
//! raise itself or anyone above itself); an organization always keeps an
//! owner who may sign in; nobody disables or removes themselves. A change
//! that alters what a user may do ends their sessions, and the session cache
//! forgets them at once.

use crate::auth::secrets::{hash_password, random_hex, sha256_hex, verify_password};
use crate::services::bootstrap::validate_password;
use crate::services::error::{ServiceError, ServiceResult};
use crate::services::notify::send::send_plain_email;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::{ClientId, InvitationId, RoleId, UserId};
use gururmm_store::{
    CustomRole, Invitation, InvitationKind, NewInvitation, PermissionSet, Role, StoreError, User,
};

/// How long an invitation link works.
pub const INVITATION_HOURS: i64 = 72;
/// How long a password reset link works.
pub const RESET_HOURS: i64 = 24;
/// Longest email address (RFC 5321).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A link made for someone, and how it reaches them.
pub struct LinkSent {
    pub invitation: Invitation,
    /// The link, when no mail server took it: shown once to whoever made it.
    pub link: Option<String>,
    /// Whether the mail server accepted the message.
    pub emailed: bool,
    /// Why the message could not be sent, when a mail server is configured.
    pub email_error: Option<String>,
}

/// A lowercase email address the mail server would take, or a 422 naming `email`.
pub fn valid_email(email: &str) -> ServiceResult<String> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
        return Err(ServiceError::invalid(format!(
            "email: give an address of at most {MAX_EMAIL_CHARS} characters"
        )));
    }
    email
        .parse::<lettre::Address>()
        .map_err(|_| ServiceError::invalid(format!("email: {email:?} is not an email address")))?;
    Ok(email)
}

/// Refuses a change to or from the owner role by someone who is not an owner.
fn check_owner_rule(actor: &User, role: Role) -> ServiceResult<()> {
    if role == Role::Owner && actor.role != Role::Owner {
        return Err(ServiceError::Forbidden(
            "only an owner may grant, change or remove the owner role".into(),
        ));
    }
    Ok(())
}

/// Refuses whoever would hand out (or take from someone) permissions they
/// do not hold themselves.
pub fn check_holds(actor: &User, permissions: PermissionSet, what: &str) -> ServiceResult<()> {
    let lacking: Vec<&str> = permissions
        .iter()
        .filter(|p| !actor.permissions.contains(*p))
        .map(|p| p.as_str())
        .collect();
    if lacking.is_empty() {
        return Ok(());
    }
    Err(ServiceError::Forbidden(format!(
        "{what} holds permissions you do not have ({}); ask someone who holds them",
        lacking.join(", ")
    )))
}

/// Refuses managing `target` (their role, access, password or second factor)
/// unless the actor holds every permission the target does, and the owner
/// rule.
pub fn check_may_manage(actor: &User, target: &User) -> ServiceResult<()> {
    check_owner_rule(actor, target.role)?;
    check_holds(actor, target.permissions, &target.email)
}

/// A role to grant, checked: a built-in role without `custom_role`, or
/// [`Role::Custom`] naming one of the organization's custom roles; only an
/// owner grants owner, and nobody grants permissions they lack.
pub async fn role_to_grant(
    state: &AppState,
    actor: &User,
    role: Role,
    custom_role: Option<RoleId>,
) -> ServiceResult<(Role, Option<CustomRole>)> {
    check_owner_rule(actor, role)?;
    match (role, custom_role) {
        (Role::Custom, Some(id)) => {
            let custom = state
                .store
                .get_role(actor.organization_id, id)
                .await
                .map_err(ServiceError::from_store("role"))?;
            check_holds(
                actor,
                custom.permissions,
                &format!("the role {}", custom.name),
            )?;
            Ok((role, Some(custom)))
        }
        (Role::Custom, None) => Err(ServiceError::invalid(
            "custom_role_id: name the custom role to grant",
        )),
        (_, Some(_)) => Err(ServiceError::invalid(
            "custom_role_id: only with the role custom",
        )),
        (role, None) => {
            check_holds(
                actor,
                role.permissions(),
                &format!("the role {}", role.as_str()),
            )?;
            Ok((role, None))
        }
    }
}

/// Refuses leaving the organization without an owner who may sign in.
async fn keep_an_owner(state: &AppState, target: &User) -> ServiceResult<()> {
    if target.role != Role::Owner || target.disabled_at.is_some() {
        return Ok(());
    }
    let owners = state
        .store
        .count_active_owners(target.organization_id)
        .await
        .map_err(ServiceError::internal)?;
    if owners <= 1 {
        return Err(ServiceError::Conflict(format!(
            "{} is the organization's only owner; make someone else an owner first",
            target.email
        )));
    }
    Ok(())
}

async fn target(state: &AppState, actor: &User, id: UserId) -> ServiceResult<User> {
    state
        .store
        .get_org_user(actor.organization_id, id)
        .await
        .map_err(ServiceError::from_store("user"))
}

fn not_yourself(actor: &User, target: &User, what: &str) -> ServiceResult<()> {
    if actor.id == target.id {
        return Err(ServiceError::Conflict(format!(
            "you cannot {what} yourself; ask another administrator"
        )));
    }
    Ok(())
}

/// Most clients one user's access may name.
pub const MAX_SCOPE_CLIENTS: usize = 1_000;

/// A client scope to grant, checked: `None` for the whole organization, else
/// at least one of the organization's clients (each once); never for an owner.
pub async fn clients_to_grant(
    state: &AppState,
    actor: &User,
    role: Role,
    clients: Option<Vec<ClientId>>,
) -> ServiceResult<Option<Vec<ClientId>>> {
    let Some(mut clients) = clients else {
        return Ok(None);
    };
    if role == Role::Owner {
        return Err(ServiceError::invalid(
            "client_ids: an owner's access covers the whole organization; leave client_ids out",
        ));
    }
    clients.sort();
    clients.dedup();
    if clients.is_empty() || clients.len() > MAX_SCOPE_CLIENTS {
        return Err(ServiceError::invalid(format!(
            "client_ids: give 1 to {MAX_SCOPE_CLIENTS} clients, or null for the whole organization"
        )));
    }
    for client in &clients {
        match state.store.get_client(actor.organization_id, *client).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(ServiceError::invalid(format!(
                    "client_ids: {client} is not a client of your organization"
                )))
            }
            Err(error) => return Err(ServiceError::internal(error)),
        }
    }
    Ok(Some(clients))
}

/// Who a new user is: a role (with [`Role::Custom`], which custom role) and
/// the clients they are limited to (`None`: the whole organization).
pub struct Access {
    pub role: Role,
    pub custom_role: Option<RoleId>,
    pub clients: Option<Vec<ClientId>>,
}

/// Invites `email` to the actor's organization with `access`.
pub async fn invite(
    state: &AppState,
    actor: &User,
    email: &str,
    access: Access,
) -> ServiceResult<LinkSent> {
    let email = valid_email(email)?;
    let (role, custom_role) = role_to_grant(state, actor, access.role, access.custom_role).await?;
    let clients = clients_to_grant(state, actor, role, access.clients).await?;
    // Within the organization a taken address is plain to see; whether an
    // address is someone's in another organization is never told here.
    let existing = state
        .store
        .list_users(actor.organization_id)
        .await
        .map_err(ServiceError::internal)?;
    if existing.iter().any(|user| user.email == email) {
        return Err(ServiceError::Conflict(format!(
            "email: {email} is already a user of your organization"
        )));
    }
    let grant = Access {
        role,
        custom_role: custom_role.map(|r| r.id),
        clients,
    };
    let org = actor.organization_id;
    let sent = make_link(
        state,
        actor,
        org,
        InvitationKind::Invitation,
        &email,
        grant,
        None,
    )
    .await?;
    tracing::info!(actor = %actor.id, invitation = %sent.invitation.id, role = role.as_str(), "user invited");
    Ok(sent)
}

/// Makes a one-time link for `target` to set a new password.
pub async fn reset_password(state: &AppState, actor: &User, id: UserId) -> ServiceResult<LinkSent> {
    let target = target(state, actor, id).await?;
    check_may_manage(actor, &target)?;
    let grant = Access {
        role: target.role,
        custom_role: target.custom_role.as_ref().map(|r| r.id),
        clients: target.clients.clone(),
    };
    let sent = make_link(
        state,
        actor,
        actor.organization_id,
        InvitationKind::PasswordReset,
        &target.email,
        grant,
        Some(target.id),
    )
    .await?;
    tracing::info!(actor = %actor.id, user = %target.id, "password reset link made");
    Ok(sent)
}

/// Invites `email` as the first owner of the organization `org` the
/// operator `actor` just made.
pub async fn invite_first_owner(
    state: &AppState,
    actor: &User,
    org: gururmm_protocol::OrganizationId,
    email: &str,
) -> ServiceResult<LinkSent> {
    let email = valid_email(email)?;
    let grant = Access {
        role: Role::Owner,
        custom_role: None,
        clients: None,
    };
    make_link(
        state,
        actor,
        org,
        InvitationKind::Invitation,
        &email,
        grant,
        None,
    )
    .await
}

/// Makes a one-time link into `org`, made by `actor`, and sends it or hands it back.
async fn make_link(
    state: &AppState,
    actor: &User,
    org: gururmm_protocol::OrganizationId,
    kind: InvitationKind,
    email: &str,
    grant: Access,
    user_id: Option<UserId>,
) -> ServiceResult<LinkSent> {
    let token = format!("gri_{}", random_hex(32));
    let hours = match kind {
        InvitationKind::Invitation => INVITATION_HOURS,
        InvitationKind::PasswordReset => RESET_HOURS,
    };
    let invitation = state
        .store
        .create_invitation(NewInvitation {
            organization_id: org,
            kind,
            token_hash: sha256_hex(&token),
            email: email.to_owned(),
            role: grant.role,
            custom_role: grant.custom_role,
            clients: grant.clients,
            user_id,
            created_by_email: actor.email.clone(),
            expires_at: Utc::now() + Duration::hours(hours),
        })
        .await
        .map_err(ServiceError::internal)?;
    // In the fragment, which browsers never send: the token stays out of
    // request lines and proxy logs.
    let link = format!("{}/welcome#token={token}", state.config.public_url());
    if state.config.smtp_url.is_none() {
        return Ok(LinkSent {
            invitation,
            link: Some(link),
            emailed: false,
            email_error: None,
        });
    }
    let (subject, body) = message(&invitation, actor, &link);
    match send_plain_email(&state.config, &[email.to_owned()], &subject, &body).await {
        Ok(_) => Ok(LinkSent {
            invitation,
            link: None,
            emailed: true,
            email_error: None,
        }),
        Err(error) => {
            tracing::warn!(invitation = %invitation.id, %error, "sending the link by email failed; it is shown to copy");
            Ok(LinkSent {
                invitation,
                link: Some(link),
                emailed: false,
                email_error: Some(error),
            })
        }
    }
}

/// The email carrying a link.
fn message(invitation: &Invitation, actor: &User, link: &str) -> (String, String) {
    let until = invitation.expires_at.format("%Y-%m-%d %H:%M UTC");
    match invitation.kind {
        InvitationKind::Invitation => (
            format!("You are invited to {} on GuruRMM", invitation.organization_name),
            format!(
                "{} invited you to join {} on GuruRMM as {}.\n\n\
                 Choose your password here (the link works once, until {until}):\n{link}\n\n\
                 If you did not expect this, ignore this message.\n",
                actor.email,
                invitation.organization_name,
                invitation
                    .custom_role
                    .as_ref()
                    .map_or(invitation.role.as_str(), |r| r.name.as_str())
            ),
        ),
        InvitationKind::PasswordReset => (
            "Set a new GuruRMM password".to_owned(),
            format!(
                "{} made a link for you to set a new password for {} on GuruRMM.\n\n\
                 Set it here (the link works once, until {until}); your sessions end when you do:\n{link}\n\n\
                 If you did not ask for this, tell your administrator.\n",
                actor.email, invitation.organization_name
            ),
        ),
    }
}

/// A change of a user's access: each part given is changed, the others kept.
pub struct AccessChange {
    pub role: Option<Role>,
    pub custom_role: Option<RoleId>,
    /// `Some(None)`: the whole organization.
    pub clients: Option<Option<Vec<ClientId>>>,
}

/// Gives a user another role (with [`Role::Custom`], the custom role
/// `custom_role`) or limits them to other clients.
pub async fn set_access(
    state: &AppState,
    actor: &User,
    id: UserId,
    change: AccessChange,
) -> ServiceResult<User> {
    let target = target(state, actor, id).await?;
    let (role, custom_role) = match change.role {
        Some(role) => {
            let (role, custom) = role_to_grant(state, actor, role, change.custom_role).await?;
            (role, custom.map(|r| r.id))
        }
        None if change.custom_role.is_some() => {
            return Err(ServiceError::invalid(
                "custom_role_id: give it with the role custom",
            ))
        }
        None => (target.role, target.custom_role.as_ref().map(|r| r.id)),
    };
    let clients = match change.clients {
        Some(clients) => clients_to_grant(state, actor, role, clients).await?,
        None if role == Role::Owner => None,
        None => target.clients.clone(),
    };
    if target.role == role
        && target.custom_role.as_ref().map(|r| r.id) == custom_role
        && target.clients == clients
    {
        return Ok(target);
    }
    check_may_manage(actor, &target)?;
    if role != target.role {
        keep_an_owner(state, &target).await?;
    }
    state
        .store
        .set_user_access(
            actor.organization_id,
            id,
            role,
            custom_role,
            clients.as_deref(),
        )
        .await
        .map_err(ServiceError::from_store("user"))?;
    state.sessions.remove_user(id);
    tracing::info!(actor = %actor.id, user = %id, role = role.as_str(), "user role changed");
    target_after(state, actor, id).await
}

/// Disables a user (ending their sessions) or enables them again.
pub async fn set_disabled(
    state: &AppState,
    actor: &User,
    id: UserId,
    disabled: bool,
) -> ServiceResult<User> {
    let target = target(state, actor, id).await?;
    check_may_manage(actor, &target)?;
    if disabled {
        not_yourself(actor, &target, "disable")?;
        keep_an_owner(state, &target).await?;
    }
    let at: Option<DateTime<Utc>> = disabled.then(Utc::now);
    state
        .store
        .set_user_disabled(actor.organization_id, id, at)
        .await
        .map_err(ServiceError::from_store("user"))?;
    state.sessions.remove_user(id);
    tracing::info!(actor = %actor.id, user = %id, disabled, "user access changed");
    target_after(state, actor, id).await
}

/// Removes a user; history keeps their email.
pub async fn delete(state: &AppState, actor: &User, id: UserId) -> ServiceResult<()> {
    let target = target(state, actor, id).await?;
    not_yourself(actor, &target, "remove")?;
    check_may_manage(actor, &target)?;
    keep_an_owner(state, &target).await?;
    state
        .store
        .delete_user(actor.organization_id, id)
        .await
        .map_err(ServiceError::from_store("user"))?;
    state.sessions.remove_user(id);
    tracing::info!(actor = %actor.id, user = %id, "user removed");
    Ok(())
}

async fn target_after(state: &AppState, actor: &User, id: UserId) -> ServiceResult<User> {
    target(state, actor, id).await
}

/// Withdraws an invitation not yet used.
pub async fn withdraw(state: &AppState, actor: &User, id: InvitationId) -> ServiceResult<()> {
    state
        .store
        .delete_invitation(actor.organization_id, id)
        .await
        .map_err(ServiceError::from_store("invitation"))
}

/// What a link holder is told before choosing a password.
pub async fn look_up(state: &AppState, token: &str) -> ServiceResult<Invitation> {
    if token.len() > 128 {
        return Err(unusable_link());
    }
    state
        .store
        .find_invitation(&sha256_hex(token), Utc::now())
        .await
        .map_err(ServiceError::internal)?
        .ok_or_else(unusable_link)
}

fn unusable_link() -> ServiceError {
    ServiceError::NotFound("link (it may have been used or expired)")
}

/// Uses a link: an invitation makes its user, a reset sets the password.
pub async fn accept(
    state: &AppState,
    token: &str,
    password: &str,
) -> ServiceResult<(User, InvitationKind)> {
    let invitation = look_up(state, token).await?;
    let kind = invitation.kind;
    // A password nobody may sign in with is not set (nor the user's sessions
    // ended) in an organization that signs in through single sign-on.
    if let (InvitationKind::PasswordReset, Some(id)) = (kind, invitation.user_id) {
        let user = state
            .store
            .get_user(id)
            .await
            .map_err(ServiceError::from_store("user"))?
            .user;
        crate::services::sso::refuse_password_sign_in(state, &user).await?;
    }
    validate_password(password).map_err(|e| ServiceError::invalid(format!("password: {e}")))?;
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)?;
    let user = state
        .store
        .redeem_invitation(&sha256_hex(token), &hash, Utc::now())
        .await
        .map_err(|error| match error {
            StoreError::NotFound => unusable_link(),
            other => ServiceError::from_store("user")(other),
        })?;
    state.sessions.remove_user(user.id);
    tracing::info!(user = %user.id, "link used");
    Ok((user, kind))
}

/// A user changes their own password, proving the current one; every
/// session of theirs ends.
pub async fn change_own_password(
    state: &AppState,
    user: &User,
    current: &str,
    new: &str,
) -> ServiceResult<()> {
    validate_password(new).map_err(|e| ServiceError::invalid(format!("new_password: {e}")))?;
    let stored = state
        .store
        .get_user(user.id)
        .await
        .map_err(ServiceError::from_store("user"))?;
    let (current, new) = (current.to_owned(), new.to_owned());
    let hash = tokio::task::spawn_blocking(move || {
        verify_password(&current, &stored.password_hash).then(|| hash_password(&new))
    })
    .await
    .map_err(ServiceError::internal)?;
    let hash = match hash {
        Some(hash) => hash.map_err(ServiceError::internal)?,
        None => {
            return Err(ServiceError::invalid(
                "current_password: this is not your current password",
            ))
        }
    };
    state
        .store
        .set_user_password(user.id, &hash)
        .await
        .map_err(ServiceError::from_store("user"))?;
    state.sessions.remove_user(user.id);
    tracing::info!(user = %user.id, "user changed their password");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(valid_email(" Ann@MSP.test ").unwrap(), "ann@msp.test");
        for bad in [
            "",
            "ann",
            "ann@",
            "a b@msp.test",
            &format!("{}@msp.test", "a".repeat(250)),
        ] {
            assert!(
                matches!(valid_email(bad), Err(ServiceError::Invalid(m)) if m.starts_with("email:")),
                "{bad}"
            );
        }
    }
}
