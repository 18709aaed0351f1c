//! Adversarial tests (h17attack) of `laniakea run --db` with the real binary: crash-resume at
//! early and late moments, resume with other arguments, determinism across paths / working
//! directories / TZ, read commands on missing or tampered databases, hostile scenario files,
//! and the honesty of the JSON summary (SPEC §8 inv. 9).
#![allow(clippy::unwrap_used)]

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const SCENARIO: &str = "scenarios/short.toml";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn scenario_abs() -> String {
    root().join(SCENARIO).to_str().unwrap().to_string()
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_laniakea")
}

/// Runs the binary in `cwd` with extra env: (code, stdout, stderr).
fn exec_in(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut c = Command::new(bin());
    c.args(args).current_dir(cwd);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn exec(args: &[&str]) -> (i32, String, String) {
    exec_in(&root(), &[], args)
}

fn run_args<'a>(scenario: &'a str, days: &'a str, seed: &'a str, db: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--scenario",
        scenario,
        "--days",
        days,
        "--seed",
        seed,
        "--db",
        db,
        "--json",
    ]
}

fn identity(stdout: &str) -> (String, String, u64) {
    let v: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (
        v["state_digest"].as_str().unwrap().to_string(),
        v["synome_head"].as_str().unwrap().to_string(),
        v["synome_records"].as_u64().unwrap_or(0),
    )
}

fn record_ids(db: &str) -> Vec<String> {
    let c = Connection::open(db).unwrap();
    let mut st = c.prepare("SELECT id FROM records ORDER BY seq").unwrap();
    let v = st
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    v
}

fn count(db: &str, table: &str) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn uninterrupted(dir: &Path, days: &str, seed: &str) -> ((String, String, u64), Vec<String>) {
    let db = dir.join(format!("whole-{days}-{seed}.db"));
    let db = db.to_str().unwrap();
    let s = scenario_abs();
    let (code, out, err) = exec(&run_args(&s, days, seed, db));
    assert_eq!(code, 0, "{err}");
    (identity(&out), record_ids(db))
}

/// ≥ 10 SIGKILLs, most of them very early (genesis, first open, first run_meta writes), then a
/// resume; then two more starts after completion must change nothing.
#[test]
fn early_kills_then_resume_then_two_reruns_match_the_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let (expected, expected_ids) = uninterrupted(dir.path(), "3", "3");
    let killed = dir.path().join("killed.db");
    let killed = killed.to_str().unwrap();
    let s = scenario_abs();
    let mut kills = 0;
    for ms in [0u64, 1, 2, 4, 6, 9, 13, 20, 30, 45, 70, 110, 170, 260] {
        let mut child = Command::new(bin())
            .args(run_args(&s, "3", "3", killed))
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            child.wait().unwrap();
            kills += 1;
        } else {
            assert!(child.wait().unwrap().success());
        }
    }
    assert!(kills >= 10, "only {kills} kills landed");
    let (code, out, err) = exec(&run_args(&s, "3", "3", killed));
    assert_eq!(code, 0, "{err}");
    assert_eq!(identity(&out), expected, "after {kills} kills");
    assert_eq!(record_ids(killed), expected_ids);
    let rows = count(killed, "chain_journal");
    for _ in 0..2 {
        let (code, out, err) = exec(&run_args(&s, "3", "3", killed));
        assert_eq!(code, 0, "{err}");
        assert_eq!(identity(&out), expected, "re-run after completion");
        assert_eq!(count(killed, "chain_journal"), rows, "no journal row added");
        assert_eq!(record_ids(killed), expected_ids, "no record added");
    }
    let (code, _, err) = exec(&["synome", "--db", killed, "verify"]);
    assert_eq!(code, 0, "{err}");
}

/// The run arguments are written to run_meta one autocommit at a time; a SIGKILL between the
/// `scenario_digest` write and the `seed` write leaves a database the next start refuses forever
/// ("run_meta.seed is missing"), although nothing has run yet. Reproduced by building exactly that
/// state (genesis stored, deployment_start/scenario/scenario_digest written, no seed/days, no
/// journal rows, no Synome tables).
#[test]
fn a_kill_between_the_run_meta_writes_still_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (expected, _) = uninterrupted(dir.path(), "2", "3");
    let db = dir.path().join("cut.db");
    let db = db.to_str().unwrap();
    let s = scenario_abs();
    let (code, _, err) = exec(&run_args(&s, "2", "3", db));
    assert_eq!(code, 0, "{err}");
    Connection::open(db)
        .unwrap()
        .execute_batch(
            "DELETE FROM chain_journal; DELETE FROM run_meta WHERE key IN ('seed', 'days');
             DROP TABLE records; DROP TABLE synome_meta;",
        )
        .unwrap();
    let (code, out, err) = exec(&run_args(&s, "2", "3", db));
    assert_eq!(code, 0, "the interrupted start resumes: {err}");
    assert_eq!(identity(&out).0, expected.0);
    assert_eq!(identity(&out).1, expected.1);
}

#[test]
fn a_resume_with_other_days_or_another_scenario_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db = db.to_str().unwrap();
    let s = scenario_abs();
    let (code, _, err) = exec(&run_args(&s, "2", "3", db));
    assert_eq!(code, 0, "{err}");
    let rows = count(db, "chain_journal");
    let ids = record_ids(db);
    let (code, _, err) = exec(&run_args(&s, "3", "3", db));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("days") && err.contains("(2, now 3)"), "{err}");
    let conf = root().join("scenarios/configurator.toml");
    let (code, _, err) = exec(&run_args(conf.to_str().unwrap(), "2", "3", db));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("scenario"), "{err}");
    // The built-in default scenario (no --scenario).
    let (code, _, err) = exec(&["run", "--days", "2", "--seed", "3", "--db", db]);
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(count(db, "chain_journal"), rows);
    assert_eq!(record_ids(db), ids);
}

#[test]
fn a_comment_and_layout_only_edit_of_the_scenario_still_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let s = scenario_abs();
    let (code, out1, err) = exec(&run_args(&s, "2", "3", db));
    assert_eq!(code, 0, "{err}");
    let edited = dir.path().join("edited.toml");
    let text = std::fs::read_to_string(&s).unwrap();
    std::fs::write(
        &edited,
        format!(
            "# a new comment\n\n{}\n# trailing\n",
            text.replace(" = ", "   =   ")
        ),
    )
    .unwrap();
    let (code, out2, err) = exec(&run_args(edited.to_str().unwrap(), "2", "3", db));
    assert_eq!(code, 0, "{err}");
    assert_eq!(identity(&out1), identity(&out2));
}

#[test]
fn runs_are_deterministic_across_db_paths_working_directories_and_tz() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario_abs();
    let a = dir.path().join("a.db");
    let (code, out_a, err) = exec(&run_args(&s, "2", "9", a.to_str().unwrap()));
    assert_eq!(code, 0, "{err}");
    let sub = dir.path().join("elsewhere/deeper");
    std::fs::create_dir_all(&sub).unwrap();
    let (code, out_b, err) = exec_in(
        &sub,
        &[
            ("TZ", "Pacific/Chatham"),
            ("LC_ALL", "C"),
            ("LANG", "tr_TR.UTF-8"),
        ],
        &run_args(&s, "2", "9", "relative name with spaces.db"),
    );
    assert_eq!(code, 0, "{err}");
    assert!(sub.join("relative name with spaces.db").exists());
    assert_eq!(identity(&out_a), identity(&out_b));
    assert_eq!(
        record_ids(a.to_str().unwrap()),
        record_ids(sub.join("relative name with spaces.db").to_str().unwrap())
    );
    // In memory too.
    let (code, out_m, err) = exec(&[
        "run",
        "--scenario",
        &s,
        "--days",
        "2",
        "--seed",
        "9",
        "--memory",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(identity(&out_a), identity(&out_m));
    // Another seed is another run.
    let c = dir.path().join("c.db");
    let (code, out_c, err) = exec(&run_args(&s, "2", "10", c.to_str().unwrap()));
    assert_eq!(code, 0, "{err}");
    assert_ne!(identity(&out_a).0, identity(&out_c).0);
    assert_ne!(identity(&out_a).1, identity(&out_c).1);
}

#[test]
fn read_commands_on_a_missing_db_fail_clearly_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("missing.db");
    let m = m.to_str().unwrap();
    for args in [
        vec!["calendar", "--db", m],
        vec!["check", "--db", m, "--epoch", "2026-01-05"],
        vec!["report", "--db", m, "--epoch", "2026-01-05"],
        vec!["book", "--db", m],
        vec!["limits", "--db", m],
        vec!["lcts", "--db", m, "--holding", "x"],
        vec!["migration", "--db", m],
        vec!["runbook", "--db", m, "--epoch", "2026-01-05"],
    ] {
        let (code, _, err) = exec(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.contains("missing.db") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} created {left:?}");
    }
}

#[test]
fn read_commands_on_a_tampered_db_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let db = db.to_str().unwrap();
    let s = scenario_abs();
    let (code, _, err) = exec(&run_args(&s, "2", "3", db));
    assert_eq!(code, 0, "{err}");
    Connection::open(db)
        .unwrap()
        .execute_batch("UPDATE chain_journal SET tx = tx || ' ' WHERE seq = 30")
        .unwrap();
    for args in [
        vec!["calendar", "--db", db],
        vec!["check", "--db", db, "--epoch", "2026-01-05"],
        vec!["book", "--db", db],
        vec!["migration", "--db", db],
    ] {
        let (code, _, err) = exec(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("journal row 30"), "{args:?}: {err}");
    }
    // The run itself refuses to resume.
    let (code, _, err) = exec(&run_args(&s, "2", "3", db));
    assert_eq!(code, 1);
    assert!(err.contains("journal row 30"), "{err}");
    // A truncated file.
    let len = std::fs::metadata(db).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    f.set_len(len / 3).unwrap();
    drop(f);
    let _ = std::fs::remove_file(format!("{db}-wal"));
    let (code, _, err) = exec(&["calendar", "--db", db]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("t.db") && !err.contains("panicked"), "{err}");
    let (code, _, err) = exec(&run_args(&s, "2", "3", db));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("t.db") && !err.contains("panicked"), "{err}");
}

fn short_text() -> String {
    std::fs::read_to_string(scenario_abs()).unwrap()
}

/// Writes `text` as a scenario, runs it for 2 days: (code, stderr, db created?).
fn try_scenario(dir: &Path, name: &str, text: &str) -> (i32, String, bool) {
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap();
    let db = dir.join(format!("{name}.db"));
    let (code, _, err) = exec(&run_args(
        p.to_str().unwrap(),
        "2",
        "1",
        db.to_str().unwrap(),
    ));
    (code, err, db.exists())
}

#[test]
fn hostile_scenarios_are_refused_naming_file_key_and_reason_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = short_text();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "huge",
            base.replace(
                "line = \"4000000000\"",
                &format!("line = \"{}\"", "9".repeat(80)),
            ),
            "generator.line",
        ),
        (
            "neg",
            base.replace("buffer_min = \"20000000\"", "buffer_min = \"-20000000\""),
            "generator.buffer_min",
        ),
        (
            "exp",
            base.replace("buffer_min = \"20000000\"", "buffer_min = \"2e7\""),
            "generator.buffer_min",
        ),
        (
            "decimals",
            base.replace(
                "buffer_min = \"20000000\"",
                "buffer_min = \"1.0000000000000000001\"",
            ),
            "generator.buffer_min",
        ),
        ("days0", base.replace("days = 26", "days = 0"), "days"),
        ("days_big", base.replace("days = 26", "days = 3651"), "days"),
        ("days_neg", base.replace("days = 26", "days = -1"), "days"),
        (
            "dup",
            base.replacen("name = \"grove\"", "name = \"spark\"", 1),
            "primes[1].name",
        ),
        (
            "unicode",
            base.replacen("name = \"grove\"", "name = \"gröve\"", 1),
            "primes[1].name",
        ),
        (
            "start_ancient",
            base.replace("start = \"2026-01-05\"", "start = \"0001-01-01\""),
            "start",
        ),
        (
            "start_far",
            base.replace("start = \"2026-01-05\"", "start = \"9999-12-31\""),
            "days",
        ),
        (
            "rate_neg",
            base.replace("base_rate_apr = \"0.05\"", "base_rate_apr = \"-0.05\""),
            "governance.base_rate_apr",
        ),
        (
            "bps",
            base.replacen("idle_share_bps = 500", "idle_share_bps = 10001", 1),
            "idle_share_bps",
        ),
        (
            "deep",
            format!(
                "{base}\n[x]\na = {}{}\n",
                "[".repeat(5000),
                "]".repeat(5000)
            ),
            "line",
        ),
        (
            "cutover_window",
            regex_cutover(&base, "2026-01-12T13:30:00Z"),
            "migrations[0].cutover",
        ),
        (
            "cutover_evening",
            regex_cutover(&base, "2026-01-12T17:00:00Z"),
            "migrations[0].cutover",
        ),
        (
            "dup_change",
            base.replace(
                "epoch = \"2026-01-20\"\nssr_apr",
                "epoch = \"2026-01-13\"\nssr_apr",
            ),
            "governance.changes[1].epoch",
        ),
        (
            "osrc_unknown",
            base.replace(
                "{ prime = \"grove\", allocation",
                "{ prime = \"nobody\", allocation",
            ),
            "governance.osrc[1].prime",
        ),
        ("empty", String::new(), "name"),
        ("binary", "\u{0}\u{1}\u{2}".to_string(), "line 1"),
    ];
    for (name, text, key) in cases {
        let (code, err, created) = try_scenario(dir.path(), name, &text);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(
            err.contains(&format!("{name}.toml")),
            "{name}: names the file: {err}"
        );
        assert!(err.contains(key), "{name}: names {key}: {err}");
        assert!(!created, "{name}: created the db");
    }
}

fn regex_cutover(base: &str, to: &str) -> String {
    let i = base.find("cutover = \"").unwrap() + "cutover = \"".len();
    let j = i + base[i..].find('"').unwrap();
    format!("{}{}{}", &base[..i], to, &base[j..])
}

#[test]
fn out_of_range_rates_are_refused_by_the_parser_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let base = short_text();
    for (name, text, key) in [
        (
            "rate_huge",
            base.replace(
                "base_rate_apr = \"0.05\"",
                "base_rate_apr = \"1000000000000\"",
            ),
            "governance.base_rate_apr",
        ),
        (
            "penalty_huge",
            base.replace(
                "penalty_rate_per_hour_wad = \"0.001\"",
                "penalty_rate_per_hour_wad = \"1000000\"",
            ),
            "governance.penalty_rate_per_hour_wad",
        ),
    ] {
        let (code, err, created) = try_scenario(dir.path(), name, &text);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(
            err.contains(&format!("{name}.toml")) && err.contains(key),
            "{name}: {err}"
        );
        assert!(!created, "{name}: created the db: {err}");
    }
}

#[test]
fn bad_configurator_values_are_refused_by_the_parser_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let conf = std::fs::read_to_string(root().join("scenarios/configurator.toml")).unwrap();
    for (name, text, key) in [
        (
            "hop0",
            conf.replace("[configurator]", "[configurator]\nhop_s = 0"),
            "configurator.hop_s",
        ),
        (
            "maxchange",
            conf.replace(
                "[configurator]",
                "[configurator]\nmax_change_bps = 99999999999",
            ),
            "configurator.max_change_bps",
        ),
    ] {
        let (code, err, created) = try_scenario(dir.path(), name, &text);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(
            err.contains(&format!("{name}.toml")) && err.contains(key),
            "{name}: {err}"
        );
        assert!(!created, "{name}: created the db: {err}");
    }
}

#[test]
fn integers_beyond_u64_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = short_text();
    let (code, err, created) = try_scenario(
        dir.path(),
        "days_over",
        &base.replace("days = 26", "days = 99999999999999999999"),
    );
    assert_eq!(code, 1, "{err}");
    assert!(!created);
    assert!(err.contains("`days`"), "{err}");
}

#[test]
fn a_prime_listed_twice_in_osrc_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = short_text();
    let (code, err, created) = try_scenario(
        dir.path(),
        "osrc_dup",
        &base.replace(
            "{ prime = \"grove\", allocation",
            "{ prime = \"spark\", allocation",
        ),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("governance.osrc[1]"), "{err}");
    assert!(!created);
}

fn wad(v: &serde_json::Value) -> u128 {
    // decimal string with ≤ 18 places → integer wei
    let s = v.as_str().unwrap();
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    let f = format!("{f:0<18}");
    i.parse::<u128>().unwrap() * 10u128.pow(18) + f.parse::<u128>().unwrap()
}

/// SPEC §8 inv. 9 from the summary: Σ payments + open + forgiven = Σ obligations + penalties,
/// per Prime. On short.toml's first 12 days (grove's forgiven late payment, keel's unforgiven
/// one) the summary's `obligations_wad` already contains the carried penalties, so the left side
/// equals obligations alone and the identity fails by exactly `penalties_wad`.
#[test]
fn the_summary_satisfies_inv_9_per_prime() {
    let (_, out, err) = summary_of_12_days();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}{err}"));
    for p in v["primes"].as_array().unwrap() {
        let lhs = wad(&p["paid_on_time_wad"])
            + wad(&p["paid_late_wad"])
            + wad(&p["open_wad"])
            + wad(&p["forgiven_wad"]);
        let rhs = wad(&p["obligations_wad"]) + wad(&p["penalties_wad"]);
        assert_eq!(lhs, rhs, "{}: {p}", p["prime"]);
    }
}

fn summary_of_12_days() -> (i32, String, String) {
    exec(&[
        "run",
        "--scenario",
        SCENARIO,
        "--days",
        "12",
        "--memory",
        "--json",
    ])
}

/// Summary cross-checks that hold: one statement per executed epoch per Prime (inv. 8), the
/// record count, and that penalties appear exactly for the Primes with late epochs.
#[test]
fn the_summary_agrees_with_the_synome_and_inv_8() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    let s = scenario_abs();
    let (code, out, err) = exec(&run_args(&s, "12", "1", db));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let executed = v["executed_epochs"].as_u64().unwrap();
    let records = record_ids(db).len() as u64;
    assert_eq!(v["synome_records"].as_u64().unwrap(), records);
    let c = Connection::open(db).unwrap();
    for p in v["primes"].as_array().unwrap() {
        assert_eq!(p["statements"].as_u64().unwrap(), executed, "{p}");
        let name = p["prime"].as_str().unwrap();
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM records WHERE kind = 'settlement-statement' AND subject = ?1",
                [format!("prime:{name}")],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            n as u64, executed,
            "{name}: {n} statement records for {executed} epochs"
        );
        let late = !p["late_epochs"].as_array().unwrap().is_empty();
        assert_eq!(late, wad(&p["penalties_wad"]) > 0, "{p}");
    }
    // In memory and on file agree.
    let (code, out_m, err) = exec(&[
        "run",
        "--scenario",
        &s,
        "--days",
        "12",
        "--seed",
        "1",
        "--memory",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(identity(&out).0, identity(&out_m).0);
}

/// `run --db` on an existing Synome store that is not a run database (here `synome demo`): the
/// run adds the chain tables and run_meta to the foreign file, starts, and dies on the first
/// record with `synome/time-went-backwards`. It should refuse up front and leave the file alone.
#[test]
fn run_on_a_foreign_synome_store_is_refused_up_front_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let db = db.to_str().unwrap();
    let (code, _, err) = exec(&["synome", "--db", db, "demo"]);
    assert_eq!(code, 0, "{err}");
    let s = scenario_abs();
    let (code, _, err) = exec(&run_args(&s, "1", "3", db));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("demo.db") && err.contains("run"), "{err}");
    let tables: i64 = Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('chain_genesis', 'chain_journal', 'run_meta')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "the foreign store was modified");
}

/// A migration whose cutover (09:00) is earlier on its plan day than the Core Council's plan
/// record (09:43): the parser compares days only, so the run executes the cutover and the first
/// tranche (migration-step records at 09:00 and 09:01) before the migration-plan record exists
/// (09:43:20). docs/scenarios.md: "a plan recorded after its cutover" is refused.
#[test]
fn a_cutover_earlier_than_its_plan_record_on_the_same_day_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = short_text();
    let text = base.replacen(
        "cutover = \"2026-01-12T10:00:00Z\"",
        "cutover = \"2026-01-09T09:00:00Z\"",
        1,
    );
    assert_ne!(text, base);
    let (code, err, created) = try_scenario(dir.path(), "plan_after_cutover", &text);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("migrations[1]"), "{err}");
    assert!(!created);
}

/// SPEC §8 inv. 8: every executed epoch has one LCTS record. short.toml's missed settlement
/// (2026-01-27, no skip record, statements posted late the next day) is counted in
/// `executed_epochs` and gets its statements, but no `lcts-settlement` record is ever written
/// for it (the run's own checker reports `lcts-record/missing`).
#[test]
fn every_epoch_with_statements_has_one_lcts_record_even_after_a_missed_settlement() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    let s = scenario_abs();
    let (code, out, err) = exec(&run_args(&s, "24", "1", db));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(!v["missed_epochs"].as_array().unwrap().is_empty(), "{out}");
    let c = Connection::open(db).unwrap();
    let epochs = |kind: &str| -> std::collections::BTreeSet<String> {
        let mut st = c
            .prepare("SELECT DISTINCT epoch FROM records WHERE kind = ?1")
            .unwrap();
        let v = st
            .query_map([kind], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        v
    };
    let statements = epochs("settlement-statement");
    let lcts = epochs("lcts-settlement");
    assert_eq!(
        statements.len() as u64,
        v["executed_epochs"].as_u64().unwrap()
    );
    let missing: Vec<_> = statements.difference(&lcts).collect();
    assert!(
        missing.is_empty(),
        "no lcts-settlement record for {missing:?}"
    );
}

/// A second `run` on a database another `run` is writing is refused (`Journal/locked`) and does
/// not disturb it: the first ends at the uninterrupted digest.
#[test]
fn a_second_writer_is_refused_and_the_first_run_is_undisturbed() {
    let dir = tempfile::tempdir().unwrap();
    let (expected, _) = uninterrupted(dir.path(), "3", "3");
    let db = dir.path().join("two.db");
    let db = db.to_str().unwrap();
    let s = scenario_abs();
    let first = Command::new(bin())
        .args(run_args(&s, "3", "3", db))
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let (code, _, err) = exec(&run_args(&s, "3", "3", db));
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(identity(&String::from_utf8_lossy(&out.stdout)), expected);
    if code != 0 {
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("Journal/locked"), "{err}");
    }
    let (code, out, err) = exec(&run_args(&s, "3", "3", db));
    assert_eq!(code, 0, "{err}");
    assert_eq!(identity(&out), expected);
}
