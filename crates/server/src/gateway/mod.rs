//! The agent gateway: the WebSocket endpoint agents keep open, and the
//! in-memory presence of connected agents.

pub mod checks;
pub mod commands;
pub mod connection;
pub mod credential;
pub mod inventory;
pub mod presence;
