//! `laniakea lcts` and the srUSDS example script end to end: deterministic golden outputs, the
//! human table's conventions (UTC date-times, grouped exact amounts) while `--json` stays exact,
//! and a bad `--holding` exits 1 naming it.
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn laniakea(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_laniakea"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Compares with a checked-in golden file; `UPDATE_GOLDEN=1 cargo test` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden {name}: run with UPDATE_GOLDEN=1"));
    assert!(expected == actual, "{name} drifted from its golden file; if intended, regenerate with UPDATE_GOLDEN=1 and review the diff");
}

#[test]
fn srusds_example_meets_every_expectation_and_is_golden() {
    let (code, out, err) = laniakea(&["exec", "examples/srusds.jsonl", "--check"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"invariant_violations\":[]"));
    golden("srusds.out.jsonl", &out);
}

#[test]
fn lcts_table_and_json_are_golden_and_follow_the_output_conventions() {
    let (code, table, err) = laniakea(&["lcts", "examples/srusds.jsonl", "--holding", "hs"]);
    assert_eq!(code, 0, "{err}");
    golden("srusds.lcts.txt", &table);
    assert!(
        table.contains("2026-01-02 16:00 UTC"),
        "UTC date-time: {table}"
    );
    assert!(
        table.contains("598,977.1676987552387"),
        "grouped exact amount: {table}"
    );
    assert!(table.contains("alice") && table.contains("FINALIZED"));
    let (code, json, err) =
        laniakea(&["lcts", "examples/srusds.jsonl", "--holding", "hs", "--json"]);
    assert_eq!(code, 0, "{err}");
    golden("srusds.lcts.json", &json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["block_time"], 1767369600u64);
    assert_eq!(
        v["holding_system"]["holding_susds_wad"],
        "598977.1676987552387"
    );
    assert_eq!(v["queues"][0]["status"], "ACTIVE");
    assert_eq!(
        v["queues"][0]["generation"]["total_underlying_wad"],
        "200000"
    );
    assert_eq!(v["queues"][1]["status"], "DORMANT");
    assert_eq!(
        v["queues"][1]["position_list"][0]["claimable_reward_wad"],
        "100022.8323012447613"
    );
}

#[test]
fn lcts_with_an_unknown_holding_exits_1_naming_it() {
    let (code, _, err) = laniakea(&["lcts", "examples/srusds.jsonl", "--holding", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("--holding 'nope'"), "{err}");
    let (code, _, err) = laniakea(&["lcts", "examples/srusds.jsonl", "--holding", "srusds"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("invalid --holding") && err.contains("Engine/wrong-contract-kind"),
        "{err}"
    );
}
