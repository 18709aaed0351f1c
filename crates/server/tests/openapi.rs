//! The OpenAPI document: served by the process, generated from the handlers (utoipa), valid
//! OpenAPI 3.1, and listing every route — a route registered without a description, or a
//! description without a route, fails here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{code, Db, Server};
use serde_json::Value;
use std::collections::BTreeSet;

fn served_doc_equals_generated(v: &Value) {
    let generated = serde_json::to_value(laniakea_server::openapi()).unwrap();
    assert_eq!(v, &generated);
}

/// Every `$ref` in `v` names a schema the document defines.
fn refs_resolve(v: &Value, doc: &Value, at: &str) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let name = r
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("{at}: $ref {r} is not a local schema"));
                assert!(
                    doc["components"]["schemas"].get(name).is_some(),
                    "{at}: $ref {r} does not resolve"
                );
            }
            for (k, x) in m {
                refs_resolve(x, doc, &format!("{at}/{k}"));
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                refs_resolve(x, doc, &format!("{at}/{i}"));
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_valid_openapi_3_1_and_every_route_is_in_it() {
    let db = Db::new();
    let srv = Server::start(common::synome_only(&db)).await;
    let (st, doc) = srv.get("/api/v1/openapi.json").await;
    assert_eq!(st, 200);
    served_doc_equals_generated(&doc);

    // Structure: a 3.1 document a third-party parser accepts.
    let text = serde_json::to_string(&doc).unwrap();
    let spec = oas3::from_json(&text).expect("parses as OpenAPI 3.1 (oas3)");
    let version = spec.validate_version().expect("a supported version");
    assert_eq!((version.major, version.minor), (3, 1));
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    refs_resolve(&doc, &doc, "#");

    // Every operation has a tag, a description and responses including a success.
    let mut documented = BTreeSet::new();
    for (path, method, op) in spec.operations() {
        let name = format!("{method} {path}");
        assert!(path.starts_with("/api/v1/"), "{name}: under /api/v1");
        assert!(!op.tags.is_empty(), "{name}: tagged");
        assert!(
            op.description.is_some() || op.summary.is_some(),
            "{name}: described"
        );
        let responses = op.responses.as_ref().expect("responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{name}: a success response"
        );
        documented.insert((method.to_string(), path.clone()));
    }

    // Every documented operation is routed (the router answers, not the fallback).
    for (method, path) in &documented {
        let concrete = path
            .replace("{epoch}", "2026-01-01")
            .replace("{id}", &format!("0x{}", "00".repeat(32)))
            .replace("{subject}", "global");
        let url = srv.url(&concrete);
        let r = match method.as_str() {
            "GET" => srv.client.get(&url).send().await.unwrap(),
            "POST" => srv
                .client
                .post(&url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap(),
            m => panic!("{m} {path}: a method the test does not know"),
        };
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_ne!(status, 405, "{method} {path}: documented but not routed");
        assert_ne!(
            code(&body),
            "api/no-such-route",
            "{method} {path}: documented but not routed"
        );
    }

    // Every routed API handler is documented: the router's API routes are exactly the
    // handlers registered through `routes!` (each must carry `#[utoipa::path]`), and no other
    // registration reaches `/api`.
    // The API router (`api.rs`) and the dashboard's endpoints it merges (`ui_api.rs`).
    let src = ["api.rs", "ui_api.rs"]
        .map(|f| {
            std::fs::read_to_string(format!("{}/src/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap()
        })
        .join("\n");
    let mut handlers = Vec::new();
    for part in src.split("routes!(").skip(1) {
        let inner = part.split(')').next().unwrap();
        handlers.extend(inner.split(',').map(|h| h.trim().to_string()));
    }
    assert!(!handlers.is_empty());
    for h in &handlers {
        let def = format!("async fn {h}(");
        let at = src
            .find(&def)
            .unwrap_or_else(|| panic!("handler {h} not found"));
        let before = &src[..at];
        let attr = before
            .rfind("#[utoipa::path(")
            .expect("an OpenAPI attribute");
        assert!(
            !before[attr..].contains("async fn "),
            "{h}: the nearest #[utoipa::path] belongs to another handler"
        );
    }
    assert_eq!(
        handlers.len(),
        documented.len(),
        "one documented operation per registered handler: {handlers:?} vs {documented:?}"
    );
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (i, _) in text.match_indices(".route(") {
            let arg = &text[i + 7..];
            let route = arg.split('"').nth(1).unwrap_or("");
            assert!(
                route == "/" || route == "/ui" || route.starts_with("/ui/"),
                "{}: a route registered outside the documented API router: {route}",
                path.display()
            );
        }
        // The only merges: the dashboard's pages (`/`, `/ui/*`, checked above) and its API
        // endpoints (`ui_api`, whose handlers are counted with the API's).
        for (i, _) in text.match_indices(".merge(") {
            let arg = &text[i + 7..];
            assert!(
                arg.starts_with("crate::ui::router())")
                    || arg.starts_with("crate::ui_api::routes())"),
                "{}: .merge( could add undocumented routes",
                path.display()
            );
        }
        for forbidden in [".nest(", ".route_service("] {
            assert!(
                !text.contains(forbidden),
                "{}: {forbidden} could add undocumented routes",
                path.display()
            );
        }
    }
    srv.stop().await;
}
