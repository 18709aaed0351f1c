//! LCTS throughput (issue 12 targets, single thread, release):
//! - queue `enter` / `exit` ≥ 500,000 operations/s (engine `execute`: journal, events, ERC-20
//!   pulls and pays included);
//! - `lock` + `settle` time flat from 10 to 100,000 positions (settle is O(1): it never touches
//!   the positions). Criterion reports each size; a side-by-side table is printed at the end.
//!
//! Setup: the deployment of `examples/srusds.jsonl` (everything before its test balances), then
//! admin-minted sUSDS and an approval per user.

#![allow(clippy::unwrap_used)]
use alloy_primitives::Address;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use laniakea_chain::call::*;
use laniakea_chain::families::lcts_queue::LctsQueueCall;
use laniakea_chain::script;
use laniakea_chain::Engine;
use laniakea_units::{Wad, U256, WAD};
use std::time::Instant;

const EXAMPLE: &str = include_str!("../../../examples/srusds.jsonl");

struct World {
    e: Engine,
    admin: Address,
    beacon: Address,
    susds: Address,
    sq: Address,
    users: Vec<Address>,
}

fn tx(e: &mut Engine, from: Address, call: Call) {
    let at = e.now();
    let r = e.execute(Tx { from, at, call }).unwrap();
    assert!(r.is_ok(), "{:?}", r.outcome);
}

fn world(users: usize, entered: bool) -> World {
    let text: Vec<&str> = EXAMPLE
        .lines()
        .take_while(|l| !l.starts_with("# test balances"))
        .collect();
    let s = script::parse(&text.join("\n")).unwrap();
    let mut e = Engine::new(s.genesis());
    s.run_on(&mut e);
    let a = |n: &str| s.address(n).unwrap();
    let (admin, beacon, susds, sq) = (a("admin"), a("lpha_lcts"), a("susds"), a("subscribe_q"));
    let users: Vec<Address> = (0..users as u64)
        .map(|i| Address::left_padding_from(&(i + 1_000_000).to_be_bytes()))
        .collect();
    for u in &users {
        let amount = Wad::from_raw(U256::from(1_000u64) * WAD);
        tx(
            &mut e,
            admin,
            Call::Savings(
                susds,
                SavingsCall::Token(Erc20Call::Mint { to: *u, amount }),
            ),
        );
        tx(
            &mut e,
            *u,
            Call::Savings(
                susds,
                SavingsCall::Token(Erc20Call::Approve {
                    spender: sq,
                    amount: Wad::from_raw(U256::MAX),
                }),
            ),
        );
        if entered {
            tx(
                &mut e,
                *u,
                Call::LctsQueue(
                    sq,
                    LctsQueueCall::Enter {
                        amount: Wad::from_raw(U256::from(10u64) * WAD),
                    },
                ),
            );
        }
    }
    World {
        e,
        admin,
        beacon,
        susds,
        sq,
        users,
    }
}

fn enter_exit(c: &mut Criterion) {
    const USERS: usize = 1_000;
    const ROUNDS: usize = 5;
    let ops = (USERS * ROUNDS * 2) as u64;
    let mut g = c.benchmark_group("lcts");
    g.throughput(Throughput::Elements(ops));
    g.bench_function("enter+exit", |b| {
        b.iter_batched(
            || world(USERS, false),
            |mut w| {
                let amount = Wad::from_raw(U256::from(3u64) * WAD);
                for _ in 0..ROUNDS {
                    for u in &w.users {
                        tx(
                            &mut w.e,
                            *u,
                            Call::LctsQueue(w.sq, LctsQueueCall::Enter { amount }),
                        );
                    }
                    for u in &w.users {
                        tx(&mut w.e, *u, Call::LctsQueue(w.sq, LctsQueueCall::Exit));
                    }
                }
                w
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

const SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 100_000];

/// One lock + settle of 1 wei (the generation stays ACTIVE, so the pair repeats).
fn lock_settle(w: &mut World) {
    tx(
        &mut w.e,
        w.beacon,
        Call::LctsQueue(w.sq, LctsQueueCall::Lock),
    );
    tx(
        &mut w.e,
        w.beacon,
        Call::LctsQueue(
            w.sq,
            LctsQueueCall::Settle {
                capacity: Wad::from_raw(U256::from(1u8)),
            },
        ),
    );
}

fn settle(c: &mut Criterion) {
    let mut g = c.benchmark_group("lcts_settle");
    let mut side_by_side = Vec::new();
    for n in SIZES {
        let mut w = world(n, true);
        let _ = (w.admin, w.susds);
        g.bench_with_input(BenchmarkId::new("lock+settle, positions", n), &n, |b, _| {
            b.iter(|| lock_settle(&mut w))
        });
        // a plain mean over 20,000 pairs for the side-by-side table
        let t = Instant::now();
        for _ in 0..20_000 {
            lock_settle(&mut w);
        }
        side_by_side.push((n, t.elapsed().as_nanos() as f64 / 20_000.0));
    }
    g.finish();
    println!("\nlock + settle, mean of 20,000 pairs (same process, after criterion):");
    println!("{:>10}  {:>12}", "positions", "ns per pair");
    for (n, ns) in side_by_side {
        println!("{n:>10}  {ns:>12.0}");
    }
}

criterion_group!(benches, enter_exit, settle);
criterion_main!(benches);
