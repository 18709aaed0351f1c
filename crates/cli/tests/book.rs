//! `laniakea book` (issue 10 item 6): the Generator's book, debt locations, compatibility set
//! and liquidity buffer on a script's final state, as golden human tables and JSON.
#![allow(clippy::unwrap_used)]

mod common;
use common::{golden, laniakea};

#[test]
fn book_of_the_migration_example_human_and_json() {
    let (code, out, err) = laniakea(&["book", "examples/generator-migration.jsonl"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Temporary compatibility set: (empty)"),
        "{out}"
    );
    golden("generator-migration.book.txt", &out);
    let (code, out, _) = laniakea(&["book", "examples/generator-migration.jsonl", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["book"]["total_assets_wad"], v["book"]["ilk_debt_wad"]);
    assert_eq!(v["compatibility_set"], serde_json::json!([]));
    golden("generator-migration.book.json", &out);
}

#[test]
fn book_names_a_missing_generator() {
    let (code, _, err) = laniakea(&["book", "examples/pau-basic.jsonl"]);
    assert_eq!(code, 1);
    assert!(err.contains("no contract named 'generator'"), "{err}");
}
