//! Journal speed (issue 14 item 4: "resume after a kill in < 1 s plus the replay time"):
//! - `open/genesis-only`: opening an empty journal (genesis build, no rows) — the fixed cost;
//! - `open/replay-2000`: opening a journal of 2,000 workload transactions (genesis + replay with
//!   hash checks) — the replay rate is 2,000 / (this − the fixed cost);
//! - `submit/durable-1`: one journaled transaction (execute + fsync'd SQLite commit);
//! - `submit/durable-batch-100`: 100 transactions in one commit.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use laniakea_journal::testkit::{genesis, workload_tx};
use laniakea_journal::JournaledChain;
use std::path::Path;

fn filled(path: &Path, n: u64) {
    let mut c = JournaledChain::open_sqlite(path, genesis()).unwrap();
    while c.len() < n {
        let batch: Vec<_> = (c.len()..(c.len() + 500).min(n))
            .map(|i| (workload_tx(&c, i), format!("w#{i}")))
            .collect();
        c.try_submit_batch(batch).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    filled(&empty, 0);
    let full = dir.path().join("full.db");
    filled(&full, 2_000);

    let mut g = c.benchmark_group("open");
    g.sample_size(10);
    g.bench_function("genesis-only", |b| {
        b.iter(|| {
            JournaledChain::open_sqlite(&empty, genesis())
                .unwrap()
                .len()
        })
    });
    g.throughput(Throughput::Elements(2_000));
    g.bench_function("replay-2000", |b| {
        b.iter(|| JournaledChain::open_sqlite(&full, genesis()).unwrap().len())
    });
    g.finish();

    let mut g = c.benchmark_group("submit");
    g.sample_size(20);
    let live = dir.path().join("live.db");
    let mut chain = JournaledChain::open_sqlite(&live, genesis()).unwrap();
    g.throughput(Throughput::Elements(1));
    g.bench_function("durable-1", |b| {
        b.iter(|| {
            let i = chain.len();
            let tx = workload_tx(&chain, i);
            chain.try_submit_tagged(tx, "").unwrap();
        })
    });
    g.throughput(Throughput::Elements(100));
    g.bench_function("durable-batch-100", |b| {
        b.iter(|| {
            let batch: Vec<_> = (chain.len()..chain.len() + 100)
                .map(|i| (workload_tx(&chain, i), String::new()))
                .collect();
            chain.try_submit_batch(batch).unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
