//! `laniakea serve`: the HTTP API (and, later, the dashboard) over a run's Synome and the
//! engine state it describes (see docs/api.md).
//!
//! Contract: arguments are validated and the store opened (never created) before the socket is
//! bound, so a bad `--db` or `--listen` fails with exit 1 naming it; the server runs until
//! SIGINT/SIGTERM and shuts down gracefully. The engine state comes from `--script` (a
//! transaction script run on a fresh engine, as `book`/`limits`/`lcts` do); without it the
//! server serves the Synome alone and the engine routes answer 404 `api/no-chain`.

use anyhow::Context;
use laniakea_server::{AppState, ServeConfig, SharedChain, SynomePool};
use std::path::PathBuf;
use std::sync::Arc;

pub struct ServeArgs {
    pub db: PathBuf,
    pub postgres: Option<String>,
    pub pg_schema: String,
    pub listen: String,
    pub script: Option<PathBuf>,
    pub deployment_start: Option<String>,
    pub primes: Vec<String>,
}

pub fn run(a: ServeArgs) -> anyhow::Result<()> {
    let listen: std::net::SocketAddr = a
        .listen
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid --listen '{}': {e} (expected IP:PORT)", a.listen))?;
    let deployment_start = a
        .deployment_start
        .as_deref()
        .map(|v| match v.parse::<u64>() {
            Ok(s) => Ok(laniakea_units::Timestamp(s)),
            Err(_) => laniakea_units::time::parse_rfc3339(v)
                .map_err(|e| anyhow::anyhow!("invalid --deployment-start '{v}': {e}")),
        })
        .transpose()?;
    let opener = match &a.postgres {
        Some(url) => laniakea_server::postgres_opener(url, &a.pg_schema),
        None => laniakea_server::sqlite_opener(
            a.db.to_str()
                .ok_or_else(|| anyhow::anyhow!("--db path is not UTF-8"))?,
        ),
    };
    // Open once up front: a missing or foreign store is an input error, before binding.
    opener().map_err(|e| match &a.postgres {
        Some(_) => anyhow::anyhow!("cannot open --postgres store: {e}"),
        None => anyhow::anyhow!("cannot open --db {}: {e}", a.db.display()),
    })?;
    let mut names = std::collections::BTreeMap::new();
    let chain: Option<SharedChain> = match &a.script {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --script {}", path.display()))?;
            let parsed = laniakea_chain::script::parse(&text)
                .with_context(|| format!("invalid --script {}", path.display()))?;
            let mut engine = laniakea_chain::Engine::new(parsed.genesis());
            parsed.run_on(&mut engine);
            names = parsed.names_map();
            Some(Arc::new(engine))
        }
        None => None,
    };
    let config = ServeConfig {
        deployment_start,
        primes: (!a.primes.is_empty()).then_some(a.primes),
        names,
    };
    let state = Arc::new(AppState::new(SynomePool::new(opener, 16), chain, config));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on --listen {listen}"))?;
        let bound = listener.local_addr()?;
        eprintln!("laniakea serve: listening on http://{bound}/api/v1 (OpenAPI: http://{bound}/api/v1/openapi.json)");
        laniakea_server::serve(listener, state, shutdown_signal()).await?;
        eprintln!("laniakea serve: stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
