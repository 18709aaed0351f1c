//! Property tests: windows tile time for any skips; penalties are zero at the due instant,
//! non-decreasing in time and linear in the unpaid amount; invariant 9 for random
//! payment/forgiveness sequences.
#![allow(clippy::unwrap_used)]

use laniakea_settlement::ledger::{Ledger, Payer, Thresholds};
use laniakea_settlement::{Calendar, EpochId};
use laniakea_units::{Timestamp, Wad, U256, WAD};
use proptest::prelude::*;

const JAN1: u64 = 1_767_225_600;

proptest! {
    #[test]
    fn windows_tile_time_for_any_skips(start_offset in 0u64..86_400, skip_mask in any::<u64>(), days in 2usize..60) {
        let start = Timestamp(JAN1 + start_offset);
        let first = Calendar::new(start, []).unwrap().first_epoch();
        let mut all = vec![first];
        for _ in 1..days {
            let n = all.last().unwrap().next().unwrap();
            all.push(n);
        }
        let skips: Vec<EpochId> = all.iter().enumerate().filter(|(i, _)| skip_mask >> (i % 64) & 1 == 1).map(|(_, e)| *e).collect();
        let cal = Calendar::new(start, skips.clone()).unwrap();
        let mut cursor = start;
        let mut measured = 0u64;
        for e in &all {
            match cal.window(*e) {
                Ok(w) => {
                    prop_assert_eq!(w.start, cursor, "gap or overlap before {}", e);
                    prop_assert!(w.end > w.start);
                    measured += w.duration_s();
                    cursor = w.end;
                    // Every instant of the window is measured by this epoch.
                    prop_assert_eq!(cal.measuring_epoch(w.start).unwrap(), *e);
                    prop_assert_eq!(cal.measuring_epoch(Timestamp(w.end.0 - 1)).unwrap(), *e);
                }
                Err(_) => prop_assert!(skips.contains(e)),
            }
        }
        prop_assert_eq!(measured, cursor.0 - start.0, "every second measured exactly once");
    }

    #[test]
    fn penalty_zero_at_due_monotone_and_linear(amount in 1u64..1_000_000_000, k in 1u64..1000, t1 in 0u64..400_000, dt in 0u64..400_000) {
        let e = EpochId::parse("2026-01-05").unwrap();
        let due = e.moment();
        let mut a = Ledger::new("a", Wad::from_raw(WAD / U256::from(1000u32)), Thresholds::default()).unwrap();
        let mut b = Ledger::new("b", Wad::from_raw(WAD / U256::from(1000u32)), Thresholds::default()).unwrap();
        let x = U256::from(amount) * U256::from(1_000_000_007u64);
        let oa = a.post_statement(due, e, Payer::Prime, due, Wad::from_raw(x), &[]).unwrap();
        let ob = b.post_statement(due, e, Payer::Prime, due, Wad::from_raw(x * U256::from(k)), &[]).unwrap();
        prop_assert_eq!(a.penalty_accrued(oa, due).unwrap(), Wad::ZERO);
        let p1 = a.penalty_accrued(oa, Timestamp(due.0 + t1)).unwrap().raw();
        let p2 = a.penalty_accrued(oa, Timestamp(due.0 + t1 + dt)).unwrap().raw();
        prop_assert!(p2 >= p1, "penalty decreased over time");
        // Linear in the unpaid amount, up to the final floor: k·p ≤ p_k < k·(p + 1).
        let pk = b.penalty_accrued(ob, Timestamp(due.0 + t1)).unwrap().raw();
        let kk = U256::from(k);
        prop_assert!(kk * p1 <= pk && pk < kk * (p1 + U256::from(1u8)), "p={p1} pk={pk} k={k}");
    }

    #[test]
    fn invariant_9_for_random_payments_and_forgiveness(ops in proptest::collection::vec((0u8..4, 1u64..10_000, 1u64..20_000), 1..40)) {
        let mut l = Ledger::new("p", Wad::from_raw(WAD / U256::from(100u32)), Thresholds::default()).unwrap();
        let mut e = EpochId::parse("2026-01-05").unwrap();
        let mut now = e.lock();
        for (kind, amt, step) in ops {
            now = Timestamp(now.0 + step);
            let a = Wad::from_raw(U256::from(amt) * U256::from(1_000_000_000_000_000u64));
            match kind {
                0 => {
                    // The statement carries every open penalty, crystallised as of posting.
                    l.crystallize_penalties(now).unwrap();
                    let carried = l.penalties_to_carry();
                    let total = carried.iter().fold(a.raw(), |t, (_, c)| t + c.raw());
                    l.post_statement(now, e, Payer::Prime, Timestamp(now.0 + 3600), Wad::from_raw(total), &carried).unwrap();
                }
                1 => { let _ = l.pay(now, Payer::Prime, a); }
                2 => {
                    e = e.next().unwrap();
                    l.crystallize_penalties(now).unwrap();
                }
                _ => {
                    if let Some((id, open)) = l.open_penalties(Payer::Prime).first().copied() {
                        let f = Wad::from_raw(open.raw().min(a.raw()));
                        l.forgive(now, id, f, "incident").unwrap();
                    }
                }
            }
            prop_assert!(l.check_invariant_9().is_ok(), "{:?}", l.check_invariant_9());
        }
    }
}

/// Σ of the penalty records booked on obligation `source`.
fn penalties_on(l: &Ledger, source: u64) -> U256 {
    l.penalties
        .iter()
        .filter(|p| p.source == source)
        .fold(U256::ZERO, |a, p| a + p.amount_wad.raw())
}

proptest! {
    /// SPEC §5.4 floors the penalty at the end: crystallising at any set of instants books the
    /// same total, to the wei, as crystallising once at the end, which equals the exact formula
    /// `⌊Σ unpaid·rate·seconds / 3600⌋` computed here independently.
    #[test]
    fn penalty_total_is_independent_of_the_crystallisation_schedule(
        amount_wei in 1u128..10u128.pow(24),
        rate_wei in 1u64..10u64.pow(16),
        payments in proptest::collection::vec((0u64..300_000, 1u64..100), 0..5),
        cuts in proptest::collection::btree_set(0u64..300_000, 0..10),
        end in 300_000u64..400_000,
    ) {
        let e = EpochId::parse("2026-01-05").unwrap();
        let due = e.moment();
        let rate = Wad::from_raw(U256::from(rate_wei));
        let mut split = Ledger::new("split", rate, Thresholds::default()).unwrap();
        let mut once = Ledger::new("once", rate, Thresholds::default()).unwrap();
        let amount = Wad::from_raw(U256::from(amount_wei));
        let os = split.post_statement(due, e, Payer::Prime, due, amount, &[]).unwrap();
        let oo = once.post_statement(due, e, Payer::Prime, due, amount, &[]).unwrap();
        // Events in time order: payments (a percentage of what is open) and crystallisations.
        let mut events: Vec<(u64, Option<u64>)> = payments.iter().map(|(t, pct)| (*t, Some(*pct))).collect();
        events.extend(cuts.iter().map(|t| (*t, None)));
        events.sort();
        let mut open = U256::from(amount_wei);
        let mut unpaid_steps = vec![(0u64, open)];
        for (dt, what) in events {
            let at = Timestamp(due.0 + dt);
            match what {
                Some(pct) => {
                    let pay = open * U256::from(pct) / U256::from(100u8);
                    if pay.is_zero() {
                        continue;
                    }
                    split.pay(at, Payer::Prime, Wad::from_raw(pay)).unwrap();
                    once.pay(at, Payer::Prime, Wad::from_raw(pay)).unwrap();
                    open -= pay;
                    unpaid_steps.push((dt, open));
                }
                None => {
                    split.crystallize_penalties(at).unwrap();
                }
            }
        }
        let end_at = Timestamp(due.0 + end);
        split.crystallize_penalties(end_at).unwrap();
        once.crystallize_penalties(end_at).unwrap();
        // Reference: the exact integral of the unpaid amount, floored once.
        let mut integral = U256::ZERO;
        for (k, (t, v)) in unpaid_steps.iter().enumerate() {
            let next = unpaid_steps.get(k + 1).map_or(end, |s| s.0);
            integral += *v * U256::from(next - t);
        }
        let expected = integral * rate.raw() / (U256::from(3600u32) * WAD);
        prop_assert_eq!(penalties_on(&once, oo), expected);
        prop_assert_eq!(penalties_on(&split, os), expected, "schedule {:?}", cuts);
    }
}

/// Regression (issue 9): 1 wei unpaid at 100% per hour for one hour is 1 wei of penalty whether
/// crystallised once at 60 minutes or at 30 and at 60 minutes (it was 0 wei in the second case).
#[test]
fn penalty_crystallised_at_30_and_60_minutes_equals_once_at_60() {
    let e = EpochId::parse("2026-01-05").unwrap();
    let due = e.moment();
    let mut twice = Ledger::new("twice", Wad::from_raw(WAD), Thresholds::default()).unwrap();
    let mut once = Ledger::new("once", Wad::from_raw(WAD), Thresholds::default()).unwrap();
    let a = twice
        .post_statement(
            due,
            e,
            Payer::Prime,
            due,
            Wad::from_raw(U256::from(1u8)),
            &[],
        )
        .unwrap();
    let b = once
        .post_statement(
            due,
            e,
            Payer::Prime,
            due,
            Wad::from_raw(U256::from(1u8)),
            &[],
        )
        .unwrap();
    assert!(twice
        .crystallize_penalties(Timestamp(due.0 + 1800))
        .unwrap()
        .is_empty());
    twice
        .crystallize_penalties(Timestamp(due.0 + 3600))
        .unwrap();
    once.crystallize_penalties(Timestamp(due.0 + 3600)).unwrap();
    assert_eq!(penalties_on(&once, b), U256::from(1u8));
    assert_eq!(penalties_on(&twice, a), U256::from(1u8));
}
