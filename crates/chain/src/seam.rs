//! The typed chain seam: everything off-chain (operators, the simulator, the server) reads and
//! writes the chain only through [`Chain`].
//!
//! Contract: four operations, all typed and all serialisable, so a JSON-RPC client can implement
//! the same trait later: [`Chain::now`] (the current block time), [`Chain::view`] (a typed
//! [`Query`] to one contract, answered by a typed [`Answer`] or a [`Revert`]),
//! [`Chain::events_since`] (the log from a cursor: an event's `seq`; resume with the last
//! `seq + 1`) and [`Chain::submit`] (apply one transaction; a revert is a receipt, not an error).
//! No access to engine internals: [`crate::Engine::state`] exists only with the `test-utils`
//! feature.

use crate::call::Tx;
use crate::engine::{Engine, Receipt};
use crate::error::{CallResult, EngineError};
use crate::event::Event;
use crate::families::{Answer, Query};
use alloy_primitives::Address;
use laniakea_units::Timestamp;

/// A chain as seen from outside.
pub trait Chain {
    /// The current block time.
    fn now(&self) -> Timestamp;
    /// A read-only query against contract `to` at the current block time.
    fn view(&self, to: Address, q: &Query) -> CallResult<Answer>;
    /// Every event with `seq ≥ cursor`, in log order.
    fn events_since(&self, cursor: u64) -> Vec<Event>;
    /// Applies one transaction (all-or-nothing).
    fn submit(&mut self, tx: Tx) -> Result<Receipt, EngineError>;
}

impl Chain for Engine {
    fn now(&self) -> Timestamp {
        Engine::now(self)
    }

    fn view(&self, to: Address, q: &Query) -> CallResult<Answer> {
        Engine::view(self, to, q)
    }

    fn events_since(&self, cursor: u64) -> Vec<Event> {
        Engine::events_since(self, cursor).to_vec()
    }

    fn submit(&mut self, tx: Tx) -> Result<Receipt, EngineError> {
        self.execute(tx)
    }
}
