//! laniakea-journal: the persistent embedded chain — the engine plus a durable journal of every
//! transaction, replayed and verified on open (issue 14 item 4; `docs/journal.md`).
//!
//! Contract:
//! - **Durability rule.** [`JournaledChain::submit_tagged`] (and [`Chain::submit`]) executes the
//!   transaction on the engine, then appends `(wire text, tag, row hash)` to the journal in one
//!   durable transaction (SQLite: WAL, `synchronous = FULL`; or PostgreSQL through
//!   [`JournaledChain::open_postgres`]) *before* returning the receipt. A
//!   revert is journaled too (it consumes a tx index and a nonce, which the digest covers); a
//!   transaction the engine refuses outright ([`EngineError`]) is not. A clock move without a
//!   transaction ([`JournaledChain::warp`], an empty block) is journaled the same way, since
//!   block time is part of the state digest.
//! - **Resume rule.** [`JournaledChain::open_sqlite`] rebuilds the stored genesis and replays
//!   every row in order, checking each row's hash (a hash chain over the wire text and the
//!   canonical receipt): the reopened chain is exactly the chain after the last committed row. A
//!   kill at any point leaves a prefix of the transactions journaled; the caller resumes by
//!   skipping what [`JournaledChain::has_tag`] reports done.
//! - **Refusals.** A different genesis, a tampered or missing row, a second writer, a
//!   transaction without an exact wire form, a reused tag: typed [`JournalError`]s naming the row
//!   or the rule, with nothing executed. Never creates a file on a read-only open.
//! - **Failure after execute.** If the append itself fails (disk, a concurrent writer), the
//!   in-memory engine is ahead of the journal: the handle is poisoned and refuses everything;
//!   reopening resumes from the journal. Through the [`Chain`] trait (whose error type is the
//!   engine's) such an infrastructure failure is a panic, exactly like a crash; callers that
//!   want it as a value use [`JournaledChain::try_submit_tagged`].

mod backend;
mod error;
mod genesis;
mod postgres;
mod receipt;
mod sqlite;
#[doc(hidden)]
pub mod testkit;

pub use error::JournalError;
pub use genesis::Genesis;

use alloy_primitives::{Address, B256};
use backend::{Backend, GenesisRow, Row};
use laniakea_chain::families::{Answer, Query};
use laniakea_chain::wire::{decode_tx, encode_tx};
use laniakea_chain::{CallResult, Chain, Engine, EngineError, Event, Receipt, Tx};
use laniakea_units::Timestamp;
use sqlite::SqliteJournal;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

enum Store {
    /// No persistence.
    Memory,
    /// Replayed from a file, detached from it (ops commands).
    ReadOnly { path: String },
    /// SQLite or PostgreSQL.
    Durable(Box<dyn Backend>),
}

/// The engine plus its journal store.
pub struct JournaledChain {
    engine: Engine,
    genesis: Genesis,
    names: BTreeMap<String, Address>,
    /// Block time at the end of the genesis.
    genesis_time: Timestamp,
    store: Store,
    len: u64,
    head: B256,
    /// tag → journal row.
    tags: HashMap<String, u64>,
    meta: BTreeMap<String, String>,
    /// The store's format (`backend::FORMAT` for a new journal; the stored one otherwise).
    format: i64,
    poisoned: Option<String>,
    fail_next_append: bool,
}

/// What one prepared (executed, not yet appended) transaction carries.
struct Pending {
    row: Row,
    receipt: Receipt,
}

impl JournaledChain {
    fn from_genesis(genesis: Genesis, store: Store) -> Result<JournaledChain, JournalError> {
        let built = genesis.build()?;
        Ok(JournaledChain {
            genesis_time: built.engine.now(),
            engine: built.engine,
            genesis,
            names: built.names,
            store,
            len: 0,
            head: B256::ZERO,
            tags: HashMap::new(),
            meta: BTreeMap::new(),
            format: backend::FORMAT,
            poisoned: None,
            fail_next_append: false,
        })
    }

    /// No persistence (stress runs, tests).
    pub fn in_memory(genesis: Genesis) -> Result<Self, JournalError> {
        Self::from_genesis(genesis, Store::Memory)
    }

    /// Opens (creating if absent) the journal in the SQLite file `path`, builds the engine from
    /// the stored genesis and replays every journaled transaction, checking each row's hash. A
    /// new file stores `genesis`; a file started from another genesis is refused
    /// ([`JournalError::GenesisMismatch`]). Takes the file's writer lock.
    pub fn open_sqlite(path: &Path, genesis: Genesis) -> Result<Self, JournalError> {
        Self::open_durable(Box::new(SqliteJournal::open_writer(path)?), genesis)
    }

    /// Like [`JournaledChain::open_sqlite`], with the journal in PostgreSQL schema `schema`
    /// (created if absent) at `url` (`?sslmode=require` for TLS). The writer lock is a
    /// session advisory lock on the schema (released when the connection ends).
    pub fn open_postgres(url: &str, schema: &str, genesis: Genesis) -> Result<Self, JournalError> {
        Self::open_durable(
            Box::new(postgres::PgJournal::open_writer(url, schema)?),
            genesis,
        )
    }

    fn open_durable(mut store: Box<dyn Backend>, genesis: Genesis) -> Result<Self, JournalError> {
        let stored = store.genesis()?;
        let mut chain = match stored {
            None => {
                let chain = Self::from_genesis(genesis, Store::Memory)?;
                let (kind, body) = chain.genesis.encode();
                store.put_genesis(&GenesisRow {
                    format: backend::FORMAT,
                    kind: kind.to_string(),
                    body,
                    digest: chain.engine.digest(),
                })?;
                chain
            }
            Some(row) => {
                let chain = Self::from_stored(store.location(), &row)?;
                if chain.genesis != genesis {
                    let given = genesis.build()?.engine.digest();
                    if given != row.digest {
                        return Err(JournalError::GenesisMismatch {
                            path: store.location().to_string(),
                            stored: row.digest,
                            given,
                        });
                    }
                }
                chain
            }
        };
        chain.replay(store.as_mut())?;
        let stored_meta = store.meta_all()?;
        chain.meta = chain.checked_meta(store.location(), stored_meta)?;
        chain.store = Store::Durable(store);
        Ok(chain)
    }

    /// Replays the run database at `path` into a detached, in-memory chain (no lock, nothing
    /// written, the file is never created): for read-only commands. Its submits are refused.
    pub fn open_read_only(path: &Path) -> Result<Self, JournalError> {
        let mut store = SqliteJournal::open_read_only(path)?;
        let row = store.genesis()?.ok_or_else(|| JournalError::NotAJournal {
            path: store.location().to_string(),
        })?;
        let mut chain = Self::from_stored(store.location(), &row)?;
        chain.replay(&mut store)?;
        let stored_meta = store.meta_all()?;
        chain.meta = chain.checked_meta(store.location(), stored_meta)?;
        chain.store = Store::ReadOnly {
            path: store.location().to_string(),
        };
        Ok(chain)
    }

    fn from_stored(location: &str, row: &GenesisRow) -> Result<Self, JournalError> {
        let genesis = Genesis::decode(&row.kind, &row.body)?;
        let mut chain = Self::from_genesis(genesis, Store::Memory)?;
        chain.format = row.format;
        let rebuilt = chain.engine.digest();
        if rebuilt != row.digest {
            return Err(JournalError::GenesisDrift {
                path: location.to_string(),
                stored: row.digest,
                rebuilt,
            });
        }
        Ok(chain)
    }

    fn replay(&mut self, store: &mut dyn Backend) -> Result<(), JournalError> {
        store.for_each_row(&mut |row| {
            let seq = row.seq;
            let corrupt = |reason: String| JournalError::CorruptRow { seq, reason };
            let json: serde_json::Value = serde_json::from_str(&row.tx)
                .map_err(|e| corrupt(format!("column `tx` is not JSON: {e}")))?;
            let bytes = if let Some(to) = warp_of(&json) {
                let to = to.map_err(corrupt)?;
                self.engine
                    .warp(to)
                    .map_err(|e| corrupt(format!("the engine refuses it on replay: {e}")))?;
                receipt::warp_bytes(to)
            } else {
                let tx = decode_tx(&json).map_err(|e| corrupt(e.to_string()))?;
                let receipt = self
                    .engine
                    .execute(tx)
                    .map_err(|e| corrupt(format!("the engine refuses it on replay: {e}")))?;
                receipt::receipt_bytes(&self.engine, &receipt)
            };
            let hash = receipt::link(self.format, self.head, row.tag.as_deref(), &row.tx, &bytes);
            if hash != row.hash {
                return Err(JournalError::ReceiptMismatch {
                    seq,
                    tag: row.tag.clone().unwrap_or_default(),
                    stored: row.hash,
                    replayed: hash,
                });
            }
            if let Some(t) = row.tag {
                if let Some(first) = self.tags.insert(t.clone(), seq) {
                    return Err(corrupt(format!("tag '{t}' already used by row {first}")));
                }
            }
            self.head = hash;
            self.len = seq + 1;
            Ok(())
        })
    }

    /// Journaled transactions (genesis transactions not counted).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `Engine::digest()`.
    pub fn digest(&self) -> B256 {
        self.engine.digest()
    }

    /// The hash of the last journal row (zero when empty): a summary of the whole journal.
    pub fn head(&self) -> B256 {
        self.head
    }

    /// Read-only access to the engine (digest, invariant checks).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The genesis the chain was built from (the stored one for an opened file).
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// Block time at the end of the genesis (the deployment's start for the operators).
    pub fn genesis_time(&self) -> Timestamp {
        self.genesis_time
    }

    /// Every name the genesis declares (system or script names) and its address.
    pub fn names(&self) -> &BTreeMap<String, Address> {
        &self.names
    }

    /// The address of a genesis name.
    pub fn address(&self, name: &str) -> Option<Address> {
        self.names.get(name).copied()
    }

    /// Like [`Chain::submit`], plus a caller tag stored with the tx (unique; `""` = none).
    /// Infrastructure failures panic (see the module doc); use
    /// [`JournaledChain::try_submit_tagged`] to get them as values.
    pub fn submit_tagged(&mut self, tx: Tx, tag: &str) -> Result<Receipt, EngineError> {
        match self.try_submit_tagged(tx, tag) {
            Ok(r) => Ok(r),
            Err(JournalError::Engine(e)) => Err(e),
            Err(e) => panic!("{} [{}]", e, e.code()),
        }
    }

    /// [`JournaledChain::submit_tagged`] with every failure as a [`JournalError`].
    pub fn try_submit_tagged(&mut self, tx: Tx, tag: &str) -> Result<Receipt, JournalError> {
        let mut out = self.try_submit_batch(vec![(tx, tag.to_string())])?;
        Ok(out.remove(0))
    }

    /// Submits several transactions and journals them in one durable SQLite transaction (faster
    /// than one by one; a kill leaves none or all of them journaled). A transaction the engine
    /// refuses ends the batch: the ones before it are journaled, the error is returned.
    pub fn try_submit_batch(
        &mut self,
        txs: Vec<(Tx, String)>,
    ) -> Result<Vec<Receipt>, JournalError> {
        if let Some(reason) = &self.poisoned {
            return Err(JournalError::Poisoned {
                reason: reason.clone(),
            });
        }
        if let Store::ReadOnly { path } = &self.store {
            return Err(JournalError::ReadOnly { path: path.clone() });
        }
        let mut pending: Vec<Pending> = Vec::with_capacity(txs.len());
        let mut batch_tags: HashMap<String, u64> = HashMap::new();
        let mut stop = None;
        let mut head = self.head;
        for (tx, tag) in txs {
            let seq = self.len + pending.len() as u64;
            // Checks before executing: nothing runs that could not be journaled.
            if !tag.is_empty() {
                if let Some(first) = self.tags.get(&tag).or(batch_tags.get(&tag)) {
                    stop = Some(JournalError::DuplicateTag { tag, seq: *first });
                    break;
                }
            }
            let text = match encode_checked(&tx) {
                Ok(t) => t,
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            };
            let receipt = match self.engine.execute(tx) {
                Ok(r) => r,
                Err(e) => {
                    stop = Some(JournalError::Engine(e));
                    break;
                }
            };
            let bytes = receipt::receipt_bytes(&self.engine, &receipt);
            head = receipt::link(
                self.format,
                head,
                (!tag.is_empty()).then_some(tag.as_str()),
                &text,
                &bytes,
            );
            if !tag.is_empty() {
                batch_tags.insert(tag.clone(), seq);
            }
            pending.push(Pending {
                row: Row {
                    seq,
                    tag: (!tag.is_empty()).then_some(tag),
                    tx: text,
                    hash: head,
                },
                receipt,
            });
        }
        if !pending.is_empty() {
            let rows: Vec<Row> = pending
                .iter()
                .map(|p| Row {
                    seq: p.row.seq,
                    tag: p.row.tag.clone(),
                    tx: p.row.tx.clone(),
                    hash: p.row.hash,
                })
                .collect();
            self.append(&rows)?;
            self.len += rows.len() as u64;
            self.head = head;
            self.tags.extend(batch_tags);
        }
        match stop {
            Some(e) => Err(e),
            None => Ok(pending.into_iter().map(|p| p.receipt).collect()),
        }
    }

    /// Moves block time forward to `to` without a transaction (an empty block), journaled like
    /// a transaction (block time is part of the state digest). `to` equal to now does nothing;
    /// before now is [`EngineError::TimeWentBackwards`]. Infrastructure failures panic like
    /// [`JournaledChain::submit_tagged`]'s.
    pub fn warp(&mut self, to: Timestamp) -> Result<(), EngineError> {
        match self.try_warp(to) {
            Ok(()) => Ok(()),
            Err(JournalError::Engine(e)) => Err(e),
            Err(e) => panic!("{} [{}]", e, e.code()),
        }
    }

    /// [`JournaledChain::warp`] with every failure as a [`JournalError`].
    pub fn try_warp(&mut self, to: Timestamp) -> Result<(), JournalError> {
        if let Some(reason) = &self.poisoned {
            return Err(JournalError::Poisoned {
                reason: reason.clone(),
            });
        }
        if let Store::ReadOnly { path } = &self.store {
            return Err(JournalError::ReadOnly { path: path.clone() });
        }
        if to == self.engine.now() {
            return Ok(());
        }
        self.engine.warp(to)?;
        let text =
            serde_json::json!({"v": laniakea_chain::wire::WIRE_VERSION, "warp": to.0}).to_string();
        let head = receipt::link(
            self.format,
            self.head,
            None,
            &text,
            &receipt::warp_bytes(to),
        );
        let row = Row {
            seq: self.len,
            tag: None,
            tx: text,
            hash: head,
        };
        self.append(&[row])?;
        self.len += 1;
        self.head = head;
        Ok(())
    }

    /// Appends rows to the store; a failure poisons the handle (its engine is ahead).
    fn append(&mut self, rows: &[Row]) -> Result<(), JournalError> {
        let appended = if std::mem::take(&mut self.fail_next_append) {
            Err(JournalError::Db {
                backend: "test",
                location: "failpoint".into(),
                message: "simulated crash between execute and append".into(),
            })
        } else {
            match &mut self.store {
                Store::Durable(s) => s.append(rows),
                Store::Memory | Store::ReadOnly { .. } => Ok(()),
            }
        };
        if let Err(e) = appended {
            self.poisoned = Some(e.to_string());
            return Err(e);
        }
        Ok(())
    }

    /// Whether a journaled transaction carries `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.contains_key(tag)
    }

    /// The journal row of the transaction tagged `tag`.
    pub fn tag_row(&self, tag: &str) -> Option<u64> {
        self.tags.get(tag).copied()
    }

    /// A `run_meta` value (run arguments, progress markers).
    pub fn meta_get(&self, key: &str) -> Option<String> {
        self.meta.get(key).cloned()
    }

    /// Every `run_meta` entry, in key order.
    pub fn meta(&self) -> &BTreeMap<String, String> {
        &self.meta
    }

    /// Sets a `run_meta` value durably (in memory only without a store).
    pub fn meta_set(&mut self, key: &str, value: &str) -> Result<(), JournalError> {
        self.meta_set_many(&[(key, value)])
    }

    /// Sets several `run_meta` values in one durable transaction: a kill leaves all or none of
    /// them (in memory only without a store).
    pub fn meta_set_many(&mut self, entries: &[(&str, &str)]) -> Result<(), JournalError> {
        if let Some((k, _)) = entries.iter().find(|(k, _)| *k == backend::META_DIGEST_KEY) {
            return Err(JournalError::MetaMismatch {
                path: self.location(),
                reason: format!("key '{k}' is reserved for the journal"),
            });
        }
        let mut next = self.meta.clone();
        for (k, v) in entries {
            next.insert(k.to_string(), v.to_string());
        }
        match &mut self.store {
            Store::Durable(s) => {
                let digest = receipt::meta_digest(&next).to_string();
                let mut all: Vec<(&str, &str)> = entries.to_vec();
                if self.format >= 2 {
                    all.push((backend::META_DIGEST_KEY, digest.as_str()));
                }
                s.meta_set_many(&all)?
            }
            Store::ReadOnly { path } => return Err(JournalError::ReadOnly { path: path.clone() }),
            Store::Memory => {}
        }
        self.meta = next;
        Ok(())
    }

    fn location(&self) -> String {
        match &self.store {
            Store::Durable(s) => s.location().to_string(),
            Store::ReadOnly { path } => path.clone(),
            Store::Memory => "memory".to_string(),
        }
    }

    /// The stored `run_meta` without its digest key, checked against the digest (format 2): once
    /// the journal has rows, a digest that does not match, or a missing one, is refused.
    fn checked_meta(
        &self,
        location: &str,
        mut stored: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, JournalError> {
        let digest = stored.remove(backend::META_DIGEST_KEY);
        if self.format < 2 {
            return Ok(stored);
        }
        let bad = |reason: String| JournalError::MetaMismatch {
            path: location.to_string(),
            reason,
        };
        match digest {
            Some(d) => {
                let want = receipt::meta_digest(&stored).to_string();
                // With no journal row nothing has run on these arguments: a start killed while
                // writing them (or an older build's partial write) is the caller's to redo.
                if d != want && self.len > 0 {
                    return Err(bad(format!(
                        "entries {:?} do not match the stored digest {d} (they hash to {want})",
                        stored.keys().collect::<Vec<_>>()
                    )));
                }
            }
            None if !stored.is_empty() && self.len > 0 => {
                return Err(bad(format!(
                    "has entries {:?} but no '{}'",
                    stored.keys().collect::<Vec<_>>(),
                    backend::META_DIGEST_KEY
                )));
            }
            None => {}
        }
        Ok(stored)
    }

    /// Whether the existing SQLite file `path` is a database of something else (tables, none of
    /// them `chain_genesis`, e.g. a Synome store from `synome demo`): `Some(its tables)`.
    /// `None` for an absent or empty file or a run database. Never creates or writes the file;
    /// callers refuse such a file before [`JournaledChain::open_sqlite`] adds tables to it.
    pub fn foreign_sqlite_tables(path: &Path) -> Result<Option<Vec<String>>, JournalError> {
        sqlite::foreign_tables(path)
    }

    /// Test hook: the next append fails as if the process died between the engine's execute and
    /// the journal append (the transaction executed in memory, nothing was journaled).
    #[doc(hidden)]
    pub fn fail_next_append_for_test(&mut self) {
        self.fail_next_append = true;
    }
}

/// `Some(block time)` for a warp row (`{"v":1,"warp":T}`), `None` for a transaction row.
fn warp_of(json: &serde_json::Value) -> Option<Result<Timestamp, String>> {
    let w = json.get("warp")?;
    let ok = json.get("v").and_then(serde_json::Value::as_u64)
        == Some(laniakea_chain::wire::WIRE_VERSION)
        && json.as_object().is_some_and(|m| m.len() == 2);
    Some(match w.as_u64() {
        Some(t) if ok => Ok(Timestamp(t)),
        _ => Err(format!(
            "a warp row must be {{\"v\":{},\"warp\":<unix s>}}",
            laniakea_chain::wire::WIRE_VERSION
        )),
    })
}

/// The wire text of `tx`, refused unless it reads back to the identical transaction (so every
/// journaled row replays).
fn encode_checked(tx: &Tx) -> Result<String, JournalError> {
    let json = encode_tx(tx).map_err(JournalError::Unencodable)?;
    let back = decode_tx(&json).map_err(JournalError::Unencodable)?;
    if &back != tx {
        return Err(JournalError::Unencodable(laniakea_chain::wire::WireError {
            field: "-".into(),
            message: "the wire form does not read back to the same transaction".into(),
        }));
    }
    Ok(json.to_string())
}

impl Chain for JournaledChain {
    fn now(&self) -> Timestamp {
        self.engine.now()
    }

    fn view(&self, to: Address, q: &Query) -> CallResult<Answer> {
        self.engine.view(to, q)
    }

    fn events_since(&self, cursor: u64) -> Vec<Event> {
        self.engine.events_since(cursor).to_vec()
    }

    fn submit(&mut self, tx: Tx) -> Result<Receipt, EngineError> {
        self.submit_tagged(tx, "")
    }
}
