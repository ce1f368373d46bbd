//! A local OpenID Connect identity provider for tests: discovery, a JWKS, an
//! authorization endpoint that signs in whoever the test names at once, and
//! a token endpoint that checks the client secret, the redirect URI and PKCE
//! and answers an ID token the test may have it forge.

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) const CLIENT_ID: &str = "gururmm-test-client";
pub(crate) const CLIENT_SECRET: &str = "test-client-secret-0123456789";

/// Who signs in at the provider next.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub groups: Vec<String>,
}

impl Person {
    pub(crate) fn new(subject: &str, email: &str) -> Person {
        Person {
            subject: subject.into(),
            email: Some(email.into()),
            email_verified: Some(true),
            groups: Vec::new(),
        }
    }

    pub(crate) fn in_groups(mut self, groups: &[&str]) -> Person {
        self.groups = groups.iter().map(|g| g.to_string()).collect();
        self
    }
}

/// How the next ID token is made wrong (or not).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Forgery {
    Honest,
    /// `alg: none`, no signature.
    AlgNone,
    /// Signed by a key the provider's JWKS does not hold (same key id).
    WrongKey,
    WrongIssuer,
    WrongAudience,
    Expired,
    /// Carries this nonce instead of the sign-in's own.
    Nonce(String),
    /// A valid token whose payload was changed afterwards (another subject).
    Tampered,
    /// HS256 keyed with the client secret, which anyone holding it could make.
    HmacWithClientSecret,
}

struct Grant {
    nonce: String,
    challenge: String,
    redirect_uri: String,
    person: Person,
}

struct Provider {
    issuer: String,
    key: CoreRsaPrivateSigningKey,
    wrong_key: CoreRsaPrivateSigningKey,
    person: Mutex<Option<Person>>,
    forgery: Mutex<Forgery>,
    grants: Mutex<HashMap<String, Grant>>,
    nonces: Mutex<Vec<String>>,
}

pub(crate) struct TestIdentityProvider {
    pub issuer: String,
    provider: Arc<Provider>,
    _task: tokio::task::JoinHandle<()>,
}

fn signing_key(file: &str) -> CoreRsaPrivateSigningKey {
    let pem = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new("key-1".into()))).unwrap()
}

impl TestIdentityProvider {
    pub(crate) async fn start() -> TestIdentityProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let provider = Arc::new(Provider {
            issuer: issuer.clone(),
            key: signing_key("test-idp-key-1.pem"),
            wrong_key: signing_key("test-idp-key-2.pem"),
            person: Mutex::new(None),
            forgery: Mutex::new(Forgery::Honest),
            grants: Mutex::default(),
            nonces: Mutex::default(),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(provider.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestIdentityProvider {
            issuer,
            provider,
            _task: task,
        }
    }

    /// The person the next authorization signs in.
    pub(crate) fn sign_in_as(&self, person: Person) {
        *self.provider.person.lock().unwrap() = Some(person);
    }

    pub(crate) fn forge(&self, forgery: Forgery) {
        *self.provider.forgery.lock().unwrap() = forgery;
    }

    /// The nonces of the sign-ins so far, in order.
    pub(crate) fn nonces(&self) -> Vec<String> {
        self.provider.nonces.lock().unwrap().clone()
    }

    /// The body of `POST /api/v1/sso/providers` for this provider.
    pub(crate) fn provider_body(&self, name: &str, extra: &Value) -> Value {
        let mut body = json!({
            "name": name,
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "email_domains": ["acme.test"],
            "default_access": {"role": "technician"},
        });
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    }
}

async fn discovery(State(provider): State<Arc<Provider>>) -> Json<Value> {
    let issuer = &provider.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": ["openid", "email", "profile"],
    }))
}

async fn jwks(State(provider): State<Arc<Provider>>) -> Json<Value> {
    Json(json!({"keys": [serde_json::to_value(provider.key.as_verification_key()).unwrap()]}))
}

async fn authorize(
    State(provider): State<Arc<Provider>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| query.get(name).cloned().unwrap_or_default();
    if param("client_id") != CLIENT_ID
        || param("response_type") != "code"
        || param("code_challenge_method") != "S256"
        || !param("scope").split(' ').any(|s| s == "openid")
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let Some(person) = provider.person.lock().unwrap().clone() else {
        return (StatusCode::FORBIDDEN, "nobody signs in").into_response();
    };
    let code = format!("code-{}", uuid::Uuid::new_v4());
    provider.nonces.lock().unwrap().push(param("nonce"));
    provider.grants.lock().unwrap().insert(
        code.clone(),
        Grant {
            nonce: param("nonce"),
            challenge: param("code_challenge"),
            redirect_uri: param("redirect_uri"),
            person,
        },
    );
    let separator = if param("redirect_uri").contains('?') {
        '&'
    } else {
        '?'
    };
    Redirect::to(&format!(
        "{}{separator}code={code}&state={}",
        param("redirect_uri"),
        urlencode(&param("state"))
    ))
    .into_response()
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn token(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&expected)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let Some(grant) = provider.grants.lock().unwrap().remove(&field("code")) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if field("grant_type") != "authorization_code"
        || challenge != grant.challenge
        || field("redirect_uri") != grant.redirect_uri
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let forgery = provider.forgery.lock().unwrap().clone();
    let id_token = id_token(&provider, &grant, &forgery);
    Json(json!({
        "access_token": format!("access-{}", uuid::Uuid::new_v4()),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn id_token(provider: &Provider, grant: &Grant, forgery: &Forgery) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": provider.issuer,
        "sub": grant.person.subject,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": grant.nonce,
        "groups": grant.person.groups,
    });
    if let Some(email) = &grant.person.email {
        claims["email"] = json!(email);
    }
    if let Some(verified) = grant.person.email_verified {
        claims["email_verified"] = json!(verified);
    }
    match forgery {
        Forgery::WrongIssuer => claims["iss"] = json!("https://evil.example"),
        Forgery::WrongAudience => claims["aud"] = json!("some-other-client"),
        Forgery::Expired => {
            claims["iat"] = json!(now - 7_200);
            claims["exp"] = json!(now - 3_600);
        }
        Forgery::Nonce(nonce) => claims["nonce"] = json!(nonce),
        _ => {}
    }
    let rs256 = json!({"alg": "RS256", "kid": "key-1", "typ": "JWT"});
    let signed = |header: &Value, claims: &Value, key: &CoreRsaPrivateSigningKey| {
        let input = format!("{}.{}", encode(header), encode(claims));
        let signature = key
            .sign(
                &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                input.as_bytes(),
            )
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    };
    match forgery {
        Forgery::AlgNone => format!("{}.{}.", encode(&json!({"alg": "none"})), encode(&claims)),
        Forgery::WrongKey => signed(&rs256, &claims, &provider.wrong_key),
        Forgery::Tampered => {
            let token = signed(&rs256, &claims, &provider.key);
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            claims["sub"] = json!("someone-else");
            claims["email"] = json!("ceo@acme.test");
            parts[1] = encode(&claims);
            parts.join(".")
        }
        Forgery::HmacWithClientSecret => {
            use hmac::{Hmac, Mac};
            let input = format!(
                "{}.{}",
                encode(&json!({"alg": "HS256", "typ": "JWT"})),
                encode(&claims)
            );
            let mut mac = Hmac::<Sha256>::new_from_slice(CLIENT_SECRET.as_bytes()).unwrap();
            mac.update(input.as_bytes());
            format!(
                "{input}.{}",
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            )
        }
        _ => signed(&rs256, &claims, &provider.key),
    }
}
