//! laniakea-units: fixed-point money and time types with Solidity-exact arithmetic.
//!
//! Contract: no floating point; every operation on money is checked and names its rounding;
//! decimal text converts to base units exactly or fails with a reason. Pure: no I/O, no clock.

pub mod decimal;
pub mod fixed;
pub mod math;

pub use alloy_primitives::{Address, B256, U256};
pub use decimal::{format_decimal, parse_decimal, DecimalError};
pub use fixed::{Apr, Rad, Ray, Timestamp, Wad};
pub use math::{div_up, mul_div_ceil, mul_div_floor, rpow, MathError, MathResult, RAD, RAY, WAD};

/// Seconds in the settlement year (365 days).
pub const SECONDS_PER_YEAR: u64 = 31_536_000;
