//! SPEC §8 invariants that can be checked from engine state alone.
//!
//! Contract: [`check`] returns every violation found (empty = all hold); it never mutates. Each
//! family owns its checks (`Family::check` per contract, `Family::check_ledger` per ledger):
//! 1. every token: Σ balances = totalSupply; Vat: `debt = Σ Art·rate + vice`, `Σ dai = debt`,
//!    `Σ sin = vice`; USDS: `supply·RAY ≤ dai[join]` (no mint without debt);
//! 2. every ilk vault: `art·rate ≥ (USDS it drew − USDS it wiped)·RAY`, the residual favouring the
//!    system (via its urn and the join's backing);
//! 4. every rate-limit entry: `lastAmount ≤ maxAmount`, `lastUpdated ≤ now`.
//!
//! (Flow-by-flow limit compliance of invariant 4 is checked against a reference model in the
//! property tests, since it is a property of transitions, not of a single state.)

use crate::families::Ledgers;
use crate::state::State;

pub fn check(s: &State) -> Vec<String> {
    let mut out = Vec::new();
    for (addr, c) in s.contracts() {
        c.check(s, addr, &mut out);
    }
    Ledgers::check(s, &mut out);
    out
}
