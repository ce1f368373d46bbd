//! Business rules that are more than one store call: bootstrap, login,
//! enrollment, metric ingest, what each agent may send, and the event bus.

pub mod agent_budgets;
pub mod bootstrap;
pub mod bus;
pub mod commands;
pub mod enrollment;
pub mod login;
pub mod metrics;
pub mod scripts;
