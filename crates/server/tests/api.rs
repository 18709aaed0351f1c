//! The read API against a server on 127.0.0.1 over a database produced by a short scenario
//! (see `common`): every endpoint, paging with the cursor, every filter, every error path.
//! Expected values are derived from the Synome and the chain through their own libraries, never
//! written into the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use laniakea_chain::families::generator::GeneratorView;
use laniakea_chain::Query as ChainQuery;
use laniakea_synome::{Kind, Query, Store};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Which records a filter keeps.
type Keep = Box<dyn Fn(&Value) -> bool>;

/// Every record of the store, straight from the library.
fn all_records(db: &mut Db) -> Vec<Value> {
    let mut out = Vec::new();
    let mut q = Query {
        limit: 1000,
        ..Query::default()
    };
    loop {
        let (recs, next) = db.syn.list(&q).unwrap();
        out.extend(recs.iter().map(|r| r.to_json()));
        match next {
            Some(n) => q.after = n,
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_names_the_synome_and_the_chain() {
    let (state, mut db) = state_for(run_scenario());
    let srv = Server::start(state).await;
    let (st, v) = srv.get("/api/v1/health").await;
    assert_eq!(st, 200);
    assert_eq!(v["status"], "ok");
    let auth = db.syn.auth().unwrap();
    assert_eq!(v["synome"], json!(auth.synome));
    assert_eq!(v["records"], json!(db.syn.store().count().unwrap()));
    let (seq, id) = db.syn.store().head().unwrap().unwrap();
    assert_eq!(v["head"], json!({"seq": seq, "id": id}));
    assert_eq!(
        v["chain"]["block_time"],
        json!(at("2026-01-05T13:30:00Z").0)
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_epoch_timeline_shows_each_epochs_status_and_artifacts() {
    let (state, mut db) = state_for(run_scenario());
    let srv = Server::start(state).await;
    let (st, v) = srv.get("/api/v1/epochs").await;
    assert_eq!(st, 200, "{v}");
    let epochs = v["epochs"].as_array().unwrap();
    let ids: Vec<&str> = epochs
        .iter()
        .map(|e| e["epoch"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "2026-01-01",
            "2026-01-02",
            "2026-01-03",
            "2026-01-04",
            "2026-01-05"
        ]
    );
    for ep in epochs {
        let id = e(ep["epoch"].as_str().unwrap());
        // Counts agree with the Synome.
        let statements = db
            .syn
            .list(&Query {
                kind: Some(Kind::SettlementStatement),
                epoch: Some(id),
                limit: 1000,
                ..Query::default()
            })
            .unwrap()
            .0
            .len();
        assert_eq!(ep["statements"], json!(statements), "{id}");
        let report = db.syn.list(&Query {
            kind: Some(Kind::VerificationReport),
            epoch: Some(id),
            limit: 10,
            ..Query::default()
        });
        let report = report.unwrap().0;
        assert_eq!(
            ep["checker_report"],
            json!(report.first().map(|r| r.id)),
            "{id}"
        );
        let expected = match ep["epoch"].as_str().unwrap() {
            "2026-01-03" | "2026-01-04" => "skipped",
            "2026-01-05" => "processing",
            _ if ep["findings_not_ok"] == 0 => "verified",
            _ => "flagged",
        };
        assert_eq!(ep["status"], expected, "{id}: {ep}");
    }
    // keel never paid 2026-01-02: the checker flagged it.
    assert!(epochs[1]["findings_not_ok"].as_u64().unwrap() > 0);
    // from/to select a range; at judges in the past.
    let (_, v) = srv
        .get("/api/v1/epochs?from=2026-01-02&to=2026-01-03")
        .await;
    let ids: Vec<&str> = v["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["epoch"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["2026-01-02", "2026-01-03"]);
    let (_, v) = srv.get("/api/v1/epochs?at=2026-01-01T12:00:00Z").await;
    assert_eq!(v["epochs"].as_array().unwrap().len(), 1);
    assert_eq!(v["epochs"][0]["status"], "measuring");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_epoch_shows_its_runbook_and_its_artifacts() {
    let (state, mut db) = state_for(run_scenario());
    let srv = Server::start(state).await;
    let (st, v) = srv.get("/api/v1/epochs/2026-01-01").await;
    assert_eq!(st, 200, "{v}");
    let steps: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["lock", "compute", "post", "pay", "verify", "settle", "report"]
    );
    // The same runbook the library derives.
    let rb = laniakea_operators::runbook::runbook(
        &mut db.syn,
        laniakea_units::Timestamp(START),
        &["spark".into(), "grove".into(), "keel".into()],
        e("2026-01-01"),
        at("2026-01-05T13:30:00Z"),
    )
    .unwrap();
    assert_eq!(v["steps"], serde_json::to_value(&rb.steps).unwrap());
    let (_, skipped) = srv.get("/api/v1/epochs/2026-01-03").await;
    assert_eq!(skipped["status"], "skipped");
    assert!(skipped["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "skipped"));

    // Statements: one per Prime, each the stored statement JSON.
    let (st, v) = srv.get("/api/v1/epochs/2026-01-01/statements").await;
    assert_eq!(st, 200);
    let list = v["statements"].as_array().unwrap();
    let primes: BTreeSet<&str> = list.iter().map(|s| s["prime"].as_str().unwrap()).collect();
    assert_eq!(primes, BTreeSet::from(["spark", "grove", "keel"]));
    for s in list {
        let id = s["record"].as_str().unwrap().parse().unwrap();
        let r = db.syn.get(id).unwrap().unwrap();
        assert_eq!(s["statement"], r.content.payload["statement"]);
        assert_eq!(s["total_wad"], r.content.payload["total_wad"]);
        assert!(s["total_wad"].is_string(), "amounts are decimal strings");
    }
    let (_, one) = srv
        .get("/api/v1/epochs/2026-01-01/statements?prime=keel")
        .await;
    assert_eq!(one["statements"].as_array().unwrap().len(), 1);
    assert_eq!(one["statements"][0]["prime"], "keel");

    // Receipts, findings, Prime reports agree with the records of the epoch.
    for (path, field, kind) in [
        ("receipts", "receipts", Kind::PaymentReceipt),
        ("prime-reports", "prime_reports", Kind::PrimeReport),
    ] {
        let (st, v) = srv.get(&format!("/api/v1/epochs/2026-01-02/{path}")).await;
        assert_eq!(st, 200);
        let want = db
            .syn
            .list(&Query {
                kind: Some(kind),
                epoch: Some(e("2026-01-02")),
                limit: 1000,
                ..Query::default()
            })
            .unwrap()
            .0;
        assert!(!want.is_empty(), "{path}");
        let got: Vec<&str> = v[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["record"].as_str().unwrap())
            .collect();
        let want_ids: Vec<String> = want.iter().map(|r| r.id.to_string()).collect();
        assert_eq!(got, want_ids, "{path}");
    }
    let (st, v) = srv.get("/api/v1/epochs/2026-01-02/findings").await;
    assert_eq!(st, 200);
    let report = db
        .syn
        .latest(Kind::VerificationReport, "global")
        .unwrap()
        .unwrap();
    assert_eq!(v["report"], json!(report.id));
    assert_eq!(v["findings"], report.content.payload["findings"]);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["status"] != "ok" && f["subject"] == "prime:keel"));
    let (_, none) = srv.get("/api/v1/epochs/2026-01-05/findings").await;
    assert_eq!(none["report"], Value::Null);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn penalties_show_forgiveness_and_what_stays_open() {
    let (state, mut db) = state_for(run_scenario());
    let srv = Server::start(state).await;
    let (st, v) = srv.get("/api/v1/penalties?prime=spark").await;
    assert_eq!(st, 200, "{v}");
    let pens = v["penalties"].as_array().unwrap();
    let lib = penalty_events(&mut db, "spark");
    assert_eq!(pens.len(), lib.len());
    let first = &pens[0];
    assert_eq!(first["record"], json!(lib[0].id));
    let amount: laniakea_units::Wad = serde_json::from_value(first["amount_wad"].clone()).unwrap();
    let forgiven: laniakea_units::Wad =
        serde_json::from_value(first["forgiven_wad"].clone()).unwrap();
    let open: laniakea_units::Wad = serde_json::from_value(first["open_wad"].clone()).unwrap();
    assert!(!forgiven.is_zero());
    assert_eq!(forgiven.raw() + open.raw(), amount.raw());
    assert_eq!(first["forgiveness"].as_array().unwrap().len(), 1);
    // Filters: another Prime's penalties are not listed; an epoch filter narrows.
    let (_, grove) = srv.get("/api/v1/penalties?prime=grove").await;
    assert!(grove["penalties"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["prime"] == "grove"));
    let (_, by_epoch) = srv.get("/api/v1/penalties?epoch=2026-01-01").await;
    assert!(by_epoch["penalties"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["epoch"] == "2026-01-01"));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_page_with_a_cursor_and_every_filter_selects_exactly() {
    let (state, mut db) = state_for(run_scenario());
    let srv = Server::start(state).await;
    let everything = all_records(&mut db);
    // Paging by 7 visits every record once, in store order.
    let mut got = Vec::new();
    let mut cursor: Option<u64> = None;
    let mut pages = 0;
    loop {
        let path = match cursor {
            Some(c) => format!("/api/v1/records?limit=7&after={c}"),
            None => "/api/v1/records?limit=7".to_string(),
        };
        let (st, v) = srv.get(&path).await;
        assert_eq!(st, 200, "{v}");
        let page = v["records"].as_array().unwrap();
        assert!(page.len() <= 7);
        got.extend(page.iter().cloned());
        pages += 1;
        match v["next"].as_u64() {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(got, everything);
    assert_eq!(pages, everything.len().div_ceil(7));

    // Each filter returns exactly the records the library selects.
    let from = at("2026-01-02T00:00:00Z").0;
    let to = at("2026-01-03T00:00:00Z").0;
    let cases: Vec<(String, Keep)> = vec![
        (
            "kind=payment-receipt".into(),
            Box::new(|r: &Value| r["kind"] == "payment-receipt"),
        ),
        (
            "subject=prime:grove".into(),
            Box::new(|r: &Value| r["subject"] == "prime:grove"),
        ),
        (
            "epoch=2026-01-02".into(),
            Box::new(|r: &Value| r["epoch"] == "2026-01-02"),
        ),
        (
            format!("from={from}&to={to}"),
            Box::new(move |r: &Value| {
                let t = r["created_at"].as_u64().unwrap();
                t >= from && t < to
            }),
        ),
        (
            "kind=settlement-statement&subject=prime:spark&epoch=2026-01-05".into(),
            Box::new(|r: &Value| {
                r["kind"] == "settlement-statement"
                    && r["subject"] == "prime:spark"
                    && r["epoch"] == "2026-01-05"
            }),
        ),
        (
            "from=2026-01-02T00:00:00Z".into(),
            Box::new(move |r: &Value| r["created_at"].as_u64().unwrap() >= from),
        ),
    ];
    for (q, keep) in cases {
        let (st, v) = srv.get(&format!("/api/v1/records?limit=1000&{q}")).await;
        assert_eq!(st, 200, "{q}: {v}");
        let want: Vec<Value> = everything.iter().filter(|r| keep(r)).cloned().collect();
        assert!(!want.is_empty(), "{q} selects something");
        assert_eq!(v["records"].as_array().unwrap(), &want, "{q}");
        assert_eq!(v["next"], Value::Null);
    }
    // One record by id, and a subject's history.
    let target = &everything[3];
    let (st, v) = srv
        .get(&format!(
            "/api/v1/records/{}",
            target["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(st, 200);
    assert_eq!(&v, target);
    let (st, v) = srv.get("/api/v1/subjects/prime:keel/history").await;
    assert_eq!(st, 200);
    let want: Vec<Value> = everything
        .iter()
        .filter(|r| r["subject"] == "prime:keel")
        .cloned()
        .collect();
    assert_eq!(v["records"].as_array().unwrap(), &want);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_the_store_as_the_library_does() {
    let (state, mut db) = state_for(run_scenario());
    let srv = Server::start(state).await;
    let (st, v) = srv.get("/api/v1/verify").await;
    assert_eq!(st, 200);
    let r = db.syn.verify(&[]).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["records"], json!(r.records));
    assert_eq!(v["first_bad"], Value::Null);
    // An anchor the store does not hold: not ok, named.
    let missing = format!("0x{}", "ab".repeat(32));
    let (st, v) = srv
        .get(&format!("/api/v1/verify?checkpoints={missing}"))
        .await;
    assert_eq!(st, 200);
    assert_eq!(v["ok"], false);
    assert_eq!(v["missing_anchors"], json!([missing]));
    srv.stop().await;
}

/// Each engine route returns exactly what the chain's views answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_routes_read_the_chain_through_its_views() {
    let db = Db::new();
    // The system builder with Generator registry, Prime vaults and both Configurator scopes.
    let config = laniakea_chain::system::SystemConfig {
        primes: vec![
            {
                let mut p = laniakea_chain::system::PrimeConfig::new("spark");
                p.draw_limit = laniakea_chain::system::Limit::whole(1_000_000, 10);
                p
            },
            laniakea_chain::system::PrimeConfig::new("grove"),
        ],
        scopes: Some(laniakea_chain::system::ScopesConfig::default()),
        ..Default::default()
    };
    let (engine, sys) =
        laniakea_chain::system::build(&config, laniakea_units::Timestamp(START)).unwrap();
    let generator = sys.addr("generator");
    let book = engine
        .view(
            generator,
            &ChainQuery::GeneratorRegistry(GeneratorView::Book),
        )
        .unwrap();
    let names: std::collections::BTreeMap<String, alloy_primitives::Address> =
        sys.names().map(|(n, a)| (n.to_string(), a)).collect();
    let chain: laniakea_server::SharedChain = std::sync::Arc::new(engine);
    let state = laniakea_server::AppState::new(
        laniakea_server::SynomePool::new(laniakea_server::sqlite_opener(&db.path), 2),
        Some(chain.clone()),
        laniakea_server::ServeConfig {
            names,
            ..Default::default()
        },
    );
    let srv = Server::start(state).await;

    let (st, v) = srv.get("/api/v1/generator/book").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["book"], serde_json::to_value(&book).unwrap());
    assert_eq!(v["generator"], json!(generator));
    assert!(v["debt_locations"].is_array());

    let (st, v) = srv.get("/api/v1/vaults").await;
    assert_eq!(st, 200);
    let vaults = v["vaults"].as_array().unwrap();
    assert_eq!(
        vaults
            .iter()
            .map(|x| x["prime"].clone())
            .collect::<Vec<_>>(),
        vec![json!("spark"), json!("grove")]
    );
    let pos = chain
        .view(
            sys.prime("spark", "pv"),
            &ChainQuery::PrimeVault(
                laniakea_chain::families::prime_vault::PrimeVaultView::Position,
            ),
        )
        .unwrap();
    assert_eq!(vaults[0]["position"], serde_json::to_value(&pos).unwrap());

    let (st, v) = srv.get("/api/v1/rate-limits").await;
    assert_eq!(st, 200);
    let draw_key = laniakea_chain::rate_limits::address_key(
        laniakea_chain::rate_limits::limit_id(laniakea_chain::rate_limits::names::VAULT_DRAW),
        sys.prime("spark", "pv"),
    );
    let spark_rl = v["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "spark_rl")
        .expect("spark's rate limits listed");
    let entry = spark_rl["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == json!(draw_key))
        .expect("the draw key is listed");
    assert_eq!(entry["key_name"], "LIMIT_VAULT_DRAW⊕spark_pv");
    let current = chain
        .view(
            sys.addr("spark_rl"),
            &ChainQuery::RateLimits(
                laniakea_chain::rate_limits::RateLimitsView::CurrentRateLimit {
                    key: laniakea_chain::call::Key(draw_key),
                },
            ),
        )
        .unwrap();
    assert_eq!(
        entry["headroom_wad"],
        serde_json::to_value(&current).unwrap()["currentRateLimit"]
    );

    let (st, v) = srv.get("/api/v1/configurators").await;
    assert_eq!(st, 200);
    let cfgs = v["configurators"].as_array().unwrap();
    assert_eq!(cfgs.len(), 2);
    assert!(cfgs.iter().any(|c| c["name"] == "gen_cfg"));
    let (st, v) = srv.get("/api/v1/timelock").await;
    assert_eq!(st, 200);
    assert_eq!(v["timelocks"].as_array().unwrap().len(), 2);
    let (st, v) = srv.get("/api/v1/migration").await;
    assert_eq!(st, 200);
    assert_eq!(v["migrations"].as_array().unwrap().len(), 2);
    assert_eq!(v["migrations"][0]["prime"], "spark");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lcts_shows_queues_and_the_exchange_rate_history() {
    let db = Db::new();
    let text = example("srusds.jsonl");
    let srv = Server::start(script_state(&db, &text)).await;
    let (st, v) = srv.get("/api/v1/lcts").await;
    assert_eq!(st, 200, "{v}");
    let hs = &v["holding_systems"][0];
    assert_eq!(hs["queues"].as_array().unwrap().len(), 2);
    let history = hs["exchange_rate_history"].as_array().unwrap();
    assert!(!history.is_empty());
    // The history chains: each entry starts at the rate the previous one ended at, and the
    // last ends at the current rate.
    for w in history.windows(2) {
        assert_eq!(w[1]["exchange_rate_before_wad"], w[0]["exchange_rate_wad"]);
    }
    assert_eq!(
        history.last().unwrap()["exchange_rate_wad"],
        hs["holding_system"]["exchange_rate_wad"]
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_path_answers_a_stable_code() {
    let (state, db) = state_for(run_scenario());
    let srv = Server::start(state).await;
    let cases: &[(&str, u16, &str)] = &[
        ("/api/v1/epochs/2025-12-31", 404, "api/unknown-epoch"),
        ("/api/v1/epochs/2026-02-01", 404, "api/unknown-epoch"),
        (
            "/api/v1/epochs/2026-02-01/statements",
            404,
            "api/unknown-epoch",
        ),
        ("/api/v1/epochs/2026-13-01", 400, "api/bad-param"),
        ("/api/v1/epochs/yesterday", 400, "api/bad-param"),
        ("/api/v1/epochs/%FF", 400, "api/bad-param"),
        ("/api/v1/epochs?from=soon", 400, "api/bad-param"),
        ("/api/v1/epochs?at=noon", 400, "api/bad-param"),
        ("/api/v1/epochs?colour=red", 400, "api/bad-param"),
        (
            "/api/v1/epochs/2026-01-01/statements?prime=Spark!",
            400,
            "api/bad-param",
        ),
        ("/api/v1/records?limit=0", 400, "api/bad-param"),
        ("/api/v1/records?limit=1001", 400, "api/bad-param"),
        ("/api/v1/records?limit=-1", 400, "api/bad-param"),
        ("/api/v1/records?after=x", 400, "api/bad-param"),
        ("/api/v1/records?kind=statement", 400, "api/bad-param"),
        ("/api/v1/records?subject=prime:", 400, "api/bad-param"),
        ("/api/v1/records?epoch=2026-1-1", 400, "api/bad-param"),
        ("/api/v1/records?from=1&from=2", 400, "api/bad-param"),
        ("/api/v1/records?to=%zz", 400, "api/bad-param"),
        ("/api/v1/records/0x1234", 400, "api/bad-param"),
        ("/api/v1/subjects/everyone/history", 400, "api/bad-param"),
        ("/api/v1/verify?checkpoints=nope", 400, "api/bad-param"),
        ("/api/v1/nothing-here", 404, "api/no-such-route"),
        ("/ui/static/no-such-file.js", 404, "ui/no-such-asset"),
    ];
    for (path, status, want) in cases {
        let (st, v) = srv.get(path).await;
        assert_eq!((st, code(&v)), (*status, *want), "{path}: {v}");
        assert!(
            !v["error"]["message"].as_str().unwrap().is_empty(),
            "{path}"
        );
    }
    // The message names the parameter.
    let (_, v) = srv.get("/api/v1/records?limit=0").await;
    assert!(v["error"]["message"].as_str().unwrap().contains("'limit'"));
    let (_, v) = srv.get("/api/v1/epochs?colour=red").await;
    assert!(v["error"]["message"].as_str().unwrap().contains("'colour'"));
    // An unknown record id.
    let (st, v) = srv
        .get(&format!("/api/v1/records/0x{}", "00".repeat(32)))
        .await;
    assert_eq!((st, code(&v)), (404, "api/unknown-record"));
    // A method the route does not have.
    let r = srv
        .client
        .delete(srv.url("/api/v1/records"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let v: Value = r.json().await.unwrap();
    assert_eq!(code(&v), "api/method-not-allowed");
    srv.stop().await;

    // A chain without a Generator registry (the basic PAU example): 404 not-deployed.
    let srv = Server::start(script_state(&db, &example("pau-basic.jsonl"))).await;
    for p in ["/api/v1/generator/book", "/api/v1/migration"] {
        let (st, v) = srv.get(p).await;
        assert_eq!((st, code(&v)), (404, "api/not-deployed"), "{p}: {v}");
    }
    srv.stop().await;

    // A server with no chain: engine routes say so.
    let srv = Server::start(synome_only(&db)).await;
    for p in [
        "/api/v1/generator/book",
        "/api/v1/vaults",
        "/api/v1/rate-limits",
        "/api/v1/configurators",
        "/api/v1/timelock",
        "/api/v1/lcts",
        "/api/v1/migration",
    ] {
        let (st, v) = srv.get(p).await;
        assert_eq!((st, code(&v)), (404, "api/no-chain"), "{p}");
    }
    // The Synome routes still work, judged at the newest record's time.
    let (st, v) = srv.get("/api/v1/epochs").await;
    assert_eq!(st, 200, "{v}");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_response_follows_a_new_record() {
    let (state, mut db) = state_for(run_scenario());
    let srv = Server::start(state).await;
    let (_, before) = srv.get("/api/v1/records?kind=skip").await;
    let n = before["records"].as_array().unwrap().len();
    // Another writer (the scenario's own connection) appends a skip.
    db.skip(at("2026-01-05T13:40:00Z"), "2026-01-10");
    let (_, after) = srv.get("/api/v1/records?kind=skip").await;
    assert_eq!(after["records"].as_array().unwrap().len(), n + 1);
    srv.stop().await;
}
