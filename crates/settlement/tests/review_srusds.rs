//! Independent review of the srUSDS maths (SPEC §4.9, §8 invariant 7; issue 12 item 4).
//!
//! A reference written from the SPEC text alone (512-bit, no code shared with `capacity.rs` or
//! `srusds.rs`) is compared with the library to the wei over random inputs; hostile inputs
//! (extreme values, random JSON) must give `Ok` or a typed error, never a panic; JSON that is
//! ambiguous (a key twice) must be refused; long random settlement histories with losses and
//! haircuts check invariant 7.
#![allow(clippy::unwrap_used)]

use alloy_primitives::U512;
use laniakea_settlement::capacity::{compute, CapacityInputs, GovernanceInputs, OsrcPremium};
use laniakea_settlement::srusds::{exchange_rate_step, ExchangeRateInputs, Haircut};
use laniakea_settlement::EpochId;
use laniakea_units::{Apr, Ray, Wad, RAY, U256, WAD};
use proptest::prelude::*;
use serde_json::{json, Value};

const YEAR: u64 = 31_536_000;

fn big(x: U256) -> U512 {
    U512::from(x)
}
fn small(x: U512) -> U256 {
    let l = x.as_limbs();
    assert!(
        l[4..].iter().all(|w| *w == 0),
        "reference value above 256 bits"
    );
    U256::from_limbs([l[0], l[1], l[2], l[3]])
}
fn e(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The reference, from SPEC §4.9 only.

#[derive(Debug, PartialEq, Eq)]
struct RefCapacity {
    matched_susds: U256,
    matched_srusds: U256,
    sub_after_netting: U256,
    red_after_netting: U256,
    sub_converted: U256,
    red_converted: U256,
    fallback: &'static str,
}

/// SPEC §4.9 "Capacity", 1–4.
fn ref_capacity(i: &CapacityInputs) -> RefCapacity {
    let s = big(i.subscribe_queue_susds_wad.raw());
    let r = big(i.redeem_queue_srusds_wad.raw());
    let xr = big(i.exchange_rate_wad.raw());
    let wad = big(WAD);
    let h = big(i.holding_susds_wad.raw());
    // 1. value-match: subscribe sUSDS against redeem srUSDS × xr; the smaller value is matched
    // whole, converted at xr with a floor.
    let (mut ms, mut msr) = (U512::ZERO, U512::ZERO);
    if !s.is_zero() && !r.is_zero() {
        if s * wad <= r * xr {
            ms = s;
            msr = s * wad / xr;
        } else {
            msr = r;
            ms = r * xr / wad;
        }
        if ms.is_zero() || msr.is_zero() {
            ms = U512::ZERO;
            msr = U512::ZERO;
        }
    }
    // 4. fallback.
    let (g, fallback) = match (&i.governance, &i.previous_governance) {
        (Some(g), _) => (Some(g), "none"),
        (None, Some(g)) => (Some(g), "previous-epoch-inputs"),
        (None, None) => (None, "netting-only"),
    };
    let (sub_cap, red_cap) = match g {
        None => (U512::ZERO, U512::ZERO),
        Some(g) => {
            // 2. min(OSRC capacity, target-spread headroom): holders' spread at backing B sUSDS
            // is premium-per-year / USDS value of B; the largest B with spread ≥ t.
            let p: U512 = g.osrc_premiums.iter().fold(U512::ZERO, |a, x| {
                a + big(x.osrc_allocation_usds_wad.raw()) * big(x.osrc_rate_apr.raw())
            });
            let t = big(g.target_spread_apr.raw());
            let chi = big(i.susds_chi_ray.raw());
            let osrc = big(g.osrc_capacity_susds_wad.raw());
            let sub = if t.is_zero() {
                osrc
            } else {
                // p / 1e18 [USDS wei per year] ≥ t/1e18 · B·chi/1e27  ⇔  B ≤ p·1e27 / (t·chi)
                let b_max = p * big(RAY) / (t * chi);
                let headroom = b_max.saturating_sub(h);
                osrc.min(headroom)
            };
            // 3. min(daily limit, what H pays at xr).
            let payable = h * wad / xr;
            (sub, big(g.redemption_limit_srusds_wad.raw()).min(payable))
        }
    };
    RefCapacity {
        matched_susds: small(ms),
        matched_srusds: small(msr),
        sub_after_netting: small(sub_cap),
        red_after_netting: small(red_cap),
        sub_converted: small((ms + sub_cap).min(s)),
        red_converted: small((msr + red_cap).min(r)),
        fallback,
    }
}

/// Whether some figure the record must hold (the redeem queue's value, Σ allocation·rate, the
/// target-spread bound, a settle capacity) exceeds 256 bits.
fn ref_overflows(i: &CapacityInputs) -> bool {
    let max = big(U256::MAX);
    let xr = big(i.exchange_rate_wad.raw());
    if big(i.redeem_queue_srusds_wad.raw()) * xr / big(WAD) > max {
        return true;
    }
    let Some(g) = i.governance.as_ref().or(i.previous_governance.as_ref()) else {
        return false;
    };
    let p: U512 = g.osrc_premiums.iter().fold(U512::ZERO, |a, x| {
        a + big(x.osrc_allocation_usds_wad.raw()) * big(x.osrc_rate_apr.raw())
    });
    let t = big(g.target_spread_apr.raw());
    let partial_sums_overflow = g
        .osrc_premiums
        .iter()
        .scan(U512::ZERO, |a, x| {
            *a += big(x.osrc_allocation_usds_wad.raw()) * big(x.osrc_rate_apr.raw());
            Some(*a)
        })
        .any(|a| a > max);
    let chi = big(i.susds_chi_ray.raw());
    let r = ref_capacity(i);
    partial_sums_overflow
        || (!t.is_zero() && (t * chi > max || p * big(RAY) / (t * chi) > max))
        || big(r.matched_susds) + big(r.sub_after_netting) > max
        || big(r.matched_srusds) + big(r.red_after_netting) > max
}

/// SPEC §4.9 "Exchange rate": + premium·elapsed/year, only as far as H covers, − haircut.
fn ref_step(i: &ExchangeRateInputs) -> U256 {
    let xr = big(i.exchange_rate_wad.raw());
    let wad = big(WAD);
    let target =
        xr + xr * big(i.premium_apr.raw()) * U512::from(i.elapsed_s) / (wad * U512::from(YEAR));
    let supply = big(i.srusds_supply_wad.raw());
    let h = big(i.holding_susds_wad.raw());
    let raised = if supply.is_zero() || target * supply <= h * wad {
        target
    } else {
        // The largest rate that H covers, but a raise never lowers the rate.
        xr.max(h * wad / supply)
    };
    let after = match &i.haircut {
        None => raised,
        Some(c) => raised * (wad - big(c.fraction_wad.raw())) / wad,
    };
    small(after)
}

// ---------------------------------------------------------------------------------------------
// Strategies: amounts spread over many magnitudes, including 0, 1 wei and huge values.

fn amount() -> impl Strategy<Value = U256> {
    prop_oneof![
        Just(U256::ZERO),
        Just(U256::from(1u8)),
        (0u64..1_000_000).prop_map(U256::from),
        (0u128..10u128.pow(30)).prop_map(U256::from),
        (1u128..u128::MAX).prop_map(|x| U256::from(x) * U256::from(1_000_000u32)),
    ]
}
fn rate() -> impl Strategy<Value = U256> {
    prop_oneof![
        Just(U256::ZERO),
        Just(WAD),
        (0u64..=1_000_000_000_000_000_000).prop_map(U256::from)
    ]
}
fn positive_rate() -> impl Strategy<Value = U256> {
    prop_oneof![
        Just(WAD),
        Just(U256::from(1u8)),
        (1u64..10_000_000_000_000_000_000).prop_map(U256::from),
        (1u128..10u128.pow(24)).prop_map(U256::from),
    ]
}
fn gov(epoch: &'static str) -> impl Strategy<Value = GovernanceInputs> {
    (
        amount(),
        rate(),
        proptest::collection::vec((amount(), rate()), 0..4),
        amount(),
    )
        .prop_map(move |(osrc, t, ps, limit)| GovernanceInputs {
            epoch: e(epoch),
            osrc_capacity_susds_wad: Wad::from_raw(osrc),
            target_spread_apr: Apr::from_raw(t),
            osrc_premiums: ps
                .into_iter()
                .enumerate()
                .map(|(k, (a, r))| OsrcPremium {
                    prime: format!("p{k}"),
                    osrc_allocation_usds_wad: Wad::from_raw(a % (U256::from(1u8) << 200)),
                    osrc_rate_apr: Apr::from_raw(r),
                })
                .collect(),
            redemption_limit_srusds_wad: Wad::from_raw(limit),
        })
}
fn capacity_inputs() -> impl Strategy<Value = CapacityInputs> {
    (
        amount(),
        amount(),
        positive_rate(),
        amount(),
        positive_rate().prop_map(|x| x * U256::from(1_000_000_000u32)),
        proptest::option::of(gov("2026-11-23")),
        proptest::option::of(gov("2026-11-20")),
    )
        .prop_map(|(s, r, xr, h, chi, g, pg)| CapacityInputs {
            epoch: e("2026-11-23"),
            subscribe_queue_susds_wad: Wad::from_raw(s),
            redeem_queue_srusds_wad: Wad::from_raw(r),
            exchange_rate_wad: Wad::from_raw(xr),
            holding_susds_wad: Wad::from_raw(h),
            susds_chi_ray: Ray::from_raw(chi),
            governance: g,
            previous_governance: pg,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every capacity figure equals the SPEC reference to the wei (or the library refuses with a
    /// typed overflow error, never a panic).
    #[test]
    fn review_capacity_matches_a_reference_written_from_the_spec(i in capacity_inputs()) {
        let want = ref_capacity(&i);
        match compute(&i) {
            Ok(rec) => {
                let got = RefCapacity {
                    matched_susds: rec.netting.matched_susds_wad.raw(),
                    matched_srusds: rec.netting.matched_srusds_wad.raw(),
                    sub_after_netting: rec.subscribe.capacity_after_netting_susds_wad.raw(),
                    red_after_netting: rec.redeem.capacity_after_netting_srusds_wad.raw(),
                    sub_converted: rec.subscribe.converted_susds_wad.raw(),
                    red_converted: rec.redeem.converted_srusds_wad.raw(),
                    fallback: match serde_json::to_value(rec.fallback).unwrap().as_str().unwrap() {
                        "none" => "none",
                        "previous-epoch-inputs" => "previous-epoch-inputs",
                        _ => "netting-only",
                    },
                };
                prop_assert_eq!(got, want);
                // Waiting amounts are what the queues hold minus what converts.
                prop_assert_eq!(
                    rec.subscribe.waiting_after_susds_wad.raw() + rec.subscribe.converted_susds_wad.raw(),
                    i.subscribe_queue_susds_wad.raw()
                );
                prop_assert_eq!(
                    rec.redeem.waiting_after_srusds_wad.raw() + rec.redeem.converted_srusds_wad.raw(),
                    i.redeem_queue_srusds_wad.raw()
                );
                // Redemptions beyond the match never cost the Holding System more than it has.
                let from_h = rec.redeem.converted_srusds_wad.raw() - rec.netting.matched_srusds_wad.raw();
                prop_assert!(big(from_h) * big(i.exchange_rate_wad.raw()) / big(WAD) <= big(i.holding_susds_wad.raw()));
                // The record re-reads to the same inputs (a checker recomputes from it alone).
                let text = serde_json::to_string(&rec.inputs).unwrap();
                prop_assert_eq!(CapacityInputs::from_json(&text).unwrap(), i.clone());
            }
            Err(err) => {
                prop_assert_eq!(err.code(), "srUSDS/overflow", "{}", err);
                prop_assert!(ref_overflows(&i), "refused inputs whose figures all fit 256 bits: {}", err);
            }
        }
    }

    /// The exchange-rate step equals the SPEC reference to the wei.
    #[test]
    fn review_exchange_rate_step_matches_a_reference_written_from_the_spec(
        xr in prop_oneof![amount(), positive_rate()],
        p in rate(),
        elapsed in prop_oneof![Just(0u64), Just(86_400u64), any::<u64>()],
        h in amount(),
        supply in amount(),
        cut in proptest::option::of(1u64..=1_000_000_000_000_000_000),
    ) {
        let i = ExchangeRateInputs {
            exchange_rate_wad: Wad::from_raw(xr),
            premium_apr: Apr::from_raw(p),
            elapsed_s: elapsed,
            holding_susds_wad: Wad::from_raw(h),
            srusds_supply_wad: Wad::from_raw(supply),
            haircut: cut.map(|f| Haircut { fraction_wad: Wad::from_raw(U256::from(f)), reason: "loss".into() }),
        };
        let want = big(i.exchange_rate_wad.raw()) * big(i.premium_apr.raw()) * U512::from(elapsed);
        match exchange_rate_step(&i) {
            Ok(step) => {
                prop_assert_eq!(step.exchange_rate_after_wad.raw(), ref_step(&i));
                let backed = supply.is_zero()
                    || big(step.exchange_rate_after_wad.raw()) * big(supply) <= big(h) * big(WAD);
                prop_assert_eq!(step.backed_after, backed);
            }
            // Only a raise that does not fit 256 bits may be refused.
            Err(err) => {
                prop_assert_eq!(err.code(), "srUSDS/overflow");
                prop_assert!(big(xr) + want / (big(WAD) * U512::from(YEAR)) > big(U256::MAX));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Invariant 7 under long random histories with losses and haircuts.

#[derive(Debug, Clone)]
enum Op {
    /// Pre-funding into the Holding System.
    Fund(U256),
    /// A loss of `permille`‰ of the Holding System's sUSDS, recorded; governance haircuts it at
    /// the next settlement when `haircut` is true, otherwise only later.
    Loss { permille: u64, haircut: bool },
    Settle {
        elapsed_s: u64,
        premium: U256,
        sub: U256,
        red_permille: u64,
        osrc: U256,
        limit: U256,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => amount().prop_map(Op::Fund),
        1 => (1u64..=1000, any::<bool>()).prop_map(|(permille, haircut)| Op::Loss { permille, haircut }),
        8 => (0u64..400_000, rate(), amount(), 0u64..=1000, amount(), amount()).prop_map(
            |(elapsed_s, premium, sub, red_permille, osrc, limit)| Op::Settle { elapsed_s, premium, sub, red_permille, osrc, limit }
        ),
    ]
}

/// The haircut fraction that brings `xr` back within `H/supply` (rounded up, at most 100%).
fn haircut_needed(xr: U256, h: U256, supply: U256) -> U256 {
    if supply.is_zero() || big(xr) * big(supply) <= big(h) * big(WAD) {
        return U256::ZERO;
    }
    let cap = big(h) * big(WAD) / big(supply);
    // keep ≤ cap/xr → fraction ≥ 1 − cap/xr, rounded up.
    let keep = cap * big(WAD) / big(xr);
    small(big(WAD) - keep)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn review_invariant_7_holds_except_between_a_loss_and_its_haircut(ops in proptest::collection::vec(op(), 1..400)) {
        history(&ops, false)?;
    }

    /// The same with the other reading of docs/srusds.md "Order at a settlement": no separate
    /// netting transfer, the subscribe queue settles its whole conversion into the Holding System
    /// first, then the redeem queue's whole conversion is paid from it. Invariant 7 holds and H
    /// can always pay — provided subscribe settles before redeem (with H = 0 and the queues
    /// matching exactly, redeem-first could not pay).
    #[test]
    fn review_invariant_7_also_holds_when_both_queues_settle_through_the_holding_system(ops in proptest::collection::vec(op(), 1..400)) {
        history(&ops, true)?;
    }
}

fn history(ops: &[Op], combined: bool) -> Result<(), TestCaseError> {
    {
        let (mut xr, mut h, mut supply) = (WAD, U256::ZERO, U256::ZERO);
        let mut loss_open = false;
        let mut haircut_next = false;
        for o in ops.iter().cloned() {
            match o {
                Op::Fund(a) => h = (h + a) % (U256::from(1u8) << 180),
                Op::Loss { permille, haircut } => {
                    h -= h * U256::from(permille) / U256::from(1000u16);
                    loss_open = true;
                    haircut_next = haircut;
                }
                Op::Settle {
                    elapsed_s,
                    premium,
                    sub,
                    red_permille,
                    osrc,
                    limit,
                } => {
                    let fraction = if loss_open && haircut_next {
                        haircut_needed(xr, h, supply)
                    } else {
                        U256::ZERO
                    };
                    let step = exchange_rate_step(&ExchangeRateInputs {
                        exchange_rate_wad: Wad::from_raw(xr),
                        premium_apr: Apr::from_raw(premium),
                        elapsed_s,
                        holding_susds_wad: Wad::from_raw(h),
                        srusds_supply_wad: Wad::from_raw(supply),
                        haircut: (!fraction.is_zero()).then(|| Haircut {
                            fraction_wad: Wad::from_raw(fraction),
                            reason: "loss".into(),
                        }),
                    })
                    .unwrap();
                    prop_assert_eq!(step.exchange_rate_after_wad.raw(), ref_step(&step.inputs));
                    if !loss_open {
                        prop_assert!(
                            step.exchange_rate_after_wad.raw() >= xr,
                            "only a haircut lowers the rate"
                        );
                    }
                    xr = step.exchange_rate_after_wad.raw();
                    if loss_open && haircut_next {
                        prop_assert!(
                            step.backed_after,
                            "a sufficient haircut restores the backing"
                        );
                        loss_open = false;
                    }
                    if xr.is_zero() {
                        // A 100% haircut: srUSDS is worth nothing; capacities cannot be priced.
                        prop_assert_eq!(
                            compute(&CapacityInputs {
                                epoch: e("2026-11-23"),
                                subscribe_queue_susds_wad: Wad::from_raw(sub),
                                redeem_queue_srusds_wad: Wad::ZERO,
                                exchange_rate_wad: Wad::from_raw(xr),
                                holding_susds_wad: Wad::from_raw(h),
                                susds_chi_ray: Ray::from_raw(RAY),
                                governance: None,
                                previous_governance: None,
                            })
                            .unwrap_err()
                            .code(),
                            "srUSDS/zero"
                        );
                        return Ok(());
                    }
                    let red = supply * U256::from(red_permille) / U256::from(1000u16);
                    let sub = sub % (U256::from(1u8) << 180);
                    let rec = compute(&CapacityInputs {
                        epoch: e("2026-11-23"),
                        subscribe_queue_susds_wad: Wad::from_raw(sub),
                        redeem_queue_srusds_wad: Wad::from_raw(red),
                        exchange_rate_wad: Wad::from_raw(xr),
                        holding_susds_wad: Wad::from_raw(h),
                        susds_chi_ray: Ray::from_raw(RAY),
                        governance: Some(GovernanceInputs {
                            epoch: e("2026-11-23"),
                            osrc_capacity_susds_wad: Wad::from_raw(osrc),
                            target_spread_apr: Apr::ZERO,
                            osrc_premiums: vec![],
                            redemption_limit_srusds_wad: Wad::from_raw(limit),
                        }),
                        previous_governance: None,
                    })
                    .unwrap();
                    // Matched amounts move between users; the rest is minted against / paid by H
                    // with the floors the SPEC's queue settle applies.
                    if combined {
                        let sub_in = rec.subscribe.converted_susds_wad.raw();
                        h += sub_in;
                        supply += sub_in * WAD / xr;
                        let red_in = rec.redeem.converted_srusds_wad.raw();
                        let paid = red_in * xr / WAD;
                        prop_assert!(
                            paid <= h,
                            "the Holding System can pay what the capacity lets out"
                        );
                        h -= paid;
                        supply -= red_in;
                    } else {
                        let sub_in = rec.subscribe.converted_susds_wad.raw()
                            - rec.netting.matched_susds_wad.raw();
                        let red_in = rec.redeem.converted_srusds_wad.raw()
                            - rec.netting.matched_srusds_wad.raw();
                        let paid = red_in * xr / WAD;
                        prop_assert!(
                            paid <= h,
                            "the Holding System can pay what the capacity lets out"
                        );
                        h = h + sub_in - paid;
                        supply = supply + sub_in * WAD / xr - red_in;
                    }
                }
            }
            let backed = big(xr) * big(supply) <= big(h) * big(WAD);
            if !loss_open {
                prop_assert!(
                    backed,
                    "invariant 7: xr·supply ≤ H outside a loss awaiting its haircut"
                );
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Hostile input: never a panic, always Ok or a typed error.

fn any_u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        Just(U256::MAX),
        Just(U256::ZERO),
        Just(U256::from(1u8)),
        any::<[u64; 4]>().prop_map(U256::from_limbs),
        amount(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn review_extreme_capacity_and_step_inputs_never_panic(
        v in proptest::collection::vec(any_u256(), 16),
        elapsed in any::<u64>(),
        with_gov in any::<bool>(),
        with_prev in any::<bool>(),
        with_cut in any::<bool>(),
    ) {
        let g = |ep: &str, k: usize| GovernanceInputs {
            epoch: e(ep),
            osrc_capacity_susds_wad: Wad::from_raw(v[k]),
            target_spread_apr: Apr::from_raw(v[k + 1] % (WAD + U256::from(1u8))),
            osrc_premiums: vec![
                OsrcPremium { prime: "a".into(), osrc_allocation_usds_wad: Wad::from_raw(v[k + 2]), osrc_rate_apr: Apr::from_raw(v[k + 3] % (WAD + U256::from(1u8))) },
                OsrcPremium { prime: "b".into(), osrc_allocation_usds_wad: Wad::from_raw(v[k + 3]), osrc_rate_apr: Apr::from_raw(WAD) },
            ],
            redemption_limit_srusds_wad: Wad::from_raw(v[k + 4]),
        };
        let i = CapacityInputs {
            epoch: e("2026-11-23"),
            subscribe_queue_susds_wad: Wad::from_raw(v[0]),
            redeem_queue_srusds_wad: Wad::from_raw(v[1]),
            exchange_rate_wad: Wad::from_raw(v[2]),
            holding_susds_wad: Wad::from_raw(v[3]),
            susds_chi_ray: Ray::from_raw(v[4]),
            governance: with_gov.then(|| g("2026-11-23", 5)),
            previous_governance: with_prev.then(|| g("2026-11-22", 10)),
        };
        let _ = compute(&i);
        let s = ExchangeRateInputs {
            exchange_rate_wad: Wad::from_raw(v[0]),
            premium_apr: Apr::from_raw(v[1] % (WAD + U256::from(1u8))),
            elapsed_s: elapsed,
            holding_susds_wad: Wad::from_raw(v[2]),
            srusds_supply_wad: Wad::from_raw(v[3]),
            haircut: with_cut.then(|| Haircut { fraction_wad: Wad::from_raw(v[4]), reason: "r".into() }),
        };
        let _ = exchange_rate_step(&s);
    }

    #[test]
    fn review_random_json_never_panics(doc in json_value(3)) {
        let text = doc.to_string();
        let _ = CapacityInputs::from_json(&text);
        let _ = ExchangeRateInputs::from_json(&text);
    }
}

/// Random JSON shaped like the inputs (known keys, random values and types).
fn json_value(depth: u32) -> BoxedStrategy<Value> {
    let keys = prop_oneof![
        Just("epoch"),
        Just("subscribe_queue_susds_wad"),
        Just("redeem_queue_srusds_wad"),
        Just("exchange_rate_wad"),
        Just("holding_susds_wad"),
        Just("susds_chi_ray"),
        Just("governance"),
        Just("previous_governance"),
        Just("osrc_capacity_susds_wad"),
        Just("target_spread_apr"),
        Just("osrc_premiums"),
        Just("redemption_limit_srusds_wad"),
        Just("prime"),
        Just("osrc_allocation_usds_wad"),
        Just("osrc_rate_apr"),
        Just("premium_apr"),
        Just("elapsed_s"),
        Just("srusds_supply_wad"),
        Just("haircut"),
        Just("fraction_wad"),
        Just("reason"),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            Just("1".to_string()),
            Just("-1".to_string()),
            Just("0".to_string()),
            Just("2026-11-23".to_string()),
            Just(
                "115792089237316195423570985008687907853269984665640564039457.584007913129639935"
                    .to_string()
            ),
            Just("1e18".to_string()),
            Just("0.0000000000000000001".to_string()),
            Just("".to_string()),
            "[0-9._-]{0,12}",
        ]
        .prop_map(Value::from),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        leaf,
        proptest::collection::vec(json_value(depth - 1), 0..3).prop_map(Value::from),
        proptest::collection::btree_map(keys, json_value(depth - 1), 0..8)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Specific cases.

const CAPACITY_JSON: &str = r#"{
  "epoch": "2026-11-23",
  "subscribe_queue_susds_wad": "100000000",
  "redeem_queue_srusds_wad": "30000000",
  "exchange_rate_wad": "1",
  "holding_susds_wad": "300000000",
  "susds_chi_ray": "1.25",
  "governance": {
    "epoch": "2026-11-23",
    "osrc_capacity_susds_wad": "50000000",
    "target_spread_apr": "0.01",
    "osrc_premiums": [
      {"prime": "spark", "osrc_allocation_usds_wad": "100000000", "osrc_rate_apr": "0.02"},
      {"prime": "grove", "osrc_allocation_usds_wad": "50000000", "osrc_rate_apr": "0.04"}
    ],
    "redemption_limit_srusds_wad": "10000000"
  },
  "previous_governance": null
}"#;

/// The documented example parses and gives the figures the doc's formulas give by hand:
/// P = 100M·0.02 + 50M·0.04 = 4M USDS/yr; B = 4M / (0.01·1.25) = 320M sUSDS; headroom
/// 320M − 300M = 20M < OSRC 50M → target-spread; netting 30M each way at xr = 1.
#[test]
fn review_documented_capacity_example_gives_the_hand_computed_figures() {
    let rec = compute(&CapacityInputs::from_json(CAPACITY_JSON).unwrap()).unwrap();
    let v = serde_json::to_value(&rec).unwrap();
    assert_eq!(v["netting"]["matched_susds_wad"], json!("30000000"));
    assert_eq!(v["netting"]["matched_srusds_wad"], json!("30000000"));
    assert_eq!(
        v["subscribe"]["target_spread_max_backing_susds_wad"],
        json!("320000000")
    );
    assert_eq!(
        v["subscribe"]["capacity_after_netting_susds_wad"],
        json!("20000000")
    );
    assert_eq!(v["subscribe"]["bound"], json!("target-spread"));
    assert_eq!(v["subscribe"]["converted_susds_wad"], json!("50000000"));
    assert_eq!(v["subscribe"]["waiting_after_susds_wad"], json!("50000000"));
    assert_eq!(v["redeem"]["converted_srusds_wad"], json!("30000000"));
    assert_eq!(v["fallback"], json!("none"));
}

/// A key given twice in one JSON object is ambiguous (parsers differ on which one wins, so a
/// checker could recompute a different capacity from the same record): refused, not "last wins".
#[test]
fn review_srusds_json_with_a_key_twice_is_refused() {
    let dup = CAPACITY_JSON.replacen(
        "\"exchange_rate_wad\": \"1\",",
        "\"exchange_rate_wad\": \"1\", \"exchange_rate_wad\": \"2\",",
        1,
    );
    let err = CapacityInputs::from_json(&dup).unwrap_err();
    assert_eq!(err.code(), "srUSDS/invalid-json", "{err}");
    assert!(err.to_string().contains("exchange_rate_wad"), "{err}");
    // Nested objects too.
    let dup = CAPACITY_JSON.replacen(
        "\"osrc_rate_apr\": \"0.02\"",
        "\"osrc_rate_apr\": \"0.02\", \"osrc_rate_apr\": \"0.5\"",
        1,
    );
    let err = CapacityInputs::from_json(&dup).unwrap_err();
    assert_eq!(err.code(), "srUSDS/invalid-json", "{err}");
    assert!(err.to_string().contains("osrc_rate_apr"), "{err}");
    let step = r#"{"exchange_rate_wad":"1","premium_apr":"0","elapsed_s":0,"elapsed_s":86400,
        "holding_susds_wad":"1","srusds_supply_wad":"1"}"#;
    let err = ExchangeRateInputs::from_json(step).unwrap_err();
    assert_eq!(err.code(), "srUSDS/invalid-json", "{err}");
    assert!(err.to_string().contains("elapsed_s"), "{err}");
}

/// Redemption capacity is never more than the Holding System can pay, at the boundary: with
/// H = 10 wei and xr = 3 (wei per 1e18), H pays ⌊10·1e18/3⌋ srUSDS wei, and one wei more is
/// worth more than H (docs/srusds.md: "the most srUSDS whose value at xr is ≤ H").
#[test]
fn review_redeem_capacity_stops_at_the_last_srusds_wei_the_holding_system_can_pay() {
    let mut i = CapacityInputs::from_json(CAPACITY_JSON).unwrap();
    i.subscribe_queue_susds_wad = Wad::ZERO;
    i.redeem_queue_srusds_wad = Wad::from_raw(U256::MAX >> 8);
    i.exchange_rate_wad = Wad::from_raw(U256::from(3u8));
    i.holding_susds_wad = Wad::from_raw(U256::from(10u8));
    i.governance.as_mut().unwrap().redemption_limit_srusds_wad = Wad::from_raw(U256::MAX);
    let rec = compute(&i).unwrap();
    let c = rec.redeem.capacity_after_netting_srusds_wad.raw();
    assert_eq!(c, U256::from(10u8) * WAD / U256::from(3u8));
    assert!(c * U256::from(3u8) / WAD <= U256::from(10u8));
    // One wei more is worth more than H at xr (exactly; its floored payment would still be 10).
    assert!((c + U256::from(1u8)) * U256::from(3u8) > U256::from(10u8) * WAD);
    assert_eq!(
        serde_json::to_value(rec.redeem.bound).unwrap(),
        json!("holding-system")
    );
}

/// SPEC §4.9.4: missing inputs → previous epoch's, else netting only; the record says which.
/// With netting only, exactly the matched amounts convert (70M of 100M wait).
#[test]
fn review_fallback_netting_only_converts_exactly_the_matched_amounts() {
    let mut i = CapacityInputs::from_json(CAPACITY_JSON).unwrap();
    let g = i.governance.take().unwrap();
    let rec = compute(&i).unwrap();
    assert_eq!(
        serde_json::to_value(rec.fallback).unwrap(),
        json!("netting-only")
    );
    assert_eq!(rec.governance_epoch, None);
    assert_eq!(
        rec.subscribe.converted_susds_wad,
        Wad::parse("30000000").unwrap()
    );
    assert_eq!(
        rec.subscribe.waiting_after_susds_wad,
        Wad::parse("70000000").unwrap()
    );
    assert_eq!(
        rec.redeem.converted_srusds_wad,
        Wad::parse("30000000").unwrap()
    );
    // The previous epoch's record is used when present, and named.
    i.previous_governance = Some(GovernanceInputs {
        epoch: e("2026-11-22"),
        ..g
    });
    let rec = compute(&i).unwrap();
    assert_eq!(
        serde_json::to_value(rec.fallback).unwrap(),
        json!("previous-epoch-inputs")
    );
    assert_eq!(rec.governance_epoch, Some(e("2026-11-22")));
    assert_eq!(
        rec.subscribe.converted_susds_wad,
        Wad::parse("50000000").unwrap()
    );
}

/// The exchange rate rises by the premium but never above H/supply; at the exact cap it is
/// the premium that binds, one wei of H less and the backing binds.
#[test]
fn review_exchange_rate_raise_stops_at_the_backing_to_the_wei() {
    // xr 1, premium 36.5% for one day → +0.001; supply 1000 → needs H ≥ 1001.
    let mut i = ExchangeRateInputs {
        exchange_rate_wad: Wad::from_raw(WAD),
        premium_apr: Apr::parse("0.365").unwrap(),
        elapsed_s: 86_400,
        holding_susds_wad: Wad::parse("1001").unwrap(),
        srusds_supply_wad: Wad::parse("1000").unwrap(),
        haircut: None,
    };
    let s = exchange_rate_step(&i).unwrap();
    assert_eq!(s.exchange_rate_after_wad, Wad::parse("1.001").unwrap());
    assert!(s.backed_after);
    i.holding_susds_wad = Wad::from_raw(i.holding_susds_wad.raw() - U256::from(1u8));
    let s = exchange_rate_step(&i).unwrap();
    assert!(s.exchange_rate_after_wad < Wad::parse("1.001").unwrap());
    assert!(s.backed_after);
    assert_eq!(
        serde_json::to_value(s.raise_bound).unwrap(),
        json!("holding-backing")
    );
    // A haircut of 10% after the raise: floor(1.001·0.9).
    i.holding_susds_wad = Wad::parse("1001").unwrap();
    i.haircut = Some(Haircut {
        fraction_wad: Wad::parse("0.1").unwrap(),
        reason: "loss".into(),
    });
    let s = exchange_rate_step(&i).unwrap();
    assert_eq!(s.exchange_rate_after_wad, Wad::parse("0.9009").unwrap());
}

/// Netting moves srUSDS from redeemers to subscribers and sUSDS the other way, delivered by the
/// two queue settles at `xr` (the chain has no separate netting transfer). The reviewer found
/// that at `xr ≠ 1` the record's matched srUSDS (`R`) and what a subscribe settle of the matched
/// sUSDS delivers (`⌊⌊R·xr/1e18⌋·1e18/xr⌋`) differ by floor dust. Decision (round in the
/// system's favour, `docs/srusds.md` "Netting dust"): the matched amounts are what each queue
/// *gives*; what each queue *receives* is its settle's output, floored in the Holding System's
/// favour, and the record states it (`output_*`). The dust stays with the Holding System.
/// S = 10, R = 3 wei, xr = 1.5: matched 4 sUSDS ↔ 3 srUSDS; subscribers receive ⌊4/1.5⌋ = 2
/// srUSDS, redeemers ⌊3·1.5⌋ = 4 sUSDS; the Holding System's sUSDS is unchanged (+4 −4) and the
/// srUSDS supply falls by the 1 wei of dust (+2 −3): the backing ratio can only improve.
#[test]
fn review_netting_outputs_are_the_two_settles_at_the_rate_with_dust_to_the_holding_system() {
    let mut i = CapacityInputs::from_json(CAPACITY_JSON).unwrap();
    i.subscribe_queue_susds_wad = Wad::from_raw(U256::from(10u8));
    i.redeem_queue_srusds_wad = Wad::from_raw(U256::from(3u8));
    i.exchange_rate_wad = Wad::parse("1.5").unwrap();
    i.governance = None;
    let rec = compute(&i).unwrap();
    let xr = i.exchange_rate_wad.raw();
    let ms = rec.netting.matched_susds_wad.raw();
    let msr = rec.netting.matched_srusds_wad.raw();
    assert_eq!((ms, msr), (U256::from(4u8), U256::from(3u8)));
    // What the settles at xr deliver, by the SPEC's conversions (independent of the library).
    let sub_out = rec.subscribe.converted_susds_wad.raw() * WAD / xr;
    let red_out = rec.redeem.converted_srusds_wad.raw() * xr / WAD;
    assert_eq!(rec.subscribe.output_srusds_wad.raw(), sub_out);
    assert_eq!(rec.redeem.output_susds_wad.raw(), red_out);
    assert_eq!((sub_out, red_out), (U256::from(2u8), U256::from(4u8)));
    // Holding System: sUSDS in = sUSDS out; srUSDS supply falls by the dust.
    let h_delta_in = rec.subscribe.converted_susds_wad.raw();
    assert_eq!(h_delta_in, red_out);
    assert_eq!(
        rec.redeem.converted_srusds_wad.raw() - sub_out,
        U256::from(1u8)
    );
}

/// Over random inputs, the outputs the record states are the floored conversions of what it
/// converts, and netting never takes sUSDS out of the Holding System beyond its capacity after
/// netting: `red_out ≤ sub_in + ⌊H·1e18/xr⌋·xr/1e18`, and dust only ever favours it.
#[test]
fn review_netting_never_costs_the_holding_system() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strat = (
        1u64..10_000_000,
        1u64..10_000_000,
        1u64..5_000_000,
        0u64..10_000_000,
    );
    runner
        .run(&strat, |(s, r, xr_milli, h)| {
            let mut i = CapacityInputs::from_json(CAPACITY_JSON).unwrap();
            i.subscribe_queue_susds_wad = Wad::from_raw(U256::from(s));
            i.redeem_queue_srusds_wad = Wad::from_raw(U256::from(r));
            i.exchange_rate_wad = Wad::from_raw(U256::from(xr_milli) * WAD / U256::from(1000u32));
            i.holding_susds_wad = Wad::from_raw(U256::from(h));
            let rec = compute(&i).unwrap();
            let xr = i.exchange_rate_wad.raw();
            let sub_in = rec.subscribe.converted_susds_wad.raw();
            let red_in = rec.redeem.converted_srusds_wad.raw();
            let sub_out = rec.subscribe.output_srusds_wad.raw();
            let red_out = rec.redeem.output_susds_wad.raw();
            prop_assert_eq!(sub_out, sub_in * WAD / xr);
            prop_assert_eq!(red_out, red_in * xr / WAD);
            // The Holding System can always pay: what leaves ≤ what it holds + what came in.
            prop_assert!(red_out <= U256::from(h) + sub_in);
            // Value out of the match never exceeds value in (system-favouring floors).
            let ms = rec.netting.matched_susds_wad.raw();
            let msr = rec.netting.matched_srusds_wad.raw();
            prop_assert!(ms * WAD / xr <= msr || ms.is_zero());
            prop_assert!(msr * xr / WAD <= ms || msr.is_zero());
            Ok(())
        })
        .unwrap();
}

/// Error messages say what is wrong: `elapsed_s` of 2^64 is too large, not "not a whole number"
/// (serde_json reads an integer literal above u64 as a float); `1.0` and `-0` are not whole
/// seconds / negative-or-fractional; amounts as JSON numbers are refused with the string form.
#[test]
fn review_elapsed_seconds_errors_say_what_is_wrong() {
    let with = |el: &str| {
        ExchangeRateInputs::from_json(&format!(
            r#"{{"exchange_rate_wad":"1","premium_apr":"0","elapsed_s":{el},"holding_susds_wad":"1","srusds_supply_wad":"1"}}"#
        ))
        .unwrap_err()
    };
    let e = with("18446744073709551616");
    assert_eq!(
        (e.code(), e.field.as_str()),
        ("srUSDS/invalid-json", "elapsed_s")
    );
    assert!(
        e.to_string()
            .contains("above the largest number of seconds"),
        "{e}"
    );
    let e = with("1.5");
    assert!(
        e.to_string().contains("not a whole number of seconds"),
        "{e}"
    );
    assert_eq!(with("-5").code(), "srUSDS/negative");
    assert_eq!(
        ExchangeRateInputs::from_json(
            r#"{"exchange_rate_wad":1,"premium_apr":"0","elapsed_s":0,"holding_susds_wad":"1","srusds_supply_wad":"1"}"#
        )
        .unwrap_err()
        .code(),
        "srUSDS/invalid-amount"
    );
}
