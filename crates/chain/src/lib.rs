//! laniakea-chain: the deterministic ledger engine (the embedded "chain").
//!
//! Contract: pure — no I/O, no clock, no randomness, no async; time comes in with each
//! transaction. U256 arithmetic with Solidity semantics (checked, floor unless a rule says up).
//! State changes only through [`Engine::execute`], all-or-nothing, with an ordered event log and a
//! canonical [`Engine::digest`]. Off-chain components read [`State`] views and the log; they
//! never reach into internals. See SPEC §4 and `docs/architecture.md`.

pub mod call;
pub mod contracts;
mod controller;
pub mod digest;
pub mod engine;
pub mod error;
pub mod event;
pub mod invariants;
pub mod mcd;
pub mod rate_limits;
pub mod roles;
mod savings;
pub mod script;
pub mod state;
mod token;

pub use call::{Call, Returns, Tx, Value, View};
pub use controller::{exchange_rate, exchange_rate_precision};
pub use engine::{Engine, Receipt};
pub use error::{CallResult, EngineError, Revert};
pub use event::{Event, EventKind};
pub use state::State;
