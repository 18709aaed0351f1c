//! The behavioural suite: the same tests against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;
use alloy_primitives::B256;
use laniakea_synome::{
    Appended, Draft, Kind, Provenance, Query, Rejection, Role, SignedRecord, Signer, Store, Synome,
    SynomeError, Writer,
};
use laniakea_units::EpochId;
use laniakea_units::Timestamp;
use serde_json::{json, Value};

type Db = Synome<Box<dyn Store + Send>>;

pub struct World {
    pub council: Writer,
    pub operator: Writer,
    pub checker: Writer,
}

pub fn ep(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

pub fn t(s: u64) -> Timestamp {
    Timestamp(1_767_600_000 + s)
}

pub fn statement_payload(prime: &str) -> Value {
    json!({"prime": prime, "total_wad": "505.609589041095890411", "direction": "prime-pays-generator",
           "input_digest": format!("{}", B256::repeat_byte(7)), "statement": {"max_debt_fees_wad": "547.945205479452054794"}})
}

pub fn demo_writer(label: &str, role: Role) -> Writer {
    Writer::new(Signer::demo(label), role)
}

/// A role grant naming `w`'s demo label (required in a demo Synome).
pub fn grant(role: &str, w: &Writer, at: u64) -> Draft {
    let mut p = json!({"role": role, "address": w.signer.address()});
    if w.signer.is_demo() {
        p["demo_key"] = json!(w.signer.label());
    }
    Draft::new(
        Kind::RoleGrant,
        "global",
        t(at),
        Provenance::GovernanceDirected,
        p,
    )
}

pub fn genesis(council: &Writer, deployment: &str) -> Draft {
    let mut p = json!({"core_council": council.signer.address(), "deployment": deployment});
    if council.signer.is_demo() {
        p["demo_key"] = json!(council.signer.label());
    }
    Draft::new(
        Kind::Genesis,
        "global",
        t(0),
        Provenance::GovernanceDirected,
        p,
    )
}

/// Seals one draft at the store's current heads.
pub fn seal(db: &mut Db, w: &Writer, d: Draft) -> SignedRecord {
    let mut tip = db.tip().unwrap();
    w.seal_one(&mut tip, d).unwrap()
}

/// Seals and appends one draft.
pub fn put(db: &mut Db, w: &Writer, d: Draft) -> SignedRecord {
    let r = seal(db, w, d);
    assert!(matches!(db.append(&r).unwrap(), Appended::Stored { .. }));
    r
}

/// A DEMO Synome: genesis by the Core Council, role grants for an operator and a checker.
pub fn world_named(db: &mut Db, deployment: &str) -> World {
    let council = demo_writer("core-council", Role::CoreCouncil);
    let operator = demo_writer("operator", Role::Operator);
    let checker = demo_writer("checker", Role::Checker);
    let mut tip = db.tip().unwrap();
    let recs = council
        .seal(
            &mut tip,
            vec![
                genesis(&council, deployment),
                grant("operator", &operator, 1),
                grant("checker", &checker, 2),
            ],
        )
        .unwrap();
    assert_eq!(recs.len(), 3);
    db.append_batch(&recs).unwrap();
    World {
        council,
        operator,
        checker,
    }
}

pub fn world(db: &mut Db) -> World {
    world_named(db, "test")
}

pub fn stmt_draft(epoch: &str, prime: &str, at: u64) -> Draft {
    Draft::new(
        Kind::SettlementStatement,
        &format!("prime:{prime}"),
        t(at),
        Provenance::SystemDerived,
        statement_payload(prime),
    )
    .epoch(ep(epoch))
}

pub fn penalty_draft(prime: &str, amount: &str, at: u64) -> Draft {
    Draft::new(Kind::PenaltyEvent, &format!("prime:{prime}"), t(at), Provenance::SystemDerived,
        json!({"prime": prime, "obligation": format!("2026-01-05/{prime}/1"), "amount_wad": amount, "from": 1767628800, "to": 1767646800}))
    .epoch(ep("2026-01-05"))
}

pub fn forgive_draft(prime: &str, penalty: B256, amount: &str, at: u64) -> Draft {
    Draft::new(
        Kind::Forgiveness,
        &format!("prime:{prime}"),
        t(at),
        Provenance::GovernanceDirected,
        json!({"penalty": penalty.to_string(), "amount_wad": amount, "rationale": "onboarding incident"}),
    )
    .epoch(ep("2026-01-06"))
}

pub fn checkpoint_draft(db: &mut Db, epoch: &str, at: u64) -> Draft {
    let position = db.store().count().unwrap();
    Draft::new(
        Kind::Checkpoint,
        "global",
        t(at),
        Provenance::SystemDerived,
        json!({"epoch": epoch, "position": position}),
    )
    .epoch(ep(epoch))
}

fn count(db: &mut Db) -> u64 {
    db.store().count().unwrap()
}

/// Seals `d` with `w` at the current heads and appends it, expecting a rejection.
fn refuse(db: &mut Db, w: &Writer, d: Draft) -> Rejection {
    let r = seal(db, w, d);
    rejection(db.append(&r))
}

fn rejection(r: Result<Appended, SynomeError>) -> Rejection {
    match r {
        Err(SynomeError::Rejected(x)) => x,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

both!(appends_and_queries, |b: &common::Backend| {
    let mut db = b.synome();
    let w = world(&mut db);
    let mut tip = db.tip().unwrap();
    let recs = w
        .operator
        .seal(
            &mut tip,
            vec![
                stmt_draft("2026-01-05", "spark", 10),
                stmt_draft("2026-01-05", "grove", 11),
            ],
        )
        .unwrap();
    let (s1, s2) = (recs[0].clone(), recs[1].clone());
    let s3 = w
        .operator
        .seal_one(
            &mut tip,
            stmt_draft("2026-01-06", "spark", 90_000).supersedes(s1.id),
        )
        .unwrap();
    let r = db
        .append_batch(&[s1.clone(), s2.clone(), s3.clone()])
        .unwrap();
    assert_eq!(
        r,
        vec![
            Appended::Stored { seq: 4 },
            Appended::Stored { seq: 5 },
            Appended::Stored { seq: 6 }
        ]
    );
    let v = put(
        &mut db,
        &w.checker,
        Draft::new(
            Kind::VerificationReport,
            "global",
            t(12),
            Provenance::SystemDerived,
            json!({"findings": [{"check": "statement", "status": "ok", "subject": "prime:spark"}]}),
        )
        .epoch(ep("2026-01-05")),
    );
    assert_eq!(count(&mut db), 7);
    assert_eq!(db.get(s2.id).unwrap().unwrap(), s2);
    assert_eq!(
        db.latest(Kind::SettlementStatement, "prime:spark")
            .unwrap()
            .unwrap()
            .id,
        s3.id
    );
    let (page, next) = db
        .list(&Query {
            kind: Some(Kind::SettlementStatement),
            limit: 2,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(
        page.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![s1.id, s2.id]
    );
    let (page2, next2) = db
        .list(&Query {
            kind: Some(Kind::SettlementStatement),
            limit: 2,
            after: next.unwrap(),
            ..Query::default()
        })
        .unwrap();
    assert_eq!(page2.iter().map(|r| r.id).collect::<Vec<_>>(), vec![s3.id]);
    assert_eq!(next2, None);
    let (by_epoch, _) = db
        .list(&Query {
            epoch: Some(ep("2026-01-05")),
            limit: 100,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(by_epoch.len(), 3);
    let (by_time, _) = db
        .list(&Query {
            from: Some(t(11)),
            to: Some(t(13)),
            limit: 100,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(
        by_time.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![s2.id, v.id]
    );
    assert_eq!(
        db.history("prime:spark")
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![s1.id, s3.id]
    );
    let rep = db.verify(&[]).unwrap();
    assert!(rep.is_ok(), "{rep:?}");
    assert_eq!(rep.records, 7);
    assert!(rep.demo);
    assert_eq!(rep.head, Some((7, v.id.to_string())));
});

both!(idempotent_append, |b: &common::Backend| {
    let mut db = b.synome();
    let w = world(&mut db);
    let s = seal(&mut db, &w.operator, stmt_draft("2026-01-05", "spark", 10));
    assert!(matches!(db.append(&s).unwrap(), Appended::Stored { .. }));
    assert_eq!(db.append(&s).unwrap(), Appended::AlreadyStored { id: s.id });
    assert_eq!(
        db.append_batch(&[s.clone(), s.clone()]).unwrap(),
        vec![
            Appended::AlreadyStored { id: s.id },
            Appended::AlreadyStored { id: s.id }
        ]
    );
    // The acknowledgement was lost: the writer re-reads the heads (which now include its own
    // record) and re-signs the same fact. It is recognised by its fact, not stored twice.
    let again = seal(&mut db, &w.operator, stmt_draft("2026-01-05", "spark", 10));
    assert_ne!(
        again.id, s.id,
        "re-signed at a later head: a different record"
    );
    assert_eq!(again.content.fact().unwrap(), s.content.fact().unwrap());
    assert_eq!(
        db.append(&again).unwrap(),
        Appended::AlreadyStored { id: s.id }
    );
    assert_eq!(
        db.write(&w.operator, vec![stmt_draft("2026-01-05", "spark", 10)])
            .unwrap(),
        vec![Appended::AlreadyStored { id: s.id }]
    );
    assert_eq!(count(&mut db), 4);
    assert!(db.verify(&[]).unwrap().is_ok());
});

both!(rejected_writes_store_nothing, |b: &common::Backend| {
    let mut db = b.synome();
    let w = world(&mut db);
    let n = count(&mut db);
    // unknown signer
    let stranger = demo_writer("stranger", Role::Operator);
    let r = seal(&mut db, &stranger, stmt_draft("2026-01-05", "spark", 5));
    let e = rejection(db.append(&r));
    assert_eq!(e.code(), "synome/unknown-signer", "{e}");
    assert_eq!(e.id(), r.id);
    // a role the author does not hold
    let op_as_council = Writer::new(w.operator.signer.clone(), Role::CoreCouncil);
    let skip = Draft::new(
        Kind::Skip,
        "global",
        t(5),
        Provenance::GovernanceDirected,
        json!({"epoch": "2026-01-10", "reason": "x"}),
    )
    .epoch(ep("2026-01-10"));
    let r = seal(&mut db, &op_as_council, skip.clone());
    assert_eq!(rejection(db.append(&r)).code(), "synome/role-not-held");
    // a kind the role may not write
    let r = seal(&mut db, &w.operator, skip);
    let e = rejection(db.append(&r));
    assert_eq!(e.code(), "synome/wrong-role");
    assert!(e.to_string().contains("may not write skip"), "{e}");
    // bad signature
    let mut r = seal(&mut db, &w.operator, stmt_draft("2026-01-05", "spark", 5));
    r.signature.0[10] ^= 1;
    let e = rejection(db.append(&r));
    assert!(
        matches!(
            e,
            Rejection::BadSignature { .. } | Rejection::SignerMismatch { .. }
        ),
        "{e}"
    );
    // content edited after signing
    let mut r = seal(&mut db, &w.operator, stmt_draft("2026-01-05", "spark", 5));
    r.content.created_at = t(6);
    assert_eq!(rejection(db.append(&r)).code(), "synome/id-mismatch");
    // a stale author head (another writer of the same key went first)
    let mut tip = db.tip().unwrap();
    tip.authors
        .insert(w.operator.signer.address(), B256::repeat_byte(9));
    let r = w
        .operator
        .seal_one(&mut tip, stmt_draft("2026-01-05", "spark", 5))
        .unwrap();
    let e = rejection(db.append(&r));
    assert_eq!(e.code(), "synome/broken-chain");
    assert!(e.is_retryable());
    // a stale store head (any other writer went first)
    let mut tip = db.tip().unwrap();
    tip.head = B256::repeat_byte(8);
    let r = w
        .operator
        .seal_one(&mut tip, stmt_draft("2026-01-05", "spark", 5))
        .unwrap();
    let e = rejection(db.append(&r));
    assert_eq!(e.code(), "synome/stale-store-head");
    assert!(e.is_retryable());
    // payload that does not fit its kind
    let r = seal(
        &mut db,
        &w.operator,
        Draft::new(
            Kind::PaymentReceipt,
            "prime:spark",
            t(5),
            Provenance::SystemDerived,
            json!({"prime": "spark", "amount_wad": "-1"}),
        ),
    );
    assert_eq!(rejection(db.append(&r)).code(), "synome/invalid-payload");
    // a second genesis
    let r = seal(&mut db, &w.council, genesis(&w.council, "again"));
    assert_eq!(rejection(db.append(&r)).code(), "synome/genesis-exists");
    // a forgiveness must name an existing penalty event
    let r = seal(
        &mut db,
        &w.council,
        forgive_draft("spark", B256::repeat_byte(3), "1", 5),
    );
    assert_eq!(rejection(db.append(&r)).code(), "synome/missing-reference");
    // a non-integer number
    // a created_at no store column can hold
    let mut d = stmt_draft("2026-01-05", "spark", 5);
    d.created_at = Timestamp(u64::MAX);
    let e = refuse(&mut db, &w.operator, d);
    assert_eq!(e.code(), "synome/created-at-out-of-range");
    // a non-integer number: refused when sealing, before anything is signed
    let mut tip = db.tip().unwrap();
    let e = w
        .checker
        .seal_one(
            &mut tip,
            Draft::new(
                Kind::VerificationReport,
                "global",
                t(5),
                Provenance::SystemDerived,
                json!({"findings": [{"check": "x", "status": "ok", "detail": 0.5}]}),
            ),
        )
        .unwrap_err();
    assert_eq!(e.code(), "synome/non-integer-number");
    // a batch with one bad record stores none of it
    let mut tip = db.tip().unwrap();
    let good = w
        .operator
        .seal_one(&mut tip, stmt_draft("2026-01-05", "spark", 5))
        .unwrap();
    let bad = stranger
        .seal_one(&mut tip, stmt_draft("2026-01-05", "spark", 5))
        .unwrap();
    assert!(db.append_batch(&[good, bad]).is_err());
    assert_eq!(count(&mut db), n, "nothing stored by any rejected write");
    assert!(db.verify(&[]).unwrap().is_ok());
});

both!(no_genesis_no_writes, |b: &common::Backend| {
    let mut db = b.synome();
    let op = demo_writer("operator", Role::Operator);
    let r = seal(&mut db, &op, stmt_draft("2026-01-05", "spark", 5));
    assert_eq!(rejection(db.append(&r)).code(), "synome/no-genesis");
    // A genesis that is not by the council it names.
    let council = demo_writer("core-council", Role::CoreCouncil);
    let mut g = genesis(&council, "x");
    g.payload["core_council"] = json!(op.signer.address());
    let r = seal(&mut db, &council, g);
    assert_eq!(rejection(db.append(&r)).code(), "synome/bad-genesis");
    assert_eq!(count(&mut db), 0);
});

both!(
    revocation_is_effective_for_every_later_record,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        put(&mut db, &w.operator, stmt_draft("2026-01-05", "spark", 5));
        // Revocation and a later record by the revoked key in the same batch: refused.
        let mut tip = db.tip().unwrap();
        let rev = w
            .council
            .seal_one(
                &mut tip,
                Draft::new(
                    Kind::RoleRevoke,
                    "global",
                    t(6),
                    Provenance::GovernanceDirected,
                    json!({"role": "operator", "address": w.operator.signer.address()}),
                ),
            )
            .unwrap();
        let late = w
            .operator
            .seal_one(&mut tip, stmt_draft("2026-01-05", "grove", 7))
            .unwrap();
        assert_eq!(
            db.append_batch(&[rev.clone(), late]).unwrap_err().code(),
            "synome/unknown-signer"
        );
        db.append(&rev).unwrap();
        let r = seal(&mut db, &w.operator, stmt_draft("2026-01-05", "grove", 7));
        assert_eq!(rejection(db.append(&r)).code(), "synome/unknown-signer");
        assert!(db.verify(&[]).unwrap().is_ok());
    }
);

both!(semantic_checks_at_write_time, |b: &common::Backend| {
    let mut db = b.synome();
    let w = world(&mut db);
    put(&mut db, &w.operator, stmt_draft("2026-01-05", "spark", 100));
    // created_at never goes backwards per author
    let r = seal(&mut db, &w.operator, stmt_draft("2026-01-05", "grove", 99));
    let e = rejection(db.append(&r));
    assert_eq!(e.code(), "synome/time-went-backwards", "{e}");
    // equal time is fine (several records in one second)
    put(&mut db, &w.operator, stmt_draft("2026-01-05", "grove", 100));
    // the subject column must match the payload's prime
    let mut d = stmt_draft("2026-01-05", "keel", 101);
    d.subject = "prime:obex".into();
    let e = refuse(&mut db, &w.operator, d);
    assert_eq!(e.code(), "synome/column-payload-mismatch", "{e}");
    // the epoch column must match the payload's epoch (skip)
    let d = Draft::new(
        Kind::Skip,
        "global",
        t(101),
        Provenance::GovernanceDirected,
        json!({"epoch": "2026-01-10", "reason": "weekend"}),
    )
    .epoch(ep("2026-01-11"));
    let e = refuse(&mut db, &w.council, d);
    assert_eq!(e.code(), "synome/column-payload-mismatch", "{e}");
    // forgiveness within the penalty's unforgiven amount, never the same wei twice
    let p = put(&mut db, &w.operator, penalty_draft("spark", "2.1", 102));
    let e = refuse(
        &mut db,
        &w.council,
        forgive_draft("spark", p.id, "2.2", 103),
    );
    assert_eq!(e.code(), "synome/forgiveness-exceeds-penalty", "{e}");
    let f1 = put(
        &mut db,
        &w.council,
        forgive_draft("spark", p.id, "1.4", 103),
    );
    let e = refuse(
        &mut db,
        &w.council,
        forgive_draft("spark", p.id, "0.8", 104),
    );
    assert_eq!(e.code(), "synome/forgiveness-exceeds-penalty", "{e}");
    assert!(e.to_string().contains("only 0.7"), "{e}");
    put(
        &mut db,
        &w.council,
        forgive_draft("spark", p.id, "0.7", 104),
    );
    let e = refuse(
        &mut db,
        &w.council,
        forgive_draft("spark", p.id, "0.000000000000000001", 105),
    );
    assert_eq!(e.code(), "synome/forgiveness-exceeds-penalty", "{e}");
    // a correction that supersedes the first forgiveness replaces it (1.4 → 1.0 is fine)
    put(
        &mut db,
        &w.council,
        forgive_draft("spark", p.id, "1.0", 106).supersedes(f1.id),
    );
    // … and a fresh connection (state loaded from the store) judges the same way
    let mut db2 = b.synome();
    let e = refuse(
        &mut db2,
        &w.council,
        forgive_draft("spark", p.id, "0.5", 107),
    );
    assert_eq!(e.code(), "synome/forgiveness-exceeds-penalty", "{e}");
    put(
        &mut db2,
        &w.council,
        forgive_draft("spark", p.id, "0.4", 107),
    );
    // zero forgiveness is meaningless
    let e = refuse(&mut db2, &w.council, forgive_draft("spark", p.id, "0", 108));
    assert_eq!(e.code(), "synome/zero-forgiveness");
    // a checkpoint must state the true position
    let mut d = checkpoint_draft(&mut db2, "2026-01-05", 109);
    d.payload["position"] = json!(3);
    let e = refuse(&mut db2, &w.operator, d);
    assert_eq!(e.code(), "synome/checkpoint-mismatch");
    let d = checkpoint_draft(&mut db2, "2026-01-05", 109);
    put(&mut db2, &w.operator, d);
    let rep = db2.verify(&[]).unwrap();
    assert!(rep.is_ok(), "{rep:?}");
    assert_eq!(rep.checkpoints, 1);
    assert_eq!(rep.unpinned, 0);
});

both!(
    records_of_another_synome_are_refused,
    |b: &common::Backend| {
        // Two deployments with the same keys: a record signed for one is refused by the other.
        let mut db = b.synome();
        let w = world_named(&mut db, "deployment A");
        let other = common::sqlite();
        let mut db_b = other.synome();
        let wb = world_named(&mut db_b, "deployment B");
        let foreign = put(
            &mut db_b,
            &wb.operator,
            stmt_draft("2026-01-05", "spark", 5),
        );
        // Same author, role and heads shape, other genesis.
        let e = rejection(db.append(&foreign));
        assert!(
            matches!(
                e,
                Rejection::ForeignSynome { .. } | Rejection::StaleStoreHead { .. }
            ),
            "{e}"
        );
        // Even re-chained onto this store's heads it names the other Synome.
        let mut tip = db.tip().unwrap();
        let ours = w
            .operator
            .seal_one(&mut tip, stmt_draft("2026-01-05", "spark", 5))
            .unwrap();
        assert_ne!(ours.content.synome, foreign.content.synome);
        let mut forged = ours.clone();
        forged.content.synome = foreign.content.synome;
        forged.id = forged.content.id().unwrap();
        forged.signature = w.operator.signer.sign(forged.id);
        assert_eq!(
            rejection(db.append(&forged)).code(),
            "synome/foreign-synome"
        );
        db.append(&ours).unwrap();
        assert!(db.verify(&[]).unwrap().is_ok());
    }
);

both!(demo_and_real_keys_stay_apart, |b: &common::Backend| {
    let real = |hex: &str, label: &str| Signer::from_hex(hex, label).unwrap();
    let council = Writer::new(
        real(
            "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            "council.key",
        ),
        Role::CoreCouncil,
    );
    let operator = Writer::new(
        real(
            "0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f",
            "operator.key",
        ),
        Role::Operator,
    );
    let mut db = b.synome();
    // A real genesis naming a shipped demo key is refused.
    let demo_council = demo_writer("core-council", Role::CoreCouncil);
    let mut g = genesis(&demo_council, "real");
    g.payload.as_object_mut().unwrap().remove("demo_key");
    let r = seal(&mut db, &demo_council, g);
    assert_eq!(
        rejection(db.append(&r)).code(),
        "synome/demo-key-in-real-synome"
    );
    // A real Synome.
    put(&mut db, &council, genesis(&council, "real"));
    assert!(!db.auth().unwrap().is_demo());
    // grants to demo keys are refused, labelled or not
    let demo_op = demo_writer("settlement-operator", Role::Operator);
    let e = refuse(&mut db, &council, grant("operator", &demo_op, 1));
    assert_eq!(e.code(), "synome/demo-key-in-real-synome", "{e}");
    let mut d = grant("operator", &demo_op, 1);
    d.payload.as_object_mut().unwrap().remove("demo_key");
    let e = refuse(&mut db, &council, d);
    assert_eq!(e.code(), "synome/demo-key-in-real-synome", "{e}");
    assert!(
        e.to_string().contains("DEMO key 'settlement-operator'"),
        "{e}"
    );
    put(&mut db, &council, grant("operator", &operator, 1));
    // writing with a demo signer is refused before anything is signed into the store
    let e = db
        .write(&demo_op, vec![stmt_draft("2026-01-05", "spark", 5)])
        .unwrap_err();
    assert_eq!(e.code(), "synome/demo-key-in-real-synome");
    db.write(&operator, vec![stmt_draft("2026-01-05", "spark", 5)])
        .unwrap();
    assert!(db.verify(&[]).unwrap().is_ok());
    // The reverse: a demo Synome refuses real keys.
    let other = common::sqlite();
    let mut demo = other.synome();
    let _ = world(&mut demo);
    let dc = demo_writer("core-council", Role::CoreCouncil);
    let e = refuse(&mut demo, &dc, grant("operator", &operator, 3));
    assert_eq!(e.code(), "synome/real-key-in-demo-synome");
    let e = demo
        .write(&operator, vec![stmt_draft("2026-01-05", "spark", 5)])
        .unwrap_err();
    assert_eq!(e.code(), "synome/real-key-in-demo-synome");
    // a demo label must derive the address it names
    let mut d = grant("operator", &demo_writer("reporter", Role::Reporter), 3);
    d.payload["demo_key"] = json!("lpla-checker");
    let e = refuse(&mut demo, &dc, d);
    assert_eq!(e.code(), "synome/demo-label-mismatch");
    assert!(demo.verify(&[]).unwrap().demo);
});

both!(exports_round_trip, |b: &common::Backend| {
    let mut db = b.synome();
    let w = world(&mut db);
    let mut p = statement_payload("spark");
    p["statement"]["note"] = json!("spark, \"quoted\"\nline");
    let s = put(
        &mut db,
        &w.operator,
        Draft::new(
            Kind::SettlementStatement,
            "prime:spark",
            t(10),
            Provenance::SystemDerived,
            p,
        )
        .epoch(ep("2026-01-05")),
    );
    let mut jl = Vec::new();
    assert_eq!(db.export_jsonl(&mut jl).unwrap(), 4);
    let text = String::from_utf8(jl).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3]["id"], s.id.to_string());
    assert_eq!(lines[3]["store_prev"], lines[2]["id"]);
    assert_eq!(lines[3]["synome"], lines[0]["id"]);
    assert_eq!(
        lines[3]["payload"]["statement"]["note"],
        "spark, \"quoted\"\nline"
    );
    let mut csvb = Vec::new();
    db.export_csv(&mut csvb).unwrap();
    let mut rdr = csv::Reader::from_reader(csvb.as_slice());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, laniakea_synome::CSV_HEADER);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[3][0], s.id.to_string());
    let payload: Value = serde_json::from_str(&rows[3][14]).unwrap();
    assert_eq!(payload["statement"]["note"], "spark, \"quoted\"\nline");
});

both!(concurrent_writers, |b: &common::Backend| {
    {
        let mut db = b.synome();
        let w = world(&mut db);
        put(
            &mut db,
            &w.council,
            grant("reporter", &demo_writer("reporter", Role::Reporter), 3),
        );
    }
    // Two writers with different keys, and two "processes" with the same key, at the same
    // time. The store chain serialises them: a writer that loses a race re-reads the heads
    // and re-signs (`Synome::write`), and nothing is lost, forked or duplicated.
    let per = 40;
    let run = |label: &'static str, role: Role, make: fn(usize, &str) -> Draft, tag: &str| {
        let mut db = b.synome();
        let w = demo_writer(label, role);
        for i in 0..per {
            loop {
                match db.write(&w, vec![make(i, tag)]) {
                    Ok(v) => {
                        assert!(matches!(v[0], Appended::Stored { .. }));
                        break;
                    }
                    Err(e) if e.is_retryable() => continue,
                    Err(e) => panic!("non-retryable error under concurrency: {e}"),
                }
            }
        }
    };
    fn stmt(i: usize, tag: &str) -> Draft {
        // Both processes of the same key share one clock (created_at may not go backwards).
        let mut d = stmt_draft("2026-01-05", "spark", 100);
        d.payload["statement"]["n"] = json!(format!("{tag}{i}"));
        d
    }
    fn report(i: usize, tag: &str) -> Draft {
        Draft::new(
            Kind::PrimeReport,
            "prime:spark",
            t(100 + i as u64),
            Provenance::SystemDerived,
            json!({"prime": "spark", "summary": {"n": i, "tag": tag}}),
        )
    }
    std::thread::scope(|s| {
        let a = s.spawn(|| run("operator", Role::Operator, stmt, "a"));
        let b2 = s.spawn(|| run("reporter", Role::Reporter, report, "r"));
        let c = s.spawn(|| run("operator", Role::Operator, stmt, "b"));
        a.join().unwrap();
        b2.join().unwrap();
        c.join().unwrap();
    });
    let mut db = b.synome();
    assert_eq!(count(&mut db), 4 + 3 * per as u64);
    let v = db.verify(&[]).unwrap();
    assert!(v.is_ok(), "chains intact after concurrent appends: {v:?}");
});

both!(
    verify_refuses_a_store_that_does_not_exist,
    |b: &common::Backend| {
        use laniakea_synome::postgres::PgStore;
        use laniakea_synome::sqlite::SqliteStore;
        match b {
            common::Backend::Sqlite(p, _) => {
                let missing = p.with_file_name("mistyped.db");
                let e = SqliteStore::open(missing.to_str().unwrap()).err().unwrap();
                assert_eq!(e.code(), "store/not-found", "{e}");
                assert!(!missing.exists(), "opening created nothing");
                // a file that is not a Synome
                let other = p.with_file_name("other.db");
                rusqlite::Connection::open(&other)
                    .unwrap()
                    .execute_batch("CREATE TABLE x (a INT)")
                    .unwrap();
                let e = SqliteStore::open(other.to_str().unwrap()).err().unwrap();
                assert_eq!(e.code(), "store/not-found", "{e}");
            }
            common::Backend::Postgres(url, schema) => {
                let e = PgStore::connect(url, &format!("{schema}_mistyped"))
                    .err()
                    .unwrap();
                assert_eq!(e.code(), "store/not-found", "{e}");
            }
        }
        // an initialised but empty store verifies as empty, not as "ok"
        let rep = b.synome().verify(&[]).unwrap();
        assert_eq!(rep.records, 0);
        assert_eq!(rep.synome, None);
    }
);

both!(
    verify_names_a_column_of_the_wrong_type,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        put(&mut db, &w.operator, stmt_draft("2026-01-05", "spark", 5));
        match b {
            common::Backend::Sqlite(..) => {
                b.exec("UPDATE records SET created_at = 'yesterday' WHERE seq = 3");
                let bad = b.synome().verify(&[]).unwrap().first_bad.unwrap();
                assert_eq!(bad.seq, 3);
                assert_eq!(bad.code, "store/corrupt-row");
                assert!(bad.reason.contains("created_at"), "{bad:?}");
            }
            common::Backend::Postgres(..) => {
                b.exec("ALTER TABLE records ALTER COLUMN created_at TYPE text");
                let bad = b.synome().verify(&[]).unwrap().first_bad.unwrap();
                assert_eq!(bad.seq, 1);
                assert_eq!(bad.code, "store/corrupt-row");
                assert!(bad.reason.contains("created_at"), "{bad:?}");
            }
        }
    }
);

// ---- the tamper suite ----------------------------------------------------------------------
//
// An attacker who owns the database: constraints dropped, any row edited, deleted, reordered
// or inserted. Every case must be detected by `verify`, naming the first bad row — except
// truncating the tail after the last checkpoint, which is detectable only against a checkpoint
// id held outside the store (the auditor's anchor, `verify --checkpoint ID`).

enum Expect {
    /// `verify` names the row at this position.
    BadAt(i64),
    /// Tail truncation: undetectable from the store alone; detected with the anchor.
    TailNeedsAnchor,
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn upper_one_hex(s: &str) -> Option<String> {
    let i = s[2..].find(|c: char| ('a'..='f').contains(&c))? + 2;
    let mut out = s.to_string();
    out.replace_range(i..=i, &s[i..=i].to_uppercase());
    Some(out)
}

/// Changes the first letter or digit after the opening brace (digit + 1, or the other case):
/// still JSON, different content.
fn change_one_char(s: &str) -> String {
    let (i, c) = s
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_alphanumeric())
        .unwrap();
    let new = if c.is_ascii_digit() {
        char::from(b'0' + (c as u8 - b'0' + 1) % 10)
    } else if c.is_ascii_lowercase() {
        c.to_ascii_uppercase()
    } else {
        c.to_ascii_lowercase()
    };
    let mut out = s.to_string();
    out.replace_range(i..i + 1, &new.to_string());
    out
}

fn flip_last_hex(s: &str) -> String {
    let mut out = s.to_string();
    let last = out.pop().unwrap();
    out.push(if last == '0' { '1' } else { '0' });
    out
}

const DATA_COLUMNS: &str = "id, synome, fact, kind, schema_version, epoch, subject, author, role, created_at, provenance, payload, prev, store_prev, supersedes, signature";

fn tamper_suite(b: &common::Backend) {
    let mut db = b.synome();
    let w = world(&mut db);
    let s1 = put(&mut db, &w.operator, stmt_draft("2026-01-05", "spark", 10));
    let s2 = put(
        &mut db,
        &w.operator,
        stmt_draft("2026-01-06", "spark", 11).supersedes(s1.id),
    );
    let p = put(&mut db, &w.operator, penalty_draft("spark", "2.1", 12));
    put(&mut db, &w.council, forgive_draft("spark", p.id, "1", 13));
    put(
        &mut db,
        &w.checker,
        Draft::new(
            Kind::VerificationReport,
            "global",
            t(14),
            Provenance::SystemDerived,
            json!({"findings": [{"check": "statement", "status": "ok"}]}),
        )
        .epoch(ep("2026-01-06")),
    );
    let d = checkpoint_draft(&mut db, "2026-01-06", 15);
    let cp = put(&mut db, &w.operator, d);
    let n = count(&mut db) as i64;
    assert_eq!(n, 9);
    assert!(db.verify(&[cp.id]).unwrap().is_ok());
    assert!(db.store().get(s2.id).unwrap().unwrap().supersedes.is_some());

    // A record of another Synome (same keys, other genesis), to smuggle in.
    let other = common::sqlite();
    let mut odb = other.synome();
    let ow = world_named(&mut odb, "another deployment");
    let foreign = put(
        &mut odb,
        &ow.operator,
        stmt_draft("2026-01-05", "spark", 10),
    );
    let frow = odb.store().get(foreign.id).unwrap().unwrap();

    // The attacker owns the database: drop every constraint, keep a pristine copy.
    b.exec(
        "CREATE TABLE pristine AS SELECT * FROM records;
         CREATE TABLE r2 AS SELECT * FROM records;
         DROP TABLE records;
         ALTER TABLE r2 RENAME TO records;",
    );

    let mut cases: Vec<(String, String, Expect)> = Vec::new();
    // every single-field edit of every record, including case and prefix changes of every hex
    // column: each is named at that record
    let rows: Vec<_> = (1..=n)
        .map(|k| {
            let id = b.query_strings(&format!("SELECT id FROM records WHERE seq = {k}"));
            db.store().get(id[0].parse().unwrap()).unwrap().unwrap()
        })
        .collect();
    for row in &rows {
        let k = row.seq;
        let edit = |col: &str, value: String| {
            format!("UPDATE records SET {col} = {value} WHERE seq = {k}")
        };
        let mut push = |what: String, sql: String, at: i64| {
            cases.push((format!("position {k}: {what}"), sql, Expect::BadAt(at)));
        };
        let mut hex_cols: Vec<(&str, &str)> = vec![
            ("id", &row.id),
            ("synome", &row.synome),
            ("fact", &row.fact),
            ("author", &row.author),
            ("prev", &row.prev),
            ("store_prev", &row.store_prev),
            ("signature", &row.signature),
        ];
        match row.supersedes.as_deref() {
            Some(sup) => {
                hex_cols.push(("supersedes", sup));
                push(
                    "supersedes removed".into(),
                    edit("supersedes", "NULL".into()),
                    k,
                );
            }
            None => push(
                "supersedes added".into(),
                edit("supersedes", sql_text(&rows[0].id)),
                k,
            ),
        }
        for (col, v) in hex_cols {
            if let Some(u) = upper_one_hex(v) {
                push(
                    format!("{col}: upper-case one hex digit"),
                    edit(col, sql_text(&u)),
                    k,
                );
            }
            push(
                format!("{col}: no 0x prefix"),
                edit(col, sql_text(&v[2..])),
                k,
            );
            push(
                format!("{col}: another value"),
                edit(col, sql_text(&flip_last_hex(v))),
                k,
            );
        }
        let other_kind = if row.kind == "skip" {
            "incident"
        } else {
            "skip"
        };
        push("kind".into(), edit("kind", sql_text(other_kind)), k);
        push(
            "schema_version".into(),
            edit("schema_version", "2".into()),
            k,
        );
        match row.epoch {
            Some(_) => {
                push(
                    "epoch: another".into(),
                    edit("epoch", "'2026-01-09'".into()),
                    k,
                );
                push(
                    "epoch: not canonical".into(),
                    edit("epoch", "'2026-1-06'".into()),
                    k,
                );
                push("epoch: removed".into(), edit("epoch", "NULL".into()), k);
            }
            None => push(
                "epoch: added".into(),
                edit("epoch", "'2026-01-09'".into()),
                k,
            ),
        }
        let other_subject = if row.subject == "prime:grove" {
            "global"
        } else {
            "prime:grove"
        };
        push(
            "subject".into(),
            edit("subject", sql_text(other_subject)),
            k,
        );
        let other_role = if row.role == "checker" {
            "operator"
        } else {
            "checker"
        };
        push("role".into(), edit("role", sql_text(other_role)), k);
        push(
            "created_at".into(),
            edit("created_at", "created_at + 1".into()),
            k,
        );
        let other_prov = if row.provenance == "system-derived" {
            "governance-directed"
        } else {
            "system-derived"
        };
        push(
            "provenance".into(),
            edit("provenance", sql_text(other_prov)),
            k,
        );
        push(
            "payload: one character".into(),
            edit("payload", sql_text(&change_one_char(&row.payload))),
            k,
        );
        push(
            "payload: not canonical".into(),
            edit("payload", "' ' || payload".into()),
            k,
        );
        push(
            "payload: unparseable".into(),
            edit("payload", "'{'".into()),
            k,
        );
        push(
            "seq: moved past the end".into(),
            edit("seq", "100".into()),
            if k < n { k + 1 } else { 100 },
        );
    }
    // deleting any record, including each author's last one and the Council's revocation-capable
    // records; with and without renumbering the positions after it
    for k in 1..=n {
        let del = format!("DELETE FROM records WHERE seq = {k}");
        let exp = if k == n {
            Expect::TailNeedsAnchor
        } else {
            Expect::BadAt(k + 1)
        };
        cases.push((format!("delete position {k}"), del.clone(), exp));
        if k < n {
            cases.push((
                format!("delete position {k} and renumber"),
                format!("{del}; UPDATE records SET seq = seq - 1 WHERE seq > {k}"),
                Expect::BadAt(k),
            ));
        }
    }
    // swapping any two records
    for i in 1..=n {
        for j in i + 1..=n {
            cases.push((
                format!("swap positions {i} and {j}"),
                format!("UPDATE records SET seq = CASE WHEN seq = {i} THEN {j} ELSE {i} END WHERE seq IN ({i}, {j})"),
                Expect::BadAt(i),
            ));
        }
    }
    // inserting a copy of any record, at the end and right after the original
    for k in 1..=n {
        cases.push((
            format!("copy of position {k} at the end"),
            format!(
                "INSERT INTO records SELECT {}, {DATA_COLUMNS} FROM pristine WHERE seq = {k}",
                n + 1
            ),
            Expect::BadAt(n + 1),
        ));
        cases.push((
            format!("copy of position {k} after it"),
            format!("UPDATE records SET seq = seq + 1 WHERE seq > {k}; INSERT INTO records SELECT {}, {DATA_COLUMNS} FROM pristine WHERE seq = {k}", k + 1),
            Expect::BadAt(k + 1),
        ));
    }
    // inserting a record from another Synome
    let foreign_values = |seq: i64| {
        format!(
            "INSERT INTO records VALUES ({seq}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, {})",
            sql_text(&frow.id), sql_text(&frow.synome), sql_text(&frow.fact), sql_text(&frow.kind),
            frow.schema_version, sql_text(frow.epoch.as_deref().unwrap()), sql_text(&frow.subject),
            sql_text(&frow.author), sql_text(&frow.role), frow.created_at, sql_text(&frow.provenance),
            sql_text(&frow.payload), sql_text(&frow.prev), sql_text(&frow.store_prev), sql_text(&frow.signature)
        )
    };
    cases.push((
        "record of another Synome at the end".into(),
        foreign_values(n + 1),
        Expect::BadAt(n + 1),
    ));
    cases.push((
        "record of another Synome replacing position 6".into(),
        format!("DELETE FROM records WHERE seq = 6; {}", foreign_values(6)),
        Expect::BadAt(6),
    ));

    let mut detected = 0;
    for (name, sql, expect) in &cases {
        b.exec(&format!(
            "DELETE FROM records; INSERT INTO records SELECT * FROM pristine; {sql}"
        ));
        let rep = b.synome().verify(&[]).unwrap();
        match expect {
            Expect::BadAt(seq) => {
                let bad = rep
                    .first_bad
                    .unwrap_or_else(|| panic!("{}: undetected: {name}", b.name()));
                assert_eq!(
                    bad.seq,
                    *seq,
                    "{}: {name}: names the first bad row: {bad:?}",
                    b.name()
                );
                let stored = b.query_strings(&format!("SELECT id FROM records WHERE seq = {seq}"));
                assert_eq!(
                    stored,
                    vec![bad.id.clone()],
                    "{name}: the id named is that row's"
                );
            }
            Expect::TailNeedsAnchor => {
                // Checkpointing assumption: the store alone cannot show that its newest
                // records were cut off; an auditor holding the last checkpoint's id can.
                assert!(
                    rep.is_ok(),
                    "{name}: the truncated store is self-consistent: {rep:?}"
                );
                let anchored = b.synome().verify(&[cp.id]).unwrap();
                assert_eq!(anchored.missing_anchors, vec![cp.id.to_string()], "{name}");
                assert!(!anchored.is_ok());
            }
        }
        detected += 1;
    }
    eprintln!(
        "{}: tamper suite: {detected}/{} cases detected (tail truncation via the auditor's checkpoint anchor)",
        b.name(),
        cases.len()
    );
    assert_eq!(detected, cases.len());
    assert!(cases.len() >= 350, "{}", cases.len());
}

both!(tamper_suite_detects_every_case, |b: &common::Backend| {
    tamper_suite(b);
});
