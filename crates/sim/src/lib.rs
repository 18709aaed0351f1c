//! laniakea-sim: the main job — a scenario (TOML) run day by day on a chain with every operator.
//!
//! Contract: [`run`] is a pure function of (scenario, seed, days, chain, Synome): the actors'
//! behaviour comes from a seeded PRNG keyed by (seed, day, actor), never from the wall clock or
//! thread timing; everything reaches the chain through the seam ([`SimChain`], a
//! [`laniakea_chain::Chain`] that can also move its clock) and every governance, operator and
//! incident artifact is a signed Synome record. Same scenario + seed + days ⇒ the same state
//! digest and the same Synome record hashes. A run can be stopped anywhere and started again on
//! the same chain and Synome: actor actions carry deterministic tags the chain remembers
//! ([`SimChain::has_tag`]), operator steps are idempotent, governance records are idempotent by
//! fact. Modules: [`scenario`] (files and validation), [`world`] (genesis and names), [`plan`]
//! (the seeded day plan), [`day`] (the day loop), [`summary`] (the run summary).

#![allow(clippy::result_large_err)]

pub mod day;
pub mod plan;
pub mod scenario;
pub mod summary;
pub mod world;

use alloy_primitives::B256;
use laniakea_chain::{Chain, Engine, EngineError, Receipt, Tx};
use laniakea_journal::JournaledChain;
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::Synome;
use laniakea_units::Timestamp;

pub use day::{run, DayDone, Keys, RunOptions};
pub use scenario::{Scenario, ScenarioError};
pub use summary::Summary;

/// The shipped default scenario (`scenarios/default.toml`).
pub const DEFAULT_SCENARIO: &str = include_str!("../../../scenarios/default.toml");

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("setup: {0}")]
    Setup(String),
    #[error("chain: {0}")]
    Chain(#[from] EngineError),
    #[error("synome: {0}")]
    Synome(#[from] laniakea_synome::SynomeError),
    #[error("{step} on {epoch}: {code}: {message}")]
    Operator {
        step: &'static str,
        epoch: String,
        code: &'static str,
        message: String,
    },
    #[error("stopped by the caller: {0}")]
    Stopped(String),
}

impl SimError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            SimError::Scenario(_) => "scenario/invalid",
            SimError::Setup(_) => "sim/setup",
            SimError::Chain(_) => "sim/chain",
            SimError::Synome(_) => "sim/synome",
            SimError::Operator { code, .. } => code,
            SimError::Stopped(_) => "sim/stopped",
        }
    }
}

/// A chain the simulator can drive: the seam plus a clock, the state digest and, for resumable
/// chains, tags recognising actions already applied.
pub trait SimChain: Chain {
    /// Moves block time forward to `to` (an empty block); `to` at or before now is a no-op.
    fn advance_to(&mut self, to: Timestamp) -> Result<(), EngineError>;
    /// The canonical state digest.
    fn digest(&self) -> B256;
    /// Whether an action with this tag was already applied (always `false` on a plain engine).
    fn has_tag(&self, _tag: &str) -> bool {
        false
    }
    /// Applies a transaction and remembers its tag.
    fn submit_tagged(&mut self, tx: Tx, _tag: &str) -> Result<Receipt, EngineError> {
        self.submit(tx)
    }
    /// Applies several tagged transactions as one unit of durability (a resumable chain keeps
    /// all or none of them): used where a later transaction's amount was computed before the
    /// earlier one ran. A transaction the engine refuses ends the batch.
    fn submit_batch(&mut self, txs: Vec<(Tx, String)>) -> Result<Vec<Receipt>, EngineError> {
        let mut out = Vec::with_capacity(txs.len());
        for (tx, tag) in txs {
            out.push(self.submit_tagged(tx, &tag)?);
        }
        Ok(out)
    }
}

impl SimChain for JournaledChain {
    fn advance_to(&mut self, to: Timestamp) -> Result<(), EngineError> {
        if to > Chain::now(self) {
            self.warp(to)?;
        }
        Ok(())
    }
    fn digest(&self) -> B256 {
        JournaledChain::digest(self)
    }
    fn has_tag(&self, tag: &str) -> bool {
        JournaledChain::has_tag(self, tag)
    }
    fn submit_tagged(&mut self, tx: Tx, tag: &str) -> Result<Receipt, EngineError> {
        JournaledChain::submit_tagged(self, tx, tag)
    }
    /// Infrastructure failures of the journal panic, like a crash (see `laniakea_journal`);
    /// a restart resumes from the journal.
    fn submit_batch(&mut self, txs: Vec<(Tx, String)>) -> Result<Vec<Receipt>, EngineError> {
        match self.try_submit_batch(txs) {
            Ok(r) => Ok(r),
            Err(laniakea_journal::JournalError::Engine(e)) => Err(e),
            Err(e) => panic!("chain journal: {e} [{}]", e.code()),
        }
    }
}

impl SimChain for Engine {
    fn advance_to(&mut self, to: Timestamp) -> Result<(), EngineError> {
        if to > Engine::now(self) {
            self.warp(to)?;
        }
        Ok(())
    }
    fn digest(&self) -> B256 {
        Engine::digest(self)
    }
}

/// A whole run in memory (embedded engine, throwaway SQLite Synome): what the stress helper and
/// the tests call. Returns the summary and the final engine.
pub fn run_in_memory(
    scenario: &Scenario,
    opts: &RunOptions,
) -> Result<(Summary, Engine), SimError> {
    let genesis = world::genesis_script(scenario)?;
    let (mut engine, book) = world::build_engine(&genesis)?;
    let store = SqliteStore::create(":memory:")
        .map_err(|e| SimError::Setup(format!("in-memory Synome: {e}")))?;
    let mut syn = Synome::new(store);
    let summary = run(
        scenario,
        opts,
        &mut engine,
        &book,
        &mut syn,
        &mut |_, _, _| Ok(()),
    )?;
    Ok((summary, engine))
}
