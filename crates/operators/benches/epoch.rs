//! One epoch of 20 Primes on the embedded chain with the Synome on SQLite (issue 13's speed
//! target: < 20 ms single thread, Synome writes included): statements posted, Primes' payments
//! submitted, the Generator's payments through the guard, receipts, penalties, the checker's
//! report and the Prime reports. Also prints, once, where the time goes (mean of 10 runs).
#![allow(clippy::unwrap_used, dead_code)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use laniakea_operators::checker::Checker;
use laniakea_operators::report::Reporter;
use laniakea_operators::settlement::SettlementOperator;
use laniakea_settlement::{Direction, EpochId};
use laniakea_units::Timestamp;
use serde_json::json;
use std::time::{Duration, Instant};

struct Fx {
    s: Sys,
    db: Db,
    op: SettlementOperator,
    checker: Checker,
    reporter: Reporter,
}

fn names() -> Vec<String> {
    (0..20).map(|i| format!("p{i:02}")).collect()
}

fn setup() -> Fx {
    let n = names();
    let refs: Vec<&str> = n.iter().map(|s| s.as_str()).collect();
    let mut s = Sys::with_primes(&refs);
    let mut db = Db::new();
    db.params(
        Timestamp(START - 2 * 86_400),
        json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.12", "penalty_rate_per_hour_wad": "0.001"}),
    );
    s.draw("gen", at("2026-01-01T01:00:00Z"), wad(1_000_000));
    for (i, p) in refs.iter().enumerate() {
        s.draw(p, at("2026-01-01T06:00:00Z"), wad(1_000_000 + i as u64));
    }
    for (i, p) in refs.iter().enumerate() {
        if i % 4 == 0 {
            s.deposit_susds(p, at("2026-01-01T07:00:00Z"), wad(900_000));
        } else {
            s.deploy_out(p, at("2026-01-01T07:00:00Z"), wad(900_000));
        }
    }
    s.warp(EpochId::parse("2026-01-01").unwrap().lock());
    let op = s.operator(&db);
    let checker = Checker {
        deployment_start: Timestamp(START),
        deployment: s.deployment(),
        writer: db.checker.clone(),
    };
    let reporter = Reporter {
        deployment: s.deployment(),
        writer: db.reporter.clone(),
    };
    Fx {
        s,
        db,
        op,
        checker,
        reporter,
    }
}

/// This thread's on-CPU time so far (Linux `/proc/thread-self/schedstat`, first field, ns);
/// zero where unavailable. Separates CPU from waiting (fsync, a loaded machine's run queue).
fn on_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// The epoch; returns the (wall, on-CPU) time of each step.
fn epoch(fx: &mut Fx) -> [(Duration, Duration); 7] {
    let e = EpochId::parse("2026-01-01").unwrap();
    let mut t = Instant::now();
    let mut c = on_cpu();
    let mut lap = || {
        let d = t.elapsed();
        let cpu = on_cpu();
        let dc = cpu.saturating_sub(c);
        t = Instant::now();
        c = cpu;
        (d, dc)
    };
    let (result, _) = fx.op.post_statements(&fx.s.e, &mut fx.db.syn, e).unwrap();
    let post = lap();
    for st in &result.statements {
        if st.direction == Direction::PrimePaysGenerator {
            fx.s.pay_generator(&st.prime, at("2026-01-01T14:00:00Z"), st.amount_due_wad);
        }
    }
    fx.s.warp(at("2026-01-01T14:30:00Z"));
    let prime_pay = lap();
    fx.op
        .pay_generator_side(&mut fx.s.e, &mut fx.db.syn, e)
        .unwrap();
    let gen_pay = lap();
    fx.s.warp(e.moment());
    fx.op.record_receipts(&fx.s.e, &mut fx.db.syn).unwrap();
    let receipts = lap();
    fx.op.record_penalties(&mut fx.s.e, &mut fx.db.syn).unwrap();
    let penalties = lap();
    fx.checker.report(&fx.s.e, &mut fx.db.syn, e).unwrap();
    let check = lap();
    fx.reporter.report(&fx.s.e, &mut fx.db.syn, e).unwrap();
    let report = lap();
    [post, prime_pay, gen_pay, receipts, penalties, check, report]
}

fn bench(c: &mut Criterion) {
    let mut sum = [(Duration::ZERO, Duration::ZERO); 7];
    for run in 0..10 {
        let mut fx = setup();
        let count = |fx: &mut Fx| {
            let q = laniakea_synome::Query {
                limit: 100_000,
                ..Default::default()
            };
            fx.db.syn.list(&q).unwrap().0.len()
        };
        let before = if run == 0 { count(&mut fx) } else { 0 };
        for (s, (d, c)) in sum.iter_mut().zip(epoch(&mut fx)) {
            s.0 += d;
            s.1 += c;
        }
        if run == 0 {
            eprintln!("records written by one epoch: {}", count(&mut fx) - before);
        }
    }
    let labels = [
        "post statements",
        "Primes pay (chain)",
        "Generator pays (guard)",
        "receipts",
        "penalties",
        "checker report",
        "Prime reports",
    ];
    eprintln!("one epoch of 20 Primes, mean of 10 runs (wall, this thread on-CPU):");
    let (mut wall, mut cpu) = (0.0, 0.0);
    for (l, (d, c)) in labels.iter().zip(sum) {
        let (d, c) = (d.as_secs_f64() * 100.0, c.as_secs_f64() * 100.0);
        wall += d;
        cpu += c;
        eprintln!("  {l:<24} {d:>8.2} ms  {c:>8.2} ms on-CPU");
    }
    eprintln!("  {:<24} {wall:>8.2} ms  {cpu:>8.2} ms on-CPU", "epoch");
    c.bench_function("epoch_20_primes", |b| {
        // The fixture is returned so its drop (temp dir removal) is not timed.
        b.iter_batched(
            setup,
            |mut fx| {
                epoch(&mut fx);
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
