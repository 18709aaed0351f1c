//! World state: the contracts, the roles, the nonces and every family's ledger.
//!
//! Contract: every mutation goes through a [`crate::journal::JournaledMap`] (here or in a
//! family's `ledger!`), so a reverted transaction is rolled back exactly (all-or-nothing) by
//! [`State::rollback`]. Zero values are stored as absent, so two states with the same meaning
//! have the same canonical form (and the same digest). Ordered maps only: iteration order never
//! depends on hashing or history. No I/O, no clock: the block time is a field set by the engine.
//! Fields are crate-private; other crates read the chain through [`crate::seam::Chain`] (and,
//! with the `test-utils` feature, through [`crate::Engine::state`]).

use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::{Contract, Ledgers};
use crate::journal::{Journaled, JournaledMap};
use alloy_primitives::{Address, B256};
use laniakea_units::Timestamp;
use std::collections::BTreeMap;

pub use crate::families::rate_limits::RateLimitData;
pub use crate::families::vat::Urn;

/// The complete engine state. Mutate only through the engine.
#[derive(Debug, Default)]
pub struct State {
    pub(crate) now: Timestamp,
    pub(crate) contracts: JournaledMap<Address, Contract>,
    /// (contract, role, account) → held; MCD `wards` are stored as the admin role `0x00`.
    pub(crate) roles: JournaledMap<(Address, B256, Address), bool>,
    /// Per-sender transaction count (Ethereum nonce; increments on revert too, never journalled).
    pub(crate) nonces: BTreeMap<Address, u64>,
    /// Every family's mappings (one field per registered family).
    pub(crate) ledgers: Ledgers,
    pub(crate) pending_events: Vec<(Address, EventKind)>,
}

impl State {
    pub fn now(&self) -> Timestamp {
        self.now
    }

    // ---- journal ----------------------------------------------------------------------------

    pub(crate) fn begin(&mut self) {
        self.pending_events.clear();
    }

    /// Commits the journals; returns the transaction's events for the engine to drain into its
    /// log (the buffer is reused by the next transaction).
    pub(crate) fn commit(&mut self) -> &mut Vec<(Address, EventKind)> {
        self.contracts.commit();
        self.roles.commit();
        self.ledgers.commit();
        &mut self.pending_events
    }

    pub(crate) fn rollback(&mut self) {
        self.contracts.rollback();
        self.roles.rollback();
        self.ledgers.rollback();
        self.pending_events.clear();
    }

    pub(crate) fn emit(&mut self, contract: Address, kind: EventKind) {
        self.pending_events.push((contract, kind));
    }

    // ---- contracts --------------------------------------------------------------------------

    pub fn contract(&self, a: Address) -> CallResult<&Contract> {
        self.contracts.get_ref(&a).ok_or(Revert::NoContract(a))
    }

    pub(crate) fn insert_contract(&mut self, a: Address, c: Contract) {
        self.contracts.insert(a, c);
    }

    /// Mutable access to a contract, journalling its previous value first.
    pub(crate) fn contract_mut(&mut self, a: Address) -> CallResult<&mut Contract> {
        self.contracts.get_mut(&a).ok_or(Revert::NoContract(a))
    }

    pub fn contracts(&self) -> impl Iterator<Item = (Address, &Contract)> {
        self.contracts.iter().map(|(a, c)| (*a, c))
    }

    // ---- roles ------------------------------------------------------------------------------

    pub fn has_role(&self, contract: Address, role: B256, who: Address) -> bool {
        self.roles.contains_key(&(contract, role, who))
    }

    /// Grants (`on`) or revokes a role; returns whether it was held before.
    pub(crate) fn set_role(
        &mut self,
        contract: Address,
        role: B256,
        who: Address,
        on: bool,
    ) -> bool {
        self.roles.set((contract, role, who), on)
    }

    /// All holders of `role` on `contract`, in address order.
    pub fn role_members(&self, contract: Address, role: B256) -> Vec<Address> {
        self.roles
            .range((contract, role, Address::ZERO)..)
            .take_while(|((c, r, _), _)| *c == contract && *r == role)
            .map(|((_, _, a), _)| *a)
            .collect()
    }
}
