//! Signed wad amounts for line items that can be negative (sUSDS spread, net, total).
//!
//! Contract: sign-magnitude over U256 with checked arithmetic; zero is never negative (one
//! canonical zero); serialised as exact decimal text with a leading `-` when negative.

use alloy_primitives::U256;
use laniakea_units::format_decimal;
use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignedWad {
    negative: bool,
    magnitude: U256,
}

impl SignedWad {
    pub const ZERO: SignedWad = SignedWad {
        negative: false,
        magnitude: U256::ZERO,
    };

    pub fn positive(m: U256) -> SignedWad {
        SignedWad {
            negative: false,
            magnitude: m,
        }
    }
    pub fn negative(m: U256) -> SignedWad {
        SignedWad {
            negative: !m.is_zero(),
            magnitude: m,
        }
    }
    pub fn is_negative(&self) -> bool {
        self.negative
    }
    pub fn is_zero(&self) -> bool {
        self.magnitude.is_zero()
    }
    pub fn magnitude(&self) -> U256 {
        self.magnitude
    }
    pub fn negated(self) -> SignedWad {
        if self.negative {
            SignedWad::positive(self.magnitude)
        } else {
            SignedWad::negative(self.magnitude)
        }
    }
    pub fn checked_add(self, o: SignedWad) -> Option<SignedWad> {
        if self.negative == o.negative {
            let m = self.magnitude.checked_add(o.magnitude)?;
            return Some(if self.negative {
                SignedWad::negative(m)
            } else {
                SignedWad::positive(m)
            });
        }
        // Opposite signs: subtract magnitudes; the larger one's sign wins.
        Some(match self.magnitude.cmp(&o.magnitude) {
            Ordering::Less => SignedWad {
                negative: o.negative,
                magnitude: o.magnitude - self.magnitude,
            },
            _ => {
                let m = self.magnitude - o.magnitude;
                if self.negative {
                    SignedWad::negative(m)
                } else {
                    SignedWad::positive(m)
                }
            }
        })
    }
    pub fn checked_sub(self, o: SignedWad) -> Option<SignedWad> {
        self.checked_add(o.negated())
    }
}

impl fmt::Display for SignedWad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str(&format_decimal(self.magnitude, 18))
    }
}

impl serde::Serialize for SignedWad {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: u64) -> SignedWad {
        SignedWad::positive(U256::from(x))
    }

    #[test]
    fn signed_arithmetic() {
        assert_eq!(
            p(5).checked_sub(p(7)).unwrap(),
            SignedWad::negative(U256::from(2u8))
        );
        assert_eq!(p(5).checked_sub(p(5)).unwrap(), SignedWad::ZERO);
        assert!(!p(5).checked_sub(p(5)).unwrap().is_negative());
        assert_eq!(
            SignedWad::negative(U256::from(3u8))
                .checked_add(p(10))
                .unwrap(),
            p(7)
        );
        assert_eq!(
            SignedWad::negative(U256::from(3u8))
                .checked_add(SignedWad::negative(U256::from(4u8)))
                .unwrap(),
            SignedWad::negative(U256::from(7u8))
        );
        assert_eq!(SignedWad::negative(U256::ZERO), SignedWad::ZERO);
        assert_eq!(
            SignedWad::negative(U256::from(1500000000000000000u64)).to_string(),
            "-1.5"
        );
    }
}
