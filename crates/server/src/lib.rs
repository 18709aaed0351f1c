//! laniakea-server: the HTTP API over a run's Synome and the engine state it describes
//! (SPEC §7), its OpenAPI 3.1 document, and remote intake of signed records.
//!
//! Contract: read-only over the engine (views through the chain seam, never a transaction);
//! the only write is record intake, which goes through the Synome's own append path
//! (`Synome::append_batch`), so a remote record passes exactly the checks a local write passes
//! and is stored all-or-none. JSON in and out; amounts are exact decimal strings with their
//! unit in the field name; errors are `{"error": {"code", "message", "retryable"}}` with stable
//! codes. The API lives under `/api/v1`; `/` and `/ui/*` are reserved for the dashboard served by
//! the same process. See `docs/api.md`.

pub mod api;
pub mod codec;
pub mod deployment;
pub mod engine;
pub mod epochs;
pub mod error;
pub mod state;
pub mod ui;
pub mod ui_api;
pub mod ui_history;
pub mod ui_model;

pub use api::{api_router, openapi, router};
pub use error::ApiError;
pub use state::{
    AppState, BoxStore, ChainThread, Opener, ServeConfig, SharedChain, SpawnError, SynomePool,
};

use std::sync::Arc;

/// Serves `state` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// An opener for a SQLite Synome file (which must exist: the server never creates a store).
pub fn sqlite_opener(path: &str) -> Opener {
    let path = path.to_string();
    Arc::new(move || Ok(Box::new(laniakea_synome::sqlite::SqliteStore::open(&path)?) as BoxStore))
}

/// An opener for a PostgreSQL Synome (schema must exist).
pub fn postgres_opener(url: &str, schema: &str) -> Opener {
    let (url, schema) = (url.to_string(), schema.to_string());
    Arc::new(move || {
        Ok(Box::new(laniakea_synome::postgres::PgStore::connect(&url, &schema)?) as BoxStore)
    })
}
