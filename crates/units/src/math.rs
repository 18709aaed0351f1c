//! Solidity-exact integer arithmetic on `U256`.
//!
//! Contract: every operation is checked (overflow, underflow and division by zero are
//! [`MathError`] values, never wraps, never saturates, never panics); every division names its
//! rounding direction. Products that can exceed 256 bits go through a 512-bit intermediate.

use alloy_primitives::{uint, U256, U512};
use thiserror::Error;

/// An arithmetic failure. In the engine these surface as a revert with the stable code
/// `Math/<kind>`, the way Solidity ≥0.8 reverts with a panic code on checked arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MathError {
    #[error("Math/overflow")]
    Overflow,
    #[error("Math/underflow")]
    Underflow,
    #[error("Math/division-by-zero")]
    DivisionByZero,
}

impl MathError {
    /// Every code [`MathError::code`] can return.
    pub const CODES: [&'static str; 3] =
        ["Math/overflow", "Math/underflow", "Math/division-by-zero"];

    /// Stable code, e.g. `Math/overflow`.
    pub fn code(&self) -> &'static str {
        match self {
            MathError::Overflow => "Math/overflow",
            MathError::Underflow => "Math/underflow",
            MathError::DivisionByZero => "Math/division-by-zero",
        }
    }
}

pub type MathResult<T> = Result<T, MathError>;

/// `10^18`.
pub const WAD: U256 = uint!(1_000_000_000_000_000_000_U256);
/// `10^27`.
pub const RAY: U256 = uint!(1_000_000_000_000_000_000_000_000_000_U256);
/// `10^45`.
pub const RAD: U256 = uint!(1_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_U256);

#[inline]
pub fn add(a: U256, b: U256) -> MathResult<U256> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

#[inline]
pub fn sub(a: U256, b: U256) -> MathResult<U256> {
    a.checked_sub(b).ok_or(MathError::Underflow)
}

#[inline]
pub fn mul(a: U256, b: U256) -> MathResult<U256> {
    a.checked_mul(b).ok_or(MathError::Overflow)
}

/// Floor division.
#[inline]
pub fn div_floor(a: U256, b: U256) -> MathResult<U256> {
    if b.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    Ok(a / b)
}

/// MCD/dss-allocator `divup`: `x == 0 ? 0 : (x - 1) / y + 1`. `div_up(0, y) = 0` for any `y > 0`.
#[inline]
pub fn div_up(x: U256, y: U256) -> MathResult<U256> {
    if y.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    if x.is_zero() {
        return Ok(U256::ZERO);
    }
    Ok((x - U256::from(1u8)) / y + U256::from(1u8))
}

fn widen(x: U256) -> U512 {
    let l = x.as_limbs();
    U512::from_limbs([l[0], l[1], l[2], l[3], 0, 0, 0, 0])
}

fn narrow(x: U512) -> MathResult<U256> {
    let l = x.as_limbs();
    if l[4] != 0 || l[5] != 0 || l[6] != 0 || l[7] != 0 {
        return Err(MathError::Overflow);
    }
    Ok(U256::from_limbs([l[0], l[1], l[2], l[3]]))
}

/// `floor(a·b / d)` with an exact 512-bit product (OpenZeppelin `mulDiv`, `Rounding.Floor`).
/// Errors if `d == 0` or the quotient does not fit 256 bits.
#[inline]
pub fn mul_div_floor(a: U256, b: U256, d: U256) -> MathResult<U256> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    // Fast path: the product fits 256 bits.
    if let Some(p) = a.checked_mul(b) {
        return Ok(p / d);
    }
    narrow(widen(a) * widen(b) / widen(d))
}

/// `ceil(a·b / d)` with an exact 512-bit product (OpenZeppelin `mulDiv`, `Rounding.Ceil`).
#[inline]
pub fn mul_div_ceil(a: U256, b: U256, d: U256) -> MathResult<U256> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    if let Some(p) = a.checked_mul(b) {
        let q = p / d;
        return if (p % d).is_zero() {
            Ok(q)
        } else {
            add(q, U256::from(1u8))
        };
    }
    let p = widen(a) * widen(b);
    let dw = widen(d);
    let q = narrow(p / dw)?;
    if (p % dw).is_zero() {
        Ok(q)
    } else {
        add(q, U256::from(1u8))
    }
}

/// MCD's `rpow(x, n, b)`: `x^n` in fixed point with base `b`, rounding half up at every
/// squaring and multiplication step (exactly as `jug.sol`/`pot.sol`), reverting on overflow.
/// `rpow(0, 0, b) = b`; `rpow(0, n>0, b) = 0`.
pub fn rpow(x: U256, n: u64, b: U256) -> MathResult<U256> {
    if b.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    if x.is_zero() {
        return Ok(if n == 0 { b } else { U256::ZERO });
    }
    let half = b / U256::from(2u8);
    let mut z = if n.is_multiple_of(2) { b } else { x };
    let mut x = x;
    let mut n = n / 2;
    while n > 0 {
        let xx = mul(x, x)?;
        let xx_round = add(xx, half)?;
        x = xx_round / b;
        if n % 2 == 1 {
            let zx = mul(z, x)?;
            let zx_round = add(zx, half)?;
            z = zx_round / b;
        }
        n /= 2;
    }
    Ok(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: u128) -> U256 {
        U256::from(x)
    }

    #[test]
    fn constants_are_powers_of_ten() {
        assert_eq!(WAD, U256::from(10u8).pow(U256::from(18u8)));
        assert_eq!(RAY, U256::from(10u8).pow(U256::from(27u8)));
        assert_eq!(RAD, U256::from(10u8).pow(U256::from(45u8)));
    }

    #[test]
    fn div_up_matches_divup_definition() {
        assert_eq!(div_up(U256::ZERO, u(7)), Ok(U256::ZERO));
        assert_eq!(div_up(u(1), u(7)), Ok(u(1)));
        assert_eq!(div_up(u(7), u(7)), Ok(u(1)));
        assert_eq!(div_up(u(8), u(7)), Ok(u(2)));
        assert_eq!(div_up(u(8), U256::ZERO), Err(MathError::DivisionByZero));
    }

    #[test]
    fn mul_div_uses_512_bit_intermediate() {
        let big = U256::MAX;
        // (MAX * MAX) / MAX = MAX, only possible with a wide product.
        assert_eq!(mul_div_floor(big, big, big), Ok(big));
        assert_eq!(mul_div_ceil(big, big, big), Ok(big));
        // (MAX * 5) / 7 is inexact (MAX·5 ≡ 5 mod 7): floor and ceil are one apart.
        let f = mul_div_floor(big, u(5), u(7)).unwrap();
        let c = mul_div_ceil(big, u(5), u(7)).unwrap();
        assert_eq!(c, f + u(1));
        // quotient too large
        assert_eq!(mul_div_floor(big, u(2), u(1)), Err(MathError::Overflow));
        assert_eq!(
            mul_div_floor(u(1), u(1), U256::ZERO),
            Err(MathError::DivisionByZero)
        );
    }

    #[test]
    fn checked_ops_never_wrap() {
        assert_eq!(add(U256::MAX, u(1)), Err(MathError::Overflow));
        assert_eq!(sub(u(0), u(1)), Err(MathError::Underflow));
        assert_eq!(mul(U256::MAX, u(2)), Err(MathError::Overflow));
    }

    #[test]
    fn rpow_known_values() {
        assert_eq!(rpow(U256::ZERO, 0, RAY), Ok(RAY));
        assert_eq!(rpow(U256::ZERO, 5, RAY), Ok(U256::ZERO));
        assert_eq!(rpow(RAY, 1_000_000, RAY), Ok(RAY));
        // 2^10 in ray.
        assert_eq!(rpow(u(2) * RAY, 10, RAY), Ok(u(1024) * RAY));
        // 1.5^3 = 3.375 (exact in ray).
        let x = RAY + RAY / u(2);
        assert_eq!(rpow(x, 3, RAY), Ok(u(3375) * RAY / u(1000)));
        // A base-10 worked example of half-up rounding at each step: 15^2 in base 10 is
        // 225 → (225 + 5)/10 = 23 (1.5² = 2.25 → 2.3 at one decimal).
        assert_eq!(rpow(u(15), 2, u(10)), Ok(u(23)));
        // 1.5^3 at one decimal: z = 15 (odd n); x = 23 (1.5² rounded); z = (15·23 + 5)/10 = 35.
        assert_eq!(rpow(u(15), 3, u(10)), Ok(u(35)));
    }

    #[test]
    fn rpow_overflow_reverts() {
        assert_eq!(rpow(U256::MAX / u(2), 2, RAY), Err(MathError::Overflow));
    }
}
