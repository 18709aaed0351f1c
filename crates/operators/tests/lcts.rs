//! lpha-lcts over several epochs of a small system (the operators' fixture plus an srUSDS
//! Holding System with both LCTS queues): a plain subscription epoch, a netting epoch at an
//! exchange rate ≠ 1, a skipped weekend (queues stay ACTIVE), an epoch with no governance
//! inputs (fallback to the previous epoch's), netting only when nothing was ever published;
//! a beacon stopped after every chain action in turn, or between signing and storing its
//! record, resumes to the same chain digest and the same Synome record hashes; the checker's
//! LCTS check finds everything `ok`, and each injected fault (a missing record, a tampered
//! record, a backing breach, a mutation while LOCKED) shows with its code and nothing else.
#![allow(clippy::unwrap_used, clippy::result_large_err)]

mod common;
#[path = "lcts_fixture/mod.rs"]
mod lcts_fixture;

use alloy_primitives::{Address, B256};
use common::*;
use laniakea_chain::families::holding_system::{
    HoldingInfo, HoldingSystemAnswer, HoldingSystemView,
};
use laniakea_chain::families::lcts_queue::{
    LctsEvent, LctsQueueAnswer, LctsQueueView, QueueStatus,
};
use laniakea_chain::{Answer, Chain, Engine, EngineError, Event, EventKind, Query, Receipt, Tx};
use laniakea_operators::checker::{Checker, Finding, Status};
use laniakea_operators::lcts::{check_epoch, Progress};
use laniakea_settlement::calendar::Calendar;
use laniakea_settlement::EpochId;
use laniakea_synome::record::payload::LctsSettlement;
use laniakea_synome::{Draft, Kind, Query as SQuery, Store, Synome};
use laniakea_units::{Timestamp, Wad};
use lcts_fixture::*;

fn e(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

const USERS: [&str; 3] = ["alice", "bob", "carol"];

fn holding(c: &dyn Chain, hs: Address) -> HoldingInfo {
    match c
        .view(hs, &Query::HoldingSystem(HoldingSystemView::Info))
        .unwrap()
    {
        Answer::HoldingSystem(HoldingSystemAnswer::Info(i)) => *i,
        a => panic!("{a:?}"),
    }
}

fn queue_status(c: &dyn Chain, q: Address) -> QueueStatus {
    match c.view(q, &Query::LctsQueue(LctsQueueView::Queue)).unwrap() {
        Answer::LctsQueue(LctsQueueAnswer::Queue(i)) => i.status,
        a => panic!("{a:?}"),
    }
}

fn srusds_of(s: &Sys, who: &str) -> Wad {
    match s
        .e
        .view(
            s.a("srusds"),
            &Query::Erc20(laniakea_chain::families::token::TokenView::BalanceOf {
                account: s.a(who),
            }),
        )
        .unwrap()
    {
        Answer::Erc20(laniakea_chain::families::token::TokenAnswer::Balance { balance }) => balance,
        a => panic!("{a:?}"),
    }
}

// ---- a chain that dies: the process stops before the (k+1)-th action reaches the chain -------

struct Crashy<'a> {
    e: &'a mut Engine,
    /// Submits still allowed before the crash (`None`: never crash).
    left: &'a mut Option<usize>,
}

impl Chain for Crashy<'_> {
    fn now(&self) -> Timestamp {
        self.e.now()
    }
    fn view(&self, to: Address, q: &Query) -> laniakea_chain::CallResult<Answer> {
        self.e.view(to, q)
    }
    fn events_since(&self, cursor: u64) -> Vec<Event> {
        Chain::events_since(&*self.e, cursor)
    }
    fn submit(&mut self, tx: Tx) -> Result<Receipt, EngineError> {
        match self.left {
            Some(0) => {
                *self.left = None; // crash once
                Err(EngineError::TimeWentBackwards {
                    current: self.e.now(),
                    requested: tx.at,
                })
            }
            Some(n) => {
                *n -= 1;
                self.e.submit(tx)
            }
            None => self.e.submit(tx),
        }
    }
}

/// How a scenario run is disturbed.
#[derive(Clone, Copy, Default)]
struct Faults {
    /// Crash before the (k+1)-th beacon chain action of the run (then restart the beacon).
    crash_after_actions: Option<usize>,
    /// In every executed epoch, sign the record and drop it before storing (then restart).
    sign_then_crash: bool,
    /// Leave the record of this epoch out.
    no_record: Option<&'static str>,
    /// Replace the record of this epoch by one with `redeem_output_susds_wad` one wei higher.
    tamper: Option<&'static str>,
    /// Never publish any LCTS governance input.
    no_governance: bool,
}

struct Run {
    s: Sys,
    db: Db,
    /// epoch → progress of its last beacon run
    progress: Vec<(EpochId, Progress)>,
    restarts: usize,
    /// Records signed and dropped before storing (a crash).
    signed: Vec<B256>,
    /// Holding System before/after the netting epoch's settle.
    netting_before_after: Option<(HoldingInfo, HoldingInfo)>,
}

impl Run {
    /// Runs the beacon for `epoch` at the chain's time, restarting it after an injected crash.
    fn beacon_at(&mut self, epoch: EpochId, f: &Faults, crash: &mut Option<usize>) -> Progress {
        loop {
            let b = beacon(&self.s, &self.db);
            let mut c = Crashy {
                e: &mut self.s.e,
                left: crash,
            };
            let skip_record = f.no_record.is_some_and(|x| e(x) == epoch)
                || f.tamper.is_some_and(|x| e(x) == epoch);
            let result = if skip_record && c.now() >= epoch.moment() {
                b.lock(&mut c, &mut self.db.syn, epoch)
                    .and_then(|_| b.settle(&mut c, &mut self.db.syn, epoch))
                    .map(|txs| Progress::Locked { txs })
            } else {
                b.run_epoch(&mut c, &mut self.db.syn, epoch)
            };
            match result {
                Ok(p) => return p,
                Err(err) if err.code() == "guard/chain" => {
                    self.restarts += 1;
                    continue;
                }
                Err(err) => panic!("{epoch}: {}: {err}", err.code()),
            }
        }
    }

    fn epoch(&mut self, epoch: &str, f: &Faults, crash: &mut Option<usize>) {
        let d = e(epoch);
        self.s.warp(d.lock());
        let p = self.beacon_at(d, f, crash);
        self.progress.push((d, p));
        self.s.warp(d.moment());
        if f.sign_then_crash {
            // Settle, then sign the record and "die" before storing it.
            let b = beacon(&self.s, &self.db);
            b.settle(&mut self.s.e, &mut self.db.syn, d).unwrap();
            if let Some(draft) = b.draft(&self.s.e, &mut self.db.syn, d).unwrap() {
                let mut tip = self.db.syn.tip().unwrap();
                let signed = b.writer.seal_one(&mut tip, draft).unwrap();
                self.signed.push(signed.id);
                self.restarts += 1;
            }
        }
        let before = holding(&self.s.e, self.s.a("hs"));
        let p = self.beacon_at(d, f, crash);
        if epoch == "2026-01-02" {
            self.netting_before_after = Some((before, holding(&self.s.e, self.s.a("hs"))));
        }
        if f.tamper.is_some_and(|x| e(x) == d) {
            let b = beacon(&self.s, &self.db);
            let draft = b.draft(&self.s.e, &mut self.db.syn, d).unwrap().unwrap();
            let mut payload = draft.payload.clone();
            let v: Wad =
                serde_json::from_value(payload["redeem_output_susds_wad"].clone()).unwrap();
            payload["redeem_output_susds_wad"] =
                serde_json::to_value(Wad::from_raw(v.raw() + laniakea_units::U256::from(1u8)))
                    .unwrap();
            let forged = Draft::new(
                draft.kind,
                &draft.subject,
                draft.created_at,
                draft.provenance,
                payload,
            )
            .epoch(d);
            self.db.syn.write(&b.writer, vec![forged]).unwrap();
        }
        self.progress.push((d, p));
    }
}

/// Thu 01-01 subscriptions; Fri 01-02 netting at xr ≠ 1; Sat/Sun skipped (entries still
/// accepted); Mon 01-05 no inputs published (fallback to Friday's).
fn scenario(f: Faults) -> Run {
    let mut s = lcts_sys(&USERS.map(String::from), 1_000_000);
    let mut db = lcts_db();
    let mut crash = f.crash_after_actions;
    if !f.no_governance {
        publish(
            &mut db,
            at("2026-01-01T08:00:00Z"),
            "2026-01-01",
            "500000",
            "100000",
        );
    }
    enter(
        &mut s,
        "alice",
        "subscribe_q",
        at("2026-01-01T09:00:00Z"),
        wad(600_000),
    );
    enter(
        &mut s,
        "bob",
        "subscribe_q",
        at("2026-01-01T09:30:00Z"),
        wad(200_000),
    );
    let mut r = Run {
        s,
        db,
        progress: Vec::new(),
        restarts: 0,
        signed: Vec::new(),
        netting_before_after: None,
    };
    r.epoch("2026-01-01", &f, &mut crash);
    // Friday: alice redeems part of her srUSDS; carol subscribes; inputs published Thursday
    // evening (inside no window: they take effect at Friday's 16:00).
    if !f.no_governance {
        publish(
            &mut r.db,
            at("2026-01-01T17:00:00Z"),
            "2026-01-02",
            "20000",
            "10000",
        );
    }
    r.db.skip(at("2026-01-02T09:00:00Z"), "2026-01-03");
    r.db.skip(at("2026-01-02T09:00:00Z"), "2026-01-04");
    claim(&mut r.s, "alice", "subscribe_q", at("2026-01-02T09:00:00Z"));
    let alice_sr = srusds_of(&r.s, "alice");
    assert_eq!(alice_sr.is_zero(), f.no_governance);
    if !f.no_governance {
        enter(
            &mut r.s,
            "alice",
            "redeem_q",
            at("2026-01-02T10:00:00Z"),
            wad(100_000),
        );
    }
    enter(
        &mut r.s,
        "carol",
        "subscribe_q",
        at("2026-01-02T11:00:00Z"),
        wad(50_000),
    );
    r.epoch("2026-01-02", &f, &mut crash);
    // The weekend: skipped; an entry on Saturday is accepted (the queue is ACTIVE).
    for day in ["2026-01-03", "2026-01-04"] {
        if day == "2026-01-03" {
            claim(&mut r.s, "bob", "subscribe_q", at("2026-01-03T10:00:00Z"));
            if !f.no_governance {
                enter(
                    &mut r.s,
                    "bob",
                    "redeem_q",
                    at("2026-01-03T11:00:00Z"),
                    wad(5_000),
                );
            }
        } else {
            enter(
                &mut r.s,
                "carol",
                "subscribe_q",
                at("2026-01-04T11:00:00Z"),
                wad(1_000),
            );
        }
        r.s.warp(e(day).lock());
        let p = r.beacon_at(e(day), &f, &mut crash);
        assert_eq!(p, Progress::Skipped);
        r.s.warp(e(day).moment());
        assert_eq!(r.beacon_at(e(day), &f, &mut crash), Progress::Skipped);
        r.progress.push((e(day), p));
    }
    // Monday: nothing published for 01-05 → Friday's inputs.
    r.epoch("2026-01-05", &f, &mut crash);
    r
}

fn lcts_records<S: Store>(syn: &mut Synome<S>) -> Vec<(EpochId, LctsSettlement, B256)> {
    let (recs, _) = syn
        .list(&SQuery {
            kind: Some(Kind::LctsSettlement),
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    recs.into_iter()
        .map(|r| {
            (
                r.content.epoch.unwrap(),
                serde_json::from_value(r.content.payload.clone()).unwrap(),
                r.id,
            )
        })
        .collect()
}

fn all_ids<S: Store>(syn: &mut Synome<S>) -> Vec<B256> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (recs, next) = syn
            .list(&SQuery {
                after,
                limit: 1000,
                ..Default::default()
            })
            .unwrap();
        out.extend(recs.into_iter().map(|r| r.id));
        match next {
            Some(n) => after = n,
            None => break,
        }
    }
    out
}

fn calendar(db: &mut Db) -> Calendar {
    let (cal, _) = laniakea_operators::governance::calendar(&mut db.syn, Timestamp(START)).unwrap();
    cal
}

fn not_ok(fs: &[Finding]) -> Vec<(&'static str, Status, String)> {
    fs.iter()
        .filter(|f| f.status != Status::Ok)
        .map(|f| (f.check, f.status, f.evidence.clone()))
        .collect()
}

fn settle_events(
    c: &dyn Chain,
    q: Address,
) -> Vec<(Timestamp, laniakea_chain::families::lcts_queue::LctsSettled)> {
    c.events_since(0)
        .into_iter()
        .filter(|ev| ev.contract == q)
        .filter_map(|ev| match ev.kind {
            EventKind::LctsQueue(LctsEvent::LctsSettle(s)) => Some((ev.block_time, *s)),
            _ => None,
        })
        .collect()
}

#[test]
fn one_record_per_executed_epoch_with_netting_fallback_and_a_skipped_weekend() {
    let mut r = scenario(Faults::default());
    let recs = lcts_records(&mut r.db.syn);
    let epochs: Vec<EpochId> = recs.iter().map(|x| x.0).collect();
    assert_eq!(
        epochs,
        vec![e("2026-01-01"), e("2026-01-02"), e("2026-01-05")]
    );
    let fallback: Vec<(&str, Option<EpochId>)> = recs
        .iter()
        .map(|x| (x.1.fallback_used.as_str(), x.1.governance_epoch))
        .collect();
    assert_eq!(
        fallback,
        vec![
            ("none", Some(e("2026-01-01"))),
            ("none", Some(e("2026-01-02"))),
            ("previous-epoch-inputs", Some(e("2026-01-02"))),
        ]
    );
    // The record and the chain agree to the wei, epoch by epoch and queue by queue.
    let sub = settle_events(&r.s.e, r.s.a("subscribe_q"));
    let red = settle_events(&r.s.e, r.s.a("redeem_q"));
    for (epoch, p, _) in &recs {
        let s = sub.iter().find(|(t, _)| *t == epoch.moment()).unwrap();
        assert_eq!(
            (s.1.converted_wad, s.1.output_wad),
            (
                p.subscribe_converted_susds_wad,
                p.subscribe_output_srusds_wad
            ),
            "{epoch}"
        );
        match red.iter().find(|(t, _)| *t == epoch.moment()) {
            Some(x) => assert_eq!(
                (x.1.converted_wad, x.1.output_wad),
                (p.redeem_converted_srusds_wad, p.redeem_output_susds_wad),
                "{epoch}"
            ),
            None => {
                assert!(p.redeem_converted_srusds_wad.is_zero() && p.redeem_generation.is_none())
            }
        }
        assert!(
            p.rate_after_wad > p.rate_before_wad,
            "{epoch}: the premium raised the rate"
        );
        assert_eq!(p.settled_at, epoch.moment());
    }
    // Netting on Friday at xr ≠ 1: all 100,000 srUSDS redeemed against subscriptions; the
    // Holding System's sUSDS moves by exactly what the record says (in − out) and the srUSDS
    // supply by (minted − burned); the matched part costs it nothing.
    let fri = &recs[1].1;
    assert_ne!(fri.rate_after_wad, Wad::parse("1").unwrap());
    assert_eq!(fri.capacity["netting"]["limit"], "redeem-side");
    assert_eq!(fri.redeem_converted_srusds_wad, wad(100_000));
    let matched: Wad =
        serde_json::from_value(fri.capacity["netting"]["matched_susds_wad"].clone()).unwrap();
    assert_eq!(
        fri.redeem_output_susds_wad, matched,
        "redeemers receive the matched sUSDS"
    );
    assert_eq!(
        fri.subscribe_converted_susds_wad.raw(),
        matched.raw() + wad(20_000).raw(),
        "matched + Friday's OSRC capacity"
    );
    let (before, after) = r.netting_before_after.clone().unwrap();
    assert_eq!(
        after.holding_susds_wad.raw() + fri.redeem_output_susds_wad.raw(),
        before.holding_susds_wad.raw() + fri.subscribe_converted_susds_wad.raw()
    );
    assert_eq!(
        after.srusds_supply_wad.raw() + fri.redeem_converted_srusds_wad.raw(),
        before.srusds_supply_wad.raw() + fri.subscribe_output_srusds_wad.raw()
    );
    assert!(after.backed);
    // The weekend: no lock, the queues stayed ACTIVE (entries were accepted on Sat/Sun), and
    // Monday's lock took them.
    let locks: Vec<Timestamp> =
        r.s.e
            .events_since(0)
            .iter()
            .filter(|ev| matches!(ev.kind, EventKind::LctsQueue(LctsEvent::LctsLock { .. })))
            .map(|ev| ev.block_time)
            .collect();
    assert!(locks.iter().all(|t| *t == e("2026-01-01").lock()
        || *t == e("2026-01-02").lock()
        || *t == e("2026-01-05").lock()));
    assert_eq!(
        locks
            .iter()
            .filter(|t| **t == e("2026-01-05").lock())
            .count(),
        2
    );
    // Monday used Friday's inputs: OSRC capacity 20,000 after netting.
    let mon = &recs[2].1;
    assert_eq!(
        mon.capacity["subscribe"]["capacity_after_netting_susds_wad"],
        "20000"
    );
    // Re-running any epoch is a no-op.
    let digest = r.s.e.digest();
    let ids = all_ids(&mut r.db.syn);
    for d in ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-05"] {
        let b = beacon(&r.s, &r.db);
        let p = b.run_epoch(&mut r.s.e, &mut r.db.syn, e(d)).unwrap();
        assert!(
            matches!(p, Progress::Recorded { txs: 0, .. } | Progress::Skipped),
            "{d}: {p:?}"
        );
    }
    assert_eq!(r.s.e.digest(), digest);
    assert_eq!(all_ids(&mut r.db.syn), ids);
    // The checker's LCTS check: everything ok, every epoch.
    let cal = calendar(&mut r.db);
    for d in [
        "2026-01-01",
        "2026-01-02",
        "2026-01-03",
        "2026-01-04",
        "2026-01-05",
    ] {
        let fs = check_epoch(&r.s.e, &mut r.db.syn, &cal, e(d)).unwrap();
        assert!(!fs.is_empty(), "{d}");
        assert_eq!(not_ok(&fs), vec![], "{d}");
    }
    let sat = check_epoch(&r.s.e, &mut r.db.syn, &cal, e("2026-01-03")).unwrap();
    assert_eq!(
        sat.iter().map(|f| f.check).collect::<Vec<_>>(),
        vec!["lcts-skip"]
    );
}

#[test]
fn a_beacon_stopped_after_each_chain_action_resumes_to_the_same_digest_and_records() {
    let mut clean = scenario(Faults::default());
    let digest = clean.s.e.digest();
    let ids = all_ids(&mut clean.db.syn);
    // Count the beacon's chain actions: 1 lock + update + 1 settle on Thursday; 2 + 1 + 2 on
    // Friday and Monday.
    let actions = clean
        .s
        .e
        .events_since(0)
        .iter()
        .filter(|ev| {
            matches!(
                ev.kind,
                EventKind::LctsQueue(LctsEvent::LctsLock { .. } | LctsEvent::LctsSettle(_))
            ) || matches!(ev.kind.name(), "SrusdsRateUpdated")
        })
        .count();
    assert_eq!(actions, 3 + 5 + 5);
    for k in 0..actions {
        let mut r = scenario(Faults {
            crash_after_actions: Some(k),
            ..Faults::default()
        });
        assert_eq!(r.restarts, 1, "crash before action {k}");
        assert_eq!(r.s.e.digest(), digest, "crash before action {k}");
        assert_eq!(all_ids(&mut r.db.syn), ids, "crash before action {k}");
    }
    // Between signing and storing the record, in every executed epoch.
    let mut r = scenario(Faults {
        sign_then_crash: true,
        ..Faults::default()
    });
    assert_eq!(r.restarts, 3);
    let stored: Vec<B256> = lcts_records(&mut r.db.syn)
        .into_iter()
        .map(|x| x.2)
        .collect();
    assert_eq!(
        r.signed, stored,
        "the restarted beacon stores exactly the record it had signed"
    );
    assert_eq!(r.s.e.digest(), digest);
    assert_eq!(all_ids(&mut r.db.syn), ids);
}

#[test]
fn with_no_governance_inputs_only_netting_converts_and_the_record_says_so() {
    let mut r = scenario(Faults {
        no_governance: true,
        ..Faults::default()
    });
    let recs = lcts_records(&mut r.db.syn);
    assert_eq!(recs.len(), 3);
    for (epoch, p, _) in &recs {
        assert_eq!(p.fallback_used, "netting-only", "{epoch}");
        assert_eq!(p.governance_epoch, None);
        assert_eq!(p.capacity["subscribe"]["bound"], "netting-only");
    }
    // Thursday: nobody redeems, so nothing converts; the generation is ACTIVE again.
    assert!(recs[0].1.subscribe_converted_susds_wad.is_zero());
    assert_eq!(
        queue_status(&r.s.e, r.s.a("subscribe_q")),
        QueueStatus::Active
    );
    let cal = calendar(&mut r.db);
    for d in ["2026-01-01", "2026-01-02", "2026-01-05"] {
        let fs = check_epoch(&r.s.e, &mut r.db.syn, &cal, e(d)).unwrap();
        assert_eq!(not_ok(&fs), vec![], "{d}");
    }
}

#[test]
fn checker_flags_a_missing_record_and_only_that() {
    let mut r = scenario(Faults {
        no_record: Some("2026-01-02"),
        ..Faults::default()
    });
    let cal = calendar(&mut r.db);
    let fs = check_epoch(&r.s.e, &mut r.db.syn, &cal, e("2026-01-02")).unwrap();
    let bad = not_ok(&fs);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!((bad[0].0, bad[0].1), ("lcts-record", Status::Missing));
    for d in ["2026-01-01", "2026-01-05"] {
        assert_eq!(
            not_ok(&check_epoch(&r.s.e, &mut r.db.syn, &cal, e(d)).unwrap()),
            vec![]
        );
    }
}

#[test]
fn checker_flags_a_tampered_record_naming_the_field_and_only_that() {
    let mut r = scenario(Faults {
        tamper: Some("2026-01-05"),
        ..Faults::default()
    });
    let cal = calendar(&mut r.db);
    let fs = check_epoch(&r.s.e, &mut r.db.syn, &cal, e("2026-01-05")).unwrap();
    let bad = not_ok(&fs);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!((bad[0].0, bad[0].1), ("lcts-record", Status::Mismatch));
    assert!(
        bad[0].2.contains("`redeem_output_susds_wad`"),
        "{}",
        bad[0].2
    );
}

/// A chain that lies: the Holding System's sUSDS halved in its view, or a fake entry into a
/// LOCKED generation in its log.
struct Lying<'a> {
    e: &'a Engine,
    hs: Address,
    fake_event: Option<Event>,
}

impl Chain for Lying<'_> {
    fn now(&self) -> Timestamp {
        self.e.now()
    }
    fn view(&self, to: Address, q: &Query) -> laniakea_chain::CallResult<Answer> {
        let a = self.e.view(to, q)?;
        if to == self.hs && self.fake_event.is_none() {
            if let Answer::HoldingSystem(HoldingSystemAnswer::Info(mut i)) = a {
                i.holding_susds_wad =
                    Wad::from_raw(i.holding_susds_wad.raw() / laniakea_units::U256::from(2u8));
                return Ok(Answer::HoldingSystem(HoldingSystemAnswer::Info(i)));
            }
        }
        Ok(a)
    }
    fn events_since(&self, cursor: u64) -> Vec<Event> {
        let mut log = Chain::events_since(self.e, cursor);
        if let Some(f) = &self.fake_event {
            let pos = log
                .iter()
                .position(|ev| ev.seq > f.seq)
                .unwrap_or(log.len());
            log.insert(pos, f.clone());
        }
        log
    }
    fn submit(&mut self, _tx: Tx) -> Result<Receipt, EngineError> {
        unreachable!("the checker never submits")
    }
}

#[test]
fn checker_flags_a_backing_breach_and_a_mutation_while_locked() {
    let mut r = scenario(Faults::default());
    let cal = calendar(&mut r.db);
    let hs = r.s.a("hs");
    let lying = Lying {
        e: &r.s.e,
        hs,
        fake_event: None,
    };
    let fs = check_epoch(&lying, &mut r.db.syn, &cal, e("2026-01-05")).unwrap();
    let bad = not_ok(&fs);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(
        (bad[0].0, bad[0].1),
        ("lcts-backing", Status::BackingBreach)
    );
    // A user "entering" Monday's locked subscribe generation at 14:00 (right after its lock).
    let q = r.s.a("subscribe_q");
    let lock =
        r.s.e
            .events_since(0)
            .iter()
            .find(|ev| {
                ev.contract == q
                    && ev.block_time == e("2026-01-05").lock()
                    && matches!(ev.kind, EventKind::LctsQueue(LctsEvent::LctsLock { .. }))
            })
            .unwrap()
            .clone();
    let EventKind::LctsQueue(LctsEvent::LctsLock { generation, .. }) = lock.kind else {
        unreachable!()
    };
    let fake = Event {
        seq: lock.seq + 1,
        block_time: at("2026-01-05T14:00:00Z"),
        tx_index: lock.tx_index,
        contract: q,
        kind: EventKind::LctsQueue(LctsEvent::LctsEnter {
            user: r.s.a("carol"),
            generation,
            underlying_wad: wad(1),
            shares_wad: wad(1),
        }),
    };
    let lying = Lying {
        e: &r.s.e,
        hs,
        fake_event: Some(fake),
    };
    let fs = check_epoch(&lying, &mut r.db.syn, &cal, e("2026-01-05")).unwrap();
    let bad = not_ok(&fs);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(
        (bad[0].0, bad[0].1),
        ("lcts-locked", Status::UnexpectedMutation)
    );
    assert!(bad[0].2.contains("LctsEnter"), "{}", bad[0].2);
}

/// The hook: the lpla-checker's report of an epoch carries the LCTS findings (and the
/// lpha-lcts lock at 13:00 is not an unexpected mutation of the window).
#[test]
fn the_checker_report_carries_the_lcts_findings() {
    for tamper in [None, Some("2026-01-02")] {
        let mut r = scenario(Faults {
            tamper,
            ..Faults::default()
        });
        let mut op = r.s.operator(&r.db);
        for d in ["2026-01-01", "2026-01-02", "2026-01-05"] {
            op.post_statements(&r.s.e, &mut r.db.syn, e(d)).unwrap();
        }
        let checker = Checker {
            deployment_start: Timestamp(START),
            deployment: r.s.deployment(),
            writer: r.db.checker.clone(),
        };
        let fs = checker
            .check(&r.s.e, &mut r.db.syn, e("2026-01-02"))
            .unwrap();
        assert!(fs.iter().any(|f| f.check == "lcts-record"));
        let bad = not_ok(&fs);
        match tamper {
            None => assert_eq!(bad, vec![]),
            Some(_) => {
                assert_eq!(bad.len(), 1, "{bad:?}");
                assert_eq!((bad[0].0, bad[0].1), ("lcts-record", Status::Mismatch));
            }
        }
    }
}
