//! srUSDS capacity and exchange-rate step (SPEC §4.9, §8 invariant 7): one test per capacity
//! rule, bad input with stable codes, a differential property test against an independent
//! reference written from the SPEC, and long random exchange-rate histories.
#![allow(clippy::unwrap_used)]

use laniakea_settlement::capacity::{
    compute, CapacityInputs, CapacityRecord, GovernanceInputs, OsrcPremium,
};
use laniakea_settlement::srusds::{exchange_rate_step, ExchangeRateInputs, Haircut};
use laniakea_settlement::EpochId;
use laniakea_units::{Apr, Ray, Wad, RAY, U256, WAD};
use proptest::prelude::*;

fn w(s: &str) -> Wad {
    Wad::parse(s).unwrap()
}
fn apr(s: &str) -> Apr {
    Apr::parse(s).unwrap()
}
fn epoch(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}
/// The stable serialised name of a rule enum.
fn name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

fn governance(e: &str, osrc: &str, spread: &str, limit: &str) -> GovernanceInputs {
    GovernanceInputs {
        epoch: epoch(e),
        osrc_capacity_susds_wad: w(osrc),
        target_spread_apr: apr(spread),
        osrc_premiums: vec![
            OsrcPremium {
                prime: "spark".into(),
                osrc_allocation_usds_wad: w("100000000"),
                osrc_rate_apr: apr("0.02"),
            },
            OsrcPremium {
                prime: "grove".into(),
                osrc_allocation_usds_wad: w("50000000"),
                osrc_rate_apr: apr("0.04"),
            },
        ],
        redemption_limit_srusds_wad: w(limit),
    }
}

/// Subscribe `s` sUSDS, redeem `r` srUSDS at rate `xr`, a large Holding System, `chi` = 1,
/// governance inputs present with the given OSRC capacity and redemption limit, no spread bound.
fn inputs(s: &str, r: &str, xr: &str, osrc: &str, limit: &str) -> CapacityInputs {
    CapacityInputs {
        epoch: epoch("2026-11-23"),
        subscribe_queue_susds_wad: w(s),
        redeem_queue_srusds_wad: w(r),
        exchange_rate_wad: w(xr),
        holding_susds_wad: w("1000000000"),
        susds_chi_ray: Ray::from_raw(RAY),
        governance: Some(governance("2026-11-23", osrc, "0", limit)),
        previous_governance: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Rule 1: netting.

#[test]
fn netting_subscribe_100m_against_redeem_30m_at_rate_1_converts_30m_each_way_and_leaves_70m_waiting(
) {
    // No capacity after netting: only the match converts.
    let rec = compute(&inputs("100000000", "30000000", "1", "0", "0")).unwrap();
    assert_eq!(name(rec.netting.limit), "redeem-side");
    assert_eq!(rec.netting.matched_susds_wad, w("30000000"));
    assert_eq!(rec.netting.matched_srusds_wad, w("30000000"));
    assert_eq!(rec.netting.subscribe_waiting_susds_wad, w("70000000"));
    assert_eq!(rec.netting.redeem_waiting_srusds_wad, Wad::ZERO);
    assert_eq!(rec.subscribe.converted_susds_wad, w("30000000"));
    assert_eq!(rec.subscribe.waiting_after_susds_wad, w("70000000"));
    assert_eq!(rec.redeem.converted_srusds_wad, w("30000000"));
    assert_eq!(rec.redeem.waiting_after_srusds_wad, Wad::ZERO);
}

#[test]
fn netting_at_rate_1_25_values_redeem_srusds_at_the_rate() {
    // 30M srUSDS at 1.25 are worth 37.5M sUSDS: redeem side fully matched.
    let rec = compute(&inputs("100000000", "30000000", "1.25", "0", "0")).unwrap();
    assert_eq!(name(rec.netting.limit), "redeem-side");
    assert_eq!(rec.netting.redeem_queue_value_susds_wad, w("37500000"));
    assert_eq!(rec.netting.matched_susds_wad, w("37500000"));
    assert_eq!(rec.netting.matched_srusds_wad, w("30000000"));
    assert_eq!(rec.netting.subscribe_waiting_susds_wad, w("62500000"));

    // 10M sUSDS against 30M srUSDS at 1.25: subscribe side matched for 8M srUSDS.
    let rec = compute(&inputs("10000000", "30000000", "1.25", "0", "0")).unwrap();
    assert_eq!(name(rec.netting.limit), "subscribe-side");
    assert_eq!(rec.netting.matched_susds_wad, w("10000000"));
    assert_eq!(rec.netting.matched_srusds_wad, w("8000000"));
    assert_eq!(rec.netting.redeem_waiting_srusds_wad, w("22000000"));
    assert_eq!(rec.netting.subscribe_waiting_susds_wad, Wad::ZERO);
}

#[test]
fn netting_at_an_inexact_rate_floors_the_limiting_side_and_keeps_dust_below_one_rate_unit() {
    // xr = 3 sUSDS per srUSDS; 10 wei of sUSDS buy ⌊10/3⌋ = 3 wei of srUSDS.
    let mut i = inputs("0", "1", "3", "0", "0");
    i.subscribe_queue_susds_wad = Wad::from_raw(U256::from(10u8));
    let rec = compute(&i).unwrap();
    assert_eq!(name(rec.netting.limit), "subscribe-side");
    assert_eq!(
        rec.netting.matched_susds_wad,
        Wad::from_raw(U256::from(10u8))
    );
    assert_eq!(
        rec.netting.matched_srusds_wad,
        Wad::from_raw(U256::from(3u8))
    );
    // The redeemers' 3 wei are worth 9 wei; the 1 wei dust is under one rate unit (3 wei).
    let value = rec.netting.matched_srusds_wad.raw() * U256::from(3u8);
    assert!(rec.netting.matched_susds_wad.raw() - value < U256::from(3u8));
}

#[test]
fn netting_a_dust_subscription_that_buys_zero_srusds_matches_nothing() {
    let mut i = inputs("0", "1", "2", "0", "0");
    i.subscribe_queue_susds_wad = Wad::from_raw(U256::from(1u8));
    let rec = compute(&i).unwrap();
    assert_eq!(name(rec.netting.limit), "dust");
    assert_eq!(rec.netting.matched_susds_wad, Wad::ZERO);
    assert_eq!(rec.netting.matched_srusds_wad, Wad::ZERO);
    assert_eq!(
        rec.netting.subscribe_waiting_susds_wad,
        Wad::from_raw(U256::from(1u8))
    );
}

#[test]
fn netting_equal_values_match_both_queues_exactly() {
    let rec = compute(&inputs("125", "100", "1.25", "0", "0")).unwrap();
    assert_eq!(name(rec.netting.limit), "both-sides");
    assert_eq!(rec.netting.subscribe_waiting_susds_wad, Wad::ZERO);
    assert_eq!(rec.netting.redeem_waiting_srusds_wad, Wad::ZERO);
}

#[test]
fn netting_with_an_empty_queue_matches_nothing() {
    let rec = compute(&inputs("100", "0", "1", "0", "0")).unwrap();
    assert_eq!(name(rec.netting.limit), "empty-queue");
    assert_eq!(rec.netting.matched_susds_wad, Wad::ZERO);
    assert_eq!(rec.subscribe.converted_susds_wad, Wad::ZERO);
}

// ---------------------------------------------------------------------------------------------
// Rule 2: subscribe capacity after netting.

#[test]
fn subscribe_capacity_is_the_osrc_capacity_when_the_spread_bound_is_looser() {
    let rec = compute(&inputs("100000000", "0", "1", "25000000", "0")).unwrap();
    assert_eq!(name(rec.subscribe.bound), "osrc-capacity");
    assert_eq!(
        rec.subscribe.capacity_after_netting_susds_wad,
        w("25000000")
    );
    assert_eq!(rec.subscribe.settle_capacity_susds_wad, w("25000000"));
    assert_eq!(rec.subscribe.converted_susds_wad, w("25000000"));
    assert_eq!(rec.subscribe.waiting_after_susds_wad, w("75000000"));
    // target spread 0: no bound at all.
    assert_eq!(rec.subscribe.target_spread_max_backing_susds_wad, None);
}

/// Premiums 100M·2% + 50M·4% = 4M USDS a year; target spread 1% → backing ≤ 400M USDS;
/// at chi 1.25 that is 320M sUSDS; the Holding System holds 300M → 20M headroom.
fn spread_inputs() -> CapacityInputs {
    let mut i = inputs("100000000", "0", "1", "50000000", "0");
    i.holding_susds_wad = w("300000000");
    i.susds_chi_ray = Ray::parse("1.25").unwrap();
    i.governance = Some(governance("2026-11-23", "50000000", "0.01", "0"));
    i
}

#[test]
fn subscribe_capacity_is_bound_by_the_target_spread() {
    let rec = compute(&spread_inputs()).unwrap();
    assert_eq!(
        rec.subscribe.osrc_premium_per_year_usds_wad,
        Some(w("4000000"))
    );
    assert_eq!(
        rec.subscribe.target_spread_max_backing_susds_wad,
        Some(w("320000000"))
    );
    assert_eq!(
        rec.subscribe.target_spread_headroom_susds_wad,
        Some(w("20000000"))
    );
    assert_eq!(name(rec.subscribe.bound), "target-spread");
    assert_eq!(
        rec.subscribe.capacity_after_netting_susds_wad,
        w("20000000")
    );
}

#[test]
fn target_spread_bound_is_the_largest_backing_that_still_earns_the_target() {
    // An awkward chi makes the bound inexact; check it is the largest B with
    // value(B)·t ≤ premium, i.e. B·chi·t ≤ P·1e27, and B + 1 fails.
    let mut i = spread_inputs();
    i.susds_chi_ray = Ray::from_raw(RAY + U256::from(7u8));
    let rec = compute(&i).unwrap();
    let b = rec
        .subscribe
        .target_spread_max_backing_susds_wad
        .unwrap()
        .raw();
    let p = U256::from(4_000_000u64) * WAD * WAD; // Σ allocation·rate, exact
    let t = apr("0.01").raw();
    let chi = i.susds_chi_ray.raw();
    let lhs = |b: U256| {
        alloy_primitives::U512::from(b)
            * alloy_primitives::U512::from(chi)
            * alloy_primitives::U512::from(t)
    };
    let rhs = alloy_primitives::U512::from(p) * alloy_primitives::U512::from(RAY);
    assert!(lhs(b) <= rhs);
    assert!(lhs(b + U256::from(1u8)) > rhs);
}

#[test]
fn subscribe_capacity_is_zero_when_backing_already_exceeds_the_spread_bound() {
    let mut i = spread_inputs();
    i.holding_susds_wad = w("400000000");
    let rec = compute(&i).unwrap();
    assert_eq!(
        rec.subscribe.target_spread_headroom_susds_wad,
        Some(Wad::ZERO)
    );
    assert_eq!(name(rec.subscribe.bound), "target-spread");
    assert_eq!(rec.subscribe.converted_susds_wad, Wad::ZERO);
    assert_eq!(rec.subscribe.waiting_after_susds_wad, w("100000000"));
}

#[test]
fn subscribe_capacity_adds_to_the_netted_amount() {
    // 30M netted + 25M OSRC capacity = 55M converted, 45M waiting.
    let rec = compute(&inputs("100000000", "30000000", "1", "25000000", "0")).unwrap();
    assert_eq!(rec.subscribe.settle_capacity_susds_wad, w("55000000"));
    assert_eq!(rec.subscribe.converted_susds_wad, w("55000000"));
    assert_eq!(rec.subscribe.waiting_after_susds_wad, w("45000000"));
}

// ---------------------------------------------------------------------------------------------
// Rule 3: redeem capacity after netting.

#[test]
fn redeem_capacity_is_the_daily_redemption_limit() {
    let rec = compute(&inputs("0", "30000000", "1", "0", "10000000")).unwrap();
    assert_eq!(name(rec.redeem.bound), "redemption-limit");
    assert_eq!(rec.redeem.capacity_after_netting_srusds_wad, w("10000000"));
    assert_eq!(rec.redeem.converted_srusds_wad, w("10000000"));
    assert_eq!(rec.redeem.waiting_after_srusds_wad, w("20000000"));
}

#[test]
fn redeem_capacity_is_capped_by_what_the_holding_system_can_pay() {
    // 10M sUSDS at 1.25 pay for 8M srUSDS; the 20M limit does not bind.
    let mut i = inputs("0", "30000000", "1.25", "0", "20000000");
    i.holding_susds_wad = w("10000000");
    let rec = compute(&i).unwrap();
    assert_eq!(name(rec.redeem.bound), "holding-system");
    assert_eq!(rec.redeem.holding_payable_srusds_wad, w("8000000"));
    assert_eq!(rec.redeem.capacity_after_netting_srusds_wad, w("8000000"));
    // Boundary: paying 8M srUSDS costs exactly the holding; one wei more would exceed it.
    let pay = |r: U256| r * w("1.25").raw() / WAD;
    assert_eq!(pay(w("8000000").raw()), w("10000000").raw());
    assert!(pay(w("8000000").raw() + U256::from(1u8)) > w("10000000").raw());
}

// ---------------------------------------------------------------------------------------------
// Rule 4: fallback when governance inputs are missing.

#[test]
fn missing_governance_inputs_fall_back_to_the_previous_epochs_and_the_record_says_so() {
    let mut i = inputs("100000000", "0", "1", "0", "0");
    i.governance = None;
    i.previous_governance = Some(governance("2026-11-22", "15000000", "0", "0"));
    let rec = compute(&i).unwrap();
    assert_eq!(name(rec.fallback), "previous-epoch-inputs");
    assert_eq!(rec.governance_epoch, Some(epoch("2026-11-22")));
    assert_eq!(
        rec.subscribe.capacity_after_netting_susds_wad,
        w("15000000")
    );
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["fallback"], "previous-epoch-inputs");
    assert_eq!(json["governance_epoch"], "2026-11-22");
    assert_eq!(json["inputs"]["governance"], serde_json::Value::Null);
}

#[test]
fn no_governance_inputs_at_all_means_netting_only_and_the_record_says_so() {
    let mut i = inputs("100000000", "30000000", "1", "0", "0");
    i.governance = None;
    let rec = compute(&i).unwrap();
    assert_eq!(name(rec.fallback), "netting-only");
    assert_eq!(rec.governance_epoch, None);
    assert_eq!(name(rec.subscribe.bound), "netting-only");
    assert_eq!(name(rec.redeem.bound), "netting-only");
    assert_eq!(rec.subscribe.capacity_after_netting_susds_wad, Wad::ZERO);
    assert_eq!(rec.redeem.capacity_after_netting_srusds_wad, Wad::ZERO);
    // Netting still converts.
    assert_eq!(rec.subscribe.converted_susds_wad, w("30000000"));
    assert_eq!(rec.redeem.converted_srusds_wad, w("30000000"));
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["fallback"], "netting-only");
}

#[test]
fn present_governance_inputs_win_over_the_previous_epochs() {
    let mut i = inputs("100000000", "0", "1", "5000000", "0");
    i.previous_governance = Some(governance("2026-11-22", "15000000", "0", "0"));
    let rec = compute(&i).unwrap();
    assert_eq!(name(rec.fallback), "none");
    assert_eq!(rec.governance_epoch, Some(epoch("2026-11-23")));
    assert_eq!(rec.subscribe.capacity_after_netting_susds_wad, w("5000000"));
}

// ---------------------------------------------------------------------------------------------
// Records: inputs echoed, exact decimal strings, JSON round trip.

#[test]
fn record_lists_every_input_as_exact_decimal_strings_and_inputs_round_trip() {
    let i = spread_inputs();
    let rec = compute(&i).unwrap();
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["inputs"]["holding_susds_wad"], "300000000");
    assert_eq!(json["inputs"]["susds_chi_ray"], "1.25");
    assert_eq!(json["inputs"]["governance"]["target_spread_apr"], "0.01");
    assert_eq!(
        json["inputs"]["governance"]["osrc_premiums"][1]["osrc_allocation_usds_wad"],
        "50000000"
    );
    assert_eq!(
        json["subscribe"]["capacity_after_netting_susds_wad"],
        "20000000"
    );
    let text = serde_json::to_string(&rec.inputs).unwrap();
    assert_eq!(CapacityInputs::from_json(&text).unwrap(), i);
    // Deterministic: the same inputs give the same bytes.
    assert_eq!(
        serde_json::to_string(&compute(&i).unwrap()).unwrap(),
        serde_json::to_string(&rec).unwrap()
    );
}

// ---------------------------------------------------------------------------------------------
// Exchange-rate step.

fn xr_inputs(
    xr: &str,
    premium: &str,
    elapsed_s: u64,
    holding: &str,
    supply: &str,
) -> ExchangeRateInputs {
    ExchangeRateInputs {
        exchange_rate_wad: w(xr),
        premium_apr: apr(premium),
        elapsed_s,
        holding_susds_wad: w(holding),
        srusds_supply_wad: w(supply),
        haircut: None,
    }
}

const YEAR_S: u64 = 31_536_000;

#[test]
fn exchange_rate_rises_by_the_premium_over_the_elapsed_time() {
    let step = exchange_rate_step(&xr_inputs("1", "0.05", YEAR_S, "2000", "1000")).unwrap();
    assert_eq!(step.exchange_rate_after_wad, w("1.05"));
    assert_eq!(name(step.raise_bound), "premium-apr");
    assert!(step.backed_after);
    // One day at 3.65%: +0.0001.
    let step = exchange_rate_step(&xr_inputs("1.2", "0.0365", 86_400, "2000", "1000")).unwrap();
    assert_eq!(step.exchange_rate_after_wad, w("1.20012"));
}

#[test]
fn exchange_rate_rises_only_as_far_as_the_holding_system_covers() {
    let step = exchange_rate_step(&xr_inputs("1", "0.05", YEAR_S, "1010", "1000")).unwrap();
    assert_eq!(step.premium_target_wad, w("1.05"));
    assert_eq!(step.backing_cap_wad, Some(w("1.01")));
    assert_eq!(step.exchange_rate_after_wad, w("1.01"));
    assert_eq!(name(step.raise_bound), "holding-backing");
    assert!(step.backed_after);
}

#[test]
fn exchange_rate_is_not_lowered_by_the_backing_cap_only_by_a_haircut() {
    let step = exchange_rate_step(&xr_inputs("1.05", "0.05", YEAR_S, "1000", "1000")).unwrap();
    assert_eq!(step.exchange_rate_after_wad, w("1.05"));
    assert_eq!(name(step.raise_bound), "holding-backing");
    assert!(
        !step.backed_after,
        "under-backed without a haircut is reported"
    );
}

#[test]
fn exchange_rate_with_no_supply_takes_the_full_premium() {
    let step = exchange_rate_step(&xr_inputs("1", "0.1", YEAR_S, "0", "0")).unwrap();
    assert_eq!(step.backing_cap_wad, None);
    assert_eq!(step.exchange_rate_after_wad, w("1.1"));
}

#[test]
fn haircut_lowers_the_rate_at_once_and_records_the_reason() {
    let mut i = xr_inputs("1.05", "0.05", 0, "900", "1000");
    i.haircut = Some(Haircut {
        fraction_wad: w("0.2"),
        reason: "Prime loss on allocation X".into(),
    });
    let step = exchange_rate_step(&i).unwrap();
    assert_eq!(step.exchange_rate_after_wad, w("0.84"));
    let h = step.haircut.as_ref().unwrap();
    assert_eq!(h.decrease_wad, w("0.21"));
    assert_eq!(h.reason, "Prime loss on allocation X");
    assert!(step.backed_after);
    // 100% is allowed and ends at zero.
    i.haircut = Some(Haircut {
        fraction_wad: w("1"),
        reason: "total loss".into(),
    });
    assert_eq!(
        exchange_rate_step(&i).unwrap().exchange_rate_after_wad,
        Wad::ZERO
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input: typed errors with stable codes naming the field.

const GOOD: &str = r#"{
  "epoch": "2026-11-23",
  "subscribe_queue_susds_wad": "100",
  "redeem_queue_srusds_wad": "30",
  "exchange_rate_wad": "1",
  "holding_susds_wad": "1000",
  "susds_chi_ray": "1",
  "governance": {
    "epoch": "2026-11-23",
    "osrc_capacity_susds_wad": "10",
    "target_spread_apr": "0.01",
    "osrc_premiums": [
      {"prime": "spark", "osrc_allocation_usds_wad": "1000", "osrc_rate_apr": "0.02"}
    ],
    "redemption_limit_srusds_wad": "5"
  }
}"#;

fn edit(f: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(GOOD).unwrap();
    f(&mut v);
    v.to_string()
}

#[test]
fn good_capacity_json_parses() {
    let i = CapacityInputs::from_json(GOOD).unwrap();
    assert_eq!(i.subscribe_queue_susds_wad, w("100"));
    assert!(i.previous_governance.is_none());
}

#[test]
fn bad_capacity_inputs_are_refused_with_a_code_naming_the_field() {
    use serde_json::json;
    let cases: Vec<(String, &str, &str)> = vec![
        (
            edit(|v| v["holding_susds_wad"] = json!("-5")),
            "srUSDS/negative",
            "holding_susds_wad",
        ),
        (
            edit(|v| v["subscribe_queue_susds_wad"] = json!(-5)),
            "srUSDS/negative",
            "subscribe_queue_susds_wad",
        ),
        (
            edit(|v| v["governance"]["osrc_premiums"][0]["osrc_allocation_usds_wad"] = json!("-1")),
            "srUSDS/negative",
            "governance.osrc_premiums[0].osrc_allocation_usds_wad",
        ),
        (
            edit(|v| {
                v.as_object_mut().unwrap().remove("redeem_queue_srusds_wad");
            }),
            "srUSDS/missing-field",
            "redeem_queue_srusds_wad",
        ),
        (
            edit(|v| {
                v["governance"]
                    .as_object_mut()
                    .unwrap()
                    .remove("redemption_limit_srusds_wad");
            }),
            "srUSDS/missing-field",
            "governance.redemption_limit_srusds_wad",
        ),
        (
            edit(|v| v["susds_chi_ray"] = serde_json::Value::Null),
            "srUSDS/missing-field",
            "susds_chi_ray",
        ),
        (
            edit(|v| v["holding_usds_wad"] = json!("1")),
            "srUSDS/unknown-field",
            "holding_usds_wad",
        ),
        (
            edit(|v| v["exchange_rate_wad"] = json!("0")),
            "srUSDS/zero",
            "exchange_rate_wad",
        ),
        (
            edit(|v| v["susds_chi_ray"] = json!("0")),
            "srUSDS/zero",
            "susds_chi_ray",
        ),
        (
            edit(|v| v["governance"]["target_spread_apr"] = json!("1.5")),
            "srUSDS/above-100-percent",
            "governance.target_spread_apr",
        ),
        (
            edit(|v| {
                v["governance"]["osrc_premiums"][0]["osrc_rate_apr"] = json!("1.000000000000000001")
            }),
            "srUSDS/above-100-percent",
            "governance.osrc_premiums[0].osrc_rate_apr",
        ),
        (
            edit(|v| {
                let p = v["governance"]["osrc_premiums"][0].clone();
                v["governance"]["osrc_premiums"]
                    .as_array_mut()
                    .unwrap()
                    .push(p);
            }),
            "srUSDS/duplicate-prime",
            "governance.osrc_premiums[1].prime",
        ),
        (
            edit(|v| v["governance"]["epoch"] = json!("2026-11-22")),
            "srUSDS/epoch-mismatch",
            "governance.epoch",
        ),
        (
            edit(|v| {
                v["previous_governance"] = v["governance"].clone();
            }),
            "srUSDS/epoch-mismatch",
            "previous_governance.epoch",
        ),
        (
            edit(|v| v["epoch"] = json!("23/11/2026")),
            "srUSDS/invalid-epoch",
            "epoch",
        ),
        (
            edit(|v| v["holding_susds_wad"] = json!(1000)),
            "srUSDS/invalid-amount",
            "holding_susds_wad",
        ),
        (
            edit(|v| v["holding_susds_wad"] = json!("0.0000000000000000001")),
            "srUSDS/invalid-amount",
            "holding_susds_wad",
        ),
        (
            edit(|v| v["governance"]["osrc_premiums"] = json!({})),
            "srUSDS/invalid-json",
            "governance.osrc_premiums",
        ),
        ("{\"epoch\": ".to_string(), "srUSDS/invalid-json", "-"),
    ];
    for (text, code, field) in cases {
        let e = CapacityInputs::from_json(&text).unwrap_err();
        assert_eq!((e.code(), e.field.as_str()), (code, field), "{e}");
        assert!(
            e.to_string().contains(field),
            "message names the field: {e}"
        );
    }
}

#[test]
fn capacity_overflow_is_an_error_naming_the_input_not_a_panic() {
    // The redeem queue's value at a rate of 2 exceeds 256 bits.
    let mut i = inputs("1", "0", "2", "0", "0");
    i.redeem_queue_srusds_wad = Wad::from_raw(U256::MAX);
    let e = compute(&i).unwrap_err();
    assert_eq!(e.code(), "srUSDS/overflow");
    assert_eq!(e.field, "redeem_queue_srusds_wad");
    // Σ allocation·rate exceeds 256 bits.
    let mut i = inputs("1", "0", "1", "0", "0");
    if let Some(g) = i.governance.as_mut() {
        g.osrc_premiums[1].osrc_allocation_usds_wad = Wad::from_raw(U256::MAX);
    }
    let e = compute(&i).unwrap_err();
    assert_eq!(e.code(), "srUSDS/overflow");
    assert_eq!(
        e.field,
        "governance.osrc_premiums[1].osrc_allocation_usds_wad"
    );
    // The exchange-rate step: xr·premium·elapsed/year pushes xr past 256 bits.
    let mut x = xr_inputs("1", "1", YEAR_S, "0", "0");
    x.exchange_rate_wad = Wad::from_raw(U256::MAX);
    let e = exchange_rate_step(&x).unwrap_err();
    assert_eq!(
        (e.code(), e.field.as_str()),
        ("srUSDS/overflow", "exchange_rate_wad")
    );
}

#[test]
fn bad_exchange_rate_inputs_are_refused_with_a_code_naming_the_field() {
    let good = r#"{"exchange_rate_wad":"1","premium_apr":"0.05","elapsed_s":86400,
        "holding_susds_wad":"10","srusds_supply_wad":"10",
        "haircut":{"fraction_wad":"0.1","reason":"loss"}}"#;
    assert!(ExchangeRateInputs::from_json(good).is_ok());
    let cases = [
        (
            good.replace("\"0.1\"", "\"1.01\""),
            "srUSDS/above-100-percent",
            "haircut.fraction_wad",
        ),
        (
            good.replace("\"0.1\"", "\"0\""),
            "srUSDS/zero",
            "haircut.fraction_wad",
        ),
        (
            good.replace("\"loss\"", "\"  \""),
            "srUSDS/reason-missing",
            "haircut.reason",
        ),
        (
            good.replace("\"0.05\"", "\"2\""),
            "srUSDS/above-100-percent",
            "premium_apr",
        ),
        (good.replace("86400", "-1"), "srUSDS/negative", "elapsed_s"),
        (
            good.replace(
                "\"holding_susds_wad\":\"10\"",
                "\"holding_susds_wad\":\"-10\"",
            ),
            "srUSDS/negative",
            "holding_susds_wad",
        ),
        (
            good.replace("\"srusds_supply_wad\":\"10\",", ""),
            "srUSDS/missing-field",
            "srusds_supply_wad",
        ),
        (
            good.replace(",\"reason\":\"loss\"", ""),
            "srUSDS/missing-field",
            "haircut.reason",
        ),
    ];
    for (text, code, field) in cases {
        let e = ExchangeRateInputs::from_json(&text).unwrap_err();
        assert_eq!((e.code(), e.field.as_str()), (code, field), "{e}");
    }
    // A typed value is validated too: no partial result.
    let mut i = xr_inputs("1", "0.05", 1, "1", "1");
    i.haircut = Some(Haircut {
        fraction_wad: w("1.5"),
        reason: "x".into(),
    });
    assert_eq!(
        exchange_rate_step(&i).unwrap_err().code(),
        "srUSDS/above-100-percent"
    );
}

// ---------------------------------------------------------------------------------------------
// Differential property test: an independent reference written from SPEC §4.9 and the
// documented formulas (docs/srusds.md), on 512-bit integers, using search for the "largest"
// definitions instead of the closed forms the implementation uses.

mod reference {
    use alloy_primitives::U512;
    use laniakea_settlement::capacity::CapacityInputs;
    use laniakea_units::U256;

    fn big(x: U256) -> U512 {
        U512::from(x)
    }
    fn wad() -> U512 {
        U512::from(10u8).pow(U512::from(18u8))
    }
    fn ray() -> U512 {
        U512::from(10u8).pow(U512::from(27u8))
    }

    /// The largest `x` in `[0, 2^256)` with `ok(x)`, for a predicate true at 0 and monotone.
    fn largest(ok: impl Fn(U512) -> bool) -> U512 {
        let (mut lo, mut hi) = (U512::ZERO, U512::from(1u8) << 256);
        while hi - lo > U512::from(1u8) {
            let mid = (lo + hi) >> 1;
            if ok(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    #[derive(Debug, PartialEq, Eq)]
    pub struct Expected {
        pub fallback: &'static str,
        pub matched_susds: U512,
        pub matched_srusds: U512,
        pub subscribe_capacity: U512,
        pub subscribe_bound: &'static str,
        pub subscribe_converted: U512,
        pub redeem_capacity: U512,
        pub redeem_bound: &'static str,
        pub redeem_converted: U512,
    }

    pub fn capacity(i: &CapacityInputs) -> Expected {
        let s = big(i.subscribe_queue_susds_wad.raw());
        let r = big(i.redeem_queue_srusds_wad.raw());
        let xr = big(i.exchange_rate_wad.raw());
        let h = big(i.holding_susds_wad.raw());
        let chi = big(i.susds_chi_ray.raw());

        // 1. Netting: subscribers pay sUSDS for srUSDS, redeemers the reverse, at xr; whichever
        //    queue is worth less is consumed whole at its own (floored) conversion.
        let (mut ms, mut msr) = (U512::ZERO, U512::ZERO);
        if !s.is_zero() && !r.is_zero() {
            if s * wad() <= r * xr {
                let bought = s * wad() / xr;
                if !bought.is_zero() {
                    (ms, msr) = (s, bought);
                }
            } else {
                let paid = r * xr / wad();
                if !paid.is_zero() {
                    (ms, msr) = (paid, r);
                }
            }
        }

        // 4. Which governance inputs.
        let (fallback, g) = match (&i.governance, &i.previous_governance) {
            (Some(g), _) => ("none", Some(g)),
            (None, Some(g)) => ("previous-epoch-inputs", Some(g)),
            (None, None) => ("netting-only", None),
        };

        // 3. What the Holding System can pay: the most srUSDS whose value at xr is ≤ H.
        let payable = largest(|x| x * xr <= h * wad());

        let (sc, sb, rc, rb) = match g {
            None => (U512::ZERO, "netting-only", U512::ZERO, "netting-only"),
            Some(g) => {
                // 2. Premium Primes pay per year (USDS, 36 decimals, exact).
                let mut premium = U512::ZERO;
                for p in &g.osrc_premiums {
                    premium += big(p.osrc_allocation_usds_wad.raw()) * big(p.osrc_rate_apr.raw());
                }
                let t = big(g.target_spread_apr.raw());
                // Holders earn premium / value(backing) ≥ t with value(B) = B·chi/1e27.
                let osrc = big(g.osrc_capacity_susds_wad.raw());
                let (sc, sb) = if t.is_zero() {
                    (osrc, "osrc-capacity")
                } else {
                    let b = largest(|b| b * chi * t <= premium * ray());
                    let headroom = if b > h { b - h } else { U512::ZERO };
                    if osrc <= headroom {
                        (osrc, "osrc-capacity")
                    } else {
                        (headroom, "target-spread")
                    }
                };
                let limit = big(g.redemption_limit_srusds_wad.raw());
                let (rc, rb) = if limit <= payable {
                    (limit, "redemption-limit")
                } else {
                    (payable, "holding-system")
                };
                (sc, sb, rc, rb)
            }
        };
        Expected {
            fallback,
            matched_susds: ms,
            matched_srusds: msr,
            subscribe_capacity: sc,
            subscribe_bound: sb,
            subscribe_converted: (ms + sc).min(s),
            redeem_capacity: rc,
            redeem_bound: rb,
            redeem_converted: (msr + rc).min(r),
        }
    }
}

fn as_expected(rec: &CapacityRecord) -> reference::Expected {
    let b = |x: Wad| alloy_primitives::U512::from(x.raw());
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    reference::Expected {
        fallback: leak(name(rec.fallback)),
        matched_susds: b(rec.netting.matched_susds_wad),
        matched_srusds: b(rec.netting.matched_srusds_wad),
        subscribe_capacity: b(rec.subscribe.capacity_after_netting_susds_wad),
        subscribe_bound: leak(name(rec.subscribe.bound)),
        subscribe_converted: b(rec.subscribe.converted_susds_wad),
        redeem_capacity: b(rec.redeem.capacity_after_netting_srusds_wad),
        redeem_bound: leak(name(rec.redeem.bound)),
        redeem_converted: b(rec.redeem.converted_srusds_wad),
    }
}

/// Amounts from dust to 10^12 tokens, with exact round numbers often enough to hit ties.
fn amount() -> impl Strategy<Value = Wad> {
    prop_oneof![
        (0u64..1_000).prop_map(|x| Wad::from_raw(U256::from(x))),
        (0u64..1_000_000_000).prop_map(|x| Wad::from_raw(U256::from(x) * WAD)),
        (0u128..1_000_000_000_000_000_000_000_000_000_000)
            .prop_map(|x| Wad::from_raw(U256::from(x))),
    ]
}

fn rate() -> impl Strategy<Value = Apr> {
    prop_oneof![
        Just(Apr::ZERO),
        (0u64..=1_000_000_000_000_000_000).prop_map(|x| Apr::from_raw(U256::from(x))),
        (0u64..=100).prop_map(|bps| Apr::from_raw(U256::from(bps) * WAD / U256::from(10_000u64))),
    ]
}

fn governance_strategy(e: &'static str) -> impl Strategy<Value = GovernanceInputs> {
    (
        amount(),
        rate(),
        prop::collection::vec((amount(), rate()), 0..4),
        amount(),
    )
        .prop_map(move |(osrc, t, premiums, limit)| GovernanceInputs {
            epoch: epoch(e),
            osrc_capacity_susds_wad: osrc,
            target_spread_apr: t,
            osrc_premiums: premiums
                .into_iter()
                .enumerate()
                .map(|(k, (a, r))| OsrcPremium {
                    prime: format!("prime-{k}"),
                    osrc_allocation_usds_wad: a,
                    osrc_rate_apr: r,
                })
                .collect(),
            redemption_limit_srusds_wad: limit,
        })
}

fn capacity_inputs() -> impl Strategy<Value = CapacityInputs> {
    (
        amount(),
        amount(),
        prop_oneof![
            Just(WAD),
            (1u64..1_000).prop_map(U256::from),
            (WAD.to::<u64>() / 2..WAD.to::<u64>() * 3).prop_map(U256::from),
        ],
        amount(),
        (0u64..1_000_000_000)
            .prop_map(|x| RAY + U256::from(x) * U256::from(1_000_000_000_000_000u64)),
        prop::option::of(governance_strategy("2026-11-23")),
        prop::option::of(governance_strategy("2026-11-22")),
    )
        .prop_map(|(s, r, xr, h, chi, g, pg)| CapacityInputs {
            epoch: epoch("2026-11-23"),
            subscribe_queue_susds_wad: s,
            redeem_queue_srusds_wad: r,
            exchange_rate_wad: Wad::from_raw(xr),
            holding_susds_wad: h,
            susds_chi_ray: Ray::from_raw(chi),
            governance: g,
            previous_governance: pg,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn capacity_matches_the_independent_reference_to_the_wei(i in capacity_inputs()) {
        let rec = compute(&i).unwrap();
        prop_assert_eq!(as_expected(&rec), reference::capacity(&i));
        // Netting never touches the Holding System: matched values agree within one unit.
        let xr = i.exchange_rate_wad.raw();
        let ms = rec.netting.matched_susds_wad.raw();
        let msr = rec.netting.matched_srusds_wad.raw();
        let value = alloy_primitives::U512::from(msr) * alloy_primitives::U512::from(xr);
        let paid = alloy_primitives::U512::from(ms) * alloy_primitives::U512::from(WAD);
        let diff = if value > paid { value - paid } else { paid - value };
        prop_assert!(diff < alloy_primitives::U512::from(xr.max(WAD)));
        // The checker can recompute it from the record's own inputs.
        let text = serde_json::to_string(&rec.inputs).unwrap();
        prop_assert_eq!(compute(&CapacityInputs::from_json(&text).unwrap()).unwrap(), rec);
    }
}

// ---------------------------------------------------------------------------------------------
// Invariant 7 over long random histories: settlements (exchange-rate step, then the epoch's
// capacity and the conversions it allows), Generator top-ups, no haircut.

#[derive(Debug, Clone)]
enum Op {
    Fund(Wad),
    Settle {
        elapsed_s: u64,
        premium: Apr,
        subscribe: Wad,
        redeem_permille: u16,
        osrc: Wad,
        limit: Wad,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        amount().prop_map(Op::Fund),
        (
            prop_oneof![Just(86_400u64), 0u64..400_000],
            rate(),
            amount(),
            0u16..=1000,
            amount(),
            amount()
        )
            .prop_map(
                |(elapsed_s, premium, subscribe, redeem_permille, osrc, limit)| Op::Settle {
                    elapsed_s,
                    premium,
                    subscribe,
                    redeem_permille,
                    osrc,
                    limit,
                }
            ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn exchange_rate_never_exceeds_the_backing_without_a_haircut(ops in prop::collection::vec(op(), 1..300)) {
        let mut xr = WAD;
        let mut holding = U256::ZERO;
        let mut supply = U256::ZERO;
        for o in ops {
            match o {
                Op::Fund(a) => holding += a.raw(),
                Op::Settle { elapsed_s, premium, subscribe, redeem_permille, osrc, limit } => {
                    let step = exchange_rate_step(&ExchangeRateInputs {
                        exchange_rate_wad: Wad::from_raw(xr),
                        premium_apr: premium,
                        elapsed_s,
                        holding_susds_wad: Wad::from_raw(holding),
                        srusds_supply_wad: Wad::from_raw(supply),
                        haircut: None,
                    }).unwrap();
                    let after = step.exchange_rate_after_wad.raw();
                    prop_assert!(after >= xr, "no haircut, no decrease");
                    xr = after;
                    prop_assert!(step.backed_after);
                    let redeem = supply * U256::from(redeem_permille) / U256::from(1000u16);
                    let rec = compute(&CapacityInputs {
                        epoch: epoch("2026-11-23"),
                        subscribe_queue_susds_wad: subscribe,
                        redeem_queue_srusds_wad: Wad::from_raw(redeem),
                        exchange_rate_wad: Wad::from_raw(xr),
                        holding_susds_wad: Wad::from_raw(holding),
                        susds_chi_ray: Ray::from_raw(RAY),
                        governance: Some(GovernanceInputs {
                            epoch: epoch("2026-11-23"),
                            osrc_capacity_susds_wad: osrc,
                            target_spread_apr: Apr::ZERO,
                            osrc_premiums: vec![],
                            redemption_limit_srusds_wad: limit,
                        }),
                        previous_governance: None,
                    }).unwrap();
                    // Netted amounts move between users; the rest goes through the Holding System.
                    let sub_in = rec.subscribe.converted_susds_wad.raw() - rec.netting.matched_susds_wad.raw();
                    let minted = sub_in * WAD / xr;
                    let red_in = rec.redeem.converted_srusds_wad.raw() - rec.netting.matched_srusds_wad.raw();
                    let paid = red_in * xr / WAD;
                    prop_assert!(paid <= holding + sub_in, "the Holding System can pay");
                    holding = holding + sub_in - paid;
                    supply = supply + minted - red_in;
                }
            }
            prop_assert!(
                alloy_primitives::U512::from(xr) * alloy_primitives::U512::from(supply)
                    <= alloy_primitives::U512::from(holding) * alloy_primitives::U512::from(WAD),
                "invariant 7: xr·supply ≤ holding"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The exchange-rate step against an independent reference (SPEC §4.9 wording, 512-bit, the
// backing cap found by search), and histories with losses where only a recorded haircut may
// leave the backing short.

fn reference_step(i: &ExchangeRateInputs) -> (U256, &'static str) {
    use alloy_primitives::U512;
    let b = |x: U256| U512::from(x);
    let year = b(U256::from(YEAR_S)) * b(WAD);
    let xr = b(i.exchange_rate_wad.raw());
    // Raised by premium_apr × elapsed / year …
    let target = xr + xr * b(i.premium_apr.raw()) * b(U256::from(i.elapsed_s)) / year;
    // … only as far as the Holding System covers: the largest rate r with r·supply ≤ H·1e18.
    let supply = b(i.srusds_supply_wad.raw());
    let h = b(i.holding_susds_wad.raw());
    let covers = |r: U512| r * supply <= h * b(WAD);
    let (raised, bound) = if covers(target) {
        (target, "premium-apr")
    } else {
        let (mut lo, mut hi) = (U512::ZERO, target);
        while hi - lo > U512::from(1u8) {
            let mid = (lo + hi) >> 1;
            if covers(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (lo.max(xr), "holding-backing")
    };
    let after = match &i.haircut {
        None => raised,
        Some(h) => raised * (b(WAD) - b(h.fraction_wad.raw())) / b(WAD),
    };
    (after.to::<U256>(), bound)
}

fn xr_step_inputs() -> impl Strategy<Value = ExchangeRateInputs> {
    (
        prop_oneof![
            Just(WAD),
            (0u128..10_000_000_000_000_000_000).prop_map(U256::from)
        ],
        rate(),
        prop_oneof![Just(86_400u64), 0u64..10 * YEAR_S],
        amount(),
        amount(),
        prop::option::of((1u64..=1_000_000_000_000_000_000).prop_map(|f| Haircut {
            fraction_wad: Wad::from_raw(U256::from(f)),
            reason: "loss".into(),
        })),
    )
        .prop_map(
            |(xr, premium_apr, elapsed_s, h, supply, haircut)| ExchangeRateInputs {
                exchange_rate_wad: Wad::from_raw(xr),
                premium_apr,
                elapsed_s,
                holding_susds_wad: h,
                srusds_supply_wad: supply,
                haircut,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn exchange_rate_step_matches_the_independent_reference_to_the_wei(i in xr_step_inputs()) {
        let step = exchange_rate_step(&i).unwrap();
        let (after, bound) = reference_step(&i);
        prop_assert_eq!(step.exchange_rate_after_wad.raw(), after);
        prop_assert_eq!(name(step.raise_bound), bound);
    }
}

#[derive(Debug, Clone)]
enum HistoryOp {
    /// The Generator tops up the Holding System.
    Fund(Wad),
    /// The Holding System loses this many per-mille of its sUSDS.
    Loss(u16),
    /// A daily settlement at `premium`; governance haircuts if the backing is short.
    Settle(Apr),
    /// A subscription of this many sUSDS at the current rate.
    Subscribe(Wad),
}

fn history_op() -> impl Strategy<Value = HistoryOp> {
    prop_oneof![
        amount().prop_map(HistoryOp::Fund),
        (1u16..=1000).prop_map(HistoryOp::Loss),
        rate().prop_map(HistoryOp::Settle),
        amount().prop_map(HistoryOp::Subscribe),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn backing_is_short_only_between_a_loss_and_its_recorded_haircut(
        ops in prop::collection::vec(history_op(), 1..200)
    ) {
        use alloy_primitives::U512;
        let backed = |xr: U256, supply: U256, h: U256| {
            U512::from(xr) * U512::from(supply) <= U512::from(h) * U512::from(WAD)
        };
        let (mut xr, mut holding, mut supply) = (WAD, U256::ZERO, U256::ZERO);
        let mut short_since_loss = false;
        for o in ops {
            match o {
                HistoryOp::Fund(a) => {
                    holding += a.raw();
                    short_since_loss &= !backed(xr, supply, holding);
                }
                HistoryOp::Loss(permille) => {
                    holding -= holding * U256::from(permille) / U256::from(1000u16);
                    short_since_loss = !backed(xr, supply, holding);
                }
                HistoryOp::Subscribe(a) => {
                    if !xr.is_zero() {
                        supply += a.raw() * WAD / xr;
                        holding += a.raw();
                    }
                    short_since_loss &= !backed(xr, supply, holding);
                }
                HistoryOp::Settle(premium) => {
                    let mut i = ExchangeRateInputs {
                        exchange_rate_wad: Wad::from_raw(xr),
                        premium_apr: premium,
                        elapsed_s: 86_400,
                        holding_susds_wad: Wad::from_raw(holding),
                        srusds_supply_wad: Wad::from_raw(supply),
                        haircut: None,
                    };
                    let step = exchange_rate_step(&i).unwrap();
                    if !step.backed_after {
                        // Governance haircuts to the backing: keep = ⌊cap·1e18/raised⌋.
                        let cap = step.backing_cap_wad.unwrap().raw();
                        let raised = step.raised_wad.raw();
                        i.haircut = Some(Haircut {
                            fraction_wad: Wad::from_raw(WAD - cap * WAD / raised),
                            reason: "recognise the Holding System loss".into(),
                        });
                    }
                    let step = exchange_rate_step(&i).unwrap();
                    prop_assert!(step.backed_after);
                    prop_assert_eq!(step.haircut.is_some(), short_since_loss);
                    xr = step.exchange_rate_after_wad.raw();
                    short_since_loss = false;
                }
            }
            prop_assert!(
                backed(xr, supply, holding) || short_since_loss,
                "short backing outside a loss awaiting its haircut"
            );
        }
    }
}
