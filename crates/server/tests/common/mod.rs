//! Shared fixture for the API tests: a short scenario run by the real operators, and a server
//! on 127.0.0.1:0 (an ephemeral port) in-process.
//!
//! The scenario reuses the operators' own test fixture (`crates/operators/tests/common`): three
//! Primes on legacy ilks, a DEMO Synome on SQLite. Epoch 2026-01-01 settles fully (statements,
//! payments, receipts, checker report, Prime reports); 2026-01-02 has spark pay half of its
//! obligation two hours late (a penalty, partly forgiven by the Core Council) and keel not at
//! all; the weekend 2026-01-03/04 is skipped; 2026-01-05 is locked and its statements posted,
//! the penalties crystallise, and the Council forgives half of spark's.
//! The chain ends at 2026-01-05 13:30 UTC.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../operators/tests/common/mod.rs"]
pub mod ops;

use laniakea_operators::checker::Checker;
use laniakea_operators::report::Reporter;
use laniakea_server::{AppState, ServeConfig, SharedChain, SynomePool};
use laniakea_settlement::{Direction, EpochId};
use laniakea_synome::{Draft, Kind, Provenance, Query};
use laniakea_units::{Timestamp, Wad, U256};
pub use ops::{at, wad, Db, Sys, START};
use serde_json::{json, Value};
use std::sync::Arc;

pub fn e(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

/// The scenario's result: the chain and the Synome (with its writers).
pub struct Run {
    pub s: Sys,
    pub db: Db,
}

pub fn run_scenario() -> Run {
    let mut s = Sys::new();
    let mut db = Db::new();
    db.params(
        Timestamp(START - 2 * 86_400),
        json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.12", "penalty_rate_per_hour_wad": "0.001"}),
    );
    s.draw("gen", at("2026-01-01T01:00:00Z"), wad(10_000));
    let mut op = s.operator(&db);
    let checker = Checker {
        deployment_start: Timestamp(START),
        deployment: s.deployment(),
        writer: db.checker.clone(),
    };
    let reporter = Reporter {
        deployment: s.deployment(),
        writer: db.reporter.clone(),
    };
    s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
    s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
    s.draw("grove", at("2026-01-01T06:00:00Z"), wad(500_000));
    s.deposit_susds("grove", at("2026-01-01T06:00:00Z"), wad(500_000));
    s.draw("keel", at("2026-01-01T08:00:00Z"), wad(200_000));
    s.deploy_out("keel", at("2026-01-01T08:00:00Z"), wad(190_000));

    let mut post = |s: &mut Sys, db: &mut Db, epoch: &str| {
        s.warp(e(epoch).lock());
        let (result, _) = op.post_statements(&s.e, &mut db.syn, e(epoch)).unwrap();
        result
            .statements
            .iter()
            .map(|st| (st.prime.clone(), st.direction, st.amount_due_wad))
            .collect::<Vec<_>>()
    };
    // 2026-01-01: everyone pays on time.
    let due = post(&mut s, &mut db, "2026-01-01");
    for (p, d, a) in &due {
        if *d == Direction::PrimePaysGenerator {
            s.pay_generator(p, at("2026-01-01T14:00:00Z"), *a);
        }
    }
    s.warp(at("2026-01-01T14:30:00Z"));
    let mut op = s.operator(&db);
    op.pay_generator_side(&mut s.e, &mut db.syn, e("2026-01-01"))
        .unwrap();
    s.warp(at("2026-01-01T16:00:00Z"));
    op.record_receipts(&s.e, &mut db.syn).unwrap();
    op.record_penalties(&mut s.e, &mut db.syn).unwrap();
    s.warp(at("2026-01-01T16:30:00Z"));
    checker.report(&s.e, &mut db.syn, e("2026-01-01")).unwrap();
    reporter.report(&s.e, &mut db.syn, e("2026-01-01")).unwrap();

    // 2026-01-02: spark pays half on time, half two hours late; keel pays nothing.
    db.skip(at("2026-01-02T10:00:00Z"), "2026-01-03");
    db.skip(at("2026-01-02T10:00:00Z"), "2026-01-04");
    s.warp(e("2026-01-02").lock());
    let (result, _) = op
        .post_statements(&s.e, &mut db.syn, e("2026-01-02"))
        .unwrap();
    let spark = result
        .statements
        .iter()
        .find(|st| st.prime == "spark")
        .unwrap()
        .amount_due_wad;
    let half = Wad::from_raw(spark.raw() / U256::from(2u8));
    s.pay_generator("spark", at("2026-01-02T15:00:00Z"), half);
    s.warp(at("2026-01-02T15:10:00Z"));
    op.pay_generator_side(&mut s.e, &mut db.syn, e("2026-01-02"))
        .unwrap();
    s.warp(at("2026-01-02T16:00:00Z"));
    op.record_receipts(&s.e, &mut db.syn).unwrap();
    op.record_penalties(&mut s.e, &mut db.syn).unwrap();
    s.pay_generator(
        "spark",
        at("2026-01-02T18:00:00Z"),
        Wad::from_raw(spark.raw() - half.raw()),
    );
    op.record_receipts(&s.e, &mut db.syn).unwrap();
    op.record_penalties(&mut s.e, &mut db.syn).unwrap();
    s.warp(at("2026-01-02T18:30:00Z"));
    checker.report(&s.e, &mut db.syn, e("2026-01-02")).unwrap();
    reporter.report(&s.e, &mut db.syn, e("2026-01-02")).unwrap();

    // 2026-01-05: locked, statements posted (carrying the penalties crystallised now).
    post(&mut s, &mut db, "2026-01-05");
    let mut op = s.operator(&db);
    op.record_penalties(&mut s.e, &mut db.syn).unwrap();
    // The Council forgives half of spark's first penalty.
    let pen = penalty_events(&mut db, "spark");
    let first = pen.first().expect("spark's late half is penalised");
    let amount: Wad = serde_json::from_value(first.content.payload["amount_wad"].clone()).unwrap();
    let part = Wad::from_raw(amount.raw() / U256::from(2u8));
    let d = Draft::new(
        Kind::Forgiveness,
        "prime:spark",
        at("2026-01-05T13:20:00Z"),
        Provenance::GovernanceDirected,
        json!({"penalty": first.id, "amount_wad": part, "rationale": "first late payment under daily settlement"}),
    )
    .epoch(e("2026-01-05"));
    let council = db.council.clone();
    db.syn.write(&council, vec![d]).unwrap();

    s.warp(at("2026-01-05T13:30:00Z"));
    Run { s, db }
}

pub fn penalty_events(db: &mut Db, prime: &str) -> Vec<laniakea_synome::SignedRecord> {
    db.syn
        .list(&Query {
            kind: Some(Kind::PenaltyEvent),
            subject: Some(format!("prime:{prime}")),
            limit: 1000,
            ..Query::default()
        })
        .unwrap()
        .0
}

/// A running server and a client for it.
pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start(state: AppState) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(laniakea_server::serve(listener, Arc::new(state), async {
            let _ = rx.await;
        }));
        Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET → (status, JSON body).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// POST a JSON value to the intake.
    pub async fn post_json(&self, body: &Value) -> (u16, Value) {
        self.post_raw("application/json", serde_json::to_vec(body).unwrap())
            .await
    }

    pub async fn post_raw(&self, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .client
            .post(self.url("/api/v1/records"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// The error code of an error response.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<no error code>")
}

/// A server over the scenario's Synome file and its chain.
pub fn state_for(run: Run) -> (AppState, Db) {
    let Run { s, db } = run;
    let names = s.s.names_map();
    let chain: SharedChain = Arc::new(s.e);
    let state = AppState::new(
        SynomePool::new(laniakea_server::sqlite_opener(&db.path), 4),
        Some(chain),
        ServeConfig {
            deployment_start: Some(Timestamp(START)),
            primes: Some(ops::PRIMES.iter().map(|p| p.to_string()).collect()),
            names,
        },
    );
    (state, db)
}

/// A server over a Synome alone (no chain).
pub fn synome_only(db: &Db) -> AppState {
    AppState::new(
        SynomePool::new(laniakea_server::sqlite_opener(&db.path), 4),
        None,
        ServeConfig {
            deployment_start: Some(Timestamp(START)),
            primes: Some(ops::PRIMES.iter().map(|p| p.to_string()).collect()),
            ..ServeConfig::default()
        },
    )
}

/// A state whose chain is the final state of a transaction script (the engine routes' data).
pub fn script_state(db: &Db, script_text: &str) -> AppState {
    let parsed = laniakea_chain::script::parse(script_text).unwrap();
    let mut engine = laniakea_chain::Engine::new(parsed.genesis());
    parsed.run_on(&mut engine);
    AppState::new(
        SynomePool::new(laniakea_server::sqlite_opener(&db.path), 4),
        Some(Arc::new(engine)),
        ServeConfig {
            deployment_start: Some(Timestamp(START)),
            names: parsed.names_map(),
            ..ServeConfig::default()
        },
    )
}

pub fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}
