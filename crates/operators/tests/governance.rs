//! Governance inputs from the Synome: when a parameter takes effect, contradictions, missing
//! parameters, skips after the lock.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use laniakea_operators::governance::{calendar, params_at, takes_effect_at};
use laniakea_settlement::EpochId;
use laniakea_units::{Apr, Timestamp};
use serde_json::json;

fn e(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

#[test]
fn a_parameter_published_in_a_processing_window_waits_for_the_next_moment_of_settlement() {
    let d = e("2026-01-05");
    // Before the window: effective at that day's 16:00.
    assert_eq!(
        takes_effect_at(d, at("2026-01-05T12:59:59Z")),
        at("2026-01-05T16:00:00Z")
    );
    // Inside the window (13:00 and 15:59:59) or after: the next day's 16:00.
    assert_eq!(
        takes_effect_at(d, at("2026-01-05T13:00:00Z")),
        at("2026-01-06T16:00:00Z")
    );
    assert_eq!(
        takes_effect_at(d, at("2026-01-05T15:59:59Z")),
        at("2026-01-06T16:00:00Z")
    );
    assert_eq!(
        takes_effect_at(d, at("2026-01-05T17:00:00Z")),
        at("2026-01-06T16:00:00Z")
    );
    // Published long before a future effective epoch: that epoch's 16:00.
    assert_eq!(
        takes_effect_at(e("2026-01-09"), at("2026-01-05T14:00:00Z")),
        at("2026-01-09T16:00:00Z")
    );
}

#[test]
fn the_statement_uses_the_parameters_in_force_at_its_lock() {
    let mut db = Db::new();
    db.params(Timestamp(START - 2 * 86_400), json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.04", "penalty_rate_per_hour_wad": "0.001"}));
    // Published inside Jan 5's window for Jan 5: applies from Jan 6 16:00, so first to Jan 7.
    db.params(
        at("2026-01-05T14:00:00Z"),
        json!({"effective_epoch": "2026-01-05", "base_rate_apr": "0.06"}),
    );
    let mut rate = |t| params_at(&mut db.syn, t).unwrap().rates.base_rate_apr;
    assert_eq!(rate(e("2026-01-06").lock()), "0.05".parse::<Apr>().unwrap());
    assert_eq!(rate(e("2026-01-07").lock()), "0.06".parse::<Apr>().unwrap());
    // Fields not restated are kept.
    assert_eq!(
        params_at(&mut db.syn, e("2026-01-07").lock())
            .unwrap()
            .rates
            .ssr_apr,
        "0.04".parse::<Apr>().unwrap()
    );
}

#[test]
fn two_base_rates_effective_at_the_same_moment_are_contradictory() {
    let mut db = Db::new();
    db.params(Timestamp(START - 2 * 86_400), json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.04", "penalty_rate_per_hour_wad": "0.001"}));
    db.params(
        Timestamp(START - 2 * 86_400),
        json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.06"}),
    );
    let err = params_at(&mut db.syn, e("2026-01-02").lock()).unwrap_err();
    assert_eq!(err.code(), "governance/contradictory-parameters");
    assert!(err.to_string().contains("base_rate_apr"), "{err}");
}

#[test]
fn a_missing_base_rate_is_named() {
    let mut db = Db::new();
    db.params(Timestamp(START - 2 * 86_400), json!({"effective_epoch": "2025-12-30", "ssr_apr": "0.04", "penalty_rate_per_hour_wad": "0.001"}));
    let err = params_at(&mut db.syn, e("2026-01-02").lock()).unwrap_err();
    assert_eq!(err.code(), "governance/missing-parameter");
    assert!(err.to_string().contains("base_rate_apr"), "{err}");
}

#[test]
fn a_skip_written_after_the_lock_is_refused_naming_the_record() {
    let mut db = Db::new();
    db.skip(at("2026-01-03T12:59:59Z"), "2026-01-03");
    let (cal, skips) = calendar(&mut db.syn, Timestamp(START)).unwrap();
    assert!(cal.is_skipped(e("2026-01-03")));
    assert_eq!(skips, vec![e("2026-01-03")]);
    db.skip(at("2026-01-04T13:00:00Z"), "2026-01-04");
    let err = calendar(&mut db.syn, Timestamp(START)).unwrap_err();
    assert_eq!(err.code(), "governance/skip-after-lock");
    assert!(err.to_string().contains("2026-01-04"), "{err}");
}
