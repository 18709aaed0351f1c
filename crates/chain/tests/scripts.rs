//! The transaction-script interface: determinism, expectations and input errors.

#![allow(clippy::unwrap_used)]
mod common;
use common::EXAMPLE;
use laniakea_chain::script::parse;

#[test]
fn example_runs_with_all_expectations_met_and_no_violations() {
    let out = parse(EXAMPLE).unwrap().run();
    assert!(
        out.unmet_expectations.is_empty(),
        "{:?}",
        out.unmet_expectations
    );
    let last = out.lines.last().unwrap();
    assert_eq!(
        last["summary"]["invariant_violations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(last["summary"]["state_digest"], out.digest.to_string());
}

#[test]
fn same_script_twice_gives_byte_identical_output() {
    let render = || {
        let out = parse(EXAMPLE).unwrap().run();
        out.lines
            .iter()
            .map(|l| serde_json::to_string(l).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let a = render();
    let b = render();
    assert_eq!(a, b);
    assert!(a.len() > 10_000);
}

#[test]
fn a_changed_amount_changes_the_digest() {
    let a = parse(EXAMPLE).unwrap().run().digest;
    let changed = EXAMPLE.replace(
        "\"amount\": \"1000\"}, \"expect\": \"ok\"",
        "\"amount\": \"999\"}, \"expect\": \"ok\"",
    );
    assert_ne!(changed, EXAMPLE);
    let b = parse(&changed).unwrap().run().digest;
    assert_ne!(a, b);
}

fn error_of(script: &str) -> (usize, String, String) {
    let e = parse(script).unwrap_err();
    (e.line, e.field, e.message)
}

const HEAD: &str = "{\"accounts\": [\"admin\", \"bob\"]}\n{\"at\": 100, \"from\": \"admin\", \"deploy\": {\"kind\": \"erc20\", \"symbol\": \"USDS\"}, \"as\": \"usds\"}\n";

#[test]
fn malformed_json_names_the_line() {
    let (line, field, msg) = error_of(&format!("{HEAD}{{\"from\": \"admin\", \"to\": \"usds\"\n"));
    assert_eq!((line, field.as_str()), (3, "-"));
    assert!(msg.contains("not valid JSON"), "{msg}");
}

#[test]
fn unknown_function_names_the_field_and_lists_choices() {
    let (line, field, msg) = error_of(&format!(
        "{HEAD}{{\"from\": \"admin\", \"to\": \"usds\", \"fn\": \"tranfer\", \"args\": {{}}}}\n"
    ));
    assert_eq!((line, field.as_str()), (3, "fn"));
    assert!(msg.contains("tranfer") && msg.contains("transfer"), "{msg}");
}

#[test]
fn bad_address_is_reported() {
    let (line, field, msg) = error_of(&format!("{HEAD}{{\"from\": \"admin\", \"to\": \"usds\", \"fn\": \"mint\", \"args\": {{\"to\": \"0x1234\", \"amount\": \"1\"}}}}\n"));
    assert_eq!(line, 3);
    assert_eq!(field, "args.to");
    assert!(!msg.is_empty());
    let (_, field, msg) = error_of(&format!("{HEAD}{{\"from\": \"admin\", \"to\": \"usds\", \"fn\": \"mint\", \"args\": {{\"to\": \"@carol\", \"amount\": \"1\"}}}}\n"));
    assert_eq!(field, "args.to");
    assert!(msg.contains("unknown name 'carol'"), "{msg}");
}

#[test]
fn too_many_decimals_is_reported_with_the_field() {
    let (line, field, msg) = error_of(&format!("{HEAD}{{\"from\": \"admin\", \"to\": \"usds\", \"fn\": \"mint\", \"args\": {{\"to\": \"@bob\", \"amount\": \"1.0000000000000000001\"}}}}\n"));
    assert_eq!((line, field.as_str()), (3, "args.amount"));
    assert!(msg.contains("decimal places"), "{msg}");
}

#[test]
fn errors_are_found_before_anything_runs() {
    // Line 3 is valid, line 4 is not: parse fails as a whole, nothing is executed.
    let s = format!("{HEAD}{{\"from\": \"admin\", \"to\": \"usds\", \"fn\": \"mint\", \"args\": {{\"to\": \"@bob\", \"amount\": \"1\"}}}}\n{{\"from\": \"admin\", \"to\": \"nope\", \"fn\": \"mint\"}}\n");
    let (line, field, _) = error_of(&s);
    assert_eq!((line, field.as_str()), (4, "to"));
}

#[test]
fn time_going_backwards_is_a_script_error() {
    let (line, field, msg) = error_of(&format!("{HEAD}{{\"at\": 99, \"from\": \"admin\", \"to\": \"usds\", \"fn\": \"rely\", \"args\": {{\"usr\": \"@bob\"}}}}\n"));
    assert_eq!((line, field.as_str()), (3, "at"));
    assert!(msg.contains("backwards"), "{msg}");
}

#[test]
fn unknown_top_level_field_is_rejected() {
    let (line, field, msg) = error_of(&format!(
        "{HEAD}{{\"from\": \"admin\", \"to\": \"usds\", \"fn\": \"rely\", \"argz\": {{}}}}\n"
    ));
    assert_eq!(line, 3);
    assert!(msg.contains("argz"), "{field}: {msg}");
}

#[test]
fn a_revert_is_a_result_not_an_error() {
    let s = format!("{HEAD}{{\"from\": \"bob\", \"to\": \"usds\", \"fn\": \"mint\", \"args\": {{\"to\": \"@bob\", \"amount\": \"1\"}}, \"expect\": \"Auth/not-authorized\"}}\n");
    let out = parse(&s).unwrap().run();
    assert_eq!(out.lines[1]["status"], "reverted");
    assert_eq!(out.lines[1]["code"], "Auth/not-authorized");
    assert!(out.unmet_expectations.is_empty());
}

mod robustness {
    use super::EXAMPLE;
    use laniakea_chain::script::parse;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

        /// Any single-character corruption of the example is either refused with a line number
        /// or runs to the end: never a panic.
        #[test]
        fn corrupted_scripts_never_panic(pos in 0usize..100_000, byte in proptest::sample::select(vec!['"', '{', '}', ',', ':', '0', '9', '-', '.', 'x', '@', ' '])) {
            let mut chars: Vec<char> = EXAMPLE.chars().collect();
            let i = pos % chars.len();
            chars[i] = byte;
            let text: String = chars.into_iter().collect();
            match parse(&text) {
                Ok(s) => { let _ = s.run(); }
                Err(e) => prop_assert!(e.line >= 1),
            }
        }
    }
}
