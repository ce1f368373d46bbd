//! OpenID Connect single sign-on against a local identity provider, on every
//! backend: the whole flow (start, the provider, the callback) opens a
//! session; forged ID tokens, replayed nonces and states, a callback in
//! another browser and users the provider may not let in are refused, each
//! recorded; users come in just in time with the access of their groups;
//! "single sign-on only" takes passwords from everyone but owners; the
//! client secret is never shown.

use crate::identity_provider::{Forgery, Person, TestIdentityProvider, CLIENT_SECRET};
use crate::support::*;
use gururmm_store::testing::TestDatabase;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

/// How a sign-in through the provider ended.
struct Outcome {
    /// Where the callback sent the browser.
    location: String,
    /// The session it opened, if any.
    session: Option<String>,
}

fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Starts a sign-in and follows the provider to the callback URL it sends
/// the browser to; answers that URL (on the server) and the state cookie.
async fn through_provider(server: &TestServer, provider: &str) -> (String, String) {
    let http = browser();
    let response = http
        .post(format!("{}/api/v1/auth/sso/start", server.base))
        .json(&json!({"provider_id": provider, "return_to": "/agents"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = cookie_value(&response, "gururmm_sso").expect("a state cookie");
    let started: Value = response.json().await.unwrap();
    let authorization = started["authorization_url"].as_str().unwrap();
    let at_provider = http.get(authorization).send().await.unwrap();
    assert_eq!(
        at_provider.status(),
        StatusCode::SEE_OTHER,
        "the provider redirects back"
    );
    let back = at_provider.headers()[header::LOCATION].to_str().unwrap();
    let path = back.split_once("/api/v1/").map(|(_, rest)| rest).unwrap();
    (format!("{}/api/v1/{path}", server.base), cookie)
}

async fn callback(url: &str, cookie: Option<&str>) -> Outcome {
    let mut request = browser().get(url);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, format!("gururmm_sso={cookie}"));
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    Outcome {
        location: response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned(),
        session: cookie_value(&response, "gururmm_session"),
    }
}

async fn sign_in(server: &TestServer, provider: &str) -> Outcome {
    let (url, cookie) = through_provider(server, provider).await;
    callback(&url, Some(&cookie)).await
}

async fn add_provider(server: &TestServer, token: &str, body: Value) -> String {
    let (status, created) = server.post("/api/v1/sso/providers", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn me(server: &TestServer, session: &str) -> Value {
    let (status, me) = server.get("/api/v1/auth/me", session).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me
}

/// The reasons of the organization's refused single sign-ons, oldest first.
async fn refusals(server: &TestServer, owner: &str) -> Vec<String> {
    let (_, log) = server
        .get("/api/v1/audit?action=sign_in_failed", owner)
        .await;
    let mut reasons: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["method"] == "sso")
        .map(|e| {
            e["details"]["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    reasons.reverse();
    reasons
}

#[tokio::test]
async fn a_person_signs_in_through_the_provider_and_comes_in_with_the_default_access() {
    let idp = TestIdentityProvider::start().await;
    for database in TestDatabase::all().await {
        let server = TestServer::start(database).await;
        let owner = server.admin_token().await;
        let (client, _, _) = server.client_site_key(&owner).await;
        let provider = add_provider(
            &server,
            &owner,
            idp.provider_body(
                "Acme Entra",
                &json!({"default_access": {"role": "technician", "client_ids": [client]}}),
            ),
        )
        .await;

        // The sign-in page labels the provider's button from its link.
        let (status, button) = server
            .call(
                Method::GET,
                &format!("/api/v1/auth/sso/providers/{provider}"),
                None,
                None,
            )
            .await;
        assert_eq!(
            (status, button["name"].as_str()),
            (StatusCode::OK, Some("Acme Entra"))
        );

        idp.sign_in_as(Person::new("sub-ann", "Ann@Acme.test"));
        let outcome = sign_in(&server, &provider).await;
        assert_eq!(
            outcome.location, "/agents",
            "back where the sign-in started"
        );
        let session = outcome.session.expect("a session");
        let ann = me(&server, &session).await;
        assert_eq!(ann["email"], "ann@acme.test");
        assert_eq!(ann["role"], "technician");
        assert_eq!(ann["client_ids"], json!([client]));

        // The next sign-in finds the same user by the subject, even under a
        // new address.
        idp.sign_in_as(Person::new("sub-ann", "ann.new@acme.test"));
        let again = sign_in(&server, &provider).await;
        assert_eq!(me(&server, &again.session.unwrap()).await["id"], ann["id"]);
        let (_, users) = server.get("/api/v1/users", &owner).await;
        assert_eq!(users["items"].as_array().unwrap().len(), 2, "{users}");

        // Each sign-in and the new user are in the audit log.
        let (_, log) = server.get("/api/v1/audit?action=sign_in", &owner).await;
        let sso = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["details"]["method"] == "sso")
            .count();
        assert_eq!(sso, 2, "{log}");
        let (_, provisioned) = server
            .get("/api/v1/audit?action=sso_provision", &owner)
            .await;
        assert_eq!(provisioned["items"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn forged_and_replayed_id_tokens_are_refused_and_recorded() {
    let idp = TestIdentityProvider::start().await;
    for database in TestDatabase::all().await {
        let server = TestServer::start(database).await;
        let owner = server.admin_token().await;
        let provider = add_provider(&server, &owner, idp.provider_body("Acme", &json!({}))).await;
        idp.sign_in_as(Person::new("sub-bob", "bob@acme.test"));
        idp.forge(Forgery::Honest);
        assert!(sign_in(&server, &provider).await.session.is_some());
        let used_nonce = idp.nonces().last().unwrap().clone();

        let corpus = [
            (Forgery::AlgNone, "ID token was refused"),
            (Forgery::WrongKey, "ID token was refused"),
            (Forgery::WrongIssuer, "ID token was refused"),
            (Forgery::WrongAudience, "ID token was refused"),
            (Forgery::Expired, "ID token was refused"),
            (Forgery::Nonce(used_nonce), "ID token was refused"),
            (Forgery::Tampered, "ID token was refused"),
            (Forgery::HmacWithClientSecret, "ID token was refused"),
        ];
        for (forgery, reason) in corpus {
            idp.forge(forgery.clone());
            let outcome = sign_in(&server, &provider).await;
            assert!(outcome.session.is_none(), "{forgery:?} opened a session");
            assert!(
                outcome.location.starts_with("/login?sso_error=")
                    && outcome.location.ends_with("&redirect=%2Fagents"),
                "{forgery:?}: back to the sign-in page, then where it was going: {}",
                outcome.location
            );
            let last = refusals(&server, &owner).await.pop().unwrap_or_default();
            assert!(last.contains(reason), "{forgery:?}: {last}");
        }
        idp.forge(Forgery::Honest);

        // A callback replayed (its state is used), or arriving in a browser
        // that did not start it, opens nothing.
        let (url, cookie) = through_provider(&server, &provider).await;
        assert!(
            callback(&url, None).await.session.is_none(),
            "no state cookie"
        );
        assert!(callback(&url, Some("another-browser"))
            .await
            .session
            .is_none());
        let (url, cookie_two) = through_provider(&server, &provider).await;
        assert!(callback(&url, Some(&cookie_two)).await.session.is_some());
        let replayed = callback(&url, Some(&cookie_two)).await;
        assert!(replayed.session.is_none(), "a state serves once");
        assert!(
            replayed.location.contains("expired"),
            "{}",
            replayed.location
        );
        drop(cookie);

        // The forged subject never became a user.
        let (_, users) = server.get("/api/v1/users", &owner).await;
        assert!(!users.to_string().contains("ceo@acme.test"), "{users}");
    }
}

#[tokio::test]
async fn groups_decide_the_access_and_who_may_not_come_in_is_refused() {
    let idp = TestIdentityProvider::start().await;
    for database in TestDatabase::all().await {
        let server = TestServer::start(database).await;
        let owner = server.admin_token().await;
        let stranger = server.stranger_token().await;
        let body = idp.provider_body(
            "Acme",
            &json!({"default_access": null, "groups_claim": "groups",
                   "group_rules": [{"group": "rmm-admins", "role": "admin"},
                                   {"group": "helpdesk", "role": "readonly"}]}),
        );
        let provider = add_provider(&server, &owner, body).await;

        idp.sign_in_as(Person::new("sub-cy", "cy@acme.test").in_groups(&["staff", "rmm-admins"]));
        let session = sign_in(&server, &provider).await.session.unwrap();
        assert_eq!(me(&server, &session).await["role"], "admin");
        // Moved to another group at the provider: the access follows.
        idp.sign_in_as(Person::new("sub-cy", "cy@acme.test").in_groups(&["helpdesk"]));
        let session = sign_in(&server, &provider).await.session.unwrap();
        assert_eq!(me(&server, &session).await["role"], "readonly");
        // In no group the provider lets in: refused.
        idp.sign_in_as(Person::new("sub-cy", "cy@acme.test").in_groups(&["staff"]));
        assert!(sign_in(&server, &provider).await.session.is_none());
        idp.sign_in_as(Person::new("sub-dee", "dee@acme.test"));
        assert!(sign_in(&server, &provider).await.session.is_none());

        // Another domain, an unverified address, no address, a disabled
        // user, a user of another organization: refused.
        idp.sign_in_as(Person::new("sub-eve", "eve@evil.test").in_groups(&["rmm-admins"]));
        assert!(sign_in(&server, &provider).await.session.is_none());
        let mut unverified = Person::new("sub-fay", "fay@acme.test").in_groups(&["rmm-admins"]);
        unverified.email_verified = Some(false);
        idp.sign_in_as(unverified);
        assert!(sign_in(&server, &provider).await.session.is_none());
        let mut anonymous = Person::new("sub-gus", "gus@acme.test").in_groups(&["rmm-admins"]);
        anonymous.email = None;
        idp.sign_in_as(anonymous);
        assert!(sign_in(&server, &provider).await.session.is_none());
        let (_, other) = server
            .post(
                "/api/v1/users",
                &stranger,
                json!({"email": "hal@acme.test", "role": "technician"}),
            )
            .await;
        server.accept_link(&other["link"]).await;
        idp.sign_in_as(Person::new("sub-hal", "hal@acme.test").in_groups(&["rmm-admins"]));
        assert!(sign_in(&server, &provider).await.session.is_none());
        let reasons = refusals(&server, &owner).await;
        for expected in [
            "no group the provider lets in",
            "not in the provider's email domains",
            "not verified",
            "no email claim",
            "another organization",
        ] {
            assert!(
                reasons.iter().any(|r| r.contains(expected)),
                "{expected}: {reasons:?}"
            );
        }
        let (_, stranger_log) = server
            .get("/api/v1/audit?action=sign_in_failed", &stranger)
            .await;
        assert!(!stranger_log.to_string().contains("sso"), "{stranger_log}");

        // An invited user is linked by address; once disabled, refused.
        let (_, invited) = server
            .post(
                "/api/v1/users",
                &owner,
                json!({"email": "ivy@acme.test", "role": "technician"}),
            )
            .await;
        let ivy_session = server.accept_link(&invited["link"]).await;
        let ivy = me(&server, &ivy_session).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        idp.sign_in_as(Person::new("sub-ivy", "ivy@acme.test").in_groups(&["helpdesk"]));
        let session = sign_in(&server, &provider).await.session.unwrap();
        assert_eq!(me(&server, &session).await["id"], ivy.as_str());
        let (status, _) = server
            .post(&format!("/api/v1/users/{ivy}/disable"), &owner, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(sign_in(&server, &provider).await.session.is_none());
    }
}

#[tokio::test]
async fn single_sign_on_only_takes_passwords_from_everyone_but_owners() {
    let idp = TestIdentityProvider::start().await;
    for database in TestDatabase::all().await {
        let server = TestServer::start(database).await;
        let owner = server.admin_token().await;
        let (status, refused) = server
            .put("/api/v1/sso/settings", &owner, json!({"sso_only": true}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "no provider yet: {refused}");
        let provider = add_provider(&server, &owner, idp.provider_body("Acme", &json!({}))).await;
        server
            .invite_and_accept(
                &owner,
                json!({"email": "tech@acme.test", "role": "technician"}),
            )
            .await;
        let (status, settings) = server
            .put("/api/v1/sso/settings", &owner, json!({"sso_only": true}))
            .await;
        assert_eq!(
            (status, settings["sso_only"].as_bool()),
            (StatusCode::OK, Some(true))
        );
        let (_, changed) = server
            .get("/api/v1/audit?action=put_sso_settings", &owner)
            .await;
        let details = &changed["items"][0]["details"];
        assert_eq!(
            (
                changed["total"].as_i64(),
                &details["before"]["sso_only"],
                &details["after"]["sso_only"]
            ),
            (Some(1), &json!(false), &json!(true)),
            "one record with the setting before and after: {changed}"
        );

        let (status, body) = server.try_login("tech@acme.test", PASSWORD).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("sso_required")),
            "{body}"
        );
        // A wrong password still says only that.
        let (status, body) = server.try_login("tech@acme.test", "wrong").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
        // A password-reset link sets no password nobody may use.
        let (_, users) = server.get("/api/v1/users", &owner).await;
        let tech = users["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == "tech@acme.test")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, reset) = server
            .post(
                &format!("/api/v1/users/{tech}/reset-password"),
                &owner,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{reset}");
        let token = reset["link"]
            .as_str()
            .unwrap()
            .split_once("#token=")
            .unwrap()
            .1
            .to_owned();
        let (status, body) = server
            .call(
                Method::POST,
                "/api/v1/auth/link/accept",
                None,
                Some(json!({"token": token, "password": "a brand new password 123"})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("sso_required")),
            "{body}"
        );
        // Owners keep their password, for when the provider is down.
        server.login(ADMIN_EMAIL, PASSWORD).await;
        // The technician comes in through the provider.
        idp.sign_in_as(Person::new("sub-tech", "tech@acme.test"));
        assert!(sign_in(&server, &provider).await.session.is_some());

        // The last enabled provider cannot go while it is required.
        let (status, _) = server
            .delete(&format!("/api/v1/sso/providers/{provider}"), &owner)
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = server
            .put(
                &format!("/api/v1/sso/providers/{provider}"),
                &owner,
                idp.provider_body("Acme", &json!({"enabled": false})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (_, list) = server.get("/api/v1/sso/providers", &owner).await;
        assert_eq!(list["items"][0]["enabled"], true);
        server
            .put("/api/v1/sso/settings", &owner, json!({"sso_only": false}))
            .await;
        assert_eq!(
            server.try_login("tech@acme.test", PASSWORD).await.0,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn providers_are_checked_and_their_secret_never_shown() {
    let idp = TestIdentityProvider::start().await;
    for database in TestDatabase::all().await {
        let server = TestServer::start(database).await;
        let owner = server.admin_token().await;
        for (extra, field) in [
            (json!({"client_secret": null}), "client_secret"),
            (json!({"issuer": "ftp://idp.example"}), "issuer"),
            (json!({"issuer": "https://idp.example/?tenant=1"}), "issuer"),
            (json!({"email_domains": []}), "email_domains"),
            (json!({"email_domains": ["not a domain"]}), "email_domains"),
            (json!({"name": ""}), "name"),
            (json!({"name": "x".repeat(101)}), "name"),
            (
                json!({"default_access": {"role": "owner"}}),
                "default_access",
            ),
            (json!({"default_access": null}), "default_access"),
            (json!({"groups_claim": "groups; drop"}), "groups_claim"),
            (
                json!({"group_rules": [{"group": "", "role": "admin"}]}),
                "group_rules[0].group",
            ),
            (
                json!({"default_access": {"role": "technician", "client_ids": ["00000000-0000-0000-0000-000000000000"]}}),
                "client_ids",
            ),
        ] {
            let (status, body) = server
                .post(
                    "/api/v1/sso/providers",
                    &owner,
                    idp.provider_body("Acme", &extra),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{extra}: {body}");
            assert!(
                body["error"]["message"].as_str().unwrap().contains(field),
                "{extra}: {body}"
            );
        }
        let (status, body) = server
            .post(
                "/api/v1/sso/providers",
                &owner,
                json!({"name": "Acme", "surprise": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        let provider = add_provider(&server, &owner, idp.provider_body("Acme", &json!({}))).await;
        let (_, shown) = server
            .get(&format!("/api/v1/sso/providers/{provider}"), &owner)
            .await;
        assert_eq!(shown["client_secret_set"], true);
        assert!(shown["sign_in_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/login?sso={provider}")));
        // A change without the secret keeps it: sign-in still works.
        let (status, _) = server
            .put(
                &format!("/api/v1/sso/providers/{provider}"),
                &owner,
                idp.provider_body("Acme renamed", &json!({"client_secret": null})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        idp.sign_in_as(Person::new("sub-jo", "jo@acme.test"));
        assert!(sign_in(&server, &provider).await.session.is_some());
        let stored: Vec<String> = server
            .database()
            .query_strings("SELECT client_secret_sealed FROM sso_providers")
            .await;
        assert!(stored.iter().all(|s| !s.contains(CLIENT_SECRET)));
        let (_, everything) = server.get("/api/v1/sso/providers", &owner).await;
        let (_, log) = server.get("/api/v1/audit", &owner).await;
        for shown in [everything.to_string(), log.to_string()] {
            assert!(!shown.contains(CLIENT_SECRET), "{shown}");
        }

        // An unknown or disabled provider's link leads nowhere.
        server
            .put(
                &format!("/api/v1/sso/providers/{provider}"),
                &owner,
                idp.provider_body("Acme", &json!({"enabled": false})),
            )
            .await;
        for id in [provider.as_str(), "00000000-0000-0000-0000-000000000000"] {
            let (status, _) = server
                .call(
                    Method::POST,
                    "/api/v1/auth/sso/start",
                    None,
                    Some(json!({"provider_id": id})),
                )
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        let (status, _) = server
            .call(
                Method::POST,
                "/api/v1/auth/sso/start",
                None,
                Some(json!({"provider_id": "nope"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn nobody_grants_past_their_own_access_through_a_provider() {
    let idp = TestIdentityProvider::start().await;
    for database in TestDatabase::all().await {
        let server = TestServer::start(database).await;
        let owner = server.admin_token().await;
        let (status, role) = server
            .post(
                "/api/v1/roles",
                &owner,
                json!({"name": "Security officer", "permissions": ["manage_organization", "view_agents"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{role}");
        let officer = server
            .invite_and_accept(
                &owner,
                json!({"email": "officer@msp-one.test", "role": "custom", "custom_role_id": role["id"]}),
            )
            .await;
        let (status, body) = server
            .post(
                "/api/v1/sso/providers",
                &officer,
                idp.provider_body("Acme", &json!({})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "technician holds more: {body}"
        );
        let (status, body) = server
            .post(
                "/api/v1/sso/providers",
                &officer,
                idp.provider_body(
                    "Acme",
                    &json!({"default_access": {"role": "custom", "custom_role_id": role["id"]}}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

#[tokio::test]
async fn an_unreachable_provider_is_a_clear_bad_gateway() {
    let idp = TestIdentityProvider::start().await;
    let server = TestServer::start(TestDatabase::sqlite().await).await;
    let owner = server.admin_token().await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let provider = add_provider(
        &server,
        &owner,
        idp.provider_body("Gone", &json!({"issuer": issuer})),
    )
    .await;
    let (status, body) = server
        .call(
            Method::POST,
            "/api/v1/auth/sso/start",
            None,
            Some(json!({"provider_id": provider})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("Gone"),
        "{body}"
    );
}

#[tokio::test]
async fn sign_ins_in_progress_through_a_provider_are_bounded() {
    let idp = TestIdentityProvider::start().await;
    for database in TestDatabase::all().await {
        let server = TestServer::start(database).await;
        let owner = server.admin_token().await;
        let provider = add_provider(&server, &owner, idp.provider_body("Acme", &json!({}))).await;
        let id: gururmm_protocol::SsoProviderId = provider.parse().unwrap();
        let organization = server.admin_organization().await;
        for n in 0..gururmm_server::services::sso::MAX_PENDING_SIGN_INS {
            server
                .store
                .put_sso_login(
                    &format!("state-{n}"),
                    gururmm_store::SsoLogin {
                        provider_id: id,
                        organization_id: organization,
                        nonce: "n".into(),
                        pkce_verifier_sealed: "v".into(),
                        return_to: None,
                        expires_at: chrono::Utc::now() + chrono::Duration::minutes(10),
                    },
                )
                .await
                .unwrap();
        }
        let start = json!({"provider_id": provider});
        let (status, body) = server
            .call(
                Method::POST,
                "/api/v1/auth/sso/start",
                None,
                Some(start.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        // Once they expire, sign-ins start again.
        server
            .database()
            .execute_raw("UPDATE sso_logins SET expires_at = 0")
            .await;
        let (status, body) = server
            .call(Method::POST, "/api/v1/auth/sso/start", None, Some(start))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
