//! SPEC §8 invariants that can be checked from engine state alone.
//!
//! Contract: [`check`] returns every violation found (empty = all hold); it never mutates.
//! 1. every token: Σ balances = totalSupply; Vat: `debt = Σ Art·rate + vice`, `Σ dai = debt`,
//!    `Σ sin = vice`; USDS: `supply·RAY ≤ dai[join]` (no mint without debt);
//! 2. every ilk vault: `art·rate ≥ (USDS it drew − USDS it wiped)·RAY`, the residual favouring the
//!    system (via its urn and the join's backing);
//! 4. every rate-limit entry: `lastAmount ≤ maxAmount`, `lastUpdated ≤ now`.
//!
//! (Flow-by-flow limit compliance of invariant 4 is checked against a reference model in the
//! property tests, since it is a property of transitions, not of a single state.)

use crate::contracts::Contract;
use crate::state::State;
use alloy_primitives::U256;
use laniakea_units::RAY;

pub fn check(s: &State) -> Vec<String> {
    let mut out = Vec::new();
    for (addr, c) in s.contracts() {
        if let Some(t) = c.erc20() {
            let sum = s
                .holders(addr)
                .try_fold(U256::ZERO, |acc, (_, b)| acc.checked_add(b));
            if sum != Some(t.total_supply) {
                out.push(format!(
                    "inv1: token {addr}: sum of balances {sum:?} != totalSupply {}",
                    t.total_supply
                ));
            }
        }
        match c {
            Contract::Vat(v) => {
                let mut owed = Some(v.vice);
                for i in v.ilks.values() {
                    owed = owed.and_then(|o| {
                        i.art_total
                            .checked_mul(i.rate)
                            .and_then(|x| o.checked_add(x))
                    });
                }
                if owed != Some(v.debt) {
                    out.push(format!(
                        "inv1: vat debt {} != sum Art*rate + vice {owed:?}",
                        v.debt
                    ));
                }
                let dai = s
                    .dai
                    .values()
                    .try_fold(U256::ZERO, |a, b| a.checked_add(*b));
                if dai != Some(v.debt) {
                    out.push(format!("inv1: sum dai {dai:?} != debt {}", v.debt));
                }
                let sin = s
                    .sin
                    .values()
                    .try_fold(U256::ZERO, |a, b| a.checked_add(*b));
                if sin != Some(v.vice) {
                    out.push(format!("inv1: sum sin {sin:?} != vice {}", v.vice));
                }
            }
            Contract::Join(j) => {
                if let Ok(supply) = s.total_supply(j.usds) {
                    let backing = s.dai(addr);
                    if supply.checked_mul(RAY).is_none_or(|x| x > backing) {
                        out.push(format!(
                            "inv1: USDS supply {supply} exceeds join backing {backing} rad"
                        ));
                    }
                }
            }
            Contract::IlkVault(v) => {
                let rate = s
                    .get::<crate::contracts::Vat>(v.vat)
                    .ok()
                    .and_then(|x| x.ilks.get(&v.ilk).map(|i| i.rate));
                let urn = s.urn(v.ilk, addr);
                if let (Some(rate), Some(net)) = (rate, v.drawn_wad.checked_sub(v.wiped_wad)) {
                    let tab = urn.art.checked_mul(rate);
                    let issued = net.checked_mul(RAY);
                    if tab.is_none() || issued.is_none() || tab < issued {
                        out.push(format!(
                            "inv2: ilk vault {addr}: debt {tab:?} rad < drawn-wiped {issued:?} rad"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    for ((rl, key), d) in &s.rate_limits {
        if d.max_amount != U256::MAX && d.last_amount > d.max_amount {
            out.push(format!(
                "inv4: {rl} key {key}: lastAmount {} > maxAmount {}",
                d.last_amount, d.max_amount
            ));
        }
        if d.last_updated > s.now {
            out.push(format!("inv4: {rl} key {key}: lastUpdated in the future"));
        }
    }
    out
}
