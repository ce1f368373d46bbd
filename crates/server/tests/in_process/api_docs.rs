//! The interactive API documentation: `/docs` answers its own page (never the
//! dashboard's), whose scripts are files the Content-Security-Policy allows,
//! and the OpenAPI document its initializer reads is served.

use crate::support::*;
use gururmm_store::testing::TestDatabase;
use reqwest::StatusCode;

fn web_source(path: &str) -> String {
    let path = format!("{}/../../web/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A built dashboard laid out as Vite writes it, with the docs page taken from
/// its source (`web/docs/index.html`, whose script tags Vite only renames).
async fn server_with_docs() -> (TestServer, tempfile::TempDir) {
    let web = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(web.path().join("docs")).unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>GuruRMM</title><div id=\"root\"></div>",
    )
    .unwrap();
    std::fs::write(
        web.path().join("docs/index.html"),
        web_source("docs/index.html"),
    )
    .unwrap();
    let config = gururmm_server::config::Config {
        web_dir: Some(web.path().to_path_buf()),
        ..test_config()
    };
    let server = TestServer::start_with(TestDatabase::sqlite().await, config).await;
    (server, web)
}

async fn get(client: &reqwest::Client, server: &TestServer, path: &str) -> reqwest::Response {
    client
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap()
}

/// Every `<script …>…</script>` of `html`: its opening tag and its body.
fn scripts(html: &str) -> Vec<(&str, &str)> {
    html.split("<script")
        .skip(1)
        .map(|rest| {
            let (tag, after) = rest.split_once('>').expect("a closed tag");
            let (body, _) = after.split_once("</script>").expect("a closing tag");
            (tag, body)
        })
        .collect()
}

#[tokio::test]
async fn docs_answer_the_swagger_page_with_scripts_the_policy_allows() {
    let (server, _web) = server_with_docs().await;
    for path in ["/docs", "/docs/"] {
        let response = get(&server.http, &server, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert!(header("content-type").starts_with("text/html"), "{path}");
        assert_eq!(header("cache-control"), "no-cache", "{path}");
        let policy = header("content-security-policy");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        let html = response.text().await.unwrap();
        assert!(html.contains("id=\"swagger-ui\""), "{path}: {html}");
        assert!(!html.contains("id=\"root\""), "{path} is not the dashboard");
        let scripts = scripts(&html);
        assert!(!scripts.is_empty(), "{path}: no script");
        for (tag, body) in scripts {
            // Inline code would be refused by `script-src 'self'`.
            assert!(tag.contains("src=\"/"), "{path}: {tag}");
            assert!(body.trim().is_empty(), "{path}: inline script {body}");
        }
    }
}

#[tokio::test]
async fn the_document_the_docs_page_reads_is_served() {
    let (server, _web) = server_with_docs().await;
    let initializer = web_source("src/api-docs/main.ts");
    let url = initializer
        .split("OPENAPI_URL = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the initializer names the document's URL");
    let response = get(&server.http, &server, url).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    let document: serde_json::Value = response.json().await.unwrap();
    assert!(
        document["openapi"].as_str().unwrap_or("").starts_with("3."),
        "{document}"
    );
    assert!(document["paths"]["/api/v1/agents"].is_object());
}

#[tokio::test]
async fn api_docs_redirects_to_the_docs_page() {
    let (server, _web) = server_with_docs().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = get(&client, &server, "/api/docs").await;
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], "/docs");
    // Other unknown API paths keep their JSON 404.
    let response = get(&client, &server, "/api/docs/more").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
