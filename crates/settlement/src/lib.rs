//! laniakea-settlement: the pure maths of daily settlement (SPEC §3, §5.1–5.4).
//!
//! Contract: no I/O, no clock, no randomness; every function takes its instants and inputs as
//! arguments and returns the same output for the same input, bit for bit. Money is U256 wad with
//! named rounding; every line item is one exact product, floored once.

pub mod amount;
pub mod calendar;
pub mod capacity;
mod digest;
pub mod distribution;
pub mod histories;
pub mod inputs;
pub mod integral;
pub mod ledger;
pub mod srusds;
pub mod statement;

pub use amount::SignedWad;
pub use calendar::{Calendar, CalendarError, EpochId, EpochInfo, Phase, TimeError, Window};
pub use integral::{BalanceHistory, HistoryError};
pub use statement::{compute, Convention, Direction, PrimeInputs, Provenance, Rates, Statement};
