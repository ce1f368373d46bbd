//! What a service answers when it refuses or fails. Services know nothing of
//! HTTP: the API layer turns a [`ServiceError`] into its status and body
//! (`crate::error::ApiError`), and the gateway into a log line or a frame.

use gururmm_store::StoreError;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The object does not exist, or not in the caller's organization.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request contradicts the object's state.
    #[error("{0}")]
    Conflict(String),
    /// The request cannot be understood as asked (a malformed or impossible query).
    #[error("{0}")]
    BadRequest(String),
    /// The input breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this, whatever their permissions (a rule, such as
    /// only owners granting the owner role).
    #[error("{0}")]
    Forbidden(String),
    /// The caller's role lacks this permission.
    #[error("this needs the {0} permission, which your role does not grant")]
    Denied(gururmm_store::Permission),
    /// Credentials were refused; `code` tells the caller why, when it may know.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// Too many attempts: wait `retry_after`.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after: Duration,
    },
    /// Something the operation needs is not on this server (such as a
    /// release file the operator has not put in place): 409 with `code`, and
    /// a message that says how to provide it.
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    /// The audit log cannot be written, so the change was not made (503).
    #[error("the audit log cannot be written, so nothing was done; try again later")]
    AuditUnavailable,
    /// A service the server relies on (an identity provider) failed; the
    /// message says which and how.
    #[error("{0}")]
    Upstream(String),
    /// Something failed inside; the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    pub fn internal(source: impl std::fmt::Display) -> Self {
        Self::Internal(source.to_string())
    }

    /// A store error about `what`: missing rows are [`ServiceError::NotFound`],
    /// conflicts keep their message, anything else is internal.
    pub fn from_store(what: &'static str) -> impl FnOnce(StoreError) -> Self {
        move |error| match error {
            StoreError::NotFound => Self::NotFound(what),
            StoreError::Conflict(message) => Self::Conflict(message),
            other => Self::Internal(other.to_string()),
        }
    }
}
