//! The TOTP second factor through the API: setup and confirmation with a
//! real authenticator's codes (generated here by `totp-rs` from the secret
//! the server gave), sign-in that needs a code once it is on, codes and
//! recovery codes that work once, the secret sealed at rest, turning it off,
//! and an administrator's reset.

use crate::support::*;
use gururmm_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use totp_rs::{Builder, Secret};

/// The code an authenticator app shows `offset_steps` steps from now.
fn code(secret: &str, offset_steps: i64) -> String {
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build_noncompliant();
    let now = chrono::Utc::now().timestamp() + offset_steps * 30;
    totp.generate(u64::try_from(now).unwrap()).to_string()
}

async fn sign_in(server: &TestServer, body: Value) -> (StatusCode, Value) {
    server
        .call(Method::POST, "/api/v1/auth/login", None, Some(body))
        .await
}

fn credentials(extra: &Value) -> Value {
    let mut body = json!({"email": "tech@msp-one.test", "password": PASSWORD});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

#[tokio::test]
async fn a_second_factor_guards_sign_in_once_confirmed_and_each_code_works_once() {
    each_backend(|server| async move {
        let org = server.admin_organization().await;
        let tech = server
            .user_token(org, "tech@msp-one.test", Role::Technician)
            .await;
        let other_session = server.login("tech@msp-one.test", PASSWORD).await;

        let (status, setup) = server
            .post("/api/v1/auth/totp/setup", &tech, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{setup}");
        let secret = setup["secret"].as_str().unwrap().to_string();
        let url = setup["otpauth_url"].as_str().unwrap();
        assert!(
            url.starts_with("otpauth://totp/GuruRMM:tech%40msp-one.test?")
                && url.contains("issuer=GuruRMM"),
            "{url}"
        );
        // Not on until confirmed: the password alone still signs in.
        assert_eq!(
            sign_in(&server, credentials(&json!({}))).await.0,
            StatusCode::OK
        );

        let (status, refused) = server
            .post(
                "/api/v1/auth/totp/confirm",
                &tech,
                json!({"code": "000000"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("code:"),
            "{refused}"
        );
        let (status, confirmed) = server
            .post(
                "/api/v1/auth/totp/confirm",
                &tech,
                json!({"code": code(&secret, 0)}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{confirmed}");
        let recovery: Vec<String> = confirmed["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(recovery.len(), 10);
        assert_eq!(
            recovery
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len(),
            10
        );
        // Its other sessions end; this one goes on and says the factor is on.
        assert_eq!(
            server.get("/api/v1/auth/me", &other_session).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, me) = server.get("/api/v1/auth/me", &tech).await;
        assert_eq!(me["second_factor"], true, "{me}");
        // The secret is sealed in the database, never kept as given.
        let stored = server
            .store
            .totp_state(me["id"].as_str().unwrap().parse().unwrap())
            .await
            .unwrap();
        let sealed = stored.secret.unwrap();
        assert!(!sealed.contains(&secret) && sealed != secret);
        assert_eq!(stored.recovery_codes_left, 10);

        // Now the password alone is not enough, and says what is missing.
        let (status, needed) = sign_in(&server, credentials(&json!({}))).await;
        assert_eq!(
            (status, &needed["error"]["code"]),
            (StatusCode::UNAUTHORIZED, &json!("second_factor_required"))
        );
        let (status, wrong) = sign_in(&server, credentials(&json!({"totp": "123456"}))).await;
        assert_eq!(
            (status, &wrong["error"]["code"]),
            (StatusCode::UNAUTHORIZED, &json!("second_factor_invalid"))
        );
        // A wrong password with a right code is just a wrong password.
        let (status, bad) = sign_in(
            &server,
            json!({"email": "tech@msp-one.test", "password": "wrong!", "totp": code(&secret, 1)}),
        )
        .await;
        assert_eq!(
            (status, &bad["error"]["code"]),
            (StatusCode::UNAUTHORIZED, &json!("unauthorized"))
        );
        // The code that confirmed the setup was spent; the app's next one works, once.
        let next = code(&secret, 1);
        let (status, _) = sign_in(&server, credentials(&json!({"totp": next}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, replayed) = sign_in(&server, credentials(&json!({"totp": next}))).await;
        assert_eq!(
            (status, &replayed["error"]["code"]),
            (StatusCode::UNAUTHORIZED, &json!("second_factor_invalid"))
        );

        // A recovery code works once, however it is typed.
        let typed = recovery[3].to_uppercase().replace('-', " ");
        let (status, signed_in) =
            sign_in(&server, credentials(&json!({"recovery_code": typed}))).await;
        assert_eq!(status, StatusCode::OK, "{signed_in}");
        let (status, _) =
            sign_in(&server, credentials(&json!({"recovery_code": recovery[3]}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Setting up another while one is on is refused.
        let (status, _) = server
            .post("/api/v1/auth/totp/setup", &tech, json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);

        // The failures are in the audit log; the code given never is.
        let owner = server.admin_token().await;
        let (_, failures) = server
            .get("/api/v1/audit?action=sign_in_failed", &owner)
            .await;
        assert!(failures["total"].as_i64().unwrap() >= 3, "{failures}");
        let (_, export) = server
            .get(
                "/api/v1/audit/export?format=jsonl&action=totp_confirm",
                &owner,
            )
            .await;
        assert!(!export.as_str().unwrap().contains(&code(&secret, 0)));

        // Turning it off takes the password.
        let (status, _) = server
            .post(
                "/api/v1/auth/totp/disable",
                &tech,
                json!({"password": "not it"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = server
            .post(
                "/api/v1/auth/totp/disable",
                &tech,
                json!({"password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            sign_in(&server, credentials(&json!({}))).await.0,
            StatusCode::OK
        );
    })
    .await;
}

#[tokio::test]
async fn an_administrator_resets_a_lost_second_factor_and_the_user_is_signed_out() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let org = server.admin_organization().await;
        let tech = server
            .user_token(org, "tech@msp-one.test", Role::Technician)
            .await;
        let admin = server
            .user_token(org, "second@msp-one.test", Role::Admin)
            .await;
        let (_, setup) = server
            .post("/api/v1/auth/totp/setup", &tech, json!({}))
            .await;
        let secret = setup["secret"].as_str().unwrap().to_string();
        server
            .post(
                "/api/v1/auth/totp/confirm",
                &tech,
                json!({"code": code(&secret, 0)}),
            )
            .await;
        let (_, users) = server.get("/api/v1/users", &owner).await;
        let find = |email: &str| {
            users["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["email"] == email)
                .unwrap()
                .clone()
        };
        let tech_user = find("tech@msp-one.test");
        assert_eq!(tech_user["second_factor"], true);
        let id = tech_user["id"].as_str().unwrap();

        // A technician cannot; another organization finds no such user.
        let (status, _) = server
            .post(
                &format!("/api/v1/users/{id}/reset-second-factor"),
                &tech,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let stranger = server.stranger_token().await;
        let (status, _) = server
            .post(
                &format!("/api/v1/users/{id}/reset-second-factor"),
                &stranger,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // An administrator cannot reset an owner's.
        let owner_id = find(ADMIN_EMAIL)["id"].as_str().unwrap().to_string();
        let (status, _) = server
            .post(
                &format!("/api/v1/users/{owner_id}/reset-second-factor"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let (status, reset) = server
            .post(
                &format!("/api/v1/users/{id}/reset-second-factor"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(
            (status, &reset["second_factor"]),
            (StatusCode::OK, &json!(false)),
            "{reset}"
        );
        assert_eq!(
            server.get("/api/v1/auth/me", &tech).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            sign_in(&server, credentials(&json!({}))).await.0,
            StatusCode::OK
        );
    })
    .await;
}

#[tokio::test]
async fn an_organization_that_requires_a_second_factor_lets_users_without_one_only_set_it_up() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let org = server.admin_organization().await;
        let tech = server
            .user_token(org, "tech@msp-one.test", Role::Technician)
            .await;

        // Requiring it takes one of your own first.
        let (status, refused) = server
            .patch(
                "/api/v1/organization",
                &owner,
                json!({"require_second_factor": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        let (_, setup) = server
            .post("/api/v1/auth/totp/setup", &owner, json!({}))
            .await;
        let owner_secret = setup["secret"].as_str().unwrap().to_string();
        server
            .post(
                "/api/v1/auth/totp/confirm",
                &owner,
                json!({"code": code(&owner_secret, 0)}),
            )
            .await;
        let (status, settings) = server
            .patch(
                "/api/v1/organization",
                &owner,
                json!({"require_second_factor": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{settings}");
        assert_eq!(
            (
                &settings["require_second_factor"],
                &settings["users_without_second_factor"]
            ),
            (&json!(true), &json!(["tech@msp-one.test"]))
        );
        // The audit record holds the setting before and after.
        let (_, changed) = server
            .get("/api/v1/audit?action=update_organization", &owner)
            .await;
        let details = &changed["items"][0]["details"];
        assert_eq!(
            (
                &details["before"]["require_second_factor"],
                &details["after"]["require_second_factor"]
            ),
            (&json!(false), &json!(true)),
            "{changed}"
        );

        // The technician may now only set one up, at once (no waiting for a cache).
        let (status, blocked) = server.get("/api/v1/agents", &tech).await;
        assert_eq!(
            (status, &blocked["error"]["code"]),
            (
                StatusCode::FORBIDDEN,
                &json!("second_factor_setup_required")
            )
        );
        let (_, me) = server.get("/api/v1/auth/me", &tech).await;
        assert_eq!(me["second_factor_setup_required"], true, "{me}");
        let (_, setup) = server
            .post("/api/v1/auth/totp/setup", &tech, json!({}))
            .await;
        let secret = setup["secret"].as_str().unwrap().to_string();
        let (status, _) = server
            .post(
                "/api/v1/auth/totp/confirm",
                &tech,
                json!({"code": code(&secret, 0)}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(server.get("/api/v1/agents", &tech).await.0, StatusCode::OK);

        // Another organization is not concerned; settings are not for technicians.
        let stranger = server.stranger_token().await;
        assert_eq!(
            server.get("/api/v1/agents", &stranger).await.0,
            StatusCode::OK
        );
        let (_, theirs) = server.get("/api/v1/organization", &stranger).await;
        assert_eq!(
            (&theirs["name"], &theirs["require_second_factor"]),
            (&json!("MSP Two"), &json!(false))
        );
        assert_eq!(
            server.get("/api/v1/organization", &tech).await.0,
            StatusCode::FORBIDDEN
        );
        // Names are checked.
        let (status, _) = server
            .patch("/api/v1/organization", &owner, json!({"name": "MSP Two"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = server
            .patch("/api/v1/organization", &owner, json!({"name": " "}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}
