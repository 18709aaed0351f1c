//! srUSDS exchange-rate arithmetic (SPEC §4.9): the one place the formulas live, used by the
//! on-chain Holding System (`laniakea-chain`) and by the off-chain step and capacity records
//! (`laniakea-settlement`), so the chain and the checker cannot drift apart.
//!
//! Contract: `exchangeRate()` (`xr`) is the sUSDS value of 1e18 srUSDS, a [`Wad`]. Every
//! function floors (system-favouring: a lower rate or a smaller conversion means the Holding
//! System owes less) and is checked (overflow is a [`MathError`], never a wrap or a panic):
//! - [`premium_target`] `= xr + ⌊xr·premium_apr·elapsed_s / (1e18·31,536,000)⌋` (simple interest);
//! - [`backing_cap`] `= ⌊holding·1e18 / supply⌋`, `None` while the supply is zero;
//! - [`raise_within_backing`]: the target if it is within the cap, else `max(xr, cap)` — the cap
//!   limits a *raise* and never lowers the rate (only a haircut does);
//! - [`apply_haircut`] `= ⌊rate·(1e18 − fraction)/1e18⌋` for `0 ≤ fraction ≤ 1e18`;
//! - [`susds_to_srusds`] `= ⌊susds·1e18/xr⌋` (subscription output), [`srusds_to_susds`]
//!   `= ⌊srusds·xr/1e18⌋` (redemption payout);
//! - [`is_backed`]: invariant 7, `xr·supply ≤ holding·1e18`, on exact 512-bit products.
//!
//! Pure: no I/O, no clock.

use crate::math::{self, MathError, MathResult, WAD};
use crate::{Apr, Wad, SECONDS_PER_YEAR};
use alloy_primitives::{U256, U512};

/// Which rule bound a premium raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RaiseBound {
    /// The full premium over the elapsed time was applied.
    PremiumApr,
    /// The Holding System's sUSDS bound the raise (possibly to no raise at all).
    HoldingBacking,
}

/// `xr` raised by the full premium over `elapsed_s` (linear, one floor).
pub fn premium_target(xr: Wad, premium_apr: Apr, elapsed_s: u64) -> MathResult<Wad> {
    let rate_time = math::mul(premium_apr.raw(), U256::from(elapsed_s))?;
    let year_wad = math::mul(WAD, U256::from(SECONDS_PER_YEAR))?;
    let raise = math::mul_div_floor(xr.raw(), rate_time, year_wad)?;
    Ok(Wad::from_raw(math::add(xr.raw(), raise)?))
}

/// `⌊holding·1e18 / supply⌋`; `None` while no srUSDS exists (nothing to cover).
pub fn backing_cap(holding_susds: Wad, srusds_supply: Wad) -> MathResult<Option<Wad>> {
    if srusds_supply.is_zero() {
        return Ok(None);
    }
    Ok(Some(Wad::from_raw(math::mul_div_floor(
        holding_susds.raw(),
        WAD,
        srusds_supply.raw(),
    )?)))
}

/// The raise as far as the backing covers: `target` if within `cap`, else `max(xr, cap)`.
pub fn raise_within_backing(xr: Wad, target: Wad, cap: Option<Wad>) -> (Wad, RaiseBound) {
    match cap {
        Some(c) if target > c => (xr.max(c), RaiseBound::HoldingBacking),
        _ => (target, RaiseBound::PremiumApr),
    }
}

/// `⌊rate·(1e18 − fraction)/1e18⌋`; a fraction above 100% is [`MathError::Underflow`].
pub fn apply_haircut(rate: Wad, fraction: Wad) -> MathResult<Wad> {
    let keep = math::sub(WAD, fraction.raw())?;
    Ok(Wad::from_raw(math::mul_div_floor(rate.raw(), keep, WAD)?))
}

/// srUSDS minted for `susds` at `xr`: `⌊susds·1e18/xr⌋` (a zero rate is division by zero).
pub fn susds_to_srusds(susds: Wad, xr: Wad) -> MathResult<Wad> {
    if xr.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    Ok(Wad::from_raw(math::mul_div_floor(
        susds.raw(),
        WAD,
        xr.raw(),
    )?))
}

/// sUSDS paid for `srusds` at `xr`: `⌊srusds·xr/1e18⌋`.
pub fn srusds_to_susds(srusds: Wad, xr: Wad) -> MathResult<Wad> {
    Ok(Wad::from_raw(math::mul_div_floor(
        srusds.raw(),
        xr.raw(),
        WAD,
    )?))
}

/// Invariant 7: `xr·supply ≤ holding·1e18` (exact).
pub fn is_backed(xr: Wad, srusds_supply: Wad, holding_susds: Wad) -> bool {
    U512::from(xr.raw()) * U512::from(srusds_supply.raw())
        <= U512::from(holding_susds.raw()) * U512::from(WAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Wad {
        Wad::parse(s).unwrap_or_default()
    }

    #[test]
    fn a_year_at_ten_percent_raises_par_to_1_1() {
        let t = premium_target(
            w("1"),
            Apr::from_raw(WAD / U256::from(10u8)),
            SECONDS_PER_YEAR,
        );
        assert_eq!(t, Ok(w("1.1")));
    }

    #[test]
    fn the_cap_limits_a_raise_but_never_lowers_the_rate() {
        let cap = backing_cap(w("105"), w("100")).ok().flatten();
        assert_eq!(cap, Some(w("1.05")));
        assert_eq!(
            raise_within_backing(w("1"), w("1.1"), cap),
            (w("1.05"), RaiseBound::HoldingBacking)
        );
        assert_eq!(
            raise_within_backing(w("1.2"), w("1.3"), cap),
            (w("1.2"), RaiseBound::HoldingBacking)
        );
        assert_eq!(
            raise_within_backing(w("1"), w("1.01"), cap),
            (w("1.01"), RaiseBound::PremiumApr)
        );
    }

    #[test]
    fn haircut_and_conversions_floor() {
        assert_eq!(apply_haircut(w("1.5"), w("0.1")), Ok(w("1.35")));
        assert_eq!(apply_haircut(w("1"), w("1")), Ok(Wad::ZERO));
        assert_eq!(apply_haircut(w("1"), w("1.1")), Err(MathError::Underflow));
        assert_eq!(
            susds_to_srusds(w("10"), w("3")).map(|x| x.raw()),
            Ok(U256::from(3_333_333_333_333_333_333u128))
        );
        assert_eq!(
            susds_to_srusds(w("10"), Wad::ZERO),
            Err(MathError::DivisionByZero)
        );
        assert_eq!(srusds_to_susds(w("2"), w("1.5")), Ok(w("3")));
        assert!(is_backed(w("1.5"), w("2"), w("3")));
        assert!(!is_backed(w("1.5"), w("2"), w("2.999")));
    }
}
