//! srUSDS queue capacities for one epoch (SPEC §4.9 "Capacity"), as lpha-lcts computes them at
//! the lock and the checker recomputes them. Formulas and worked examples: `docs/srusds.md`.
//!
//! Contract — with `S` the subscribe queue's sUSDS, `R` the redeem queue's srUSDS, `xr` the
//! exchange rate (sUSDS per 1e18 srUSDS, the rate the settle will use), `H` the Holding
//! System's sUSDS, `chi` the sUSDS price in USDS [ray]:
//!
//! 1. **Netting** (value-match first). If `S·1e18 ≤ R·xr` the subscribe side is the limiting
//!    one: all of `S` is matched and `m_sr = ⌊S·1e18/xr⌋` srUSDS; otherwise the redeem side is:
//!    all of `R` is matched and `m_s = ⌊R·xr/1e18⌋` sUSDS. `m_s` and `m_sr` are what each queue
//!    *gives* to the match; the chain delivers the match by the two queue settles at `xr` (the
//!    subscribe settle converts `m_s` + its capacity after netting, the redeem settle `m_sr` +
//!    its own), each floored in the Holding System's favour. What a queue *receives* is therefore
//!    its settle's output ([`SubscribeCapacity::output_srusds_wad`] `= ⌊converted·1e18/xr⌋`,
//!    [`RedeemCapacity::output_susds_wad`] `= ⌊converted·xr/1e18⌋`), which can be up to one wei
//!    of the output unit less than the counterparty gave: that floor dust stays with the Holding
//!    System (sUSDS kept or srUSDS burned), so netting leaves its sUSDS and the srUSDS supply
//!    unchanged up to dust in the system's favour (SPEC §4.1, §4.3 "rounding always favours the
//!    system"; decision in `docs/srusds.md`). If the limiting side's conversion floors to zero
//!    (dust), nothing is matched.
//! 2. **Subscribe capacity after netting** [sUSDS] `= min(osrc_capacity, headroom)` with
//!    `headroom = max(0, B − H)` and the target-spread bound (the largest backing at which the
//!    OSRC premium Primes pay still gives srUSDS holders at least the target spread `t`):
//!    `P = Σ allocation_i·osrc_rate_i` (exact, USDS·1e36 per year),
//!    `B = ⌊P·1e27 / (t·chi)⌋` — the largest `B` with `B·chi/1e27 · t ≤ P`. Floor is
//!    system-favouring (a smaller bound keeps the spread at or above target). `t = 0` puts no
//!    bound. Ties go to `osrc-capacity`.
//! 3. **Redeem capacity after netting** [srUSDS] `= min(redemption_limit, ⌊H·1e18/xr⌋)`; the
//!    second term is what the Holding System can pay (`⌊r·xr/1e18⌋ ≤ H`), floored so it never
//!    promises more. Ties go to `redemption-limit`.
//! 4. **Fallback**: governance inputs for this epoch missing → the previous epoch's inputs
//!    (`previous-epoch-inputs`); none either → netting only (`netting-only`: both capacities
//!    after netting are zero). "Missing" is the whole record absent; a record with a missing
//!    field is bad input.
//!
//! The settle capacity handed to each queue is the matched amount plus its capacity after
//! netting; the converted amount is `min(settle capacity, queue)` and the output its conversion
//! at `xr`, exactly as the queue's settle computes them (so the record and the chain agree to
//! the wei). The output echoes every input and names the rule that bound each result
//! ([`NettingLimit`], [`SubscribeBound`], [`RedeemBound`], [`Fallback`], all serialised with
//! stable kebab-case names). Pure and deterministic; bad input is an [`SrusdsError`] with a
//! stable code naming the field, never a panic.

use crate::calendar::EpochId;
use crate::srusds::{
    check_at_most_one, parse_json, product_le, JsonObject, SrusdsError, SrusdsErrorKind,
};
use alloy_primitives::U256;
use laniakea_units::srusds as rate;
use laniakea_units::{math, Apr, Ray, Wad, RAY, WAD};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// The OSRC premium one Prime pays (SPEC §5.2 line R): allocation × rate per year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsrcPremium {
    pub prime: String,
    pub osrc_allocation_usds_wad: Wad,
    pub osrc_rate_apr: Apr,
}

/// The governance inputs of one epoch's capacity (Synome records effective for `epoch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GovernanceInputs {
    /// The epoch these inputs were published for.
    pub epoch: EpochId,
    /// OSRC capacity for the epoch, in the subscribe queue's unit (sUSDS).
    pub osrc_capacity_susds_wad: Wad,
    /// The spread over sUSDS srUSDS holders must at least earn.
    pub target_spread_apr: Apr,
    /// The OSRC premiums Primes pay, one entry per Prime.
    pub osrc_premiums: Vec<OsrcPremium>,
    /// Daily redemption limit, in the redeem queue's unit (srUSDS).
    pub redemption_limit_srusds_wad: Wad,
}

/// Everything one epoch's capacity depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapacityInputs {
    pub epoch: EpochId,
    /// `totalUnderlying` of the subscribe queue's locked generation.
    pub subscribe_queue_susds_wad: Wad,
    /// `totalUnderlying` of the redeem queue's locked generation.
    pub redeem_queue_srusds_wad: Wad,
    /// `exchangeRate()` the settle will use (after this settlement's exchange-rate step).
    pub exchange_rate_wad: Wad,
    /// sUSDS held by the Holding System.
    pub holding_susds_wad: Wad,
    /// sUSDS price in USDS (`chi`).
    pub susds_chi_ray: Ray,
    /// Governance inputs for this epoch; `None` when none were published before the lock.
    pub governance: Option<GovernanceInputs>,
    /// The inputs used at the previous executed epoch, if any (the fallback).
    pub previous_governance: Option<GovernanceInputs>,
}

/// Which governance inputs were used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    /// This epoch's inputs were present: no fallback.
    None,
    /// This epoch's inputs were missing; the previous epoch's were used.
    PreviousEpochInputs,
    /// No governance inputs at all: only netting converts.
    NettingOnly,
}

/// Which side of the netting was fully matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NettingLimit {
    /// One queue (or both) is empty: nothing to match.
    EmptyQueue,
    /// All of the subscribe queue was matched; redeem srUSDS remain.
    SubscribeSide,
    /// All of the redeem queue was matched; subscribe sUSDS remain.
    RedeemSide,
    /// Both queues matched exactly.
    BothSides,
    /// The limiting side's conversion floors to zero: nothing matched.
    Dust,
}

/// Which rule bound the subscribe capacity after netting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubscribeBound {
    OsrcCapacity,
    TargetSpread,
    NettingOnly,
}

/// Which rule bound the redeem capacity after netting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedeemBound {
    RedemptionLimit,
    HoldingSystem,
    NettingOnly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Netting {
    /// The redeem queue valued in sUSDS, `⌊R·xr/1e18⌋` (for reading; the comparison is exact).
    pub redeem_queue_value_susds_wad: Wad,
    pub limit: NettingLimit,
    /// sUSDS the subscribe queue gives to the match (part of its settle's conversion).
    pub matched_susds_wad: Wad,
    /// srUSDS the redeem queue gives to the match (part of its settle's conversion).
    pub matched_srusds_wad: Wad,
    pub subscribe_waiting_susds_wad: Wad,
    pub redeem_waiting_srusds_wad: Wad,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscribeCapacity {
    /// Governance OSRC capacity used (`None` when netting only).
    pub osrc_capacity_susds_wad: Option<Wad>,
    /// `⌊Σ allocation·rate / 1e18⌋`, for reading (the bound uses the exact sum).
    pub osrc_premium_per_year_usds_wad: Option<Wad>,
    /// The target-spread bound `B` on the backing (`None`: no bound, or netting only).
    pub target_spread_max_backing_susds_wad: Option<Wad>,
    /// `max(0, B − H)` (`None` when `B` is).
    pub target_spread_headroom_susds_wad: Option<Wad>,
    pub capacity_after_netting_susds_wad: Wad,
    pub bound: SubscribeBound,
    /// Matched + capacity after netting: the `capacity` passed to the queue's settle.
    pub settle_capacity_susds_wad: Wad,
    /// `min(settle capacity, queue)`.
    pub converted_susds_wad: Wad,
    /// srUSDS the settle mints to the queue: `⌊converted·1e18/xr⌋`.
    pub output_srusds_wad: Wad,
    pub waiting_after_susds_wad: Wad,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedeemCapacity {
    /// Governance daily redemption limit used (`None` when netting only).
    pub redemption_limit_srusds_wad: Option<Wad>,
    /// `⌊H·1e18/xr⌋`: the most srUSDS the Holding System can pay out.
    pub holding_payable_srusds_wad: Wad,
    pub capacity_after_netting_srusds_wad: Wad,
    pub bound: RedeemBound,
    /// Matched + capacity after netting: the `capacity` passed to the queue's settle.
    pub settle_capacity_srusds_wad: Wad,
    /// `min(settle capacity, queue)`.
    pub converted_srusds_wad: Wad,
    /// sUSDS the Holding System pays the queue: `⌊converted·xr/1e18⌋`.
    pub output_susds_wad: Wad,
    pub waiting_after_srusds_wad: Wad,
}

/// One epoch's capacity record: every input, every intermediate, and the rule behind each
/// result — written to the Synome by lpha-lcts and recomputed by the checker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapacityRecord {
    pub inputs: CapacityInputs,
    pub fallback: Fallback,
    /// The epoch of the governance inputs used (`None` when netting only).
    pub governance_epoch: Option<EpochId>,
    pub netting: Netting,
    pub subscribe: SubscribeCapacity,
    pub redeem: RedeemCapacity,
}

fn governance_from_json(path: &str, v: &Value) -> Result<GovernanceInputs, SrusdsError> {
    let mut o = JsonObject::new(path, v)?;
    let epoch = epoch_field(&mut o, "epoch")?;
    let osrc_capacity_susds_wad = o.wad("osrc_capacity_susds_wad")?;
    let target_spread_apr = o.apr("target_spread_apr")?;
    let premiums_path = o.path("osrc_premiums");
    let premiums = match o.required("osrc_premiums")? {
        Value::Array(items) => items,
        _ => {
            return Err(SrusdsError::new(
                premiums_path,
                SrusdsErrorKind::InvalidJson {
                    message: "expected an array".to_string(),
                },
            ))
        }
    };
    let mut osrc_premiums = Vec::with_capacity(premiums.len());
    for (i, item) in premiums.iter().enumerate() {
        let mut p = JsonObject::new(&format!("{premiums_path}[{i}]"), item)?;
        osrc_premiums.push(OsrcPremium {
            prime: p.string("prime")?.to_string(),
            osrc_allocation_usds_wad: p.wad("osrc_allocation_usds_wad")?,
            osrc_rate_apr: p.apr("osrc_rate_apr")?,
        });
        p.finish()?;
    }
    let redemption_limit_srusds_wad = o.wad("redemption_limit_srusds_wad")?;
    o.finish()?;
    Ok(GovernanceInputs {
        epoch,
        osrc_capacity_susds_wad,
        target_spread_apr,
        osrc_premiums,
        redemption_limit_srusds_wad,
    })
}

fn epoch_field(o: &mut JsonObject<'_>, name: &'static str) -> Result<EpochId, SrusdsError> {
    let text = o.string(name)?;
    EpochId::parse(text).map_err(|_| {
        SrusdsError::new(
            o.path(name),
            SrusdsErrorKind::InvalidEpoch {
                text: text.to_string(),
            },
        )
    })
}

impl GovernanceInputs {
    fn validate(&self, path: &str) -> Result<(), SrusdsError> {
        check_at_most_one(
            &format!("{path}.target_spread_apr"),
            Wad::from_raw(self.target_spread_apr.raw()),
        )?;
        let mut primes = BTreeSet::new();
        for (i, p) in self.osrc_premiums.iter().enumerate() {
            check_at_most_one(
                &format!("{path}.osrc_premiums[{i}].osrc_rate_apr"),
                Wad::from_raw(p.osrc_rate_apr.raw()),
            )?;
            if !primes.insert(p.prime.as_str()) {
                return Err(SrusdsError::new(
                    format!("{path}.osrc_premiums[{i}].prime"),
                    SrusdsErrorKind::DuplicatePrime {
                        prime: p.prime.clone(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// `P = Σ allocation·rate`, exact (USDS·1e36 per year).
    fn premium_per_year_e36(&self, path: &str) -> Result<U256, SrusdsError> {
        let mut sum = U256::ZERO;
        for (i, p) in self.osrc_premiums.iter().enumerate() {
            let field = format!("{path}.osrc_premiums[{i}].osrc_allocation_usds_wad");
            let term = math::mul(p.osrc_allocation_usds_wad.raw(), p.osrc_rate_apr.raw())
                .map_err(SrusdsError::overflow(&field))?;
            sum = math::add(sum, term).map_err(SrusdsError::overflow(&field))?;
        }
        Ok(sum)
    }
}

impl CapacityInputs {
    /// Reads the inputs from JSON (the field names of the structs; amounts as exact decimal
    /// strings; `governance` and `previous_governance` may be absent or `null`) and validates.
    pub fn from_json(text: &str) -> Result<CapacityInputs, SrusdsError> {
        let v = parse_json(text)?;
        let mut o = JsonObject::new("", &v)?;
        let epoch = epoch_field(&mut o, "epoch")?;
        let subscribe_queue_susds_wad = o.wad("subscribe_queue_susds_wad")?;
        let redeem_queue_srusds_wad = o.wad("redeem_queue_srusds_wad")?;
        let exchange_rate_wad = o.wad("exchange_rate_wad")?;
        let holding_susds_wad = o.wad("holding_susds_wad")?;
        let susds_chi_ray = o.ray("susds_chi_ray")?;
        let governance = o
            .optional("governance")
            .map(|g| governance_from_json("governance", g))
            .transpose()?;
        let previous_governance = o
            .optional("previous_governance")
            .map(|g| governance_from_json("previous_governance", g))
            .transpose()?;
        o.finish()?;
        let inputs = CapacityInputs {
            epoch,
            subscribe_queue_susds_wad,
            redeem_queue_srusds_wad,
            exchange_rate_wad,
            holding_susds_wad,
            susds_chi_ray,
            governance,
            previous_governance,
        };
        inputs.validate()?;
        Ok(inputs)
    }

    /// The rules a typed value must also meet: a positive exchange rate and `chi`; rates
    /// ≤ 100%; each Prime once; this epoch's governance inputs are for this epoch and the
    /// previous ones for an earlier epoch.
    pub fn validate(&self) -> Result<(), SrusdsError> {
        if self.exchange_rate_wad.is_zero() {
            return Err(SrusdsError::new("exchange_rate_wad", SrusdsErrorKind::Zero));
        }
        if self.susds_chi_ray.is_zero() {
            return Err(SrusdsError::new("susds_chi_ray", SrusdsErrorKind::Zero));
        }
        if let Some(g) = &self.governance {
            g.validate("governance")?;
            if g.epoch != self.epoch {
                return Err(SrusdsError::new(
                    "governance.epoch",
                    SrusdsErrorKind::EpochMismatch {
                        reason: format!(
                            "governance inputs are for {}, the capacity is for {}",
                            g.epoch, self.epoch
                        ),
                    },
                ));
            }
        }
        if let Some(g) = &self.previous_governance {
            g.validate("previous_governance")?;
            if g.epoch >= self.epoch {
                return Err(SrusdsError::new(
                    "previous_governance.epoch",
                    SrusdsErrorKind::EpochMismatch {
                        reason: format!(
                            "previous inputs are for {}, not before the capacity's epoch {}",
                            g.epoch, self.epoch
                        ),
                    },
                ));
            }
        }
        Ok(())
    }
}

/// Value-netting of the two queues (module doc, rule 1).
fn net(inputs: &CapacityInputs) -> Result<Netting, SrusdsError> {
    let s = inputs.subscribe_queue_susds_wad.raw();
    let r = inputs.redeem_queue_srusds_wad.raw();
    let xr = inputs.exchange_rate_wad.raw();
    // The conversions are the Holding System's own (`laniakea_units::srusds`), so netting
    // floors exactly as the queues' settlements do.
    let redeem_value = rate::srusds_to_susds(Wad::from_raw(r), Wad::from_raw(xr))
        .map_err(SrusdsError::overflow("redeem_queue_srusds_wad"))?
        .raw();
    let (limit, matched_s, matched_sr) = if s.is_zero() || r.is_zero() {
        (NettingLimit::EmptyQueue, U256::ZERO, U256::ZERO)
    } else if product_le(s, WAD, r, xr) {
        let m_sr = rate::susds_to_srusds(Wad::from_raw(s), Wad::from_raw(xr))
            .map_err(SrusdsError::overflow("subscribe_queue_susds_wad"))?
            .raw();
        if m_sr.is_zero() {
            (NettingLimit::Dust, U256::ZERO, U256::ZERO)
        } else if product_le(r, xr, s, WAD) {
            (NettingLimit::BothSides, s, m_sr)
        } else {
            (NettingLimit::SubscribeSide, s, m_sr)
        }
    } else if redeem_value.is_zero() {
        (NettingLimit::Dust, U256::ZERO, U256::ZERO)
    } else {
        (NettingLimit::RedeemSide, redeem_value, r)
    };
    // matched_s ≤ s and matched_sr ≤ r by construction (the comparisons above).
    assert!(
        matched_s <= s && matched_sr <= r,
        "netting matched more than a queue holds"
    );
    Ok(Netting {
        redeem_queue_value_susds_wad: Wad::from_raw(redeem_value),
        limit,
        matched_susds_wad: Wad::from_raw(matched_s),
        matched_srusds_wad: Wad::from_raw(matched_sr),
        subscribe_waiting_susds_wad: Wad::from_raw(s - matched_s),
        redeem_waiting_srusds_wad: Wad::from_raw(r - matched_sr),
    })
}

/// Subscribe capacity after netting (module doc, rules 2 and 4) and the settle it implies.
fn subscribe_side(
    inputs: &CapacityInputs,
    governance: Option<(&GovernanceInputs, &str)>,
    matched_susds: U256,
) -> Result<SubscribeCapacity, SrusdsError> {
    let holding = inputs.holding_susds_wad.raw();
    let mut side = SubscribeCapacity {
        osrc_capacity_susds_wad: None,
        osrc_premium_per_year_usds_wad: None,
        target_spread_max_backing_susds_wad: None,
        target_spread_headroom_susds_wad: None,
        capacity_after_netting_susds_wad: Wad::ZERO,
        bound: SubscribeBound::NettingOnly,
        settle_capacity_susds_wad: Wad::ZERO,
        converted_susds_wad: Wad::ZERO,
        output_srusds_wad: Wad::ZERO,
        waiting_after_susds_wad: Wad::ZERO,
    };
    if let Some((g, path)) = governance {
        let p = g.premium_per_year_e36(path)?;
        let t = g.target_spread_apr.raw();
        let max_backing = if t.is_zero() {
            None
        } else {
            let overflow = SrusdsError::overflow("susds_chi_ray");
            let den = math::mul(t, inputs.susds_chi_ray.raw()).map_err(&overflow)?;
            Some(math::mul_div_floor(p, RAY, den).map_err(&overflow)?)
        };
        let headroom = max_backing.map(|b| b.saturating_sub(holding));
        let osrc = g.osrc_capacity_susds_wad.raw();
        let (cap, bound) = match headroom {
            Some(h) if h < osrc => (h, SubscribeBound::TargetSpread),
            _ => (osrc, SubscribeBound::OsrcCapacity),
        };
        side.osrc_capacity_susds_wad = Some(g.osrc_capacity_susds_wad);
        side.osrc_premium_per_year_usds_wad = Some(Wad::from_raw(p / WAD));
        side.target_spread_max_backing_susds_wad = max_backing.map(Wad::from_raw);
        side.target_spread_headroom_susds_wad = headroom.map(Wad::from_raw);
        side.capacity_after_netting_susds_wad = Wad::from_raw(cap);
        side.bound = bound;
    }
    let queue = inputs.subscribe_queue_susds_wad.raw();
    let settle = math::add(matched_susds, side.capacity_after_netting_susds_wad.raw())
        .map_err(SrusdsError::overflow("subscribe_queue_susds_wad"))?;
    let converted = settle.min(queue);
    side.settle_capacity_susds_wad = Wad::from_raw(settle);
    side.converted_susds_wad = Wad::from_raw(converted);
    side.output_srusds_wad =
        rate::susds_to_srusds(side.converted_susds_wad, inputs.exchange_rate_wad)
            .map_err(SrusdsError::overflow("subscribe_queue_susds_wad"))?;
    side.waiting_after_susds_wad = Wad::from_raw(queue - converted);
    Ok(side)
}

/// Redeem capacity after netting (module doc, rules 3 and 4) and the settle it implies.
fn redeem_side(
    inputs: &CapacityInputs,
    governance: Option<&GovernanceInputs>,
    matched_srusds: U256,
) -> Result<RedeemCapacity, SrusdsError> {
    let holding_payable = rate::susds_to_srusds(inputs.holding_susds_wad, inputs.exchange_rate_wad)
        .map_err(SrusdsError::overflow("holding_susds_wad"))?
        .raw();
    let (limit, cap, bound) = match governance {
        None => (None, U256::ZERO, RedeemBound::NettingOnly),
        Some(g) => {
            let limit = g.redemption_limit_srusds_wad.raw();
            if limit <= holding_payable {
                (
                    Some(g.redemption_limit_srusds_wad),
                    limit,
                    RedeemBound::RedemptionLimit,
                )
            } else {
                (
                    Some(g.redemption_limit_srusds_wad),
                    holding_payable,
                    RedeemBound::HoldingSystem,
                )
            }
        }
    };
    let queue = inputs.redeem_queue_srusds_wad.raw();
    let settle =
        math::add(matched_srusds, cap).map_err(SrusdsError::overflow("redeem_queue_srusds_wad"))?;
    let converted = settle.min(queue);
    let output = rate::srusds_to_susds(Wad::from_raw(converted), inputs.exchange_rate_wad)
        .map_err(SrusdsError::overflow("redeem_queue_srusds_wad"))?;
    Ok(RedeemCapacity {
        redemption_limit_srusds_wad: limit,
        holding_payable_srusds_wad: Wad::from_raw(holding_payable),
        capacity_after_netting_srusds_wad: Wad::from_raw(cap),
        bound,
        settle_capacity_srusds_wad: Wad::from_raw(settle),
        converted_srusds_wad: Wad::from_raw(converted),
        output_susds_wad: output,
        waiting_after_srusds_wad: Wad::from_raw(queue - converted),
    })
}

/// Computes one epoch's capacities (module doc for the rules).
pub fn compute(inputs: &CapacityInputs) -> Result<CapacityRecord, SrusdsError> {
    inputs.validate()?;
    let netting = net(inputs)?;
    let (fallback, governance) = match (&inputs.governance, &inputs.previous_governance) {
        (Some(g), _) => (Fallback::None, Some((g, "governance"))),
        (None, Some(g)) => (
            Fallback::PreviousEpochInputs,
            Some((g, "previous_governance")),
        ),
        (None, None) => (Fallback::NettingOnly, None),
    };
    let subscribe = subscribe_side(inputs, governance, netting.matched_susds_wad.raw())?;
    let redeem = redeem_side(
        inputs,
        governance.map(|(g, _)| g),
        netting.matched_srusds_wad.raw(),
    )?;
    Ok(CapacityRecord {
        inputs: inputs.clone(),
        fallback,
        governance_epoch: governance.map(|(g, _)| g.epoch),
        netting,
        subscribe,
        redeem,
    })
}
