//! Security keys and passkeys (WebAuthn) as a second factor, on every
//! backend, with a software passkey (webauthn-authenticator-rs) answering the
//! server's real ceremonies: registering ends other sessions; sign-in then
//! needs the key's answer, which works once and only for its user's
//! challenge; an unregistered key, a replayed answer and a wrong password are
//! refused; removing a key takes the password; an administrator's reset
//! removes keys; API keys register nothing. The list of keys says whether
//! the user has an authenticator app besides.

use crate::support::*;
use gururmm_server::config::Config;
use gururmm_store::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

const PUBLIC_URL: &str = "https://rmm.example.com";

fn config() -> Config {
    Config {
        public_url: Some(PUBLIC_URL.into()),
        ..test_config()
    }
}

fn origin() -> Url {
    Url::parse(PUBLIC_URL).unwrap()
}

/// Registers a key of `authenticator` for the session's user; answers it.
async fn register(
    server: &TestServer,
    session: &str,
    authenticator: &mut SoftPasskey,
    name: &str,
) -> (StatusCode, Value) {
    let (status, started) = server
        .post(
            "/api/v1/auth/webauthn/register/start",
            session,
            json!({"name": name}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let options: CreationChallengeResponse =
        serde_json::from_value(started["options"].clone()).unwrap();
    let credential = authenticator.do_registration(origin(), options).unwrap();
    server
        .post(
            "/api/v1/auth/webauthn/register/finish",
            session,
            json!({"challenge_id": started["challenge_id"], "credential": credential}),
        )
        .await
}

async fn challenge(server: &TestServer, email: &str, password: &str) -> (StatusCode, Value) {
    server
        .call(
            Method::POST,
            "/api/v1/auth/webauthn/challenge",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
}

/// The key's answer to a fresh sign-in challenge, as the login body takes it.
async fn answer(server: &TestServer, email: &str, authenticator: &mut SoftPasskey) -> Value {
    let (status, started) = challenge(server, email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let options: RequestChallengeResponse =
        serde_json::from_value(started["options"].clone()).unwrap();
    let credential = authenticator.do_authentication(origin(), options).unwrap();
    json!({"challenge_id": started["challenge_id"], "credential": credential})
}

async fn login_with(
    server: &TestServer,
    email: &str,
    webauthn: Option<Value>,
) -> (StatusCode, Value) {
    let mut body = json!({"email": email, "password": PASSWORD});
    if let Some(webauthn) = webauthn {
        body["webauthn"] = webauthn;
    }
    server
        .call(Method::POST, "/api/v1/auth/login", None, Some(body))
        .await
}

#[tokio::test]
async fn a_security_key_guards_sign_in_and_each_answer_works_once() {
    for database in TestDatabase::all().await {
        let server = TestServer::start_with(database, config()).await;
        let owner = server.admin_token().await;
        let session = server
            .invite_and_accept(
                &owner,
                json!({"email": "kim@msp-one.test", "role": "technician"}),
            )
            .await;
        let other_session = server.login("kim@msp-one.test", PASSWORD).await;
        let mut key = SoftPasskey::new(true);

        let (status, registered) = register(&server, &session, &mut key, "YubiKey 5C").await;
        assert_eq!(status, StatusCode::CREATED, "{registered}");
        assert_eq!(registered["name"], "YubiKey 5C");
        // The other session ended; this one goes on.
        assert_eq!(
            server.get("/api/v1/auth/me", &other_session).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, me) = server.get("/api/v1/auth/me", &session).await;
        assert_eq!(me["second_factor"], true);
        let (_, keys) = server
            .get("/api/v1/auth/webauthn/credentials", &session)
            .await;
        assert_eq!(keys["items"][0]["name"], "YubiKey 5C");
        assert!(
            !keys.to_string().contains("public"),
            "no key material: {keys}"
        );

        // The password alone no longer signs in.
        let (status, body) = login_with(&server, "kim@msp-one.test", None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("second_factor_required"))
        );
        // A challenge takes the right password.
        let (status, body) = challenge(&server, "kim@msp-one.test", "wrong").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
        let (status, body) = challenge(&server, "nobody@msp-one.test", PASSWORD).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );

        let signed = answer(&server, "kim@msp-one.test", &mut key).await;
        let (status, body) = login_with(&server, "kim@msp-one.test", Some(signed.clone())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The same answer again: its challenge is spent.
        let (status, body) = login_with(&server, "kim@msp-one.test", Some(signed)).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("second_factor_invalid"))
        );

        // A key the user never registered is refused.
        let mut stranger_key = SoftPasskey::new(true);
        let (_, started) = challenge(&server, "kim@msp-one.test", PASSWORD).await;
        let options: RequestChallengeResponse =
            serde_json::from_value(started["options"].clone()).unwrap();
        let refused = stranger_key.do_authentication(origin(), options).is_err()
            || login_with(&server, "kim@msp-one.test", Some(json!({"challenge_id": started["challenge_id"],
                "credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                    "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA"}}})))
                .await
                .0
                == StatusCode::UNAUTHORIZED;
        assert!(refused);

        // Another user's challenge does not sign this one in.
        let mut owner_key = SoftPasskey::new(true);
        let (status, _) = register(&server, &owner, &mut owner_key, "Owner key").await;
        assert_eq!(status, StatusCode::CREATED);
        let owners = answer(&server, ADMIN_EMAIL, &mut owner_key).await;
        let (status, _) = login_with(&server, "kim@msp-one.test", Some(owners)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Each sign-in says how it was made.
        let (_, log) = server.get("/api/v1/audit?action=sign_in", &owner).await;
        assert!(log.to_string().contains("password+webauthn"), "{log}");
    }
}

/// Whether the list of the session's keys says it has an authenticator app.
async fn authenticator_app(server: &TestServer, session: &str) -> Value {
    let (status, keys) = server
        .get("/api/v1/auth/webauthn/credentials", session)
        .await;
    assert_eq!(status, StatusCode::OK, "{keys}");
    keys["authenticator_app"].clone()
}

#[tokio::test]
async fn keys_are_removed_with_the_password_or_by_an_administrator() {
    for database in TestDatabase::all().await {
        let server = TestServer::start_with(database, config()).await;
        let owner = server.admin_token().await;
        let session = server
            .invite_and_accept(
                &owner,
                json!({"email": "lee@msp-one.test", "role": "technician"}),
            )
            .await;
        let mut key = SoftPasskey::new(true);
        let (_, first) = register(&server, &session, &mut key, "Laptop").await;
        let mut spare = SoftPasskey::new(true);
        register(&server, &session, &mut spare, "Spare").await;
        // An authenticator app can be added beside keys, and the list of
        // keys says whether there is one (`second_factor` is true either way).
        assert_eq!(authenticator_app(&server, &session).await, json!(false));
        let (status, totp) = server
            .post("/api/v1/auth/totp/setup", &session, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{totp}");
        assert_eq!(
            authenticator_app(&server, &session).await,
            json!(false),
            "not before it is confirmed"
        );
        let code = totp_rs::Builder::new()
            .with_secret(
                totp_rs::Secret::try_from_base32(totp["secret"].as_str().unwrap()).unwrap(),
            )
            .build_noncompliant()
            .generate(u64::try_from(chrono::Utc::now().timestamp()).unwrap())
            .to_string();
        let (status, confirmed) = server
            .post("/api/v1/auth/totp/confirm", &session, json!({"code": code}))
            .await;
        assert_eq!(status, StatusCode::OK, "{confirmed}");
        assert_eq!(authenticator_app(&server, &session).await, json!(true));

        let path = format!(
            "/api/v1/auth/webauthn/credentials/{}",
            first["id"].as_str().unwrap()
        );
        let (status, body) = server
            .call(
                Method::DELETE,
                &path,
                Some(&session),
                Some(json!({"password": "wrong"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = server
            .call(
                Method::DELETE,
                &path,
                Some(&session),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, keys) = server
            .get("/api/v1/auth/webauthn/credentials", &session)
            .await;
        assert_eq!(keys["items"].as_array().unwrap().len(), 1);
        // The removed key no longer answers; the spare does.
        let (_, started) = challenge(&server, "lee@msp-one.test", PASSWORD).await;
        let options: RequestChallengeResponse =
            serde_json::from_value(started["options"].clone()).unwrap();
        assert!(
            key.do_authentication(origin(), options).is_err(),
            "the removed key is not asked for"
        );
        let signed = answer(&server, "lee@msp-one.test", &mut spare).await;
        assert_eq!(
            login_with(&server, "lee@msp-one.test", Some(signed))
                .await
                .0,
            StatusCode::OK
        );

        // Someone else's key is not found.
        let (_, users) = server.get("/api/v1/users", &owner).await;
        let lee = users["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == "lee@msp-one.test")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, spare_key) = server
            .get("/api/v1/auth/webauthn/credentials", &session)
            .await;
        let spare_path = format!(
            "/api/v1/auth/webauthn/credentials/{}",
            spare_key["items"][0]["id"].as_str().unwrap()
        );
        let (status, _) = server
            .call(
                Method::DELETE,
                &spare_path,
                Some(&owner),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // An administrator's reset removes the keys: the password alone signs in.
        let (status, body) = server
            .post(
                &format!("/api/v1/users/{lee}/reset-second-factor"),
                &owner,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            login_with(&server, "lee@msp-one.test", None).await.0,
            StatusCode::OK
        );
        let (status, body) = challenge(&server, "lee@msp-one.test", PASSWORD).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("no_security_key"))
        );
    }
}

#[tokio::test]
async fn bad_requests_and_api_keys_get_clear_refusals() {
    let server = TestServer::start_with(TestDatabase::sqlite().await, config()).await;
    let owner = server.admin_token().await;
    let (status, body) = server
        .post(
            "/api/v1/auth/webauthn/register/start",
            &owner,
            json!({"name": "x".repeat(61)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("name:"));
    let (status, _) = server
        .post(
            "/api/v1/auth/webauthn/register/finish",
            &owner,
            json!({"challenge_id": uuid::Uuid::new_v4(), "credential": {"id": "x"}}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a credential that is none"
    );
    let mut key = SoftPasskey::new(true);
    let (status, started) = server
        .post(
            "/api/v1/auth/webauthn/register/start",
            &owner,
            json!({"name": "Key"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let options: CreationChallengeResponse =
        serde_json::from_value(started["options"].clone()).unwrap();
    let credential = key.do_registration(origin(), options).unwrap();
    let finish = json!({"challenge_id": started["challenge_id"], "credential": credential});
    assert_eq!(
        server
            .post(
                "/api/v1/auth/webauthn/register/finish",
                &owner,
                finish.clone()
            )
            .await
            .0,
        StatusCode::CREATED
    );
    let (status, body) = server
        .post("/api/v1/auth/webauthn/register/finish", &owner, finish)
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a challenge serves once: {body}"
    );

    let (status, created) = server
        .post(
            "/api/v1/api-keys",
            &owner,
            json!({"name": "automation", "permissions": ["view_agents"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let api_key = created["key"].as_str().unwrap();
    let (status, body) = server
        .post(
            "/api/v1/auth/webauthn/register/start",
            api_key,
            json!({"name": "Bot key"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_required"))
    );
}

#[tokio::test]
async fn the_relying_party_is_the_public_host_and_loopback_stands_for_localhost() {
    for (public_url, origin, works) in [
        ("http://127.0.0.1:8080", "http://localhost:8080", true),
        ("https://rmm.example.com", "https://rmm.example.com", true),
        ("http://192.0.2.10:8080", "", false),
    ] {
        let config = Config {
            public_url: Some(public_url.into()),
            ..test_config()
        };
        let server = TestServer::start_with(TestDatabase::sqlite().await, config).await;
        let owner = server.admin_token().await;
        let (status, started) = server
            .post(
                "/api/v1/auth/webauthn/register/start",
                &owner,
                json!({"name": "Key"}),
            )
            .await;
        if !works {
            assert_eq!(status, StatusCode::CONFLICT, "{started}");
            assert!(started["error"]["message"]
                .as_str()
                .unwrap()
                .contains("host name"));
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{started}");
        let options: CreationChallengeResponse =
            serde_json::from_value(started["options"].clone()).unwrap();
        let credential = SoftPasskey::new(true)
            .do_registration(Url::parse(origin).unwrap(), options)
            .unwrap();
        let (status, body) = server
            .post(
                "/api/v1/auth/webauthn/register/finish",
                &owner,
                json!({"challenge_id": started["challenge_id"], "credential": credential}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{public_url}: {body}");
    }
}
