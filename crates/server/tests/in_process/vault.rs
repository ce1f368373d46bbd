//! The credential vault on every backend: entries per client listed without
//! values; a value revealed only with `view_secrets` and the caller's
//! password again (never to an API key), each reveal in the audit log, which
//! never holds a value; a ciphertext moved to another entry does not
//! decrypt; a master-key rotation keeps every entry readable, on a running
//! server; other organizations, other clients of a scoped user and roles
//! without the permissions are kept out.

use crate::support::*;
use gururmm_store::testing::TestDatabase;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SECRET: &str = "Dom@in-Adm1n!";

fn entry(name: &str, secret: &str) -> Value {
    json!({"name": name, "kind": "password", "username": "ACME\\administrator", "url": "https://dc1.acme.local",
           "notes": "domain admin", "secret": secret})
}

async fn reveal(server: &TestServer, token: &str, id: &str, proof: Value) -> (StatusCode, Value) {
    server
        .post(&format!("/api/v1/vault/{id}/reveal"), token, proof)
        .await
}

#[tokio::test]
async fn values_are_kept_encrypted_and_revealed_only_on_a_fresh_check() {
    for database in TestDatabase::all().await {
        let data = tempfile::tempdir().unwrap();
        let config = gururmm_server::config::Config {
            data_dir: data.path().to_path_buf(),
            ..test_config()
        };
        let server = TestServer::start_with(database, config).await;
        let owner = server.admin_token().await;
        let (client, _, _) = server.client_site_key(&owner).await;
        let path = format!("/api/v1/clients/{client}/vault");
        let (status, created) = server
            .post(&path, &owner, entry("Domain admin", SECRET))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let (_, other) = server
            .post(&path, &owner, entry("Firewall", "fw-pass"))
            .await;
        let other = other["id"].as_str().unwrap().to_string();
        let (_, list) = server.get(&path, &owner).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        assert!(
            !list.to_string().contains(SECRET),
            "listed without values: {list}"
        );

        // Stored encrypted: the database holds no value.
        let stored: Vec<String> = server
            .database()
            .query_strings("SELECT value_sealed FROM vault_entries")
            .await;
        assert!(
            stored
                .iter()
                .all(|v| !v.contains(SECRET) && !v.contains("fw-pass")),
            "{stored:?}"
        );

        // Revealing takes the password again; a wrong one shows nothing.
        let (status, refused) = reveal(&server, &owner, &id, json!({"password": "not it"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert_eq!(
            reveal(&server, &owner, &id, json!({})).await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let (status, shown) = reveal(&server, &owner, &id, json!({"password": PASSWORD})).await;
        assert_eq!(
            (status, shown["secret"].as_str()),
            (StatusCode::OK, Some(SECRET)),
            "{shown}"
        );

        // A change without a secret keeps the value; with one, replaces it.
        let mut change = entry("Domain admin (DC1)", SECRET);
        change.as_object_mut().unwrap().remove("secret");
        let (status, changed) = server
            .put(&format!("/api/v1/vault/{id}"), &owner, change)
            .await;
        assert_eq!(
            (status, changed["name"].as_str()),
            (StatusCode::OK, Some("Domain admin (DC1)"))
        );
        assert_eq!(
            reveal(&server, &owner, &id, json!({"password": PASSWORD}))
                .await
                .1["secret"],
            SECRET
        );

        // Not without view_secrets, not by an API key, not by another organization.
        let org = server.admin_organization().await;
        let technician = server
            .user_token(org, "tech@msp.test", Role::Technician)
            .await;
        assert_eq!(
            server.get(&path, &technician).await.0,
            StatusCode::OK,
            "technicians see the entries"
        );
        assert_eq!(
            reveal(&server, &technician, &id, json!({"password": PASSWORD}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (_, key) = server
            .post(
                "/api/v1/api-keys",
                &owner,
                json!({"name": "k", "permissions": ["view_agents", "view_secrets"]}),
            )
            .await;
        let (status, refused) = reveal(
            &server,
            key["key"].as_str().unwrap(),
            &id,
            json!({"password": PASSWORD}),
        )
        .await;
        assert_eq!(
            (status, &refused["error"]["code"]),
            (StatusCode::FORBIDDEN, &json!("session_required"))
        );
        let reader = server
            .user_token(org, "reader@msp.test", Role::ReadOnly)
            .await;
        assert_eq!(
            server.post(&path, &reader, entry("Nope", "x")).await.0,
            StatusCode::FORBIDDEN
        );
        let stranger = server.stranger_token().await;
        assert_eq!(server.get(&path, &stranger).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            server.post(&path, &stranger, entry("Mine", "x")).await.0,
            StatusCode::NOT_FOUND
        );
        for (status, _) in [
            reveal(&server, &stranger, &id, json!({"password": PASSWORD})).await,
            server
                .put(
                    &format!("/api/v1/vault/{id}"),
                    &stranger,
                    entry("Taken", "x"),
                )
                .await,
            server
                .delete(&format!("/api/v1/vault/{id}"), &stranger)
                .await,
        ] {
            assert_eq!(status, StatusCode::NOT_FOUND);
        }

        // Checked input.
        for (body, needle) in [
            (
                json!({"name": "", "kind": "password", "secret": "x"}),
                "name",
            ),
            (
                json!({"name": "A", "kind": "crystal", "secret": "x"}),
                "kind",
            ),
            (json!({"name": "A", "kind": "password"}), "secret"),
            (
                json!({"name": "A", "kind": "note", "secret": "x".repeat(16 * 1024 + 1)}),
                "secret",
            ),
            (
                json!({"name": "A", "kind": "note", "secret": "x", "notes": "n".repeat(2001)}),
                "notes",
            ),
        ] {
            let (status, answer) = server.post(&path, &owner, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            assert!(
                answer["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains(needle),
                "{answer}"
            );
        }

        // The log has every reveal, never a value or the password.
        let (_, export) = server
            .get("/api/v1/audit/export?format=jsonl", &owner)
            .await;
        let export = export.as_str().unwrap();
        assert!(
            export.matches("reveal_vault_entry").count() >= 3,
            "{export}"
        );
        assert!(
            !export.contains(SECRET) && !export.contains("fw-pass") && !export.contains(PASSWORD),
            "{export}"
        );

        // A value moved to another entry does not decrypt.
        let sealed = server
            .database()
            .query_strings(&format!(
                "SELECT value_sealed FROM vault_entries WHERE id = '{id}'"
            ))
            .await
            .remove(0);
        server
            .database()
            .execute_raw(&format!(
                "UPDATE vault_entries SET value_sealed = '{sealed}' WHERE id = '{other}'"
            ))
            .await;
        let (status, refused) =
            reveal(&server, &owner, &other, json!({"password": PASSWORD})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert_eq!(
            reveal(&server, &owner, &id, json!({"password": PASSWORD}))
                .await
                .1["secret"],
            SECRET
        );

        // Rotating the master key (from the command line) while the server
        // runs: data keys re-wrapped, entries untouched and still readable.
        let before: Vec<String> = server
            .database()
            .query_strings("SELECT value_sealed FROM vault_entries ORDER BY id")
            .await;
        let ring = data.path().join(gururmm_server::vault_keys::KEY_RING_FILE);
        let old_ring = std::fs::read_to_string(&ring).unwrap();
        let rewrapped =
            gururmm_server::services::vault::rotate_master_key(server.store.as_ref(), &ring)
                .await
                .unwrap();
        assert_eq!(rewrapped, 1);
        assert_ne!(std::fs::read_to_string(&ring).unwrap(), old_ring);
        let after: Vec<String> = server
            .database()
            .query_strings("SELECT value_sealed FROM vault_entries ORDER BY id")
            .await;
        assert_eq!(before, after, "entries are not re-encrypted");
        assert_eq!(
            reveal(&server, &owner, &id, json!({"password": PASSWORD}))
                .await
                .1["secret"],
            SECRET
        );
        assert_eq!(
            server
                .delete(&format!("/api/v1/vault/{id}"), &owner)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            reveal(&server, &owner, &id, json!({"password": PASSWORD}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn a_scoped_user_sees_only_the_vaults_of_their_clients() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let (mine, _, _) = server.client_site_key(&owner).await;
        let (theirs, _, _) = server.client_site_key(&owner).await;
        let (_, other) = server
            .post(
                &format!("/api/v1/clients/{theirs}/vault"),
                &owner,
                entry("Theirs", "t"),
            )
            .await;
        let other = other["id"].as_str().unwrap();
        let scoped = server
            .invite_and_accept(
                &owner,
                json!({"email": "s@msp.test", "role": "admin", "client_ids": [mine]}),
            )
            .await;
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/clients/{mine}/vault"),
                    &scoped,
                    entry("Ours", "o")
                )
                .await
                .0,
            StatusCode::CREATED
        );
        assert_eq!(
            server
                .get(&format!("/api/v1/clients/{theirs}/vault"), &scoped)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            reveal(&server, &scoped, other, json!({"password": PASSWORD}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server
                .delete(&format!("/api/v1/vault/{other}"), &scoped)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}
