//! Authentication: password hashing, opaque tokens, the login rate limiter and
//! the request extractors that say who is calling.

pub mod extract;
pub mod limiter;
pub mod secrets;

pub use extract::{CurrentUser, Writer};
pub use limiter::LoginLimiter;
