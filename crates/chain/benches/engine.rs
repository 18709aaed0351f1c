//! Engine throughput (issue targets, single thread, release):
//! - ERC-20 transfers ≥ 1,000,000/s
//! - controller depositERC4626 + withdrawERC4626 pairs ≥ 200,000/s (with rate-limit accounting)
//! - state digest of 100,000 accounts < 100 ms
//!
//! Also prints bytes per stored event.

#![allow(clippy::unwrap_used)]
use alloy_primitives::Address;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use laniakea_chain::call::*;
use laniakea_chain::script;
use laniakea_chain::{Engine, Event};
use laniakea_units::{Timestamp, Wad, U256, WAD};

const EXAMPLE: &str = include_str!("../../../examples/pau-basic.jsonl");

fn setup() -> (Engine, script::Script) {
    let text: Vec<&str> = EXAMPLE
        .lines()
        .take_while(|l| !l.contains("\"from\": \"relayer\""))
        .collect();
    let s = script::parse(&text.join("\n")).unwrap();
    let mut e = Engine::new(s.genesis());
    s.run_on(&mut e);
    (e, s)
}

fn funded_token(accounts: usize) -> (Engine, Address, Vec<Address>) {
    let admin = Address::repeat_byte(1);
    let mut e = Engine::new(Timestamp(1));
    let r = e
        .execute(Tx {
            from: admin,
            at: Timestamp(1),
            call: Call::Deploy(Deploy::Erc20(Erc20Deploy {
                symbol: "TST".into(),
            })),
        })
        .unwrap();
    let token = match r.outcome.unwrap().get("address") {
        Some(Value::Address(a)) => *a,
        _ => unreachable!(),
    };
    let holders: Vec<Address> = (0..accounts as u64)
        .map(|i| Address::left_padding_from(&(i + 100).to_be_bytes()))
        .collect();
    for h in &holders {
        e.execute(Tx {
            from: admin,
            at: Timestamp(1),
            call: Call::Erc20(
                token,
                Erc20Call::Mint {
                    to: *h,
                    amount: Wad::from_raw(U256::from(1_000_000u64) * WAD),
                },
            ),
        })
        .unwrap();
    }
    (e, token, holders)
}

fn transfers(c: &mut Criterion) {
    const N: u64 = 10_000;
    let mut g = c.benchmark_group("erc20");
    g.throughput(Throughput::Elements(N));
    g.bench_function("transfer", |b| {
        b.iter_batched(
            || funded_token(1000),
            |(mut e, token, holders)| {
                for i in 0..N as usize {
                    let from = holders[i % holders.len()];
                    let to = holders[(i * 7 + 3) % holders.len()];
                    let r = e
                        .execute(Tx {
                            from,
                            at: Timestamp(2),
                            call: Call::Erc20(
                                token,
                                Erc20Call::Transfer {
                                    to,
                                    amount: Wad::from_raw(U256::from(1u8)),
                                },
                            ),
                        })
                        .unwrap();
                    debug_assert!(r.is_ok());
                }
                e
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn deposit_withdraw(c: &mut Criterion) {
    const N: u64 = 2_000;
    let (mut base, s) = setup();
    let relayer = s.address("relayer").unwrap();
    let ctrl = s.address("gen_ctrl").unwrap();
    let susds = s.address("susds").unwrap();
    let now = base.now();
    base.execute(Tx {
        from: relayer,
        at: now,
        call: Call::Controller(
            ctrl,
            ControllerCall::MintUsds {
                amount: Wad::from_raw(U256::from(100_000u64) * WAD),
            },
        ),
    })
    .unwrap();
    let mut g = c.benchmark_group("controller");
    g.throughput(Throughput::Elements(N));
    g.bench_function("deposit+withdraw pair", |b| {
        b.iter_batched(
            || {
                // Fresh engine per batch (cloning the set-up state by replaying the script).
                let (mut e, _) = setup();
                e.execute(Tx {
                    from: relayer,
                    at: now,
                    call: Call::Controller(
                        ctrl,
                        ControllerCall::MintUsds {
                            amount: Wad::from_raw(U256::from(100_000u64) * WAD),
                        },
                    ),
                })
                .unwrap();
                e
            },
            |mut e| {
                for i in 0..N {
                    let at = Timestamp(now.0 + i);
                    let d = e
                        .execute(Tx {
                            from: relayer,
                            at,
                            call: Call::Controller(
                                ctrl,
                                ControllerCall::Deposit4626 {
                                    vault: susds,
                                    assets: Wad::from_raw(U256::from(10u64) * WAD),
                                    min_shares_out: Wad::from_raw(U256::ZERO),
                                },
                            ),
                        })
                        .unwrap();
                    assert!(d.is_ok(), "{:?}", d.outcome);
                    let w = e
                        .execute(Tx {
                            from: relayer,
                            at,
                            call: Call::Controller(
                                ctrl,
                                ControllerCall::Withdraw4626 {
                                    vault: susds,
                                    assets: Wad::from_raw(
                                        U256::from(999u64) * WAD / U256::from(100u64),
                                    ),
                                    max_shares_in: Wad::from_raw(U256::MAX),
                                },
                            ),
                        })
                        .unwrap();
                    assert!(w.is_ok(), "{:?}", w.outcome);
                }
                e
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn digest(c: &mut Criterion) {
    let (e, _, _) = funded_token(100_000);
    let mut g = c.benchmark_group("digest");
    g.sample_size(20);
    g.bench_function("100k accounts", |b| b.iter(|| e.digest()));
    g.finish();
    let per_event = std::mem::size_of::<Event>();
    println!("bytes per stored event: {per_event} (Event is fixed-size, no heap: EventKind holds only addresses, words and static names)");
}

criterion_group!(benches, transfers, deposit_withdraw, digest);
criterion_main!(benches);
