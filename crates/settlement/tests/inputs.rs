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

// ---- Inputs that would count something twice are refused, naming the field (issue 9) ----

#[test]
fn same_tag_address_twice_is_refused() {
    let (field, msg) = field_of(&EXAMPLE.replace(
        "0x00000000000000000000000000000000000000b2",
        "0x00000000000000000000000000000000000000a1",
    ));
    assert_eq!(field, "tags[1].address");
    assert!(
        msg.contains("tagged twice") && msg.contains("tags[0].address"),
        "{msg}"
    );
}

#[test]
fn duplicate_penalty_id_is_refused() {
    let (field, msg) = field_of(&EXAMPLE.replace(
        r#""carried_penalties": [ { "penalty_id": "2026-01-02/spark/penalty-1", "amount": "1.5" } ]"#,
        r#""carried_penalties": [ { "penalty_id": "2026-01-02/spark/penalty-1", "amount": "1.5" }, { "penalty_id": "2026-01-02/spark/penalty-1", "amount": "1.5" } ]"#,
    ));
    assert_eq!(field, "primes[0].carried_penalties[1].penalty_id");
    assert!(msg.contains("charged twice"), "{msg}");
}

#[test]
fn tag_naming_a_prime_not_in_the_file_is_refused() {
    let (field, msg) = field_of(&EXAMPLE.replace(
        r#""prime": "grove", "tagged_from""#,
        r#""prime": "keel", "tagged_from""#,
    ));
    assert_eq!(field, "tags[1].prime");
    assert!(msg.contains("'keel' is not in `primes`"), "{msg}");
}

#[test]
fn duplicate_idle_location_for_one_prime_is_refused() {
    let (field, msg) = field_of(&EXAMPLE.replace(
        r#""idle_usds": [ { "location": "alm-proxy", "balance": { "initial": "100000" } } ]"#,
        r#""idle_usds": [ { "location": "alm-proxy", "balance": { "initial": "100000" } }, { "location": "alm-proxy", "balance": { "initial": "1" } } ]"#,
    ));
    assert_eq!(field, "primes[0].idle_usds[1].location");
    assert!(msg.contains("reimbursed twice"), "{msg}");
}

#[test]
fn two_sky_direct_entries_with_one_allocation_are_refused() {
    let entry = r#"{ "allocation": "sky-direct-1", "exposure": { "initial": "300000" }, "actual_profit": "100" }"#;
    let (field, msg) = field_of(&EXAMPLE.replace(entry, &format!("{entry}, {entry}")));
    assert_eq!(field, "primes[0].sky_direct[1].allocation");
    assert!(msg.contains("reimbursed twice"), "{msg}");
}

// ---- Error messages a person can act on (issue 9) ----

const START: &str = r#""deployment_start": "2026-01-01T00:00:00Z""#;

fn with_start(value: &str) -> String {
    EXAMPLE.replace(START, &format!(r#""deployment_start": {value}"#))
}

#[test]
fn deployment_start_out_of_range_names_its_own_field() {
    let (field, msg) = field_of(&with_start("99999999999999"));
    assert_eq!(field, "deployment_start");
    assert!(msg.contains("after 9999-12-31T23:59:59Z"), "{msg}");
    // In range as a time, but with no epoch left after it.
    let (field, msg) = field_of(&with_start(r#""9999-12-31T20:00:00Z""#));
    assert_eq!(field, "deployment_start");
    assert!(msg.contains("after the last supported epoch"), "{msg}");
}

#[test]
fn epoch_9999_12_31_is_computed_not_reported_as_time_0() {
    let text = EXAMPLE.replace(r#""epoch": "2026-01-05""#, r#""epoch": "9999-12-31""#);
    let r = parse(&text).unwrap().compute().unwrap();
    assert_eq!(
        r.lock,
        laniakea_units::Timestamp(253_402_300_800 - 11 * 3600)
    );
    // From the previous executed epoch's lock, 9999-12-30 13:00 UTC.
    assert_eq!(
        r.window_start,
        laniakea_units::Timestamp(253_402_300_800 - 35 * 3600)
    );
    // Before 1970: the field and the supported range are named.
    let (field, msg) =
        field_of(&EXAMPLE.replace(r#""epoch": "2026-01-05""#, r#""epoch": "1969-12-31""#));
    assert_eq!(field, "epoch");
    assert!(
        msg.contains("outside the supported range 1970-01-01 to 9999-12-31"),
        "{msg}"
    );
}

#[test]
fn valid_rfc3339_time_out_of_range_says_so() {
    for t in ["1969-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00"] {
        let (field, msg) = field_of(&with_start(&format!("\"{t}\"")));
        assert_eq!(field, "deployment_start");
        assert!(
            msg.contains("is a valid RFC 3339 time but outside the supported range"),
            "{msg}"
        );
        assert!(!msg.contains("not an RFC 3339"), "{msg}");
    }
    let (_, msg) = field_of(&with_start(r#""2026-01-01T00:00:00.5Z""#));
    assert!(msg.contains("fraction of a second"), "{msg}");
}

#[test]
fn negative_fractional_or_too_large_time_says_what_a_time_must_be() {
    for t in ["-1", "1.5", "1e30", "99999999999999999999"] {
        let (field, msg) = field_of(&with_start(t));
        assert_eq!(field, "deployment_start", "{t}");
        assert!(msg.contains(laniakea_units::time::TIME_RULE), "{t}: {msg}");
        assert!(!msg.contains("untagged enum"), "{t}: {msg}");
    }
    // Inside a history, the change's own field is named.
    let (field, msg) = field_of(&EXAMPLE.replace(r#""at": "2026-01-03T13:00:00Z""#, r#""at": -5"#));
    assert_eq!(field, "primes[0].debt_vault.changes[0].at");
    assert!(msg.contains("-5 is negative"), "{msg}");
}

#[test]
fn trailing_comma_names_line_and_column() {
    // Line 6 of the example is `"rates": {...},`; a comma before its closing brace, which is
    // column 58, where the parser finds the error.
    let text = EXAMPLE.replace(r#""ssr_apr": "0.04" }"#, r#""ssr_apr": "0.04", }"#);
    let e = parse(&text).unwrap_err();
    assert_eq!(
        e.location,
        Location::Text {
            line: 6,
            column: 58
        },
        "{e}"
    );
    assert_eq!(e.to_string(), "line 6, column 58: trailing comma");
    let e = parse(&EXAMPLE.replacen("\n  ]\n}", "\n  ],\n}", 1)).unwrap_err();
    assert!(matches!(e.location, Location::Text { .. }), "{e}");
    assert!(!e.to_string().contains('?'), "{e}");
}

#[test]
fn retain_prime_keeps_one_prime_and_the_tags_it_owns() {
    let mut inp = parse(EXAMPLE).unwrap();
    inp.retain_prime("grove").unwrap();
    let r = inp.compute().unwrap();
    assert_eq!(r.statements.len(), 1);
    assert_eq!(r.statements[0].prime, "grove");
    assert!(r.distributions.iter().all(|d| d.prime == "grove"));
    assert_eq!(r.distributions.len(), 1);
    let mut inp = parse(EXAMPLE).unwrap();
    assert_eq!(
        inp.retain_prime("nobody").unwrap_err().to_string(),
        "'nobody' is not a Prime of these inputs"
    );
    assert_eq!(inp.primes.len(), 2, "a refused filter changes nothing");
}

#[test]
fn skip_before_the_first_epoch_names_the_skip() {
    let (field, msg) = field_of(&EXAMPLE.replace(
        r#""skips": ["2026-01-03", "2026-01-04"]"#,
        r#""skips": ["2026-01-03", "2025-12-30"]"#,
    ));
    assert_eq!(field, "skips[1]");
    assert!(msg.contains("before the deployment's first epoch"), "{msg}");
}
