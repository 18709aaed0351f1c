//! A Prime's obligation for one epoch: the five-step method (SPEC §5.2).
//!
//! Contract: with `S[x]` the exact integral of balance `x` over the window [wad·s] and
//! `Y` = 31,536,000 s, each line item is *one* exact 512-bit product divided once and floored
//! (toward −∞) to 1 wei:
//!
//! | line | actual/365 | monthly (reconciliation) |
//! |---|---|---|
//! | F max debt fees | `⌊S[debt]·base / (Y·1e18)⌋` | `⌊S[debt]·base / (12·T·1e18)⌋` |
//! | I idle USDS reimbursement | `⌊S[idle]·base / (Y·1e18)⌋` | same with `12·T` |
//! | P sUSDS spread profit (signed) | `⌊S[sUSDS]·(ssr − base) / (Y·1e18)⌋` | same with `12·T` |
//! | D Sky Direct reimbursement | `Σ max(0, ⌊S[exp]·base/(Y·1e18)⌋ − profit)` | same with `12·T` |
//! | R OSRC premium | `⌊S[osrc]·osrc_rate / (Y·1e18)⌋` | same with `12·T` |
//!
//! `N = F − (I + P + D)`; `total = N + R + carried penalties`. A positive total is paid by the
//! Prime to the Generator, a negative one by the Generator to the Prime (SPEC §11.1). `T` is the
//! window length; the monthly convention is `rate/12` applied to the time-weighted average
//! `S/T`, computed as one product so no intermediate rounding occurs. Pure and deterministic.

use crate::amount::SignedWad;
use crate::calendar::{EpochId, Window};
use crate::digest::Encoder;
use crate::integral::{integral_sum, BalanceHistory, HistoryError};
use alloy_primitives::{B256, U256};
use laniakea_units::{math, Apr, MathError, Timestamp, Wad, WadSeconds, SECONDS_PER_YEAR, WAD};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatementError {
    #[error("{field}: {source}")]
    History { field: String, source: HistoryError },
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    #[error("{field}: rate {rate} is above 100% APR")]
    RateTooHigh { field: &'static str, rate: Apr },
    #[error("window is empty: a monthly-convention statement needs a positive duration")]
    EmptyWindow,
}

/// Day-count convention. Its name (`"actual/365"`, `"monthly/12"`) is the same in JSON, tables
/// and digests (`<&str>::from(convention)`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    Default,
    strum::IntoStaticStr,
    strum::Display,
)]
pub enum Convention {
    /// Exact seconds over a 365-day year (the settlement default, SPEC §11.2).
    #[default]
    #[serde(rename = "actual/365")]
    #[strum(serialize = "actual/365")]
    Actual365,
    /// `rate/12` on the time-weighted average (reconciliation with monthly statements).
    #[serde(rename = "monthly/12")]
    #[strum(serialize = "monthly/12")]
    Monthly,
}

/// Whether a figure came from the published formulas or from a governance decision.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    Default,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Provenance {
    #[default]
    SystemDerived,
    GovernanceDirected,
}

/// Governance rates in force for the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rates {
    pub base_rate_apr: Apr,
    pub ssr_apr: Apr,
}

impl Rates {
    pub fn new(base_rate_apr: Apr, ssr_apr: Apr) -> Result<Rates, StatementError> {
        check_rate("base_rate_apr", base_rate_apr)?;
        check_rate("ssr_apr", ssr_apr)?;
        Ok(Rates {
            base_rate_apr,
            ssr_apr,
        })
    }
}

pub fn check_rate(field: &'static str, rate: Apr) -> Result<(), StatementError> {
    if rate > Apr::hundred_percent() {
        return Err(StatementError::RateTooHigh { field, rate });
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkyDirect {
    pub allocation: String,
    pub exposure: BalanceHistory,
    /// Actual profit over the window [wad].
    pub actual_profit: Wad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleLocation {
    pub location: String,
    pub balance: BalanceHistory,
}

fn wad_is_zero(w: &Wad) -> bool {
    w.is_zero()
}

/// A penalty carried into a statement (SPEC §5.4: added to the next epoch's obligation), owed
/// by the Prime (added to the total) or by the Generator (subtracted: it is owed to the Prime).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CarriedPenalty {
    pub penalty_id: String,
    pub amount_wad: Wad,
    /// Who owes it; printed only when the Generator does (a Prime-owed line reads as before).
    #[serde(skip_serializing_if = "crate::ledger::Payer::is_prime")]
    pub owed_by: crate::ledger::Payer,
}

/// Everything a Prime's statement is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimeInputs {
    pub prime: String,
    pub provenance: Provenance,
    pub debt_legacy: BalanceHistory,
    pub debt_vault: BalanceHistory,
    pub idle_usds: Vec<IdleLocation>,
    /// sUSDS held idle, valued in USDS.
    pub idle_susds_value: BalanceHistory,
    pub sky_direct: Vec<SkyDirect>,
    pub osrc_allocation: BalanceHistory,
    pub osrc_rate_apr: Apr,
    pub carried_penalties: Vec<CarriedPenalty>,
}

/// Who pays the statement's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Direction {
    PrimePaysGenerator,
    GeneratorPaysPrime,
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkyDirectLine {
    pub allocation: String,
    pub exposure_wad_s: WadSeconds,
    pub base_on_exposure_wad: Wad,
    pub actual_profit_wad: Wad,
    pub reimbursement_wad: Wad,
}

/// A settlement statement with every line item (SPEC §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub epoch: EpochId,
    pub seq: u64,
    pub prime: String,
    pub provenance: Provenance,
    pub convention: Convention,
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub window_s: u64,
    pub base_rate_apr: Apr,
    pub ssr_apr: Apr,
    pub osrc_rate_apr: Apr,
    /// Integrals [wad·s]: printed as decimal token-seconds.
    pub debt_wad_s: WadSeconds,
    pub debt_legacy_wad_s: WadSeconds,
    pub debt_vault_wad_s: WadSeconds,
    pub idle_usds_wad_s: WadSeconds,
    pub idle_susds_value_wad_s: WadSeconds,
    pub osrc_allocation_wad_s: WadSeconds,
    /// Line items [wad].
    pub max_debt_fees_wad: Wad,
    pub idle_usds_reimbursement_wad: Wad,
    pub susds_spread_profit_wad: SignedWad,
    pub sky_direct_reimbursement_wad: Wad,
    pub sky_direct: Vec<SkyDirectLine>,
    pub net_wad: SignedWad,
    pub osrc_premium_wad: Wad,
    pub carried_penalties: Vec<CarriedPenalty>,
    /// Σ carried penalties the Prime owes (added to the total).
    pub carried_penalties_wad: Wad,
    /// Σ carried penalties the Generator owes (subtracted from the total); printed when not 0.
    #[serde(skip_serializing_if = "wad_is_zero")]
    pub carried_penalties_generator_wad: Wad,
    pub total_wad: SignedWad,
    pub direction: Direction,
    /// |total| [wad].
    pub amount_due_wad: Wad,
    /// keccak-256 of the canonical encoding of every input ([`input_digest`]).
    pub input_digest: B256,
}

/// The divisor of a line item: `Y·1e18` (actual/365) or `12·T·1e18` (monthly).
fn denominator(convention: Convention, window_s: u64) -> Result<U256, MathError> {
    match convention {
        Convention::Actual365 => math::mul(U256::from(SECONDS_PER_YEAR), WAD),
        Convention::Monthly => math::mul(math::mul(U256::from(12u8), U256::from(window_s))?, WAD),
    }
}

/// One line item: `⌊S·rate / den⌋` with one exact 512-bit product.
fn accrue(
    s_wad_s: WadSeconds,
    rate: U256,
    convention: Convention,
    window_s: u64,
) -> Result<U256, MathError> {
    math::mul_div_floor(s_wad_s.raw(), rate, denominator(convention, window_s)?)
}

fn hist(field: &str, h: &BalanceHistory, w: Window) -> Result<WadSeconds, StatementError> {
    h.integral(w).map_err(|source| StatementError::History {
        field: field.to_string(),
        source,
    })
}

fn ovf(what: &'static str) -> impl Fn(MathError) -> StatementError {
    move |_| StatementError::Overflow(what)
}

/// Computes one Prime's statement for an executed epoch over its window.
pub fn compute(
    epoch: EpochId,
    seq: u64,
    window: Window,
    rates: Rates,
    convention: Convention,
    inp: &PrimeInputs,
) -> Result<Statement, StatementError> {
    check_rate("osrc_rate_apr", inp.osrc_rate_apr)?;
    let t = window.duration_s();
    if convention == Convention::Monthly && t == 0 {
        return Err(StatementError::EmptyWindow);
    }
    let base = rates.base_rate_apr.raw();
    let s_legacy = hist("debt_legacy", &inp.debt_legacy, window)?;
    let s_vault = hist("debt_vault", &inp.debt_vault, window)?;
    let s_debt = s_legacy
        .checked_add(s_vault)
        .map_err(ovf("debt integral"))?;
    let s_idle =
        integral_sum(inp.idle_usds.iter().map(|l| &l.balance), window).map_err(|source| {
            StatementError::History {
                field: "idle_usds".into(),
                source,
            }
        })?;
    let s_susds = hist("idle_susds_value", &inp.idle_susds_value, window)?;
    let s_osrc = hist("osrc_allocation", &inp.osrc_allocation, window)?;

    // 1. F
    let f = accrue(s_debt, base, convention, t).map_err(ovf("max debt fees"))?;
    // 2. I
    let i = accrue(s_idle, base, convention, t).map_err(ovf("idle reimbursement"))?;
    // 3. P = S·(ssr − base)/Y, signed, floored toward −∞.
    let ssr = rates.ssr_apr.raw();
    let p = if ssr >= base {
        SignedWad::positive(
            accrue(s_susds, ssr - base, convention, t).map_err(ovf("sUSDS spread"))?,
        )
    } else {
        // −⌈S·(base − ssr)/den⌉ = ⌊−S·(base − ssr)/den⌋
        let den = denominator(convention, t).map_err(ovf("sUSDS spread"))?;
        SignedWad::negative(
            math::mul_div_ceil(s_susds.raw(), base - ssr, den).map_err(ovf("sUSDS spread"))?,
        )
    };
    // 4. D
    let mut d = U256::ZERO;
    let mut sky = Vec::with_capacity(inp.sky_direct.len());
    for (k, a) in inp.sky_direct.iter().enumerate() {
        let s = hist(&format!("sky_direct[{k}].exposure"), &a.exposure, window)?;
        let owed = accrue(s, base, convention, t).map_err(ovf("sky direct"))?;
        let r = owed.saturating_sub(a.actual_profit.raw());
        d = math::add(d, r).map_err(ovf("sky direct"))?;
        sky.push(SkyDirectLine {
            allocation: a.allocation.clone(),
            exposure_wad_s: s,
            base_on_exposure_wad: Wad::from_raw(owed),
            actual_profit_wad: a.actual_profit,
            reimbursement_wad: Wad::from_raw(r),
        });
    }
    // 5. N = F − (I + P + D); R; carried penalties.
    let credits = SignedWad::positive(math::add(i, d).map_err(ovf("credits"))?)
        .checked_add(p)
        .ok_or(StatementError::Overflow("credits"))?;
    let n = SignedWad::positive(f)
        .checked_sub(credits)
        .ok_or(StatementError::Overflow("net"))?;
    let r = accrue(s_osrc, inp.osrc_rate_apr.raw(), convention, t).map_err(ovf("OSRC premium"))?;
    let carried_by = |payer: crate::ledger::Payer| {
        inp.carried_penalties
            .iter()
            .filter(|c| c.owed_by == payer)
            .try_fold(U256::ZERO, |acc, c| math::add(acc, c.amount_wad.raw()))
            .map_err(ovf("carried penalties"))
    };
    let carried = carried_by(crate::ledger::Payer::Prime)?;
    let carried_generator = carried_by(crate::ledger::Payer::Generator)?;
    let total = n
        .checked_add(SignedWad::positive(
            math::add(r, carried).map_err(ovf("total"))?,
        ))
        .and_then(|t| t.checked_sub(SignedWad::positive(carried_generator)))
        .ok_or(StatementError::Overflow("total"))?;
    let direction = if total.is_zero() {
        Direction::Nothing
    } else if total.is_negative() {
        Direction::GeneratorPaysPrime
    } else {
        Direction::PrimePaysGenerator
    };
    Ok(Statement {
        epoch,
        seq,
        prime: inp.prime.clone(),
        provenance: inp.provenance,
        convention,
        window_start: window.start,
        window_end: window.end,
        window_s: t,
        base_rate_apr: rates.base_rate_apr,
        ssr_apr: rates.ssr_apr,
        osrc_rate_apr: inp.osrc_rate_apr,
        debt_wad_s: s_debt,
        debt_legacy_wad_s: s_legacy,
        debt_vault_wad_s: s_vault,
        idle_usds_wad_s: s_idle,
        idle_susds_value_wad_s: s_susds,
        osrc_allocation_wad_s: s_osrc,
        max_debt_fees_wad: Wad::from_raw(f),
        idle_usds_reimbursement_wad: Wad::from_raw(i),
        susds_spread_profit_wad: p,
        sky_direct_reimbursement_wad: Wad::from_raw(d),
        sky_direct: sky,
        net_wad: n,
        osrc_premium_wad: Wad::from_raw(r),
        carried_penalties: inp.carried_penalties.clone(),
        carried_penalties_wad: Wad::from_raw(carried),
        carried_penalties_generator_wad: Wad::from_raw(carried_generator),
        total_wad: total,
        direction,
        amount_due_wad: Wad::from_raw(total.magnitude()),
        input_digest: input_digest(epoch, seq, window, rates, convention, inp),
    })
}

/// keccak-256 over the canonical binary encoding ([`crate::digest`]) of every input of one
/// statement, so any change to any input that can change the statement (and nothing else, e.g.
/// JSON formatting) changes the digest.
///
/// Fields (version tag `laniakea-statement-inputs-v4`): epoch id, sequence number, window start
/// and end, base rate, SSR, convention name, then the fields of [`PrimeInputs`] in order — prime,
/// provenance name, debt_legacy, debt_vault, idle_usds (count, then location and history each),
/// idle_susds_value, sky_direct (count, then allocation, exposure history and actual profit
/// each), osrc_allocation, osrc_rate_apr, carried_penalties (count, then id and amount each;
/// then, only if some are owed by the Generator, the tag `owed-by-generator`, their count and
/// their positions).
/// v4 added the sequence number (v3 left it out though the statement prints it).
pub fn input_digest(
    epoch: EpochId,
    seq: u64,
    window: Window,
    rates: Rates,
    convention: Convention,
    inp: &PrimeInputs,
) -> B256 {
    let mut e = Encoder::new(b"laniakea-statement-inputs-v4");
    e.epoch(epoch);
    e.n(seq);
    e.time(window.start);
    e.time(window.end);
    e.amount(rates.base_rate_apr.raw());
    e.amount(rates.ssr_apr.raw());
    e.str(convention.into());
    e.str(&inp.prime);
    e.str(inp.provenance.into());
    e.history(&inp.debt_legacy);
    e.history(&inp.debt_vault);
    e.n(inp.idle_usds.len() as u64);
    for l in &inp.idle_usds {
        e.str(&l.location);
        e.history(&l.balance);
    }
    e.history(&inp.idle_susds_value);
    e.n(inp.sky_direct.len() as u64);
    for a in &inp.sky_direct {
        e.str(&a.allocation);
        e.history(&a.exposure);
        e.amount(a.actual_profit.raw());
    }
    e.history(&inp.osrc_allocation);
    e.amount(inp.osrc_rate_apr.raw());
    e.n(inp.carried_penalties.len() as u64);
    for c in &inp.carried_penalties {
        e.str(&c.penalty_id);
        e.amount(c.amount_wad.raw());
    }
    // Generator-owed penalties (a later addition): only when there are any, so the digest of
    // every input without one is unchanged.
    let generator_owed: Vec<u64> = inp
        .carried_penalties
        .iter()
        .enumerate()
        .filter(|(_, c)| c.owed_by == crate::ledger::Payer::Generator)
        .map(|(i, _)| i as u64)
        .collect();
    if !generator_owed.is_empty() {
        e.str("owed-by-generator");
        e.n(generator_owed.len() as u64);
        for i in generator_owed {
            e.n(i);
        }
    }
    e.finish()
}
