//! The relayer-compromise bound on the real engine (issue 16, "How it is shown"): the loss never
//! exceeds `rate limit × time to freeze + current headroom` (with SORL raises: the exact
//! piecewise sum), and the fastest attacker the engine allows reaches it to the wei.

#![allow(clippy::unwrap_used)]

use alloy_primitives::U256;
use laniakea_stress::attack::{run, Pattern, Setup};
use laniakea_stress::calibrate::{raise, worst_loss, KeyState, Raises};
use laniakea_units::WAD;
use proptest::prelude::*;

fn usds(x: u64) -> U256 {
    U256::from(x) * WAD
}

fn setup(max: U256, slope: U256, headroom0: U256, freeze_s: u64, raises: bool) -> Setup {
    Setup {
        max_amount: max,
        slope,
        headroom0,
        freeze_s,
        raises,
        hop_s: 18 * 3600,
        max_change_bps: 2500,
    }
}

#[test]
fn greedy_relayer_reaches_the_bound_to_the_wei_without_raises() {
    // 100,000 USDS a day, half the limit left at the compromise, frozen after 7h 13m 5s.
    let max = usds(100_000);
    let slope = max / U256::from(86_400u32);
    let s = setup(
        max,
        slope,
        max / U256::from(2u8),
        7 * 3600 + 13 * 60 + 5,
        false,
    );
    let o = run(&s, &Pattern::Greedy, true).unwrap();
    let bound = s.max_amount / U256::from(2u8) + slope * U256::from(s.freeze_s);
    assert_eq!(o.bound, bound, "the bound is headroom₀ + slope·t_freeze");
    assert_eq!(o.loss, o.bound, "the fastest attacker reaches it exactly");
    assert!(o.frozen, "after the freeze the relayer is refused");
}

#[test]
fn with_a_zero_slope_the_headroom_at_the_compromise_is_all_there_is() {
    // No refill: whatever the pattern, the loss is the headroom at the compromise.
    let max = usds(1_000);
    let h0 = usds(250);
    let s = setup(max, U256::ZERO, h0, 0, false);
    let over = Pattern::Random {
        drains: vec![(0, 10_000)],
        raises: vec![],
    };
    let o = run(&s, &over, true).unwrap();
    assert_eq!((o.loss, o.bound), (h0, h0));
}

#[test]
fn a_gap_longer_than_max_over_slope_wastes_refill() {
    // Drain only at t0 and at the freeze: the limit caps at maxAmount in between, so the loss is
    // headroom₀ + maxAmount, strictly below the bound when slope·t > maxAmount.
    let max = usds(1_000);
    let slope = usds(1);
    let s = setup(max, slope, max, 5_000, false);
    let two = Pattern::Random {
        drains: vec![(0, 10_000), (5_000, 10_000)],
        raises: vec![],
    };
    let o = run(&s, &two, true).unwrap();
    assert_eq!(o.loss, max + max);
    assert_eq!(o.bound, max + slope * U256::from(5_000u32));
    assert!(o.loss < o.bound);
    // while the greedy pattern (a drain every ⌊max/slope⌋ = 1,000 s) reaches the bound
    let g = run(&s, &Pattern::Greedy, true).unwrap();
    assert_eq!(g.loss, g.bound);
}

#[test]
fn greedy_executor_with_the_cbeam_reaches_the_sorl_bound_to_the_wei() {
    // The compromised executor also raises under SORL (every 18 h, +25 %), for 2.5 days.
    let max = usds(100_000);
    let slope = max / U256::from(86_400u32);
    let s = setup(max, slope, U256::ZERO, 60 * 3600, true);
    let o = run(&s, &Pattern::Greedy, true).unwrap();
    // bound by hand: 18 h at slope, 18 h at raise(slope), 18 h at raise²(slope), 6 h at raise³
    let (s1, s2, s3) = (
        raise(slope, 2500),
        raise(raise(slope, 2500), 2500),
        raise(raise(raise(slope, 2500), 2500), 2500),
    );
    let h = U256::from(18 * 3600u32);
    let by_hand = slope * h + s1 * h + s2 * h + s3 * U256::from(6 * 3600u32);
    assert_eq!(o.bound, by_hand);
    assert_eq!(o.loss, o.bound);
    assert_eq!(o.raises, 3);
    assert!(o.frozen);
}

#[test]
fn a_relayer_without_the_cbeam_gains_nothing_from_time_past_a_full_limit() {
    // slope above maxAmount: every second refills only to maxAmount.
    let max = usds(10);
    let slope = usds(25);
    let s = setup(max, slope, max, 30, false);
    let o = run(&s, &Pattern::Greedy, true).unwrap();
    assert_eq!(o.bound, max + max * U256::from(30u8));
    assert_eq!(o.loss, o.bound);
}

/// (offset s, share bps) pairs: drains, then raises.
type Plan = (Vec<(u64, u16)>, Vec<(u64, u16)>);

fn pattern() -> impl Strategy<Value = Plan> {
    (
        prop::collection::vec((0u64..=1_000_000, 1u16..=10_000), 0..12),
        prop::collection::vec((0u64..=1_000_000, 0u16..=10_000), 0..5),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Random limits, headroom, freeze times and attack patterns (with and without SORL raises):
    /// the loss never exceeds the bound, and the engine's loss equals what the relayer drew.
    #[test]
    fn loss_never_exceeds_the_bound(
        max_whole in 1u64..=1_000_000,
        max_frac in 0u64..WAD_U64,
        slope_div in 1u64..=200_000,
        h0_bps in 0u64..=10_000,
        freeze_s in 0u64..=(3 * 86_400),
        raises in any::<bool>(),
        (drains, raise_plan) in pattern(),
    ) {
        let max = U256::from(max_whole) * WAD + U256::from(max_frac);
        let slope = max / U256::from(slope_div);
        let h0 = max * U256::from(h0_bps) / U256::from(10_000u16);
        let s = setup(max, slope, h0, freeze_s, raises);
        let scale = |v: &Vec<(u64, u16)>| -> Vec<(u64, u16)> {
            v.iter().map(|&(o, b)| (o % (freeze_s + 1), b)).collect()
        };
        let p = Pattern::Random { drains: scale(&drains), raises: scale(&raise_plan) };
        let o = run(&s, &p, false).unwrap();
        prop_assert!(o.loss <= o.bound, "loss {} > bound {}", o.loss, o.bound);
        prop_assert!(o.frozen);
        // the bound is the closed form, independently of the engine
        let r = if raises {
            Raises::Sorl { first_in_s: s.hop_s, hop_s: s.hop_s, max_change_bps: s.max_change_bps }
        } else {
            Raises::None
        };
        prop_assert_eq!(o.bound, worst_loss(KeyState { max_amount: max, slope, headroom: h0 }, r, freeze_s).unwrap());
    }

    /// The greedy pattern reaches the bound exactly, for any limit, headroom and freeze time.
    #[test]
    fn greedy_reaches_the_bound(
        max_whole in 1u64..=1_000_000,
        slope_div in 1u64..=100_000,
        h0_bps in 0u64..=10_000,
        freeze_raw in 0u64..=(3 * 86_400),
        raises in any::<bool>(),
    ) {
        // at most ~300 drains a case (one every ⌊max/slope⌋ ≈ slope_div seconds)
        let freeze_s = freeze_raw % (slope_div * 300 + 1);
        let max = U256::from(max_whole) * WAD;
        let slope = max / U256::from(slope_div);
        let h0 = max * U256::from(h0_bps) / U256::from(10_000u16);
        let s = setup(max, slope, h0, freeze_s, raises);
        let o = run(&s, &Pattern::Greedy, false).unwrap();
        prop_assert_eq!(o.loss, o.bound);
    }
}

const WAD_U64: u64 = 1_000_000_000_000_000_000;
