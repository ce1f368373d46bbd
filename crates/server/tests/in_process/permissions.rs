//! Roles are sets of permissions, and each route needs exactly the one its
//! OpenAPI operation names (`security: [{bearer: ["run_commands"]}]`). Read
//! from the document the server serves, so a new route is checked the moment
//! it exists: every operation is called as each built-in role, and is refused
//! with 403 `permission_denied` naming its permission exactly when the role
//! lacks it, before anything else happens (ids are random, bodies empty).

use crate::support::*;
use gururmm_store::{Permission, Role};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Operations open to every signed-in user, whatever their role: their own
/// session, password, second factor, API keys and saved views. Anything else names a permission.
const FOR_EVERY_USER: [&str; 20] = [
    "GET /api/v1/auth/webauthn/credentials",
    "DELETE /api/v1/auth/webauthn/credentials/{id}",
    "POST /api/v1/auth/webauthn/register/start",
    "POST /api/v1/auth/webauthn/register/finish",
    "GET /api/v1/api-keys",
    "POST /api/v1/api-keys",
    "DELETE /api/v1/api-keys/{id}",
    "POST /api/v1/auth/totp/setup",
    "POST /api/v1/auth/totp/confirm",
    "POST /api/v1/auth/totp/disable",
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/support/end",
    "GET /api/v1/auth/me",
    "POST /api/v1/auth/password",
    "GET /api/v1/auth/sessions",
    "DELETE /api/v1/auth/sessions/{id}",
    "POST /api/v1/auth/sessions/revoke-others",
    "GET /api/v1/saved-views",
    "POST /api/v1/saved-views",
    "DELETE /api/v1/saved-views/{id}",
];

/// Operations of the instance's operator (scope `operator`, not a
/// permission; `operator.rs` checks them).
pub(crate) const OPERATOR_ONLY: [&str; 5] = [
    "GET /api/v1/operator/organizations",
    "POST /api/v1/operator/organizations",
    "POST /api/v1/operator/organizations/{id}/suspend",
    "POST /api/v1/operator/organizations/{id}/resume",
    "POST /api/v1/operator/organizations/{id}/support",
];

/// Operations without a session: health, sign-in (also by a one-time link
/// or through an identity provider), the agent's enrollment and the
/// downloads of a site's installers (its link's token is the credential).
const PUBLIC: [&str; 13] = [
    "POST /api/v1/auth/webauthn/challenge",
    "GET /api/v1/health",
    "GET /api/v1/ready",
    "POST /api/v1/auth/login",
    "GET /api/v1/auth/sso/providers/{id}",
    "POST /api/v1/auth/sso/start",
    "GET /api/v1/auth/sso/callback",
    "POST /api/v1/auth/link",
    "POST /api/v1/auth/link/accept",
    "POST /api/v1/agent/enroll",
    "GET /api/v1/installers/{token}",
    "GET /api/v1/installers/{token}/{file}",
    "GET /api/v1/openapi.json",
];

/// Each operation of the served document: `METHOD /path` and what it needs
/// (`None`: public; `Some(None)`: any signed-in user; `Some(Some(p))`: `p`).
async fn operations(server: &TestServer) -> Vec<(Method, String, Option<Option<Permission>>)> {
    let (_, spec) = server
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            let need = match operation["security"].as_array() {
                None => None,
                Some(requirements) => {
                    assert_eq!(requirements.len(), 1, "{name}: one security requirement");
                    let scopes = requirements[0]["bearer"]
                        .as_array()
                        .unwrap_or_else(|| panic!("{name}: a bearer requirement"));
                    match scopes.as_slice() {
                        [] => Some(None),
                        [scope] if scope == "operator" => {
                            assert!(
                                OPERATOR_ONLY.contains(&name.as_str()),
                                "{name} is the operator's: list it"
                            );
                            continue;
                        }
                        [scope] => {
                            let scope = scope.as_str().unwrap();
                            Some(Some(Permission::parse(scope).unwrap_or_else(|| {
                                panic!("{name} names an unknown permission {scope:?}")
                            })))
                        }
                        more => {
                            panic!("{name} names {} permissions; a route needs one", more.len())
                        }
                    }
                }
            };
            match need {
                None => assert!(
                    PUBLIC.contains(&name.as_str()),
                    "{name} has no security requirement"
                ),
                Some(None) => assert!(
                    FOR_EVERY_USER.contains(&name.as_str()),
                    "{name} is open to every signed-in user; name the permission it needs"
                ),
                Some(Some(_)) => {}
            }
            found.push((method.to_uppercase().parse().unwrap(), path.clone(), need));
        }
    }
    assert!(
        found.len() >= 100,
        "the document lists the API: {}",
        found.len()
    );
    found
}

/// The path with every parameter filled: a number for a version, else a
/// random id (of nothing).
fn concrete(template: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').unwrap() + open;
        path.push_str(&rest[..open]);
        if &rest[open + 1..close] == "version" {
            path.push('1');
        } else {
            path.push_str(&uuid::Uuid::new_v4().to_string());
        }
        rest = &rest[close + 1..];
    }
    path.push_str(rest);
    path
}

/// Calls an operation and answers its status, with the error body when it is
/// a 403 (other answers are not read: the event stream never ends).
async fn status_of(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
) -> (StatusCode, Value) {
    let mut request = server
        .http
        .request(method.clone(), format!("{}{path}", server.base))
        .bearer_auth(token);
    if method != Method::GET && method != Method::DELETE {
        request = request.json(&json!({}));
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    if status == StatusCode::FORBIDDEN {
        return (status, response.json().await.unwrap_or_default());
    }
    (status, Value::Null)
}

#[tokio::test]
async fn each_route_needs_exactly_the_permission_it_documents_for_every_built_in_role() {
    each_backend(|server| async move {
        let org = server.admin_organization().await;
        let owner = server.admin_token().await;
        let mut roles = vec![(Role::Owner, owner)];
        for (role, email) in [
            (Role::Admin, "second-admin@msp-one.test"),
            (Role::Technician, "tech@msp-one.test"),
            (Role::ReadOnly, "reader@msp-one.test"),
        ] {
            roles.push((role, server.user_token(org, email, role).await));
        }
        let operations = operations(&server).await;
        let mut refused_somewhere = std::collections::BTreeSet::new();
        for (method, template, need) in &operations {
            let Some(Some(permission)) = need else {
                continue;
            };
            for (role, token) in &roles {
                let path = concrete(template);
                let (status, body) = status_of(&server, method.clone(), &path, token).await;
                let holds = role.permissions().contains(*permission);
                let refused =
                    status == StatusCode::FORBIDDEN && body["error"]["code"] == "permission_denied";
                assert_eq!(
                    refused, !holds,
                    "{method} {template} as {role:?} ({status} {body}): it needs {permission}"
                );
                if refused {
                    assert!(
                        body["error"]["message"]
                            .as_str()
                            .unwrap()
                            .contains(permission.as_str()),
                        "the refusal names the permission: {body}"
                    );
                    refused_somewhere.insert(*permission);
                }
            }
        }
        // Every permission but the one every role holds guards some route
        // that some built-in role is refused.
        for &permission in Permission::ALL {
            let everyone_holds = roles
                .iter()
                .all(|(role, _)| role.permissions().contains(permission));
            let guards_a_route = operations
                .iter()
                .any(|(_, _, need)| *need == Some(Some(permission)));
            if guards_a_route && !everyone_holds {
                assert!(refused_somewhere.contains(&permission), "{permission}");
            }
        }

        // A readonly user is told what their role holds; an owner, everything.
        let (_, me) = server.get("/api/v1/auth/me", &roles[3].1).await;
        assert_eq!(
            (&me["role"], &me["permissions"]),
            (&json!("readonly"), &json!(["view_agents"]))
        );
        let (_, me) = server.get("/api/v1/auth/me", &roles[0].1).await;
        assert_eq!(
            me["permissions"].as_array().unwrap().len(),
            Permission::ALL.len()
        );
    })
    .await;
}
