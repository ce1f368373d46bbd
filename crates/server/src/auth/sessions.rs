//! Sessions checked recently, so a burst of API calls (a dashboard page, a
//! script issuing commands) costs one database lookup instead of one each.
//!
//! A session ended through this server (sign-out) is forgotten at once. One
//! ended from outside it (the `user reset-password` command, another node)
//! stops working within [`SESSION_CACHE_SECONDS`].

use gururmm_protocol::{ApiKeyId, UserId};
use gururmm_store::User;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a checked session is trusted without asking the database again.
pub const SESSION_CACHE_SECONDS: u64 = 5;
/// Most sessions remembered; past it the stale ones are dropped, or all.
const MAX_SESSIONS: usize = 10_000;

/// The API key a caller authenticated with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRef {
    pub id: ApiKeyId,
    pub name: String,
}

/// Who a token stands for: a user (with the permissions it may use) and,
/// for an API key, which key.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: User,
    pub api_key: Option<ApiKeyRef>,
}

#[derive(Default)]
pub struct SessionCache {
    /// By token hash: the caller and when the token was checked.
    entries: Mutex<HashMap<String, (Caller, Instant)>>,
}

impl SessionCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Caller, Instant)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The caller of a token checked within the last few seconds.
    pub fn get(&self, token_hash: &str) -> Option<Caller> {
        let ttl = Duration::from_secs(SESSION_CACHE_SECONDS);
        let mut entries = self.lock();
        match entries.get(token_hash) {
            Some((user, checked)) if checked.elapsed() < ttl => Some(user.clone()),
            Some(_) => {
                entries.remove(token_hash);
                None
            }
            None => None,
        }
    }

    /// Remembers a token the database just confirmed.
    pub fn insert(&self, token_hash: String, user: Caller) {
        let ttl = Duration::from_secs(SESSION_CACHE_SECONDS);
        let mut entries = self.lock();
        if entries.len() >= MAX_SESSIONS {
            entries.retain(|_, (_, checked)| checked.elapsed() < ttl);
            if entries.len() >= MAX_SESSIONS {
                entries.clear();
            }
        }
        entries.insert(token_hash, (user, Instant::now()));
    }

    /// Forgets a session that just ended.
    pub fn remove(&self, token_hash: &str) {
        self.lock().remove(token_hash);
    }

    /// Forgets every cached session (a setting that changes what many users
    /// may do changed).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Forgets an API key just revoked.
    pub fn remove_api_key(&self, key: ApiKeyId) {
        self.lock()
            .retain(|_, (cached, _)| cached.api_key.as_ref().map(|k| k.id) != Some(key));
    }

    /// Forgets every session of a user whose sessions ended or whose rights
    /// changed, so the next request asks the database.
    pub fn remove_user(&self, user: UserId) {
        self.lock().retain(|_, (cached, _)| cached.user.id != user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::{OrganizationId, UserId};
    use gururmm_store::Role;

    fn caller() -> Caller {
        Caller {
            user: user(),
            api_key: None,
        }
    }

    fn user() -> User {
        User {
            id: UserId::new(),
            organization_id: OrganizationId::new(),
            organization_name: "MSP".into(),
            email: "tech@msp.test".into(),
            role: Role::Technician,
            custom_role: None,
            clients: None,
            permissions: Role::Technician.permissions(),
            created_at: chrono::Utc::now(),
            last_sign_in_at: None,
            disabled_at: None,
            second_factor: false,
            must_set_up_second_factor: false,
            operator: false,
            organization_suspended: false,
            support: None,
        }
    }

    #[test]
    fn a_session_is_remembered_until_it_ends_and_the_cache_stays_bounded() {
        let cache = SessionCache::default();
        assert!(cache.get("a").is_none());
        cache.insert("a".into(), caller());
        assert!(cache.get("a").is_some());
        cache.remove("a");
        assert!(
            cache.get("a").is_none(),
            "a signed-out session is forgotten at once"
        );
        for i in 0..MAX_SESSIONS + 5 {
            cache.insert(i.to_string(), caller());
        }
        assert!(cache.lock().len() <= MAX_SESSIONS);
    }
}
