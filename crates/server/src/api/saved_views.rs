//! Saved views of the dashboard's lists: `GET/POST /api/v1/saved-views`,
//! `DELETE /api/v1/saved-views/{id}`. A view is its owner's alone, or shared
//! with the organization. Anyone signed in may keep views of their own (a
//! view changes nothing but what its owner sees first); sharing one, which
//! puts it in every colleague's menu, takes a role that may change data, and
//! deleting someone else's shared view takes an administrator.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::text::{has_hidden_characters, valid_line};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::SavedViewId;
use gururmm_store::{NewSavedView, Permission};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Most saved views of one user (over every list).
pub const MAX_VIEWS_PER_USER: i64 = 50;
/// Most characters of a view's name.
pub const MAX_VIEW_NAME_CHARS: usize = 100;
/// Most bytes of a view's query.
pub const MAX_VIEW_QUERY_BYTES: usize = 2_000;
/// Most columns of a view, and characters of a column's id.
pub const MAX_VIEW_COLUMNS: usize = 30;
const MAX_COLUMN_CHARS: usize = 32;

/// The lists a view can be saved of.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViewableList {
    Agents,
}

impl ViewableList {
    fn name(self) -> &'static str {
        match self {
            ViewableList::Agents => "agents",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedView {
    pub id: SavedViewId,
    pub list: String,
    pub name: String,
    /// The list's filters and order as its URL query, e.g. `status=offline&sort=cpu&order=desc`.
    pub query: String,
    /// The columns shown, in order; `null` keeps the viewer's own.
    pub columns: Option<Vec<String>>,
    pub shared: bool,
    pub owner_email: String,
    /// Whether the caller owns it (and may delete it).
    pub mine: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedViewList {
    pub items: Vec<SavedView>,
}

fn view(current: &CurrentUser, view: gururmm_store::SavedView) -> SavedView {
    SavedView {
        mine: view.user_id == current.user.id,
        id: view.id,
        list: view.list,
        name: view.name,
        query: view.query,
        columns: view.columns,
        shared: view.shared,
        owner_email: view.owner_email,
        created_at: view.created_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SavedViewParams {
    #[param(inline)]
    pub list: ViewableList,
}

/// The caller's views of a list and those shared in the organization, by name.
#[utoipa::path(get, path = "/api/v1/saved-views", tag = "saved-views", params(SavedViewParams), security(("bearer" = [])),
    responses((status = 200, body = SavedViewList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_saved_views(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(params): ApiQuery<SavedViewParams>,
) -> ApiResult<Json<SavedViewList>> {
    let views = state
        .store
        .list_saved_views(
            current.user.organization_id,
            current.user.id,
            params.list.name(),
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(SavedViewList {
        items: views.into_iter().map(|v| view(&current, v)).collect(),
    }))
}

/// Body of `POST /api/v1/saved-views`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedViewRequest {
    pub list: ViewableList,
    /// 1 to 100 characters, unique among the caller's views of the list (without regard to case).
    pub name: String,
    /// The list's URL query, at most 2,000 bytes (a leading `?` is dropped).
    #[serde(default)]
    pub query: String,
    /// Column ids in order (at most 30, each of `a-z`, digits and `_`), or `null`.
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// Shows the view to everyone of the organization (not for readonly users).
    #[serde(default)]
    pub shared: bool,
}

fn query_text(query: &str) -> ApiResult<String> {
    let query = query.trim().trim_start_matches('?');
    if query.len() > MAX_VIEW_QUERY_BYTES {
        return Err(ApiError::validation(format!(
            "query must be at most {MAX_VIEW_QUERY_BYTES} bytes"
        )));
    }
    if has_hidden_characters(query) || query.contains(char::is_whitespace) {
        return Err(ApiError::validation(
            "query must be a URL query (no spaces or invisible characters)",
        ));
    }
    Ok(query.to_string())
}

fn column_ids(columns: Option<Vec<String>>) -> ApiResult<Option<Vec<String>>> {
    let Some(columns) = columns else {
        return Ok(None);
    };
    if columns.len() > MAX_VIEW_COLUMNS {
        return Err(ApiError::validation(format!(
            "columns: at most {MAX_VIEW_COLUMNS}"
        )));
    }
    for (index, column) in columns.iter().enumerate() {
        let valid = !column.is_empty()
            && column.len() <= MAX_COLUMN_CHARS
            && column
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(ApiError::validation(format!(
                "columns[{index}] must be 1 to {MAX_COLUMN_CHARS} of a-z, digits and _"
            )));
        }
    }
    Ok(Some(columns))
}

/// Saves a view of a list under a name.
#[utoipa::path(post, path = "/api/v1/saved-views", tag = "saved-views", request_body = SavedViewRequest,
    security(("bearer" = [])),
    responses((status = 201, body = SavedView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_saved_view(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(request): ApiJson<SavedViewRequest>,
) -> ApiResult<(StatusCode, Json<SavedView>)> {
    // Anyone keeps views for themselves; showing one to everyone organizes
    // the organization's work.
    if request.shared {
        current.require(Permission::OrganizeAgents)?;
    }
    let name = valid_line("name", request.name.trim(), MAX_VIEW_NAME_CHARS)?;
    let saved = state
        .store
        .create_saved_view(
            NewSavedView {
                organization_id: current.user.organization_id,
                user_id: current.user.id,
                list: request.list.name().to_string(),
                name,
                query: query_text(&request.query)?,
                columns: column_ids(request.columns)?,
                shared: request.shared,
            },
            MAX_VIEWS_PER_USER,
        )
        .await
        .map_err(|e| ApiError::from_store(e, "saved view"))?;
    Ok((StatusCode::CREATED, Json(view(&current, saved))))
}

/// Deletes a view: one's own, or (with `manage_organization`) a colleague's shared one.
#[utoipa::path(delete, path = "/api/v1/saved-views/{id}", tag = "saved-views", params(("id" = SavedViewId, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_saved_view(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<SavedViewId>,
) -> ApiResult<StatusCode> {
    let org = current.user.organization_id;
    let saved = state
        .store
        .get_saved_view(org, current.user.id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "saved view"))?;
    if saved.user_id != current.user.id {
        current.require(Permission::ManageOrganization)?;
    }
    state
        .store
        .delete_saved_view(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "saved view"))?;
    Ok(StatusCode::NO_CONTENT)
}
