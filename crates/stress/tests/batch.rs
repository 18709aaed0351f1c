//! The stress framework: derived seeds, results independent of the number of jobs, exact
//! nearest-rank statistics with the worst seed, replay of any run from its seed, and the
//! `[stress]` table's validation naming the key.

#![allow(clippy::unwrap_used)]

use alloy_primitives::U256;
use laniakea_stress::batch::{derive_seed, run_batch, Run, RunReport, Unit, Value};
use laniakea_stress::model::relayer_compromise;
use laniakea_stress::scenario::{Dist, Faults, StressTable};
use laniakea_stress::stats::{histogram, nearest_rank, summarise};
use proptest::prelude::*;

const SCENARIO: &str = r#"
[stress]
model = "relayer-compromise"

[stress.faults]
relayer_compromise_bps = 9000
cbeam_compromise_bps = 5000
time_to_freeze_s = { uniform = [0, 172800] }
headroom_bps = { uniform = [0, 10000] }

[stress.key]
max_amount = "250000.5"
per_day = "100000"
pattern = "random"
"#;

fn table() -> StressTable {
    StressTable::parse(SCENARIO, "test.toml").unwrap()
}

fn no_progress(_: u64) {}

#[test]
fn seeds_are_derived_per_run_and_differ() {
    let a: Vec<u64> = (0..1000).map(|i| derive_seed(7, i)).collect();
    let mut s = a.clone();
    s.sort();
    s.dedup();
    assert_eq!(s.len(), a.len());
    assert_ne!(derive_seed(7, 0), derive_seed(8, 0));
}

#[test]
fn a_batch_is_the_same_for_one_and_two_jobs() {
    let t = table();
    let f = |seed| relayer_compromise(&t, seed, false);
    let one = run_batch(40, 11, Some(1), f, &no_progress).unwrap();
    let two = run_batch(40, 11, Some(2), f, &no_progress).unwrap();
    assert_eq!(one, two);
    assert_eq!(summarise(&one), summarise(&two));
    assert!(one.iter().all(|r| r.result.is_ok()));
}

#[test]
fn every_run_of_a_batch_replays_from_its_seed_to_the_same_digest() {
    let t = table();
    let runs = run_batch(
        25,
        3,
        None,
        |s| relayer_compromise(&t, s, false),
        &no_progress,
    )
    .unwrap();
    let mut with_digest = 0;
    for r in &runs {
        let again = relayer_compromise(&t, r.seed, true).unwrap();
        let first = r.result.as_ref().unwrap();
        assert_eq!(&again, first, "run {} seed {}", r.index, r.seed);
        with_digest += usize::from(first.digest.is_some());
    }
    assert!(with_digest > 0, "some runs reached the engine");
}

#[test]
fn the_loss_never_exceeds_the_bound_in_any_run_of_a_random_batch() {
    let t = table();
    let runs = run_batch(
        60,
        5,
        None,
        |s| relayer_compromise(&t, s, false),
        &no_progress,
    )
    .unwrap();
    let sums = summarise(&runs);
    let exceeded = sums
        .iter()
        .find(|s| s.metric == "relayer.bound_exceeded")
        .unwrap();
    assert_eq!(exceeded.max, U256::ZERO);
    let ok: Vec<_> = runs.iter().filter_map(|r| r.result.as_ref().ok()).collect();
    for r in ok {
        if let (Some(l), Some(b)) = (
            r.metrics.get("relayer.loss"),
            r.metrics.get("relayer.bound"),
        ) {
            assert!(l.v <= b.v);
        }
    }
}

fn fake(values: &[u64]) -> Vec<Run> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut r = RunReport::default();
            r.metrics.insert(
                "m".into(),
                Value {
                    unit: Unit::Count,
                    v: U256::from(*v),
                },
            );
            Run {
                index: i as u64,
                seed: 1000 + i as u64,
                result: Ok(r),
            }
        })
        .collect()
}

#[test]
fn statistics_are_nearest_rank_with_the_first_worst_seed() {
    // 1..=100 shuffled: p50 = 50, p95 = 95, p99 = 99, max 100, mean ⌊5050/100⌋ = 50.
    let mut v: Vec<u64> = (1..=100).collect();
    v.reverse();
    v.swap(3, 70);
    let s = &summarise(&fake(&v))[0];
    assert_eq!(
        (s.p50, s.p95, s.p99, s.max, s.mean, s.min),
        (
            U256::from(50u8),
            U256::from(95u8),
            U256::from(99u8),
            U256::from(100u8),
            U256::from(50u8),
            U256::from(1u8)
        )
    );
    let at = v.iter().position(|x| *x == 100).unwrap() as u64;
    assert_eq!((s.worst_run, s.worst_seed), (at, 1000 + at));
    // ties: the lowest run index
    let s = &summarise(&fake(&[3, 9, 9, 1]))[0];
    assert_eq!((s.worst_run, s.worst_seed), (1, 1001));
}

#[test]
fn failed_runs_are_kept_apart_and_not_counted() {
    let mut runs = fake(&[5, 6]);
    runs.push(Run {
        index: 2,
        seed: 9,
        result: Err("boom".into()),
    });
    let s = &summarise(&runs)[0];
    assert_eq!(s.n, 2);
}

#[test]
fn histogram_bins_cover_every_value_once() {
    let v: Vec<U256> = (0u64..1000).map(|x| U256::from(x * x % 977)).collect();
    let h = histogram(&v, 30);
    assert_eq!(h.iter().map(|b| b.1).sum::<u64>(), 1000);
    assert!(h.windows(2).all(|w| w[0].0 < w[1].0));
    // one value: one bin
    assert_eq!(
        histogram(&[U256::from(7u8); 5], 10),
        vec![(U256::from(7u8), 5)]
    );
}

#[test]
fn bad_stress_tables_are_named() {
    let cases = [
        ("[stress]\nmodel = \"x\"\n[stress.faults]\n", "model"),
        (
            "[stress]\nmodel = \"sim\"\n[stress.faults]\nlate_payment_bps = 10001\n",
            "faults.late_payment_bps",
        ),
        (
            "[stress]\nmodel = \"sim\"\n[stress.faults]\ntime_to_freeze_s = { uniform = [5, 1] }\n",
            "faults.time_to_freeze_s",
        ),
        (
            "[stress]\nmodel = \"sim\"\n[stress.faults]\nheadroom_bps = 20000\n",
            "faults.headroom_bps",
        ),
        (
            "[stress]\nmodel = \"relayer-compromise\"\n[stress.faults]\n",
            "key",
        ),
    ];
    for (text, key) in cases {
        let e = StressTable::parse(text, "f.toml").unwrap_err();
        assert!(e.to_string().contains(key), "{key}: {e}");
        assert_eq!(e.code(), "Stress/bad-key");
    }
    let e = StressTable::parse(
        "[stress]\nmodel = \"sim\"\nbogus = 1\n[stress.faults]\n",
        "f.toml",
    )
    .unwrap_err();
    assert!(e.to_string().contains("bogus"), "{e}");
    let e = StressTable::parse("[other]\n", "f.toml").unwrap_err();
    assert!(e.to_string().contains("no [stress] table"), "{e}");
}

proptest! {
    /// Nearest rank: the p-th value has at least p % of the values at or below it, and fewer
    /// than p % strictly below it.
    #[test]
    fn nearest_rank_is_the_smallest_value_covering_p_percent(
        mut v in prop::collection::vec(0u64..1000, 1..200),
        p in 1u64..=100,
    ) {
        v.sort();
        let s: Vec<U256> = v.iter().map(|x| U256::from(*x)).collect();
        let x = nearest_rank(&s, p);
        let n = s.len() as u64;
        let at_or_below = s.iter().filter(|y| **y <= x).count() as u64;
        let below = s.iter().filter(|y| **y < x).count() as u64;
        prop_assert!(at_or_below * 100 >= p * n);
        prop_assert!(below * 100 < p * n);
    }

    /// Per-day fault draws depend only on (run seed, Prime, day).
    #[test]
    fn day_draws_are_stable(seed in any::<u64>(), prime in 0u64..8, day in 0u64..400) {
        let f = Faults {
            late_payment_bps: 5000,
            lateness_s: Dist::Uniform { uniform: [60, 86_400] },
            relayer_compromise_bps: 0,
            compromise_at_s: Dist::Fixed(0),
            time_to_freeze_s: Dist::Fixed(0),
            cbeam_compromise_bps: 0,
            headroom_bps: Dist::Fixed(10_000),
            liquidity_cliff_bps: 0,
            cliff_pause_hours: Dist::Fixed(24),
            missing_lcts_inputs_bps: 5000,
        };
        prop_assert_eq!(f.late_payment(seed, prime, day), f.late_payment(seed, prime, day));
        if let Some(l) = f.late_payment(seed, prime, day) {
            prop_assert!((60..=86_400).contains(&l));
        }
    }
}
