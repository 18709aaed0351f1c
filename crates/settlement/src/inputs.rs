//! The settlement inputs file (JSON) and the epoch computation over it.
//!
//! Contract: [`parse`] validates the whole file — JSON syntax, unknown fields, amounts (exact
//! decimals, no negatives, no excess decimals), times (whole seconds in the supported range),
//! sorted histories, rates ≤ 100% APR, tiers 0–4, an epoch that exists and is executed, and
//! nothing that would be counted twice (Prime names, tag addresses, penalty ids, a Prime's idle
//! locations and Sky Direct allocations; tags name a Prime of the file) — and names the field
//! of the first problem (a JSON syntax error: its line and column); nothing is computed from
//! partial input. [`EpochInputs::compute`] is deterministic and its [`EpochResult`] carries
//! digests covering every input that reaches it. Format: `docs/settlement-inputs.md`; example:
//! `examples/settlement-inputs.json`. Presentation (tables) lives in the binary, not here.

use crate::calendar::{Calendar, CalendarError, EpochId, EpochInfo, Window};
use crate::digest::Encoder;
use crate::distribution::{self, distributions, Asset, DistributionLine, Tag, TierTable};
use crate::integral::BalanceHistory;
use crate::statement::{
    self, CarriedPenalty, Convention, IdleLocation, PrimeInputs, Provenance, Rates, SkyDirect,
    Statement,
};
use alloy_primitives::{Address, B256};
use laniakea_units::time::{parse_rfc3339, TimeError, TIME_RULE};
use laniakea_units::{Apr, Timestamp, Wad, MAX_TIME};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// Where in an input a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A field path (`primes[0].debt_vault.changes[1].at`), `-` for the file as a whole, or a
    /// named part of a bulk file (`record 3 @ byte 120`, `line 4.changes`).
    Field(String),
    /// A position in the text (1-based), for JSON syntax errors, which have no field yet.
    Text { line: usize, column: usize },
}

/// A refused input: where, and which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub location: Location,
    pub message: String,
}

impl InputError {
    /// The field path, if the error is located by field.
    pub fn field(&self) -> Option<&str> {
        match &self.location {
            Location::Field(f) => Some(f),
            Location::Text { .. } => None,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Field(field) => write!(f, "field `{field}`: {}", self.message),
            Location::Text { line, column } => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
        }
    }
}

impl std::error::Error for InputError {}

pub(crate) fn ierr(field: impl Into<String>, message: impl fmt::Display) -> InputError {
    InputError {
        location: Location::Field(field.into()),
        message: message.to_string(),
    }
}

/// A time given as Unix seconds or an RFC 3339 UTC string (`"2026-01-05T13:00:00Z"`), inside the
/// supported range (`laniakea_units::time`); anything else is refused with [`TIME_RULE`].
#[derive(Debug, Clone, Copy)]
struct Time(Timestamp);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Time;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(TIME_RULE)
            }
            fn visit_u64<E: serde::de::Error>(self, s: u64) -> Result<Time, E> {
                if Timestamp(s) > MAX_TIME {
                    return Err(E::custom(format!(
                        "{s} is after 9999-12-31T23:59:59Z: {TIME_RULE}"
                    )));
                }
                Ok(Time(Timestamp(s)))
            }
            fn visit_i64<E: serde::de::Error>(self, s: i64) -> Result<Time, E> {
                match u64::try_from(s) {
                    Ok(u) => self.visit_u64(u),
                    Err(_) => Err(E::custom(format!("{s} is negative: {TIME_RULE}"))),
                }
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<Time, E> {
                // Only echoed in the message: a time never passes through floating point.
                Err(E::custom(format!(
                    "{x} is not a whole number of seconds in range: {TIME_RULE}"
                )))
            }
            fn visit_str<E: serde::de::Error>(self, t: &str) -> Result<Time, E> {
                if t.get(10..11).is_some_and(|c| c.eq_ignore_ascii_case("t"))
                    && t.get(17..19) == Some("60")
                {
                    return Err(E::custom(format!(
                        "'{t}' is a leap second, which Unix seconds cannot represent: {TIME_RULE}"
                    )));
                }
                if !is_rfc3339_shape(t) {
                    return Err(E::custom(TimeError::NotRfc3339(t.to_string())));
                }
                parse_rfc3339(t).map(Time).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// RFC 3339 `date-time` exactly (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `T`/`Z` in either
/// case), seconds 00–59. The parser behind it also takes other ISO 8601/Temporal forms
/// (`20260105T130000Z`, `13:00Z`, a space for `T`, `+0100`) and reads a leap second `:60` as
/// `:59`; Unix seconds have no leap second, so `:60` is refused rather than moved.
fn is_rfc3339_shape(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(digits(0..4)
        && at(4, b"-")
        && digits(5..7)
        && at(7, b"-")
        && digits(8..10)
        && at(10, b"Tt")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19)
        && b[17] <= b'5')
    {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len() && digits(i + 1..i + 3) && at(i + 3, b":") && digits(i + 4..i + 6)
        }
        _ => false,
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
    /// `prime` (default) or `generator`.
    #[serde(default)]
    owed_by: crate::ledger::Payer,
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
        h.initial.raw(),
        h.changes
            .into_iter()
            .map(|c| (c.at.0, c.balance.raw()))
            .collect(),
    )
    .map_err(|e| match e {
        crate::integral::HistoryError::Unsorted { index, .. } => {
            ierr(format!("{field}.changes[{index}].at"), e)
        }
        other => ierr(field, other),
    })
}

/// A JSON error as an [`InputError`]: syntax errors by line and column, data errors by field.
fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> InputError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            let full = inner.to_string();
            let suffix = format!(" at line {} column {}", inner.line(), inner.column());
            InputError {
                location: Location::Text {
                    line: inner.line(),
                    column: inner.column(),
                },
                message: full.strip_suffix(&suffix).unwrap_or(&full).to_string(),
            }
        }
        _ => ierr(
            if path == "." || path.is_empty() {
                "-".to_string()
            } else {
                path
            },
            inner,
        ),
    }
}

/// Refuses a second occurrence of a key that must be unique (`what` names the rule).
fn unique<K: Ord>(
    seen: &mut BTreeMap<K, String>,
    key: K,
    field: String,
    what: impl FnOnce(&str) -> String,
) -> Result<(), InputError> {
    if let Some(first) = seen.get(&key) {
        return Err(ierr(field, what(first)));
    }
    seen.insert(key, field);
    Ok(())
}

/// Parses and validates an inputs file.
pub fn parse(text: &str) -> Result<EpochInputs, InputError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let raw: RawFile = serde_path_to_error::deserialize(de).map_err(json_error)?;
    let calendar =
        Calendar::new(raw.deployment_start.0, raw.skips.iter().copied()).map_err(|e| match &e {
            CalendarError::SkipBeforeFirst { skip, .. } => ierr(
                raw.skips
                    .iter()
                    .position(|s| s == skip)
                    .map_or_else(|| "skips".to_string(), |i| format!("skips[{i}]")),
                &e,
            ),
            _ => ierr("deployment_start", &e),
        })?;
    let window = calendar.window(raw.epoch).map_err(|e| ierr("epoch", e))?;
    let epoch = calendar.info(raw.epoch).map_err(|e| ierr("epoch", e))?;
    let rates = Rates::new(raw.rates.base_rate_apr, raw.rates.ssr_apr).map_err(|e| match &e {
        statement::StatementError::RateTooHigh { field, .. } => ierr(format!("rates.{field}"), &e),
        _ => ierr("rates", &e),
    })?;
    let tiers = TierTable(raw.tiers_bps.unwrap_or(TierTable::default().0));
    tiers.validate().map_err(|e| ierr("tiers_bps", e))?;
    let mut primes = Vec::with_capacity(raw.primes.len());
    let mut prime_names = BTreeMap::new();
    let mut penalty_ids = BTreeMap::new();
    for (i, p) in raw.primes.into_iter().enumerate() {
        let f = |x: &str| format!("primes[{i}].{x}");
        unique(&mut prime_names, p.prime.clone(), f("prime"), |first| {
            format!("prime '{}' appears twice (also {first})", p.prime)
        })?;
        statement::check_rate("osrc_rate_apr", p.osrc_rate_apr)
            .map_err(|e| ierr(f("osrc_rate_apr"), e))?;
        let mut locations = BTreeMap::new();
        let mut idle_usds = Vec::with_capacity(p.idle_usds.len());
        for (k, l) in p.idle_usds.into_iter().enumerate() {
            let field = f(&format!("idle_usds[{k}].location"));
            unique(&mut locations, l.location.clone(), field, |first| {
                format!(
                    "idle location '{}' is listed twice for this Prime (also {first}): its balance would be reimbursed twice",
                    l.location
                )
            })?;
            idle_usds.push(IdleLocation {
                balance: history(&f(&format!("idle_usds[{k}].balance")), l.balance)?,
                location: l.location,
            });
        }
        let mut allocations = BTreeMap::new();
        let mut sky_direct = Vec::with_capacity(p.sky_direct.len());
        for (k, a) in p.sky_direct.into_iter().enumerate() {
            let field = f(&format!("sky_direct[{k}].allocation"));
            unique(&mut allocations, a.allocation.clone(), field, |first| {
                format!(
                    "Sky Direct allocation '{}' is listed twice for this Prime (also {first}): it would be reimbursed twice",
                    a.allocation
                )
            })?;
            sky_direct.push(SkyDirect {
                exposure: history(&f(&format!("sky_direct[{k}].exposure")), a.exposure)?,
                allocation: a.allocation,
                actual_profit: a.actual_profit,
            });
        }
        let mut carried_penalties = Vec::with_capacity(p.carried_penalties.len());
        for (k, c) in p.carried_penalties.into_iter().enumerate() {
            let field = f(&format!("carried_penalties[{k}].penalty_id"));
            unique(&mut penalty_ids, c.penalty_id.clone(), field, |first| {
                format!(
                    "penalty '{}' is carried twice (also {first}): it would be charged twice",
                    c.penalty_id
                )
            })?;
            carried_penalties.push(CarriedPenalty {
                penalty_id: c.penalty_id,
                amount_wad: c.amount,
                owed_by: c.owed_by,
            });
        }
        primes.push(PrimeInputs {
            prime: p.prime,
            provenance: p.provenance,
            debt_legacy: history(&f("debt_legacy"), p.debt_legacy)?,
            debt_vault: history(&f("debt_vault"), p.debt_vault)?,
            idle_usds,
            idle_susds_value: history(&f("idle_susds_value"), p.idle_susds_value)?,
            sky_direct,
            osrc_allocation: history(&f("osrc_allocation"), p.osrc_allocation)?,
            osrc_rate_apr: p.osrc_rate_apr,
            carried_penalties,
        });
    }
    let mut tags = Vec::with_capacity(raw.tags.len());
    let mut addresses: BTreeMap<Address, String> = BTreeMap::new();
    for (i, t) in raw.tags.into_iter().enumerate() {
        if t.tier > 4 {
            return Err(ierr(
                format!("tags[{i}].tier"),
                format!("tier {} is outside 0–4", t.tier),
            ));
        }
        unique(
            &mut addresses,
            t.address,
            format!("tags[{i}].address"),
            |first| {
                format!(
                    "address {} is tagged twice (also {first}): it would be paid twice",
                    t.address
                )
            },
        )?;
        if !prime_names.contains_key(&t.prime) {
            return Err(ierr(
                format!("tags[{i}].prime"),
                format!(
                    "prime '{}' is not in `primes`: a tag's distribution is paid to a Prime of this file",
                    t.prime
                ),
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

/// `--prime` named a Prime the inputs do not have.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("'{0}' is not a Prime of these inputs")]
pub struct UnknownPrime(pub String);

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
    /// [`distribution::input_digest`]: the tier table and every tag.
    pub distributions_input_digest: B256,
    /// [`epoch_input_digest`]: everything in the inputs that reaches any output.
    pub epoch_input_digest: B256,
}

/// keccak-256 over the canonical encoding ([`crate::digest`]) of everything that reaches an
/// epoch's output: version tag `laniakea-epoch-inputs-v2`, epoch id, sequence number, lock, due
/// time, window start and end, convention name, the statement count and each statement's
/// [`statement::input_digest`] (in file order), and the [`distribution::input_digest`]. The
/// deployment start and the skips enter through what they determine (sequence number and
/// window); rates through the statements; the tier table and tags through the distributions.
/// v1 hashed only the statement digests, so tags, tiers and the sequence number were uncovered.
pub fn epoch_input_digest(
    epoch: &EpochInfo,
    window: Window,
    convention: Convention,
    statement_digests: &[B256],
    distributions_digest: B256,
) -> B256 {
    let mut e = Encoder::new(b"laniakea-epoch-inputs-v2");
    e.epoch(epoch.id);
    e.n(epoch.seq);
    e.time(epoch.lock);
    e.time(epoch.moment);
    e.time(window.start);
    e.time(window.end);
    e.str(convention.into());
    e.n(statement_digests.len() as u64);
    for d in statement_digests {
        e.digest(*d);
    }
    e.digest(distributions_digest);
    e.finish()
}

impl EpochInputs {
    /// Keeps only `prime`'s statement and the tags it owns (`laniakea settle --prime`).
    pub fn retain_prime(&mut self, prime: &str) -> Result<(), UnknownPrime> {
        if !self.primes.iter().any(|p| p.prime == prime) {
            return Err(UnknownPrime(prime.to_string()));
        }
        self.primes.retain(|p| p.prime == prime);
        self.tags.retain(|t| t.prime == prime);
        Ok(())
    }

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
        let distributions_input_digest = distribution::input_digest(
            self.epoch.id,
            self.epoch.seq,
            self.window,
            &self.tiers,
            &self.tags,
        );
        let statement_digests: Vec<B256> = statements.iter().map(|s| s.input_digest).collect();
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
            epoch_input_digest: epoch_input_digest(
                &self.epoch,
                self.window,
                self.convention,
                &statement_digests,
                distributions_input_digest,
            ),
            distributions_input_digest,
        })
    }
}
