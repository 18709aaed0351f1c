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
        let mut a = Ledger::new("a", Wad(WAD / U256::from(1000u32)), Thresholds::default()).unwrap();
        let mut b = Ledger::new("b", Wad(WAD / U256::from(1000u32)), Thresholds::default()).unwrap();
        let x = U256::from(amount) * U256::from(1_000_000_007u64);
        let oa = a.add_obligation(due, e, Payer::Prime, due, Wad(x)).unwrap();
        let ob = b.add_obligation(due, e, Payer::Prime, due, Wad(x * U256::from(k))).unwrap();
        prop_assert_eq!(a.penalty_accrued(oa, due).unwrap(), Wad::ZERO);
        let p1 = a.penalty_accrued(oa, Timestamp(due.0 + t1)).unwrap().0;
        let p2 = a.penalty_accrued(oa, Timestamp(due.0 + t1 + dt)).unwrap().0;
        prop_assert!(p2 >= p1, "penalty decreased over time");
        // Linear in the unpaid amount, up to the final floor: k·p ≤ p_k < k·(p + 1).
        let pk = b.penalty_accrued(ob, Timestamp(due.0 + t1)).unwrap().0;
        let kk = U256::from(k);
        prop_assert!(kk * p1 <= pk && pk < kk * (p1 + U256::from(1u8)), "p={p1} pk={pk} k={k}");
    }

    #[test]
    fn invariant_9_for_random_payments_and_forgiveness(ops in proptest::collection::vec((0u8..4, 1u64..10_000, 1u64..20_000), 1..40)) {
        let mut l = Ledger::new("p", Wad(WAD / U256::from(100u32)), Thresholds::default()).unwrap();
        let mut e = EpochId::parse("2026-01-05").unwrap();
        let mut now = e.lock();
        for (kind, amt, step) in ops {
            now = Timestamp(now.0 + step);
            let a = Wad(U256::from(amt) * U256::from(1_000_000_000_000_000u64));
            match kind {
                0 => { l.add_obligation(now, e, Payer::Prime, Timestamp(now.0 + 3600), a).unwrap(); }
                1 => { let _ = l.pay(now, Payer::Prime, a); }
                2 => {
                    e = e.next().unwrap();
                    let due = e.moment();
                    let _ = l.crystallize_penalties(now, e, due);
                }
                _ => {
                    if let Some((id, open)) = l.open_penalties(Payer::Prime).first().copied() {
                        let f = Wad(open.0.min(a.0));
                        l.forgive(now, id, f, "incident").unwrap();
                    }
                }
            }
            prop_assert!(l.check_invariant_9().is_ok(), "{:?}", l.check_invariant_9());
        }
    }
}
