//! `laniakea stress` and `laniakea calibrate` through the real binary: the worst seed of a
//! report replays to the same digest, reports do not depend on `--jobs`, calibrate's defaults
//! print the published figures and its closed form holds against engine runs, bad input exits 1
//! naming the flag or key.

#![allow(clippy::unwrap_used)]
mod common;
use common::laniakea;

const SCENARIO: &str = "examples/stress-relayer.toml";

#[test]
fn any_run_of_a_batch_replays_with_its_seed_to_the_same_digest() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("runs.csv");
    let (code, _, err) = laniakea(&[
        "stress",
        "--scenario",
        SCENARIO,
        "--runs",
        "12",
        "--seed",
        "42",
        "--runs-csv",
        csv_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut rd = csv::Reader::from_path(&csv_path).unwrap();
    let head = rd.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (seed_c, digest_c, loss_c) = (col("seed"), col("digest"), col("relayer.loss"));
    let mut replayed = 0;
    for row in rd.records() {
        let row = row.unwrap();
        let seed = &row[seed_c];
        let (code, out, err) =
            laniakea(&["stress", "--scenario", SCENARIO, "--replay", seed, "--json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let digest = v["digest"].as_str().unwrap_or("");
        assert_eq!(digest, &row[digest_c], "seed {seed}");
        assert_eq!(v["metrics"]["relayer.loss"], row[loss_c], "seed {seed}");
        replayed += usize::from(!digest.is_empty());
    }
    assert!(replayed > 0);
}

#[test]
fn the_report_is_the_same_for_one_and_two_jobs() {
    let run = |jobs: &str| {
        let (code, out, err) = laniakea(&[
            "stress",
            "--scenario",
            SCENARIO,
            "--runs",
            "30",
            "--jobs",
            jobs,
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    let m = v["metrics"].as_array().unwrap();
    let loss = m.iter().find(|x| x["metric"] == "relayer.loss").unwrap();
    let bound = m.iter().find(|x| x["metric"] == "relayer.bound").unwrap();
    assert_eq!(loss["max"], bound["max"], "greedy runs reach the bound");
    let ex = m
        .iter()
        .find(|x| x["metric"] == "relayer.bound_exceeded")
        .unwrap();
    assert_eq!(ex["max"], "0");
}

#[test]
fn plots_and_csv_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let plots = dir.path().join("plots");
    let csv_path = dir.path().join("sum.csv");
    let (code, out, err) = laniakea(&[
        "stress",
        "--scenario",
        SCENARIO,
        "--runs",
        "20",
        "--plots",
        plots.to_str().unwrap(),
        "--csv",
        csv_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("relayer.loss") && out.contains("worst seed"),
        "{out}"
    );
    let svg = std::fs::read_to_string(plots.join("relayer.loss.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("p99") && svg.trim_end().ends_with("</svg>"));
    let mut rd = csv::Reader::from_path(&csv_path).unwrap();
    assert!(rd.records().any(|r| r.unwrap()[0] == *"relayer.loss"));
}

#[test]
fn calibrate_defaults_print_the_published_figures() {
    let (code, out, err) = laniakea(&["calibrate", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // IRL ≈ $124K (100M / 1.25^30), accumulation 1.0625, optimum 26 % whole / ~25.5 %
    assert!(
        v["irl_wad"].as_str().unwrap().starts_with("123794."),
        "{}",
        v["irl_wad"]
    );
    assert_eq!(v["published"]["accumulation_wad"], "1.0625");
    assert_eq!(v["optimal_max_change_pct"], 26);
    assert_eq!(v["target_reached_step"], 30);
    let (code, out, _) = laniakea(&["calibrate"]);
    assert_eq!(code, 0);
    assert!(out.contains("123,794."), "{out}");
}

#[test]
fn calibrate_closed_form_is_never_below_the_engine_runs() {
    let (code, out, err) = laniakea(&["calibrate", "--check-runs", "24", "--json"]);
    assert_eq!(code, 0, "{err}{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["check"]["above_closed_form"], 0);
    assert_eq!(v["check"]["greedy_reaches_closed_form"], true);
    assert_eq!(
        v["check"]["max_observed_wad"], v["check"]["closed_form_worst_wad"],
        "the worst run reaches the closed form to the wei"
    );
}

#[test]
fn bad_input_exits_1_naming_it() {
    let (code, _, err) = laniakea(&["stress", "--scenario", SCENARIO, "--runs", "0"]);
    assert_eq!(code, 1);
    assert!(err.contains("--runs"), "{err}");
    let (code, _, err) = laniakea(&["stress", "--scenario", "no/such.toml"]);
    assert_eq!(code, 1);
    assert!(err.contains("no/such.toml"), "{err}");
    let (code, _, err) = laniakea(&["calibrate", "--cadence-s", "3600"]);
    assert_eq!(code, 1);
    assert!(err.contains("cadence"), "{err}");
    let (code, _, err) = laniakea(&["calibrate", "--target", "1.2.3"]);
    assert_eq!(code, 1);
    assert!(err.contains("--target"), "{err}");
}

/// The shipped short scenario (4 Primes) with a `[stress]` table: every fault kind drawn often.
fn sim_scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let base = std::fs::read_to_string(format!("{root}/scenarios/short.toml")).unwrap();
    let text = format!(
        "{base}\n[stress]\nmodel = \"sim\"\n\n[stress.faults]\nlate_payment_bps = 2000\nlateness_s = {{ uniform = [3600, 86400] }}\nrelayer_compromise_bps = 10000\ncompromise_at_s = {{ uniform = [0, 518400] }}\ntime_to_freeze_s = {{ uniform = [300, 21600] }}\nmissing_lcts_inputs_bps = 3000\n"
    );
    let p = dir.join("short-stress.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn any_sim_run_of_a_batch_replays_with_laniakea_run_seed_to_the_same_digest() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = sim_scenario(dir.path());
    let sc = scenario.to_str().unwrap();
    let csv_path = dir.path().join("runs.csv");
    let (code, _, err) = laniakea(&[
        "stress",
        "--scenario",
        sc,
        "--days",
        "6",
        "--runs",
        "3",
        "--runs-csv",
        csv_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut rd = csv::Reader::from_path(&csv_path).unwrap();
    let head = rd.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (seed_c, digest_c) = (col("seed"), col("digest"));
    for (i, row) in rd.records().enumerate() {
        let row = row.unwrap();
        let seed = &row[seed_c];
        let variant = dir.path().join(format!("variant{i}.toml"));
        let (code, _, err) = laniakea(&[
            "stress",
            "--scenario",
            sc,
            "--days",
            "6",
            "--replay",
            seed,
            "--write-variant",
            variant.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("laniakea run --scenario"), "{err}");
        let db = dir.path().join(format!("run{i}.db"));
        let (code, out, err) = laniakea(&[
            "run",
            "--scenario",
            variant.to_str().unwrap(),
            "--seed",
            seed,
            "--days",
            "6",
            "--db",
            db.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["state_digest"], row[digest_c], "run {i} seed {seed}");
    }
}
