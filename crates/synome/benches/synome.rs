//! Synome throughput (issue targets, this machine):
//! - signed appends into SQLite ≥ 5,000 records/s (batched per epoch, signing included)
//! - verify ≥ 10,000 records/s
//! - the same two figures for PostgreSQL when DATABASE_URL is set
//!
//! A plain timing harness (criterion does not fit a store that grows with every iteration):
//! each figure is the median of 3 runs over 20,000 records in batches of 1,000. The machine
//! has 2 cores shared with other work: figures are noisy.
#![allow(clippy::unwrap_used)]

use laniakea_synome::postgres::PgStore;
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::{Draft, Kind, Provenance, Role, Signer, Store, Synome, Writer};
use laniakea_units::EpochId;
use laniakea_units::Timestamp;
use serde_json::json;
use std::time::Instant;

const N: usize = 20_000;
const BATCH: usize = 1_000;

fn fill<S: Store>(db: &mut Synome<S>) -> (f64, f64, f64, f64) {
    let council = Writer::new(Signer::demo("bench-council"), Role::CoreCouncil);
    let op = Writer::new(Signer::demo("bench-operator"), Role::Operator);
    let mut tip = db.tip().unwrap();
    let setup = council
        .seal(
            &mut tip,
            vec![
                Draft::new(
                    Kind::Genesis,
                    "global",
                    Timestamp(0),
                    Provenance::GovernanceDirected,
                    json!({"core_council": council.signer.address(), "deployment": "bench", "demo_key": "bench-council"}),
                ),
                Draft::new(
                    Kind::RoleGrant,
                    "global",
                    Timestamp(1),
                    Provenance::GovernanceDirected,
                    json!({"role": "operator", "address": op.signer.address(), "demo_key": "bench-operator"}),
                ),
            ],
        )
        .unwrap();
    db.append_batch(&setup).unwrap();
    let epoch = EpochId::parse("2026-01-05").unwrap();
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    for b in 0..N / BATCH {
        let drafts = (0..BATCH)
            .map(|i| {
                let n = b * BATCH + i;
                Draft::new(
                    Kind::PaymentReceipt,
                    &format!("prime:p{}", n % 100),
                    Timestamp(1_767_628_800 + n as u64),
                    Provenance::SystemDerived,
                    json!({"prime": format!("p{}", n % 100), "payer": "prime", "tx": format!("0x{n:x}"), "amount_wad": "505.609589041095890411", "paid_at": 1_767_628_000 + n, "obligation": format!("2026-01-05/p{}/1", n % 100)}),
                )
                .epoch(epoch)
            })
            .collect();
        // One batch per epoch: read the heads, seal (signing on all cores), append.
        let mut tip = db.tip_for(&[op.signer.address()]).unwrap();
        let batch = op.seal(&mut tip, drafts).unwrap();
        db.append_batch(&batch).unwrap();
    }
    let append = N as f64 / t.elapsed().as_secs_f64();
    let cpu1 = cpu_seconds();
    let t = Instant::now();
    let rep = db.verify(&[]).unwrap();
    assert!(rep.is_ok(), "{rep:?}");
    assert_eq!(rep.records as usize, N + 2);
    let verify = rep.records as f64 / t.elapsed().as_secs_f64();
    let cpu2 = cpu_seconds();
    let per = |a: Option<f64>, b: Option<f64>, n: usize| match (a, b) {
        (Some(a), Some(b)) => (b - a) * 1e6 / n as f64,
        _ => f64::NAN,
    };
    (
        append,
        verify,
        per(cpu0, cpu1, N),
        per(cpu1, cpu2, rep.records as usize),
    )
}

/// CPU seconds this process has used (all threads; Linux `/proc/self/stat`, 100 Hz ticks), or
/// `None` elsewhere. Reported beside wall-clock rates because the machine is shared: CPU time
/// per record moves much less than wall time when other work competes for the cores.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn report(name: &str, runs: Vec<(f64, f64, f64, f64)>) {
    let a = median(runs.iter().map(|r| r.0).collect());
    let v = median(runs.iter().map(|r| r.1).collect());
    let ac = median(runs.iter().map(|r| r.2).collect());
    let vc = median(runs.iter().map(|r| r.3).collect());
    println!("{name}: signed appends {a:.0} records/s (target 5,000: ×{:.2}); verify {v:.0} records/s (target 10,000: ×{:.2}); CPU per record: append {ac:.0} µs, verify {vc:.0} µs", a / 5000.0, v / 10000.0);
}

fn main() {
    let runs = (0..3)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("bench.db");
            let mut db = Synome::new(SqliteStore::create(p.to_str().unwrap()).unwrap());
            fill(&mut db)
        })
        .collect();
    report("sqlite", runs);
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let runs = (0..3)
                .map(|i| {
                    let schema = format!("synome_bench_{}_{i}", std::process::id());
                    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .unwrap();
                    let mut db = Synome::new(PgStore::init(&url, &schema).unwrap());
                    let r = fill(&mut db);
                    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .unwrap();
                    r
                })
                .collect();
            report("postgres", runs);
        }
        _ => println!("postgres: SKIPPED (DATABASE_URL not set)"),
    }
}
