//! Managing users through the API: invitations by one-time link (shown to
//! copy without a mail server, emailed through a real SMTP server with one),
//! roles and the owner rules, disabling and removing (sessions end at once),
//! password resets, and a user's own password and sessions. Other
//! organizations and roles without `manage_users` are kept out; isolation of
//! every route is also in the tenancy matrix.

use crate::support::*;
use gururmm_store::testing::TestDatabase;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

const NEW_PASSWORD: &str = "a new long passphrase";

/// The token of a one-time link (`…/welcome#token=…`).
fn token_of(link: &Value) -> String {
    let link = link.as_str().unwrap_or_else(|| panic!("a link: {link}"));
    link.split_once("#token=").unwrap().1.to_string()
}

/// Invites `email` as `role`; answers the link's token.
async fn invite(server: &TestServer, token: &str, email: &str, role: &str) -> String {
    let (status, created) = server
        .post(
            "/api/v1/users",
            token,
            json!({"email": email, "role": role}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        (&created["emailed"], &created["email_error"]),
        (&json!(false), &Value::Null)
    );
    token_of(&created["link"])
}

/// Uses a link with a password; answers the new session's token.
async fn accept(server: &TestServer, link_token: &str, password: &str) -> (StatusCode, Value) {
    server
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/link/accept",
            None,
            Some(json!({"token": link_token, "password": password})),
        )
        .await
}

fn user_id(list: &Value, email: &str) -> String {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn an_invited_technician_chooses_a_password_once_and_signs_in() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let link = invite(&server, &owner, " New.Tech@MSP-One.test ", "technician").await;
        let (_, pending) = server.get("/api/v1/invitations", &owner).await;
        assert_eq!(
            pending["items"][0]["email"], "new.tech@msp-one.test",
            "{pending}"
        );

        // The link tells its holder what it is for, and nothing without it.
        let (status, info) = server
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/link",
                None,
                Some(json!({"token": link})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{info}");
        assert_eq!(
            (
                &info["kind"],
                &info["email"],
                &info["organization_name"],
                &info["role"]
            ),
            (
                &json!("invitation"),
                &json!("new.tech@msp-one.test"),
                &json!("MSP One"),
                &json!("technician")
            )
        );
        let (status, _) = server
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/link",
                None,
                Some(json!({"token": "gri_guess"})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A short password is refused, naming the field, and the link still works.
        let (status, refused) = accept(&server, &link, "short").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("password:"),
            "{refused}"
        );
        let (status, signed_in) = accept(&server, &link, NEW_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{signed_in}");
        let session = signed_in["token"].as_str().unwrap().to_string();
        let (_, me) = server.get("/api/v1/auth/me", &session).await;
        assert_eq!(
            (&me["email"], &me["role"]),
            (&json!("new.tech@msp-one.test"), &json!("technician"))
        );
        assert!(me["last_sign_in_at"].is_string(), "{me}");
        // Once only.
        let (status, _) = accept(&server, &link, NEW_PASSWORD).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, pending) = server.get("/api/v1/invitations", &owner).await;
        assert_eq!(pending["items"], json!([]));
        // The password chosen signs in (login asserts success).
        server.login("new.tech@msp-one.test", NEW_PASSWORD).await;

        let (_, users) = server.get("/api/v1/users", &owner).await;
        let emails: Vec<&str> = users["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect();
        assert_eq!(
            emails,
            ["admin@msp-one.test", "new.tech@msp-one.test"],
            "{users}"
        );
        let tech = &users["items"][1];
        assert!(
            tech["last_sign_in_at"].is_string() && tech["disabled_at"].is_null(),
            "{tech}"
        );

        // Taken addresses, bad ones and unknown roles are refused with what is wrong.
        for (body, status, field) in [
            (
                json!({"email": "new.tech@msp-one.test", "role": "readonly"}),
                StatusCode::CONFLICT,
                "email:",
            ),
            (
                json!({"email": "not an address", "role": "readonly"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "email:",
            ),
            (
                json!({"email": "x@msp.test", "role": "superuser"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "role",
            ),
        ] {
            let (got, answer) = server.post("/api/v1/users", &owner, body.clone()).await;
            assert_eq!(got, status, "{body}: {answer}");
            assert!(
                answer["error"]["message"].as_str().unwrap().contains(field),
                "{answer}"
            );
        }
        // Whether an address belongs to another organization is not told.
        let two = server.stranger_token().await;
        let (status, _) = server
            .post(
                "/api/v1/users",
                &two,
                json!({"email": "new.tech@msp-one.test", "role": "readonly"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);

        // Without manage_users, none of it.
        for (method, path) in [
            ("GET", "/api/v1/users"),
            ("POST", "/api/v1/users"),
            ("GET", "/api/v1/invitations"),
        ] {
            let body =
                (method == "POST").then(|| json!({"email": "y@msp.test", "role": "readonly"}));
            let (status, answer) = server
                .call(method.parse().unwrap(), path, Some(&session), body)
                .await;
            assert_eq!(
                (status, &answer["error"]["code"]),
                (StatusCode::FORBIDDEN, &json!("permission_denied")),
                "{path}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn only_owners_make_owners_and_an_organization_keeps_one() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let org = server.admin_organization().await;
        let admin = server
            .user_token(org, "second@msp-one.test", Role::Admin)
            .await;
        let (_, users) = server.get("/api/v1/users", &owner).await;
        let (owner_id, admin_id) = (
            user_id(&users, "admin@msp-one.test"),
            user_id(&users, "second@msp-one.test"),
        );

        // An administrator neither invites nor makes an owner, nor touches one.
        let (status, _) = server
            .post(
                "/api/v1/users",
                &admin,
                json!({"email": "o@msp.test", "role": "owner"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = server
            .patch(
                &format!("/api/v1/users/{admin_id}"),
                &admin,
                json!({"role": "owner"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for path in [
            format!("/api/v1/users/{owner_id}/disable"),
            format!("/api/v1/users/{owner_id}/reset-password"),
        ] {
            let (status, answer) = server.post(&path, &admin, json!({})).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        }
        // The only owner cannot step down, nor anyone disable or remove themselves.
        let (status, answer) = server
            .patch(
                &format!("/api/v1/users/{owner_id}"),
                &owner,
                json!({"role": "admin"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("only owner"),
            "{answer}"
        );
        let (status, _) = server
            .post(
                &format!("/api/v1/users/{admin_id}/disable"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = server
            .delete(&format!("/api/v1/users/{admin_id}"), &admin)
            .await;
        assert_eq!(status, StatusCode::CONFLICT);

        // Once there are two owners, the first may step down.
        let (status, promoted) = server
            .patch(
                &format!("/api/v1/users/{admin_id}"),
                &owner,
                json!({"role": "owner"}),
            )
            .await;
        assert_eq!(
            (status, &promoted["role"]),
            (StatusCode::OK, &json!("owner")),
            "{promoted}"
        );
        let (status, _) = server.get("/api/v1/auth/me", &admin).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "a changed role ends the user's sessions"
        );
        let (status, stepped) = server
            .patch(
                &format!("/api/v1/users/{owner_id}"),
                &owner,
                json!({"role": "admin"}),
            )
            .await;
        assert_eq!(
            (status, &stepped["role"]),
            (StatusCode::OK, &json!("admin")),
            "{stepped}"
        );

        // Another organization's administrator finds none of these users.
        let two = server.stranger_token().await;
        for path in [
            format!("/api/v1/users/{owner_id}"),
            format!("/api/v1/users/{admin_id}"),
        ] {
            assert_eq!(server.get(&path, &two).await.0, StatusCode::NOT_FOUND);
            assert_eq!(server.delete(&path, &two).await.0, StatusCode::NOT_FOUND);
        }
        let (_, theirs) = server.get("/api/v1/users", &two).await;
        assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_disabled_or_removed_user_is_signed_out_at_once_and_cannot_sign_in() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let org = server.admin_organization().await;
        let tech = server
            .user_token(org, "tech@msp-one.test", Role::Technician)
            .await;
        assert_eq!(server.get("/api/v1/agents", &tech).await.0, StatusCode::OK);
        let (_, users) = server.get("/api/v1/users", &owner).await;
        let id = user_id(&users, "tech@msp-one.test");

        let (status, disabled) = server
            .post(&format!("/api/v1/users/{id}/disable"), &owner, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(disabled["disabled_at"].is_string(), "{disabled}");
        // Not within the session cache's seconds: at once.
        assert_eq!(
            server.get("/api/v1/agents", &tech).await.0,
            StatusCode::UNAUTHORIZED
        );
        let wrong = server
            .try_login("tech@msp-one.test", "not the password")
            .await;
        let refused = server.try_login("tech@msp-one.test", PASSWORD).await;
        assert_eq!(
            refused, wrong,
            "a disabled account answers like a wrong password"
        );

        let (status, enabled) = server
            .post(&format!("/api/v1/users/{id}/enable"), &owner, json!({}))
            .await;
        assert_eq!(
            (status, &enabled["disabled_at"]),
            (StatusCode::OK, &Value::Null)
        );
        let tech = server.login("tech@msp-one.test", PASSWORD).await;
        assert_eq!(server.get("/api/v1/agents", &tech).await.0, StatusCode::OK);

        assert_eq!(
            server
                .delete(&format!("/api/v1/users/{id}"), &owner)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            server.get("/api/v1/agents", &tech).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            server.get(&format!("/api/v1/users/{id}"), &owner).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(server.try_login("tech@msp-one.test", PASSWORD).await, wrong);
    })
    .await;
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_and_ends_the_old_sessions() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let org = server.admin_organization().await;
        let tech = server
            .user_token(org, "tech@msp-one.test", Role::Technician)
            .await;
        let (_, users) = server.get("/api/v1/users", &owner).await;
        let id = user_id(&users, "tech@msp-one.test");
        let (status, created) = server
            .post(
                &format!("/api/v1/users/{id}/reset-password"),
                &owner,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let link = token_of(&created["link"]);
        let (_, info) = server
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/link",
                None,
                Some(json!({"token": link})),
            )
            .await;
        assert_eq!(
            (&info["kind"], &info["email"]),
            (&json!("password_reset"), &json!("tech@msp-one.test"))
        );
        // Not an invitation: the pending list does not show it.
        let (_, pending) = server.get("/api/v1/invitations", &owner).await;
        assert_eq!(pending["items"], json!([]));

        let (status, signed_in) = accept(&server, &link, NEW_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{signed_in}");
        assert_eq!(
            server.get("/api/v1/agents", &tech).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            server
                .get("/api/v1/agents", signed_in["token"].as_str().unwrap())
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            server.try_login("tech@msp-one.test", PASSWORD).await.0,
            StatusCode::UNAUTHORIZED
        );
        server.login("tech@msp-one.test", NEW_PASSWORD).await;
    })
    .await;
}

#[tokio::test]
async fn users_see_and_end_their_own_sessions_and_change_their_password() {
    each_backend(|server| async move {
        let org = server.admin_organization().await;
        let laptop = server
            .user_token(org, "tech@msp-one.test", Role::Technician)
            .await;
        let phone = server.login("tech@msp-one.test", PASSWORD).await;
        let tablet = server.login("tech@msp-one.test", PASSWORD).await;
        let (status, sessions) = server.get("/api/v1/auth/sessions", &laptop).await;
        assert_eq!(status, StatusCode::OK);
        let items = sessions["items"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{sessions}");
        assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
        assert_eq!(items[0]["ip"], "127.0.0.1");
        // Ending one names it by its id; nobody else's session is reachable so.
        let phone_id = {
            let (_, seen) = server.get("/api/v1/auth/sessions", &phone).await;
            seen["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["current"] == true)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let owner = server.admin_token().await;
        assert_eq!(
            server
                .delete(&format!("/api/v1/auth/sessions/{phone_id}"), &owner)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(server.get("/api/v1/agents", &phone).await.0, StatusCode::OK);
        assert_eq!(
            server
                .delete(&format!("/api/v1/auth/sessions/{phone_id}"), &laptop)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            server.get("/api/v1/agents", &phone).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, revoked) = server
            .post("/api/v1/auth/sessions/revoke-others", &laptop, json!({}))
            .await;
        assert_eq!(revoked["revoked"], 1);
        assert_eq!(
            server.get("/api/v1/agents", &tablet).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            server.get("/api/v1/agents", &laptop).await.0,
            StatusCode::OK
        );

        // The current password proves it is the user; then every session ends.
        let (status, refused) = server
            .post(
                "/api/v1/auth/password",
                &laptop,
                json!({"current_password": "guess", "new_password": NEW_PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("current_password:"));
        let (status, refused) = server
            .post(
                "/api/v1/auth/password",
                &laptop,
                json!({"current_password": PASSWORD, "new_password": "short"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("new_password:"));
        let (status, _) = server
            .post(
                "/api/v1/auth/password",
                &laptop,
                json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            server.get("/api/v1/agents", &laptop).await.0,
            StatusCode::UNAUTHORIZED
        );
        server.login("tech@msp-one.test", NEW_PASSWORD).await;
    })
    .await;
}

#[tokio::test]
async fn with_a_mail_server_the_link_is_emailed_and_not_shown() {
    let Some(smtp) = crate::notifications::smtp_server(crate::notifications::MailTls::Plain).await
    else {
        return;
    };
    let config = gururmm_server::config::Config {
        smtp_url: Some(gururmm_server::config::Secret(format!(
            "smtp://127.0.0.1:{}",
            smtp.port
        ))),
        smtp_from: Some("GuruRMM <rmm@msp-one.test>".into()),
        ..test_config()
    };
    let server = TestServer::start_with(TestDatabase::sqlite().await, config).await;
    let owner = server.admin_token().await;
    let (status, created) = server
        .post(
            "/api/v1/users",
            &owner,
            json!({"email": "ann@acme.test", "role": "readonly"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        (&created["emailed"], &created["link"]),
        (&json!(true), &Value::Null),
        "{created}"
    );
    let mut smtp = smtp;
    assert!(
        smtp.output
            .wait_for("END MESSAGE", std::time::Duration::from_secs(20)),
        "{}",
        smtp.output.text()
    );
    // The body is quoted-printable: soft line breaks end in `=`, and `=` is `=3D`.
    let text = smtp.output.text().replace("=\n", "").replace("=3D", "=");
    assert!(
        text.contains("To: ann@acme.test") && text.contains("Subject: You are invited to MSP One"),
        "{text}"
    );
    let link = text
        .lines()
        .find_map(|line| {
            line.split_once("/welcome#token=")
                .map(|(_, token)| token.trim().to_string())
        })
        .unwrap_or_else(|| panic!("a link in {text}"));
    let (status, signed_in) = accept(&server, &link, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
}

#[tokio::test]
async fn an_open_event_stream_ends_when_its_user_is_disabled_or_signs_out() {
    use futures_util::StreamExt;
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let org = server.admin_organization().await;
        let tech = server
            .user_token(org, "tech@msp-one.test", Role::Technician)
            .await;
        let (_, users) = server.get("/api/v1/users", &owner).await;
        let id = user_id(&users, "tech@msp-one.test");
        let open = |token: String| {
            let server = &server;
            async move {
                let response = server
                    .http
                    .get(format!("{}/api/v1/events", server.base))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                response.bytes_stream()
            }
        };
        // Each stream ends (within its few seconds) once its caller may no longer read.
        let ends = |mut stream: futures_util::stream::BoxStream<
            'static,
            reqwest::Result<axum::body::Bytes>,
        >| async move {
            let drained = tokio::time::timeout(std::time::Duration::from_secs(30), async {
                while let Some(chunk) = stream.next().await {
                    if chunk.is_err() {
                        break;
                    }
                }
            })
            .await;
            assert!(drained.is_ok(), "the stream was still open after 30 s");
        };

        let stream = open(tech.clone()).await.boxed();
        server
            .post(&format!("/api/v1/users/{id}/disable"), &owner, json!({}))
            .await;
        ends(stream).await;

        server
            .post(&format!("/api/v1/users/{id}/enable"), &owner, json!({}))
            .await;
        let session = server.login("tech@msp-one.test", PASSWORD).await;
        let stream = open(session.clone()).await.boxed();
        server
            .post("/api/v1/auth/logout", &session, json!({}))
            .await;
        ends(stream).await;
    })
    .await;
}
