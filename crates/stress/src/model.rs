//! The run function of model `relayer-compromise`: one seeded variant of the engine-level
//! relayer-compromise scenario ([`crate::attack`]) with its fault draws.
//!
//! Contract: a pure function of (table, run seed): the fault draws come first, in
//! [`crate::scenario::Faults::draw`]'s order, then the attack pattern's draws, all from the run's
//! ChaCha stream. Metrics are exact (wei, seconds, counts, bps); `relayer.bound_exceeded` is 1
//! only if the loss passed the bound (never, if the engine is right).

use crate::attack::{self, Pattern, Setup};
use crate::batch::{RunReport, Unit, Value};
use crate::scenario::{rng_for, StressTable};
use alloy_primitives::U256;
use rand::Rng;

fn put(r: &mut RunReport, name: &str, unit: Unit, v: U256) {
    r.metrics.insert(name.to_string(), Value { unit, v });
}

/// Runs variant `seed` of a `relayer-compromise` table.
pub fn relayer_compromise(t: &StressTable, seed: u64, check: bool) -> Result<RunReport, String> {
    let key = t
        .key
        .as_ref()
        .ok_or("[stress] model relayer-compromise needs [stress.key]")?;
    let mut rng = rng_for(seed);
    let d = t.faults.draw(&mut rng);
    let (max_amount, slope) = key.limits();
    let headroom0 = max_amount * U256::from(d.headroom_bps.min(10_000)) / U256::from(10_000u16);
    let setup = Setup {
        max_amount,
        slope,
        headroom0,
        freeze_s: if d.compromised { d.time_to_freeze_s } else { 0 },
        raises: d.compromised && d.cbeam,
        hop_s: key.hop_s,
        max_change_bps: key.max_change_bps,
    };
    let pattern = if key.pattern == "greedy" {
        Pattern::Greedy
    } else {
        let ttf = setup.freeze_s;
        let n = rng.random_range(1..=20usize);
        let drains = (0..n)
            .map(|_| (rng.random_range(0..=ttf), rng.random_range(1..=10_000u16)))
            .collect();
        let m = rng.random_range(0..=4usize);
        let raises = (0..m)
            .map(|_| (rng.random_range(0..=ttf), rng.random_range(0..=10_000u16)))
            .collect();
        Pattern::Random { drains, raises }
    };
    let mut r = RunReport::default();
    put(
        &mut r,
        "relayer.compromised",
        Unit::Count,
        U256::from(u8::from(d.compromised)),
    );
    if !d.compromised {
        put(&mut r, "relayer.loss", Unit::Wad, U256::ZERO);
        return Ok(r);
    }
    let o = attack::run(&setup, &pattern, check).map_err(|e| format!("{}: {e}", e.code()))?;
    put(&mut r, "relayer.loss", Unit::Wad, o.loss);
    put(&mut r, "relayer.bound", Unit::Wad, o.bound);
    put(
        &mut r,
        "relayer.bound_slack",
        Unit::Wad,
        o.bound.saturating_sub(o.loss),
    );
    put(
        &mut r,
        "relayer.loss_of_bound",
        Unit::Bps,
        if o.bound.is_zero() {
            U256::from(10_000u16)
        } else {
            o.loss * U256::from(10_000u16) / o.bound
        },
    );
    put(
        &mut r,
        "relayer.bound_exceeded",
        Unit::Count,
        U256::from(u8::from(o.loss > o.bound)),
    );
    put(
        &mut r,
        "relayer.time_to_freeze",
        Unit::Seconds,
        U256::from(setup.freeze_s),
    );
    put(&mut r, "relayer.raises", Unit::Count, U256::from(o.raises));
    put(&mut r, "relayer.draws", Unit::Count, U256::from(o.draws));
    put(
        &mut r,
        "relayer.not_frozen",
        Unit::Count,
        U256::from(u8::from(!o.frozen)),
    );
    r.digest = Some(o.digest);
    Ok(r)
}
