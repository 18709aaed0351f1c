//! The processing-window guard: each of the seven classes at 12:59:59, 13:00:00, 15:59:59 and
//! 16:00:00; purposes that do not fit the call; the reallocation threshold; a declared
//! rate-limit decrease checked against the chain; the refusal as a Synome record.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use laniakea_chain::call::*;
use laniakea_chain::Call;
use laniakea_operators::guard::{refusal_draft, Action, ActionClass, Guard, Purpose};
use laniakea_synome::{Kind, Query};
use laniakea_units::Timestamp;
use serde_json::json;

fn guard() -> Guard {
    Guard {
        reallocation_threshold_wad: wad(1_000_000),
    }
}

/// One action of each class, at time `t`.
fn actions(s: &Sys, t: Timestamp) -> Vec<(ActionClass, Action)> {
    let usds = s.a("usds");
    let gen_proxy = s.a("gen_proxy");
    let act = |from: &str, call: Call, purpose| Action {
        tx: s.tx(from, t, call),
        purpose,
    };
    vec![
        (
            ActionClass::SettlementCritical,
            act(
                "spark_relayer",
                s.ctrl(
                    "spark",
                    ControllerCall::TransferAsset {
                        asset: usds,
                        to: gen_proxy,
                        amount: wad(5),
                    },
                ),
                Purpose::SettlementPayment,
            ),
        ),
        (
            ActionClass::EmergencyRemoval,
            act(
                "freezer",
                s.ctrl(
                    "gen",
                    ControllerCall::RemoveRelayer {
                        relayer: s.a("gen_relayer"),
                    },
                ),
                Purpose::RelayerRemoval,
            ),
        ),
        (
            ActionClass::GovernanceChange,
            act(
                "admin",
                Call::RateLimits(
                    s.a("gen_rl"),
                    RateLimitsCall::SetUnlimited {
                        key: Key(laniakea_chain::rate_limits::limit_id("LIMIT_USDS_MINT")),
                    },
                ),
                Purpose::GovernanceChange,
            ),
        ),
        (
            ActionClass::Onboarding,
            act(
                "admin",
                Call::Deploy(Deploy::Erc20(Erc20Deploy {
                    symbol: "NEW".into(),
                })),
                Purpose::Onboarding,
            ),
        ),
        (
            ActionClass::Reallocation,
            act(
                "gen_relayer",
                s.ctrl("gen", ControllerCall::MintUsds { amount: wad(10) }),
                Purpose::Reallocation,
            ),
        ),
        (
            ActionClass::MigrationStep,
            act(
                "gen_relayer",
                s.ctrl("gen", ControllerCall::MintUsds { amount: wad(10) }),
                Purpose::MigrationStep,
            ),
        ),
        (
            ActionClass::Normal,
            act(
                "gen_relayer",
                s.ctrl("gen", ControllerCall::MintUsds { amount: wad(10) }),
                Purpose::Normal,
            ),
        ),
    ]
}

#[test]
fn each_class_at_the_window_edges() {
    let s = Sys::new();
    let g = guard();
    for (time, inside) in [
        ("2026-01-05T12:59:59Z", false),
        ("2026-01-05T13:00:00Z", true),
        ("2026-01-05T15:59:59Z", true),
        ("2026-01-05T16:00:00Z", false),
    ] {
        let t = at(time);
        for (class, a) in actions(&s, t) {
            let r = g.check(&s.e, &a);
            let allowed = !inside
                || matches!(
                    class,
                    ActionClass::SettlementCritical | ActionClass::EmergencyRemoval
                );
            if allowed {
                assert_eq!(r, Ok(class), "{} at {time}", class.name());
            } else {
                let e = r.unwrap_err();
                assert_eq!(
                    e.code(),
                    "guard/processing-window",
                    "{} at {time}",
                    class.name()
                );
                let msg = e.to_string();
                assert!(
                    msg.contains("Processing Window of epoch 2026-01-05"),
                    "{msg}"
                );
                assert!(msg.contains("[13:00, 16:00) UTC"), "{msg}");
                assert!(
                    msg.contains("only settlement-critical and emergency-removal"),
                    "{msg}"
                );
                assert!(msg.starts_with(class.name()), "{msg}");
            }
        }
    }
}

#[test]
fn the_guard_runs_on_every_day_including_a_skipped_weekend() {
    let s = Sys::new();
    let (_, a) = actions(&s, at("2026-01-03T14:00:00Z")).pop().unwrap();
    assert_eq!(
        guard().check(&s.e, &a).unwrap_err().code(),
        "guard/processing-window"
    );
}

#[test]
fn a_purpose_the_call_cannot_have_is_refused_at_any_time() {
    let s = Sys::new();
    let g = guard();
    for time in ["2026-01-05T10:00:00Z", "2026-01-05T14:00:00Z"] {
        // A mint declared as a settlement payment: mislabelling must not open the window.
        let a = Action {
            tx: s.tx(
                "gen_relayer",
                at(time),
                s.ctrl("gen", ControllerCall::MintUsds { amount: wad(1) }),
            ),
            purpose: Purpose::SettlementPayment,
        };
        let e = g.check(&s.e, &a).unwrap_err();
        assert_eq!(e.code(), "guard/purpose-mismatch");
        assert!(e.to_string().contains("Controller.MintUsds"), "{e}");
        // A transfer declared as an emergency removal.
        let a = Action {
            tx: s.pay_generator_tx("spark", at(time), wad(1)),
            purpose: Purpose::RelayerRemoval,
        };
        assert_eq!(
            g.check(&s.e, &a).unwrap_err().code(),
            "guard/purpose-mismatch"
        );
    }
}

#[test]
fn a_normal_move_at_the_threshold_is_a_reallocation() {
    let s = Sys::new();
    let g = guard();
    let mint = |amount| Action {
        tx: s.tx(
            "gen_relayer",
            at("2026-01-05T10:00:00Z"),
            s.ctrl("gen", ControllerCall::MintUsds { amount }),
        ),
        purpose: Purpose::Normal,
    };
    let below =
        laniakea_units::Wad::from_raw(wad(1_000_000).raw() - laniakea_units::U256::from(1u8));
    assert_eq!(g.classify(&s.e, &mint(below)), Ok(ActionClass::Normal));
    assert_eq!(
        g.classify(&s.e, &mint(wad(1_000_000))),
        Ok(ActionClass::Reallocation)
    );
}

#[test]
fn a_declared_rate_limit_decrease_is_checked_against_the_chain() {
    let s = Sys::new();
    let g = guard();
    let key = Key(laniakea_chain::rate_limits::address_pair_key(
        laniakea_chain::rate_limits::limit_id("LIMIT_ASSET_TRANSFER"),
        s.a("usds"),
        s.a("spark_proxy"),
    ));
    let set = |max: u64, slope: u64| Action {
        tx: s.tx(
            "admin",
            at("2026-01-05T14:00:00Z"),
            Call::RateLimits(
                s.a("gen_rl"),
                RateLimitsCall::SetMaxSlope {
                    key,
                    max_amount: wad(max),
                    slope: wad(slope),
                },
            ),
        ),
        purpose: Purpose::RateLimitDecrease,
    };
    // Configured at max 1,000,000, slope 100.
    assert_eq!(g.check(&s.e, &set(0, 0)), Ok(ActionClass::EmergencyRemoval));
    assert_eq!(
        g.check(&s.e, &set(1_000_000, 100)),
        Ok(ActionClass::EmergencyRemoval)
    );
    assert_eq!(
        g.check(&s.e, &set(1_000_001, 100)).unwrap_err().code(),
        "guard/not-a-decrease"
    );
    assert_eq!(
        g.check(&s.e, &set(10, 101)).unwrap_err().code(),
        "guard/not-a-decrease"
    );
}

#[test]
fn a_refusal_is_recorded_in_the_synome() {
    let s = Sys::new();
    let mut db = Db::new();
    let (_, a) = actions(&s, at("2026-01-05T13:30:00Z")).pop().unwrap();
    let e = guard().check(&s.e, &a).unwrap_err();
    db.syn
        .write(&db.govops, vec![refusal_draft(&a, &e)])
        .unwrap();
    let (recs, _) = db
        .syn
        .list(&Query {
            kind: Some(Kind::GuardRefusal),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(recs.len(), 1);
    let r = &recs[0].content;
    assert_eq!(r.payload["code"], "guard/processing-window");
    assert_eq!(r.payload["purpose"], "normal");
    assert_eq!(r.payload["call"], "Controller.MintUsds");
    assert_eq!(r.payload["at"], json!(at("2026-01-05T13:30:00Z")));
    assert_eq!(r.epoch.unwrap().to_string(), "2026-01-05");
    assert_eq!(r.created_at, at("2026-01-05T13:30:00Z"));
    let d = r.payload["message"].as_str().unwrap();
    assert!(d.starts_with("normal action"), "{d}");
    // The operator may record refusals in its own role too; the checker may not.
    db.syn
        .write(&db.operator, vec![refusal_draft(&a, &e)])
        .unwrap();
    assert!(db
        .syn
        .write(&db.checker, vec![refusal_draft(&a, &e)])
        .is_err());
}

#[test]
fn a_refused_submission_never_reaches_the_chain_and_is_recorded() {
    use laniakea_operators::guard::{submit, SubmitError};
    let mut s = Sys::new();
    let mut db = Db::new();
    s.warp(at("2026-01-05T13:30:00Z"));
    let digest = s.e.digest();
    let events = laniakea_chain::Chain::events_since(&s.e, 0).len();
    let (_, normal) = actions(&s, at("2026-01-05T13:30:00Z")).pop().unwrap();
    let err = submit(&guard(), &mut s.e, &mut db.syn, &db.govops, normal).unwrap_err();
    assert!(matches!(err, SubmitError::Refused { .. }), "{err}");
    assert_eq!(err.code(), "guard/processing-window");
    assert_eq!(s.e.digest(), digest, "nothing submitted");
    assert_eq!(laniakea_chain::Chain::events_since(&s.e, 0).len(), events);
    let (recs, _) = db
        .syn
        .list(&Query {
            kind: Some(Kind::GuardRefusal),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(recs.len(), 1);
    // A settlement payment in the same window goes through.
    s.draw("spark", at("2026-01-05T13:30:00Z"), wad(10));
    let pay = Action {
        tx: s.pay_generator_tx("spark", at("2026-01-05T13:31:00Z"), wad(5)),
        purpose: Purpose::SettlementPayment,
    };
    let r = submit(&guard(), &mut s.e, &mut db.syn, &db.govops, pay).unwrap();
    assert!(r.is_ok());
}
