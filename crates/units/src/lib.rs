//! laniakea-units: fixed-point money and time types with Solidity-exact arithmetic.
//!
//! Contract: no floating point; every operation on money is checked and names its rounding;
//! decimal text converts to base units exactly or fails with a reason; instants and epoch ids
//! live in one supported UTC range (`time`); `human` holds the shared human-output conventions.
//! Pure: no I/O, no clock.

pub mod decimal;
pub mod fixed;
pub mod human;
pub mod math;
pub mod srusds;
pub mod time;

pub use alloy_primitives::{Address, B256, U256};
pub use decimal::{format_decimal, parse_decimal, DecimalError};
pub use fixed::{Apr, Rad, Ray, Timestamp, Wad, WadSeconds};
pub use math::{div_up, mul_div_ceil, mul_div_floor, rpow, MathError, MathResult, RAD, RAY, WAD};
pub use time::{EpochId, TimeError, MAX_TIME, MIN_TIME};

/// Seconds in the settlement year (365 days).
pub const SECONDS_PER_YEAR: u64 = 31_536_000;
