//! Authentication: password hashing, opaque tokens, the login rate limiter,
//! the cache of recently checked sessions and the request extractors that say
//! who is calling.

pub mod client_scope;
pub mod cookies;
pub mod extract;
pub mod limiter;
pub mod secrets;
pub mod sessions;

pub use extract::{denied, Can, CurrentUser, Operator, API_KEY_PREFIX};
pub use gururmm_store::need;
pub use limiter::{EnrollmentLimiter, LoginLimiter};
