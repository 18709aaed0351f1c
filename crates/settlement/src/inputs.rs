//! The settlement inputs file (JSON) and the epoch computation over it.
//!
//! Contract: [`parse`] validates the whole file — JSON syntax, unknown fields, amounts (exact
//! decimals, no negatives, no excess decimals), sorted histories, rates ≤ 100% APR, tiers 0–4, an
//! epoch that exists and is executed — and names the field of the first problem; nothing is
//! computed from partial input. [`EpochInputs::compute`] is deterministic. Format:
//! `docs/settlement-inputs.md`; example: `examples/settlement-inputs.json`.

use crate::calendar::{Calendar, EpochId, EpochInfo, Window};
use crate::distribution::{distributions, Asset, DistributionLine, Tag, TierTable};
use crate::integral::BalanceHistory;
use crate::statement::{
    self, CarriedPenalty, Convention, IdleLocation, PrimeInputs, Provenance, Rates, SkyDirect,
    Statement,
};
use alloy_primitives::{Address, B256};
use laniakea_units::{Apr, Timestamp, Wad};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}

impl std::error::Error for InputError {}

fn ierr(field: impl Into<String>, message: impl fmt::Display) -> InputError {
    InputError {
        field: field.into(),
        message: message.to_string(),
    }
}

/// A time given as Unix seconds or an RFC 3339 UTC string (`"2026-01-05T13:00:00Z"`).
#[derive(Debug, Clone, Copy)]
struct Time(Timestamp);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Secs(s) => Ok(Time(Timestamp(s))),
            Raw::Text(t) => {
                let ts: jiff::Timestamp = t.parse().map_err(|_| {
                    serde::de::Error::custom(format!(
                        "'{t}' is not Unix seconds or an RFC 3339 time"
                    ))
                })?;
                u64::try_from(ts.as_second())
                    .map(|s| Time(Timestamp(s)))
                    .map_err(|_| serde::de::Error::custom(format!("'{t}' is before 1970")))
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChange {
    at: Time,
    balance: Wad,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    #[serde(default)]
    initial: Wad,
    #[serde(default)]
    changes: Vec<RawChange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdle {
    location: String,
    balance: RawHistory,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkyDirect {
    allocation: String,
    exposure: RawHistory,
    actual_profit: Wad,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPenalty {
    penalty_id: String,
    amount: Wad,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrime {
    prime: String,
    #[serde(default)]
    provenance: Provenance,
    #[serde(default)]
    debt_legacy: RawHistory,
    #[serde(default)]
    debt_vault: RawHistory,
    #[serde(default)]
    idle_usds: Vec<RawIdle>,
    #[serde(default)]
    idle_susds_value: RawHistory,
    #[serde(default)]
    sky_direct: Vec<RawSkyDirect>,
    #[serde(default)]
    osrc_allocation: RawHistory,
    #[serde(default)]
    osrc_rate_apr: Apr,
    #[serde(default)]
    carried_penalties: Vec<RawPenalty>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTag {
    address: Address,
    asset: Asset,
    tier: u8,
    prime: String,
    tagged_from: EpochId,
    balance: RawHistory,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRates {
    base_rate_apr: Apr,
    ssr_apr: Apr,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    deployment_start: Time,
    #[serde(default)]
    skips: Vec<EpochId>,
    epoch: EpochId,
    #[serde(default)]
    convention: Convention,
    rates: RawRates,
    #[serde(default)]
    tiers_bps: Option<[u32; 5]>,
    #[serde(default)]
    primes: Vec<RawPrime>,
    #[serde(default)]
    tags: Vec<RawTag>,
}

/// Validated inputs for one epoch.
#[derive(Debug, Clone)]
pub struct EpochInputs {
    pub calendar: Calendar,
    pub epoch: EpochInfo,
    pub window: Window,
    pub convention: Convention,
    pub rates: Rates,
    pub tiers: TierTable,
    pub primes: Vec<PrimeInputs>,
    pub tags: Vec<Tag>,
}

fn history(field: &str, h: RawHistory) -> Result<BalanceHistory, InputError> {
    BalanceHistory::new(
        h.initial.0,
        h.changes
            .into_iter()
            .map(|c| (c.at.0, c.balance.0))
            .collect(),
    )
    .map_err(|e| match e {
        crate::integral::HistoryError::Unsorted { index, .. } => {
            ierr(format!("{field}.changes[{index}].at"), e)
        }
        other => ierr(field, other),
    })
}

/// Parses and validates an inputs file.
pub fn parse(text: &str) -> Result<EpochInputs, InputError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let raw: RawFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let p = e.path().to_string();
        ierr(
            if p == "." || p.is_empty() {
                "-".to_string()
            } else {
                p
            },
            e.into_inner(),
        )
    })?;
    let calendar = Calendar::new(raw.deployment_start.0, raw.skips.iter().copied())
        .map_err(|e| ierr("skips", e))?;
    let window = calendar.window(raw.epoch).map_err(|e| ierr("epoch", e))?;
    let epoch = calendar.info(raw.epoch).map_err(|e| ierr("epoch", e))?;
    let rates = Rates::new(raw.rates.base_rate_apr, raw.rates.ssr_apr).map_err(|e| match &e {
        statement::StatementError::RateTooHigh { field, .. } => ierr(format!("rates.{field}"), &e),
        _ => ierr("rates", &e),
    })?;
    let tiers = TierTable(raw.tiers_bps.unwrap_or(TierTable::default().0));
    tiers.validate().map_err(|e| ierr("tiers_bps", e))?;
    let mut primes = Vec::with_capacity(raw.primes.len());
    let mut seen = std::collections::BTreeSet::new();
    for (i, p) in raw.primes.into_iter().enumerate() {
        let f = |x: &str| format!("primes[{i}].{x}");
        if !seen.insert(p.prime.clone()) {
            return Err(ierr(
                f("prime"),
                format!("prime '{}' appears twice", p.prime),
            ));
        }
        statement::check_rate("osrc_rate_apr", p.osrc_rate_apr)
            .map_err(|e| ierr(f("osrc_rate_apr"), e))?;
        primes.push(PrimeInputs {
            prime: p.prime,
            provenance: p.provenance,
            debt_legacy: history(&f("debt_legacy"), p.debt_legacy)?,
            debt_vault: history(&f("debt_vault"), p.debt_vault)?,
            idle_usds: p
                .idle_usds
                .into_iter()
                .enumerate()
                .map(|(k, l)| {
                    Ok(IdleLocation {
                        location: l.location,
                        balance: history(&f(&format!("idle_usds[{k}].balance")), l.balance)?,
                    })
                })
                .collect::<Result<_, InputError>>()?,
            idle_susds_value: history(&f("idle_susds_value"), p.idle_susds_value)?,
            sky_direct: p
                .sky_direct
                .into_iter()
                .enumerate()
                .map(|(k, a)| {
                    Ok(SkyDirect {
                        allocation: a.allocation,
                        exposure: history(&f(&format!("sky_direct[{k}].exposure")), a.exposure)?,
                        actual_profit: a.actual_profit,
                    })
                })
                .collect::<Result<_, InputError>>()?,
            osrc_allocation: history(&f("osrc_allocation"), p.osrc_allocation)?,
            osrc_rate_apr: p.osrc_rate_apr,
            carried_penalties: p
                .carried_penalties
                .into_iter()
                .map(|c| CarriedPenalty {
                    penalty_id: c.penalty_id,
                    amount_wad: c.amount,
                })
                .collect(),
        });
    }
    let mut tags = Vec::with_capacity(raw.tags.len());
    for (i, t) in raw.tags.into_iter().enumerate() {
        if t.tier > 4 {
            return Err(ierr(
                format!("tags[{i}].tier"),
                format!("tier {} is outside 0–4", t.tier),
            ));
        }
        tags.push(Tag {
            address: t.address,
            asset: t.asset,
            tier: t.tier,
            prime: t.prime,
            tagged_from: t.tagged_from,
            balance: history(&format!("tags[{i}].balance"), t.balance)?,
        });
    }
    Ok(EpochInputs {
        calendar,
        epoch,
        window,
        convention: raw.convention,
        rates,
        tiers,
        primes,
        tags,
    })
}

/// Every Prime's statement and every tag's distribution for the epoch.
#[derive(Debug, Clone, Serialize)]
pub struct EpochResult {
    pub epoch: EpochId,
    pub seq: u64,
    pub lock: Timestamp,
    pub due: Timestamp,
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub convention: Convention,
    pub statements: Vec<Statement>,
    pub distributions: Vec<DistributionLine>,
    /// keccak-256 over the statements' input digests, in file order.
    pub epoch_input_digest: B256,
}

impl EpochInputs {
    pub fn compute(&self) -> Result<EpochResult, InputError> {
        let statements = self
            .primes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                statement::compute(
                    self.epoch.id,
                    self.epoch.seq,
                    self.window,
                    self.rates,
                    self.convention,
                    p,
                )
                .map_err(|e| ierr(format!("primes[{i}]"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let distributions = distributions(self.epoch.id, self.window, &self.tiers, &self.tags)
            .map_err(|e| ierr("tags", e))?;
        let mut all = Vec::with_capacity(32 * statements.len());
        for s in &statements {
            all.extend_from_slice(s.input_digest.as_slice());
        }
        Ok(EpochResult {
            epoch: self.epoch.id,
            seq: self.epoch.seq,
            lock: self.epoch.lock,
            due: self.epoch.moment,
            window_start: self.window.start,
            window_end: self.window.end,
            convention: self.convention,
            statements,
            distributions,
            epoch_input_digest: alloy_primitives::keccak256(&all),
        })
    }
}

/// A human-readable table of an epoch's statements.
pub fn render_table(r: &EpochResult) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "epoch {} (seq {})  window [{}, {}) = {} s  due {}  convention {}\n",
        r.epoch,
        r.seq,
        r.window_start,
        r.window_end,
        r.window_end.0 - r.window_start.0,
        r.due,
        match r.convention {
            Convention::Actual365 => "actual/365",
            Convention::Monthly => "monthly/12",
        }
    ));
    out.push_str(&format!(
        "{:<12} {:>24} {:>24} {:>24} {:>24} {:>24} {:>24} {:>24}  {}\n",
        "prime",
        "F debt fees",
        "I idle reimb.",
        "P sUSDS spread",
        "D sky direct",
        "N net",
        "R OSRC prem.",
        "total",
        "direction"
    ));
    for s in &r.statements {
        out.push_str(&format!(
            "{:<12} {:>24} {:>24} {:>24} {:>24} {:>24} {:>24} {:>24}  {}\n",
            s.prime,
            s.max_debt_fees_wad.to_string(),
            s.idle_usds_reimbursement_wad.to_string(),
            s.susds_spread_profit_wad.to_string(),
            s.sky_direct_reimbursement_wad.to_string(),
            s.net_wad.to_string(),
            s.osrc_premium_wad.to_string(),
            s.total_wad.to_string(),
            serde_json::to_value(s.direction)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ));
    }
    if !r.distributions.is_empty() {
        out.push_str("distributions (Generator → Prime, USDS):\n");
        for d in &r.distributions {
            out.push_str(&format!(
                "  {} tier {} ({} bps) {:<10} {:>24}{}\n",
                d.address,
                d.tier,
                d.tier_bps,
                d.prime,
                d.reward_wad.to_string(),
                if d.eligible {
                    ""
                } else {
                    "  (tagged this epoch: earns from the next)"
                }
            ));
        }
    }
    out.push_str(&format!(
        "amounts in USDS (wad, exact); epoch input digest {}\n",
        r.epoch_input_digest
    ));
    out
}
