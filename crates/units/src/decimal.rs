//! Exact decimal text ⇄ integer base units.
//!
//! Contract: `parse_decimal("1234.5", 18)` is `1234.5·10^18` exactly; more fractional digits than
//! the unit has is an error (never rounded away); `format_decimal` is its inverse and prints the
//! shortest exact form (`"1234.5"`, `"7"`, `"0.000000000000000001"`). No floating point anywhere.

use alloy_primitives::U256;
use thiserror::Error;

/// Why a decimal string was refused. The caller adds which input/field it came from.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecimalError {
    #[error("empty amount")]
    Empty,
    #[error("'{text}' is not a decimal number (digits with at most one '.')")]
    Syntax { text: String },
    #[error("'{text}' has {given} decimal places; this unit has at most {max}")]
    TooManyDecimals { text: String, given: usize, max: u8 },
    #[error("'{text}' is negative; amounts are unsigned")]
    Negative { text: String },
    #[error("'{text}' does not fit in 256 bits")]
    TooLarge { text: String },
}

/// Parses an exact decimal with up to `decimals` fractional digits into base units.
/// Accepts `_` as a digit separator (`"1_000.5"`). Rejects signs, exponents and blanks.
pub fn parse_decimal(text: &str, decimals: u8) -> Result<U256, DecimalError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DecimalError::Empty);
    }
    if t.starts_with('-') {
        return Err(DecimalError::Negative {
            text: text.to_string(),
        });
    }
    let cleaned: String = t.chars().filter(|c| *c != '_').collect();
    let (int_part, frac_part) = match cleaned.split_once('.') {
        Some((i, f)) => (i, f),
        None => (cleaned.as_str(), ""),
    };
    let syntax = || DecimalError::Syntax {
        text: text.to_string(),
    };
    if (int_part.is_empty() && frac_part.is_empty()) || cleaned.ends_with('.') {
        return Err(syntax());
    }
    if !int_part.chars().all(|c| c.is_ascii_digit())
        || !frac_part.chars().all(|c| c.is_ascii_digit())
    {
        return Err(syntax());
    }
    // Trailing zeros beyond the unit's precision carry no value and are accepted.
    let frac_trim = frac_part.trim_end_matches('0');
    if frac_trim.len() > decimals as usize {
        return Err(DecimalError::TooManyDecimals {
            text: text.to_string(),
            given: frac_part.len(),
            max: decimals,
        });
    }
    let mut digits = String::with_capacity(int_part.len() + decimals as usize);
    digits.push_str(if int_part.is_empty() { "0" } else { int_part });
    digits.push_str(frac_trim);
    for _ in frac_trim.len()..decimals as usize {
        digits.push('0');
    }
    U256::from_str_radix(&digits, 10).map_err(|_| DecimalError::TooLarge {
        text: text.to_string(),
    })
}

/// Prints base units as the shortest exact decimal with up to `decimals` fractional digits.
pub fn format_decimal(value: U256, decimals: u8) -> String {
    let s = value.to_string();
    let d = decimals as usize;
    if d == 0 {
        return s;
    }
    let (int_part, frac_part) = if s.len() > d {
        (s[..s.len() - d].to_string(), s[s.len() - d..].to_string())
    } else {
        ("0".to_string(), format!("{}{}", "0".repeat(d - s.len()), s))
    };
    let frac = frac_part.trim_end_matches('0');
    if frac.is_empty() {
        int_part
    } else {
        format!("{int_part}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(
            parse_decimal("1234.5", 18).unwrap(),
            U256::from(12345u64) * U256::from(10u64).pow(U256::from(17u8))
        );
        assert_eq!(
            parse_decimal("0.000000000000000001", 18).unwrap(),
            U256::from(1u8)
        );
        assert_eq!(parse_decimal("7", 0).unwrap(), U256::from(7u8));
        assert_eq!(parse_decimal(".5", 1).unwrap(), U256::from(5u8));
        assert_eq!(parse_decimal("1_000", 0).unwrap(), U256::from(1000u16));
        assert_eq!(parse_decimal("1.50", 1).unwrap(), U256::from(15u8));
    }

    #[test]
    fn refuses_bad_text() {
        assert!(matches!(
            parse_decimal("0.0000000000000000001", 18),
            Err(DecimalError::TooManyDecimals {
                given: 19,
                max: 18,
                ..
            })
        ));
        assert!(matches!(
            parse_decimal("-1", 18),
            Err(DecimalError::Negative { .. })
        ));
        assert!(matches!(
            parse_decimal("1e18", 18),
            Err(DecimalError::Syntax { .. })
        ));
        assert!(matches!(
            parse_decimal("1.2.3", 18),
            Err(DecimalError::Syntax { .. })
        ));
        assert!(matches!(
            parse_decimal(".", 18),
            Err(DecimalError::Syntax { .. })
        ));
        assert!(matches!(parse_decimal("", 18), Err(DecimalError::Empty)));
        let huge = "9".repeat(80);
        assert!(matches!(
            parse_decimal(&huge, 0),
            Err(DecimalError::TooLarge { .. })
        ));
    }

    #[test]
    fn formats_shortest() {
        assert_eq!(
            format_decimal(
                U256::from(12345u64) * U256::from(10u64).pow(U256::from(17u8)),
                18
            ),
            "1234.5"
        );
        assert_eq!(format_decimal(U256::from(1u8), 18), "0.000000000000000001");
        assert_eq!(format_decimal(U256::ZERO, 18), "0");
        assert_eq!(
            format_decimal(
                U256::from(7u8) * U256::from(10u64).pow(U256::from(27u8)),
                27
            ),
            "7"
        );
    }

    proptest! {
        #[test]
        fn roundtrip(limbs in any::<[u64; 4]>(), d in 0u8..=45) {
            let v = U256::from_limbs(limbs);
            prop_assert_eq!(parse_decimal(&format_decimal(v, d), d).unwrap(), v);
        }
    }
}
