//! The binary end to end: output is deterministic, bad input exits 1 naming the input.
#![allow(clippy::unwrap_used)]

mod common;
use common::{golden, laniakea};
use std::process::Command;

#[test]
fn exec_example_is_deterministic_and_checks_pass() {
    let a = laniakea(&["exec", "examples/pau-basic.jsonl", "--check"]);
    let b = laniakea(&["exec", "examples/pau-basic.jsonl", "--check"]);
    assert_eq!(a.0, 0, "{}", a.2);
    assert_eq!(a.1, b.1);
    assert!(a.1.contains("\"state_digest\""));
}

#[test]
fn exec_bad_script_exits_1_with_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.jsonl");
    std::fs::write(&p, "{\"accounts\": [\"a\"]}\n{\"at\": 1, \"from\": \"a\", \"deploy\": {\"kind\": \"erc20\", \"symbol\": \"X\"}, \"as\": \"x\"}\n{\"from\": \"a\", \"to\": \"x\", \"fn\": \"mint\", \"args\": {\"to\": \"@a\", \"amount\": \"0.0000000000000000001\"}}\n").unwrap();
    let (code, out, err) = laniakea(&["exec", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "nothing ran");
    assert!(
        err.contains("line 3") && err.contains("args.amount"),
        "{err}"
    );
}

#[test]
fn exec_unmet_expectation_exits_3_with_check() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("exp.jsonl");
    std::fs::write(&p, "{\"accounts\": [\"a\"]}\n{\"at\": 1, \"from\": \"a\", \"deploy\": {\"kind\": \"erc20\", \"symbol\": \"X\"}, \"as\": \"x\"}\n{\"from\": \"a\", \"to\": \"x\", \"fn\": \"transfer\", \"args\": {\"to\": \"@a\", \"amount\": \"1\"}, \"expect\": \"ok\"}\n").unwrap();
    let (code, _, err) = laniakea(&["exec", p.to_str().unwrap(), "--check"]);
    assert_eq!(code, 3);
    assert!(err.contains("ERC20/insufficient-balance"), "{err}");
    assert_eq!(
        laniakea(&["exec", p.to_str().unwrap()]).0,
        0,
        "without --check a revert is just a result"
    );
}

#[test]
fn settle_example_table_and_json_are_deterministic() {
    let t1 = laniakea(&["settle", "examples/settlement-inputs.json"]);
    let t2 = laniakea(&["settle", "examples/settlement-inputs.json"]);
    assert_eq!(t1.0, 0, "{}", t1.2);
    assert_eq!(t1.1, t2.1);
    assert!(t1.1.contains("505.609589041095890411"));
    let j = laniakea(&[
        "settle",
        "examples/settlement-inputs.json",
        "--json",
        "--prime",
        "grove",
    ]);
    let v: serde_json::Value = serde_json::from_str(&j.1).unwrap();
    assert_eq!(v["statements"].as_array().unwrap().len(), 1);
    assert_eq!(v["statements"][0]["total_wad"], "-160.273972602739726028");
}

#[test]
fn settle_bad_inputs_exit_1_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.json");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/settlement-inputs.json"
    ))
    .unwrap()
    .replace("\"tier\": 4", "\"tier\": 7");
    std::fs::write(&p, text).unwrap();
    let (code, out, err) = laniakea(&["settle", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("tags[0].tier"), "{err}");
    let (code, _, err) = laniakea(&[
        "settle",
        "examples/settlement-inputs.json",
        "--prime",
        "nobody",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("--prime"), "{err}");
}

#[test]
fn synome_demo_verify_tamper_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    let (code, out, err) = laniakea(&["synome", "--db", db, "demo"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("DEMO Synome"), "{out}");
    let (code, out, _) = laniakea(&["synome", "--db", db, "verify"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ok: 12 records verified"), "{out}");
    assert!(out.contains("DEMO Synome"), "{out}");
    assert!(out.contains("checkpoints: 1"), "{out}");
    let (code, out, _) = laniakea(&["synome", "--db", db, "export", "--format", "csv"]);
    assert_eq!(code, 0);
    assert_eq!(
        csv::Reader::from_reader(out.as_bytes()).records().count(),
        12
    );
    // `demo` writes only into an empty store.
    let (code, _, err) = laniakea(&["synome", "--db", db, "demo"]);
    assert_eq!(code, 1);
    assert!(err.contains("already holds 12 records"), "{err}");
    let (_, out, _) = laniakea(&[
        "synome",
        "--db",
        db,
        "latest",
        "settlement-statement",
        "prime:grove",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["payload"]["total_wad"], "-160.273972602739726028");
    // Tamper with one byte of a stored signature, outside the tool.
    let c = rusqlite::Connection::open(db).unwrap();
    let id: String = c
        .query_row(
            "SELECT id FROM records WHERE kind = 'payment-receipt'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    c.execute("UPDATE records SET signature = substr(signature, 1, 9) || (CASE WHEN substr(signature, 10, 1) = 'f' THEN 'e' ELSE 'f' END) || substr(signature, 11) WHERE id = ?1", [&id]).unwrap();
    drop(c);
    let (code, out, _) = laniakea(&["synome", "--db", db, "verify"]);
    assert_eq!(code, 4);
    assert!(out.contains(&id), "names the record: {out}");
    let (code, _, err) = laniakea(&["synome", "--db", db, "list", "--kind", "statement"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("invalid --kind 'statement'") && err.contains("settlement-statement"),
        "{err}"
    );
}

#[test]
fn golden_exec_output() {
    let (code, out, _) = laniakea(&["exec", "examples/pau-basic.jsonl"]);
    assert_eq!(code, 0);
    golden("pau-basic.out.jsonl", &out);
}

#[test]
fn golden_settle_outputs() {
    let (_, table, _) = laniakea(&["settle", "examples/settlement-inputs.json"]);
    golden("settlement-inputs.table.txt", &table);
    let (_, json, _) = laniakea(&["settle", "examples/settlement-inputs.json", "--json"]);
    golden("settlement-inputs.out.json", &json);
}

#[test]
fn synome_append_with_keys_from_file_env_and_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    assert_eq!(laniakea(&["synome", "--db", db, "demo"]).0, 0);
    let payload = dir.path().join("skip.json");
    std::fs::write(
        &payload,
        r#"{"epoch": "2026-01-12", "reason": "incident drill"}"#,
    )
    .unwrap();
    let p = payload.to_str().unwrap();
    let base = [
        "synome",
        "--db",
        db,
        "append",
        "--kind",
        "skip",
        "--subject",
        "global",
        "--epoch",
        "2026-01-12",
        "--created-at",
        "1767900000",
        "--payload",
        p,
    ];
    // The Core Council (demo key) may write a skip.
    let mut args = base.to_vec();
    args.extend([
        "--role",
        "core-council",
        "--demo-key",
        "core-council",
        "--provenance",
        "governance-directed",
    ]);
    let (code, out, err) = laniakea(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"stored\""), "{out}");
    assert!(err.contains("DEMO KEY"), "demo keys are labelled: {err}");
    // A real key from a file is refused by a demo Synome, and nothing is stored.
    let keyfile = dir.path().join("key.hex");
    std::fs::write(
        &keyfile,
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n",
    )
    .unwrap();
    let mut args = base.to_vec();
    args.extend([
        "--role",
        "core-council",
        "--key-file",
        keyfile.to_str().unwrap(),
    ]);
    let (code, _, err) = laniakea(&args);
    assert_eq!(code, 1);
    assert!(err.contains("synome/real-key-in-demo-synome"), "{err}");
    // A key from the environment (even the demo operator's secret, given as a real key) is
    // refused the same way.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_laniakea"))
        .args(base)
        .args(["--role", "operator", "--key-env", "LANIAKEA_TEST_KEY"])
        .env(
            "LANIAKEA_TEST_KEY",
            format!(
                "{:#x}",
                alloy_primitives::keccak256(b"laniakea demo key:settlement-operator")
            ),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("real-key-in-demo-synome"), "{err}");
    // A role that may not write the kind.
    let mut args = base.to_vec();
    args.extend(["--role", "operator", "--demo-key", "settlement-operator"]);
    let (code, _, err) = laniakea(&args);
    assert_eq!(code, 1);
    assert!(
        err.contains("[synome/wrong-role]") && err.contains("may not write skip"),
        "{err}"
    );
    let (code, out, _) = laniakea(&["synome", "--db", db, "verify"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ok: 13 records"), "{out}");
}

/// Three OS processes append to one PostgreSQL Synome at the same time, two with the same key
/// and one with another: the store chain serialises them, a loser of a race gets a retryable
/// refusal and retries; every record lands once and the chains verify.
#[test]
fn synome_processes_with_same_and_different_keys_on_postgres() {
    let url = match std::env::var("DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: DATABASE_URL is not set, two-process PostgreSQL test not executed"
            );
            return;
        }
    };
    let schema = format!("synome_cli_procs_{}", std::process::id());
    let mut c = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let store = [
        "synome",
        "--postgres",
        url.as_str(),
        "--pg-schema",
        schema.as_str(),
    ];
    let (code, _, err) = laniakea(&[&store[..], &["demo"]].concat());
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let per = 12;
    let spawn = |tag: &str| {
        let mut children = Vec::new();
        for i in 0..per {
            let payload = dir.path().join(format!("{tag}-{i}.json"));
            std::fs::write(&payload, format!(r#"{{"prime": "spark", "state": "late", "obligation": "{tag}-{i}", "late_s": {i}}}"#)).unwrap();
            children.push(payload);
        }
        children
    };
    let run = |payloads: Vec<std::path::PathBuf>, kind: &str, role: &str, key: &str| {
        let mut retried = 0;
        for p in payloads {
            let out = Command::new(env!("CARGO_BIN_EXE_laniakea"))
                .args(store)
                .args([
                    "append",
                    "--kind",
                    kind,
                    "--subject",
                    if kind == "escalation" {
                        "prime:spark"
                    } else {
                        "global"
                    },
                    "--role",
                    role,
                    "--created-at",
                    "1767900000",
                    "--demo-key",
                    key,
                    "--retries",
                    "50",
                    "--payload",
                ])
                .arg(&p)
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            retried += String::from_utf8_lossy(&out.stderr)
                .matches("retrying")
                .count();
        }
        retried
    };
    let (a, b) = (spawn("a"), spawn("b"));
    // A third process with a different key (the checker) at the same time.
    let reports: Vec<_> = (0..per)
        .map(|i| {
            let p = dir.path().join(format!("report-{i}.json"));
            std::fs::write(
                &p,
                format!(r#"{{"findings": [{{"check": "n{i}", "status": "ok"}}]}}"#),
            )
            .unwrap();
            p
        })
        .collect();
    let (ra, rb, rc) = std::thread::scope(|s| {
        let x = s.spawn(|| run(a, "escalation", "operator", "settlement-operator"));
        let y = s.spawn(|| run(b, "escalation", "operator", "settlement-operator"));
        let z = s.spawn(|| run(reports, "verification-report", "checker", "lpla-checker"));
        (x.join().unwrap(), y.join().unwrap(), z.join().unwrap())
    });
    let (code, out, _) = laniakea(&[&store[..], &["verify"]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(&format!("ok: {} records", 12 + 3 * per)),
        "{out}"
    );
    eprintln!("retries after lost races: {}", ra + rb + rc);
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
}

/// A missing or mistyped store is an error, never an empty "ok"; an empty store says so.
#[test]
fn synome_verify_never_lies_by_omission() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("mistyped.db");
    let m = missing.to_str().unwrap();
    let (code, out, err) = laniakea(&["synome", "--db", m, "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("no Synome at sqlite:") && err.contains("synome init"),
        "{err}"
    );
    assert!(!missing.exists(), "verify created nothing");
    let (code, out, err) = laniakea(&["synome", "--db", m, "init"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("initialised"), "{out}");
    let (code, out, _) = laniakea(&["synome", "--db", m, "verify"]);
    assert_eq!(code, 5, "{out}");
    assert!(out.starts_with("EMPTY"), "{out}");
    // A truncated tail is caught against a checkpoint id the auditor kept.
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    assert_eq!(laniakea(&["synome", "--db", db, "demo"]).0, 0);
    let (_, out, _) = laniakea(&["synome", "--db", db, "latest", "checkpoint", "global"]);
    let cp: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cp = cp["id"].as_str().unwrap().to_string();
    let (code, _, _) = laniakea(&["synome", "--db", db, "verify", "--checkpoint", &cp]);
    assert_eq!(code, 0);
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute("DELETE FROM records WHERE id = ?1", [&cp])
        .unwrap();
    drop(c);
    let (code, out, _) = laniakea(&["synome", "--db", db, "verify"]);
    assert_eq!(code, 0, "the store alone cannot show a cut tail: {out}");
    assert!(out.contains("checkpoints: none"), "{out}");
    let (code, out, _) = laniakea(&["synome", "--db", db, "verify", "--checkpoint", &cp]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains(&format!("MISSING checkpoint {cp}")), "{out}");
    // A column of the wrong type names the record and exits 4.
    let c = rusqlite::Connection::open(db).unwrap();
    let id: String = c
        .query_row("SELECT id FROM records WHERE seq = 3", [], |r| r.get(0))
        .unwrap();
    c.execute("UPDATE records SET created_at = 'soon' WHERE seq = 3", [])
        .unwrap();
    drop(c);
    let (code, out, _) = laniakea(&["synome", "--db", db, "verify"]);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains(&format!(
            "BAD record at position 3 id {id} [store/corrupt-row]"
        )) && out.contains("created_at"),
        "{out}"
    );
}

/// A writer killed between the store's commit and its acknowledgement retries, and the fact
/// is stored exactly once (the retry is recognised by its fact and acknowledged with the
/// stored record's id).
#[test]
fn synome_append_killed_between_commit_and_ack_retries_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    assert_eq!(laniakea(&["synome", "--db", db, "demo"]).0, 0);
    let payload = dir.path().join("esc.json");
    std::fs::write(
        &payload,
        r#"{"prime": "spark", "state": "restricted", "obligation": "2026-01-05/spark/1", "late_s": 90000}"#,
    )
    .unwrap();
    let args = [
        "synome",
        "--db",
        db,
        "append",
        "--kind",
        "escalation",
        "--subject",
        "prime:spark",
        "--epoch",
        "2026-01-05",
        "--role",
        "operator",
        "--created-at",
        "1767900000",
        "--demo-key",
        "settlement-operator",
        "--payload",
        payload.to_str().unwrap(),
    ];
    let killed = Command::new(env!("CARGO_BIN_EXE_laniakea"))
        .args(args)
        .env("LANIAKEA_TEST_ABORT_AFTER_COMMIT", "1")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!killed.status.success(), "the writer died");
    assert!(killed.stdout.is_empty(), "no acknowledgement was printed");
    let escalations = |db: &str| -> Vec<String> {
        let c = rusqlite::Connection::open(db).unwrap();
        let mut st = c
            .prepare("SELECT id FROM records WHERE kind = 'escalation'")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(|x| x.unwrap())
            .collect()
    };
    let stored = escalations(db);
    assert_eq!(stored.len(), 1, "committed before the kill");
    // The client retries (a new process re-reads the heads, which now include its record).
    let (code, out, err) = laniakea(&args);
    assert_eq!(code, 0, "{err}");
    let ack: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ack["outcome"]["already-stored"]["id"], stored[0]);
    assert_eq!(ack["id"], stored[0]);
    assert_eq!(escalations(db), stored, "exactly one record for the fact");
    let (code, out, _) = laniakea(&["synome", "--db", db, "verify"]);
    assert_eq!(code, 0, "{out}");
}

/// Issue 9: the table is for people (UTC date-times, amounts grouped in thousands, exact);
/// `--json` keeps the machine forms (Unix seconds, ungrouped exact decimals).
#[test]
fn settle_table_shows_utc_date_times_and_grouped_amounts_json_stays_exact() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.json");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/settlement-inputs.json"
    ))
    .unwrap()
    .replace(
        r#""debt_legacy": { "initial": "1000000" }"#,
        r#""debt_legacy": { "initial": "1000000000" }"#,
    );
    std::fs::write(&p, text).unwrap();
    let (code, table, err) = laniakea(&["settle", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        table.contains("window 2026-01-02 13:00 UTC → 2026-01-05 13:00 UTC (259,200 s)"),
        "{table}"
    );
    assert!(table.contains("due 2026-01-05 16:00 UTC"), "{table}");
    assert!(!table.contains("1767358800"), "no Unix seconds: {table}");
    // F = (1,000,000,000·259,200 + 500,000·172,800)·0.05/31,536,000
    //   = 12,964,320,000,000/31,536,000 = 411,095.890410958904109589|04… → floor; grouped.
    assert!(table.contains("411,095.890410958904109589"), "{table}");
    let (_, json, _) = laniakea(&["settle", p.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["window_start"], 1_767_358_800u64);
    assert_eq!(
        v["statements"][0]["max_debt_fees_wad"],
        "411095.890410958904109589"
    );
}

#[test]
fn settle_syntax_error_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("comma.json");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/settlement-inputs.json"
    ))
    .unwrap()
    .replace(r#""ssr_apr": "0.04" }"#, r#""ssr_apr": "0.04", }"#);
    std::fs::write(&p, text).unwrap();
    let (code, out, err) = laniakea(&["settle", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("comma.json: line 6, column 58: trailing comma"),
        "{err}"
    );
}

/// `laniakea … | head`: a reader that closes the pipe early ends the process quietly with success
/// (as ripgrep does); before, every printing command panicked with "failed printing to stdout".
#[test]
fn output_into_a_closed_pipe_ends_quietly_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pipe.db");
    let db = db.to_str().unwrap();
    let (code, _, err) = laniakea(&["synome", "--db", db, "demo"]);
    assert_eq!(code, 0, "{err}");
    for args in [
        vec!["synome", "--db", db, "list"],
        vec!["synome", "--db", db, "export"],
        vec!["exec", "examples/pau-basic.jsonl"],
        vec!["settle", "examples/settlement-inputs.json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_laniakea"))
            .args(&args)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the process writes anything: its first write gets EPIPE.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}
