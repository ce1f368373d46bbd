//! The rules of the server: bootstrap, login, enrollment, remote execution,
//! scripts and jobs, metric ingest and charts, what each agent may send, and
//! the event bus. Handlers and the gateway parse and authorize, call a service
//! and map its answer; a service answers with a [`error::ServiceError`] and
//! never sees HTTP types or the gateway's internals.

pub mod agent_budgets;
pub mod agent_bulk;
pub mod agents;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod audit_before;
pub mod audit_stream;
pub mod bootstrap;
pub mod bus;
pub mod checks;
pub mod commands;
pub mod custom_fields;
pub mod discovery;
pub mod effective_policy;
pub mod enrollment;
pub mod error;
pub mod install_script;
pub mod installers;
pub mod inventory;
pub mod jobs;
pub mod login;
pub mod maintenance;
pub mod metric_charts;
pub mod metrics;
pub mod notify;
pub mod offline_alerts;
pub mod operator;
pub mod policies;
pub mod readiness;
pub mod registry;
pub mod releases;
pub mod roles;
pub mod rollout_rules;
pub mod rollouts;
pub mod scripts;
pub mod second_factor;
pub mod secrets;
pub mod sso;
pub mod updates;
pub mod users;
pub mod vault;
pub mod webauthn;
