//! Model `sim`: one stress variant = the day loop (`laniakea-sim`) on the scenario plus the
//! incidents drawn from its `[stress.faults]`, run in memory with the variant's seed.
//!
//! Contract: [`SimStress::variant`] is a pure function of (scenario, faults, run seed): the
//! drawn incidents are added to the scenario's own (never over one it already has for the same
//! epoch, Prime and kind), in a fixed order, each from its own derived stream. The variant is an
//! ordinary scenario: [`SimStress::variant_toml`] writes it, and `laniakea run --scenario FILE
//! --seed SEED` replays the run to the same state digest. Metrics come from the run summary and
//! from views read after every day (Generator buffer, vault `min_idle_bps`, srUSDS backing).
//!
//! Fault mapping (the day loop's incident model sets the limits): a late payment per executed
//! Prime-day with `late_payment_bps`, `lateness_s` rounded up to whole hours (1–47); a relayer
//! compromise on a uniformly drawn day, its time of day and `time_to_freeze_s` fitted into
//! 01:00–12:00 (so at most 11 h to freeze); a liquidity cliff on a day after a migrated Prime's
//! cutover; missing LCTS inputs per day (when the scenario has `[lcts]`).

use crate::batch::{derive_seed, RunReport, Unit, Value};
use crate::scenario::{rng_for, Faults, ScenarioError, StressTable};
use alloy_primitives::U256;
use laniakea_chain::families::generator::{GeneratorAnswer, GeneratorView};
use laniakea_chain::families::holding_system::{HoldingSystemAnswer, HoldingSystemView};
use laniakea_chain::families::prime_vault::{PrimeVaultAnswer, PrimeVaultView};
use laniakea_chain::{Answer, Query};
use laniakea_sim::scenario::{
    Incident, LatePayment, LiquidityCliff, MissingLctsInputs, RelayerCompromise,
};
use laniakea_sim::{world, RunOptions, Scenario, SimChain};
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::Synome;
use laniakea_units::EpochId;
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};

/// A scenario ready for stress variants.
#[derive(Debug, Clone)]
pub struct SimStress {
    pub base: Scenario,
    pub faults: Faults,
    pub days: u32,
}

fn put(r: &mut RunReport, name: String, unit: Unit, v: U256) {
    r.metrics.insert(name, Value { unit, v });
}

impl SimStress {
    /// Splits a scenario file into its `[stress]` table and the day loop's scenario.
    pub fn parse(text: &str, path: &str, days: Option<u32>) -> Result<SimStress, ScenarioError> {
        let table = StressTable::parse(text, path)?;
        let mut v: toml::Table = toml::from_str(text).map_err(|e| ScenarioError::Read {
            path: path.into(),
            message: e.to_string(),
        })?;
        v.remove("stress");
        let rest = toml::to_string(&v).map_err(|e| ScenarioError::Read {
            path: path.into(),
            message: e.to_string(),
        })?;
        let base = Scenario::parse(path, &rest).map_err(|e| ScenarioError::Read {
            path: path.into(),
            message: e.to_string(),
        })?;
        let days = days.unwrap_or(base.days);
        if days == 0 || days > laniakea_sim::scenario::MAX_DAYS {
            return Err(ScenarioError::Key {
                key: "days".into(),
                rule: format!("{days} is not 1 to {}", laniakea_sim::scenario::MAX_DAYS),
            });
        }
        Ok(SimStress {
            base,
            faults: table.faults,
            days,
        })
    }

    fn epochs(&self) -> Vec<EpochId> {
        let mut out = Vec::with_capacity(self.days as usize);
        let mut e = self.base.start;
        for i in 0..self.days {
            if i > 0 {
                match e.next() {
                    Ok(n) => e = n,
                    Err(_) => break,
                }
            }
            out.push(e);
        }
        out
    }

    /// The variant of run seed `seed`: the scenario with the drawn incidents added.
    pub fn variant(&self, seed: u64) -> Scenario {
        let f = &self.faults;
        // `days` stays the scenario's (its incidents are validated against it); the run covers
        // `self.days` of it, as `laniakea run --days` does.
        let mut s = self.base.clone();
        s.seed = seed;
        let epochs = self.epochs();
        let skips = s.documented_skips(self.days);
        let last = epochs.last().copied();
        let mut taken: BTreeSet<(EpochId, String, &'static str)> = s
            .incidents
            .iter()
            .map(|i| (i.epoch(), i.prime().unwrap_or("").to_string(), i.name()))
            .collect();
        let mut add = |s: &mut Scenario, i: Incident| {
            let k = (i.epoch(), i.prime().unwrap_or("").to_string(), i.name());
            let clash = match &i {
                // one payment incident per Prime-epoch, whatever its kind
                Incident::LatePayment(x) => ["late-payment", "missed-payment"]
                    .iter()
                    .any(|n| taken.contains(&(x.epoch, x.prime.clone(), *n))),
                _ => taken.contains(&k),
            };
            if !clash {
                taken.insert(k);
                s.incidents.push(i);
            }
        };
        // Late payments, per executed Prime-day (not on the last day: it would fall after the
        // run and the loop could not pay it).
        let primes: Vec<String> = s.primes.iter().map(|p| p.name.clone()).collect();
        for (pi, p) in primes.iter().enumerate() {
            for (di, e) in epochs.iter().enumerate() {
                if skips.contains_key(e) || Some(*e) == last {
                    continue;
                }
                if let Some(late_s) = f.late_payment(seed, pi as u64, di as u64) {
                    let hours = u32::try_from(late_s.div_ceil(3600))
                        .unwrap_or(47)
                        .clamp(1, 47);
                    add(
                        &mut s,
                        Incident::LatePayment(LatePayment {
                            epoch: *e,
                            prime: p.clone(),
                            hours_late: hours,
                            forgive: false,
                        }),
                    );
                }
            }
        }
        // Missing LCTS inputs, per day.
        if s.lcts.is_some() {
            for (di, e) in epochs.iter().enumerate() {
                if f.lcts_inputs_missing(seed, di as u64) {
                    add(
                        &mut s,
                        Incident::MissingLctsInputs(MissingLctsInputs { epoch: *e }),
                    );
                }
            }
        }
        // Run-level draws: compromise and cliff.
        let mut r = rng_for(derive_seed(seed, u64::MAX - 1));
        let d = f.draw(&mut r);
        if d.compromised && !primes.is_empty() && !epochs.is_empty() {
            let p = primes[r.random_range(0..primes.len())].clone();
            let day = usize::try_from(d.compromise_at_s / 86_400)
                .unwrap_or(usize::MAX)
                .min(epochs.len() - 1);
            let freeze_min = u32::try_from(d.time_to_freeze_s.div_ceil(60))
                .unwrap_or(660)
                .clamp(1, 660);
            // start in [01:00, 12:00 − freeze], on whole minutes
            let room_min = 660 - u64::from(freeze_min);
            let start_min = 60 + (d.compromise_at_s % 86_400 / 60) % (room_min + 1);
            add(
                &mut s,
                Incident::RelayerCompromise(RelayerCompromise {
                    epoch: epochs[day],
                    prime: p,
                    at: format!("{:02}:{:02}", start_min / 60, start_min % 60),
                    freeze_after_minutes: freeze_min,
                }),
            );
        }
        if d.liquidity_cliff {
            // (prime, first epoch strictly after its cutover date)
            let eligible: Vec<(String, EpochId)> = s
                .migrations
                .iter()
                .filter_map(|m| {
                    let c = m.cutover_at().and_then(|t| EpochId::date_of(t).ok())?;
                    epochs
                        .iter()
                        .find(|e| **e > c)
                        .map(|e| (m.prime.clone(), *e))
                })
                .collect();
            if !eligible.is_empty() {
                let (p, from) = eligible[r.random_range(0..eligible.len())].clone();
                let days_after: Vec<EpochId> =
                    epochs.iter().copied().filter(|e| *e >= from).collect();
                let e = days_after[r.random_range(0..days_after.len())];
                let hours = u32::try_from(d.cliff_pause_hours)
                    .unwrap_or(72)
                    .clamp(1, 72);
                add(
                    &mut s,
                    Incident::LiquidityCliff(LiquidityCliff {
                        epoch: e,
                        prime: p,
                        pause_hours: hours,
                    }),
                );
            }
        }
        s
    }

    /// The variant as a scenario file `laniakea run --scenario` reads.
    pub fn variant_toml(&self, seed: u64) -> Result<String, String> {
        toml::to_string(&self.variant(seed)).map_err(|e| e.to_string())
    }

    /// Runs variant `seed` in memory and gathers its metrics.
    pub fn run(&self, seed: u64) -> Result<RunReport, String> {
        let s = self.variant(seed);
        s.validate().map_err(|e| format!("variant: {e}"))?;
        let opts = RunOptions {
            days: self.days,
            seed,
        };
        let genesis = world::genesis_script(&s).map_err(|e| format!("{}: {e}", e.code()))?;
        let (mut engine, book) =
            world::build_engine(&genesis).map_err(|e| format!("{}: {e}", e.code()))?;
        let store =
            SqliteStore::create(":memory:").map_err(|e| format!("in-memory Synome: {e}"))?;
        let mut syn = Synome::new(store);
        let primes: Vec<String> = s.primes.iter().map(|p| p.name.clone()).collect();
        let mut buffer_breaches = 0u64;
        let mut idle_breaches: BTreeMap<String, u64> = BTreeMap::new();
        let mut backing_min: Option<U256> = None;
        let gen = book.get("generator");
        let hs = book.get("hs");
        let pvs: Vec<(String, Option<alloy_primitives::Address>)> = primes
            .iter()
            .map(|p| (p.clone(), book.get(&format!("{p}_pv"))))
            .collect();
        let mut on_day = |_: &laniakea_sim::DayDone,
                          c: &laniakea_chain::Engine,
                          _: &mut Synome<SqliteStore>|
         -> Result<(), laniakea_sim::SimError> {
            if let Some(g) = gen {
                if let Ok(Answer::GeneratorRegistry(GeneratorAnswer::LiquidityBuffer(b))) =
                    c.view(g, &Query::GeneratorRegistry(GeneratorView::LiquidityBuffer))
                {
                    buffer_breaches += u64::from(!b.holds);
                }
            }
            for (p, pv) in &pvs {
                if let Some(pv) = pv {
                    if let Ok(Answer::PrimeVault(PrimeVaultAnswer::Position(v))) =
                        c.view(*pv, &Query::PrimeVault(PrimeVaultView::Position))
                    {
                        // idle < min_idle_bps·totalAssets / 10000 (exact: compare cross-products)
                        let lhs = v.idle_wad.raw().saturating_mul(U256::from(10_000u16));
                        let rhs = v
                            .total_assets_wad
                            .raw()
                            .saturating_mul(U256::from(v.min_idle_bps));
                        *idle_breaches.entry(p.clone()).or_default() += u64::from(lhs < rhs);
                    }
                }
            }
            if let Some(h) = hs {
                if let Ok(Answer::HoldingSystem(HoldingSystemAnswer::Info(i))) =
                    c.view(h, &Query::HoldingSystem(HoldingSystemView::Info))
                {
                    if let Some(b) = i.backing_ratio_wad {
                        backing_min = Some(backing_min.map_or(b.raw(), |m| m.min(b.raw())));
                    }
                }
            }
            Ok(())
        };
        let summary = laniakea_sim::run(&s, &opts, &mut engine, &book, &mut syn, &mut on_day)
            .map_err(|e| format!("{}: {e}", e.code()))?;
        let mut r = RunReport::default();
        for p in &summary.primes {
            let n = &p.prime;
            put(
                &mut r,
                format!("prime.{n}.penalties"),
                Unit::Wad,
                p.penalties_wad.raw(),
            );
            put(
                &mut r,
                format!("prime.{n}.forgiven"),
                Unit::Wad,
                p.forgiven_wad.raw(),
            );
            put(
                &mut r,
                format!("prime.{n}.days_late"),
                Unit::Count,
                U256::from(p.late_epochs.len()),
            );
            put(
                &mut r,
                format!("prime.{n}.escalations"),
                Unit::Count,
                U256::from(p.escalations),
            );
            put(
                &mut r,
                format!("prime.{n}.min_idle_breach_days"),
                Unit::Count,
                U256::from(idle_breaches.get(n).copied().unwrap_or(0)),
            );
        }
        put(
            &mut r,
            "generator.buffer_breach_days".into(),
            Unit::Count,
            U256::from(buffer_breaches),
        );
        if let Some(b) = backing_min {
            put(&mut r, "srusds.backing_ratio_min".into(), Unit::Wad, b);
        }
        let (mut moved, mut bound, mut exceeded) = (U256::ZERO, U256::ZERO, 0u64);
        for c in &summary.compromises {
            moved = moved.max(c.moved_wad.raw());
            bound = bound.max(c.bound_wad.raw());
            exceeded += u64::from(!c.within_bound);
        }
        put(&mut r, "relayer.loss".into(), Unit::Wad, moved);
        if !summary.compromises.is_empty() {
            put(&mut r, "relayer.bound".into(), Unit::Wad, bound);
            put(
                &mut r,
                "relayer.bound_exceeded".into(),
                Unit::Count,
                U256::from(exceeded),
            );
        }
        for (code, n) in &summary.checker_findings {
            put(
                &mut r,
                format!("checker.{code}"),
                Unit::Count,
                U256::from(*n),
            );
        }
        put(
            &mut r,
            "missed_epochs".into(),
            Unit::Count,
            U256::from(summary.missed_epochs.len()),
        );
        put(
            &mut r,
            "transactions".into(),
            Unit::Count,
            U256::from(summary.transactions),
        );
        r.digest = Some(SimChain::digest(&engine));
        debug_assert_eq!(r.digest, Some(summary.state_digest));
        Ok(r)
    }
}
