//! Shared application state handed to every handler and task.

use crate::auth::LoginLimiter;
use crate::config::Config;
use crate::gateway::presence::Presence;
use crate::services::bus::Bus;
use crate::services::metrics::MetricsIngest;
use gururmm_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub presence: Arc<Presence>,
    pub bus: Bus,
    pub metrics: MetricsIngest,
    pub login_limiter: Arc<LoginLimiter>,
}
