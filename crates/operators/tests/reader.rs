//! The chain reader: histories rebuilt from the event log through the seam, cross-checked
//! against views, cut canonically to a window; settlement payments seen in both directions.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use laniakea_operators::reader::ChainReader;
use laniakea_settlement::ledger::Payer;
use laniakea_settlement::{BalanceHistory, Window};
use laniakea_units::Wad;

#[test]
fn histories_follow_draws_wipes_transfers_and_susds() {
    let mut s = Sys::new();
    s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1000));
    s.draw("spark", at("2026-01-01T18:00:00Z"), wad(500));
    s.wipe("spark", at("2026-01-02T06:00:00Z"), wad(200));
    s.deposit_susds("spark", at("2026-01-02T07:00:00Z"), wad(300));
    let pay = s.pay_generator_tx("spark", at("2026-01-02T14:00:00Z"), wad(7));
    s.run(pay);
    s.warp(at("2026-01-02T16:00:00Z"));
    let mut r = ChainReader::new(s.deployment()).unwrap();
    r.sync(&s.e).unwrap();
    r.verify(&s.e).unwrap();
    let w = Window {
        start: at("2026-01-01T13:00:00Z"),
        end: at("2026-01-02T13:00:00Z"),
    };
    let h = r.window(&s.e, "spark", w).unwrap();
    // Canonical cut: the balance at the window start, then the changes strictly inside.
    assert_eq!(
        h.debt_legacy,
        BalanceHistory::new(
            wad(1000).raw(),
            vec![
                (at("2026-01-01T18:00:00Z"), wad(1500).raw()),
                (at("2026-01-02T06:00:00Z"), wad(1300).raw())
            ]
        )
        .unwrap()
    );
    assert_eq!(
        h.idle_usds,
        BalanceHistory::new(
            wad(1000).raw(),
            vec![
                (at("2026-01-01T18:00:00Z"), wad(1500).raw()),
                (at("2026-01-02T06:00:00Z"), wad(1300).raw()),
                (at("2026-01-02T07:00:00Z"), wad(1000).raw()),
            ]
        )
        .unwrap()
    );
    assert_eq!(
        h.idle_susds_value,
        BalanceHistory::new(
            Default::default(),
            vec![(at("2026-01-02T07:00:00Z"), wad(300).raw())]
        )
        .unwrap()
    );
    // The payment inside the next window is seen, not counted in this one.
    assert_eq!(r.payments().len(), 1);
    assert_eq!(r.payments()[0].payer, Payer::Prime);
    assert_eq!(r.payments()[0].amount_wad, wad(7));
    assert_eq!(r.payments()[0].prime, "spark");
    // Other Primes: nothing.
    assert_eq!(
        r.window(&s.e, "grove", w).unwrap().debt_legacy,
        BalanceHistory::default()
    );
}

#[test]
fn reading_again_later_gives_the_same_window() {
    let mut s = Sys::new();
    s.draw("grove", at("2026-01-01T06:00:00Z"), wad(10));
    s.warp(at("2026-01-01T13:00:00Z"));
    let w = Window {
        start: at("2026-01-01T00:00:00Z"),
        end: at("2026-01-01T13:00:00Z"),
    };
    let mut r = ChainReader::new(s.deployment()).unwrap();
    r.sync(&s.e).unwrap();
    let first = r.window(&s.e, "grove", w).unwrap();
    s.draw("grove", at("2026-01-01T13:00:00Z"), wad(10)); // at the lock: belongs to the next window
    s.draw("grove", at("2026-01-01T20:00:00Z"), wad(10));
    r.sync(&s.e).unwrap();
    assert_eq!(r.window(&s.e, "grove", w).unwrap(), first);
    // A fresh reader (a restarted operator) agrees.
    let mut fresh = ChainReader::new(s.deployment()).unwrap();
    fresh.sync(&s.e).unwrap();
    assert_eq!(fresh.window(&s.e, "grove", w).unwrap(), first);
}

#[test]
fn a_window_that_has_not_closed_is_refused() {
    let mut s = Sys::new();
    s.warp(at("2026-01-01T12:59:59Z"));
    let r = ChainReader::new(s.deployment()).unwrap();
    let w = Window {
        start: at("2026-01-01T00:00:00Z"),
        end: at("2026-01-01T13:00:00Z"),
    };
    assert_eq!(
        r.window(&s.e, "spark", w).unwrap_err().code(),
        "reader/window-open"
    );
}

#[test]
fn an_incomplete_log_is_a_log_view_mismatch() {
    let mut s = Sys::new();
    s.draw("keel", at("2026-01-01T06:00:00Z"), wad(10));
    let mut r = ChainReader::new(s.deployment()).unwrap();
    r.sync(&s.e).unwrap();
    s.draw("keel", at("2026-01-01T07:00:00Z"), wad(10));
    // Not synced: the replay is behind the views.
    let e = r.verify(&s.e).unwrap_err();
    assert_eq!(e.code(), "reader/log-view-mismatch");
    assert!(e.to_string().contains("debt_legacy of 'keel'"), "{e}");
    r.sync(&s.e).unwrap();
    r.verify(&s.e).unwrap();
}

#[test]
fn generator_payments_to_a_prime_are_seen() {
    let mut s = Sys::new();
    s.draw("gen", at("2026-01-01T06:00:00Z"), wad(100));
    let (usds, to) = (s.a("usds"), s.a("keel_proxy"));
    let tx = s.tx(
        "gen_relayer",
        at("2026-01-01T14:00:00Z"),
        s.ctrl(
            "gen",
            laniakea_chain::call::ControllerCall::TransferAsset {
                asset: usds,
                to,
                amount: Wad::from_raw(wad(3).raw()),
            },
        ),
    );
    s.run(tx);
    let mut r = ChainReader::new(s.deployment()).unwrap();
    r.sync(&s.e).unwrap();
    assert_eq!(r.payments().len(), 1);
    assert_eq!(
        (r.payments()[0].payer, r.payments()[0].prime.as_str()),
        (Payer::Generator, "keel")
    );
}
