//! `calibrate --check-runs N`: the closed form against stress runs of the same setting. Each run
//! picks a step of the calibrated ramp and lets a compromised executor (relayer + cBEAM) attack
//! that key on the engine — run 0 with the greedy pattern at the last step (the worst case),
//! the others with seeded random drains and raises — and compares the loss with the closed form.
//!
//! Contract: deterministic in (calibration, runs, seed), whatever `jobs`; the closed form is
//! "never below" the runs when every run's loss ≤ its step's harm (and so ≤ the worst harm).

use crate::attack::{self, Pattern, Setup};
use crate::batch::{run_batch, Run, RunReport, Unit, Value};
use crate::calibrate::{Calibration, Headroom0};
use crate::scenario::rng_for;
use crate::stats::{summarise, Summary};
use alloy_primitives::U256;
use rand::Rng;
use serde::Serialize;

/// The comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub runs: u64,
    pub master_seed: u64,
    /// runs whose loss exceeded the closed form at their step (must be 0)
    pub above_closed_form: u64,
    /// the largest loss any run observed [wei]
    pub max_observed_wad: U256,
    /// the closed form's worst harm over the ramp [wei]
    pub closed_form_worst_wad: U256,
    /// the greedy run at the last step reached the closed form exactly
    pub greedy_reaches_closed_form: bool,
    pub failed: u64,
    #[serde(skip)]
    pub summaries: Vec<Summary>,
}

fn one(c: &Calibration, index_zero: bool, seed: u64) -> Result<RunReport, String> {
    let mut rng = rng_for(seed);
    let last = c.ramp.len() - 1;
    let step = if index_zero {
        last
    } else {
        rng.random_range(0..=last)
    };
    let st = &c.ramp[step];
    let (m, s) = (st.max_amount_wad.raw(), st.slope_wad_per_s.raw());
    let ttf = c.input.freeze_s;
    let setup = Setup {
        max_amount: m,
        slope: s,
        headroom0: match c.input.headroom0 {
            Headroom0::Zero => U256::ZERO,
            Headroom0::Full => m,
        },
        freeze_s: ttf,
        raises: true,
        hop_s: c.input.hop_s,
        max_change_bps: c.input.max_change_bps,
    };
    let pattern = if index_zero {
        Pattern::Greedy
    } else {
        let n = rng.random_range(1..=24usize);
        let drains = (0..n)
            .map(|_| (rng.random_range(0..=ttf), rng.random_range(1..=10_000u16)))
            .collect();
        let k = rng.random_range(0..=4usize);
        let raises = (0..k)
            .map(|_| (rng.random_range(0..=ttf), rng.random_range(0..=10_000u16)))
            .collect();
        Pattern::Random { drains, raises }
    };
    let o = attack::run(&setup, &pattern, false).map_err(|e| format!("{}: {e}", e.code()))?;
    let mut r = RunReport::default();
    let mut put = |k: &str, unit, v| {
        r.metrics.insert(k.to_string(), Value { unit, v });
    };
    put("check.loss", Unit::Wad, o.loss);
    put("check.closed_form", Unit::Wad, st.harm_wad.raw());
    put(
        "check.above_closed_form",
        Unit::Count,
        U256::from(u8::from(o.loss > st.harm_wad.raw())),
    );
    put("check.step", Unit::Count, U256::from(step));
    put(
        "check.greedy_exact",
        Unit::Count,
        U256::from(u8::from(index_zero && o.loss == st.harm_wad.raw())),
    );
    r.digest = Some(o.digest);
    Ok(r)
}

/// Runs the check (`runs ≥ 1`; run 0 is the greedy worst case).
pub fn check(
    c: &Calibration,
    runs: u64,
    master_seed: u64,
    jobs: Option<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<CheckReport, rayon::ThreadPoolBuildError> {
    // run 0 is identified by its seed: the batch hands out seeds, not indices
    let seed0 = crate::batch::derive_seed(master_seed, 0);
    let batch: Vec<Run> = run_batch(
        runs.max(1),
        master_seed,
        jobs,
        |seed| one(c, seed == seed0, seed),
        progress,
    )?;
    let metric = |r: &Run, k: &str| {
        r.result
            .as_ref()
            .ok()
            .and_then(|m| m.metrics.get(k).map(|v| v.v))
            .unwrap_or_default()
    };
    let above = batch
        .iter()
        .filter(|r| !metric(r, "check.above_closed_form").is_zero())
        .count() as u64;
    let max_observed = batch
        .iter()
        .map(|r| metric(r, "check.loss"))
        .max()
        .unwrap_or_default();
    let greedy = batch
        .first()
        .is_some_and(|r| !metric(r, "check.greedy_exact").is_zero());
    Ok(CheckReport {
        runs: runs.max(1),
        master_seed,
        above_closed_form: above,
        max_observed_wad: max_observed,
        closed_form_worst_wad: c.worst_harm_wad.raw(),
        greedy_reaches_closed_form: greedy,
        failed: batch.iter().filter(|r| r.result.is_err()).count() as u64,
        summaries: summarise(&batch),
    })
}
