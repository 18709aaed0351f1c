//! Unit newtypes: [`Wad`] (18 decimals), [`Ray`] (27), [`Rad`] (45 = wad·ray) and [`Apr`]
//! (an annual rate as a wad: 5% = 0.05e18).
//!
//! Contract: only legal, checked operations exist (`Wad × Ray → Rad`, `Rad ÷ Ray → Wad` with a
//! named rounding, `Wad ± Wad`, …); no `+`/`*` operator that could wrap. Serialised as exact
//! decimal strings in whole units (`"1234.5"` is 1234.5·10^18 wei for a `Wad`).

use crate::decimal::{format_decimal, parse_decimal, DecimalError};
use crate::math::{self, MathResult, RAY, WAD};
use alloy_primitives::U256;
use std::fmt;

macro_rules! fixed_point {
    ($(#[$doc:meta])* $name:ident, $decimals:expr, $one:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(U256);

        impl $name {
            pub const DECIMALS: u8 = $decimals;
            pub const ZERO: Self = Self(U256::ZERO);
            pub const MAX: Self = Self(U256::MAX);

            /// The value one whole unit (`10^DECIMALS` base units).
            pub fn one() -> Self {
                Self($one)
            }
            /// From base units (wei for a wad).
            pub const fn from_raw(raw: U256) -> Self {
                Self(raw)
            }
            /// From a whole number of units.
            pub fn from_units(units: u64) -> MathResult<Self> {
                Ok(Self(math::mul(U256::from(units), $one)?))
            }
            pub fn raw(self) -> U256 {
                self.0
            }
            pub fn is_zero(self) -> bool {
                self.0.is_zero()
            }
            pub fn checked_add(self, o: Self) -> MathResult<Self> {
                Ok(Self(math::add(self.0, o.0)?))
            }
            pub fn checked_sub(self, o: Self) -> MathResult<Self> {
                Ok(Self(math::sub(self.0, o.0)?))
            }
            /// Exact decimal text in whole units, e.g. `"1234.5"`.
            pub fn parse(text: &str) -> Result<Self, DecimalError> {
                parse_decimal(text, $decimals).map(Self)
            }
            pub fn to_decimal(self) -> String {
                format_decimal(self.0, $decimals)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_decimal())
            }
        }

        impl std::str::FromStr for $name {
            type Err = DecimalError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_decimal())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

fixed_point!(
    /// Fixed point with 18 decimals: token amounts.
    Wad, 18, WAD
);
fixed_point!(
    /// Fixed point with 27 decimals: rates and accumulators.
    Ray, 27, RAY
);
fixed_point!(
    /// Fixed point with 45 decimals (wad·ray): internal MCD debt.
    Rad, 45, crate::math::RAD
);
fixed_point!(
    /// Token-seconds: the time integral of a wad balance [wad·s], e.g. 1,000 USDS held for
    /// 60 s is `"60000"`. The settlement line items are `rate × WadSeconds / year`.
    WadSeconds, 18, WAD
);
fixed_point!(
    /// An annual rate as a wad: 5% = `"0.05"` = 0.05e18. Must be ≤ 100% where a rule says so.
    Apr, 18, WAD
);

impl Wad {
    /// `wad · ray → rad`, exact.
    pub fn mul_ray(self, r: Ray) -> MathResult<Rad> {
        Ok(Rad(math::mul(self.0, r.0)?))
    }
    /// `wad · RAY → rad` (the same amount as internal debt).
    pub fn to_rad(self) -> MathResult<Rad> {
        Ok(Rad(math::mul(self.0, RAY)?))
    }
    /// `floor(self · num / den)` with a 512-bit intermediate.
    pub fn mul_div_floor(self, num: U256, den: U256) -> MathResult<Wad> {
        Ok(Wad(math::mul_div_floor(self.0, num, den)?))
    }
    /// `ceil(self · num / den)` with a 512-bit intermediate.
    pub fn mul_div_ceil(self, num: U256, den: U256) -> MathResult<Wad> {
        Ok(Wad(math::mul_div_ceil(self.0, num, den)?))
    }
}

impl Rad {
    /// `rad / ray → wad`, floor.
    pub fn div_ray_floor(self, r: Ray) -> MathResult<Wad> {
        Ok(Wad(math::div_floor(self.0, r.0)?))
    }
    /// `rad / ray → wad`, rounding up (`divup`).
    pub fn div_ray_up(self, r: Ray) -> MathResult<Wad> {
        Ok(Wad(math::div_up(self.0, r.0)?))
    }
}

impl Ray {
    /// MCD `rpow(self, n, RAY)`.
    pub fn rpow(self, n: u64) -> MathResult<Ray> {
        Ok(Ray(math::rpow(self.0, n, RAY)?))
    }
    /// `floor(self · other / RAY)` (MCD `rmul`).
    pub fn rmul(self, o: Ray) -> MathResult<Ray> {
        Ok(Ray(math::mul_div_floor(self.0, o.0, RAY)?))
    }
}

impl Apr {
    /// 100% APR, the largest rate settlement maths accepts.
    pub fn hundred_percent() -> Apr {
        Apr(WAD)
    }
}

/// A block/chain timestamp in whole seconds since the Unix epoch (UTC). Never a wall-clock read.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn seconds(self) -> u64 {
        self.0
    }
    /// Seconds from `earlier` to `self`; `None` if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Option<u64> {
        self.0.checked_sub(earlier.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_have_their_decimals() {
        assert_eq!(Wad::parse("1").unwrap().raw(), WAD);
        assert_eq!(Ray::parse("1").unwrap().raw(), RAY);
        assert_eq!(Rad::parse("1").unwrap().raw(), crate::math::RAD);
        assert_eq!(Apr::parse("0.05").unwrap().raw(), WAD / U256::from(20u8));
    }

    #[test]
    fn wad_times_ray_is_rad() {
        let w = Wad::parse("2.5").unwrap();
        let r = Ray::parse("1.1").unwrap();
        assert_eq!(w.mul_ray(r).unwrap(), Rad::parse("2.75").unwrap());
        assert_eq!(Rad::parse("2.75").unwrap().div_ray_floor(r).unwrap(), w);
    }

    #[test]
    fn rad_to_wad_rounding_is_named() {
        let rad = Rad(U256::from(10u8));
        let r = Ray(U256::from(3u8));
        assert_eq!(rad.div_ray_floor(r).unwrap(), Wad(U256::from(3u8)));
        assert_eq!(rad.div_ray_up(r).unwrap(), Wad(U256::from(4u8)));
    }

    #[test]
    fn serde_is_exact_decimal_text() {
        let w = Wad::parse("1234.5").unwrap();
        assert_eq!(serde_json_like(&w), "\"1234.5\"");
    }

    fn serde_json_like(w: &Wad) -> String {
        format!("\"{}\"", w)
    }
}
