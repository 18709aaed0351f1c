//! Rate-limit calibration: from a target daily throughput, the SORL ramp (initial rate limit,
//! one raise per cadence, each raise exactly the Configurator's `⌊old·(10000 + maxChange)/10000⌋`)
//! and the worst-case harm of a compromised executor (relayer key + cBEAM) before the freeze.
//!
//! Contract: pure integer arithmetic on U256 base units (wei of USDS, seconds); no floats. Every
//! raise goes through [`laniakea_chain::families::configurator::sorl_bound`], the function the
//! engine's Configurator uses, so the schedule printed is the one the engine accepts to the wei.
//! The *published harm model* (`smart-contracts/rate-limit-attacks.md` of the public Laniakea
//! docs; see `docs/stress.md`) is reproduced with the same arithmetic in wad fixed point.
//! Bad parameters are a [`CalibrateError`] naming the parameter and the rule; nothing panics.

use alloy_primitives::U256;
use laniakea_chain::families::beam_state::{BPS, DEFAULT_HOP_S, DEFAULT_MAX_CHANGE_BPS};
use laniakea_chain::families::configurator::sorl_bound;
use laniakea_units::{math, Wad, WAD};
use serde::Serialize;

/// Seconds in a day: a "rate limit of X per day" has `slope = X / DAY_S` per second.
pub const DAY_S: u64 = 86_400;

/// Bad calibration input, or a result past 2^256−1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalibrateError {
    #[error("calibrate: `{param}` {rule}")]
    BadParam { param: &'static str, rule: String },
    #[error("calibrate: `{0}` overflows 2^256−1")]
    Overflow(&'static str),
}

impl CalibrateError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            CalibrateError::BadParam { .. } => "Calibrate/bad-param",
            CalibrateError::Overflow(_) => "Calibrate/overflow",
        }
    }
}

fn bad(param: &'static str, rule: impl Into<String>) -> CalibrateError {
    CalibrateError::BadParam {
        param,
        rule: rule.into(),
    }
}

/// How much of the limit is usable at the compromise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Headroom0 {
    /// The published model: a freshly onboarded limit that accumulates from zero.
    #[default]
    Zero,
    /// A full limit (the engine's first set refills to full, as spark's `setRateLimitData`; an
    /// idle key is full too).
    Full,
}

/// What `laniakea calibrate` is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalibrateInput {
    /// the steady-state rate limit to reach [wei per day]
    pub target_per_day_wad: Wad,
    /// raises in the bootstrap ramp (one per cadence)
    pub bootstrap_steps: u32,
    /// peacetime raise cadence [s] (policy; ≥ hop)
    pub cadence_s: u64,
    /// SORL hop [s] (on-chain cooldown between raises)
    pub hop_s: u64,
    /// SORL maxChange [bps]
    pub max_change_bps: u64,
    /// time from compromise to the freeze [s]
    pub freeze_s: u64,
    /// use this initial rate limit instead of the smallest that reaches the target
    pub irl_wad: Option<Wad>,
    pub headroom0: Headroom0,
    /// if set: the longest freeze time whose worst-case harm stays within this [wei]
    pub harm_budget_wad: Option<Wad>,
    /// published harm model: theft weighted this many times a loss
    pub theft_multiplier: u64,
    /// published harm model: operational surfaces per initialisation surface
    pub surface_ratio: u64,
    /// published harm model: loss per operational cycle [bps]
    pub damage_bps: u64,
    /// published harm model: operational cycles per freeze time
    pub type2_cycles: u64,
}

impl Default for CalibrateInput {
    /// The published defaults: 100M/day in 30 daily raises, hop 18 h, maxChange 25 %, 24 h to
    /// freeze; harm weights 3 (theft), 3 (surfaces), 1 % damage, 2 cycles.
    fn default() -> Self {
        CalibrateInput {
            target_per_day_wad: Wad::from_raw(U256::from(100_000_000u64) * WAD),
            bootstrap_steps: 30,
            cadence_s: DAY_S,
            hop_s: DEFAULT_HOP_S,
            max_change_bps: DEFAULT_MAX_CHANGE_BPS,
            freeze_s: DAY_S,
            irl_wad: None,
            headroom0: Headroom0::Zero,
            harm_budget_wad: None,
            theft_multiplier: 3,
            surface_ratio: 3,
            damage_bps: 100,
            type2_cycles: 2,
        }
    }
}

/// One step of the ramp: the limit after `step` raises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RampStep {
    pub step: u32,
    /// seconds after the first set
    pub at_s: u64,
    pub max_amount_wad: Wad,
    pub slope_wad_per_s: Wad,
    /// `slope·86400`
    pub per_day_wad: Wad,
    /// the worst case if the executor is compromised right after this step's raise
    pub harm_wad: Wad,
}

/// The published harm model at one maxChange, per attack surface (N₁ = 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedHarm {
    pub max_change_bps: u64,
    /// `(1 + maxChange)^steps` [wad]
    pub growth_wad: Wad,
    /// `target / growth` [wei]
    pub irl_wad: Wad,
    /// `1 + Σ` slope growth over the freeze window [wad]; 1.0625 at the defaults
    pub accumulation_wad: Wad,
    /// `theft × IRL × accumulation`
    pub type1_wad: Wad,
    /// average marginal headroom within the freeze window [wad]
    pub type2_headroom_wad: Wad,
    /// `target × headroom × damage × cycles × surfaces`
    pub type2_wad: Wad,
    pub total_wad: Wad,
}

/// What `laniakea calibrate` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Calibration {
    pub input: CalibrateInput,
    /// the initial rate limit (maxAmount of the first set)
    pub irl_wad: Wad,
    pub initial_slope_wad_per_s: Wad,
    /// the ramp, step 0 (the first set) to the first step at or above the target
    pub ramp: Vec<RampStep>,
    /// the step at which both maxAmount and slope·86400 reach the target
    pub target_reached_step: u32,
    /// the largest harm over the ramp (at its last step)
    pub worst_harm_wad: Wad,
    /// `worst_harm / final maxAmount` [wad]
    pub worst_harm_per_limit_wad: Wad,
    /// the longest freeze time within `harm_budget` at the last step (None: no budget given, or
    /// even a zero freeze time is over it)
    pub max_freeze_s_for_budget: Option<u64>,
    /// the published harm model at the input's maxChange
    pub published: PublishedHarm,
    /// the maxChange in [100, 5000] bps minimising the published total harm
    pub optimal_max_change_bps: u64,
    /// the same, over whole percents
    pub optimal_max_change_pct: u64,
}

/// One SORL raise: `⌊v·(10000 + bps)/10000⌋` (the Configurator's bound).
pub fn raise(v: U256, max_change_bps: u64) -> U256 {
    // sorl_bound only saturates; it has no failing path.
    sorl_bound(v, max_change_bps).unwrap_or(U256::MAX)
}

/// `v` raised `n` times.
pub fn raise_n(mut v: U256, max_change_bps: u64, n: u32) -> U256 {
    for _ in 0..n {
        v = raise(v, max_change_bps);
    }
    v
}

/// The smallest `v0` whose `n`-times raise reaches `target` (binary search: raising is monotone).
pub fn min_start(target: U256, max_change_bps: u64, n: u32) -> U256 {
    let (mut lo, mut hi) = (U256::ZERO, target);
    while lo < hi {
        let mid = lo + (hi - lo) / U256::from(2u8);
        if raise_n(mid, max_change_bps, n) >= target {
            hi = mid;
        } else {
            lo = mid + U256::from(1u8);
        }
    }
    lo
}

/// The state of one rate-limited key at the compromise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyState {
    pub max_amount: U256,
    pub slope: U256,
    /// `getCurrentRateLimit` at the compromise
    pub headroom: U256,
}

/// The attacker's raising power: none (relayer key only) or a cBEAM under SORL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raises {
    None,
    /// first raise allowed `first_in_s` after the compromise, then every `hop_s`
    Sorl {
        first_in_s: u64,
        hop_s: u64,
        max_change_bps: u64,
    },
}

/// The exact worst-case loss through one key in `freeze_s` seconds after the compromise:
/// `headroom + Σ min(slope_k, maxAmount_k)·len_k` over the periods between raises.
///
/// Why: transactions have whole-second timestamps; between two drains `g` seconds apart the
/// limit refills `min(slope·g, maxAmount) ≤ g·min(slope, maxAmount)`, so no pattern beats a drain
/// every second, which reaches it (and a drain every `⌊maxAmount/slope⌋` seconds reaches it too
/// when `slope ≤ maxAmount`). A raise keeps the current amount (no refill) and never lowers it.
/// Without raises this is the issue's `rate limit × time to freeze + current headroom`.
pub fn worst_loss(k: KeyState, raises: Raises, freeze_s: u64) -> Result<U256, CalibrateError> {
    let ovf = |_| CalibrateError::Overflow("harm");
    let (mut m, mut s) = (k.max_amount, k.slope);
    let mut total = k.headroom;
    let mut t = 0u64;
    let mut next = match raises {
        Raises::None => u64::MAX,
        Raises::Sorl { first_in_s, .. } => first_in_s,
    };
    loop {
        let end = next.min(freeze_s);
        let per_s = s.min(m);
        total =
            math::add(total, math::mul(per_s, U256::from(end - t)).map_err(ovf)?).map_err(ovf)?;
        if end == freeze_s {
            return Ok(total);
        }
        t = end;
        if let Raises::Sorl {
            hop_s,
            max_change_bps,
            ..
        } = raises
        {
            m = raise(m, max_change_bps);
            s = raise(s, max_change_bps);
            next = next.saturating_add(hop_s.max(1));
        }
    }
}

/// `(1 + bps)^n` as a wad, raised exactly as the Configurator raises.
pub fn growth_wad(max_change_bps: u64, n: u32) -> U256 {
    raise_n(WAD, max_change_bps, n)
}

fn wad_mul(a: U256, b: U256) -> Result<U256, CalibrateError> {
    math::mul_div_floor(a, b, WAD).map_err(|_| CalibrateError::Overflow("published harm"))
}

/// The published harm model at `max_change_bps` (all other settings from `input`).
pub fn published_harm(
    input: &CalibrateInput,
    max_change_bps: u64,
) -> Result<PublishedHarm, CalibrateError> {
    let ovf = |_| CalibrateError::Overflow("published harm");
    let target = input.target_per_day_wad.raw();
    let growth = growth_wad(max_change_bps, input.bootstrap_steps);
    let irl = math::mul_div_floor(target, WAD, growth).map_err(ovf)?;
    // Type 1: a limit onboarded at t = 0 (counts as a raise), raised at hop, 2·hop, …; slope =
    // limit per day. Accumulation = Σ growth_j·len_j / day.
    let mut acc_num = U256::ZERO;
    // Type 2: a steady-state limit raised at once and at every hop: marginal headroom =
    // Σ len_j·(growth_{j+1} − 1) / freeze.
    let mut t2_num = U256::ZERO;
    let mut g = WAD;
    let mut t = 0u64;
    while t < input.freeze_s {
        let end = t.saturating_add(input.hop_s.max(1)).min(input.freeze_s);
        let len = U256::from(end - t);
        let g_next = raise(g, max_change_bps);
        acc_num = math::add(acc_num, math::mul(g, len).map_err(ovf)?).map_err(ovf)?;
        t2_num = math::add(t2_num, math::mul(g_next - WAD, len).map_err(ovf)?).map_err(ovf)?;
        g = g_next;
        t = end;
    }
    let accumulation = acc_num / U256::from(DAY_S);
    let headroom = t2_num / U256::from(input.freeze_s.max(1));
    let type1 = wad_mul(irl, accumulation)?
        .checked_mul(U256::from(input.theft_multiplier))
        .ok_or(CalibrateError::Overflow("type 1 harm"))?;
    let type2 = math::mul_div_floor(
        wad_mul(target, headroom)?,
        U256::from(input.damage_bps)
            .saturating_mul(U256::from(input.type2_cycles))
            .saturating_mul(U256::from(input.surface_ratio)),
        U256::from(BPS),
    )
    .map_err(ovf)?;
    Ok(PublishedHarm {
        max_change_bps,
        growth_wad: Wad::from_raw(growth),
        irl_wad: Wad::from_raw(irl),
        accumulation_wad: Wad::from_raw(accumulation),
        type1_wad: Wad::from_raw(type1),
        type2_headroom_wad: Wad::from_raw(headroom),
        type2_wad: Wad::from_raw(type2),
        total_wad: Wad::from_raw(math::add(type1, type2).map_err(ovf)?),
    })
}

/// The maxChange (from `candidates`) with the smallest published total harm (first on ties).
pub fn optimal_max_change(
    input: &CalibrateInput,
    candidates: impl Iterator<Item = u64>,
) -> Result<u64, CalibrateError> {
    let mut best: Option<(U256, u64)> = None;
    for bps in candidates {
        let h = published_harm(input, bps)?.total_wad.raw();
        if best.is_none_or(|(b, _)| h < b) {
            best = Some((h, bps));
        }
    }
    best.map(|(_, b)| b)
        .ok_or(bad("max_change_bps", "has no candidate"))
}

impl CalibrateInput {
    /// Checks every rule (names the parameter at fault).
    pub fn validate(&self) -> Result<(), CalibrateError> {
        if self.target_per_day_wad.raw().is_zero() {
            return Err(bad("target", "must be above zero"));
        }
        if self.hop_s == 0 {
            return Err(bad("hop", "must be at least 1 second"));
        }
        if self.cadence_s < self.hop_s {
            return Err(bad(
                "cadence",
                format!(
                    "{} s is shorter than the hop {} s (the Configurator refuses raises sooner)",
                    self.cadence_s, self.hop_s
                ),
            ));
        }
        if self.max_change_bps == 0 || self.max_change_bps > 100 * BPS {
            return Err(bad("max_change_bps", "must be in 1..=1000000 bps"));
        }
        if self.freeze_s == 0 {
            return Err(bad("freeze", "must be at least 1 second"));
        }
        if self.bootstrap_steps == 0 || self.bootstrap_steps > 10_000 {
            return Err(bad("bootstrap_steps", "must be in 1..=10000"));
        }
        if self.irl_wad.is_some_and(|i| i.raw().is_zero()) {
            return Err(bad("irl", "must be above zero"));
        }
        Ok(())
    }

    fn headroom_at(&self, max_amount: U256) -> U256 {
        match self.headroom0 {
            Headroom0::Zero => U256::ZERO,
            Headroom0::Full => max_amount,
        }
    }

    /// The worst case right after a raise to `(max, slope)`: the compromised executor may raise
    /// again after one hop, then every hop, until the freeze.
    pub fn harm_after_raise(
        &self,
        max_amount: U256,
        slope: U256,
        freeze_s: u64,
    ) -> Result<U256, CalibrateError> {
        worst_loss(
            KeyState {
                max_amount,
                slope,
                headroom: self.headroom_at(max_amount),
            },
            Raises::Sorl {
                first_in_s: self.hop_s,
                hop_s: self.hop_s,
                max_change_bps: self.max_change_bps,
            },
            freeze_s,
        )
    }
}

/// Runs the calibration.
pub fn calibrate(input: &CalibrateInput) -> Result<Calibration, CalibrateError> {
    input.validate()?;
    let bps = input.max_change_bps;
    let target = input.target_per_day_wad.raw();
    let n = input.bootstrap_steps;
    let day = U256::from(DAY_S);
    let (irl, slope0) = match input.irl_wad {
        Some(i) => (i.raw(), i.raw() / day),
        None => (
            min_start(target, bps, n),
            min_start(target.div_ceil(day), bps, n),
        ),
    };
    let mut ramp = Vec::new();
    let (mut m, mut s) = (irl, slope0);
    let mut step = 0u32;
    loop {
        let per_day = s
            .checked_mul(day)
            .ok_or(CalibrateError::Overflow("slope·86400"))?;
        ramp.push(RampStep {
            step,
            at_s: u64::from(step).saturating_mul(input.cadence_s),
            max_amount_wad: Wad::from_raw(m),
            slope_wad_per_s: Wad::from_raw(s),
            per_day_wad: Wad::from_raw(per_day),
            harm_wad: Wad::from_raw(input.harm_after_raise(m, s, input.freeze_s)?),
        });
        if m >= target && per_day >= target {
            break;
        }
        if step >= 100_000 || (m == raise(m, bps) && s == raise(s, bps)) {
            return Err(bad(
                "irl",
                "the ramp never reaches the target (the limit is too small to grow by a whole wei)",
            ));
        }
        m = raise(m, bps);
        s = raise(s, bps);
        step += 1;
    }
    let last = ramp
        .last()
        .cloned()
        .ok_or(bad("bootstrap_steps", "empty ramp"))?;
    let worst = ramp
        .iter()
        .map(|r| r.harm_wad.raw())
        .max()
        .unwrap_or_default();
    let max_freeze = match input.harm_budget_wad {
        None => None,
        Some(b) => {
            // past 2^256−1 the harm is certainly over any budget
            let h = |t: u64| -> Result<U256, CalibrateError> {
                match input.harm_after_raise(
                    last.max_amount_wad.raw(),
                    last.slope_wad_per_s.raw(),
                    t,
                ) {
                    Err(CalibrateError::Overflow(_)) => Ok(U256::MAX),
                    r => r,
                }
            };
            if h(0)? > b.raw() {
                None
            } else {
                // largest t in [0, 10 years] with h(t) ≤ budget (h is non-decreasing in t)
                let (mut lo, mut hi) = (0u64, 3650 * DAY_S);
                while lo < hi {
                    let mid = lo + (hi - lo).div_ceil(2);
                    if h(mid)? <= b.raw() {
                        lo = mid;
                    } else {
                        hi = mid - 1;
                    }
                }
                Some(lo)
            }
        }
    };
    let worst_per_limit =
        math::mul_div_floor(worst, WAD, last.max_amount_wad.raw().max(U256::from(1u8)))
            .map_err(|_| CalibrateError::Overflow("harm per limit"))?;
    Ok(Calibration {
        input: input.clone(),
        irl_wad: Wad::from_raw(irl),
        initial_slope_wad_per_s: Wad::from_raw(slope0),
        target_reached_step: last.step,
        worst_harm_wad: Wad::from_raw(worst),
        worst_harm_per_limit_wad: Wad::from_raw(worst_per_limit),
        ramp,
        max_freeze_s_for_budget: max_freeze,
        published: published_harm(input, bps)?,
        optimal_max_change_bps: optimal_max_change(input, 100..=5000)?,
        optimal_max_change_pct: optimal_max_change(input, (1..=50).map(|p| p * 100))? / 100,
    })
}
