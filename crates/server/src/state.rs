//! The server's state: a pool of Synome connections, the chain snapshot, and a response cache
//! keyed by the Synome's head.
//!
//! Contract:
//! - Every Synome access runs on tokio's blocking pool ([`AppState::synome`]): the stores are
//!   synchronous (rusqlite; the `postgres` client runs its own runtime and must never be called
//!   from async code). Connections are opened lazily, reused, and dropped after an error (a
//!   broken connection is never handed out again).
//! - The chain is read only through the seam trait [`laniakea_chain::Chain`] (`view`,
//!   `events_since`, `now`); the server never submits transactions.
//! - A cached response is served only while the store head `(position, id)` it was computed
//!   at is still the head: the Synome is append-only, so equal heads mean equal contents. Other
//!   processes (a running `laniakea run`) may append: the head is re-read on every request.

use crate::deployment::Deployment;
use crate::error::ApiError;
use alloy_primitives::B256;
use axum::body::Bytes;
use laniakea_chain::Chain;
use laniakea_synome::{Store, StoreError, Synome};
use laniakea_units::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A store the server can move between threads.
pub type BoxStore = Box<dyn Store + Send>;
/// Opens one connection to the run's Synome (SQLite file or PostgreSQL schema).
pub type Opener = Arc<dyn Fn() -> Result<BoxStore, StoreError> + Send + Sync>;
/// The engine state the run's database describes, read through the chain seam.
pub type SharedChain = Arc<dyn Chain + Send + Sync>;

/// A chain that may not leave its thread (the run journal's `JournaledChain` holds a
/// non-`Send` store handle), served to every handler through the seam: the chain lives on one
/// dedicated thread, each call is a message to it and its answer the reply. Reads are
/// serialised; the engine routes are cached per Synome head, so the thread is rarely busy.
pub struct ChainThread {
    tx: Mutex<std::sync::mpsc::Sender<ChainCall>>,
}

/// Why [`ChainThread::spawn`] failed.
#[derive(Debug)]
pub enum SpawnError<E> {
    /// `open` failed.
    Open(E),
    /// The thread could not run.
    Thread(String),
}

enum ChainCall {
    Now(std::sync::mpsc::Sender<Timestamp>),
    View(
        alloy_primitives::Address,
        laniakea_chain::Query,
        std::sync::mpsc::Sender<laniakea_chain::CallResult<laniakea_chain::Answer>>,
    ),
    Events(u64, std::sync::mpsc::Sender<Vec<laniakea_chain::Event>>),
}

impl ChainThread {
    /// Opens the chain on its own thread with `open`, which also returns whatever the caller
    /// needs to read from the chain once (`T`, e.g. its address book).
    pub fn spawn<C, T, E>(
        open: impl FnOnce() -> Result<(C, T), E> + Send + 'static,
    ) -> Result<(ChainThread, T), SpawnError<E>>
    where
        C: Chain + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::channel::<ChainCall>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<T, E>>();
        std::thread::Builder::new()
            .name("laniakea-chain".into())
            .spawn(move || {
                let chain = match open() {
                    Ok((c, t)) => {
                        let _ = ready_tx.send(Ok(t));
                        c
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                // Ends when every sender is gone (the server's state dropped).
                for call in rx {
                    match call {
                        ChainCall::Now(r) => {
                            let _ = r.send(chain.now());
                        }
                        ChainCall::View(to, q, r) => {
                            let _ = r.send(chain.view(to, &q));
                        }
                        ChainCall::Events(c, r) => {
                            let _ = r.send(chain.events_since(c));
                        }
                    }
                }
            })
            .map_err(|e| SpawnError::Thread(e.to_string()))?;
        match ready_rx.recv() {
            Ok(Ok(t)) => Ok((ChainThread { tx: Mutex::new(tx) }, t)),
            Ok(Err(e)) => Err(SpawnError::Open(e)),
            Err(_) => Err(SpawnError::Thread(
                "the chain thread stopped while opening the chain".into(),
            )),
        }
    }

    fn ask<T>(&self, make: impl FnOnce(std::sync::mpsc::Sender<T>) -> ChainCall) -> T {
        let (rtx, rrx) = std::sync::mpsc::channel();
        let sent = self
            .tx
            .lock()
            .map(|tx| tx.send(make(rtx)).is_ok())
            .unwrap_or(false);
        match (sent, rrx.recv()) {
            (true, Ok(v)) => v,
            // The chain thread is gone: an infrastructure failure, like a crashed node.
            _ => panic!("the chain thread has stopped"),
        }
    }
}

impl Chain for ChainThread {
    fn now(&self) -> Timestamp {
        self.ask(ChainCall::Now)
    }
    fn view(
        &self,
        to: alloy_primitives::Address,
        q: &laniakea_chain::Query,
    ) -> laniakea_chain::CallResult<laniakea_chain::Answer> {
        let q = q.clone();
        self.ask(move |r| ChainCall::View(to, q, r))
    }
    fn events_since(&self, cursor: u64) -> Vec<laniakea_chain::Event> {
        self.ask(move |r| ChainCall::Events(cursor, r))
    }
    /// The server never submits: a served chain is read-only.
    fn submit(
        &mut self,
        _tx: laniakea_chain::Tx,
    ) -> Result<laniakea_chain::Receipt, laniakea_chain::EngineError> {
        panic!("the served chain is read-only: the server never submits transactions")
    }
}

/// Idle connections, opened on demand.
pub struct SynomePool {
    open: Opener,
    idle: Mutex<Vec<Synome<BoxStore>>>,
    /// How many idle connections are kept (more may be open while busy).
    keep: usize,
}

impl SynomePool {
    pub fn new(open: Opener, keep: usize) -> SynomePool {
        SynomePool {
            open,
            idle: Mutex::new(Vec::new()),
            keep: keep.max(1),
        }
    }

    fn take(&self) -> Result<Synome<BoxStore>, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(s) => Ok(s),
            None => Ok(Synome::new((self.open)()?)),
        }
    }

    fn give_back(&self, s: Synome<BoxStore>) {
        if let Ok(mut v) = self.idle.lock() {
            if v.len() < self.keep {
                v.push(s);
            }
        }
    }

    /// Runs `f` with a connection on the calling thread (blocking).
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Synome<BoxStore>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut s = self.take()?;
        let out = f(&mut s);
        // A connection that failed at the store level may be broken: drop it.
        let store_failure = matches!(&out, Err(e) if e.code.starts_with("store/"));
        if !store_failure {
            self.give_back(s);
        }
        out
    }
}

impl Drop for SynomePool {
    /// Connections are closed on a plain thread: the PostgreSQL client blocks on its own
    /// runtime when closed, which must not happen on an async worker (the state is dropped
    /// there when the server shuts down).
    fn drop(&mut self) {
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

/// What the server needs to know about the run beyond the Synome and the chain.
#[derive(Debug, Clone, Default)]
pub struct ServeConfig {
    /// The first epoch's window start. Default: the block time of the chain's first event, or
    /// else the genesis record's `created_at`.
    pub deployment_start: Option<Timestamp>,
    /// The Primes expected to settle. Default: the Primes the Generator registry registered
    /// on chain, or else every Prime the Synome has records about.
    pub primes: Option<Vec<String>>,
    /// Names for addresses (the system builder's address book), shown beside addresses.
    pub names: std::collections::BTreeMap<String, alloy_primitives::Address>,
}

/// Shared by every handler.
pub struct AppState {
    pub pool: SynomePool,
    pub chain: Option<SharedChain>,
    pub deployment: Deployment,
    pub config: ServeConfig,
    /// The engine state sampled per epoch, for the dashboard's charts (`ui_history`): by
    /// default one sample of the final chain; [`AppState::with_history`] replaces it.
    pub history: crate::ui_history::ChainHistory,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    head: Option<(i64, B256)>,
    entries: HashMap<String, Bytes>,
}

/// Entries kept per head at most (a hostile client varying query strings cannot grow memory
/// without bound).
const CACHE_ENTRIES: usize = 4096;

impl AppState {
    pub fn new(pool: SynomePool, chain: Option<SharedChain>, config: ServeConfig) -> AppState {
        let deployment = chain
            .as_deref()
            .map(|c| Deployment::discover(c, &config.names))
            .unwrap_or_default();
        let history = chain
            .as_deref()
            .map(|c| crate::ui_history::ChainHistory::of_final_state(c, &deployment))
            .unwrap_or_default();
        AppState {
            pool,
            chain,
            deployment,
            config,
            history,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Replaces the engine-state history (e.g. sampled per epoch while replaying a journal).
    pub fn with_history(mut self, history: crate::ui_history::ChainHistory) -> AppState {
        self.history = history;
        self
    }

    /// The chain, or 404 `api/no-chain` when the server runs over a Synome alone.
    pub fn chain(&self) -> Result<&(dyn Chain + Send + Sync), ApiError> {
        self.chain.as_deref().ok_or_else(|| {
            ApiError::not_found(
                "api/no-chain",
                "this server has no engine state (it serves a Synome without a chain journal)",
            )
        })
    }

    /// Runs blocking Synome work on the blocking pool.
    pub async fn synome<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&AppState, &mut Synome<BoxStore>) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let st = Arc::clone(self);
        tokio::task::spawn_blocking(move || st.pool.with(|s| f(&st, s)))
            .await
            .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
    }

    /// The response for `key` at the current head: from the cache, or computed by `f` (on the
    /// same connection, so the head and the contents agree) and cached.
    pub async fn cached(
        self: &Arc<Self>,
        key: String,
        f: impl FnOnce(&AppState, &mut Synome<BoxStore>) -> Result<Vec<u8>, ApiError> + Send + 'static,
    ) -> Result<Bytes, ApiError> {
        self.synome(move |st, syn| {
            let head = syn.store().head()?;
            if let Ok(c) = st.cache.lock() {
                if c.head == head {
                    if let Some(hit) = c.entries.get(&key) {
                        return Ok(hit.clone());
                    }
                }
            }
            let body = Bytes::from(f(st, syn)?);
            // Only cache what was computed at a head that is still current.
            if syn.store().head()? == head {
                if let Ok(mut c) = st.cache.lock() {
                    if c.head != head {
                        c.head = head;
                        c.entries.clear();
                    }
                    if c.entries.len() < CACHE_ENTRIES {
                        c.entries.insert(key, body.clone());
                    }
                }
            }
            Ok(body)
        })
        .await
    }

    /// The time "now" for status: the chain's block time, else the newest record's
    /// `created_at` (a Synome without a chain).
    pub fn as_of(&self, syn: &mut Synome<BoxStore>) -> Result<Timestamp, ApiError> {
        if let Some(c) = &self.chain {
            return Ok(c.now());
        }
        Ok(newest_created_at(syn)?.unwrap_or(Timestamp(0)))
    }
}

fn newest_created_at(syn: &mut Synome<BoxStore>) -> Result<Option<Timestamp>, ApiError> {
    let Some((_, id)) = syn.store().head()? else {
        return Ok(None);
    };
    Ok(syn.get(id)?.map(|r| r.content.created_at))
}
