//! One epoch of lpha-lcts with 1,000 LCTS users on the embedded chain, Synome on SQLite:
//! 700 users wait in the subscribe queue and 300 in the redeem queue (netting at an exchange
//! rate ≠ 1); the epoch is the lock at 13:00 (two lock transactions through the guard) and, at
//! 16:00, the rate update, both settles and the signed record — plus, timed apart, the
//! checker's independent LCTS check of the epoch. Prints where the time goes (mean of 10 runs).
#![allow(clippy::unwrap_used, dead_code)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/lcts_fixture/mod.rs"]
mod lcts_fixture;

use common::*;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use laniakea_chain::call::Call;
use laniakea_chain::families::lcts_queue::LctsQueueCall;
use laniakea_operators::lcts::{check_epoch, LctsBeacon, Progress};
use laniakea_settlement::EpochId;
use laniakea_units::Timestamp;
use lcts_fixture::*;
use std::time::{Duration, Instant};

const USERS: usize = 1_000;
const REDEEMERS: usize = 300;

struct Fx {
    s: Sys,
    db: Db,
    b: LctsBeacon,
}

fn day(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

/// Day 1: every user subscribes, everything converts; day 2 (the measured epoch): 300 users
/// redeem part of their srUSDS, the other 700 subscribe again.
fn setup() -> Fx {
    let users: Vec<String> = (0..USERS).map(|i| format!("u{i:04}")).collect();
    let mut s = lcts_sys(&users, 10_000);
    let mut db = lcts_db();
    publish(
        &mut db,
        at("2026-01-01T08:00:00Z"),
        "2026-01-01",
        "100000000",
        "1000000",
    );
    publish(
        &mut db,
        at("2026-01-01T17:00:00Z"),
        "2026-01-02",
        "1000000",
        "1000000",
    );
    for u in &users {
        enter(
            &mut s,
            u,
            "subscribe_q",
            at("2026-01-01T09:00:00Z"),
            wad(5_000),
        );
    }
    let b = beacon(&s, &db);
    let d1 = day("2026-01-01");
    s.warp(d1.lock());
    b.run_epoch(&mut s.e, &mut db.syn, d1).unwrap();
    s.warp(d1.moment());
    assert!(matches!(
        b.run_epoch(&mut s.e, &mut db.syn, d1).unwrap(),
        Progress::Recorded { .. }
    ));
    for (i, u) in users.iter().enumerate() {
        let t = Timestamp(at("2026-01-02T09:00:00Z").0);
        if i < REDEEMERS {
            claim(&mut s, u, "subscribe_q", t);
            let tx = s.tx(
                u,
                t,
                Call::LctsQueue(s.a("redeem_q"), LctsQueueCall::Enter { amount: wad(1_000) }),
            );
            s.run(tx);
        } else {
            enter(&mut s, u, "subscribe_q", t, wad(1_000));
        }
    }
    Fx { s, db, b }
}

/// The measured epoch; returns (lock, settle + record, checker) times.
fn epoch(fx: &mut Fx) -> [Duration; 3] {
    let d = day("2026-01-02");
    fx.s.warp(d.lock());
    let t = Instant::now();
    fx.b.run_epoch(&mut fx.s.e, &mut fx.db.syn, d).unwrap();
    let lock = t.elapsed();
    fx.s.warp(d.moment());
    let t = Instant::now();
    let p = fx.b.run_epoch(&mut fx.s.e, &mut fx.db.syn, d).unwrap();
    let settle = t.elapsed();
    assert!(matches!(p, Progress::Recorded { txs: 3, .. }), "{p:?}");
    let (cal, _) =
        laniakea_operators::governance::calendar(&mut fx.db.syn, Timestamp(START)).unwrap();
    let t = Instant::now();
    let fs = check_epoch(&fx.s.e, &mut fx.db.syn, &cal, d).unwrap();
    let check = t.elapsed();
    assert!(fs
        .iter()
        .all(|f| f.status == laniakea_operators::checker::Status::Ok));
    [lock, settle, check]
}

fn bench(c: &mut Criterion) {
    let mut sum = [Duration::ZERO; 3];
    for _ in 0..10 {
        let mut fx = setup();
        for (s, d) in sum.iter_mut().zip(epoch(&mut fx)) {
            *s += d;
        }
    }
    eprintln!("one lpha-lcts epoch, {USERS} LCTS users, mean of 10 runs:");
    for (l, s) in [
        "lock (13:00)",
        "settle + record (16:00)",
        "checker LCTS check",
    ]
    .iter()
    .zip(sum)
    {
        eprintln!("  {l:<26} {:>8.2} ms", s.as_secs_f64() * 100.0);
    }
    c.bench_function("lcts_epoch_1000_users", |b| {
        b.iter_batched(
            setup,
            |mut fx| {
                let d = day("2026-01-02");
                fx.s.warp(d.lock());
                fx.b.run_epoch(&mut fx.s.e, &mut fx.db.syn, d).unwrap();
                fx.s.warp(d.moment());
                fx.b.run_epoch(&mut fx.s.e, &mut fx.db.syn, d).unwrap();
                fx
            },
            BatchSize::PerIteration,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
