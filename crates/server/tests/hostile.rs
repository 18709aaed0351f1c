//! Property tests of the request parsers and the intake: hostile bodies (random bytes, random
//! JSON, huge and deeply nested values, wrong types, records with one field mutated, forged
//! signatures, replays of stored records) and hostile query strings and path segments never
//! panic the server (it keeps answering), always get a 4xx JSON error (a replay: 200
//! `already-stored`), and never store anything (the record count and the head are unchanged).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod fixture;

use common::Server;
use fixture::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,24}".prop_map(Value::String),
        "0x[0-9a-fA-F]{0,140}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FIELDS: [&str; 15] = [
    "id",
    "synome",
    "kind",
    "schema_version",
    "epoch",
    "subject",
    "author",
    "role",
    "created_at",
    "provenance",
    "payload",
    "prev",
    "store_prev",
    "supersedes",
    "signature",
];

/// What a hostile client sends.
#[derive(Debug, Clone)]
enum Attack {
    Bytes(Vec<u8>),
    Json(Value),
    /// A valid, unstored record with one field replaced.
    Mutate(usize, Value),
    /// A valid, unstored record with one field removed.
    Drop(usize),
    /// A valid, unstored record with a random signature.
    Forge([u8; 65]),
    /// A valid record nested inside `depth` ≥ 2 arrays (one array is a batch).
    Nest(usize),
    /// A record with a huge string payload field.
    Huge(usize),
    /// A record already stored, replayed as is.
    Replay,
    /// A valid record sent with another content type.
    ContentType(String),
}

fn arb_attack() -> impl Strategy<Value = Attack> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048).prop_map(Attack::Bytes),
        arb_json().prop_map(Attack::Json),
        (0..FIELDS.len(), arb_json()).prop_map(|(i, v)| Attack::Mutate(i, v)),
        (0..FIELDS.len()).prop_map(Attack::Drop),
        proptest::array::uniform32(any::<u8>()).prop_flat_map(|a| {
            proptest::array::uniform32(any::<u8>()).prop_flat_map(move |b| {
                any::<u8>().prop_map(move |v| {
                    let mut s = [0u8; 65];
                    s[..32].copy_from_slice(&a);
                    s[32..64].copy_from_slice(&b);
                    s[64] = v;
                    Attack::Forge(s)
                })
            })
        }),
        (2usize..300).prop_map(Attack::Nest),
        (60_000usize..200_000).prop_map(Attack::Huge),
        Just(Attack::Replay),
        "(text/plain|application/x-www-form-urlencoded|multipart/form-data|application/jsonx|)"
            .prop_map(Attack::ContentType),
    ]
}

#[test]
fn hostile_intake_bodies_never_panic_and_never_store() {
    let fx = setup(Backend::sqlite(), "hostile intake");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let srv = rt.block_on(Server::start(fx.state()));
    // One stored record (the replay target) and one valid record never sent.
    let (stored, fresh) = rt.block_on(async {
        let s = fx
            .lib
            .seal_one(&fx.council, skip("2026-01-10", T0 + 1))
            .await;
        let (st, _) = srv.post_json(&s.to_json()).await;
        assert_eq!(st, 201);
        let f = fx
            .lib
            .seal_one(&fx.council, skip("2026-01-11", T0 + 2))
            .await;
        (s.to_json(), f.to_json())
    });
    let (count, head) = rt.block_on(fx.lib.with(|s| {
        (
            laniakea_synome::Store::count(s.store()).unwrap(),
            laniakea_synome::Store::head(s.store()).unwrap(),
        )
    }));
    let mut runner = TestRunner::new(Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&arb_attack(), |attack| {
            let (ct, body, replay) = match &attack {
                Attack::Bytes(b) => ("application/json".to_string(), b.clone(), false),
                Attack::Json(v) => (
                    "application/json".into(),
                    serde_json::to_vec(v).unwrap(),
                    false,
                ),
                Attack::Mutate(i, v) => {
                    let mut r = fresh.clone();
                    prop_assume!(&r[FIELDS[*i]] != v);
                    r[FIELDS[*i]] = v.clone();
                    (
                        "application/json".into(),
                        serde_json::to_vec(&r).unwrap(),
                        false,
                    )
                }
                Attack::Drop(i) => {
                    let mut r = fresh.clone();
                    r.as_object_mut().unwrap().remove(FIELDS[*i]);
                    (
                        "application/json".into(),
                        serde_json::to_vec(&r).unwrap(),
                        false,
                    )
                }
                Attack::Forge(sig) => {
                    let mut r = fresh.clone();
                    r["signature"] = json!(format!("0x{}", alloy_primitives::hex::encode(sig)));
                    (
                        "application/json".into(),
                        serde_json::to_vec(&r).unwrap(),
                        false,
                    )
                }
                Attack::Nest(d) => {
                    let text = format!(
                        "{}{}{}",
                        "[".repeat(*d),
                        serde_json::to_string(&fresh).unwrap(),
                        "]".repeat(*d)
                    );
                    ("application/json".into(), text.into_bytes(), false)
                }
                Attack::Huge(n) => {
                    let mut r = fresh.clone();
                    r["payload"]["reason"] = json!("x".repeat(*n));
                    (
                        "application/json".into(),
                        serde_json::to_vec(&r).unwrap(),
                        false,
                    )
                }
                Attack::Replay => (
                    "application/json".into(),
                    serde_json::to_vec(&stored).unwrap(),
                    true,
                ),
                Attack::ContentType(ct) => (ct.clone(), serde_json::to_vec(&fresh).unwrap(), false),
            };
            let (status, v) = rt.block_on(srv.post_raw(&ct, body));
            if replay {
                prop_assert_eq!(status, 200);
                prop_assert_eq!(&v["outcome"], "already-stored");
            } else {
                prop_assert!(
                    (400..500).contains(&status),
                    "{:?} → {} {}",
                    attack,
                    status,
                    v
                );
                prop_assert!(v["error"]["code"].is_string(), "a JSON error: {}", v);
            }
            let now = rt.block_on(fx.lib.with(|s| {
                (
                    laniakea_synome::Store::count(s.store()).unwrap(),
                    laniakea_synome::Store::head(s.store()).unwrap(),
                )
            }));
            prop_assert_eq!(now, (count, head), "nothing stored by {:?}", attack);
            Ok(())
        })
        .unwrap();
    // Still serving, and the valid record is still accepted afterwards.
    rt.block_on(async {
        let (st, _) = srv.get("/api/v1/health").await;
        assert_eq!(st, 200);
        let (st, _) = srv.post_json(&fresh).await;
        assert_eq!(st, 201);
        srv.stop().await;
    });
}

fn arb_query_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,64}",
        "[a-z]{1,8}=[^&#]{0,24}(&[a-z]{1,8}=[^&#]{0,24}){0,4}",
        "(kind|subject|epoch|from|to|after|limit|prime|at|checkpoints)=(%[0-9A-Fa-f]{0,2}|[0-9]{0,30}|-[0-9]{1,5}|[a-z:_-]{0,20}|2026-[0-9]{2}-[0-9]{2})",
    ]
}

/// Percent-encodes what a URL cannot carry raw, keeping `%`, `&`, `=` as the attacker wrote.
fn urlish(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~%&=:+,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn hostile_query_strings_and_paths_get_json_4xx_never_5xx() {
    let run = common::run_scenario();
    let (state, _db) = common::state_for(run);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let srv = rt.block_on(Server::start(state));
    let routes = [
        "/api/v1/records?",
        "/api/v1/epochs?",
        "/api/v1/penalties?",
        "/api/v1/verify?",
        "/api/v1/epochs/2026-01-01?",
        "/api/v1/epochs/2026-01-01/statements?",
        "/api/v1/epochs/{}",
        "/api/v1/epochs/{}/receipts",
        "/api/v1/records/{}",
        "/api/v1/subjects/{}/history",
    ];
    let mut runner = TestRunner::new(Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(0..routes.len(), arb_query_text()), |(i, q)| {
            let q = urlish(&q);
            let path = if routes[i].contains("{}") {
                routes[i].replace("{}", &q.replace(['&', '='], ""))
            } else {
                format!("{}{q}", routes[i])
            };
            let (status, v) = rt.block_on(srv.get(&path));
            prop_assert!(status < 500, "{} → {} {}", path, status, v);
            prop_assert!(v.is_object(), "{} → a JSON body: {}", path, v);
            if status != 200 {
                prop_assert!(v["error"]["code"].is_string(), "{} → {}", path, v);
            }
            Ok(())
        })
        .unwrap();
    rt.block_on(async {
        let (st, _) = srv.get("/api/v1/health").await;
        assert_eq!(st, 200);
        srv.stop().await;
    });
}
