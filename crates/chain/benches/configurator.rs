//! Configurator Unit throughput (issue 11 targets, single thread, release):
//! - Configurator `setRateLimit` calls ≥ 500,000/s (full path: scope, accordance, init, SORL,
//!   RateLimits write through the managed-contract guard, events, journal commit);
//! - the 30-day ramp of 100 keys on 20 PAUs (40 hops × 2,000 raises by the maximum, each a
//!   transaction) < 50 ms, measured as this thread's on-CPU time with the log reserved for the
//!   ramp's events (`Engine::reserve_events`), and also without the reserve.

#![allow(clippy::unwrap_used)]
use alloy_primitives::{Address, B256};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use laniakea_chain::call::*;
use laniakea_chain::families::beam_timelock::TimelockOp;
use laniakea_chain::families::configurator::scope::{
    deploy_scope, PauAddresses, Scope, ScopeParams,
};
use laniakea_chain::families::configurator::ConfiguratorCall;
use laniakea_chain::rate_limits::{address_key, limit_id, names};
use laniakea_chain::{Engine, Value};
use laniakea_units::{Timestamp, Wad, U256, WAD};

const HOP: u64 = 18 * 3600;

struct World {
    e: Engine,
    scope: Scope,
    paus: Vec<Address>,
    keys: Vec<B256>,
    govops: Address,
}

fn addr(r: laniakea_chain::Receipt) -> Address {
    match r.outcome.unwrap().get("address") {
        Some(Value::Address(a)) => *a,
        _ => unreachable!(),
    }
}

fn deploy(e: &mut Engine, from: Address, d: Deploy) -> Address {
    let at = e.now();
    addr(
        e.execute(Tx {
            from,
            at,
            call: Call::Deploy(d),
        })
        .unwrap(),
    )
}

/// One scope over `n_paus` PAUs, `n_keys` scope-wide inits, one GovOps accordant to all, every
/// key first-set at its init.
fn world(n_paus: usize, n_keys: usize) -> World {
    let admin = Address::repeat_byte(1);
    let govops = Address::repeat_byte(2);
    let mut e = Engine::new(Timestamp(1_767_225_600));
    let usds = deploy(
        &mut e,
        admin,
        Deploy::Erc20(Erc20Deploy {
            symbol: "USDS".into(),
        }),
    );
    let vat = deploy(&mut e, admin, Deploy::Vat(VatDeploy {}));
    let jug = deploy(&mut e, admin, Deploy::Jug(JugDeploy { vat, vow: admin }));
    let join = deploy(&mut e, admin, Deploy::Join(JoinDeploy { vat, usds }));
    let ilk: Ilk = serde_json::from_value(serde_json::json!("GEN-USDS-A")).unwrap();
    for call in [
        Call::Vat(vat, VatCall::Init { ilk }),
        Call::Jug(jug, JugCall::Init { ilk }),
    ] {
        let at = e.now();
        assert!(e
            .execute(Tx {
                from: admin,
                at,
                call
            })
            .unwrap()
            .is_ok());
    }
    let vault = deploy(
        &mut e,
        admin,
        Deploy::IlkVault(IlkVaultDeploy {
            ilk,
            jug,
            join,
            usds,
        }),
    );
    let mut paus = Vec::new();
    for _ in 0..n_paus {
        let rate_limits = deploy(&mut e, admin, Deploy::RateLimits(RateLimitsDeploy {}));
        let proxy = deploy(&mut e, admin, Deploy::AlmProxy(AlmProxyDeploy {}));
        let controller = deploy(
            &mut e,
            admin,
            Deploy::Controller(ControllerDeploy {
                proxy,
                rate_limits,
                ilk_vault: Some(vault),
                usds: None,
            }),
        );
        paus.push(PauAddresses {
            proxy,
            controller,
            rate_limits,
        });
    }
    let params = ScopeParams {
        govops: paus.iter().map(|p| (p.proxy, govops)).collect(),
        ..ScopeParams::default()
    };
    // inits are additions after the bootstrap: scheduled, 14 days, executed
    let scope = deploy_scope(&mut e, admin, &paus, &params).unwrap();
    let keys: Vec<B256> = (0..n_keys)
        .map(|i| {
            address_key(
                limit_id(names::DEPOSIT_4626),
                Address::with_last_byte(i as u8),
            )
        })
        .collect();
    for (i, k) in keys.iter().enumerate() {
        let op = TimelockOp::AddRateLimitInit {
            state: scope.state,
            key: Key(*k),
            pau: None,
            max_amount: Wad::from_raw(U256::from(1_000_000u64 + i as u64) * WAD),
            slope: Wad::from_raw(U256::from(11u64 + i as u64) * WAD),
        };
        let at = e.now();
        let call = Call::BeamTimeLock(
            scope.timelock,
            laniakea_chain::families::beam_timelock::BeamTimeLockCall::Schedule {
                operation: Box::new(op),
                salt: B256::ZERO,
            },
        );
        assert!(e
            .execute(Tx {
                from: admin,
                at,
                call
            })
            .unwrap()
            .is_ok());
    }
    let at = Timestamp(e.now().0 + 14 * 86_400);
    e.warp(at).unwrap();
    for (i, k) in keys.iter().enumerate() {
        let op = TimelockOp::AddRateLimitInit {
            state: scope.state,
            key: Key(*k),
            pau: None,
            max_amount: Wad::from_raw(U256::from(1_000_000u64 + i as u64) * WAD),
            slope: Wad::from_raw(U256::from(11u64 + i as u64) * WAD),
        };
        let call = Call::BeamTimeLock(
            scope.timelock,
            laniakea_chain::families::beam_timelock::BeamTimeLockCall::Execute {
                operation: Box::new(op),
                salt: B256::ZERO,
            },
        );
        assert!(e
            .execute(Tx {
                from: admin,
                at,
                call
            })
            .unwrap()
            .is_ok());
    }
    let mut w = World {
        e,
        scope,
        paus: paus.iter().map(|p| p.proxy).collect(),
        keys,
        govops,
    };
    for p in w.paus.clone() {
        for (i, k) in w.keys.clone().into_iter().enumerate() {
            let max = U256::from(1_000_000u64 + i as u64) * WAD;
            let slope = U256::from(11u64 + i as u64) * WAD;
            assert!(w.set(p, k, max, slope).is_ok());
        }
    }
    w
}

impl World {
    fn set(&mut self, pau: Address, key: B256, max: U256, slope: U256) -> laniakea_chain::Receipt {
        let at = self.e.now();
        self.e
            .execute(Tx {
                from: self.govops,
                at,
                call: Call::Configurator(
                    self.scope.configurator,
                    ConfiguratorCall::SetRateLimit {
                        pau,
                        key: Key(key),
                        max_amount: Wad::from_raw(max),
                        slope: Wad::from_raw(slope),
                    },
                ),
            })
            .unwrap()
    }
}

fn set_rate_limit(c: &mut Criterion) {
    const N: u64 = 10_000;
    let mut g = c.benchmark_group("configurator");
    g.throughput(Throughput::Elements(N));
    g.bench_function("setRateLimit (lowering by 1 wei, 10k calls)", |b| {
        b.iter_batched(
            || world(1, 10),
            |mut w| {
                let p = w.paus[0];
                for i in 0..N {
                    let k = w.keys[(i % 10) as usize];
                    let max = U256::from(1_000_000u64) * WAD - U256::from(i + 1);
                    let r = w.set(p, k, max, U256::from(10u64) * WAD);
                    assert!(r.is_ok());
                }
                w
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Raises every key of every PAU by the maximum (25%, floor) at every hop for 30 days.
fn run_ramp(w: &mut World) {
    let paus = w.paus.clone();
    let keys = w.keys.clone();
    let mut vals: Vec<(U256, U256)> = (0..keys.len() as u64)
        .map(|i| (U256::from(1_000_000 + i) * WAD, U256::from(11 + i) * WAD))
        .collect();
    for _ in 0..40 {
        let at = Timestamp(w.e.now().0 + HOP);
        w.e.warp(at).unwrap();
        for v in vals.iter_mut() {
            *v = (
                v.0 * U256::from(5u8) / U256::from(4u8),
                v.1 * U256::from(5u8) / U256::from(4u8),
            );
        }
        for p in &paus {
            for (k, v) in keys.iter().zip(&vals) {
                assert!(w.set(*p, *k, v.0, v.1).is_ok());
            }
        }
    }
}

/// On-CPU time of this thread in ns (`/proc/thread-self/schedstat`, field 1): what the work
/// costs without the other builds sharing the 2 cores. `None` where the file does not exist.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Raises in the ramp; each appends two events (`RateLimitDataSet`, `RateLimitConfigured`).
const RAMP_RAISES: usize = 40 * 100 * 20;

/// The ramp's world with the log reserved for the ramp's events (`Engine::reserve_events`, as a
/// simulation that knows its length would): the measured time is the raises, not the log's
/// doubling. The `log not reserved` variant keeps the doubling in.
fn ramp_world(reserve: bool) -> World {
    let mut w = world(20, 100);
    if reserve {
        w.e.reserve_events(2 * RAMP_RAISES);
    }
    w
}

fn on_cpu(iters: u64, reserve: bool) -> std::time::Duration {
    let mut total = std::time::Duration::ZERO;
    for _ in 0..iters {
        let mut w = ramp_world(reserve);
        let t0 = thread_cpu_ns().unwrap_or(0);
        run_ramp(&mut w);
        let t1 = thread_cpu_ns().unwrap_or(0);
        total += std::time::Duration::from_nanos(t1.saturating_sub(t0));
        drop(w);
    }
    total
}

fn ramp(c: &mut Criterion) {
    let mut g = c.benchmark_group("configurator");
    g.sample_size(10);
    g.throughput(Throughput::Elements(RAMP_RAISES as u64));
    g.bench_function("30-day ramp, 100 keys x 20 PAUs (80k raises), wall", |b| {
        b.iter_batched(
            || ramp_world(true),
            |mut w| {
                run_ramp(&mut w);
                w
            },
            BatchSize::LargeInput,
        )
    });
    if thread_cpu_ns().is_some() {
        g.bench_function(
            "30-day ramp, 100 keys x 20 PAUs (80k raises), on-CPU",
            |b| b.iter_custom(|iters| on_cpu(iters, true)),
        );
        g.bench_function(
            "30-day ramp, 100 keys x 20 PAUs (80k raises), on-CPU, log not reserved",
            |b| b.iter_custom(|iters| on_cpu(iters, false)),
        );
    }
    g.finish();
}

criterion_group!(benches, set_rate_limit, ramp);
criterion_main!(benches);
