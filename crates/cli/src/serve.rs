//! `laniakea serve`: the HTTP API (and, later, the dashboard) over a run's Synome and the
//! engine state it describes (see docs/api.md).
//!
//! Contract: arguments are validated and the store opened (never created) before the socket is
//! bound, so a bad `--db` or `--listen` fails with exit 1 naming it; the server runs until
//! SIGINT/SIGTERM and shuts down gracefully. The engine state comes from the run's chain
//! journal in the same `--db` file (`laniakea-journal`, replayed read-only at start: the state as
//! of then), or from `--script` (a transaction script run on a fresh engine, as
//! `book`/`limits`/`lcts` do); a store with neither is served alone and the engine routes answer
//! 404 `api/no-chain`.

use anyhow::Context;
use laniakea_server::{AppState, ServeConfig, SharedChain, SynomePool};
use std::path::PathBuf;
use std::sync::Arc;

/// A line on standard error that never panics (a closed stderr must not turn a clean shutdown
/// into a crash).
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

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
    let mut deployment_start = deployment_start;
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
        None if a.postgres.is_none() => match run_journal(&a.db)? {
            Some((chain, meta)) => {
                if deployment_start.is_none() {
                    deployment_start = Some(match &meta.deployment_start {
                        Some(v) => v.parse().map(laniakea_units::Timestamp).map_err(|_| {
                            anyhow::anyhow!(
                                "invalid --db {}: run_meta.{} '{v}' is not Unix seconds",
                                a.db.display(),
                                crate::ops::META_DEPLOYMENT_START
                            )
                        })?,
                        None => meta.genesis_time,
                    });
                }
                names = meta.names;
                note!(
                    "laniakea serve: engine state replayed from the run journal in {} ({} journal rows)",
                    a.db.display(),
                    meta.rows
                );
                Some(Arc::new(chain))
            }
            None => None,
        },
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
        note!("laniakea serve: listening on http://{bound}/api/v1 (OpenAPI: http://{bound}/api/v1/openapi.json)");
        laniakea_server::serve(listener, state, shutdown_signal()).await?;
        note!("laniakea serve: stopped");
        Ok(())
    })
}

/// What the server reads from the run journal once.
struct JournalMeta {
    names: std::collections::BTreeMap<String, alloy_primitives::Address>,
    /// `run_meta.deployment_start` as written, and the genesis time (the default).
    deployment_start: Option<String>,
    genesis_time: laniakea_units::Timestamp,
    rows: u64,
}

/// The run's chain journal in the `--db` file, replayed read-only on its own thread (the
/// journal's handle may not leave it); `None`: the file is a Synome alone (no `chain_genesis`).
fn run_journal(
    db: &std::path::Path,
) -> anyhow::Result<Option<(laniakea_server::ChainThread, JournalMeta)>> {
    use laniakea_journal::{JournalError, JournaledChain};
    let path = db.to_path_buf();
    let opened = laniakea_server::ChainThread::spawn(move || {
        let chain = JournaledChain::open_read_only(&path)?;
        let meta = JournalMeta {
            names: chain.names().clone(),
            deployment_start: chain.meta_get(crate::ops::META_DEPLOYMENT_START),
            genesis_time: chain.genesis_time(),
            rows: chain.len(),
        };
        Ok::<_, JournalError>((chain, meta))
    });
    match opened {
        Ok(x) => Ok(Some(x)),
        Err(laniakea_server::SpawnError::Open(JournalError::NotAJournal { .. })) => Ok(None),
        Err(laniakea_server::SpawnError::Open(e)) => Err(anyhow::anyhow!(
            "invalid --db {}: its chain journal cannot be replayed: {e} [{}]",
            db.display(),
            e.code()
        )),
        Err(laniakea_server::SpawnError::Thread(e)) => {
            Err(anyhow::anyhow!("cannot start the chain thread: {e}"))
        }
    }
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
