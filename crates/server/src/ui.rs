//! The web dashboard's assets, built into the binary, and the routes that serve them.
//!
//! Contract: `/` and `/ui/*` belong to the dashboard. `/ui/static/<file>` serves one embedded
//! asset (HTML, CSS, JavaScript modules under `assets/`, compiled in with `include_bytes!`, so
//! the dashboard needs no network beyond this server and no build step); every other `/ui/*`
//! path and `/` answer the single page (`index.html`), whose router (`assets/js/app.js`) draws
//! the page the path names. Every response carries a Content-Security-Policy that allows only
//! this origin, so a page cannot reach any other host even by mistake. An unknown asset is the
//! API's JSON 404 (`ui/no-such-asset`). The dashboard reads its
//! data only from the JSON API (`/api/v1/...`); nothing here touches the Synome or the chain.

use crate::error::ApiError;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file: its path under `assets/` and its media type.
struct Asset {
    path: &'static str,
    media_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($($path:literal => $media:expr),* $(,)?) => {
        &[$(Asset {
            path: $path,
            media_type: $media,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every dashboard file (a test checks this list against the `assets/` folder).
static ASSETS: &[Asset] = assets! {
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "js/app.js" => JS,
    "js/api.js" => JS,
    "js/chart.js" => JS,
    "js/dom.js" => JS,
    "js/fmt.js" => JS,
    "js/pages/overview.js" => JS,
    "js/pages/primes.js" => JS,
    "js/pages/prime.js" => JS,
    "js/pages/generator.js" => JS,
    "js/pages/srusds.js" => JS,
    "js/pages/migration.js" => JS,
    "js/pages/findings.js" => JS,
    "js/pages/record.js" => JS,
};

/// Only this origin, no inline script or style, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

fn respond(a: &'static Asset) -> Response {
    let mut r = (StatusCode::OK, a.bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.media_type));
    // The assets change only with the binary: revalidate rather than serve a stale dashboard.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

fn not_found(what: &str) -> Response {
    ApiError::not_found(
        "ui/no-such-asset",
        format!(
            "the dashboard has no asset '{}'",
            crate::codec::truncate(what)
        ),
    )
    .into_response()
}

async fn page() -> Response {
    match asset("index.html") {
        Some(a) => respond(a),
        None => not_found("index.html"),
    }
}

/// The asset named by the path after `/ui/static/`, compared as raw text: nothing is decoded
/// or resolved, so no request can name a file outside the table (and none is refused by an
/// extractor with a non-JSON error).
async fn static_file(uri: Uri) -> Response {
    let file = uri.path().strip_prefix("/ui/static/").unwrap_or_default();
    match asset(file) {
        Some(a) => respond(a),
        None => not_found(file),
    }
}

/// The dashboard's routes, merged into the API router by `api::router`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route("/ui", get(page))
        .route("/ui/", get(page))
        .route("/ui/static/{*file}", get(static_file))
        .route("/ui/{*page}", get(page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::{Path as FsPath, PathBuf};

    fn files_under(root: &FsPath, dir: &FsPath, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p: PathBuf = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if p.is_dir() {
                files_under(root, &p, out);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    #[test]
    fn every_file_in_the_assets_folder_is_embedded_and_nothing_else() {
        let root = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut on_disk = BTreeSet::new();
        files_under(&root, &root, &mut on_disk);
        let embedded: BTreeSet<String> = ASSETS.iter().map(|a| a.path.to_string()).collect();
        assert_eq!(on_disk, embedded, "assets/ and ui::ASSETS disagree");
    }

    #[test]
    fn no_asset_reaches_another_host() {
        for a in ASSETS {
            let text = std::str::from_utf8(a.bytes).unwrap_or_else(|e| panic!("{}: {e}", a.path));
            for needle in ["http://", "https://", "//cdn", "@import"] {
                // The SVG namespace is a name, not a fetch.
                let hits = text
                    .match_indices(needle)
                    .filter(|(i, _)| !text[*i..].starts_with("http://www.w3.org/2000/svg"))
                    .count();
                assert_eq!(hits, 0, "{} mentions {needle}", a.path);
            }
        }
    }

    #[test]
    fn every_module_the_pages_import_is_embedded() {
        for a in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let text = std::str::from_utf8(a.bytes).unwrap_or_default();
            let dir = a.path.rsplit_once('/').map_or("", |(d, _)| d);
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.split('"').nth(1) else {
                    panic!("{}: unparsable import {line}", a.path)
                };
                let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let target = parts.join("/");
                assert!(
                    asset(&target).is_some(),
                    "{} imports {spec} = {target}, not embedded",
                    a.path
                );
            }
        }
    }
}
