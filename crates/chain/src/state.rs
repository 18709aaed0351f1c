//! World state and its undo journal.
//!
//! Contract: every mutation of state goes through a setter here that records the old value in
//! the journal, so a reverted transaction is rolled back exactly (all-or-nothing). Zero values
//! are stored as absent, so two states with the same meaning have the same canonical form (and
//! the same digest). Ordered maps only: iteration order never depends on hashing or history.
//! No I/O, no clock: the block time is a field set by the engine.

use crate::contracts::Contract;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use alloy_primitives::{Address, B256, U256};
use laniakea_units::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

/// One rate-limit entry (spark `RateLimitData`). Units are the limited token's base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimitData {
    pub max_amount: U256,
    /// base units per second
    pub slope: U256,
    pub last_amount: U256,
    pub last_updated: Timestamp,
}

/// A Vat urn: `ink` [wad], `art` [wad].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Urn {
    pub ink: U256,
    pub art: U256,
}

#[derive(Debug)]
enum Undo {
    Contract(Address, Option<Contract>),
    Balance(Address, Address, U256),
    Allowance(Address, Address, Address, U256),
    Role(Address, B256, Address, bool),
    Urn(B256, Address, Urn),
    Dai(Address, U256),
    Sin(Address, U256),
    RateLimit(Address, B256, Option<RateLimitData>),
}

/// The complete engine state. Read it freely; mutate only through the engine.
#[derive(Debug, Default)]
pub struct State {
    pub(crate) now: Timestamp,
    pub(crate) contracts: BTreeMap<Address, Contract>,
    /// token → holder → balance [token base units]
    pub(crate) balances: BTreeMap<Address, BTreeMap<Address, U256>>,
    /// (token, owner, spender) → allowance
    pub(crate) allowances: BTreeMap<(Address, Address, Address), U256>,
    /// (contract, role, account); MCD `wards` are stored as the admin role `0x00`.
    pub(crate) roles: BTreeSet<(Address, B256, Address)>,
    /// The single Vat of this engine, once deployed.
    pub(crate) vat: Option<Address>,
    /// (ilk, urn) → Urn
    pub(crate) urns: BTreeMap<(B256, Address), Urn>,
    /// internal dai [rad]
    pub(crate) dai: BTreeMap<Address, U256>,
    /// internal unbacked debt [rad]
    pub(crate) sin: BTreeMap<Address, U256>,
    /// (RateLimits contract, key) → data
    pub(crate) rate_limits: BTreeMap<(Address, B256), RateLimitData>,
    /// Per-sender transaction count (Ethereum nonce; increments on revert too).
    pub(crate) nonces: BTreeMap<Address, u64>,
    journal: Vec<Undo>,
    pub(crate) pending_events: Vec<(Address, EventKind)>,
}

impl State {
    pub fn now(&self) -> Timestamp {
        self.now
    }

    // ---- journal ----------------------------------------------------------------------------

    pub(crate) fn begin(&mut self) {
        debug_assert!(self.journal.is_empty());
        self.pending_events.clear();
    }

    pub(crate) fn commit(&mut self) -> Vec<(Address, EventKind)> {
        self.journal.clear();
        std::mem::take(&mut self.pending_events)
    }

    pub(crate) fn rollback(&mut self) {
        while let Some(u) = self.journal.pop() {
            match u {
                Undo::Contract(a, old) => match old {
                    Some(c) => {
                        self.contracts.insert(a, c);
                    }
                    None => {
                        self.contracts.remove(&a);
                    }
                },
                Undo::Balance(t, a, old) => {
                    Self::put(self.balances.entry(t).or_default(), a, old);
                }
                Undo::Allowance(t, o, s, old) => {
                    Self::put(&mut self.allowances, (t, o, s), old);
                }
                Undo::Role(c, r, a, was) => {
                    if was {
                        self.roles.insert((c, r, a));
                    } else {
                        self.roles.remove(&(c, r, a));
                    }
                }
                Undo::Urn(i, u, old) => {
                    if old == Urn::default() {
                        self.urns.remove(&(i, u));
                    } else {
                        self.urns.insert((i, u), old);
                    }
                }
                Undo::Dai(a, old) => {
                    Self::put(&mut self.dai, a, old);
                }
                Undo::Sin(a, old) => {
                    Self::put(&mut self.sin, a, old);
                }
                Undo::RateLimit(c, k, old) => match old {
                    Some(d) => {
                        self.rate_limits.insert((c, k), d);
                    }
                    None => {
                        self.rate_limits.remove(&(c, k));
                    }
                },
            }
        }
        self.balances.retain(|_, m| !m.is_empty());
        self.pending_events.clear();
    }

    fn put<K: Ord>(map: &mut BTreeMap<K, U256>, k: K, v: U256) -> U256 {
        if v.is_zero() {
            map.remove(&k).unwrap_or_default()
        } else {
            map.insert(k, v).unwrap_or_default()
        }
    }

    pub(crate) fn emit(&mut self, contract: Address, kind: EventKind) {
        self.pending_events.push((contract, kind));
    }

    // ---- contracts --------------------------------------------------------------------------

    pub fn contract(&self, a: Address) -> CallResult<&Contract> {
        self.contracts.get(&a).ok_or(Revert::NoContract(a))
    }

    pub(crate) fn insert_contract(&mut self, a: Address, c: Contract) {
        let old = self.contracts.insert(a, c);
        self.journal.push(Undo::Contract(a, old));
    }

    /// Mutable access to a contract, journalling its previous value first.
    pub(crate) fn contract_mut(&mut self, a: Address) -> CallResult<&mut Contract> {
        let old = self.contracts.get(&a).ok_or(Revert::NoContract(a))?.clone();
        self.journal.push(Undo::Contract(a, Some(old)));
        self.contracts.get_mut(&a).ok_or(Revert::NoContract(a))
    }

    // ---- token ledgers ----------------------------------------------------------------------

    pub fn balance_of(&self, token: Address, who: Address) -> U256 {
        self.balances
            .get(&token)
            .and_then(|m| m.get(&who))
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn set_balance(&mut self, token: Address, who: Address, v: U256) {
        let old = Self::put(self.balances.entry(token).or_default(), who, v);
        self.journal.push(Undo::Balance(token, who, old));
    }

    pub fn allowance(&self, token: Address, owner: Address, spender: Address) -> U256 {
        self.allowances
            .get(&(token, owner, spender))
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn set_allowance(
        &mut self,
        token: Address,
        owner: Address,
        spender: Address,
        v: U256,
    ) {
        let old = Self::put(&mut self.allowances, (token, owner, spender), v);
        self.journal
            .push(Undo::Allowance(token, owner, spender, old));
    }

    // ---- roles ------------------------------------------------------------------------------

    pub fn has_role(&self, contract: Address, role: B256, who: Address) -> bool {
        self.roles.contains(&(contract, role, who))
    }

    pub(crate) fn set_role(
        &mut self,
        contract: Address,
        role: B256,
        who: Address,
        on: bool,
    ) -> bool {
        let was = if on {
            !self.roles.insert((contract, role, who))
        } else {
            self.roles.remove(&(contract, role, who))
        };
        self.journal.push(Undo::Role(contract, role, who, was));
        was
    }

    /// All holders of `role` on `contract`, in address order.
    pub fn role_members(&self, contract: Address, role: B256) -> Vec<Address> {
        self.roles
            .range((contract, role, Address::ZERO)..)
            .take_while(|(c, r, _)| *c == contract && *r == role)
            .map(|(_, _, a)| *a)
            .collect()
    }

    // ---- Vat internals ----------------------------------------------------------------------

    pub fn urn(&self, ilk: B256, who: Address) -> Urn {
        self.urns.get(&(ilk, who)).copied().unwrap_or_default()
    }

    pub(crate) fn set_urn(&mut self, ilk: B256, who: Address, u: Urn) {
        let old = if u == Urn::default() {
            self.urns.remove(&(ilk, who))
        } else {
            self.urns.insert((ilk, who), u)
        };
        self.journal
            .push(Undo::Urn(ilk, who, old.unwrap_or_default()));
    }

    /// Internal dai [rad].
    pub fn dai(&self, who: Address) -> U256 {
        self.dai.get(&who).copied().unwrap_or_default()
    }

    pub(crate) fn set_dai(&mut self, who: Address, v: U256) {
        let old = Self::put(&mut self.dai, who, v);
        self.journal.push(Undo::Dai(who, old));
    }

    /// Internal unbacked debt [rad].
    pub fn sin(&self, who: Address) -> U256 {
        self.sin.get(&who).copied().unwrap_or_default()
    }

    pub(crate) fn set_sin(&mut self, who: Address, v: U256) {
        let old = Self::put(&mut self.sin, who, v);
        self.journal.push(Undo::Sin(who, old));
    }

    // ---- rate limits ------------------------------------------------------------------------

    pub fn rate_limit_data(&self, rate_limits: Address, key: B256) -> RateLimitData {
        self.rate_limits
            .get(&(rate_limits, key))
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn set_rate_limit_data(
        &mut self,
        rate_limits: Address,
        key: B256,
        d: RateLimitData,
    ) {
        let old = if d == RateLimitData::default() {
            self.rate_limits.remove(&(rate_limits, key))
        } else {
            self.rate_limits.insert((rate_limits, key), d)
        };
        self.journal.push(Undo::RateLimit(rate_limits, key, old));
    }

    /// All configured keys of a RateLimits contract, in key order.
    pub fn rate_limit_keys(&self, rate_limits: Address) -> Vec<(B256, RateLimitData)> {
        self.rate_limits
            .range((rate_limits, B256::ZERO)..)
            .take_while(|((c, _), _)| *c == rate_limits)
            .map(|((_, k), d)| (*k, *d))
            .collect()
    }

    /// Every holder balance of a token, in address order.
    pub fn holders(&self, token: Address) -> impl Iterator<Item = (Address, U256)> + '_ {
        self.balances
            .get(&token)
            .into_iter()
            .flat_map(|m| m.iter().map(|(a, b)| (*a, *b)))
    }

    pub fn contracts(&self) -> impl Iterator<Item = (Address, &Contract)> {
        self.contracts.iter().map(|(a, c)| (*a, c))
    }

    pub fn vat_address(&self) -> Option<Address> {
        self.vat
    }
}
