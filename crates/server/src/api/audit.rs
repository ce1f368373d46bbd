//! The audit log (`view_audit`): searching it, checking its chain and
//! exporting it as CSV or JSON lines.

use crate::auth::{need, Can};
use crate::error::{ApiError, ApiQuery, ApiResult, ErrorBody};
use crate::services::audit as audit_service;
use crate::services::jobs::csv_cell;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use gururmm_store::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Longest text of a filter's value.
const MAX_FILTER_CHARS: usize = 200;
/// Most events one export holds (newest first).
pub const MAX_EXPORT_EVENTS: i64 = 100_000;
/// Events read at a time while exporting.
const EXPORT_PAGE: i64 = 1_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Exactly this action (`delete_agent`, `sign_in`, `request_refused`…).
    pub action: Option<String>,
    /// The actor's email or name contains this (without regard to case), or is this id.
    pub actor: Option<String>,
    /// Events about this object id.
    pub target_id: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Events at or before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Events per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
}

impl AuditParams {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        for (name, value) in [
            ("action", &self.action),
            ("actor", &self.actor),
            ("target_id", &self.target_id),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.chars().count() > MAX_FILTER_CHARS)
            {
                return Err(ApiError::bad_request(format!(
                    "{name} is longer than {MAX_FILTER_CHARS} characters"
                )));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(ApiError::bad_request("from must not be after to"));
            }
        }
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Ok(AuditFilter {
            action: text(&self.action),
            actor: text(&self.actor),
            target_id: text(&self.target_id),
            from: self.from,
            to: self.to,
        })
    }
}

pub use crate::services::audit::AuditItem;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The organization's audit log, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams), security(("bearer" = ["view_audit"])),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAudit>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<Json<AuditPage>> {
    let filter = params.filter()?;
    let page = params.page.unwrap_or(1);
    let per_page = params.per_page.unwrap_or(50);
    if !(1..=1_000_000).contains(&page) || !(1..=crate::api::MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::bad_request(format!(
            "page must be 1 or more and per_page between 1 and {}",
            crate::api::MAX_PER_PAGE
        )));
    }
    let found = state
        .store
        .list_audit(
            current.user.organization_id,
            &filter,
            per_page,
            (page - 1) * per_page,
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(AuditPage {
        items: found.items.into_iter().map(AuditItem::from).collect(),
        total: found.total,
        page,
        per_page,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditProblem {
    /// The event where the chain breaks.
    pub seq: i64,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    /// Whether every event is intact, in order and complete.
    pub ok: bool,
    /// Events checked (those kept after any pruning).
    pub checked: i64,
    pub problem: Option<AuditProblem>,
    /// The number of the chain's last event.
    pub last_seq: i64,
    /// Events before this number were pruned (0: none).
    pub pruned_through_seq: i64,
}

/// Checks the organization's audit chain: an event changed, removed or
/// inserted in the database shows here.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = ["view_audit"])),
    responses((status = 200, body = AuditVerification), (status = 403, body = ErrorBody)))]
pub async fn verify_audit(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAudit>,
) -> ApiResult<Json<AuditVerification>> {
    let result = audit_service::verify(state.store.as_ref(), current.user.organization_id).await?;
    Ok(Json(AuditVerification {
        ok: result.problem.is_none(),
        checked: result.checked,
        problem: result
            .problem
            .map(|(seq, message)| AuditProblem { seq, message }),
        last_seq: result.head.seq,
        pruned_through_seq: result.head.pruned_through_seq,
    }))
}

/// The format of an export.
#[derive(Debug, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `jsonl` (one JSON object per line).
    #[param(inline)]
    pub format: Option<ExportFormat>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

const CSV_HEADER: &str = "seq,at,actor,actor_kind,action,target,source_ip,details,hash\r\n";

fn csv_line(item: &AuditItem) -> String {
    let cells = [
        item.seq.to_string(),
        item.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        item.actor.clone(),
        item.actor_kind.clone(),
        item.action.clone(),
        item.target.clone().unwrap_or_default(),
        item.source_ip.clone().unwrap_or_default(),
        item.details.to_string(),
        item.hash.clone(),
    ];
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The events matching the filters, newest first (at most 100,000), as CSV
/// (cells a spreadsheet would run as formulas are defused) or JSON lines.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(ExportParams), security(("bearer" = ["view_audit"])),
    responses((status = 200, description = "The events", content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export_audit(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAudit>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let format = params.format.unwrap_or(ExportFormat::Csv);
    let filter = AuditParams {
        action: params.action,
        actor: params.actor,
        target_id: params.target_id,
        from: params.from,
        to: params.to,
        page: None,
        per_page: None,
    }
    .filter()?;
    let mut body = String::new();
    if matches!(format, ExportFormat::Csv) {
        body.push_str(CSV_HEADER);
    }
    let mut offset = 0;
    while offset < MAX_EXPORT_EVENTS {
        let page = state
            .store
            .list_audit(current.user.organization_id, &filter, EXPORT_PAGE, offset)
            .await
            .map_err(ApiError::internal)?;
        let count = i64::try_from(page.items.len()).unwrap_or(i64::MAX);
        for event in page.items {
            let item = AuditItem::from(event);
            match format {
                ExportFormat::Csv => body.push_str(&csv_line(&item)),
                ExportFormat::Jsonl => {
                    body.push_str(&serde_json::to_string(&item).map_err(ApiError::internal)?);
                    body.push('\n');
                }
            }
        }
        if count < EXPORT_PAGE {
            break;
        }
        offset += count;
    }
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Jsonl => ("application/x-ndjson", "jsonl"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"audit-log.{extension}\""),
            ),
        ],
        body,
    )
        .into_response())
}
