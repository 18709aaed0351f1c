//! Generator / Prime-vault throughput (issue 10 targets, single thread, release):
//! - Prime-vault deposit+withdraw pairs through the Generator controller (rate limits included)
//!   ≥ 200,000/s
//! - Prime draw+repay pairs through the Prime's controller (rate limits included) ≥ 200,000/s
//!
//! - migrating 50 Primes × 20 tranches each, including building the system, < 1 s
//!
//! Each batch starts from a freshly built system (`laniakea_chain::system::build`).

#![allow(clippy::unwrap_used)]
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use laniakea_chain::call::*;
use laniakea_chain::system::{build, Limit, PrimeConfig, System, SystemConfig};
use laniakea_chain::Engine;
use laniakea_units::{Timestamp, Wad, U256, WAD};

const GENESIS: Timestamp = Timestamp(1_767_225_600);

fn wad(x: u64) -> U256 {
    U256::from(x) * WAD
}

/// One Prime with finite (refilling) limits on every key the pairs touch, and 100,000 USDS in the
/// Generator's proxy.
fn system() -> (Engine, System) {
    let mut grove = PrimeConfig::new("grove");
    grove.deposit_limit = Limit::whole(1_000_000, 10);
    grove.withdraw_limit = Limit::whole(1_000_000, 10);
    grove.draw_limit = Limit::whole(1_000_000, 10);
    grove.repay_limit = Limit::whole(1_000_000, 10);
    let mut cfg = SystemConfig {
        primes: vec![grove],
        ..SystemConfig::default()
    };
    cfg.generator.mint_limit = Limit::whole(1_000_000, 10);
    let (mut e, s) = build(&cfg, GENESIS).unwrap();
    let r = e
        .execute(Tx {
            from: s.addr("gen_relayer"),
            at: GENESIS,
            call: Call::Controller(
                s.addr("gen_ctrl"),
                ControllerCall::MintUsds {
                    amount: Wad::from_raw(wad(100_000)),
                },
            ),
        })
        .unwrap();
    assert!(r.is_ok());
    (e, s)
}

fn deposit_withdraw(c: &mut Criterion) {
    const N: u64 = 2_000;
    let (_, s) = system();
    let (relayer, ctrl, vault) = (
        s.addr("gen_relayer"),
        s.addr("gen_ctrl"),
        s.prime("grove", "pv"),
    );
    let mut g = c.benchmark_group("prime-vault");
    g.throughput(Throughput::Elements(N));
    g.bench_function("generator deposit+withdraw pair", |b| {
        b.iter_batched(
            || system().0,
            |mut e| {
                for i in 0..N {
                    let at = Timestamp(GENESIS.0 + i);
                    let d = e
                        .execute(Tx {
                            from: relayer,
                            at,
                            call: Call::Controller(
                                ctrl,
                                ControllerCall::Deposit4626 {
                                    vault,
                                    assets: Wad::from_raw(wad(10)),
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
                                    vault,
                                    assets: Wad::from_raw(wad(10)),
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

fn draw_repay(c: &mut Criterion) {
    const N: u64 = 2_000;
    let (_, s) = system();
    let (gen_relayer, gen_ctrl) = (s.addr("gen_relayer"), s.addr("gen_ctrl"));
    let (relayer, ctrl, vault) = (
        s.addr("grove_relayer"),
        s.prime("grove", "ctrl"),
        s.prime("grove", "pv"),
    );
    let setup = || {
        let (mut e, _) = system();
        let d = e
            .execute(Tx {
                from: gen_relayer,
                at: GENESIS,
                call: Call::Controller(
                    gen_ctrl,
                    ControllerCall::Deposit4626 {
                        vault,
                        assets: Wad::from_raw(wad(50_000)),
                        min_shares_out: Wad::from_raw(U256::ZERO),
                    },
                ),
            })
            .unwrap();
        assert!(d.is_ok());
        e
    };
    let mut g = c.benchmark_group("prime-vault");
    g.throughput(Throughput::Elements(N));
    g.bench_function("prime draw+repay pair", |b| {
        b.iter_batched(
            setup,
            |mut e| {
                for i in 0..N {
                    let at = Timestamp(GENESIS.0 + i);
                    for call in [
                        ControllerCall::DrawPrimeVault {
                            vault,
                            amount: Wad::from_raw(wad(10)),
                        },
                        ControllerCall::RepayPrimeVault {
                            vault,
                            amount: Wad::from_raw(wad(10)),
                        },
                    ] {
                        let r = e
                            .execute(Tx {
                                from: relayer,
                                at,
                                call: Call::Controller(ctrl, call),
                            })
                            .unwrap();
                        assert!(r.is_ok(), "{:?}", r.outcome);
                    }
                }
                e
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Builds 50 Primes with 20,000 USDS of legacy debt each, then plans, starts, runs 20 tranches
/// of 1,000 USDS and completes every migration (1,000 tranches, 1,150 transactions).
fn migrate_50_by_20() -> Engine {
    use laniakea_chain::families::generator::{GeneratorCall, MigrationPlan};
    use laniakea_chain::system::LegacyConfig;
    use laniakea_units::Rad;
    let primes: Vec<PrimeConfig> = (0..50)
        .map(|i| {
            let mut p = PrimeConfig::new(&format!("p{i}"));
            p.legacy = Some(LegacyConfig {
                ilk: None,
                line: Rad::from_raw(U256::from(20_000u64) * laniakea_units::math::RAD),
                debt: Wad::from_raw(wad(20_000)),
            });
            p
        })
        .collect();
    let cfg = SystemConfig {
        primes,
        ..SystemConfig::default()
    };
    let (mut e, s) = build(&cfg, GENESIS).unwrap();
    let (admin, reg) = (s.addr("admin"), s.addr("generator"));
    let step = |e: &mut Engine, c: GeneratorCall| {
        let r = e
            .execute(Tx {
                from: admin,
                at: Timestamp(GENESIS.0 + 60),
                call: Call::GeneratorRegistry(reg, c),
            })
            .unwrap();
        assert!(r.is_ok(), "{:?}", r.outcome);
    };
    for i in 0..50 {
        let prime = format!("p{i}");
        step(
            &mut e,
            GeneratorCall::SetMigrationPlan {
                prime: prime.clone(),
                plan: MigrationPlan {
                    cutover_at: Timestamp(GENESIS.0 + 60),
                    tranches: vec![Wad::from_raw(wad(1_000)); 20],
                    min_idle_bps: 0,
                    draw_limit: None,
                    buffer_schedule: Vec::new(),
                },
            },
        );
        step(
            &mut e,
            GeneratorCall::StartMigration {
                prime: prime.clone(),
            },
        );
        for _ in 0..20 {
            step(
                &mut e,
                GeneratorCall::ExecuteTranche {
                    prime: prime.clone(),
                },
            );
        }
        step(&mut e, GeneratorCall::CompleteMigration { prime });
    }
    e
}

fn migration(c: &mut Criterion) {
    let mut g = c.benchmark_group("migration");
    g.sample_size(10);
    g.bench_function("build + 50 Primes x 20 tranches", |b| {
        b.iter(migrate_50_by_20)
    });
    g.finish();
}

criterion_group!(benches, deposit_withdraw, draw_repay, migration);
criterion_main!(benches);
