//! `laniakea book` (issue 10 item 6): the Generator's book, debt locations, compatibility set
//! and liquidity buffer on a script's final state, as golden human tables and JSON.
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
