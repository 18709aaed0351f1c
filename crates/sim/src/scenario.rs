//! Scenario files (TOML, `docs/scenarios.md`): what a run deploys, how governance, the Primes
//! and the LCTS users behave, and which incidents are injected.
//!
//! Contract: [`Scenario::parse`] reads the whole file with serde (`deny_unknown_fields` on every
//! table) and then checks every cross-field rule ([`Scenario::validate`]) before anything runs.
//! A bad file is a [`ScenarioError`] naming the file, the key (a path such as
//! `primes[2].legacy.debt`) and the rule broken; parsing never panics, whatever the input.
//! Amounts are decimal strings in whole tokens (`"1000000"`, `"0.5"`), rates are APR decimal
//! strings (`"0.05"`), probabilities are basis points (0–10 000); no floating point anywhere.

use laniakea_chain::system::Limit;
use laniakea_units::{Apr, EpochId, Timestamp, Wad, U256};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Basis points in one.
pub const BPS: u32 = 10_000;
/// The most days a scenario may run (ten years).
pub const MAX_DAYS: u32 = 3_650;
/// The most LCTS users a scenario may have (each settlement's time grows with the square of the
/// queue, so a day with 10 000 users already takes seconds).
pub const MAX_USERS: u32 = 10_000;
/// The most Primes a scenario may have (a day's work grows quadratically with them).
pub const MAX_PRIMES: usize = 64;
/// The time of day [s] of the Core Council's migration-plan record (09:43:20 UTC).
pub const MIGRATION_PLAN_SOD: u64 = 35_000;

/// A bad scenario: the file, the key at fault and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scenario {file}: `{key}`: {reason}")]
pub struct ScenarioError {
    pub file: String,
    /// A path such as `primes[2].legacy.debt` (`<file>` for the file as a whole).
    pub key: String,
    pub reason: String,
}

impl ScenarioError {
    /// A stable code for the kind of problem.
    pub fn code(&self) -> &'static str {
        "scenario/invalid"
    }
}

/// One whole scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The deployment's first day (the first epoch); the run starts at 00:00 UTC of it.
    pub start: EpochId,
    /// How many days the run covers (`--days` overrides).
    pub days: u32,
    /// The default seed (`--seed` overrides).
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub generator: GeneratorSpec,
    /// The two Configurator scopes (SPEC §4.10); absent = not deployed.
    #[serde(default)]
    pub configurator: Option<ConfiguratorSpec>,
    pub governance: GovernanceSpec,
    pub primes: Vec<PrimeSpec>,
    #[serde(default)]
    pub migrations: Vec<MigrationSpec>,
    #[serde(default)]
    pub lcts: Option<LctsSpec>,
    #[serde(default)]
    pub incidents: Vec<Incident>,
}

/// A rate limit in a scenario: `max_amount` (or `"unlimited"`) and `slope` per second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSpec {
    /// whole tokens, or `"unlimited"`
    pub max_amount: String,
    /// whole tokens per second
    #[serde(default = "zero_text")]
    pub slope: String,
}

fn zero_text() -> String {
    "0".into()
}

impl LimitSpec {
    /// The engine limit (the key path is for errors).
    pub fn limit(&self, key: &str) -> Result<Limit, (String, String)> {
        if self.max_amount == "unlimited" {
            return Ok(Limit::UNLIMITED);
        }
        let max = Wad::parse(&self.max_amount)
            .map_err(|e| (format!("{key}.max_amount"), format!("not an amount: {e}")))?;
        let slope = Wad::parse(&self.slope)
            .map_err(|e| (format!("{key}.slope"), format!("not an amount: {e}")))?;
        Ok(Limit {
            max_amount: max,
            slope,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorSpec {
    /// the Generator ilk (default `GEN-USDS-A`)
    #[serde(default)]
    pub ilk: Option<String>,
    /// the Generator ilk's line [whole USDS] (default 10⁹)
    #[serde(default)]
    pub line: Option<Wad>,
    /// baseline liquidity buffer: minimum idle USDS in the Generator's ALMProxy
    #[serde(default)]
    pub buffer_min: Option<Wad>,
    /// idle USDS the Generator keeps above the required buffer (minted each morning)
    #[serde(default)]
    pub buffer_headroom: Option<Wad>,
    #[serde(default)]
    pub mint_limit: Option<LimitSpec>,
    #[serde(default)]
    pub transfer_limit: Option<LimitSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguratorSpec {
    #[serde(default)]
    pub delay_s: Option<u64>,
    #[serde(default)]
    pub hop_s: Option<u64>,
    #[serde(default)]
    pub max_change_bps: Option<u64>,
}

/// Governance inputs: the parameters in force from the start, later changes, skips.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceSpec {
    pub base_rate_apr: Apr,
    pub ssr_apr: Apr,
    pub penalty_rate_per_hour_wad: Wad,
    #[serde(default)]
    pub restrict_after_s: Option<u64>,
    #[serde(default)]
    pub review_after_s: Option<u64>,
    #[serde(default)]
    pub tiers_bps: Option<[u32; 5]>,
    /// Skip every Saturday and Sunday (skip records written on the Friday before).
    #[serde(default)]
    pub weekend_skips: bool,
    #[serde(default)]
    pub osrc: Vec<OsrcSpec>,
    #[serde(default)]
    pub srusds_premium_apr: Option<Apr>,
    /// Parameter sets taking effect at later epochs (published at 10:00 of that epoch).
    #[serde(default)]
    pub changes: Vec<ParameterChange>,
    /// Skips besides the weekend rule.
    #[serde(default)]
    pub skips: Vec<SkipSpec>,
    /// Rate-limit changes (through the Configurator where scopes exist, else by governance).
    #[serde(default)]
    pub rate_limits: Vec<RateLimitChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsrcSpec {
    pub prime: String,
    pub allocation: Wad,
    pub rate_apr: Apr,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterChange {
    pub epoch: EpochId,
    #[serde(default)]
    pub base_rate_apr: Option<Apr>,
    #[serde(default)]
    pub ssr_apr: Option<Apr>,
    #[serde(default)]
    pub penalty_rate_per_hour_wad: Option<Wad>,
    #[serde(default)]
    pub tiers_bps: Option<[u32; 5]>,
    #[serde(default)]
    pub osrc: Vec<OsrcSpec>,
    #[serde(default)]
    pub srusds_premium_apr: Option<Apr>,
    #[serde(default)]
    pub generator_buffer_min: Option<Wad>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipSpec {
    pub epoch: EpochId,
    pub reason: String,
}

/// Which of a Prime's rate limits a change targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitName {
    /// `LIMIT_VAULT_DRAW⊕vault`
    Draw,
    /// `LIMIT_VAULT_REPAY⊕vault`
    Repay,
    /// `LIMIT_ASSET_TRANSFER⊕usds⊕gen_proxy` (settlement payments)
    Payment,
    /// `LIMIT_ASSET_TRANSFER⊕usds⊕market` (deployments to the market)
    Market,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitChange {
    pub epoch: EpochId,
    pub prime: String,
    pub limit: LimitName,
    pub max_amount: Wad,
    #[serde(default)]
    pub slope: Wad,
}

/// One Prime: its PAU's limits, its legacy ilk, its seeded behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimeSpec {
    pub name: String,
    /// Required: the operators read each Prime's legacy ilk (see `docs/scenarios.md`).
    pub legacy: LegacySpec,
    #[serde(default)]
    pub min_idle_bps: u16,
    #[serde(default)]
    pub draw_limit: Option<LimitSpec>,
    #[serde(default)]
    pub repay_limit: Option<LimitSpec>,
    #[serde(default)]
    pub payment_limit: Option<LimitSpec>,
    /// `LIMIT_ASSET_TRANSFER⊕usds⊕market`: what a (compromised) relayer can move out per time
    pub market_limit: LimitSpec,
    /// USDS the Generator keeps idle in this Prime's vault from the cutover on
    #[serde(default)]
    pub vault_idle_target: Option<Wad>,
    pub behaviour: Behaviour,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacySpec {
    /// default `ALLOCATOR-<NAME>-A`
    #[serde(default)]
    pub ilk: Option<String>,
    /// the legacy ilk's line [whole USDS]
    pub line: Wad,
    /// debt at deployment [whole USDS]
    pub debt: Wad,
    /// USDS the Prime may mint from its legacy ilk beyond its debt before its cutover
    #[serde(default)]
    pub mint_headroom: Option<Wad>,
}

/// A Prime's seeded daily behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    /// share of each draw kept idle in the ALMProxy (the rest goes to the market) [bps]
    pub idle_share_bps: u32,
    /// daily chance of a draw [bps] and its size range [whole USDS]
    pub draw_bps: u32,
    pub draw: [Wad; 2],
    /// daily chance of a repayment [bps] and its size range [whole USDS]
    pub repay_bps: u32,
    pub repay: [Wad; 2],
    /// chance of paying an obligation before 16:00 [bps]
    pub pay_on_time_bps: u32,
    /// when late: hours after 16:00 (inclusive range, 1–47)
    pub late_hours: [u32; 2],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationSpec {
    pub prime: String,
    /// the Core Council writes the migration-plan record at 09:43:20 UTC of this epoch
    pub plan_epoch: EpochId,
    /// the cutover instant (RFC 3339, not inside a Processing Window)
    pub cutover: String,
    /// equal tranches moving the legacy debt, one per day from the cutover day
    pub tranches: u32,
    /// completion at the cutover's time of day, this many days after the cutover
    pub dual_run_days: u32,
    #[serde(default)]
    pub min_idle_bps: u16,
    /// minimum Generator idle USDS per epoch from the cutover epoch on [whole USDS]
    #[serde(default)]
    pub buffer_schedule: Vec<Wad>,
}

impl MigrationSpec {
    pub fn cutover_at(&self) -> Option<Timestamp> {
        laniakea_units::time::parse_rfc3339(&self.cutover).ok()
    }
}

/// srUSDS (LCTS) users and their seeded behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LctsSpec {
    pub users: u32,
    /// the Holding System's premium at deployment
    pub premium_apr: Apr,
    /// each user's starting USDS (from the market) [whole USDS]
    pub initial_usds: [Wad; 2],
    pub subscribe_bps: u32,
    pub subscribe: [Wad; 2],
    pub redeem_bps: u32,
    /// share of the user's srUSDS redeemed [bps]
    pub redeem_share_bps: [u32; 2],
    pub claim_bps: u32,
    /// lpha-lcts governance inputs, published by the Core Council for every settled epoch
    /// (except on `missing-lcts-inputs` incidents): OSRC capacity for subscriptions [sUSDS],
    /// target spread, daily redemption limit [srUSDS]
    pub osrc_capacity: Wad,
    pub target_spread_apr: Apr,
    pub redemption_limit: Wad,
}

/// An injected incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Incident {
    /// The Prime pays its obligation of `epoch` `hours_late` after 16:00; `forgive` = the
    /// Core Council forgives the resulting penalty in full.
    LatePayment(LatePayment),
    /// The Prime pays nothing for `epoch`; it pays with its next payment.
    MissedPayment(MissedPayment),
    /// No settlement on `epoch`: with a skip record (`documented`) or a missed one (the
    /// operator posts it late, the next day).
    SkippedDay(SkippedDay),
    /// The Prime draws most of its vault's idle liquidity; the freezer pauses Generator
    /// withdrawals from the vault for `pause_hours`.
    LiquidityCliff(LiquidityCliff),
    /// The Prime's relayer key is compromised at `at` and drains through the market key until
    /// the freezer removes it `freeze_after_minutes` later; a new relayer is then granted.
    RelayerCompromise(RelayerCompromise),
    /// lpha-lcts finds no srUSDS governance inputs for `epoch` and falls back.
    MissingLctsInputs(MissingLctsInputs),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatePayment {
    pub epoch: EpochId,
    pub prime: String,
    pub hours_late: u32,
    #[serde(default)]
    pub forgive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedPayment {
    pub epoch: EpochId,
    pub prime: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkippedDay {
    pub epoch: EpochId,
    pub documented: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidityCliff {
    pub epoch: EpochId,
    pub prime: String,
    pub pause_hours: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayerCompromise {
    pub epoch: EpochId,
    pub prime: String,
    /// the compromise's time of day, `HH:MM` (in the Active Window, before 12:00)
    pub at: String,
    pub freeze_after_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingLctsInputs {
    pub epoch: EpochId,
}

impl Incident {
    pub fn epoch(&self) -> EpochId {
        match self {
            Incident::LatePayment(x) => x.epoch,
            Incident::MissedPayment(x) => x.epoch,
            Incident::SkippedDay(x) => x.epoch,
            Incident::LiquidityCliff(x) => x.epoch,
            Incident::RelayerCompromise(x) => x.epoch,
            Incident::MissingLctsInputs(x) => x.epoch,
        }
    }
    pub fn prime(&self) -> Option<&str> {
        match self {
            Incident::LatePayment(x) => Some(&x.prime),
            Incident::MissedPayment(x) => Some(&x.prime),
            Incident::LiquidityCliff(x) => Some(&x.prime),
            Incident::RelayerCompromise(x) => Some(&x.prime),
            Incident::SkippedDay(_) | Incident::MissingLctsInputs(_) => None,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Incident::LatePayment(_) => "late-payment",
            Incident::MissedPayment(_) => "missed-payment",
            Incident::SkippedDay(_) => "skipped-day",
            Incident::LiquidityCliff(_) => "liquidity-cliff",
            Incident::RelayerCompromise(_) => "relayer-compromise",
            Incident::MissingLctsInputs(_) => "missing-lcts-inputs",
        }
    }
}

/// Parses `HH:MM` into seconds after midnight.
pub fn time_of_day_s(text: &str) -> Option<u64> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u64, u64) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 3600 + m * 60)
}

fn is_weekend(e: EpochId) -> bool {
    // 1970-01-01 (day 0) was a Thursday: day % 7 == 2 is Saturday, 3 is Sunday.
    matches!(e.day_number() % 7, 2 | 3)
}

struct Check<'a> {
    file: &'a str,
}

impl Check<'_> {
    fn err(&self, key: impl Into<String>, reason: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_string(),
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// The dotted key path (`governance.changes[1].epoch`) of the `key = value` line holding byte
/// `offset`, from the nearest table header above it; `None` if that line is no simple key line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next()?;
    let (k, _) = line.split_once('=')?;
    let k = k.trim().trim_matches('"');
    if k.is_empty()
        || !k
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    {
        return None;
    }
    // The table: the last header before the line; an array table gets its index.
    let mut header: Option<(String, bool)> = None;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for l in text.get(..line_start)?.lines() {
        let t = l.trim();
        if let Some(h) = t.strip_prefix("[[").and_then(|r| r.split_once("]]")) {
            let name = h.0.trim().to_string();
            *counts.entry(name.clone()).or_default() += 1;
            header = Some((name, true));
        } else if let Some(h) = t.strip_prefix('[').and_then(|r| r.split_once(']')) {
            header = Some((h.0.trim().to_string(), false));
        }
    }
    Some(match header {
        None => k.to_string(),
        Some((name, true)) => {
            let i = counts.get(&name).copied().unwrap_or(1).saturating_sub(1);
            format!("{name}[{i}].{k}")
        }
        Some((name, false)) => format!("{name}.{k}"),
    })
}

/// A base rate above 100% APR or a penalty rate above 100% per hour is refused (settlement maths
/// accepts neither).
fn check_rates(
    c: &Check<'_>,
    table: &str,
    base: Option<Apr>,
    penalty: Option<Wad>,
) -> Result<(), ScenarioError> {
    if base.is_some_and(|r| r > Apr::hundred_percent()) {
        return Err(c.err(
            format!("{table}.base_rate_apr"),
            "above 100% APR (\"1\"), the largest rate settlement accepts",
        ));
    }
    if penalty.is_some_and(|r| r > Wad::one()) {
        return Err(c.err(
            format!("{table}.penalty_rate_per_hour_wad"),
            "above 100% per hour (\"1\")",
        ));
    }
    Ok(())
}

/// Every OSRC entry names a known Prime, each Prime at most once.
fn check_osrc(
    c: &Check<'_>,
    table: &str,
    osrc: &[OsrcSpec],
    known: &dyn Fn(&str) -> bool,
) -> Result<(), ScenarioError> {
    let mut seen = BTreeSet::new();
    for (i, o) in osrc.iter().enumerate() {
        if !known(&o.prime) {
            return Err(c.err(
                format!("{table}[{i}].prime"),
                format!("no Prime '{}'", o.prime),
            ));
        }
        if !seen.insert(o.prime.as_str()) {
            return Err(c.err(
                format!("{table}[{i}].prime"),
                format!("'{}' appears twice", o.prime),
            ));
        }
    }
    Ok(())
}

fn bps_ok(v: u32) -> bool {
    v <= BPS
}

fn range_ok(r: &[Wad; 2]) -> bool {
    r[0] <= r[1]
}

impl Scenario {
    /// Parses and validates a scenario file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let c = Check { file };
        let de = toml::Deserializer::new(text);
        let s: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let mut key = e.path().to_string();
            let inner = e.into_inner();
            let mut reason = inner.message().to_string();
            if let Some(span) = inner.span() {
                if key == "." {
                    // A value the TOML reader itself refuses (e.g. an integer beyond 64 bits)
                    // carries no serde path: name the key written on that line.
                    if let Some(k) = key_at(text, span.start) {
                        key = k;
                    }
                }
                let line = text
                    .get(..span.start)
                    .map_or(0, |t| t.bytes().filter(|b| *b == b'\n').count())
                    + 1;
                reason = format!("{reason} (line {line})");
            }
            c.err(if key == "." { "<file>".into() } else { key }, reason)
        })?;
        s.validate_in(file)?;
        Ok(s)
    }

    /// Every cross-field rule (see the module doc).
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.validate_in(&self.name)
    }

    /// The last day of the run.
    pub fn end(&self, days: u32) -> Option<EpochId> {
        let mut e = self.start;
        for _ in 1..days {
            e = e.next().ok()?;
        }
        Some(e)
    }

    /// Every epoch skipped by a skip record (weekend rule, explicit skips, documented skipped
    /// days), within `days`.
    pub fn documented_skips(&self, days: u32) -> BTreeMap<EpochId, String> {
        let mut out = BTreeMap::new();
        let mut e = self.start;
        for i in 0..days {
            if i > 0 {
                match e.next() {
                    Ok(n) => e = n,
                    Err(_) => break,
                }
            }
            if self.governance.weekend_skips && is_weekend(e) {
                out.insert(e, "weekend".to_string());
            }
        }
        for s in &self.governance.skips {
            out.insert(s.epoch, s.reason.clone());
        }
        for i in &self.incidents {
            if let Incident::SkippedDay(x) = i {
                if x.documented {
                    out.insert(
                        x.epoch,
                        x.reason.clone().unwrap_or_else(|| "incident".into()),
                    );
                }
            }
        }
        out
    }

    fn validate_in(&self, file: &str) -> Result<(), ScenarioError> {
        let c = Check { file };
        if self.days == 0 || self.days > MAX_DAYS {
            return Err(c.err("days", format!("must be 1 to {MAX_DAYS}")));
        }
        let last = self
            .end(self.days)
            .ok_or_else(|| c.err("days", "the run ends after the supported date range"))?;
        let in_run = |e: EpochId| e >= self.start && e <= last;
        if self.primes.is_empty() {
            return Err(c.err("primes", "a scenario needs at least one Prime"));
        }
        if self.primes.len() > MAX_PRIMES {
            return Err(c.err(
                "primes",
                format!("{} Primes: at most {MAX_PRIMES}", self.primes.len()),
            ));
        }
        let mut names = BTreeSet::new();
        for (i, p) in self.primes.iter().enumerate() {
            let k = |x: &str| format!("primes[{i}].{x}");
            if p.name.is_empty()
                || p.name.len() > 10
                || !p
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                || p.name == "gen"
            {
                return Err(c.err(
                    k("name"),
                    format!(
                        "'{}' is not a Prime name (1–10 lower-case letters/digits, not 'gen')",
                        p.name
                    ),
                ));
            }
            if !names.insert(p.name.clone()) {
                return Err(c.err(k("name"), format!("'{}' appears twice", p.name)));
            }
            if p.min_idle_bps as u32 > BPS {
                return Err(c.err(k("min_idle_bps"), "above 10000"));
            }
            let line_raw = p.legacy.line.raw();
            if p.legacy.debt.raw() > line_raw {
                return Err(c.err(
                    k("legacy.debt"),
                    format!("debt {} is above the line {}", p.legacy.debt, p.legacy.line),
                ));
            }
            if p.legacy.debt.is_zero() {
                return Err(c.err(
                    k("legacy.debt"),
                    "must be positive (a Prime on a legacy ilk has debt)",
                ));
            }
            if let Some(h) = p.legacy.mint_headroom {
                if p.legacy
                    .debt
                    .raw()
                    .checked_add(h.raw())
                    .is_none_or(|t| t > line_raw)
                {
                    return Err(c.err(
                        k("legacy.mint_headroom"),
                        "debt + headroom is above the line",
                    ));
                }
            }
            for (name, l) in [
                ("draw_limit", &p.draw_limit),
                ("repay_limit", &p.repay_limit),
                ("payment_limit", &p.payment_limit),
            ] {
                if let Some(l) = l {
                    l.limit(&k(name)).map_err(|(key, r)| c.err(key, r))?;
                }
            }
            let m = p
                .market_limit
                .limit(&k("market_limit"))
                .map_err(|(key, r)| c.err(key, r))?;
            if m == Limit::UNLIMITED {
                return Err(c.err(
                    k("market_limit.max_amount"),
                    "must be finite: it bounds what a compromised relayer can move",
                ));
            }
            let b = &p.behaviour;
            for (name, v) in [
                ("idle_share_bps", b.idle_share_bps),
                ("draw_bps", b.draw_bps),
                ("repay_bps", b.repay_bps),
                ("pay_on_time_bps", b.pay_on_time_bps),
            ] {
                if !bps_ok(v) {
                    return Err(c.err(
                        k(&format!("behaviour.{name}")),
                        "a probability/share in basis points must be 0 to 10000",
                    ));
                }
            }
            for (name, r) in [("draw", &b.draw), ("repay", &b.repay)] {
                if !range_ok(r) {
                    return Err(c.err(
                        k(&format!("behaviour.{name}")),
                        "a range is [min, max] with min ≤ max",
                    ));
                }
            }
            if b.late_hours[0] == 0 || b.late_hours[0] > b.late_hours[1] || b.late_hours[1] > 47 {
                return Err(c.err(
                    k("behaviour.late_hours"),
                    "a range [min, max] of hours with 1 ≤ min ≤ max ≤ 47",
                ));
            }
        }
        if let Some(g) = &self.generator.ilk {
            if laniakea_chain::mcd::ilk_id(g).is_none() {
                return Err(c.err("generator.ilk", "not an ilk name (1–32 ASCII)"));
            }
        }
        for (name, l) in [
            ("generator.mint_limit", &self.generator.mint_limit),
            ("generator.transfer_limit", &self.generator.transfer_limit),
        ] {
            if let Some(l) = l {
                l.limit(name).map_err(|(key, r)| c.err(key, r))?;
            }
        }
        if let Some(cf) = &self.configurator {
            if cf.hop_s == Some(0) {
                return Err(c.err(
                    "configurator.hop_s",
                    "must be at least 1 s (the minimum time between two changes of a limit)",
                ));
            }
            if cf.max_change_bps.is_some_and(|v| v > u64::from(BPS)) {
                return Err(c.err(
                    "configurator.max_change_bps",
                    "a largest change per hop in basis points must be 0 to 10000",
                ));
            }
        }
        let prime_known = |p: &str| names.contains(p);
        // Governance.
        let g = &self.governance;
        check_rates(
            &c,
            "governance",
            Some(g.base_rate_apr),
            Some(g.penalty_rate_per_hour_wad),
        )?;
        check_osrc(&c, "governance.osrc", &g.osrc, &prime_known)?;
        let mut change_epochs = BTreeSet::new();
        for (i, ch) in g.changes.iter().enumerate() {
            let k = format!("governance.changes[{i}].epoch");
            if !in_run(ch.epoch) || ch.epoch == self.start {
                return Err(c.err(
                    k,
                    format!("{} is not a day of the run after its first", ch.epoch),
                ));
            }
            if !change_epochs.insert(ch.epoch) {
                return Err(c.err(
                    k,
                    format!(
                        "overlapping epochs: two parameter sets take effect at {}",
                        ch.epoch
                    ),
                ));
            }
            check_rates(
                &c,
                &format!("governance.changes[{i}]"),
                ch.base_rate_apr,
                ch.penalty_rate_per_hour_wad,
            )?;
            check_osrc(
                &c,
                &format!("governance.changes[{i}].osrc"),
                &ch.osrc,
                &prime_known,
            )?;
        }
        let mut skip_epochs = BTreeSet::new();
        for (i, s) in g.skips.iter().enumerate() {
            let k = format!("governance.skips[{i}].epoch");
            if !in_run(s.epoch) {
                return Err(c.err(k, format!("{} is not a day of the run", s.epoch)));
            }
            if s.epoch == self.start {
                return Err(c.err(k, "the first epoch cannot be skipped (its skip record would come before the deployment)"));
            }
            if !skip_epochs.insert(s.epoch) {
                return Err(c.err(
                    k,
                    format!("overlapping epochs: {} is skipped twice", s.epoch),
                ));
            }
        }
        for (i, r) in g.rate_limits.iter().enumerate() {
            if !prime_known(&r.prime) {
                return Err(c.err(
                    format!("governance.rate_limits[{i}].prime"),
                    format!("no Prime '{}'", r.prime),
                ));
            }
            if !in_run(r.epoch) {
                return Err(c.err(
                    format!("governance.rate_limits[{i}].epoch"),
                    format!("{} is not a day of the run", r.epoch),
                ));
            }
        }
        let skips = self.documented_skips(self.days);
        // Migrations.
        let mut migrating = BTreeSet::new();
        for (i, m) in self.migrations.iter().enumerate() {
            let k = |x: &str| format!("migrations[{i}].{x}");
            if !prime_known(&m.prime) {
                return Err(c.err(k("prime"), format!("no Prime '{}'", m.prime)));
            }
            if !migrating.insert(m.prime.clone()) {
                return Err(c.err(
                    k("prime"),
                    format!("overlapping epochs: '{}' has two migration plans", m.prime),
                ));
            }
            let at = m.cutover_at().ok_or_else(|| {
                c.err(
                    k("cutover"),
                    "not an RFC 3339 UTC instant (e.g. 2026-02-02T10:00:00Z)",
                )
            })?;
            let cut_day = EpochId::date_of(at).map_err(|e| c.err(k("cutover"), e.to_string()))?;
            let sod = at.0 % 86_400;
            if (13 * 3600..16 * 3600).contains(&sod) {
                return Err(c.err(k("cutover"), format!("{} is inside a Processing Window (13:00–16:00 UTC): migration steps never run there", m.cutover)));
            }
            if sod >= 16 * 3600 {
                return Err(c.err(k("cutover"), "the cutover must be in the morning (00:00–13:00 UTC) so its tranches and completion run before the lock"));
            }
            if !in_run(cut_day) || cut_day == self.start {
                return Err(c.err(
                    k("cutover"),
                    format!("{} is not a day of the run after its first", cut_day),
                ));
            }
            if m.plan_epoch < self.start || m.plan_epoch > cut_day {
                return Err(c.err(k("plan_epoch"), "inconsistent plan: the plan must be recorded within the run, on or before the cutover day"));
            }
            let plan_at = m
                .plan_epoch
                .day_number()
                .saturating_mul(86_400)
                .saturating_add(MIGRATION_PLAN_SOD);
            if at.0 < plan_at {
                return Err(c.err(k("cutover"), format!("inconsistent plan: the cutover {} is before the migration-plan record ({} 09:43:20 UTC); a plan recorded after its cutover is refused", m.cutover, m.plan_epoch)));
            }
            if m.tranches == 0 {
                return Err(c.err(k("tranches"), "at least one tranche"));
            }
            if m.dual_run_days < m.tranches {
                return Err(c.err(k("dual_run_days"), format!("inconsistent plan: {} tranches (one per day from the cutover) do not fit in {} dual-run days", m.tranches, m.dual_run_days)));
            }
            if m.min_idle_bps as u32 > BPS {
                return Err(c.err(k("min_idle_bps"), "above 10000"));
            }
            if m.min_idle_bps > 0 {
                let p = self.primes.iter().find(|p| p.name == m.prime);
                if p.is_none_or(|p| p.vault_idle_target.is_none_or(|t| t.is_zero())) {
                    return Err(c.err(k("min_idle_bps"), "inconsistent plan: a positive min_idle_bps needs the Prime's vault_idle_target (Generator-deposited idle liquidity)"));
                }
            }
        }
        // LCTS.
        if let Some(l) = &self.lcts {
            if l.users > MAX_USERS {
                return Err(c.err("lcts.users", format!("at most {MAX_USERS}")));
            }
            for (name, v) in [
                ("subscribe_bps", l.subscribe_bps),
                ("redeem_bps", l.redeem_bps),
                ("claim_bps", l.claim_bps),
            ] {
                if !bps_ok(v) {
                    return Err(c.err(
                        format!("lcts.{name}"),
                        "a probability in basis points must be 0 to 10000",
                    ));
                }
            }
            for (name, r) in [
                ("initial_usds", &l.initial_usds),
                ("subscribe", &l.subscribe),
            ] {
                if !range_ok(r) {
                    return Err(c.err(
                        format!("lcts.{name}"),
                        "a range is [min, max] with min ≤ max",
                    ));
                }
            }
            if l.redeem_share_bps[0] > l.redeem_share_bps[1] || l.redeem_share_bps[1] > BPS {
                return Err(c.err(
                    "lcts.redeem_share_bps",
                    "a range [min, max] of basis points, min ≤ max ≤ 10000",
                ));
            }
        }
        // Incidents.
        let mut seen: BTreeSet<(EpochId, String, &'static str)> = BTreeSet::new();
        for (i, inc) in self.incidents.iter().enumerate() {
            let k = |x: &str| format!("incidents[{i}].{x}");
            let e = inc.epoch();
            if !in_run(e) {
                return Err(c.err(k("epoch"), format!("{e} is not a day of the run")));
            }
            if let Some(p) = inc.prime() {
                if !prime_known(p) {
                    return Err(c.err(k("prime"), format!("no Prime '{p}'")));
                }
            }
            if !seen.insert((e, inc.prime().unwrap_or("").to_string(), inc.name())) {
                return Err(c.err(
                    k("epoch"),
                    format!("overlapping epochs: two {} incidents on {e}", inc.name()),
                ));
            }
            match inc {
                Incident::LatePayment(x) => {
                    if skips.contains_key(&x.epoch) {
                        return Err(c.err(
                            k("epoch"),
                            format!("{} is skipped: it has no obligation to pay late", x.epoch),
                        ));
                    }
                    if x.hours_late == 0 || x.hours_late > 47 {
                        return Err(c.err(k("hours_late"), "1 to 47 hours"));
                    }
                }
                Incident::MissedPayment(x) => {
                    if skips.contains_key(&x.epoch) {
                        return Err(c.err(
                            k("epoch"),
                            format!("{} is skipped: it has no obligation to miss", x.epoch),
                        ));
                    }
                }
                Incident::SkippedDay(x) => {
                    if x.epoch == self.start {
                        return Err(c.err(k("epoch"), "the first epoch cannot be skipped"));
                    }
                    if self.governance.weekend_skips && is_weekend(x.epoch)
                        || skip_epochs.contains(&x.epoch)
                    {
                        return Err(c.err(
                            k("epoch"),
                            format!("overlapping epochs: {} is already skipped", x.epoch),
                        ));
                    }
                    if x.epoch == last {
                        return Err(c.err(k("epoch"), "the last day cannot be skipped (a missed settlement is caught up the next day)"));
                    }
                }
                Incident::LiquidityCliff(x) => {
                    if x.pause_hours == 0 || x.pause_hours > 72 {
                        return Err(
                            c.err(k("pause_hours"), "a withdrawal pause lasts 1 to 72 hours")
                        );
                    }
                    let after_cutover = self.migrations.iter().any(|m| {
                        m.prime == x.prime
                            && m.cutover_at()
                                .and_then(|t| EpochId::date_of(t).ok())
                                .is_some_and(|d| d < x.epoch)
                    });
                    if !after_cutover {
                        return Err(c.err(
                            k("epoch"),
                            format!(
                                "inconsistent plan: '{}' has no vault liquidity before its cutover",
                                x.prime
                            ),
                        ));
                    }
                }
                Incident::RelayerCompromise(x) => {
                    let t = time_of_day_s(&x.at)
                        .ok_or_else(|| c.err(k("at"), "a time of day HH:MM"))?;
                    let end = t + u64::from(x.freeze_after_minutes) * 60;
                    if x.freeze_after_minutes == 0 || t < 3600 || end > 12 * 3600 {
                        return Err(c.err(k("at"), "the compromise and its freeze must fall within 01:00–12:00 (the Active Window, before the Prime's morning actions end)"));
                    }
                }
                Incident::MissingLctsInputs(_) => {
                    if self.lcts.is_none() {
                        return Err(c.err(k("kind"), "inconsistent plan: no [lcts] section"));
                    }
                }
            }
        }
        let _ = U256::ZERO;
        Ok(())
    }
}
