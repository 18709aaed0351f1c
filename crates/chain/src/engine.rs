//! The engine: applies transactions all-or-nothing, keeps the event log, answers views.
//!
//! Contract: block time never decreases ([`EngineError::TimeWentBackwards`], nothing applied);
//! every applied transaction gets the next tx index and bumps the sender's nonce, whether it
//! commits or reverts; a revert leaves state and log exactly as before; committed events are
//! appended in order. Same transactions in the same order ⇒ same state digest, on any machine.

use crate::call::*;
use crate::error::{CallResult, EngineError, Revert};
use crate::event::Event;
use crate::families::{Answer, Query};
use crate::state::State;
use alloy_primitives::{Address, B256};
use laniakea_units::Timestamp;
use std::ops::Range;

/// The result of one applied transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub tx_index: u64,
    pub block_time: Timestamp,
    pub from: Address,
    pub outcome: Result<Returns, Revert>,
    /// The slice of the log this transaction appended (empty on revert).
    pub events: Range<usize>,
}

impl Receipt {
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }
}

#[derive(Debug, Default)]
pub struct Engine {
    state: State,
    log: Vec<Event>,
    tx_count: u64,
    check_invariants: bool,
}

impl Engine {
    /// A fresh, empty chain at block time `genesis`.
    pub fn new(genesis: Timestamp) -> Engine {
        let mut e = Engine::default();
        e.state.now = genesis;
        e
    }

    /// The whole state, for tests only (other crates read the chain through
    /// [`crate::seam::Chain`]).
    #[cfg(any(test, feature = "test-utils"))]
    pub fn state(&self) -> &State {
        &self.state
    }

    pub(crate) fn state_ref(&self) -> &State {
        &self.state
    }

    /// Checks the SPEC §8 invariants after every committed transaction (a violation is an
    /// engine bug: `execute` panics with the list). Off by default; the simulator turns it on.
    pub fn set_check_invariants(&mut self, on: bool) {
        self.check_invariants = on;
    }

    /// The SPEC §8 invariants that fail on the current state (empty = all hold).
    pub fn invariant_violations(&self) -> Vec<String> {
        crate::invariants::check(&self.state)
    }

    pub fn now(&self) -> Timestamp {
        self.state.now
    }

    pub fn tx_count(&self) -> u64 {
        self.tx_count
    }

    /// Reserves room for at least `additional` more log events, so a caller that knows how
    /// long its run is (a simulation, a benchmark) pays for the log's memory once instead of
    /// by repeated doubling. Changes nothing observable.
    pub fn reserve_events(&mut self, additional: usize) {
        self.log.reserve(additional);
    }

    /// The whole log.
    pub fn log(&self) -> &[Event] {
        &self.log
    }

    /// Events with `seq ≥ cursor`, in order (an off-chain reader's resume point).
    pub fn events_since(&self, cursor: u64) -> &[Event] {
        let start = usize::try_from(cursor)
            .unwrap_or(usize::MAX)
            .min(self.log.len());
        &self.log[start..]
    }

    /// Applies one transaction.
    pub fn execute(&mut self, tx: Tx) -> Result<Receipt, EngineError> {
        if tx.at < self.state.now {
            return Err(EngineError::TimeWentBackwards {
                current: self.state.now,
                requested: tx.at,
            });
        }
        self.state.now = tx.at;
        let tx_index = self.tx_count;
        self.tx_count += 1;
        let nonce = {
            let n = self.state.nonces.entry(tx.from).or_insert(0);
            let v = *n;
            *n += 1;
            v
        };
        self.state.begin();
        let outcome = crate::families::dispatch(&mut self.state, tx.from, nonce, tx.call);
        let start = self.log.len();
        match &outcome {
            Ok(_) => {
                // Drained, not taken: the pending buffer keeps its capacity for the next
                // transaction (no allocation per transaction).
                let pending = self.state.commit();
                self.log.reserve(pending.len());
                self.log.extend(pending.drain(..).zip(start as u64..).map(
                    |((contract, kind), seq)| Event {
                        seq,
                        block_time: tx.at,
                        tx_index,
                        contract,
                        kind,
                    },
                ));
            }
            Err(_) => self.state.rollback(),
        }
        if self.check_invariants {
            let problems = crate::invariants::check(&self.state);
            assert!(
                problems.is_empty(),
                "SPEC §8 invariants violated after tx {tx_index}: {problems:?}"
            );
        }
        Ok(Receipt {
            tx_index,
            block_time: tx.at,
            from: tx.from,
            outcome,
            events: start..self.log.len(),
        })
    }

    /// Moves block time forward without a transaction (an empty block).
    pub fn warp(&mut self, to: Timestamp) -> Result<(), EngineError> {
        if to < self.state.now {
            return Err(EngineError::TimeWentBackwards {
                current: self.state.now,
                requested: to,
            });
        }
        self.state.now = to;
        Ok(())
    }

    /// A read-only query against contract `to` at the current block time.
    pub fn view(&self, to: Address, q: &Query) -> CallResult<Answer> {
        crate::families::view(&self.state, to, q)
    }

    /// keccak-256 of the canonical state (see [`crate::digest`]).
    pub fn digest(&self) -> B256 {
        crate::digest::state_digest(&self.state, self.tx_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{Call, Deploy, Erc20Call, Erc20Deploy};
    use laniakea_units::Wad;

    fn token_engine(check: bool) -> (Engine, Address, Address) {
        let admin = Address::repeat_byte(1);
        let mut e = Engine::new(Timestamp(1));
        e.set_check_invariants(check);
        let call = Call::Deploy(Deploy::Erc20(Erc20Deploy { symbol: "T".into() }));
        e.execute(Tx {
            from: admin,
            at: Timestamp(1),
            call,
        })
        .unwrap();
        (e, admin, admin.create(0))
    }

    /// Breaks Σ balances = totalSupply behind the engine's back (only a bug could do this).
    fn corrupt(e: &mut Engine, token: Address) {
        e.state.set_balance(
            token,
            Address::repeat_byte(9),
            alloy_primitives::U256::from(1u8),
        );
        crate::journal::Journaled::commit(&mut e.state.ledgers);
    }

    fn mint(e: &mut Engine, admin: Address, token: Address) -> Receipt {
        let call = Call::Erc20(
            token,
            Erc20Call::Mint {
                to: admin,
                amount: Wad::from_raw(alloy_primitives::U256::from(1u8)),
            },
        );
        e.execute(Tx {
            from: admin,
            at: Timestamp(2),
            call,
        })
        .unwrap()
    }

    #[test]
    #[should_panic(expected = "SPEC §8 invariants violated")]
    fn invariant_checks_in_execute_catch_a_broken_state() {
        let (mut e, admin, token) = token_engine(true);
        corrupt(&mut e, token);
        mint(&mut e, admin, token);
    }

    #[test]
    fn invariant_checks_are_off_by_default() {
        let (mut e, admin, token) = token_engine(false);
        corrupt(&mut e, token);
        assert!(mint(&mut e, admin, token).is_ok());
        assert!(!e.invariant_violations().is_empty());
    }
}
