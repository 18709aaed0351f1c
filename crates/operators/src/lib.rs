//! laniakea-operators: the off-chain operators of the daily settlement cycle (SPEC §5.5–5.7).
//!
//! Contract: operators reach the chain only through the typed seam [`laniakea_chain::Chain`]
//! (views, the event log from a cursor, submit, block time) — never engine internals — so a
//! JSON-RPC client can stand in for the embedded engine. They read governance from, and write
//! their signed artifacts to, the Synome through its public API. Every step of an epoch is
//! idempotent: its completion is derived from the chain and the Synome, never from local state.
//! Time comes from the chain (`Chain::now`) or the caller; nothing reads the wall clock.

#![allow(clippy::result_large_err)]

pub mod book;
pub mod checker;
pub mod governance;
pub mod guard;
pub mod lcts;
pub mod reader;
pub mod report;
pub mod runbook;
pub mod settlement;

pub use guard::{Action, ActionClass, Guard, GuardError, Purpose};
