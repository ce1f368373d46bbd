//! The organization's users and invitations (`manage_users`).

use crate::api::roles::CustomRoleName;
use crate::auth::{need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::users::{self, LinkSent};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, InvitationId, RoleId, UserId};
use gururmm_store::{Permission, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgUser {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    /// With the role `custom`: which of the organization's roles.
    pub custom_role: Option<CustomRoleName>,
    /// The clients the user is limited to; `null`: the whole organization.
    pub client_ids: Option<Vec<ClientId>>,
    pub permissions: Vec<Permission>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// While set, the user cannot sign in.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Signing in also takes a code from an authenticator app.
    pub second_factor: bool,
}

impl From<gururmm_store::User> for OrgUser {
    fn from(user: gururmm_store::User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            role: user.role,
            custom_role: user.custom_role.map(Into::into),
            client_ids: user.clients,
            permissions: user.permissions.to_vec(),
            created_at: user.created_at,
            last_sign_in_at: user.last_sign_in_at,
            disabled_at: user.disabled_at,
            second_factor: user.second_factor,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<OrgUser>,
}

/// The organization's users, by email.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = ["manage_users"])),
    responses((status = 200, body = UserList), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
) -> ApiResult<Json<UserList>> {
    let users = state
        .store
        .list_users(current.user.organization_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(UserList {
        items: users.into_iter().map(OrgUser::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    pub role: Role,
    /// With the role `custom`: the organization's role to grant.
    #[serde(default)]
    pub custom_role_id: Option<RoleId>,
    /// Limits the new user to these clients (1 to 1,000 of the
    /// organization's); absent or `null`: the whole organization.
    #[serde(default)]
    pub client_ids: Option<Vec<ClientId>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub custom_role: Option<CustomRoleName>,
    /// The clients the new user will be limited to; `null`: the whole organization.
    pub client_ids: Option<Vec<ClientId>>,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<gururmm_store::Invitation> for Invitation {
    fn from(invitation: gururmm_store::Invitation) -> Self {
        Self {
            id: invitation.id,
            email: invitation.email,
            role: invitation.role,
            custom_role: invitation.custom_role.map(Into::into),
            client_ids: invitation.clients,
            created_by_email: invitation.created_by_email,
            created_at: invitation.created_at,
            expires_at: invitation.expires_at,
        }
    }
}

/// A one-time link made for someone.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkCreated {
    pub invitation: Invitation,
    /// The link, when it was not emailed: shown this once, to pass on.
    pub link: Option<String>,
    /// The mail server accepted the message with the link.
    pub emailed: bool,
    /// Why emailing failed, when a mail server is configured.
    pub email_error: Option<String>,
}

impl From<LinkSent> for LinkCreated {
    fn from(sent: LinkSent) -> Self {
        Self {
            invitation: sent.invitation.into(),
            link: sent.link,
            emailed: sent.emailed,
            email_error: sent.email_error,
        }
    }
}

/// Invites someone to the organization: a one-time link (72 h) to choose a
/// password, emailed when a mail server is configured, else answered here
/// once. An address already in the organization is a 409; only an owner
/// invites an owner, and nobody grants a role holding permissions they lack.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = InviteRequest,
    security(("bearer" = ["manage_users"])),
    responses((status = 201, body = LinkCreated), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn invite_user(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiJson(request): ApiJson<InviteRequest>,
) -> ApiResult<(StatusCode, Json<LinkCreated>)> {
    let access = users::Access {
        role: request.role,
        custom_role: request.custom_role_id,
        clients: request.client_ids,
    };
    let sent = users::invite(&state, &current.user, &request.email, access).await?;
    Ok((StatusCode::CREATED, Json(sent.into())))
}

/// One of the organization's users.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = UserId, Path)),
    security(("bearer" = ["manage_users"])),
    responses((status = 200, body = OrgUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<OrgUser>> {
    let user = state
        .store
        .get_org_user(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "user"))?;
    Ok(Json(user.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// Absent: unchanged.
    #[serde(default)]
    pub role: Option<Role>,
    /// With the role `custom`: the organization's role to grant.
    #[serde(default)]
    pub custom_role_id: Option<RoleId>,
    /// The clients the user is limited to: `null` for the whole organization;
    /// absent: unchanged.
    #[serde(default, deserialize_with = "crate::api::agents::present")]
    #[schema(value_type = Option<Vec<ClientId>>, nullable)]
    pub client_ids: Option<Option<Vec<ClientId>>>,
}

/// Gives a user another role (built-in, or `custom` with `custom_role_id`);
/// their sessions end. Only an owner grants or removes the owner role,
/// nobody grants or takes away permissions they lack, and the organization
/// keeps at least one owner.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = UserId, Path)), request_body = UserUpdate,
    security(("bearer" = ["manage_users"])),
    responses((status = 200, body = OrgUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(request): ApiJson<UserUpdate>,
) -> ApiResult<Json<OrgUser>> {
    let change = users::AccessChange {
        role: request.role,
        custom_role: request.custom_role_id,
        clients: request.client_ids,
    };
    let user = users::set_access(&state, &current.user, id, change).await?;
    Ok(Json(user.into()))
}

/// Removes a user; their sessions end, and history keeps their email. Nobody
/// removes themselves or the last owner.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = UserId, Path)),
    security(("bearer" = ["manage_users"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_user(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    users::delete(&state, &current.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disables a user: they cannot sign in and their sessions end at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users", params(("id" = UserId, Path)),
    security(("bearer" = ["manage_users"])),
    responses((status = 200, body = OrgUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn disable_user(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<OrgUser>> {
    let user = users::set_disabled(&state, &current.user, id, true).await?;
    Ok(Json(user.into()))
}

/// Lets a disabled user sign in again.
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users", params(("id" = UserId, Path)),
    security(("bearer" = ["manage_users"])),
    responses((status = 200, body = OrgUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn enable_user(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<OrgUser>> {
    let user = users::set_disabled(&state, &current.user, id, false).await?;
    Ok(Json(user.into()))
}

/// Makes a one-time link (24 h) for the user to set a new password, emailed
/// or answered like an invitation. Their sessions end when they use it.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users", params(("id" = UserId, Path)),
    security(("bearer" = ["manage_users"])),
    responses((status = 201, body = LinkCreated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_user_password(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<(StatusCode, Json<LinkCreated>)> {
    let sent = users::reset_password(&state, &current.user, id).await?;
    Ok((StatusCode::CREATED, Json(sent.into())))
}

/// Turns a user's second factor off (a lost phone): they sign in with their
/// password alone until they set one up again, and every session of theirs
/// ends. Only an owner resets an owner's.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-second-factor", tag = "users", params(("id" = UserId, Path)),
    security(("bearer" = ["manage_users"])),
    responses((status = 200, body = OrgUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_second_factor(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<OrgUser>> {
    let user = crate::services::second_factor::reset(&state, &current.user, id).await?;
    Ok(Json(user.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationList {
    pub items: Vec<Invitation>,
}

/// Invitations not yet used and not expired, newest first.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "users", security(("bearer" = ["manage_users"])),
    responses((status = 200, body = InvitationList), (status = 403, body = ErrorBody)))]
pub async fn list_invitations(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
) -> ApiResult<Json<InvitationList>> {
    let invitations = state
        .store
        .list_invitations(current.user.organization_id, Utc::now())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(InvitationList {
        items: invitations.into_iter().map(Invitation::from).collect(),
    }))
}

/// Withdraws an invitation: its link stops working.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "users", params(("id" = InvitationId, Path)),
    security(("bearer" = ["manage_users"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn withdraw_invitation(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<InvitationId>,
) -> ApiResult<StatusCode> {
    users::withdraw(&state, &current.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
