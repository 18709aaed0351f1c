//! What is deployed on the chain, discovered from its event log through the seam.
//!
//! Contract: every contract emits `Deployed { kind }` when created, so the log alone names every
//! contract and its family; rate-limit entries are the `(RateLimits contract, key)` pairs that
//! ever had `RateLimitDataSet`; the Generator registry's Primes come from `PrimeRegistered`.
//! Discovery reads nothing but [`Chain::events_since`], so it works the same on the in-process
//! engine and on a replayed journal. Names (the system builder's address book) are optional
//! labels, never needed to find anything.

use alloy_primitives::{Address, B256};
use laniakea_chain::families::generator::GeneratorEvent;
use laniakea_chain::families::rate_limits::RateLimitsEvent;
use laniakea_chain::{Chain, EventKind};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployment {
    /// Every contract by family label (`generator`, `prime-vault`, `rate-limits`, …), in
    /// deployment order.
    pub by_kind: BTreeMap<&'static str, Vec<Address>>,
    /// Every rate-limit entry ever set: RateLimits contract → keys.
    pub rate_limit_keys: BTreeMap<Address, BTreeSet<B256>>,
    /// Primes registered with a Generator registry, in registration order: (name, Prime vault).
    pub primes: Vec<(String, Address)>,
    /// The first event's block time (the deployment's start, absent other configuration).
    pub first_block_time: Option<laniakea_units::Timestamp>,
    /// How many events the log held when discovered (the served chain does not change).
    pub events: u64,
    names: BTreeMap<Address, String>,
}

impl Deployment {
    pub fn discover(chain: &dyn Chain, names: &BTreeMap<String, Address>) -> Deployment {
        let mut d = Deployment {
            names: names.iter().map(|(n, a)| (*a, n.clone())).collect(),
            ..Deployment::default()
        };
        for e in chain.events_since(0) {
            d.events = e.seq + 1;
            if d.first_block_time.is_none() {
                d.first_block_time = Some(e.block_time);
            }
            match &e.kind {
                EventKind::Deployed { kind, .. } => {
                    d.by_kind.entry(kind).or_default().push(e.contract);
                }
                EventKind::RateLimits(RateLimitsEvent::RateLimitDataSet { key, .. }) => {
                    d.rate_limit_keys
                        .entry(e.contract)
                        .or_default()
                        .insert(*key);
                }
                EventKind::GeneratorRegistry(GeneratorEvent::PrimeRegistered {
                    prime,
                    vault,
                    ..
                }) => {
                    let name = serde_json::to_value(prime)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    if !d.primes.iter().any(|(n, _)| *n == name) {
                        d.primes.push((name, *vault));
                    }
                }
                _ => {}
            }
        }
        d
    }

    /// The contracts of one family.
    pub fn of(&self, kind: &str) -> &[Address] {
        self.by_kind.get(kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every address the address book names (accounts included).
    pub fn named_addresses(&self) -> impl Iterator<Item = Address> + '_ {
        self.names.keys().copied()
    }

    /// The address book's name for `a`, if it has one.
    pub fn name(&self, a: Address) -> Option<&str> {
        self.names.get(&a).map(String::as_str)
    }
}
