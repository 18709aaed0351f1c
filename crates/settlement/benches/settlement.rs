//! Settlement throughput (issue targets, single thread, release):
//! - integrals + five-step statements ≥ 10,000,000 balance-change events/s
//! - 1,000 Primes × 10,000 events each < 2 s including parsing (binary; JSON lines reported)
//!
//! Also prints in-memory bytes per event.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use laniakea_settlement::histories::{
    apply, parse_binary, parse_json_lines, write_binary, Record, Series,
};
use laniakea_settlement::{inputs, BalanceHistory};
use laniakea_units::{format_decimal, Timestamp, U256};

const PRIMES: usize = 1000;
const EVENTS: usize = 10_000;

fn base_inputs() -> inputs::EpochInputs {
    inputs::parse(
        r#"{"deployment_start": "2026-01-01T00:00:00Z", "epoch": "2026-01-02",
            "rates": {"base_rate_apr": "0.05", "ssr_apr": "0.045"}}"#,
    )
    .unwrap()
}

fn records(start: u64) -> Vec<Record> {
    // Deterministic pseudo-random balances (xorshift), one change every 8 s.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..PRIMES)
        .map(|p| {
            let changes = (0..EVENTS)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (
                        Timestamp(start + 8 * i as u64),
                        U256::from(x % 1_000_000_000) * U256::from(1_000_000_000_000u64),
                    )
                })
                .collect();
            Record {
                prime: format!("p{p:04}"),
                series: Series::DebtVault,
                history: BalanceHistory::new(U256::ZERO, changes).unwrap(),
            }
        })
        .collect()
}

fn to_json_lines(recs: &[Record]) -> String {
    let mut s = String::new();
    for r in recs {
        s.push_str(&format!(
            "{{\"prime\":\"{}\",\"series\":\"{}\",\"initial\":\"0\",\"changes\":[",
            r.prime,
            r.series.name()
        ));
        for (i, (t, v)) in r.history.changes().iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&format!("[{},\"{}\"]", t.0, format_decimal(*v, 18)));
        }
        s.push_str("]}\n");
    }
    s
}

fn bench(c: &mut Criterion) {
    let base = base_inputs();
    let recs = records(base.window.start.0);
    let bin = write_binary(&recs).unwrap();
    let jsonl = to_json_lines(&recs);
    let mut prepared = base.clone();
    apply(&mut prepared, recs.clone());
    let total = (PRIMES * EVENTS) as u64;

    let mut g = c.benchmark_group("settlement");
    g.sample_size(10);
    g.throughput(Throughput::Elements(total));
    g.bench_function("integrals+statements (10M events, in memory)", |b| {
        b.iter(|| prepared.compute().unwrap())
    });
    g.bench_function(
        "parse binary + integrals + statements (1000 primes x 10k events)",
        |b| {
            b.iter(|| {
                let mut inp = base.clone();
                apply(&mut inp, parse_binary(&bin).unwrap());
                inp.compute().unwrap()
            })
        },
    );
    g.bench_function(
        "parse JSON lines + integrals + statements (1000 primes x 10k events)",
        |b| {
            b.iter(|| {
                let mut inp = base.clone();
                apply(&mut inp, parse_json_lines(&jsonl).unwrap());
                inp.compute().unwrap()
            })
        },
    );
    g.finish();
    println!(
        "in-memory bytes per balance-change event: {} (Timestamp u64 + U256 balance); binary input {} bytes/event; JSON lines {} bytes/event",
        std::mem::size_of::<(Timestamp, U256)>(),
        bin.len() / PRIMES / EVENTS,
        jsonl.len() / PRIMES / EVENTS
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
