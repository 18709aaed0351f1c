//! The ordered event log.
//!
//! Contract: events are appended only by committed transactions, in execution order; each carries
//! the block time, the transaction index and its position in the log (the cursor off-chain
//! readers resume from). Amounts carry their unit in the type (`Wad`, `Ray`, `Rad`). Events never
//! change once appended.

use alloy_primitives::Address;
use laniakea_units::Timestamp;
use serde::Serialize;

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Position in the log, from 0; the cursor for [`crate::Engine::events_since`].
    pub seq: u64,
    pub block_time: Timestamp,
    pub tx_index: u64,
    pub contract: Address,
    #[serde(flatten)]
    pub kind: EventKind,
}

pub use crate::families::EventKind;
