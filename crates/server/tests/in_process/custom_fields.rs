//! Custom fields: definitions with their limits, values of each kind on
//! clients, sites and agents, the agent list's filter, script parameters
//! taking each agent's value; every route refuses other organizations' ids
//! (404) and readonly users' writes (403).

use crate::support::*;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

const FIELDS: &str = "/api/v1/custom-fields";

async fn define(server: &TestServer, token: &str, body: Value) -> String {
    let (status, field) = server.post(FIELDS, token, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}: {field}");
    field["id"].as_str().unwrap().to_string()
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

/// (key, value) of each field in a values answer.
fn values(answer: &Value) -> Vec<(String, Value)> {
    answer["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {answer}"))
        .iter()
        .map(|item| {
            (
                item["field"]["key"].as_str().unwrap().to_string(),
                item["value"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn definitions_follow_their_rules_and_choices_in_use_stay() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (status, tier) = server
            .post(FIELDS, &token, json!({"scope": "client", "key": "tier", "name": " Support tier ", "kind": "choice",
                                          "choices": ["Gold", " Silver "]}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{tier}");
        assert_eq!((&tier["name"], &tier["choices"], &tier["kind"]), (&json!("Support tier"), &json!(["Gold", "Silver"]), &json!("choice")));
        let tier_path = format!("{FIELDS}/{}", tier["id"].as_str().unwrap());
        define(&server, &token, json!({"scope": "agent", "key": "asset_tag", "name": "Asset tag", "kind": "text"})).await;
        // The same key in another scope is another field.
        define(&server, &token, json!({"scope": "site", "key": "tier", "name": "Site tier", "kind": "number"})).await;

        for (body, status, expected) in [
            (json!({"scope": "agent", "key": "Asset", "name": "x", "kind": "text"}), 422, "key must be 1 to 40 of a-z, digits and _, starting with a letter"),
            (json!({"scope": "agent", "key": "k".repeat(41), "name": "x", "kind": "text"}), 422, "key must be 1 to 40 of a-z, digits and _, starting with a letter"),
            (json!({"scope": "agent", "key": "9lives", "name": "x", "kind": "text"}), 422, "key must be 1 to 40 of a-z, digits and _, starting with a letter"),
            (json!({"scope": "agent", "key": "k", "name": " ", "kind": "text"}), 422, "name must not be empty"),
            (json!({"scope": "agent", "key": "k", "name": "n".repeat(101), "kind": "text"}), 422, "name must have at most 100 characters"),
            (json!({"scope": "agent", "key": "k", "name": "a\u{202E}b", "kind": "text"}), 422, "name must not contain control, bidirectional or other invisible characters"),
            (json!({"scope": "agent", "key": "k", "name": "k", "kind": "choice"}), 422, "choices: a choice field has 1 to 50 choices"),
            (json!({"scope": "agent", "key": "k", "name": "k", "kind": "choice", "choices": (0..51).map(|n| n.to_string()).collect::<Vec<_>>()}), 422, "choices: a choice field has 1 to 50 choices"),
            (json!({"scope": "agent", "key": "k", "name": "k", "kind": "choice", "choices": ["A", "a"]}), 422, "choices[1]: \"a\" is listed twice"),
            (json!({"scope": "agent", "key": "k", "name": "k", "kind": "choice", "choices": ["c".repeat(101)]}), 422, "choices[0] must have at most 100 characters"),
            (json!({"scope": "agent", "key": "k", "name": "k", "kind": "date", "choices": ["A"]}), 422, "choices: only a choice field has choices, not a date field"),
            (json!({"scope": "agent", "key": "asset_tag", "name": "Other", "kind": "text"}), 409, "key: there is a agent field with the key \"asset_tag\" already"),
            (json!({"scope": "agent", "key": "other", "name": "ASSET TAG", "kind": "text"}), 409, "name: there is a agent field named \"ASSET TAG\" already"),
        ] {
            let (got, refused) = server.post(FIELDS, &token, body.clone()).await;
            assert_eq!((got.as_u16(), message(&refused)), (status, expected), "{body}");
        }
        for body in [
            json!({"scope": "global", "key": "k", "name": "k", "kind": "text"}),
            json!({"scope": "agent", "key": "k", "name": "k", "kind": "color"}),
            json!({"scope": "agent", "key": "k", "name": "k", "kind": "text", "extra": 1}),
        ] {
            let (got, refused) = server.post(FIELDS, &token, body.clone()).await;
            assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {refused}");
        }
        let (status, _) = server.get(&format!("{FIELDS}?scope=global"), &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (_, listed) = server.get(FIELDS, &token).await;
        let keys: Vec<(&str, &str)> = listed["items"].as_array().unwrap().iter()
            .map(|f| (f["scope"].as_str().unwrap(), f["key"].as_str().unwrap())).collect();
        assert_eq!(keys, [("client", "tier"), ("site", "tier"), ("agent", "asset_tag")]);
        let (_, clients_only) = server.get(&format!("{FIELDS}?scope=client"), &token).await;
        assert_eq!(clients_only["items"].as_array().unwrap().len(), 1);

        // A choice in use cannot go; a rename and a new choice can.
        let (client_id, _, _) = server.client_site_key(&token).await;
        let (status, body) = server
            .put(&format!("/api/v1/clients/{client_id}/custom-fields"), &token, json!({"values": {"tier": "silver"}}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, refused) = server.patch(&tier_path, &token, json!({"choices": ["Gold", "Bronze"]})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(message(&refused).starts_with("choices: 1 value(s) use a choice this list removes (such as \"Silver\")"), "{refused}");
        let (status, changed) = server.patch(&tier_path, &token, json!({"name": "Plan", "choices": ["Gold", "Silver", "Bronze"]})).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!((&changed["name"], &changed["key"], changed["choices"].as_array().unwrap().len()), (&json!("Plan"), &json!("tier"), 3));
        let (status, refused) = server.patch(&tier_path, &token, json!({"choices": []})).await;
        assert_eq!((status, message(&refused)), (StatusCode::UNPROCESSABLE_ENTITY, "choices: a choice field has 1 to 50 choices"));
        let (status, refused) = server.patch(&tier_path, &token, json!({"key": "plan"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the key cannot change: {refused}");
        let (status, got) = server.get(&tier_path, &token).await;
        assert_eq!((status, &got["name"]), (StatusCode::OK, &json!("Plan")));

        // Deleting a field deletes its values.
        let (status, _) = server.delete(&tier_path, &token).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(server.get(&tier_path, &token).await.0, StatusCode::NOT_FOUND);
        let (_, after) = server.get(&format!("/api/v1/clients/{client_id}/custom-fields"), &token).await;
        assert!(values(&after).is_empty(), "{after}");
        assert_eq!(server.delete(&tier_path, &token).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.get(&format!("{FIELDS}/not-a-uuid"), &token).await.0, StatusCode::NOT_FOUND);

        // At most 100 per organization.
        for n in 2..100 {
            define(&server, &token, json!({"scope": "agent", "key": format!("f{n}"), "name": format!("F{n}"), "kind": "text"})).await;
        }
        let (status, refused) = server
            .post(FIELDS, &token, json!({"scope": "site", "key": "last", "name": "Last", "kind": "text"}))
            .await;
        assert_eq!((status, message(&refused)), (StatusCode::CONFLICT, "the organization has 100 custom fields already; delete one first"));
    })
    .await;
}

#[tokio::test]
async fn values_of_each_kind_are_set_per_target_within_the_organization() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let org = server.admin_organization().await;
        let (client_id, site_id, key) = server.client_site_key(&token).await;
        let agent_id = server.enroll(&key, "dev-values", "web-01").await["agent_id"].as_str().unwrap().to_string();
        let asset = define(&server, &token, json!({"scope": "agent", "key": "asset_tag", "name": "Asset tag", "kind": "text"})).await;
        define(&server, &token, json!({"scope": "agent", "key": "rack_units", "name": "Rack units", "kind": "number"})).await;
        define(&server, &token, json!({"scope": "agent", "key": "warranty_ends", "name": "Warranty ends", "kind": "date"})).await;
        define(&server, &token, json!({"scope": "agent", "key": "ring", "name": "Patch ring", "kind": "choice", "choices": ["Early", "Late"]})).await;
        define(&server, &token, json!({"scope": "site", "key": "room", "name": "Server room", "kind": "text"})).await;
        define(&server, &token, json!({"scope": "client", "key": "contract", "name": "Contract", "kind": "date"})).await;
        let agent_path = format!("/api/v1/agents/{agent_id}/custom-fields");
        let site_path = format!("/api/v1/sites/{site_id}/custom-fields");
        let client_path = format!("/api/v1/clients/{client_id}/custom-fields");

        let (status, empty) = server.get(&agent_path, &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(values(&empty), [
            ("asset_tag".to_string(), Value::Null), ("ring".into(), Value::Null),
            ("rack_units".into(), Value::Null), ("warranty_ends".into(), Value::Null),
        ], "every agent field, by name, with no value yet");
        assert_eq!(empty["items"][1]["field"]["choices"], json!(["Early", "Late"]));

        let (status, set) = server
            .put(&agent_path, &token, json!({"values": {"asset_tag": "  A-0042 ", "rack_units": "2.50", "warranty_ends": "2027-02-28", "ring": "late"}}))
            .await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(values(&set), [
            ("asset_tag".to_string(), json!("A-0042")), ("ring".into(), json!("Late")),
            ("rack_units".into(), json!("2.5")), ("warranty_ends".into(), json!("2027-02-28")),
        ], "values are kept in their canonical text");
        let (_, set) = server.put(&agent_path, &token, json!({"values": {"rack_units": 4, "ring": null, "asset_tag": ""}})).await;
        assert_eq!(values(&set), [
            ("asset_tag".to_string(), Value::Null), ("ring".into(), Value::Null),
            ("rack_units".into(), json!("4")), ("warranty_ends".into(), json!("2027-02-28")),
        ], "null and an empty string clear; keys left out keep their value");
        assert_eq!(server.get(&agent_path, &token).await.1, set);

        // Every bad value is named with its key and why, in one 422, and nothing is written.
        let (status, refused) = server
            .put(&agent_path, &token, json!({"values": {"asset_tag": "two\nlines", "rack_units": "lots", "warranty_ends": "2027-02-30",
                                                         "ring": "Never", "nope": "x"}}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(message(&refused), "asset_tag: must be one line without control or invisible characters; \
            nope: no agent field has this key; rack_units: must be a finite number such as 42 or -1.5; \
            ring: must be one of Early, Late; warranty_ends: must be a date written YYYY-MM-DD");
        for (values_body, expected) in [
            (json!({"asset_tag": "x".repeat(1001)}), "asset_tag: must have at most 1000 characters"),
            (json!({"rack_units": true}), "rack_units: must be a number"),
            (json!({"asset_tag": 7}), "asset_tag: must be a string"),
            (json!({"room": "B2"}), "room: no agent field has this key"),
        ] {
            let (status, refused) = server.put(&agent_path, &token, json!({"values": values_body})).await;
            assert_eq!((status, message(&refused)), (StatusCode::UNPROCESSABLE_ENTITY, expected));
        }
        assert_eq!(server.get(&agent_path, &token).await.1, set, "nothing was written");
        assert_eq!(server.put(&agent_path, &token, json!({"values": []})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(server.put(&agent_path, &token, json!({})).await.0, StatusCode::UNPROCESSABLE_ENTITY);

        let (status, site) = server.put(&site_path, &token, json!({"values": {"room": "B2"}})).await;
        assert_eq!((status, values(&site)), (StatusCode::OK, vec![("room".to_string(), json!("B2"))]));
        let (status, client) = server.put(&client_path, &token, json!({"values": {"contract": "2030-12-31"}})).await;
        assert_eq!((status, values(&client)), (StatusCode::OK, vec![("contract".to_string(), json!("2030-12-31"))]));
        let missing = uuid::Uuid::new_v4();
        for path in [format!("/api/v1/agents/{missing}/custom-fields"), format!("/api/v1/sites/{missing}/custom-fields"), format!("/api/v1/clients/{missing}/custom-fields")] {
            assert_eq!(server.get(&path, &token).await.0, StatusCode::NOT_FOUND, "{path}");
        }

        // Readonly users read fields and values and change nothing.
        let reader = server.user_token(org, "reader@msp-one.test", Role::ReadOnly).await;
        let asset_path = format!("{FIELDS}/{asset}");
        assert_eq!(server.get(FIELDS, &reader).await.0, StatusCode::OK);
        assert_eq!(server.get(&asset_path, &reader).await.0, StatusCode::OK);
        for path in [&agent_path, &site_path, &client_path] {
            assert_eq!(server.get(path, &reader).await.0, StatusCode::OK, "{path}");
            assert_eq!(server.put(path, &reader, json!({"values": {}})).await.0, StatusCode::FORBIDDEN, "{path}");
        }
        assert_eq!(server.post(FIELDS, &reader, json!({"scope": "agent", "key": "r", "name": "r", "kind": "text"})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(server.patch(&asset_path, &reader, json!({"name": "r"})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(server.delete(&asset_path, &reader).await.0, StatusCode::FORBIDDEN);

        // Another organization sees none of it: not the fields, not the targets.
        let two = server.store.create_organization("MSP Two").await.unwrap().id;
        let stranger = server.user_token(two, "admin@msp-two.test", Role::Admin).await;
        let (_, theirs) = server.get(FIELDS, &stranger).await;
        assert_eq!(theirs["items"], json!([]));
        assert_eq!(server.get(&asset_path, &stranger).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.patch(&asset_path, &stranger, json!({"name": "mine"})).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.delete(&asset_path, &stranger).await.0, StatusCode::NOT_FOUND);
        for path in [&agent_path, &site_path, &client_path] {
            assert_eq!(server.get(path, &stranger).await.0, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(server.put(path, &stranger, json!({"values": {}})).await.0, StatusCode::NOT_FOUND, "{path}");
        }
        // Their own field of the same key does not reach into this organization.
        define(&server, &stranger, json!({"scope": "agent", "key": "asset_tag", "name": "Asset tag", "kind": "text"})).await;
        let (status, refused) = server.put(&agent_path, &stranger, json!({"values": {"asset_tag": "theirs"}})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
        assert_eq!(server.get(&asset_path, &token).await.1["name"], "Asset tag");
    })
    .await;
}

fn hostnames(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|a| a["hostname"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_agent_list_filters_by_agent_site_and_client_fields() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (first_client, first_site, first_key) = server.client_site_key(&token).await;
        let (_, second_site, second_key) = server.client_site_key(&token).await;
        let web = server.enroll(&first_key, "dev-web", "web-01").await["agent_id"].as_str().unwrap().to_string();
        server.enroll(&first_key, "dev-db", "db-01").await;
        server.enroll(&second_key, "dev-far", "far-01").await;
        define(&server, &token, json!({"scope": "agent", "key": "role", "name": "Role", "kind": "text"})).await;
        define(&server, &token, json!({"scope": "site", "key": "floor", "name": "Floor", "kind": "number"})).await;
        define(&server, &token, json!({"scope": "client", "key": "tier", "name": "Tier", "kind": "choice", "choices": ["Gold", "Silver"]})).await;
        server.put(&format!("/api/v1/agents/{web}/custom-fields"), &token, json!({"values": {"role": "Web Server"}})).await;
        server.put(&format!("/api/v1/sites/{first_site}/custom-fields"), &token, json!({"values": {"floor": 3}})).await;
        server.put(&format!("/api/v1/sites/{second_site}/custom-fields"), &token, json!({"values": {"floor": "4"}})).await;
        server.put(&format!("/api/v1/clients/{first_client}/custom-fields"), &token, json!({"values": {"tier": "Gold"}})).await;

        let list = |query: &str| {
            let (server, token, path) = (&server, &token, format!("/api/v1/agents?{query}"));
            async move { server.get(&path, token).await }
        };
        let (status, page) = list("custom_field=role&custom_value=web%20server").await;
        assert_eq!((status, hostnames(&page)), (StatusCode::OK, vec!["web-01"]), "an agent field, without regard to case");
        assert_eq!(page["total"], 1);
        assert_eq!(hostnames(&list("custom_field=floor&custom_value=3.0").await.1), ["db-01", "web-01"], "a site field, as a number");
        assert_eq!(hostnames(&list("custom_field=floor&custom_value=4").await.1), ["far-01"]);
        assert_eq!(hostnames(&list("custom_field=tier&custom_value=GOLD&sort=hostname&order=desc").await.1), ["web-01", "db-01"], "a client field");
        assert_eq!(hostnames(&list("custom_field=tier&custom_value=Silver").await.1), Vec::<&str>::new());
        assert_eq!(hostnames(&list("custom_field=tier&custom_value=gold&q=web").await.1), ["web-01"], "with the other filters");

        for (query, expected) in [
            ("custom_field=tier", "custom_field and custom_value go together"),
            ("custom_value=Gold", "custom_field and custom_value go together"),
            ("custom_field=nope&custom_value=1", "custom_field: no custom field has the key \"nope\""),
        ] {
            let (status, refused) = list(query).await;
            assert_eq!((status, message(&refused)), (StatusCode::BAD_REQUEST, expected), "{query}");
        }
        // Another organization's key is unknown here.
        let two = server.store.create_organization("MSP Two").await.unwrap().id;
        let stranger = server.user_token(two, "admin@msp-two.test", Role::Admin).await;
        define(&server, &stranger, json!({"scope": "agent", "key": "only_theirs", "name": "x", "kind": "text"})).await;
        assert_eq!(list("custom_field=only_theirs&custom_value=x").await.0, StatusCode::BAD_REQUEST);
        let (status, theirs) = server.get("/api/v1/agents?custom_field=only_theirs&custom_value=Web%20Server", &stranger).await;
        assert_eq!((status, theirs["total"].clone()), (StatusCode::OK, json!(0)));
    })
    .await;
}

#[tokio::test]
async fn a_script_parameter_takes_each_agents_own_value_else_its_sites() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let org = server.admin_organization().await;
        let (_, site_id, key) = server.client_site_key(&token).await;
        let first = server.enroll(&key, "dev-one", "one").await["agent_id"]
            .as_str()
            .unwrap()
            .to_string();
        let second = server.enroll(&key, "dev-two", "two").await["agent_id"]
            .as_str()
            .unwrap()
            .to_string();
        let third = server.enroll(&key, "dev-three", "three").await["agent_id"]
            .as_str()
            .unwrap()
            .to_string();
        define(
            &server,
            &token,
            json!({"scope": "agent", "key": "backup_path", "name": "Backup path", "kind": "text"}),
        )
        .await;
        define(
            &server,
            &token,
            json!({"scope": "site", "key": "backup_path", "name": "Backup path", "kind": "text"}),
        )
        .await;
        define(
            &server,
            &token,
            json!({"scope": "agent", "key": "keep_days", "name": "Keep days", "kind": "number"}),
        )
        .await;
        server
            .put(
                &format!("/api/v1/agents/{first}/custom-fields"),
                &token,
                json!({"values": {"backup_path": "/srv/one", "keep_days": 7}}),
            )
            .await;
        server
            .put(
                &format!("/api/v1/agents/{second}/custom-fields"),
                &token,
                json!({"values": {"backup_path": "/srv/two", "keep_days": 30}}),
            )
            .await;

        let script = json!({
            "name": "Back up", "command_type": "script", "interpreter": "bash",
            "body": "echo \"$1 $2\"",
            "parameters": [
                {"name": "Path", "type": "string", "required": true, "custom_field": "backup_path"},
                {"name": "Days", "type": "number", "default": "1", "custom_field": "keep_days"},
            ],
        });
        let (status, refused) = server
            .post(
                "/api/v1/scripts",
                &token,
                json!({
                    "name": "Bad", "command_type": "script", "interpreter": "bash", "body": "true",
                    "parameters": [{"name": "P", "type": "string", "custom_field": "Not A Key"}],
                }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            message(&refused).contains("custom_field must be a custom field's key"),
            "{refused}"
        );
        let (status, created) = server.post("/api/v1/scripts", &token, script).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(
            created["current"]["parameters"][0]["custom_field"],
            "backup_path"
        );
        let run_path = format!("/api/v1/scripts/{}/run", created["id"].as_str().unwrap());

        // The third agent has no value of its own and its site none yet.
        let (status, refused) = server
            .post(&run_path, &token, json!({"targets": {"site_id": site_id}}))
            .await;
        assert_eq!(
            (status, message(&refused)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "parameter Path is required and custom field backup_path has no value for three"
            )
        );
        server
            .put(
                &format!("/api/v1/sites/{site_id}/custom-fields"),
                &token,
                json!({"values": {"backup_path": "/srv/site"}}),
            )
            .await;
        let (status, job) = server
            .post(&run_path, &token, json!({"targets": {"site_id": site_id}}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        assert_eq!(
            job["parameters"],
            json!({}),
            "the job records what the caller gave"
        );
        let job_id: gururmm_store::JobId = job["id"].as_str().unwrap().parse().unwrap();
        let commands = server.store.list_job_commands(org, job_id).await.unwrap();
        let mut seen: Vec<(String, Vec<String>, String, String)> = commands
            .iter()
            .map(|c| {
                (
                    c.hostname.clone(),
                    c.command.args.clone(),
                    c.command.env["Path"].clone(),
                    c.command.env["Days"].clone(),
                )
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                (
                    "one".to_string(),
                    vec!["/srv/one".to_string(), "7".into()],
                    "/srv/one".into(),
                    "7".into()
                ),
                (
                    "three".into(),
                    vec!["/srv/site".into(), "1".into()],
                    "/srv/site".into(),
                    "1".into()
                ),
                (
                    "two".into(),
                    vec!["/srv/two".into(), "30".into()],
                    "/srv/two".into(),
                    "30".into()
                ),
            ],
            "each agent its own value, else its site's, else the default"
        );

        // What the caller gives wins everywhere.
        let (status, job) = server
            .post(
                &run_path,
                &token,
                json!({"targets": {"agent_ids": [first, third]}, "parameters": {"Path": "/given"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let job_id: gururmm_store::JobId = job["id"].as_str().unwrap().parse().unwrap();
        let mut args: Vec<Vec<String>> = server
            .store
            .list_job_commands(org, job_id)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.command.args)
            .collect();
        args.sort();
        assert_eq!(
            args,
            [
                vec!["/given".to_string(), "1".into()],
                vec!["/given".to_string(), "7".into()]
            ]
        );
        assert_eq!(job["parameters"], json!({"Path": "/given"}));
    })
    .await;
}
