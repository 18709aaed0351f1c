//! The `[stress]` table of a scenario file: which run model, and the fault distributions each
//! variant draws from (SPEC-level faults: late payments, relayer compromise and time to freeze,
//! liquidity cliffs, missing LCTS inputs).
//!
//! Contract: parsed from the same TOML file as the scenario (other tables are ignored here, so
//! the day-loop's own format stays its own); unknown keys in `[stress]` are refused naming the
//! key. A distribution is an integer (fixed), `{ uniform = [lo, hi] }` (inclusive) or
//! `{ choice = [a, b, …] }`; draws come only from the run's seeded ChaCha stream, in a fixed
//! order, so a seed fixes every draw.

use crate::batch::derive_seed;
use alloy_primitives::U256;
use laniakea_units::{Wad, WAD};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A distribution over whole numbers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Dist {
    Fixed(u64),
    Uniform { uniform: [u64; 2] },
    Choice { choice: Vec<u64> },
}

impl Dist {
    pub fn validate(&self, key: &str) -> Result<(), ScenarioError> {
        match self {
            Dist::Uniform { uniform: [lo, hi] } if lo > hi => Err(ScenarioError::Key {
                key: key.to_string(),
                rule: format!("uniform [{lo}, {hi}]: lo is above hi"),
            }),
            Dist::Choice { choice } if choice.is_empty() => Err(ScenarioError::Key {
                key: key.to_string(),
                rule: "choice is empty".into(),
            }),
            _ => Ok(()),
        }
    }

    pub fn draw(&self, rng: &mut ChaCha8Rng) -> u64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { uniform: [lo, hi] } => rng.random_range(*lo..=*hi),
            Dist::Choice { choice } => choice[rng.random_range(0..choice.len())],
        }
    }
}

fn default_bps_zero() -> Dist {
    Dist::Fixed(0)
}

/// The declared fault distributions (per variant; the day loop reads them per Prime-day).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// probability that a Prime pays late on a given day [bps]
    #[serde(default)]
    pub late_payment_bps: u64,
    /// how late a late payment is [s]
    #[serde(default = "default_bps_zero")]
    pub lateness_s: Dist,
    /// probability that the relayer is compromised in a run [bps]
    #[serde(default)]
    pub relayer_compromise_bps: u64,
    /// when the compromise happens, from the start [s]
    #[serde(default = "default_bps_zero")]
    pub compromise_at_s: Dist,
    /// time from the compromise to the freeze [s]
    #[serde(default = "default_bps_zero")]
    pub time_to_freeze_s: Dist,
    /// probability that the compromised executor also holds the cBEAM (raises under SORL) [bps]
    #[serde(default)]
    pub cbeam_compromise_bps: u64,
    /// the limit's headroom at the compromise, as a share of maxAmount [bps]
    #[serde(default = "default_full")]
    pub headroom_bps: Dist,
    /// probability of one liquidity cliff in a run [bps] (the day loop's cliff: the Prime draws
    /// most of its vault's idle liquidity; the size is the day loop's, not drawn here)
    #[serde(default)]
    pub liquidity_cliff_bps: u64,
    /// how long the freezer pauses Generator withdrawals after a cliff [h]
    #[serde(default = "default_pause")]
    pub cliff_pause_hours: Dist,
    /// probability that governance's LCTS inputs are missing on a day [bps]
    #[serde(default)]
    pub missing_lcts_inputs_bps: u64,
}

fn default_pause() -> Dist {
    Dist::Fixed(24)
}

fn default_full() -> Dist {
    Dist::Fixed(10_000)
}

/// The rate-limited key the relayer-compromise model attacks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// maxAmount [USDS, exact decimal]
    pub max_amount: Wad,
    /// refill per day [USDS, exact decimal]; slope = ⌊per_day / 86400⌋ per second
    pub per_day: Wad,
    #[serde(default = "default_hop")]
    pub hop_s: u64,
    #[serde(default = "default_max_change")]
    pub max_change_bps: u64,
    /// `greedy` (as fast as the engine allows) or `random` (random drains and raises)
    #[serde(default = "default_pattern")]
    pub pattern: String,
}

fn default_hop() -> u64 {
    laniakea_chain::families::beam_state::DEFAULT_HOP_S
}
fn default_max_change() -> u64 {
    laniakea_chain::families::beam_state::DEFAULT_MAX_CHANGE_BPS
}
fn default_pattern() -> String {
    "greedy".into()
}

/// The `[stress]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StressTable {
    /// `relayer-compromise` (engine-level, built in) or `sim` (the day loop)
    pub model: String,
    pub faults: Faults,
    /// the attacked key (model `relayer-compromise`)
    #[serde(default)]
    pub key: Option<KeyConfig>,
}

#[derive(Debug, Deserialize)]
struct File {
    stress: Option<toml::Value>,
}

/// A scenario file that cannot be stressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("[stress] {key}: {rule}")]
    Key { key: String, rule: String },
}

impl ScenarioError {
    pub fn code(&self) -> &'static str {
        match self {
            ScenarioError::Read { .. } => "Stress/scenario-unreadable",
            ScenarioError::Key { .. } => "Stress/bad-key",
        }
    }
}

fn key_err(key: &str, rule: impl Into<String>) -> ScenarioError {
    ScenarioError::Key {
        key: key.into(),
        rule: rule.into(),
    }
}

impl StressTable {
    /// Parses the `[stress]` table of a scenario's TOML text (`path` names it in errors).
    pub fn parse(text: &str, path: &str) -> Result<StressTable, ScenarioError> {
        let read = |message: String| ScenarioError::Read {
            path: path.into(),
            message,
        };
        let f: File = toml::from_str(text).map_err(|e| read(e.to_string()))?;
        let v = f
            .stress
            .ok_or_else(|| read("has no [stress] table (see docs/stress.md)".into()))?;
        let t: StressTable = v
            .try_into()
            .map_err(|e: toml::de::Error| read(format!("[stress]: {}", e.message())))?;
        t.validate()?;
        Ok(t)
    }

    pub fn load(path: &Path) -> Result<StressTable, ScenarioError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Read {
            path: p.clone(),
            message: e.to_string(),
        })?;
        StressTable::parse(&text, &p)
    }

    pub fn validate(&self) -> Result<(), ScenarioError> {
        if !["relayer-compromise", "sim"].contains(&self.model.as_str()) {
            return Err(key_err(
                "model",
                format!("'{}' is not relayer-compromise or sim", self.model),
            ));
        }
        let f = &self.faults;
        for (k, p) in [
            ("faults.late_payment_bps", f.late_payment_bps),
            ("faults.relayer_compromise_bps", f.relayer_compromise_bps),
            ("faults.cbeam_compromise_bps", f.cbeam_compromise_bps),
            ("faults.missing_lcts_inputs_bps", f.missing_lcts_inputs_bps),
            ("faults.liquidity_cliff_bps", f.liquidity_cliff_bps),
        ] {
            if p > 10_000 {
                return Err(key_err(k, format!("{p} is above 10000 bps")));
            }
        }
        for (k, d) in [
            ("faults.lateness_s", &f.lateness_s),
            ("faults.compromise_at_s", &f.compromise_at_s),
            ("faults.time_to_freeze_s", &f.time_to_freeze_s),
            ("faults.headroom_bps", &f.headroom_bps),
            ("faults.cliff_pause_hours", &f.cliff_pause_hours),
        ] {
            d.validate(k)?;
        }
        {
            let (k, d) = ("faults.headroom_bps", &f.headroom_bps);
            let hi = match d {
                Dist::Fixed(v) => *v,
                Dist::Uniform { uniform } => uniform[1],
                Dist::Choice { choice } => choice.iter().copied().max().unwrap_or(0),
            };
            if hi > 10_000 {
                return Err(key_err(k, format!("{hi} is above 10000 bps")));
            }
        }
        if self.model == "relayer-compromise" {
            let Some(k) = &self.key else {
                return Err(key_err(
                    "key",
                    "model relayer-compromise needs [stress.key]",
                ));
            };
            if k.max_amount.raw().is_zero() {
                return Err(key_err("key.max_amount", "must be above zero"));
            }
            if k.hop_s == 0 {
                return Err(key_err("key.hop_s", "must be at least 1"));
            }
            if !["greedy", "random"].contains(&k.pattern.as_str()) {
                return Err(key_err(
                    "key.pattern",
                    format!("'{}' is not greedy or random", k.pattern),
                ));
            }
        }
        Ok(())
    }
}

/// One variant's fault draws (drawn in this field order from the run's seed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultDraw {
    pub compromised: bool,
    pub cbeam: bool,
    pub compromise_at_s: u64,
    pub time_to_freeze_s: u64,
    pub headroom_bps: u64,
    pub liquidity_cliff: bool,
    pub cliff_pause_hours: u64,
}

/// The run's random stream (ChaCha8 seeded from the run seed).
pub fn rng_for(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn chance(rng: &mut ChaCha8Rng, bps: u64) -> bool {
    rng.random_range(0..10_000u64) < bps
}

impl Faults {
    /// The run-level draws. Per-day draws (late payments, missing inputs) come from
    /// [`Faults::day_rng`] so that adding a day never shifts another day's draws.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> FaultDraw {
        FaultDraw {
            compromised: chance(rng, self.relayer_compromise_bps),
            cbeam: chance(rng, self.cbeam_compromise_bps),
            compromise_at_s: self.compromise_at_s.draw(rng),
            time_to_freeze_s: self.time_to_freeze_s.draw(rng),
            headroom_bps: self.headroom_bps.draw(rng),
            liquidity_cliff: chance(rng, self.liquidity_cliff_bps),
            cliff_pause_hours: self.cliff_pause_hours.draw(rng),
        }
    }

    /// The stream for day `day` of Prime `prime` in a run: derived, not shared.
    pub fn day_rng(run_seed: u64, prime: u64, day: u64) -> ChaCha8Rng {
        rng_for(derive_seed(derive_seed(run_seed, prime), day))
    }

    /// Whether Prime `prime` pays late on `day`, and by how many seconds.
    pub fn late_payment(&self, run_seed: u64, prime: u64, day: u64) -> Option<u64> {
        let mut r = Faults::day_rng(run_seed, prime, day);
        chance(&mut r, self.late_payment_bps).then(|| self.lateness_s.draw(&mut r))
    }

    /// Whether the LCTS governance inputs are missing on `day`.
    pub fn lcts_inputs_missing(&self, run_seed: u64, day: u64) -> bool {
        let mut r = Faults::day_rng(run_seed, u64::MAX, day);
        chance(&mut r, self.missing_lcts_inputs_bps)
    }
}

impl KeyConfig {
    /// `(maxAmount, slope per second)` in wei.
    pub fn limits(&self) -> (U256, U256) {
        (
            self.max_amount.raw(),
            self.per_day.raw() / U256::from(86_400u32),
        )
    }
}

/// 1 USDS in wei (for callers building key configs).
pub fn usds(whole: u64) -> Wad {
    Wad::from_raw(U256::from(whole) * WAD)
}
