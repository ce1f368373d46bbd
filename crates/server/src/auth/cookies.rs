//! The dashboard's session: an HttpOnly, SameSite=Strict cookie the page's
//! scripts cannot read, and a CSRF token for unsafe methods. API clients keep
//! using bearer tokens.
//!
//! The CSRF token is derived from the session token (a hash of it), so the
//! server checks it without storing anything, and a cookie planted by another
//! site cannot carry a matching token without knowing the session itself.

use crate::auth::secrets::sha256_hex;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "gururmm_session";
/// Readable by the page, which sends it back in [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "gururmm_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The CSRF token that goes with a session token.
pub fn csrf_token(session_token: &str) -> String {
    sha256_hex(&format!("csrf:{session_token}"))
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Whether a request with this method changes something (and needs the CSRF token).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request's CSRF header matches its session token.
pub fn csrf_matches(headers: &HeaderMap, session_token: &str) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|sent| {
            sent.as_bytes()
                .ct_eq(csrf_token(session_token).as_bytes())
                .into()
        })
}

/// `Set-Cookie` values that start a session of `max_age_seconds`.
pub fn session_cookies(token: &str, max_age_seconds: i64, secure: bool) -> [HeaderValue; 2] {
    let secure = if secure { "; Secure" } else { "" };
    [
        format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Strict{secure}"),
        format!("{CSRF_COOKIE}={}; Path=/; Max-Age={max_age_seconds}; SameSite=Strict{secure}", csrf_token(token)),
    ]
    .map(|cookie| HeaderValue::from_str(&cookie).expect("cookie values are hex and ASCII"))
}

/// `Set-Cookie` values that end the session in the browser.
pub fn clearing_cookies(secure: bool) -> [HeaderValue; 2] {
    let secure = if secure { "; Secure" } else { "" };
    [SESSION_COOKIE, CSRF_COOKIE].map(|name| {
        HeaderValue::from_str(&format!(
            "{name}=; Path=/; Max-Age=0; SameSite=Strict{secure}"
        ))
        .expect("ASCII")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others_and_csrf_must_match() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            "theme=dark; gururmm_session=abc123 ".parse().unwrap(),
        );
        headers.append(header::COOKIE, "other=1".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc123"));
        assert_eq!(cookie(&headers, "missing"), None);
        assert!(!csrf_matches(&headers, "abc123"));
        headers.insert(CSRF_HEADER, csrf_token("abc123").parse().unwrap());
        assert!(csrf_matches(&headers, "abc123"));
        assert!(!csrf_matches(&headers, "another-session"));
        let [session, csrf] = session_cookies("abc123", 60, true);
        let session = session.to_str().unwrap();
        assert!(
            session.contains("HttpOnly")
                && session.contains("SameSite=Strict")
                && session.contains("Secure")
        );
        assert!(
            !csrf.to_str().unwrap().contains("HttpOnly"),
            "the page reads the CSRF token"
        );
        assert!(is_unsafe(&Method::POST) && is_unsafe(&Method::DELETE) && !is_unsafe(&Method::GET));
    }
}
