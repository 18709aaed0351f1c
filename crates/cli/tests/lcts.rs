//! `laniakea lcts` and the srUSDS example script end to end: deterministic golden outputs, the
//! human table's conventions (UTC date-times, grouped exact amounts) while `--json` stays exact,
//! and a bad `--holding` exits 1 naming it.
#![allow(clippy::unwrap_used)]

mod common;
use common::{golden, laniakea};

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
