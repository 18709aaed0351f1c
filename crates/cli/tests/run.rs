//! `laniakea run` with the real binary: a run killed with SIGKILL at random moments and started
//! again with the same arguments ends with the same state digest and the same Synome record
//! hashes as an uninterrupted run; a resume with other arguments is refused; bad scenario files
//! are refused before anything is created; the JSON summary is the machine form.
#![allow(clippy::unwrap_used)]

mod common;

use common::laniakea;
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::{Query, Synome};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIO: &str = "scenarios/short.toml";
const DAYS: &str = "6";

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_args(db: &str) -> Vec<String> {
    [
        "run",
        "--scenario",
        SCENARIO,
        "--days",
        DAYS,
        "--seed",
        "3",
        "--db",
        db,
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn record_ids(db: &str) -> Vec<String> {
    let mut syn = Synome::new(SqliteStore::open(db).unwrap());
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (page, next) = syn
            .list(&Query {
                after,
                limit: 1000,
                ..Default::default()
            })
            .unwrap();
        out.extend(page.into_iter().map(|r| r.id.to_string()));
        let Some(n) = next else { break };
        after = n;
    }
    out
}

/// (digest, Synome head) of a finished run's JSON summary.
fn identity(stdout: &str) -> (String, String) {
    let v: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (
        v["state_digest"].as_str().unwrap().to_string(),
        v["synome_head"].as_str().unwrap().to_string(),
    )
}

/// A tiny deterministic PRNG for the kill schedule (xorshift).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn a_run_killed_at_random_moments_resumes_to_the_same_digest_and_records() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.db").to_str().unwrap().to_string();
    let killed = dir.path().join("killed.db").to_str().unwrap().to_string();
    let bin = env!("CARGO_BIN_EXE_laniakea");

    let started = Instant::now();
    let out = Command::new(bin)
        .args(run_args(&whole))
        .current_dir(root())
        .output()
        .unwrap();
    let span_ms = started.elapsed().as_millis().max(50) as u64;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = identity(&String::from_utf8(out.stdout).unwrap());

    // Kill at least five times, at seeded-random moments (each within the first fifth of an
    // uninterrupted run's span, so several land before the run can finish); if a child finishes
    // first, the database is discarded and the schedule starts over.
    let mut seed = 0x5eed_1234_u64;
    let mut kills = 0;
    for _ in 0..60 {
        let mut child = Command::new(bin)
            .args(run_args(&killed))
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let wait_ms = 20 + next(&mut seed) % (span_ms / 5).max(1);
        std::thread::sleep(Duration::from_millis(wait_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            if kills >= 6 {
                break;
            }
        } else {
            assert!(child.wait().unwrap().success());
            for f in [
                killed.clone(),
                format!("{killed}-wal"),
                format!("{killed}-shm"),
            ] {
                let _ = std::fs::remove_file(f);
            }
            kills = 0;
        }
    }
    assert!(kills >= 5, "only {kills} kills landed");
    // Start again with the same arguments until it finishes.
    let out = Command::new(bin)
        .args(run_args(&killed))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("resuming the run"),
        "the last start resumed"
    );
    let got = identity(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(got, expected, "digest and Synome head after {kills} kills");
    assert_eq!(
        record_ids(&killed),
        record_ids(&whole),
        "every record hash, in order"
    );
    let (code, _, err) = laniakea(&["synome", "--db", &killed, "verify"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_resume_with_other_arguments_is_refused_naming_the_argument() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db").to_str().unwrap().to_string();
    let (code, _, err) = laniakea(&[
        "run",
        "--scenario",
        SCENARIO,
        "--days",
        "1",
        "--seed",
        "3",
        "--db",
        &db,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = laniakea(&[
        "run",
        "--scenario",
        SCENARIO,
        "--days",
        "1",
        "--seed",
        "4",
        "--db",
        &db,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("another seed (3, now 4)"), "{err}");
    let (code, _, err) = laniakea(&["run", "--days", "1", "--seed", "3", "--db", &db]);
    assert_eq!(code, 1);
    assert!(err.contains("scenario"), "{err}");
}

#[test]
fn bad_scenario_files_are_refused_with_file_key_and_reason_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(root().join(SCENARIO)).unwrap();
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "unknown key",
            good.replacen("days = 26", "days = 26\ncolour = \"blue\"", 1),
            "colour",
            "unknown field",
        ),
        (
            "wrong type",
            good.replacen("days = 26", "days = \"many\"", 1),
            "days",
            "invalid type",
        ),
        (
            "inconsistent plan",
            good.replacen(
                "tranches = 2\ndual_run_days = 3",
                "tranches = 5\ndual_run_days = 3",
                1,
            ),
            "migrations[0].dual_run_days",
            "inconsistent plan",
        ),
        (
            "cutover inside a Processing Window",
            good.replacen("2026-01-07T10:00:00Z", "2026-01-07T14:00:00Z", 1),
            "migrations[0].cutover",
            "Processing Window",
        ),
        (
            "overlapping epochs",
            good.replacen("epoch = \"2026-01-20\"", "epoch = \"2026-01-13\"", 1),
            "governance.changes[1].epoch",
            "overlapping epochs",
        ),
    ];
    for (what, text, key, reason) in cases {
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, text).unwrap();
        let db = dir.path().join("never.db");
        let (code, _, err) = laniakea(&[
            "run",
            "--scenario",
            file.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ]);
        assert_eq!(code, 1, "{what}: {err}");
        assert!(
            err.contains("bad.toml") && err.contains(&format!("`{key}`")) && err.contains(reason),
            "{what}: {err}"
        );
        assert!(!db.exists(), "{what}: nothing is created");
    }
}
