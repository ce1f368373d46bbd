//! The REST API through real HTTP on a real server, on every backend:
//! authentication, tenancy (other organizations are 404), roles (read-only is
//! 403), validation (clear 4xx, never 5xx) and enrollment.

use crate::support::*;
use gururmm_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn health_and_openapi_need_no_login() {
    each_backend(|server| async move {
        let (status, body) = server.call(Method::GET, "/api/v1/health", None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
        let (status, spec) = server
            .call(Method::GET, "/api/v1/openapi.json", None, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        for path in [
            "/api/v1/auth/login",
            "/api/v1/clients/{id}/sites",
            "/api/v1/agents/{id}/metrics",
            "/api/v1/sites/{id}/enrollment-key",
            "/api/v1/agent/enroll",
        ] {
            assert!(spec["paths"][path].is_object(), "openapi lacks {path}");
        }
    })
    .await;
}

#[tokio::test]
async fn login_logout_and_token_rules() {
    each_backend(|server| async move {
        let login = |email: &str, password: &str| {
            server.call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
        };
        let (status, wrong_password) = login(ADMIN_EMAIL, "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, unknown) = login("nobody@nowhere.test", "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            wrong_password, unknown,
            "unknown accounts and wrong passwords look the same"
        );

        let token = server.admin_token().await;
        let (status, me) = server.get("/api/v1/auth/me", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["email"], ADMIN_EMAIL);
        assert_eq!(me["role"], "owner");
        assert_eq!(me["organization_name"], "MSP One");

        // Missing, garbage and logged-out tokens are 401 with a JSON error.
        let (status, body) = server
            .call(Method::GET, "/api/v1/clients", None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "unauthorized");
        assert_eq!(
            server.get("/api/v1/clients", "grs_garbage").await.0,
            StatusCode::UNAUTHORIZED
        );
        let (status, _) = server
            .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            server.get("/api/v1/auth/me", &token).await.0,
            StatusCode::UNAUTHORIZED
        );

        // A password change revokes existing tokens.
        let token = server.admin_token().await;
        let admin = server
            .store
            .find_user_by_email(ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap();
        let new_hash =
            gururmm_server::auth::secrets::hash_password("another long password").unwrap();
        server
            .store
            .set_user_password(admin.user.id, &new_hash)
            .await
            .unwrap();
        assert_eq!(
            server.get("/api/v1/auth/me", &token).await.0,
            StatusCode::UNAUTHORIZED
        );
        let token = server.login(ADMIN_EMAIL, "another long password").await;

        // An expired session is refused.
        let expired = "grs_expired-token-for-test";
        server
            .store
            .create_session(
                &gururmm_server::auth::secrets::sha256_hex(expired),
                admin.user.id,
                chrono::Utc::now() - chrono::Duration::seconds(1),
                &Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            server.get("/api/v1/auth/me", expired).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            server.get("/api/v1/auth/me", &token).await.0,
            StatusCode::OK
        );
    })
    .await;
}

#[tokio::test]
async fn clients_and_sites_crud() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (status, client) = server
            .post("/api/v1/clients", &token, json!({"name": "  Acme Corp  "}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(client["name"], "Acme Corp");
        let client_id = client["id"].as_str().unwrap();
        server
            .post("/api/v1/clients", &token, json!({"name": "Zeta"}))
            .await;

        let (_, page) = server
            .get("/api/v1/clients?q=acme&per_page=10", &token)
            .await;
        assert_eq!(page["total"], 1);
        assert_eq!(page["per_page"], 10);
        assert_eq!(page["items"][0]["id"], client_id);

        let (status, renamed) = server
            .patch(
                &format!("/api/v1/clients/{client_id}"),
                &token,
                json!({"name": "Acme Inc"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(renamed["name"], "Acme Inc");

        let (status, site) = server
            .post(
                &format!("/api/v1/clients/{client_id}/sites"),
                &token,
                json!({"name": "HQ"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let site_id = site["id"].as_str().unwrap();
        assert_eq!(site["client_name"], "Acme Inc");
        assert!(site["enrollment_key_created_at"].is_null());
        let (_, sites) = server
            .get(&format!("/api/v1/clients/{client_id}/sites"), &token)
            .await;
        assert_eq!(sites["total"], 1);
        let (status, site) = server
            .patch(
                &format!("/api/v1/sites/{site_id}"),
                &token,
                json!({"name": "Branch"}),
            )
            .await;
        assert_eq!(
            (status, site["name"].as_str()),
            (StatusCode::OK, Some("Branch"))
        );
        let (_, client) = server
            .get(&format!("/api/v1/clients/{client_id}"), &token)
            .await;
        assert_eq!(client["site_count"], 1);

        assert_eq!(
            server
                .delete(&format!("/api/v1/sites/{site_id}"), &token)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            server
                .get(&format!("/api/v1/sites/{site_id}"), &token)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server
                .delete(&format!("/api/v1/clients/{client_id}"), &token)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            server
                .get(&format!("/api/v1/clients/{client_id}"), &token)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn other_organizations_see_404_and_readonly_users_see_403() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (client_id, site_id, key) = server.client_site_key(&token).await;
        let enrolled = server.enroll(&key, "dev-1", "web-01").await;
        let agent_id = enrolled["agent_id"].as_str().unwrap().to_string();

        let other_org = server.store.create_organization("MSP Two").await.unwrap();
        let stranger = server
            .user_token(other_org.id, "admin@msp-two.test", Role::Admin)
            .await;
        let paths = [
            format!("/api/v1/clients/{client_id}"),
            format!("/api/v1/clients/{client_id}/sites"),
            format!("/api/v1/sites/{site_id}"),
            format!("/api/v1/agents/{agent_id}"),
            format!("/api/v1/agents/{agent_id}/metrics"),
            format!("/api/v1/agents/{agent_id}/events"),
        ];
        for path in &paths {
            let (status, body) = server.get(path, &stranger).await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{path} leaked to another organization: {body}"
            );
            assert_eq!(body["error"]["code"], "not_found");
        }
        assert_eq!(
            server
                .patch(&paths[0], &stranger, json!({"name": "x"}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server.delete(&paths[0], &stranger).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server
                .post(&paths[1], &stranger, json!({"name": "x"}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server
                .patch(&paths[2], &stranger, json!({"name": "x"}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/sites/{site_id}/enrollment-key"),
                    &stranger,
                    json!({})
                )
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server.delete(&paths[3], &stranger).await.0,
            StatusCode::NOT_FOUND
        );
        let (_, lists) = server.get("/api/v1/agents", &stranger).await;
        assert_eq!(lists["total"], 0);
        let (_, lists) = server.get("/api/v1/clients", &stranger).await;
        assert_eq!(lists["total"], 0);

        let org = server.admin_organization().await;
        let reader = server
            .user_token(org, "reader@msp-one.test", Role::ReadOnly)
            .await;
        assert_eq!(server.get(&paths[0], &reader).await.0, StatusCode::OK);
        assert_eq!(server.get(&paths[3], &reader).await.0, StatusCode::OK);
        let writes = [
            server
                .post("/api/v1/clients", &reader, json!({"name": "x"}))
                .await,
            server.patch(&paths[0], &reader, json!({"name": "x"})).await,
            server.delete(&paths[0], &reader).await,
            server.post(&paths[1], &reader, json!({"name": "x"})).await,
            server.patch(&paths[2], &reader, json!({"name": "x"})).await,
            server.delete(&paths[2], &reader).await,
            server
                .post(
                    &format!("/api/v1/sites/{site_id}/enrollment-key"),
                    &reader,
                    json!({}),
                )
                .await,
            server.delete(&paths[3], &reader).await,
        ];
        for (status, body) in writes {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "read-only user changed something: {body}"
            );
            assert_eq!(body["error"]["code"], "permission_denied");
        }
        let technician = server
            .user_token(org, "tech@msp-one.test", Role::Technician)
            .await;
        assert_eq!(
            server
                .post("/api/v1/clients", &technician, json!({"name": "By tech"}))
                .await
                .0,
            StatusCode::CREATED
        );
        // Nothing changed for the reader's attempts.
        assert_eq!(server.get(&paths[3], &token).await.0, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn bad_input_gets_clear_4xx_never_5xx() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let raw = |body: &'static str, content_type: &'static str| {
            server.http.post(format!("{}/api/v1/clients", server.base)).bearer_auth(&token).header("content-type", content_type).body(body).send()
        };
        let response = raw("{\"name\":", "application/json").await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(body["error"]["message"].as_str().unwrap().contains("malformed JSON"));
        assert_eq!(raw("{\"name\": 5}", "application/json").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(raw("{\"name\": \"a\", \"admin\": true}", "application/json").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(raw("{\"name\": \"a\"}", "text/plain").await.unwrap().status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(100_000));
        let response = server.http.post(format!("{}/api/v1/clients", server.base)).bearer_auth(&token).header("content-type", "application/json").body(huge).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let (status, body) = server.post("/api/v1/clients", &token, json!({"name": "   "})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")));
        assert_eq!(server.post("/api/v1/clients", &token, json!({"name": "x".repeat(201)})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(server.post("/api/v1/clients", &token, json!({"name": "a\u{0}b"})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(server.get("/api/v1/clients/not-a-uuid", &token).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.get("/api/v1/clients?per_page=100000", &token).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(server.get("/api/v1/clients?page=0", &token).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(server.get("/api/v1/clients?page=abc", &token).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(server.get("/api/v1/agents?status=sleeping", &token).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(server.get("/api/v1/agents?client_id=nope", &token).await.0, StatusCode::BAD_REQUEST);
        let (status, body) = server.get("/api/v1/no/such/route", &token).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
        assert_eq!(server.call(Method::PUT, "/api/v1/clients", Some(&token), None).await.0, StatusCode::METHOD_NOT_ALLOWED);
        let (status, _) = server.get("/api/v1/agents/00000000-0000-0000-0000-000000000000/metrics?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(server.get("/api/v1/agents/00000000-0000-0000-0000-000000000000/metrics?from=yesterday", &token).await.0, StatusCode::BAD_REQUEST);
        // The server still serves after all of that.
        assert_eq!(server.get("/api/v1/auth/me", &token).await.0, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn enrollment_keys_enroll_once_per_device_and_regeneration_revokes() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (client_id, site_id, key) = server.client_site_key(&token).await;
        let server = &server;
        let enroll = |key: String, device: &'static str| {
            let body = enroll_body(&key, device, "web-01");
            async move {
                server
                    .call(Method::POST, "/api/v1/agent/enroll", None, Some(body))
                    .await
            }
        };
        let (status, first) = enroll(key.clone(), "device-A").await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert!(first["agent_secret"].as_str().unwrap().len() >= 32);
        let (_, again) = enroll(key.clone(), "device-A").await;
        assert_eq!(
            again["agent_id"], first["agent_id"],
            "same device, same agent"
        );
        assert_eq!(
            again["pending_approval"], true,
            "enrolling a known device again without its credential waits for approval"
        );
        assert_eq!(first["pending_approval"], false);
        let (_, other) = enroll(key.clone(), "device-B").await;
        assert_ne!(other["agent_id"], first["agent_id"]);

        let (_, list) = server
            .get(&format!("/api/v1/agents?site_id={site_id}"), &token)
            .await;
        assert_eq!(list["total"], 2, "no duplicate agents");
        let agent = &list["items"][0];
        for field in [
            "id",
            "hostname",
            "status",
            "last_seen",
            "os",
            "site_id",
            "client_id",
        ] {
            assert!(agent.get(field).is_some(), "agent list item lacks {field}");
        }
        assert_eq!(agent["client_id"], client_id.as_str());
        assert_eq!(agent["status"], "offline");

        let (status, site) = server
            .get(&format!("/api/v1/sites/{site_id}"), &token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(site["enrollment_key_created_at"].is_string());
        assert!(
            !site.to_string().contains(&key),
            "the key is never shown again"
        );

        let (_, new_key) = server
            .post(
                &format!("/api/v1/sites/{site_id}/enrollment-key"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(
            new_key["server_url"],
            server.state.config.public_url(),
            "the install command uses the public URL"
        );
        let (status, body) = enroll(key.clone(), "device-C").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "a revoked key no longer enrolls"
        );
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"));
        let (status, _) = enroll(new_key["key"].as_str().unwrap().to_string(), "device-C").await;
        assert_eq!(status, StatusCode::OK);

        let (status, body) = server
            .call(
                Method::POST,
                "/api/v1/agent/enroll",
                None,
                Some(enroll_body(&key, "", "h")),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = server
            .call(
                Method::POST,
                "/api/v1/agent/enroll",
                None,
                Some(enroll_body(&"k".repeat(500), "d", "h")),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = server
            .call(
                Method::POST,
                "/api/v1/agent/enroll",
                None,
                Some(json!({"enrollment_key": key})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // Sites and clients with agents cannot be deleted out from under them.
        let (status, body) = server
            .delete(&format!("/api/v1/sites/{site_id}"), &token)
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(
            server
                .delete(&format!("/api/v1/clients/{client_id}"), &token)
                .await
                .0,
            StatusCode::CONFLICT
        );
    })
    .await;
}

#[tokio::test]
async fn retention_deletes_old_samples_and_long_ranges_are_downsampled() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let enrolled = server.enroll(&key, "dev-r", "old-timer").await;
        let agent_id: gururmm_protocol::AgentId =
            enrolled["agent_id"].as_str().unwrap().parse().unwrap();
        let now = chrono::Utc::now();
        let record = |age: chrono::Duration, cpu: f64| gururmm_store::MetricRecord {
            agent_id,
            collected_at: now - age,
            cpu_percent: Some(cpu),
            memory_used_bytes: Some(1),
            memory_total_bytes: Some(2),
            disk_used_bytes: None,
            disk_total_bytes: None,
            network_rx_bytes: Some(10),
            network_tx_bytes: Some(20),
            sample: gururmm_protocol::MetricSample {
                collected_at: now - age,
                ..Default::default()
            },
        };
        let mut records: Vec<_> = (0..48)
            .map(|h| {
                record(
                    chrono::Duration::hours(h) + chrono::Duration::minutes(1),
                    h as f64,
                )
            })
            .collect();
        records.push(record(chrono::Duration::days(31), 99.0));
        server
            .store
            .insert_metrics(&records, &[&records[47]])
            .await
            .unwrap();

        let to = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let from =
            (now - chrono::Duration::days(40)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let path = format!("/api/v1/agents/{agent_id}/metrics?from={from}&to={to}");
        let (status, series) = server.get(&path, &token).await;
        assert_eq!(status, StatusCode::OK, "{series}");
        assert!(
            series["bucket_seconds"].as_i64().unwrap() > 0,
            "a 40-day range is downsampled"
        );
        let before = series["points"].as_array().unwrap().len();
        assert!(before <= 300 && before > 1);

        gururmm_server::background::run_retention_once(&server.state).await;
        let (_, series) = server.get(&path, &token).await;
        let cpus: Vec<f64> = series["points"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["cpu_percent"].as_f64())
            .collect();
        assert!(
            !cpus.contains(&99.0),
            "the 31-day-old sample is gone after retention (30 days)"
        );
        assert_eq!(series["points"].as_array().unwrap().len(), before - 1);

        let day_from =
            (now - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (_, raw) = server
            .get(
                &format!("/api/v1/agents/{agent_id}/metrics?from={day_from}&to={to}"),
                &token,
            )
            .await;
        assert_eq!(raw["bucket_seconds"], 0, "an hour is raw samples");
        assert_eq!(raw["points"].as_array().unwrap().len(), 1);
    })
    .await;
}
