//! Exact time integrals of balances (token-seconds).
//!
//! Contract: a [`BalanceHistory`] is the balance before its first change plus a list of changes
//! `(at, new balance)` with strictly increasing times; it is validated on construction.
//! [`BalanceHistory::integral`] returns `Σ balance·seconds` over a window as an exact U256 (unit:
//! wad·s); no averaging or rounding happens before the end, so integrals over adjacent windows add
//! up exactly to the integral over their union.

use crate::calendar::Window;
use alloy_primitives::U256;
use laniakea_units::{math, MathError, Timestamp, WadSeconds};
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HistoryError {
    #[error("change {index} at {at} is not after the previous change at {prev}: changes must be sorted and distinct in time")]
    Unsorted {
        index: usize,
        at: Timestamp,
        prev: Timestamp,
    },
    #[error("integral overflows 256 bits")]
    Overflow,
}

impl From<MathError> for HistoryError {
    fn from(_: MathError) -> Self {
        HistoryError::Overflow
    }
}

/// A balance over time [base units of its token].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BalanceHistory {
    /// Balance before the first change.
    pub initial: U256,
    /// `(at, balance from at on)`, strictly increasing in `at`.
    changes: Vec<(Timestamp, U256)>,
}

impl BalanceHistory {
    pub fn new(
        initial: U256,
        changes: Vec<(Timestamp, U256)>,
    ) -> Result<BalanceHistory, HistoryError> {
        for (i, w) in changes.windows(2).enumerate() {
            if w[1].0 <= w[0].0 {
                return Err(HistoryError::Unsorted {
                    index: i + 1,
                    at: w[1].0,
                    prev: w[0].0,
                });
            }
        }
        Ok(BalanceHistory { initial, changes })
    }

    /// A balance that never changes.
    pub fn constant(v: U256) -> BalanceHistory {
        BalanceHistory {
            initial: v,
            changes: Vec::new(),
        }
    }

    /// Sets the balance from `at` on, replacing a change at the same instant. Changes are appended
    /// in time order by their only caller (the ledger, whose events are time-ordered), so an
    /// earlier `at` is a bug, not an input error.
    pub(crate) fn set_from(&mut self, at: Timestamp, balance: U256) {
        match self.changes.last_mut() {
            Some((t, v)) if *t == at => *v = balance,
            Some((t, _)) => {
                assert!(*t < at, "balance change at {at} before the last one at {t}");
                self.changes.push((at, balance));
            }
            None => self.changes.push((at, balance)),
        }
    }

    pub fn changes(&self) -> &[(Timestamp, U256)] {
        &self.changes
    }

    /// Balance at instant `t` (after any change at `t`).
    pub fn at(&self, t: Timestamp) -> U256 {
        let i = self.changes.partition_point(|(at, _)| *at <= t);
        if i == 0 {
            self.initial
        } else {
            self.changes[i - 1].1
        }
    }

    /// `∫ balance dt` over `[w.start, w.end)` [wad·s], exact.
    pub fn integral(&self, w: Window) -> Result<WadSeconds, HistoryError> {
        if w.end <= w.start {
            return Ok(WadSeconds::ZERO);
        }
        let first = self.changes.partition_point(|(at, _)| *at <= w.start);
        let mut bal = if first == 0 {
            self.initial
        } else {
            self.changes[first - 1].1
        };
        let mut t = w.start.0;
        let mut acc = U256::ZERO;
        for &(at, next) in &self.changes[first..] {
            if at.0 >= w.end.0 {
                break;
            }
            acc = math::add(acc, math::mul(bal, U256::from(at.0 - t))?)?;
            t = at.0;
            bal = next;
        }
        acc = math::add(acc, math::mul(bal, U256::from(w.end.0 - t))?)?;
        Ok(WadSeconds::from_raw(acc))
    }
}

/// Σ of several histories' integrals (e.g. debt = legacy ilk + vault principal).
pub fn integral_sum<'a>(
    hs: impl IntoIterator<Item = &'a BalanceHistory>,
    w: Window,
) -> Result<WadSeconds, HistoryError> {
    hs.into_iter().try_fold(WadSeconds::ZERO, |acc, h| {
        Ok(acc.checked_add(h.integral(w)?)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn w(a: u64, b: u64) -> Window {
        Window {
            start: Timestamp(a),
            end: Timestamp(b),
        }
    }

    #[test]
    fn balance_changing_inside_the_window() {
        // 100 from the start, 250 from t=40, 0 from t=90; window [10, 100):
        //   100·(40−10) + 250·(90−40) + 0·(100−90) = 3000 + 12500 + 0 = 15500.
        let h = BalanceHistory::new(
            U256::from(100u8),
            vec![
                (Timestamp(40), U256::from(250u16)),
                (Timestamp(90), U256::ZERO),
            ],
        )
        .unwrap();
        assert_eq!(
            h.integral(w(10, 100)).unwrap(),
            WadSeconds::from_raw(U256::from(15_500u32))
        );
        // A change before the window sets the opening balance: [50, 60) → 250·10.
        assert_eq!(
            h.integral(w(50, 60)).unwrap(),
            WadSeconds::from_raw(U256::from(2_500u32))
        );
        // A change exactly at the window end does not count.
        assert_eq!(
            h.integral(w(10, 40)).unwrap(),
            WadSeconds::from_raw(U256::from(3_000u32))
        );
        assert_eq!(h.at(Timestamp(40)), U256::from(250u16));
        assert_eq!(h.at(Timestamp(39)), U256::from(100u16));
    }

    #[test]
    fn unsorted_or_duplicate_times_are_refused() {
        let e = BalanceHistory::new(
            U256::ZERO,
            vec![
                (Timestamp(5), U256::from(1u8)),
                (Timestamp(5), U256::from(2u8)),
            ],
        );
        assert_eq!(
            e,
            Err(HistoryError::Unsorted {
                index: 1,
                at: Timestamp(5),
                prev: Timestamp(5)
            })
        );
        assert!(BalanceHistory::new(
            U256::ZERO,
            vec![
                (Timestamp(6), U256::from(1u8)),
                (Timestamp(5), U256::from(2u8))
            ]
        )
        .is_err());
    }

    fn history() -> impl Strategy<Value = BalanceHistory> {
        (
            any::<u64>(),
            proptest::collection::btree_map(0u64..1_000_000, any::<u128>(), 0..50),
        )
            .prop_map(|(init, m)| {
                BalanceHistory::new(
                    U256::from(init),
                    m.into_iter()
                        .map(|(t, v)| (Timestamp(t), U256::from(v)))
                        .collect(),
                )
                .unwrap()
            })
    }

    proptest! {
        #[test]
        fn splitting_a_window_adds_up(h in history(), a in 0u64..1_000_000, len in 0u64..1_000_000, cut in 0u64..1_000_000) {
            let b = a + len;
            let c = a + cut % (len + 1);
            let whole = h.integral(w(a, b)).unwrap().raw();
            let parts = h.integral(w(a, c)).unwrap().raw() + h.integral(w(c, b)).unwrap().raw();
            prop_assert_eq!(whole, parts);
        }

        #[test]
        fn integral_matches_second_by_second_sum(h in history(), a in 0u64..1000, len in 0u64..500) {
            let mut sum = U256::ZERO;
            for t in a..a + len {
                sum += h.at(Timestamp(t));
            }
            prop_assert_eq!(h.integral(w(a, a + len)).unwrap().raw(), sum);
        }
    }
}
