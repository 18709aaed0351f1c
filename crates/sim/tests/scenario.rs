//! Scenario files: every shipped scenario parses; each rule refuses a file with the file, the
//! key and the reason; the parser never panics on arbitrary or mutated input (property tests).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use laniakea_sim::{Scenario, ScenarioError};
use proptest::prelude::*;

fn refused(text: &str) -> ScenarioError {
    match Scenario::parse("t.toml", text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

fn short() -> String {
    scenario_text("short.toml")
}

#[test]
fn every_shipped_scenario_parses() {
    for f in std::fs::read_dir(format!("{}/../../scenarios", env!("CARGO_MANIFEST_DIR"))).unwrap() {
        let p = f.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let s = Scenario::parse(&name, &std::fs::read_to_string(&p).unwrap());
        assert!(s.is_ok(), "{name}: {s:?}");
    }
    let d = Scenario::parse("default", laniakea_sim::DEFAULT_SCENARIO).unwrap();
    assert!(d.days >= 90 && d.primes.len() == 4 && d.migrations.len() == 4);
}

/// (what, replace this, with this, key, reason fragment)
const RULES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "unknown top-level key",
        "days = 26",
        "days = 26\nfoo = 1",
        "foo",
        "unknown field",
    ),
    (
        "unknown nested key",
        "pause_hours = 24",
        "pause_hours = 24\nsize = 3",
        "incidents[3]",
        "unknown field",
    ),
    (
        "wrong type",
        "seed = 1",
        "seed = \"one\"",
        "seed",
        "invalid type",
    ),
    (
        "bad amount",
        "buffer_min = \"20000000\"",
        "buffer_min = \"lots\"",
        "generator.buffer_min",
        "",
    ),
    (
        "debt above line",
        "debt = \"1200000000\"",
        "debt = \"3000000000\"",
        "primes[0].legacy.debt",
        "above the line",
    ),
    (
        "duplicate Prime",
        "name = \"grove\"",
        "name = \"spark\"",
        "primes[1].name",
        "appears twice",
    ),
    (
        "bps above one",
        "draw_bps = 3000",
        "draw_bps = 30000",
        "primes[0].behaviour.draw_bps",
        "basis points",
    ),
    (
        "unbounded market key",
        "max_amount = \"50000000\"",
        "max_amount = \"unlimited\"",
        "primes[0].market_limit.max_amount",
        "finite",
    ),
    (
        "tranches beyond dual-run",
        "tranches = 2\ndual_run_days = 3",
        "tranches = 4\ndual_run_days = 3",
        "migrations[0].dual_run_days",
        "inconsistent plan",
    ),
    (
        "cutover in the window",
        "2026-01-07T10:00:00Z",
        "2026-01-07T15:59:59Z",
        "migrations[0].cutover",
        "Processing Window",
    ),
    (
        "cutover not an instant",
        "2026-01-07T10:00:00Z",
        "tomorrow",
        "migrations[0].cutover",
        "RFC 3339",
    ),
    (
        "plan after cutover",
        "plan_epoch = \"2026-01-06\"",
        "plan_epoch = \"2026-01-08\"",
        "migrations[0].plan_epoch",
        "inconsistent plan",
    ),
    (
        "two parameter sets on one epoch",
        "epoch = \"2026-01-20\"",
        "epoch = \"2026-01-13\"",
        "governance.changes[1].epoch",
        "overlapping epochs",
    ),
    (
        "skip of a weekend day",
        "epoch = \"2026-01-27\"\ndocumented = false",
        "epoch = \"2026-01-24\"\ndocumented = true",
        "incidents[5].epoch",
        "overlapping epochs",
    ),
    (
        "late payment on a skipped day",
        "epoch = \"2026-01-08\"\nprime = \"grove\"",
        "epoch = \"2026-01-10\"\nprime = \"grove\"",
        "incidents[0].epoch",
        "skipped",
    ),
    (
        "unknown Prime in an incident",
        "prime = \"keel\"\nhours_late",
        "prime = \"nope\"\nhours_late",
        "incidents[1].prime",
        "no Prime",
    ),
    (
        "incident after the run",
        "epoch = \"2026-01-21\"",
        "epoch = \"2026-03-21\"",
        "incidents[4].epoch",
        "not a day of the run",
    ),
    (
        "compromise in the window",
        "at = \"09:00\"",
        "at = \"13:30\"",
        "incidents[4].at",
        "Active Window",
    ),
    (
        "cliff before the cutover",
        "epoch = \"2026-01-13\"\nprime = \"spark\"",
        "epoch = \"2026-01-06\"\nprime = \"spark\"",
        "incidents[3].epoch",
        "before its cutover",
    ),
    ("zero days", "days = 26", "days = 0", "days", "1 to"),
    (
        "configurator with migrations",
        "[governance]",
        "[configurator]\n\n[governance]",
        "migrations",
        "Configurator",
    ),
];

#[test]
fn each_rule_refuses_with_file_key_and_reason() {
    let base = short();
    for (what, from, to, key, reason) in RULES {
        assert!(base.contains(from), "{what}: the fixture has '{from}'");
        let e = refused(&base.replacen(from, to, 1));
        assert_eq!(e.file, "t.toml", "{what}");
        assert!(
            e.key.starts_with(key),
            "{what}: key `{}` (expected `{key}`): {e}",
            e.key
        );
        assert!(
            e.reason.contains(reason),
            "{what}: reason '{}' lacks '{reason}'",
            e.reason
        );
        assert!(e.to_string().contains("t.toml") && e.to_string().contains(&e.key));
    }
}

#[test]
fn a_syntax_error_names_the_line() {
    let e = refused("name = \"x\"\nstart = \n");
    assert!(e.reason.contains("line 2"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Arbitrary text: an error or a scenario, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = Scenario::parse("fuzz.toml", &text);
    }

    /// The shipped short scenario with random bytes overwritten, deleted or duplicated.
    #[test]
    fn mutated_scenarios_never_panic(edits in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..3), 1..8)) {
        let mut b = short().into_bytes();
        for (pos, byte, op) in edits {
            if b.is_empty() { break; }
            let i = usize::from(pos) % b.len();
            match op {
                0 => b[i] = byte,
                1 => { b.remove(i); }
                _ => { let c = b[i]; b.insert(i, c); }
            }
        }
        let text = String::from_utf8_lossy(&b).to_string();
        let _ = Scenario::parse("fuzz.toml", &text);
    }

    /// Numeric fields set to extreme values: refused or accepted, never a panic.
    #[test]
    fn extreme_numbers_never_panic(days in any::<u32>(), users in any::<u32>(), hours in any::<u32>(), bps in any::<u32>()) {
        let text = short()
            .replacen("days = 26", &format!("days = {days}"), 1)
            .replacen("users = 12", &format!("users = {users}"), 1)
            .replacen("hours_late = 5", &format!("hours_late = {hours}"), 1)
            .replacen("draw_bps = 3000", &format!("draw_bps = {bps}"), 1);
        let _ = Scenario::parse("fuzz.toml", &text);
    }
}
