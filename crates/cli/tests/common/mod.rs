//! Shared harness of the CLI tests: run the real binary from the repository root, compare with
//! golden files. Each test file uses what it needs.
#![allow(dead_code, clippy::unwrap_used)]

use std::process::Command;

/// Runs `laniakea ARGS` from the repository root: (exit code, stdout, stderr).
pub fn laniakea(args: &[&str]) -> (i32, String, String) {
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
pub fn golden(name: &str, actual: &str) {
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
