//! The run summary: what a person reads at the end of `laniakea run`, and its exact JSON form.
//!
//! Contract: [`compute`] derives every figure from the chain (views and the event log) and the
//! Synome — never from the loop's memory — so a resumed run summarises exactly like an
//! uninterrupted one; the only exception is [`Summary::this_process`] (action outcomes seen by
//! this process), marked as such. Amounts are exact [`Wad`]s (decimal strings in JSON);
//! presentation (grouping, UTC date-times) is the CLI's job.

use crate::day::{records, Operators, RunOptions, Stats};
use crate::plan::{self, Calendar};
use crate::scenario::{Incident, Scenario};
use crate::world::AddressBook;
use crate::{SimChain, SimError};
use alloy_primitives::B256;
use laniakea_chain::families::generator::{Book, BufferStatus, GeneratorAnswer, GeneratorView};
use laniakea_chain::families::holding_system::{HoldingSystemAnswer, HoldingSystemView};
use laniakea_chain::families::lcts_queue::{LctsQueueAnswer, LctsQueueView};
use laniakea_chain::families::token::TokenEvent;
use laniakea_chain::{Answer, Chain, EventKind, Query};
use laniakea_settlement::ledger::Payer;
use laniakea_synome::record::payload;
use laniakea_synome::{Kind, Store, Synome};
use laniakea_units::{EpochId, Timestamp, Wad, U256};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrimeSummary {
    pub prime: String,
    pub statements: u64,
    /// Σ statement amounts the Prime owed the Generator, less the penalties those statements
    /// carry (which are `penalties_wad`): paid + open + forgiven = obligations + penalties
    pub obligations_wad: Wad,
    /// Σ statement amounts the Generator owed the Prime
    pub owed_by_generator_wad: Wad,
    pub paid_on_time_wad: Wad,
    pub paid_late_wad: Wad,
    /// epochs with at least one late receipt
    pub late_epochs: Vec<EpochId>,
    /// still open at the end (Prime → Generator)
    pub open_wad: Wad,
    pub penalties_wad: Wad,
    pub forgiven_wad: Wad,
    pub escalations: u64,
    pub legacy_debt_wad: Wad,
    pub vault_principal_wad: Wad,
    /// `none`, `planned`, `dual-run`, `completed`, `rolled-back`
    pub migration: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SrUsdsSummary {
    pub exchange_rate_wad: Wad,
    pub holding_susds_wad: Wad,
    pub srusds_supply_wad: Wad,
    pub backing_ratio_wad: Option<Wad>,
    pub backed: bool,
    pub subscribe_waiting_susds_wad: Wad,
    pub redeem_waiting_srusds_wad: Wad,
    pub lcts_settlement_records: u64,
    /// `false` until lpha-lcts (issue 13b) runs the queues: entries then wait, unsettled.
    pub lpha_lcts_running: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompromiseSummary {
    pub prime: String,
    pub epoch: EpochId,
    pub from: Timestamp,
    pub frozen_at: Timestamp,
    /// USDS moved out through the market key between the compromise and the freeze
    pub moved_wad: Wad,
    /// `max_amount + slope × time to freeze` of the market key
    pub bound_wad: Wad,
    pub within_bound: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub days: u32,
    pub first_epoch: EpochId,
    pub last_epoch: EpochId,
    pub executed_epochs: u64,
    pub skipped_epochs: Vec<EpochId>,
    /// epochs settled late (no skip record: a missed settlement caught up the next day)
    pub missed_epochs: Vec<EpochId>,
    pub primes: Vec<PrimeSummary>,
    pub generator_book: Book,
    pub liquidity_buffer: Option<BufferStatus>,
    pub srusds: Option<SrUsdsSummary>,
    /// per Prime: `none` | `planned` | `dual-run` | `completed` | `rolled-back`
    pub migrations: BTreeMap<String, String>,
    /// legacy ilks not yet migrated away (the temporary compatibility set)
    pub compatibility_set: Vec<String>,
    /// `check/status` → count over every verification report
    pub checker_findings: BTreeMap<String, u64>,
    pub verification_reports: u64,
    pub compromises: Vec<CompromiseSummary>,
    pub incidents_recorded: BTreeMap<String, u64>,
    /// transactions up to the last one that emitted an event (the tx index after it)
    pub transactions: u64,
    pub state_digest: B256,
    pub synome_head: B256,
    pub synome_records: u64,
    pub this_process: ProcessStats,
}

/// What this process saw (not part of the run's identity; differs after a resume).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ProcessStats {
    /// action kind → outcome (`ok` or revert/refusal code) → count
    pub outcomes: BTreeMap<String, BTreeMap<String, u64>>,
    pub guard_refusals: u64,
    pub skipped_as_already_applied: u64,
}

fn generator_view(c: &dyn Chain, book: &AddressBook, v: GeneratorView) -> Option<GeneratorAnswer> {
    match c.view(book.a("generator"), &Query::GeneratorRegistry(v)) {
        Ok(Answer::GeneratorRegistry(a)) => Some(a),
        _ => None,
    }
}

fn add(a: &mut Wad, b: Wad) {
    *a = Wad::from_raw(a.raw().saturating_add(b.raw()));
}

/// The summary of a run as it stands (see the module doc).
#[allow(clippy::too_many_arguments)] // the loop's parts, passed as they are (no bundle type to keep)
pub fn compute<C: SimChain, S: Store>(
    s: &Scenario,
    opts: &RunOptions,
    chain: &C,
    book: &AddressBook,
    syn: &mut Synome<S>,
    ops: &mut Operators,
    stats: &Stats,
    cal: &Calendar,
) -> Result<Summary, SimError> {
    let last = cal.last;
    let statements = records(syn, Kind::SettlementStatement, None)?;
    let receipts = records(syn, Kind::PaymentReceipt, None)?;
    let penalties = records(syn, Kind::PenaltyEvent, None)?;
    let forgiveness = records(syn, Kind::Forgiveness, None)?;
    let escalations = records(syn, Kind::Escalation, None)?;
    let reports = records(syn, Kind::VerificationReport, None)?;
    let incidents = records(syn, Kind::Incident, None)?;
    let books = ops
        .settlement
        .books(chain, syn, chain.now())
        .map_err(|e| SimError::Operator {
            step: "summary",
            epoch: last.to_string(),
            code: e.code(),
            message: e.to_string(),
        })?;
    let locations = match generator_view(chain, book, GeneratorView::DebtLocations) {
        Some(GeneratorAnswer::DebtLocations { primes }) => primes,
        _ => Vec::new(),
    };
    let penalty_prime: BTreeMap<B256, (String, Wad)> = penalties
        .iter()
        .filter_map(|r| {
            let p: payload::PenaltyEvent =
                serde_json::from_value(r.content.payload.clone()).ok()?;
            Some((r.id, (p.prime, p.amount_wad)))
        })
        .collect();
    let mut primes = Vec::new();
    let mut migrations = BTreeMap::new();
    for p in &s.primes {
        let subject = format!("prime:{}", p.name);
        let mut ps = PrimeSummary {
            prime: p.name.clone(),
            statements: 0,
            obligations_wad: Wad::ZERO,
            owed_by_generator_wad: Wad::ZERO,
            paid_on_time_wad: Wad::ZERO,
            paid_late_wad: Wad::ZERO,
            late_epochs: Vec::new(),
            open_wad: books
                .get(&p.name)
                .map_or(Wad::ZERO, |b| b.open_wad(Payer::Prime, Timestamp(u64::MAX))),
            penalties_wad: Wad::ZERO,
            forgiven_wad: Wad::ZERO,
            escalations: escalations
                .iter()
                .filter(|r| r.content.subject == subject)
                .count() as u64,
            legacy_debt_wad: Wad::ZERO,
            vault_principal_wad: Wad::ZERO,
            migration: "none".into(),
        };
        for r in statements.iter().filter(|r| r.content.subject == subject) {
            let Ok(st) =
                serde_json::from_value::<payload::SettlementStatement>(r.content.payload.clone())
            else {
                continue;
            };
            let amount: Wad =
                serde_json::from_value(st.statement["amount_due_wad"].clone()).unwrap_or(Wad::ZERO);
            ps.statements += 1;
            if st.direction == "generator-pays-prime" {
                add(&mut ps.owed_by_generator_wad, amount);
            } else {
                // The amount due less the penalties it carries: those are `penalties_wad`, so
                // paid + open + forgiven = obligations + penalties (SPEC §8 inv. 9).
                let carried: Wad =
                    serde_json::from_value(st.statement["carried_penalties_wad"].clone())
                        .unwrap_or(Wad::ZERO);
                add(
                    &mut ps.obligations_wad,
                    Wad::from_raw(amount.raw().saturating_sub(carried.raw())),
                );
            }
        }
        for r in receipts.iter().filter(|r| r.content.subject == subject) {
            let Ok(rc) =
                serde_json::from_value::<payload::PaymentReceipt>(r.content.payload.clone())
            else {
                continue;
            };
            if rc.payer != "prime" {
                continue;
            }
            let due = r.content.epoch.map_or(Timestamp(u64::MAX), |e| e.moment());
            if rc.paid_at <= due {
                add(&mut ps.paid_on_time_wad, rc.amount_wad);
            } else {
                add(&mut ps.paid_late_wad, rc.amount_wad);
                if let Some(e) = r.content.epoch {
                    if !ps.late_epochs.contains(&e) {
                        ps.late_epochs.push(e);
                    }
                }
            }
        }
        for (prime, amount) in penalty_prime.values() {
            if *prime == p.name {
                add(&mut ps.penalties_wad, *amount);
            }
        }
        for r in &forgiveness {
            let Ok(f) = serde_json::from_value::<payload::Forgiveness>(r.content.payload.clone())
            else {
                continue;
            };
            if penalty_prime
                .get(&f.penalty)
                .is_some_and(|(pr, _)| *pr == p.name)
            {
                add(&mut ps.forgiven_wad, f.amount_wad);
            }
        }
        if let Some(l) = locations.iter().find(|l| l.prime == p.name) {
            ps.legacy_debt_wad = l.legacy_debt_wad;
            ps.vault_principal_wad = l.vault_principal_wad;
            ps.migration = l.migration.to_string();
        }
        migrations.insert(p.name.clone(), ps.migration.clone());
        primes.push(ps);
    }
    let generator_book = match generator_view(chain, book, GeneratorView::Book) {
        Some(GeneratorAnswer::Book(b)) => b,
        _ => {
            return Err(SimError::Setup(
                "the Generator registry answers no book".into(),
            ))
        }
    };
    let liquidity_buffer = match generator_view(chain, book, GeneratorView::LiquidityBuffer) {
        Some(GeneratorAnswer::LiquidityBuffer(b)) => Some(b),
        _ => None,
    };
    let compatibility_set = match generator_view(chain, book, GeneratorView::CompatibilitySet) {
        Some(GeneratorAnswer::CompatibilitySet { ilks }) => ilks,
        _ => Vec::new(),
    };
    let srusds = if s.lcts.is_some() {
        let info = match chain.view(book.a("hs"), &Query::HoldingSystem(HoldingSystemView::Info)) {
            Ok(Answer::HoldingSystem(HoldingSystemAnswer::Info(i))) => Some(i),
            _ => None,
        };
        let waiting = |q: &str| match chain.view(book.a(q), &Query::LctsQueue(LctsQueueView::Queue))
        {
            Ok(Answer::LctsQueue(LctsQueueAnswer::Queue(q))) => {
                q.generation.map_or(Wad::ZERO, |g| g.total_underlying_wad)
            }
            _ => Wad::ZERO,
        };
        let lcts_records = records(syn, Kind::LctsSettlement, None)?.len() as u64;
        info.map(|i| SrUsdsSummary {
            exchange_rate_wad: i.exchange_rate_wad,
            holding_susds_wad: i.holding_susds_wad,
            srusds_supply_wad: i.srusds_supply_wad,
            backing_ratio_wad: i.backing_ratio_wad,
            backed: i.backed,
            subscribe_waiting_susds_wad: waiting("subscribe_q"),
            redeem_waiting_srusds_wad: waiting("redeem_q"),
            lcts_settlement_records: lcts_records,
            lpha_lcts_running: lcts_records > 0,
        })
    } else {
        None
    };
    let mut checker_findings: BTreeMap<String, u64> = BTreeMap::new();
    for r in &reports {
        if let Ok(v) =
            serde_json::from_value::<payload::VerificationReport>(r.content.payload.clone())
        {
            for f in v.findings {
                *checker_findings
                    .entry(format!("{}/{}", f.check, f.status))
                    .or_default() += 1;
            }
        }
    }
    let mut incidents_recorded: BTreeMap<String, u64> = BTreeMap::new();
    for r in &incidents {
        if let Ok(i) = serde_json::from_value::<payload::Incident>(r.content.payload.clone()) {
            *incidents_recorded.entry(i.kind).or_default() += 1;
        }
    }
    // Relayer compromises: what left the Prime's proxy for the market in the compromise window.
    let mut compromises = Vec::new();
    let log = chain.events_since(0);
    for i in &s.incidents {
        let Incident::RelayerCompromise(x) = i else {
            continue;
        };
        if x.epoch > last {
            continue;
        }
        let Some((from, frozen)) = plan::compromise(s, x.epoch, &x.prime) else {
            continue;
        };
        let (usds, proxy, market) = (
            book.a("usds"),
            book.a(&format!("{}_proxy", x.prime)),
            book.a("market"),
        );
        let mut moved = Wad::ZERO;
        for e in log
            .iter()
            .filter(|e| e.contract == usds && e.block_time >= from && e.block_time < frozen)
        {
            if let EventKind::Erc20(TokenEvent::Transfer {
                from: f,
                to,
                value_wad: amount,
            }) = &e.kind
            {
                if *f == proxy && *to == market {
                    add(&mut moved, *amount);
                }
            }
        }
        let p = s.primes.iter().find(|p| p.name == x.prime);
        let bound =
            p.and_then(|p| p.market_limit.limit("market_limit").ok())
                .map_or(Wad::MAX, |l| {
                    Wad::from_raw(l.max_amount.raw().saturating_add(
                        l.slope.raw().saturating_mul(U256::from(frozen.0 - from.0)),
                    ))
                });
        compromises.push(CompromiseSummary {
            prime: x.prime.clone(),
            epoch: x.epoch,
            from,
            frozen_at: frozen,
            moved_wad: moved,
            bound_wad: bound,
            within_bound: moved <= bound,
        });
    }
    let tip = syn.tip_for(&[])?;
    let mut executed = 0;
    let mut e = s.start;
    for i in 0..opts.days {
        if cal.settles_on_time(e) || cal.undocumented.contains(&e) {
            executed += 1;
        }
        if i + 1 < opts.days {
            e = e.next().unwrap_or(e);
        }
    }
    let transactions = log.last().map_or(0, |e| e.tx_index + 1);
    Ok(Summary {
        scenario: s.name.clone(),
        seed: opts.seed,
        days: opts.days,
        first_epoch: s.start,
        last_epoch: last,
        executed_epochs: executed,
        skipped_epochs: cal
            .documented
            .keys()
            .copied()
            .filter(|e| *e <= last)
            .collect(),
        missed_epochs: cal
            .undocumented
            .iter()
            .copied()
            .filter(|e| *e <= last)
            .collect(),
        primes,
        generator_book,
        liquidity_buffer,
        srusds,
        migrations,
        compatibility_set,
        checker_findings,
        verification_reports: reports.len() as u64,
        compromises,
        incidents_recorded,
        transactions,
        state_digest: chain.digest(),
        synome_head: tip.head,
        synome_records: tip.position,
        this_process: ProcessStats {
            outcomes: stats.outcomes.clone(),
            guard_refusals: stats.refused,
            skipped_as_already_applied: stats.skipped_on_resume,
        },
    })
}
