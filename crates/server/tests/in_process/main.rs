//! The server driven in-process at the protocol level: `gururmm_server::serve`
//! on a loopback port inside this test process, on a throwaway database of
//! every backend, spoken to over HTTP and the agent WebSocket. The areas are
//! modules of one test binary, so the suite links once.

mod identity_provider;
mod receiver;
mod support;
mod wire;

mod agent_list;
mod agents;
mod api;
mod api_docs;
mod api_keys;
mod audit;
mod audit_stream;
mod client_scope;
mod command_jobs;
mod commands;
mod custom_fields;
mod discovery;
mod gateway;
mod installers;
mod inventory;
mod maintenance;
mod monitoring;
mod notifications;
mod operations;
mod operator;
mod permissions;
mod registry;
mod releases;
mod roles;
mod rollouts;
mod saved_views;
mod scripts;
mod search;
mod second_factor;
mod secrets;
mod security;
mod sso;
mod tenancy;
mod updates;
mod users;
mod vault;
mod vault_parameters;
mod webauthn;
