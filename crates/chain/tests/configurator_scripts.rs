//! The shipped Configurator stories (issue 11) run as transaction scripts: onboarding a Prime
//! (register, inits, accordant GovOps, first limits, ramp-up over days) and an emergency response
//! (lower to zero, revoke the relayer, pause the timelock). Every line's `expect` is met, the
//! SPEC §8 invariants hold, and the runs are deterministic.

#![allow(clippy::unwrap_used)]
use laniakea_chain::script::parse;

const ONBOARDING: &str = include_str!("../../../examples/configurator-onboarding.jsonl");
const EMERGENCY: &str = include_str!("../../../examples/configurator-emergency.jsonl");

fn run_checked(name: &str, text: &str) -> Vec<serde_json::Value> {
    let out = parse(text).unwrap().run();
    assert!(
        out.unmet_expectations.is_empty(),
        "{name}: {:?}",
        out.unmet_expectations
    );
    let last = out.lines.last().unwrap();
    assert_eq!(
        last["summary"]["invariant_violations"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "{name}"
    );
    assert_eq!(
        out.digest,
        parse(text).unwrap().run().digest,
        "{name} is deterministic"
    );
    out.lines
}

fn events(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .flat_map(|l| l["events"].as_array().cloned().unwrap_or_default())
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn onboarding_story_runs_with_every_expectation_met() {
    let lines = run_checked("onboarding", ONBOARDING);
    let ev = events(&lines);
    for want in [
        "OperationScheduled",
        "OperationExecuted",
        "PauRegistered",
        "RateLimitInitSet",
        "CbeamGranted",
        "RelayerSet",
        "FreezerSet",
        "RateLimitConfigured",
    ] {
        assert!(ev.iter().any(|e| e == want), "no {want} event");
    }
    // the ramp: four raises after the first set, each +25%
    let raises: Vec<&serde_json::Value> = lines
        .iter()
        .flat_map(|l| l["events"].as_array().into_iter().flatten())
        .filter(|e| e["event"] == "RateLimitConfigured" && e["change"] == "raise")
        .collect();
    assert_eq!(raises.len(), 4);
    let pairs: Vec<(&str, &str)> = raises
        .iter()
        .map(|r| {
            (
                r["old_max_amount_wad"].as_str().unwrap(),
                r["new_max_amount_wad"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("1000000", "1250000"),
            ("1250000", "1562500"),
            ("1562500", "1953125"),
            ("1953125", "2441406.25")
        ]
    );
    let view = lines.iter().find(|l| l["fn"] == "getRateLimits").unwrap();
    let mint = view["returns"]["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "0xcb0537d5e5dba65a8edbac12555995860e5b8e1b70996011edb1ca8173e56d3c")
        .unwrap();
    assert_eq!(mint["max_amount_wad"], "2441406.25");
}

#[test]
fn emergency_story_runs_with_every_expectation_met() {
    let lines = run_checked("emergency", EMERGENCY);
    let ev = events(&lines);
    for want in [
        "TimelockPauseSet",
        "OperationCancelled",
        "CbeamRevoked",
        "RelayerSet",
        "RoleRevoked",
    ] {
        assert!(ev.iter().any(|e| e == want), "no {want} event");
    }
    let lowered = lines
        .iter()
        .flat_map(|l| l["events"].as_array().into_iter().flatten())
        .find(|e| e["event"] == "RateLimitConfigured" && e["change"] == "lower")
        .unwrap();
    assert_eq!(lowered["old_max_amount_wad"], "1000000");
    assert_eq!(lowered["new_max_amount_wad"], "0");
    let queue = lines.iter().rev().find(|l| l["fn"] == "getQueue").unwrap();
    assert_eq!(queue["returns"]["paused"], true);
    assert_eq!(
        queue["returns"]["operations"].as_array().unwrap().len(),
        0,
        "cancelled"
    );
}
