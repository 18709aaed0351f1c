//! `laniakea serve`: bad inputs fail before binding (exit 1 naming the flag); a real server on
//! an ephemeral loopback port answers, serves the engine state of `--script`, and stops
//! gracefully on SIGTERM.
#![allow(clippy::unwrap_used)]

mod common;

use common::laniakea;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

#[test]
fn serve_refuses_a_missing_store_and_a_bad_listen_address() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    let (code, _, err) = laniakea(&["serve", "--db", missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot open --db"), "{err}");
    assert!(!missing.exists(), "serve never creates a store");
    let db = dir.path().join("s.db");
    let (code, _, _) = laniakea(&["synome", "--db", db.to_str().unwrap(), "demo"]);
    assert_eq!(code, 0);
    let (code, _, err) = laniakea(&[
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--listen",
        "localhost-ish",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid --listen 'localhost-ish'"), "{err}");
    let (code, _, err) = laniakea(&[
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--deployment-start",
        "yesterday",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid --deployment-start"), "{err}");
}

/// One HTTP/1.1 GET over a plain socket: (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[test]
fn serve_answers_on_loopback_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let (code, _, _) = laniakea(&["synome", "--db", db.to_str().unwrap(), "demo"]);
    assert_eq!(code, 0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_laniakea"))
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--script",
            "examples/pau-basic.jsonl",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let (status, body) = get(&addr, "/api/v1/health");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["demo"], true);
    assert!(
        v["chain"]["events"].as_u64().unwrap() > 0,
        "--script's chain"
    );
    let (status, body) = get(&addr, "/api/v1/rate-limits");
    assert_eq!(status, 200, "{body}");
    let (status, _) = get(&addr, "/api/v1/openapi.json");
    assert_eq!(status, 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful stop: {exit:?}");
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("laniakea serve: stopped"), "{rest}");
}

/// A run's database (chain journal + Synome in one file): `serve --db` replays the journal and
/// serves the engine state without `--script`, the deployment start taken from the journal.
#[test]
fn serve_reads_the_engine_state_from_a_run_database() {
    use laniakea_chain::system::{PrimeConfig, SystemConfig};
    use laniakea_journal::{Genesis, JournaledChain};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("run.db");
    let start = laniakea_units::Timestamp(1_767_225_600);
    let config = SystemConfig {
        primes: vec![PrimeConfig::new("spark"), PrimeConfig::new("grove")],
        ..SystemConfig::default()
    };
    {
        let mut chain =
            JournaledChain::open_sqlite(&db, Genesis::System { config, at: start }).unwrap();
        chain
            .warp(laniakea_units::Timestamp(start.0 + 86_400))
            .unwrap();
    }
    let (code, _, err) = laniakea(&["synome", "--db", db.to_str().unwrap(), "demo"]);
    assert_eq!(code, 0, "{err}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_laniakea"))
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    for _ in 0..3 {
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            addr = rest.split('/').next().map(str::to_string);
            break;
        }
    }
    let addr = addr.expect("the listening address is printed");
    let (status, body) = get(&addr, "/api/v1/health");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["chain"]["block_time"], start.0 + 86_400);
    let (status, body) = get(&addr, "/api/v1/vaults");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let primes: Vec<&str> = v["vaults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["prime"].as_str().unwrap())
        .collect();
    assert_eq!(primes, ["spark", "grove"]);
    let (status, body) = get(&addr, "/api/v1/generator/book");
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&addr, "/api/v1/epochs");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["first_epoch"], "2026-01-01",
        "deployment start = the journal's genesis"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");
}

/// Starts `laniakea serve ARGS` on an ephemeral port; returns the child and its address.
fn start(args: &[&str]) -> (std::process::Child, String, impl Read) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_laniakea"))
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    for _ in 0..4 {
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            let addr = rest.split('/').next().unwrap().to_string();
            return (child, addr, err);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve printed no address");
}

fn json_get(addr: &str, path: &str) -> serde_json::Value {
    let (status, body) = get(addr, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// A real short run (`laniakea run`, the shipped short scenario, 4 days), then the API over
/// its database: the epochs the run settled are verified with one statement per Prime, the
/// engine routes answer from the journal, the Synome verifies.
#[test]
fn serve_over_a_real_short_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("run.db");
    let (code, _, err) = laniakea(&[
        "run",
        "--scenario",
        "scenarios/short.toml",
        "--days",
        "4",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (mut child, addr, mut pipe) = start(&["--db", db.to_str().unwrap()]);
    let epochs = json_get(&addr, "/api/v1/epochs");
    let list = epochs["epochs"].as_array().unwrap();
    assert!(!list.is_empty());
    let settled: Vec<&serde_json::Value> = list
        .iter()
        .filter(|e| e["checker_report"].is_string())
        .collect();
    assert!(!settled.is_empty(), "the run settled epochs: {epochs}");
    for e in &settled {
        assert_eq!(e["statements"], e["primes_expected"], "{e}");
        let id = e["epoch"].as_str().unwrap();
        let st = json_get(&addr, &format!("/api/v1/epochs/{id}/statements"));
        assert_eq!(
            st["statements"].as_array().unwrap().len() as u64,
            e["statements"].as_u64().unwrap()
        );
        let detail = json_get(&addr, &format!("/api/v1/epochs/{id}"));
        assert_eq!(detail["status"], e["status"]);
    }
    // The same figures, with the same field names, as the CLI's --json over the same database.
    let mut book = json_get(&addr, "/api/v1/generator/book");
    book.as_object_mut().unwrap().remove("generator");
    let (code, out, err) = laniakea(&["book", "--db", db.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        book,
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    );
    let lcts = json_get(&addr, "/api/v1/lcts");
    let (code, out, err) = laniakea(&[
        "lcts",
        "--db",
        db.to_str().unwrap(),
        "--holding",
        "hs",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut api_hs = lcts["holding_systems"][0].clone();
    api_hs
        .as_object_mut()
        .unwrap()
        .remove("exchange_rate_history");
    assert_eq!(
        api_hs,
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    );
    assert!(!lcts["holding_systems"][0]["exchange_rate_history"]
        .as_array()
        .unwrap()
        .is_empty());
    let verify = json_get(&addr, "/api/v1/verify");
    assert_eq!(verify["ok"], true, "{verify}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
    let mut rest = String::new();
    pipe.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");
}
