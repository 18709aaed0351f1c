//! laniakea-chain: the deterministic ledger engine (the embedded "chain").
//!
//! Contract: pure — no I/O, no clock, no randomness, no async; time comes in with each
//! transaction. U256 arithmetic with Solidity semantics (checked, floor unless a rule says up).
//! State changes only through [`Engine::execute`], all-or-nothing, with an ordered event log and a
//! canonical [`Engine::digest`]. Contract code lives in one folder per family under
//! [`families`], all driven by one registry line each. See SPEC §4 and `docs/architecture.md`.

pub mod call;
pub mod contracts;
pub mod digest;
pub mod engine;
pub mod error;
pub mod event;
pub mod families;
pub mod invariants;
pub mod journal;
pub mod roles;
pub mod script;
pub mod seam;
pub mod state;
pub mod system;
pub mod wire;

/// Back-compat paths for helpers that moved into family folders.
pub mod mcd {
    pub use crate::families::vat::{ilk_id, ilk_name, ilk_vault_ink};
}
pub mod rate_limits {
    pub use crate::families::rate_limits::*;
}

pub use call::{Answer, Call, Query, Returns, Tx, Value};
pub use engine::{Engine, Receipt};
pub use error::{CallResult, EngineError, Revert};
pub use event::{Event, EventKind};
pub use families::controller::{exchange_rate, exchange_rate_precision};
pub use seam::Chain;
pub use state::State;
