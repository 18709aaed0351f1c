//! Remote intake (`POST /api/v1/records`) on both backends: a record is accepted only after the
//! Synome's own checks, idempotently; every refusal has its status and stable code and stores
//! nothing (the store's record count and head are unchanged after it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod fixture;

use common::{code, Server};
use fixture::*;
use laniakea_synome::{Role, Signer, Writer};
use serde_json::{json, Value};

/// Runs `body` on SQLite and (with DATABASE_URL) on PostgreSQL.
macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            use super::*;
            fn rt() -> tokio::runtime::Runtime {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap()
            }
            #[test]
            fn sqlite() {
                let fx = setup(Backend::sqlite(), "intake test");
                rt().block_on($body(&fx));
            }
            #[test]
            fn postgres() {
                if let Some(b) = Backend::postgres(stringify!($name)) {
                    let fx = setup(b, "intake test");
                    rt().block_on($body(&fx));
                }
            }
        }
    };
}

/// Posts `body` and checks the refusal: status, code, and that nothing was stored.
async fn refused(srv: &Server, fx: &Fx, body: Value, status: u16, want: &str) -> Value {
    let before = fx.lib.count().await;
    let (st, v) = srv.post_json(&body).await;
    assert_eq!((st, code(&v)), (status, want), "{v}");
    assert_eq!(fx.lib.count().await, before, "{want}: nothing stored");
    v
}

async fn stored_once_then_already_stored(fx: &Fx) {
    let srv = Server::start(fx.state()).await;
    let r = fx
        .lib
        .seal_one(&fx.council, skip("2026-01-10", T0 + 100))
        .await;
    let before = fx.lib.count().await;
    let (st, v) = srv.post_json(&r.to_json()).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["outcome"], "stored");
    assert_eq!(v["id"], json!(r.id));
    assert_eq!(v["seq"], json!(before + 1));
    assert_eq!(fx.lib.get(r.id).await.as_ref(), Some(&r));
    // The same record again: stored once, and the answer says so.
    let (st, v) = srv.post_json(&r.to_json()).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["outcome"], "already-stored");
    assert_eq!(v["id"], json!(r.id));
    assert_eq!(fx.lib.count().await, before + 1);
    // The same fact re-signed at a later head (a retry after a lost acknowledgement).
    let other = fx
        .lib
        .seal_one(&fx.operator, checkpoint_draft(T0 + 200, before + 1))
        .await;
    let (st, _) = srv.post_json(&other.to_json()).await;
    assert_eq!(st, 201);
    let again = fx
        .lib
        .seal_one(&fx.council, skip("2026-01-10", T0 + 100))
        .await;
    assert_ne!(again.id, r.id, "re-signed at another head");
    let (st, v) = srv.post_json(&again.to_json()).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["outcome"], "already-stored");
    assert_eq!(v["id"], json!(r.id));
    assert_eq!(v["submitted"], json!(again.id));
    // The stored record reads back through the API exactly.
    let (st, v) = srv.get(&format!("/api/v1/records/{}", r.id)).await;
    assert_eq!(st, 200);
    assert_eq!(v, r.to_json());
    srv.stop().await;
}
both!(stored_once, stored_once_then_already_stored);

fn checkpoint_draft(at: u64, position: u64) -> laniakea_synome::Draft {
    laniakea_synome::Draft::new(
        laniakea_synome::Kind::Checkpoint,
        "global",
        laniakea_units::Timestamp(at),
        laniakea_synome::Provenance::SystemDerived,
        json!({"epoch": "2026-01-01", "position": position}),
    )
    .epoch(laniakea_units::EpochId::parse("2026-01-01").unwrap())
}

async fn a_batch_is_all_or_none(fx: &Fx) {
    let srv = Server::start(fx.state()).await;
    let recs = fx
        .lib
        .seal(
            &fx.council,
            vec![skip("2026-01-10", T0 + 10), skip("2026-01-11", T0 + 11)],
        )
        .await;
    let before = fx.lib.count().await;
    let (st, v) = srv
        .post_json(&Value::Array(recs.iter().map(|r| r.to_json()).collect()))
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    assert_eq!(fx.lib.count().await, before + 2);
    // A valid record followed by one its author may not write: neither is stored.
    let good = fx
        .lib
        .seal_one(&fx.council, skip("2026-01-12", T0 + 12))
        .await;
    let mut tip_after_good = fx.lib.with(|s| s.tip().unwrap()).await;
    tip_after_good.head = good.id;
    tip_after_good.position += 1;
    tip_after_good
        .authors
        .insert(fx.council.signer.address(), good.id);
    let bad = fx
        .checker
        .seal_one(&mut tip_after_good, skip("2026-01-13", T0 + 13))
        .unwrap();
    let body = json!([good.to_json(), bad.to_json()]);
    refused(&srv, fx, body, 403, "synome/wrong-role").await;
    assert!(fx.lib.get(good.id).await.is_none(), "no partial write");
    srv.stop().await;
}
both!(batch_all_or_none, a_batch_is_all_or_none);

async fn forged_signatures_are_401(fx: &Fx) {
    let srv = Server::start(fx.state()).await;
    let r = fx
        .lib
        .seal_one(&fx.council, skip("2026-01-10", T0 + 100))
        .await;
    // Signed by someone else over the same id: the recovered signer is not the author.
    let mut forged = r.clone();
    forged.signature = Signer::demo("mallory").sign(r.id);
    refused(&srv, fx, forged.to_json(), 401, "synome/signer-mismatch").await;
    // A signature that recovers nothing (r = 0).
    let mut broken = r.to_json();
    broken["signature"] = json!(format!("0x{}{}1b", "00".repeat(32), "11".repeat(32)));
    refused(&srv, fx, broken, 401, "synome/bad-signature").await;
    // Content changed under the original id and signature.
    let mut tampered = r.to_json();
    tampered["payload"]["reason"] = json!("a different reason");
    refused(&srv, fx, tampered, 401, "synome/id-mismatch").await;
    srv.stop().await;
}
both!(forged_signatures, forged_signatures_are_401);

async fn wrong_roles_are_403(fx: &Fx) {
    let srv = Server::start(fx.state()).await;
    // The checker may write only verification reports.
    let r = fx
        .lib
        .seal_one(&fx.checker, skip("2026-01-10", T0 + 100))
        .await;
    let v = refused(&srv, fx, r.to_json(), 403, "synome/wrong-role").await;
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("may not write skip"));
    // A key holding no role at all.
    let stranger = Writer::new(Signer::demo("stranger"), Role::CoreCouncil);
    let r = fx
        .lib
        .seal_one(&stranger, skip("2026-01-10", T0 + 100))
        .await;
    refused(&srv, fx, r.to_json(), 403, "synome/unknown-signer").await;
    // A key holding another role than the one it claims.
    let as_council = Writer::new(fx.operator.signer.clone(), Role::CoreCouncil);
    let r = fx
        .lib
        .seal_one(&as_council, skip("2026-01-10", T0 + 100))
        .await;
    refused(&srv, fx, r.to_json(), 403, "synome/role-not-held").await;
    srv.stop().await;
}
both!(wrong_roles, wrong_roles_are_403);

async fn broken_chains_are_409(fx: &Fx) {
    let srv = Server::start(fx.state()).await;
    // Two records signed against the same heads: the second no longer links to the head.
    let a = fx
        .lib
        .seal_one(&fx.council, skip("2026-01-10", T0 + 100))
        .await;
    let b = fx
        .lib
        .seal_one(&fx.council, skip("2026-01-11", T0 + 101))
        .await;
    let (st, _) = srv.post_json(&a.to_json()).await;
    assert_eq!(st, 201);
    let v = refused(&srv, fx, b.to_json(), 409, "synome/stale-store-head").await;
    assert_eq!(
        v["error"]["retryable"], true,
        "re-read the heads and re-sign"
    );
    // A record of another Synome (same keys, another genesis).
    let other = setup(Backend::sqlite(), "another deployment");
    let foreign = other
        .lib
        .seal_one(&other.council, skip("2026-01-12", T0 + 102))
        .await;
    refused(&srv, fx, foreign.to_json(), 409, "synome/foreign-synome").await;
    srv.stop().await;
}
both!(broken_chains, broken_chains_are_409);

async fn malformed_records_are_422_and_bodies_4xx(fx: &Fx) {
    let srv = Server::start(fx.state()).await;
    let r = fx
        .lib
        .seal_one(&fx.council, skip("2026-01-10", T0 + 100))
        .await;
    let good = r.to_json();
    let edit = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut v = good.clone();
        f(v.as_object_mut().unwrap());
        v
    };
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            edit(&|m| {
                m.remove("epoch");
            }),
            422,
            "intake/malformed-record",
            "record.epoch",
        ),
        (
            edit(&|m| {
                m.insert("extra".into(), json!(1));
            }),
            422,
            "intake/malformed-record",
            "record.extra",
        ),
        (
            edit(&|m| {
                m.insert("created_at".into(), json!("soon"));
            }),
            422,
            "intake/malformed-record",
            "record.created_at",
        ),
        (
            edit(&|m| {
                m.insert("created_at".into(), json!(-1));
            }),
            422,
            "intake/malformed-record",
            "record.created_at",
        ),
        (
            edit(&|m| {
                m.insert("kind".into(), json!("memo"));
            }),
            422,
            "intake/malformed-record",
            "record.kind",
        ),
        (
            edit(&|m| {
                m.insert("role".into(), json!(7));
            }),
            422,
            "intake/malformed-record",
            "record.role",
        ),
        (
            edit(&|m| {
                m.insert("signature".into(), json!("0x12"));
            }),
            422,
            "intake/malformed-record",
            "record.signature",
        ),
        (
            edit(&|m| {
                let a = m["author"]
                    .as_str()
                    .unwrap()
                    .to_uppercase()
                    .replace("0X", "0x");
                m.insert("author".into(), json!(a));
            }),
            422,
            "intake/non-canonical",
            "record.author",
        ),
        (json!(42), 422, "intake/malformed-record", "record"),
        (json!([]), 422, "intake/empty-batch", "batch"),
    ];
    for (body, status, want, names) in cases {
        let v = refused(&srv, fx, body, status, want).await;
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains(names) || want == "intake/empty-batch", "{msg}");
    }
    // A well-formed record whose payload breaks its kind's schema: the Synome's own code.
    let bad_payload = fx
        .lib
        .seal_one(
            &fx.council,
            laniakea_synome::Draft::new(
                laniakea_synome::Kind::Skip,
                "global",
                laniakea_units::Timestamp(T0 + 100),
                laniakea_synome::Provenance::GovernanceDirected,
                json!({"epoch": "2026-01-10"}),
            )
            .epoch(laniakea_units::EpochId::parse("2026-01-10").unwrap()),
        )
        .await;
    refused(
        &srv,
        fx,
        bad_payload.to_json(),
        422,
        "synome/invalid-payload",
    )
    .await;

    // Transport-level refusals.
    let before = fx.lib.count().await;
    let big = vec![b' '; 70 * 1024];
    let (st, v) = srv.post_raw("application/json", big).await;
    assert_eq!((st, code(&v)), (413, "api/body-too-large"));
    let (st, v) = srv
        .post_raw("text/plain", serde_json::to_vec(&good).unwrap())
        .await;
    assert_eq!((st, code(&v)), (415, "api/unsupported-media-type"));
    let (st, v) = srv.post_raw("", serde_json::to_vec(&good).unwrap()).await;
    assert_eq!((st, code(&v)), (415, "api/unsupported-media-type"));
    let (st, v) = srv
        .post_raw("application/json", b"{\"id\": ".to_vec())
        .await;
    assert_eq!((st, code(&v)), (400, "api/malformed-json"));
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let (st, v) = srv.post_raw("application/json", deep.into_bytes()).await;
    assert_eq!((st, code(&v)), (400, "api/too-deep"));
    let many = Value::Array(vec![json!({}); 257]);
    let (st, v) = srv.post_json(&many).await;
    assert_eq!((st, code(&v)), (422, "intake/batch-too-large"));
    let (st, v) = srv
        .post_raw(
            "application/json; charset=utf-8",
            serde_json::to_vec(&good).unwrap(),
        )
        .await;
    assert_eq!(st, 201, "a charset parameter is fine: {v}");
    assert_eq!(fx.lib.count().await, before + 1);
    srv.stop().await;
}
both!(malformed, malformed_records_are_422_and_bodies_4xx);

/// The read side over the same backend: records paged with the cursor and filtered.
async fn records_page_on_this_backend(fx: &Fx) {
    let srv = Server::start(fx.state()).await;
    let drafts: Vec<_> = (0..9)
        .map(|i| skip(&format!("2026-02-{:02}", i + 1), T0 + 1000 + i))
        .collect();
    let recs = fx.lib.seal(&fx.council, drafts).await;
    let (st, _) = srv
        .post_json(&Value::Array(recs.iter().map(|r| r.to_json()).collect()))
        .await;
    assert_eq!(st, 201);
    let mut seen = Vec::new();
    let mut path = "/api/v1/records?kind=skip&limit=4".to_string();
    loop {
        let (st, v) = srv.get(&path).await;
        assert_eq!(st, 200, "{v}");
        seen.extend(v["records"].as_array().unwrap().iter().cloned());
        match v["next"].as_u64() {
            Some(n) => path = format!("/api/v1/records?kind=skip&limit=4&after={n}"),
            None => break,
        }
    }
    let want: Vec<Value> = recs.iter().map(|r| r.to_json()).collect();
    assert_eq!(seen, want);
    let (_, v) = srv.get("/api/v1/records?epoch=2026-02-03").await;
    assert_eq!(v["records"].as_array().unwrap(), &vec![want[2].clone()]);
    let (_, v) = srv.get("/api/v1/verify").await;
    assert_eq!(v["ok"], true, "{v}");
    srv.stop().await;
}
both!(records_paging, records_page_on_this_backend);
