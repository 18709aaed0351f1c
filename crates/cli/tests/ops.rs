//! Operator commands over a run's database (issue 14 item 6): `calendar`, `runbook` (flags
//! derived from the database), `check` (stored and `--recompute`), `report`, `migration`, and
//! the `--db` source of `book`, `limits`, `lcts` — each human and `--json` — on a small run
//! database built here: a two-Prime system persisted through `JournaledChain::open_sqlite`,
//! with the Synome in the same file, driven by the real operators through two executed epochs
//! and a skipped one. Bad input: a missing file (never created), a bad epoch naming the flag.
#![allow(clippy::unwrap_used)]

mod common;

use alloy_primitives::U256;
use common::laniakea;
use laniakea_chain::call::{Call, ControllerCall, Tx};
use laniakea_chain::system::{LegacyConfig, PrimeConfig, SystemConfig};
use laniakea_chain::Chain;
use laniakea_journal::{Genesis, JournaledChain};
use laniakea_operators::checker::Checker;
use laniakea_operators::reader::{Deployment, PrimeAccounts};
use laniakea_operators::report::Reporter;
use laniakea_operators::settlement::{OperatorConfig, SettlementOperator};
use laniakea_operators::Guard;
use laniakea_settlement::{Direction, EpochId};
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::{Draft, Kind, Provenance, Role, Signer, Synome, Writer};
use laniakea_units::{Rad, Timestamp, Wad, RAD, WAD};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const START: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn e(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

fn t(rfc: &str) -> Timestamp {
    laniakea_units::time::parse_rfc3339(rfc).unwrap()
}

fn wad(x: u64) -> Wad {
    Wad::from_raw(U256::from(x) * WAD)
}

fn demo(label: &str, role: Role) -> Writer {
    Writer::new(Signer::demo(label), role)
}

fn config() -> SystemConfig {
    let prime = |name: &str, debt: u64| {
        let mut p = PrimeConfig::new(name);
        p.legacy = Some(LegacyConfig {
            ilk: None,
            line: Rad::from_raw(U256::from(10_000_000u64) * RAD),
            debt: wad(debt),
        });
        p
    };
    // Built without Configurator scopes (now on by default), like the operators' fixture: this
    // run moves USDS through rate-limit keys a scoped system leaves at zero.
    SystemConfig {
        primes: vec![prime("spark", 1_000_000), prime("grove", 400_000)],
        scopes: None,
        ..SystemConfig::default()
    }
}

/// Builds the run database once per test binary (shared read-only by the tests).
fn run_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.db");
        build(&path);
        (dir, path)
    })
    .1
}

fn build(path: &Path) {
    // The builder's lines plus one account (`stranger`, an outside strategy) spark may send
    // USDS to — a script genesis, as `laniakea run` builds it.
    let mut lines = config().script_lines();
    lines[0]["accounts"]
        .as_array_mut()
        .unwrap()
        .push(json!("stranger"));
    lines[1]["at"] = json!(START);
    lines.push(json!({"from": "admin", "to": "spark_rl", "fn": "setUnlimitedRateLimitData",
        "args": {"key": {"name": "LIMIT_ASSET_TRANSFER", "address": "@usds", "address2": "@stranger"}}}));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let genesis = Genesis::Script { text };
    let mut chain = JournaledChain::open_sqlite(path, genesis).unwrap();
    let p = path.to_str().unwrap();
    SqliteStore::create(p).unwrap();
    let mut syn = Synome::new(SqliteStore::open(p).unwrap());
    let council = demo("core-council", Role::CoreCouncil);
    let (operator, govops) = (
        demo("settlement-operator", Role::Operator),
        demo("govops", Role::GovOps),
    );
    let (checker_w, reporter_w) = (
        demo("lpla-checker", Role::Checker),
        demo("lpha-report", Role::Reporter),
    );
    let gov = Provenance::GovernanceDirected;
    let before = Timestamp(START - 3 * 86_400);
    let mut drafts = vec![Draft::new(
        Kind::Genesis,
        "global",
        before,
        gov,
        json!({"core_council": council.signer.address(), "deployment": "laniakea ops test", "demo_key": "core-council"}),
    )];
    for (role, w) in [
        ("operator", &operator),
        ("govops", &govops),
        ("checker", &checker_w),
        ("reporter", &reporter_w),
    ] {
        drafts.push(Draft::new(
            Kind::RoleGrant,
            "global",
            before,
            gov,
            json!({"role": role, "address": w.signer.address(), "demo_key": w.signer.label()}),
        ));
    }
    drafts.push(Draft::new(
        Kind::ParameterSet,
        "global",
        Timestamp(START - 2 * 86_400),
        gov,
        json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.04", "penalty_rate_per_hour_wad": "0.001"}),
    ));
    syn.write(&council, drafts).unwrap();
    let a = |n: &str| chain.address(n).unwrap();
    let deployment = Deployment {
        vat: a("vat"),
        usds: a("usds"),
        susds: a("susds"),
        generator_proxy: a("gen_proxy"),
        generator_registry: chain.address("generator"),
        generator_mint_buffer: chain.address("gen_vault.buffer"),
        primes: ["spark", "grove"]
            .iter()
            .map(|p| PrimeAccounts {
                prime: p.to_string(),
                legacy_ilk: format!("ALLOCATOR-{}-A", p.to_uppercase()),
                alm_proxy: a(&format!("{p}_proxy")),
                rate_limits: a(&format!("{p}_rl")),
                prime_vault: chain.address(&format!("{p}_pv")),
            })
            .collect(),
    };
    let mut op = SettlementOperator::new(
        OperatorConfig {
            deployment_start: Timestamp(START),
            deployment: deployment.clone(),
            generator_controller: a("gen_ctrl"),
            generator_relayer: a("gen_relayer"),
            guard: Guard {
                reallocation_threshold_wad: wad(1_000_000_000),
            },
            restriction: None,
        },
        operator,
        govops,
    )
    .unwrap();
    let checker = Checker {
        deployment_start: Timestamp(START),
        deployment: deployment.clone(),
        writer: checker_w,
    };
    let reporter = Reporter {
        deployment,
        writer: reporter_w,
    };
    // A transfer of USDS out of a Prime's PAU (a payment when `to` is the Generator's proxy).
    let pay = |chain: &mut JournaledChain,
               prime: &str,
               to: &str,
               at: Timestamp,
               amount: Wad,
               tag: &str| {
        let tx = Tx {
            from: chain.address(&format!("{prime}_relayer")).unwrap(),
            at,
            call: Call::Controller(
                chain.address(&format!("{prime}_ctrl")).unwrap(),
                ControllerCall::TransferAsset {
                    asset: chain.address("usds").unwrap(),
                    to: chain.address(to).unwrap(),
                    amount,
                },
            ),
        };
        let r = chain.submit_tagged(tx, tag).unwrap();
        assert!(r.is_ok(), "{tag}: {:?}", r.outcome);
    };
    // Spark deploys most of its USDS out of the PAU: its idle balance drops, so it owes.
    pay(
        &mut chain,
        "spark",
        "stranger",
        t("2026-01-01T02:00:00Z"),
        wad(900_000),
        "d1/spark/deploy",
    );
    // Governance skips Saturday 2026-01-03, before its lock.
    let skip = Draft::new(
        Kind::Skip,
        "global",
        t("2026-01-01T10:00:00Z"),
        Provenance::GovernanceDirected,
        json!({"epoch": "2026-01-03", "reason": "weekend"}),
    )
    .epoch(e("2026-01-03"));
    syn.write(&council, vec![skip]).unwrap();
    for (epoch, pays) in [("2026-01-01", true), ("2026-01-02", false)] {
        let ep = e(epoch);
        chain.warp(ep.lock()).unwrap();
        let (result, _) = op.post_statements(&chain, &mut syn, ep).unwrap();
        chain.warp(Timestamp(ep.lock().0 + 3600)).unwrap();
        for st in &result.statements {
            if pays && st.direction == Direction::PrimePaysGenerator && !st.amount_due_wad.is_zero()
            {
                let tag = format!("{epoch}/{}/pay", st.prime);
                let now = chain.now();
                pay(
                    &mut chain,
                    &st.prime,
                    "gen_proxy",
                    now,
                    st.amount_due_wad,
                    &tag,
                );
            }
        }
        op.pay_generator_side(&mut chain, &mut syn, ep).unwrap();
        chain.warp(ep.moment()).unwrap();
        op.record_receipts(&chain, &mut syn).unwrap();
        op.record_penalties(&mut chain, &mut syn).unwrap();
        chain.warp(Timestamp(ep.moment().0 + 1800)).unwrap();
        assert!(checker.report(&chain, &mut syn, ep).unwrap());
        reporter.report(&chain, &mut syn, ep).unwrap();
    }
    chain.warp(t("2026-01-02T18:00:00Z")).unwrap();
    chain.meta_set("scenario", "ops-test").unwrap();
    let digest = chain.digest().to_string();
    chain.meta_set("digest_at_end", &digest).unwrap();
}

fn db_arg() -> String {
    run_db().to_str().unwrap().to_string()
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = laniakea(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

fn ok_json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).unwrap()
}

#[test]
fn calendar_lists_windows_skips_and_status_from_the_run() {
    let db = db_arg();
    let j = ok_json(&[
        "calendar",
        "--db",
        &db,
        "--from",
        "2026-01-01",
        "--days",
        "5",
        "--json",
    ]);
    let status: Vec<(&str, &str)> = j["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["epoch"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("2026-01-01", "executed"),
            // no payment: the pay step is overdue (its report steps are done)
            ("2026-01-02", "overdue"),
            ("2026-01-03", "skipped"),
            ("2026-01-04", "pending"),
            ("2026-01-05", "pending"),
        ]
    );
    assert_eq!(j["skips"], json!(["2026-01-03"]));
    assert_eq!(j["deployment_start"], json!(START));
    assert_eq!(j["as_of"], json!(t("2026-01-02T18:00:00Z").0));
    // Windows tile lock to lock; the skipped day has none and Sunday's covers it.
    let ep = &j["epochs"];
    assert_eq!(ep[0]["window"]["start"], json!(START));
    assert_eq!(ep[1]["window"]["start"], ep[0]["lock"]);
    assert_eq!(ep[2]["window"], Value::Null);
    assert_eq!(ep[3]["window"]["start"], ep[1]["lock"]);
    // Human form: UTC date-times, the skip and the statuses.
    let text = ok(&[
        "calendar",
        "--db",
        &db,
        "--from",
        "2026-01-01",
        "--days",
        "5",
    ]);
    assert!(text.contains("2026-01-01 13:00 UTC → 16:00 UTC"), "{text}");
    assert!(text.contains("skips: 2026-01-03"), "{text}");
    assert!(text.contains("7/7 done"), "{text}");
    // Without --from it starts at the chain's date.
    let j = ok_json(&["calendar", "--db", &db, "--json", "--days", "1"]);
    assert_eq!(j["epochs"][0]["epoch"], "2026-01-02");
}

#[test]
fn runbook_derives_time_start_and_primes_from_the_run_database() {
    let db = db_arg();
    let derived = ok_json(&["runbook", "--db", &db, "--epoch", "2026-01-01", "--json"]);
    let explicit = ok_json(&[
        "runbook",
        "--db",
        &db,
        "--epoch",
        "2026-01-01",
        "--json",
        "--at",
        "2026-01-02T18:00:00Z",
        "--deployment-start",
        &START.to_string(),
        "--prime",
        "spark",
        "--prime",
        "grove",
    ]);
    assert_eq!(derived, explicit);
    assert!(derived["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "done"));
    let text = ok(&["runbook", "--db", &db, "--epoch", "2026-01-03"]);
    assert!(text.contains("(skipped)"), "{text}");
}

#[test]
fn check_shows_stored_findings_by_code_and_recomputes_them_identically() {
    let db = db_arg();
    let j = ok_json(&["check", "--db", &db, "--epoch", "2026-01-01", "--json"]);
    assert_eq!(j["stored"].as_array().unwrap().len(), 1);
    let stored = j["stored"][0]["findings"].clone();
    assert!(j["by_status"]["ok"].as_u64().unwrap() >= 2, "{j}");
    let r = ok_json(&[
        "check",
        "--db",
        &db,
        "--epoch",
        "2026-01-01",
        "--recompute",
        "--json",
    ]);
    assert_eq!(r["recomputed_matches_stored"], json!(true), "{r}");
    let set = |v: &Value| {
        let mut k: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.to_string())
            .collect();
        k.sort();
        k
    };
    assert_eq!(set(&r["recomputed"]), set(&stored));
    // Epoch 2, unpaid: the stored report flags the missing payments.
    let j = ok_json(&["check", "--db", &db, "--epoch", "2026-01-02", "--json"]);
    assert!(j["by_status"]["missing"].as_u64().unwrap() >= 1, "{j}");
    let text = ok(&["check", "--db", &db, "--epoch", "2026-01-02"]);
    assert!(
        text.contains("findings by code:") && text.contains("missing"),
        "{text}"
    );
}

#[test]
fn report_shows_each_primes_stored_summary() {
    let db = db_arg();
    let j = ok_json(&["report", "--db", &db, "--epoch", "2026-01-01", "--json"]);
    let primes: Vec<&str> = j["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["prime"].as_str().unwrap())
        .collect();
    assert_eq!(primes, ["grove", "spark"]);
    assert_eq!(j["reports"][1]["summary"]["timeliness"], "on-time");
    let j = ok_json(&[
        "report",
        "--db",
        &db,
        "--epoch",
        "2026-01-01",
        "--prime",
        "spark",
        "--json",
    ]);
    assert_eq!(j["reports"].as_array().unwrap().len(), 1);
    let text = ok(&[
        "report",
        "--db",
        &db,
        "--epoch",
        "2026-01-01",
        "--prime",
        "spark",
    ]);
    assert!(
        text.contains("debt_legacy_wad") && text.contains("1,000,000"),
        "{text}"
    );
    let (code, _, err) = laniakea(&[
        "report",
        "--db",
        &db,
        "--epoch",
        "2026-01-01",
        "--prime",
        "nope",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid --prime 'nope'"), "{err}");
}

#[test]
fn migration_book_lcts_and_limits_read_the_run_database() {
    let db = db_arg();
    let m = ok_json(&["migration", "--db", &db, "--json"]);
    let spark = m["primes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["prime"] == "spark")
        .unwrap();
    assert_eq!(spark["prime"], "spark");
    assert_eq!(spark["legacy_ilk"], "ALLOCATOR-SPARK-A");
    assert_eq!(spark["legacy_debt_wad"], "1000000");
    assert_eq!(
        (&spark["migration"], &spark["detail"]["status"]),
        (&json!("none"), &json!("none"))
    );
    let text = ok(&["migration", "--db", &db]);
    assert!(
        text.contains("1,000,000") && text.contains("no plan"),
        "{text}"
    );
    let b = ok_json(&["book", "--db", &db, "--json"]);
    assert_eq!(b["block_time"], json!(t("2026-01-02T18:00:00Z").0));
    let without_detail: Vec<Value> = m["primes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.as_object_mut().unwrap().remove("detail");
            p
        })
        .collect();
    assert_eq!(b["debt_locations"], json!(without_detail));
    let text = ok(&["book", "--db", &db]);
    assert!(
        text.contains("Generator book at 2026-01-02 18:00 UTC"),
        "{text}"
    );
    // No srUSDS Holding System or Configurator scope in this run: clear errors naming the flag.
    let (code, _, err) = laniakea(&["lcts", "--db", &db, "--holding", "holding_system"]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid --holding"), "{err}");
    let (code, _, err) = laniakea(&["limits", "--db", &db, "--configurator", "gen_cfg"]);
    assert_eq!(code, 1);
    assert!(err.contains("no such name in the run database"), "{err}");
}

#[test]
fn a_missing_database_is_an_error_and_is_never_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let m = missing.to_str().unwrap();
    for args in [
        vec!["calendar", "--db", m],
        vec!["check", "--db", m, "--epoch", "2026-01-01"],
        vec!["report", "--db", m, "--epoch", "2026-01-01"],
        vec!["migration", "--db", m],
        vec!["book", "--db", m],
        vec!["runbook", "--db", m, "--epoch", "2026-01-01"],
    ] {
        let (code, _, err) = laniakea(&args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains("no such file"), "{args:?}: {err}");
        assert!(!missing.exists(), "{args:?} created {m}");
    }
}

#[test]
fn a_bad_epoch_names_the_flag() {
    let db = db_arg();
    for (args, flag) in [
        (
            vec!["check", "--db", &db, "--epoch", "2026-13-01"],
            "--epoch",
        ),
        (
            vec!["report", "--db", &db, "--epoch", "yesterday"],
            "--epoch",
        ),
        (
            vec!["calendar", "--db", &db, "--from", "2026/01/01"],
            "--from",
        ),
        (vec!["runbook", "--db", &db, "--epoch", "1"], "--epoch"),
    ] {
        let (code, _, err) = laniakea(&args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains(&format!("invalid {flag}")), "{args:?}: {err}");
    }
    let (code, _, err) = laniakea(&["calendar", "--db", &db, "--from", "2025-06-01"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("before the deployment's first epoch 2026-01-01"),
        "{err}"
    );
}

#[test]
fn the_run_database_replays_to_the_chain_that_wrote_it() {
    // The commands read a replay: the digest of a read-only open equals a fresh writer's.
    let ro = JournaledChain::open_read_only(run_db()).unwrap();
    assert!(ro.len() > 10);
    assert_eq!(ro.meta_get("scenario").as_deref(), Some("ops-test"));
    assert_eq!(ro.now(), t("2026-01-02T18:00:00Z"));
    assert_eq!(Some(ro.digest().to_string()), ro.meta_get("digest_at_end"));
}

/// A run database whose genesis is a shipped example script (no journaled transactions yet).
fn script_db(dir: &Path, example: &str) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(example),
    )
    .unwrap();
    let path = dir.join(example.replace(".jsonl", ".db"));
    drop(JournaledChain::open_sqlite(&path, Genesis::Script { text }).unwrap());
    path.to_str().unwrap().to_string()
}

#[test]
fn book_limits_and_lcts_print_the_same_from_a_run_database_as_from_its_script() {
    let dir = tempfile::tempdir().unwrap();
    for (cmd, example, flags) in [
        ("book", "generator-migration.jsonl", vec![]),
        (
            "limits",
            "configurator-onboarding.jsonl",
            vec!["--configurator", "main_cfg"],
        ),
        ("lcts", "srusds.jsonl", vec!["--holding", "hs"]),
    ] {
        let db = script_db(dir.path(), example);
        let script = format!("examples/{example}");
        for json in [false, true] {
            let mut a = vec![cmd, script.as_str()];
            let mut b = vec![cmd, "--db", db.as_str()];
            a.extend(&flags);
            b.extend(&flags);
            if json {
                a.push("--json");
                b.push("--json");
            }
            assert_eq!(ok(&a), ok(&b), "{cmd} {example} json={json}");
        }
        let (code, _, err) = laniakea(&[cmd, script.as_str(), "--db", db.as_str()]);
        assert_eq!(
            code, 2,
            "{cmd}: a script and --db together is a usage error: {err}"
        );
    }
}

#[test]
fn limits_without_a_configurator_lists_every_paus_rate_limits_with_headroom() {
    let db = db_arg();
    let j = ok_json(&["limits", "--db", &db, "--json"]);
    let paus: Vec<&str> = j["paus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pau"].as_str().unwrap())
        .collect();
    assert_eq!(paus, ["gen", "grove", "spark"]);
    let spark = &j["paus"][2]["limits"];
    let find = |name: &str| {
        spark
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {spark}"))
            .clone()
    };
    // The legacy mint key was sized to the legacy debt and used up at genesis.
    let mint = find("LIMIT_USDS_MINT");
    assert_eq!(
        (&mint["max_amount_wad"], &mint["headroom_wad"]),
        (&json!("1000000"), &json!("0"))
    );
    // A key the genesis script added is found through the event log and named.
    find("LIMIT_ASSET_TRANSFER⊕usds⊕stranger");
    let text = ok(&["limits", "--db", &db]);
    assert!(
        text.contains("PAU spark (spark_rl)") && text.contains("1,000,000"),
        "{text}"
    );
    let (code, _, err) = laniakea(&["limits", "--db", &db, "--pau", "spark_proxy"]);
    assert_eq!(code, 1);
    assert!(err.contains("--pau needs --configurator"), "{err}");
    // A script still needs --configurator (usage error).
    let (code, _, _) = laniakea(&["limits", "examples/configurator-onboarding.jsonl"]);
    assert_eq!(code, 2);
}

/// The ops commands over a real `laniakea run` database agree with the run's own summary.
#[test]
fn over_a_real_run_the_commands_agree_with_the_runs_summary() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("short.db");
    let db = db.to_str().unwrap();
    let summary = ok_json(&[
        "run",
        "--scenario",
        "scenarios/short.toml",
        "--days",
        "8",
        "--db",
        db,
        "--json",
    ]);
    let first = summary["first_epoch"].as_str().unwrap();
    // The replay the commands read is the run's final chain.
    let cal = ok_json(&[
        "calendar", "--db", db, "--from", first, "--days", "8", "--json",
    ]);
    assert_eq!(cal["chain"]["state_digest"], summary["state_digest"]);
    let epochs = cal["epochs"].as_array().unwrap();
    let skipped: Vec<&Value> = epochs
        .iter()
        .filter(|l| l["status"] == "skipped")
        .map(|l| &l["epoch"])
        .collect();
    assert_eq!(json!(skipped), summary["skipped_epochs"]);
    // Every epoch the run settled has its statements and checker report, so no step is pending.
    assert!(epochs.iter().all(|l| l["status"] != "pending"), "{cal}");
    // The migrations and the compatibility set are the registry's, as in the summary.
    let m = ok_json(&["migration", "--db", db, "--json"]);
    for p in m["primes"].as_array().unwrap() {
        let name = p["prime"].as_str().unwrap();
        assert_eq!(p["migration"], summary["migrations"][name], "{name}");
    }
    assert_eq!(m["compatibility_set"], summary["compatibility_set"]);
    let b = ok_json(&["book", "--db", db, "--json"]);
    assert_eq!(b["book"], summary["generator_book"]);
    // The stored checker findings of every epoch add up to the summary's counts by check/code.
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    let mut reports = 0;
    for l in epochs {
        let c = ok_json(&[
            "check",
            "--db",
            db,
            "--epoch",
            l["epoch"].as_str().unwrap(),
            "--json",
        ]);
        for r in c["stored"].as_array().unwrap() {
            reports += 1;
            for f in r["findings"].as_array().unwrap() {
                let k = format!(
                    "{}/{}",
                    f["check"].as_str().unwrap(),
                    f["status"].as_str().unwrap()
                );
                *counts.entry(k).or_default() += 1;
            }
        }
    }
    assert_eq!(json!(reports), summary["verification_reports"]);
    assert_eq!(json!(counts), summary["checker_findings"]);
    // One Prime report per Prime for a settled epoch.
    let r = ok_json(&["report", "--db", db, "--epoch", first, "--json"]);
    assert_eq!(
        r["reports"].as_array().unwrap().len(),
        summary["primes"].as_array().unwrap().len()
    );
    // The runbook derives everything; every step of the first epoch is done.
    let rb = ok_json(&["runbook", "--db", db, "--epoch", first, "--json"]);
    assert!(
        rb["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "done"),
        "{rb}"
    );
    // The LCTS queues of the run's srUSDS Holding System (`hs` in the simulator's genesis).
    let l = ok_json(&["lcts", "--db", db, "--holding", "hs", "--json"]);
    for k in [
        "exchange_rate_wad",
        "holding_susds_wad",
        "srusds_supply_wad",
    ] {
        assert_eq!(l["holding_system"][k], summary["srusds"][k], "{k}");
    }
    assert_eq!(l["queues"].as_array().unwrap().len(), 2);
    let lim = ok_json(&["limits", "--db", db, "--json"]);
    assert_eq!(
        lim["paus"].as_array().unwrap().len(),
        1 + summary["primes"].as_array().unwrap().len()
    );
}
