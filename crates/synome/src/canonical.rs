//! Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for the values records carry.
//!
//! Contract: object members sorted by their names' UTF-16 code units, no insignificant white
//! space, strings escaped as RFC 8785 prescribes (`\"`, `\\`, `\b \f \n \r \t`, other control
//! characters as `\u00xx` lowercase, everything else literal UTF-8). Numbers must be integers
//! (money is always a decimal *string*); a non-integer number is refused, so the RFC's
//! floating-point formatting rules never come into play. Same value ⇒ same bytes.

use serde_json::Value;
use std::fmt::Write;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CanonicalError {
    #[error("{path}: non-integer number {value}; amounts must be decimal strings")]
    NonInteger { path: String, value: String },
}

pub fn to_canonical(v: &Value) -> Result<String, CanonicalError> {
    let mut out = String::with_capacity(256);
    write_value(&mut out, v, "$")?;
    Ok(out)
}

fn write_value(out: &mut String, v: &Value, path: &str) -> Result<(), CanonicalError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                return Err(CanonicalError::NonInteger {
                    path: path.to_string(),
                    value: n.to_string(),
                });
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, x, &format!("{path}[{i}]"))?;
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                if let Some(x) = m.get(*k) {
                    write_value(out, x, &format!("{path}.{k}"))?;
                }
            }
            out.push('}');
        }
    }
    Ok(())
}

pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_members_and_drops_whitespace() {
        let v: Value = serde_json::from_str(
            "{ \"b\": 1, \"a\": [true, null, \"x\"], \"A\": {\"z\": 0, \"y\": -5} }",
        )
        .unwrap();
        assert_eq!(
            to_canonical(&v).unwrap(),
            r#"{"A":{"y":-5,"z":0},"a":[true,null,"x"],"b":1}"#
        );
    }

    #[test]
    fn escapes_as_rfc8785() {
        let v = json!({"s": "q\"b\\n\n\u{1f}/é€"});
        assert_eq!(
            to_canonical(&v).unwrap(),
            "{\"s\":\"q\\\"b\\\\n\\n\\u001f/é€\"}"
        );
    }

    #[test]
    fn utf16_ordering_of_keys() {
        // U+E000 (one UTF-16 unit 0xE000) sorts after U+1F600 (surrogates 0xD83D…) in UTF-16,
        // though before it in UTF-8 byte order.
        let v = json!({"\u{e000}": 1, "\u{1f600}": 2});
        assert_eq!(
            to_canonical(&v).unwrap(),
            "{\"\u{1f600}\":2,\"\u{e000}\":1}"
        );
    }

    fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            any::<u64>().prop_map(|u| json!(u)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(".{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn canonical_is_a_fixed_point_and_parses_back(v in arb_json()) {
            let c = to_canonical(&v).unwrap();
            let back: Value = serde_json::from_str(&c).unwrap();
            proptest::prop_assert_eq!(&back, &v);
            proptest::prop_assert_eq!(to_canonical(&back).unwrap(), c);
        }
    }

    #[test]
    fn refuses_floats() {
        let v = json!({"amount": 1.5});
        assert!(matches!(
            to_canonical(&v),
            Err(CanonicalError::NonInteger { .. })
        ));
    }
}
