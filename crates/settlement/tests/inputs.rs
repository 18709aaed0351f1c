//! The inputs file: determinism, digest sensitivity, and bad inputs naming the field.
#![allow(clippy::unwrap_used)]

use laniakea_settlement::inputs::{parse, Location};

const EXAMPLE: &str = include_str!("../../../examples/settlement-inputs.json");

fn field_of(text: &str) -> (String, String) {
    let e = parse(text).unwrap_err();
    (e.field().unwrap_or("<no field>").to_string(), e.message)
}

#[test]
fn same_file_gives_byte_identical_output() {
    let run = || {
        let r = parse(EXAMPLE).unwrap().compute().unwrap();
        serde_json::to_string(&r).unwrap()
    };
    assert_eq!(run(), run());
}

#[test]
fn input_digest_changes_when_any_input_changes() {
    let base = parse(EXAMPLE).unwrap().compute().unwrap();
    let variants = [
        EXAMPLE.replace(
            "\"actual_profit\": \"100\"",
            "\"actual_profit\": \"100.000000000000000001\"",
        ),
        EXAMPLE.replace("\"2026-01-03T13:00:00Z\"", "\"2026-01-03T13:00:01Z\""),
        EXAMPLE.replace("\"ssr_apr\": \"0.04\"", "\"ssr_apr\": \"0.041\""),
        EXAMPLE.replace("\"amount\": \"1.5\"", "\"amount\": \"1.6\""),
        EXAMPLE.replace(
            "\"provenance\": \"system-derived\"",
            "\"provenance\": \"governance-directed\"",
        ),
    ];
    for v in variants {
        assert_ne!(v, EXAMPLE);
        let r = parse(&v).unwrap().compute().unwrap();
        assert_ne!(
            r.statements[0].input_digest, base.statements[0].input_digest,
            "digest blind to a change"
        );
    }
    // Reformatting the JSON changes nothing.
    let compact: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    let r = parse(&serde_json::to_string(&compact).unwrap())
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(
        r.statements[0].input_digest,
        base.statements[0].input_digest
    );
}

#[test]
fn unsorted_history_names_the_change() {
    let t = EXAMPLE.replace(
        "[ { \"at\": \"2026-01-03T13:00:00Z\", \"balance\": \"500000\" } ]",
        "[ { \"at\": \"2026-01-03T13:00:00Z\", \"balance\": \"500000\" }, { \"at\": \"2026-01-03T12:00:00Z\", \"balance\": \"1\" } ]",
    );
    let (field, msg) = field_of(&t);
    assert_eq!(field, "primes[0].debt_vault.changes[1].at");
    assert!(msg.contains("sorted"), "{msg}");
}

#[test]
fn unknown_or_skipped_epoch_is_refused() {
    let (field, msg) =
        field_of(&EXAMPLE.replace("\"epoch\": \"2026-01-05\"", "\"epoch\": \"2025-12-31\""));
    assert_eq!(field, "epoch");
    assert!(msg.contains("before the deployment's first epoch"), "{msg}");
    let (field, msg) =
        field_of(&EXAMPLE.replace("\"epoch\": \"2026-01-05\"", "\"epoch\": \"2026-01-04\""));
    assert_eq!(field, "epoch");
    assert!(msg.contains("skipped"), "{msg}");
    let (field, _) =
        field_of(&EXAMPLE.replace("\"epoch\": \"2026-01-05\"", "\"epoch\": \"2026-13-01\""));
    assert_eq!(field, "epoch");
}

#[test]
fn negative_amount_is_refused() {
    let (field, msg) =
        field_of(&EXAMPLE.replace("\"initial\": \"100000\"", "\"initial\": \"-100000\""));
    assert_eq!(field, "primes[0].idle_usds[0].balance.initial");
    assert!(msg.contains("negative"), "{msg}");
}

#[test]
fn rate_above_100_percent_is_refused() {
    let (field, msg) = field_of(&EXAMPLE.replace(
        "\"base_rate_apr\": \"0.05\"",
        "\"base_rate_apr\": \"1.000000000000000001\"",
    ));
    assert_eq!(field, "rates.base_rate_apr");
    assert!(msg.contains("100%"), "{msg}");
    let (field, _) =
        field_of(&EXAMPLE.replace("\"osrc_rate_apr\": \"0.01\"", "\"osrc_rate_apr\": \"2\""));
    assert_eq!(field, "primes[0].osrc_rate_apr");
}

#[test]
fn tier_outside_0_to_4_is_refused() {
    let (field, msg) = field_of(&EXAMPLE.replace("\"tier\": 4", "\"tier\": 5"));
    assert_eq!(field, "tags[0].tier");
    assert!(msg.contains("0–4"), "{msg}");
}

#[test]
fn too_many_decimals_and_unknown_fields_are_refused() {
    let (field, msg) = field_of(&EXAMPLE.replace(
        "\"amount\": \"1.5\"",
        "\"amount\": \"1.0000000000000000001\"",
    ));
    assert_eq!(field, "primes[0].carried_penalties[0].amount");
    assert!(msg.contains("decimal places"), "{msg}");
    let (field, msg) = field_of(&EXAMPLE.replace("\"osrc_rate_apr\"", "\"osrc_rate\""));
    assert!(field.starts_with("primes[0]"), "{field}");
    assert!(msg.contains("osrc_rate"), "{msg}");
}

mod robustness {
    use super::EXAMPLE;
    use laniakea_settlement::inputs::parse;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

        /// Any single-character corruption of the example inputs is refused with a field, or
        /// computes: never a panic.
        #[test]
        fn corrupted_inputs_never_panic(pos in 0usize..100_000, byte in proptest::sample::select(vec!['"', '{', '}', ',', ':', '0', '9', '-', '.', 'x', ' ', '5'])) {
            let mut chars: Vec<char> = EXAMPLE.chars().collect();
            let i = pos % chars.len();
            chars[i] = byte;
            let text: String = chars.into_iter().collect();
            match parse(&text) {
                Ok(inp) => { let _ = inp.compute(); }
                Err(e) => prop_assert!(e.field().is_none_or(|f| !f.is_empty())),
            }
        }
    }
}

/// Regression (found by `corrupted_inputs_never_panic`): a JSON syntax error before any field
/// was reported with an empty field name; it must say where it is (line and column).
#[test]
fn syntax_error_names_line_and_column() {
    let e = parse(&EXAMPLE[..EXAMPLE.len() / 2]).unwrap_err();
    assert!(matches!(e.location, Location::Text { .. }), "{e}");
    let e = parse("{\"deployment_start\": 0,, }").unwrap_err();
    assert_eq!(
        e.location,
        Location::Text {
            line: 1,
            column: 24
        },
        "{e}"
    );
    assert!(e.to_string().starts_with("line 1, column 24: "), "{e}");
}
