//! Custom fields: `GET/POST /api/v1/custom-fields`,
//! `GET/PATCH/DELETE /api/v1/custom-fields/{id}`, and a client's, site's or
//! agent's values at `GET/PUT /api/v1/{clients|sites|agents}/{id}/custom-fields`.
//! Anyone signed in reads them; defining fields and setting values takes a
//! role that may change data. A caller limited to some clients reads the
//! definitions (the organization's, holding no client's data) and reads and
//! sets the values of their own clients, sites and agents only; defining
//! fields stays with callers of the whole organization.

use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::services::custom_fields;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, ClientId, CustomFieldId, OrganizationId, SiteId};
use gururmm_store::{CustomFieldKind, CustomFieldScope};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomField {
    pub id: CustomFieldId,
    /// What it describes: `client`, `site` or `agent`.
    pub scope: CustomFieldScope,
    /// How scripts and the agent list's filter name it.
    pub key: String,
    pub name: String,
    pub kind: CustomFieldKind,
    /// The choices of a `choice` field, in order; empty for other kinds.
    pub choices: Vec<String>,
    pub created_at: DateTime<Utc>,
}

fn field_response(field: gururmm_store::CustomField) -> CustomField {
    CustomField {
        id: field.id,
        scope: field.scope,
        key: field.key,
        name: field.name,
        kind: field.kind,
        choices: field.choices,
        created_at: field.created_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldList {
    pub items: Vec<CustomField>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomFieldParams {
    /// Only the fields of this scope.
    #[param(inline)]
    pub scope: Option<CustomFieldScope>,
}

/// The organization's custom fields: clients', then sites', then agents', by name.
#[utoipa::path(get, path = "/api/v1/custom-fields", tag = "custom-fields", params(CustomFieldParams),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = CustomFieldList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_custom_fields(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<CustomFieldParams>,
) -> ApiResult<Json<CustomFieldList>> {
    let fields = state
        .store
        .list_custom_fields(current.user.organization_id, params.scope)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(CustomFieldList {
        items: fields.into_iter().map(field_response).collect(),
    }))
}

/// Body of `POST /api/v1/custom-fields`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldRequest {
    pub scope: CustomFieldScope,
    /// 1 to 40 of `a-z`, digits and `_`, starting with a letter; unique per
    /// scope; cannot change later.
    pub key: String,
    /// 1 to 100 characters, unique per scope (without regard to case).
    pub name: String,
    pub kind: CustomFieldKind,
    /// For `choice`: 1 to 50 distinct choices of 1 to 100 characters each.
    #[serde(default)]
    pub choices: Option<Vec<String>>,
}

/// Defines a custom field (at most 100 per organization).
#[utoipa::path(post, path = "/api/v1/custom-fields", tag = "custom-fields", request_body = CustomFieldRequest,
    security(("bearer" = ["manage_organization"])),
    responses((status = 201, body = CustomField), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_custom_field(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    ApiJson(request): ApiJson<CustomFieldRequest>,
) -> ApiResult<(StatusCode, Json<CustomField>)> {
    let field = custom_fields::create(
        state.store.as_ref(),
        current.user.organization_id,
        request.scope,
        &request.key,
        &request.name,
        request.kind,
        request.choices,
    )
    .await?;
    tracing::info!(field = %field.id, key = %field.key, user = %current.user.id, "custom field defined");
    Ok((StatusCode::CREATED, Json(field_response(field))))
}

#[utoipa::path(get, path = "/api/v1/custom-fields/{id}", tag = "custom-fields", params(("id" = CustomFieldId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = CustomField), (status = 404, body = ErrorBody)))]
pub async fn get_custom_field(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<CustomFieldId>,
) -> ApiResult<Json<CustomField>> {
    let field = state
        .store
        .get_custom_field(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "custom field"))?;
    Ok(Json(field_response(field)))
}

/// Body of `PATCH /api/v1/custom-fields/{id}`: what is left out stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldUpdate {
    #[serde(default)]
    pub name: Option<String>,
    /// A choice field's new choices. Leaving out a choice that values still use is a 409.
    #[serde(default)]
    pub choices: Option<Vec<String>>,
}

/// Renames a field or changes a choice field's choices (its key and kind stay).
#[utoipa::path(patch, path = "/api/v1/custom-fields/{id}", tag = "custom-fields", params(("id" = CustomFieldId, Path)),
    request_body = CustomFieldUpdate, security(("bearer" = ["manage_organization"])),
    responses((status = 200, body = CustomField), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_custom_field(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    ApiPath(id): ApiPath<CustomFieldId>,
    ApiJson(request): ApiJson<CustomFieldUpdate>,
) -> ApiResult<Json<CustomField>> {
    let field = custom_fields::update(
        state.store.as_ref(),
        current.user.organization_id,
        id,
        request.name.as_deref(),
        request.choices,
    )
    .await?;
    Ok(Json(field_response(field)))
}

/// Deletes a field with every value of it.
#[utoipa::path(delete, path = "/api/v1/custom-fields/{id}", tag = "custom-fields", params(("id" = CustomFieldId, Path)),
    security(("bearer" = ["manage_organization"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_custom_field(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    ApiPath(id): ApiPath<CustomFieldId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_custom_field(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "custom field"))?;
    tracing::info!(field = %id, user = %current.user.id, "custom field deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// One field of a target with the target's value.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldValue {
    pub field: CustomField,
    /// The value in its canonical text (a number's shortest decimal, a date as
    /// `YYYY-MM-DD`), or `null` when the target has none.
    pub value: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldValues {
    pub items: Vec<CustomFieldValue>,
}

/// Body of `PUT /api/v1/{clients|sites|agents}/{id}/custom-fields`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomValuesRequest {
    /// Values by field key: a string (or a number for a number field); `null`
    /// or an empty string clears it. Keys left out keep their value.
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, Option<Value>>,
}

fn values_response(values: Vec<(gururmm_store::CustomField, Option<String>)>) -> CustomFieldValues {
    CustomFieldValues {
        items: values
            .into_iter()
            .map(|(field, value)| CustomFieldValue {
                field: field_response(field),
                value,
            })
            .collect(),
    }
}

async fn read_values(
    state: &AppState,
    org: OrganizationId,
    scope: CustomFieldScope,
    target: uuid::Uuid,
) -> ApiResult<Json<CustomFieldValues>> {
    let values = state
        .store
        .custom_values(org, scope, target)
        .await
        .map_err(|e| ApiError::from_store(e, scope.as_str()))?;
    Ok(Json(values_response(values)))
}

async fn write_values(
    state: &AppState,
    org: OrganizationId,
    scope: CustomFieldScope,
    target: uuid::Uuid,
    request: CustomValuesRequest,
) -> ApiResult<Json<CustomFieldValues>> {
    let values =
        custom_fields::set_values(state.store.as_ref(), org, scope, target, &request.values)
            .await?;
    Ok(Json(values_response(values)))
}

/// Every agent field with this agent's value.
#[utoipa::path(get, path = "/api/v1/agents/{id}/custom-fields", tag = "custom-fields", params(("id" = AgentId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = CustomFieldValues), (status = 404, body = ErrorBody)))]
pub async fn agent_custom_fields(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<CustomFieldValues>> {
    client_scope::agent(&state, &current, id).await?;
    read_values(
        &state,
        current.user.organization_id,
        CustomFieldScope::Agent,
        id.0,
    )
    .await
}

/// Sets or clears the agent's values by key.
#[utoipa::path(put, path = "/api/v1/agents/{id}/custom-fields", tag = "custom-fields", params(("id" = AgentId, Path)),
    request_body = CustomValuesRequest, security(("bearer" = ["organize_agents"])),
    responses((status = 200, body = CustomFieldValues), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_agent_custom_fields(
    State(state): State<AppState>,
    Can(current, ..): Can<need::OrganizeAgents>,
    ApiPath(id): ApiPath<AgentId>,
    ApiJson(request): ApiJson<CustomValuesRequest>,
) -> ApiResult<Json<CustomFieldValues>> {
    client_scope::agent(&state, &current, id).await?;
    write_values(
        &state,
        current.user.organization_id,
        CustomFieldScope::Agent,
        id.0,
        request,
    )
    .await
}

/// Every site field with this site's value.
#[utoipa::path(get, path = "/api/v1/sites/{id}/custom-fields", tag = "custom-fields", params(("id" = SiteId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = CustomFieldValues), (status = 404, body = ErrorBody)))]
pub async fn site_custom_fields(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<SiteId>,
) -> ApiResult<Json<CustomFieldValues>> {
    client_scope::site(&state, &current, id).await?;
    read_values(
        &state,
        current.user.organization_id,
        CustomFieldScope::Site,
        id.0,
    )
    .await
}

/// Sets or clears the site's values by key.
#[utoipa::path(put, path = "/api/v1/sites/{id}/custom-fields", tag = "custom-fields", params(("id" = SiteId, Path)),
    request_body = CustomValuesRequest, security(("bearer" = ["organize_agents"])),
    responses((status = 200, body = CustomFieldValues), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_site_custom_fields(
    State(state): State<AppState>,
    Can(current, ..): Can<need::OrganizeAgents>,
    ApiPath(id): ApiPath<SiteId>,
    ApiJson(request): ApiJson<CustomValuesRequest>,
) -> ApiResult<Json<CustomFieldValues>> {
    client_scope::site(&state, &current, id).await?;
    write_values(
        &state,
        current.user.organization_id,
        CustomFieldScope::Site,
        id.0,
        request,
    )
    .await
}

/// Every client field with this client's value.
#[utoipa::path(get, path = "/api/v1/clients/{id}/custom-fields", tag = "custom-fields", params(("id" = ClientId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = CustomFieldValues), (status = 404, body = ErrorBody)))]
pub async fn client_custom_fields(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<ClientId>,
) -> ApiResult<Json<CustomFieldValues>> {
    client_scope::client(&current, id)?;
    read_values(
        &state,
        current.user.organization_id,
        CustomFieldScope::Client,
        id.0,
    )
    .await
}

/// Sets or clears the client's values by key.
#[utoipa::path(put, path = "/api/v1/clients/{id}/custom-fields", tag = "custom-fields", params(("id" = ClientId, Path)),
    request_body = CustomValuesRequest, security(("bearer" = ["organize_agents"])),
    responses((status = 200, body = CustomFieldValues), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_client_custom_fields(
    State(state): State<AppState>,
    Can(current, ..): Can<need::OrganizeAgents>,
    ApiPath(id): ApiPath<ClientId>,
    ApiJson(request): ApiJson<CustomValuesRequest>,
) -> ApiResult<Json<CustomFieldValues>> {
    client_scope::client(&current, id)?;
    write_values(
        &state,
        current.user.organization_id,
        CustomFieldScope::Client,
        id.0,
        request,
    )
    .await
}

/// The routes of custom fields and their values.
pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_custom_fields, create_custom_field))
        .routes(routes!(
            get_custom_field,
            update_custom_field,
            delete_custom_field
        ))
        .routes(routes!(agent_custom_fields, set_agent_custom_fields))
        .routes(routes!(site_custom_fields, set_site_custom_fields))
        .routes(routes!(client_custom_fields, set_client_custom_fields))
}
