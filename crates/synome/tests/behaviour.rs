//! The behavioural suite: the same tests against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;
use alloy_primitives::B256;
use laniakea_settlement::EpochId;
use laniakea_synome::{
    Appended, Kind, Provenance, Query, Role, SignedRecord, Signer, Store, Synome, SynomeError,
    Writer,
};
use laniakea_units::Timestamp;
use serde_json::json;

type Db = Synome<Box<dyn Store + Send>>;

struct World {
    council: Writer,
    operator: Writer,
    checker: Writer,
}

fn e(s: &str) -> Option<EpochId> {
    Some(EpochId::parse(s).unwrap())
}

fn t(s: u64) -> Timestamp {
    Timestamp(1_767_600_000 + s)
}

fn statement_payload(prime: &str) -> serde_json::Value {
    json!({"prime": prime, "total_wad": "505.609589041095890411", "direction": "prime-pays-generator",
           "input_digest": format!("{}", B256::repeat_byte(7)), "statement": {"max_debt_fees_wad": "547.945205479452054794"}})
}

/// Genesis by the Core Council, then role grants for an operator and a checker.
fn world(db: &mut Db) -> World {
    let mut council = Writer::at(Signer::demo("core-council"), Role::CoreCouncil, B256::ZERO);
    let operator = Writer::at(Signer::demo("operator"), Role::Operator, B256::ZERO);
    let checker = Writer::at(Signer::demo("checker"), Role::Checker, B256::ZERO);
    let g = council
        .record(
            Kind::Genesis,
            None,
            "global",
            t(0),
            Provenance::GovernanceDirected,
            json!({"core_council": council.signer.address(), "deployment": "test"}),
            None,
        )
        .unwrap();
    let a = council
        .record(
            Kind::RoleGrant,
            None,
            "global",
            t(1),
            Provenance::GovernanceDirected,
            json!({"role": "operator", "address": operator.signer.address()}),
            None,
        )
        .unwrap();
    let b = council
        .record(
            Kind::RoleGrant,
            None,
            "global",
            t(2),
            Provenance::GovernanceDirected,
            json!({"role": "checker", "address": checker.signer.address()}),
            None,
        )
        .unwrap();
    db.append_batch(&[g, a, b]).unwrap();
    World {
        council,
        operator,
        checker,
    }
}

/// The operator's settlement statement for `prime` in `epoch` at `t(at)`.
fn stmt(
    w: &mut Writer,
    epoch: &str,
    prime: &str,
    at: u64,
    supersedes: Option<B256>,
) -> Result<SignedRecord, SynomeError> {
    w.record(
        Kind::SettlementStatement,
        e(epoch),
        &format!("prime:{prime}"),
        t(at),
        Provenance::SystemDerived,
        statement_payload(prime),
        supersedes,
    )
}

fn count(db: &mut Db) -> u64 {
    db.store().count().unwrap()
}

both!(appends_and_queries, |b: &common::Backend| {
    let mut db = b.synome();
    let mut w = world(&mut db);
    let s1 = stmt(&mut w.operator, "2026-01-05", "spark", 10, None).unwrap();
    let s2 = stmt(&mut w.operator, "2026-01-05", "grove", 11, None).unwrap();
    let s3 = stmt(&mut w.operator, "2026-01-06", "spark", 90_000, Some(s1.id)).unwrap();
    let r = db
        .append_batch(&[s1.clone(), s2.clone(), s3.clone()])
        .unwrap();
    assert!(r.iter().all(|x| matches!(x, Appended::Stored { .. })));
    let v = w
        .checker
        .record(
            Kind::VerificationReport,
            e("2026-01-05"),
            "global",
            t(12),
            Provenance::SystemDerived,
            json!({"findings": [{"check": "statement", "status": "ok", "subject": "prime:spark"}]}),
            None,
        )
        .unwrap();
    db.append(&v).unwrap();
    assert_eq!(count(&mut db), 7);
    // by id
    assert_eq!(db.get(s2.id).unwrap().unwrap(), s2);
    // latest of a kind for a subject
    assert_eq!(
        db.latest(Kind::SettlementStatement, "prime:spark")
            .unwrap()
            .unwrap()
            .id,
        s3.id
    );
    // by kind / epoch / time range, with paging
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
            epoch: e("2026-01-05"),
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
    // history of a subject
    assert_eq!(
        db.history("prime:spark")
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![s1.id, s3.id]
    );
    assert_eq!(db.verify().unwrap().first_bad, None);
});

both!(idempotent_append, |b: &common::Backend| {
    let mut db = b.synome();
    let mut w = world(&mut db);
    let s = stmt(&mut w.operator, "2026-01-05", "spark", 10, None).unwrap();
    assert!(matches!(db.append(&s).unwrap(), Appended::Stored { .. }));
    assert_eq!(db.append(&s).unwrap(), Appended::AlreadyStored);
    assert_eq!(
        db.append_batch(&[s.clone(), s.clone()]).unwrap(),
        vec![Appended::AlreadyStored, Appended::AlreadyStored]
    );
    assert_eq!(count(&mut db), 4);
});

both!(rejected_writes_store_nothing, |b: &common::Backend| {
    let mut db = b.synome();
    let mut w = world(&mut db);
    let n = count(&mut db);
    // unknown signer
    let mut stranger = Writer::at(Signer::demo("stranger"), Role::Operator, B256::ZERO);
    let r = stmt(&mut stranger, "2026-01-05", "spark", 5, None).unwrap();
    assert!(
        matches!(db.append(&r), Err(SynomeError::UnknownSigner { .. })),
        "{:?}",
        db.append(&r)
    );
    // wrong role for the kind: the operator writes a forgiveness
    let mut op_as_council = Writer::at(
        w.operator.signer.clone(),
        Role::CoreCouncil,
        db.head(w.operator.signer.address()).unwrap(),
    );
    let r = op_as_council
        .record(
            Kind::Skip,
            e("2026-01-10"),
            "global",
            t(5),
            Provenance::GovernanceDirected,
            json!({"epoch": "2026-01-10", "reason": "x"}),
            None,
        )
        .unwrap();
    assert!(matches!(
        db.append(&r),
        Err(SynomeError::RoleNotHeld { .. })
    ));
    let r = w
        .operator
        .record(
            Kind::Skip,
            e("2026-01-10"),
            "global",
            t(5),
            Provenance::GovernanceDirected,
            json!({"epoch": "2026-01-10", "reason": "x"}),
            None,
        )
        .unwrap();
    let err = db.append(&r).unwrap_err();
    assert!(matches!(err, SynomeError::WrongRole { .. }), "{err}");
    assert!(err.to_string().contains("may not write skip"), "{err}");
    w.operator.resync(&mut db).unwrap();
    // bad signature
    let mut r = stmt(&mut w.operator, "2026-01-05", "spark", 5, None).unwrap();
    r.signature.0[10] ^= 1;
    assert!(matches!(
        db.append(&r),
        Err(SynomeError::BadSignature { .. } | SynomeError::SignerMismatch { .. })
    ));
    w.operator.resync(&mut db).unwrap();
    // content edited after signing → id mismatch
    let mut r = stmt(&mut w.operator, "2026-01-05", "spark", 5, None).unwrap();
    r.content.created_at = t(6);
    assert!(matches!(db.append(&r), Err(SynomeError::IdMismatch { .. })));
    // broken chain: a prev that is not the author's head
    let mut forked = Writer::at(
        w.operator.signer.clone(),
        Role::Operator,
        B256::repeat_byte(9),
    );
    let r = stmt(&mut forked, "2026-01-05", "spark", 5, None).unwrap();
    assert!(matches!(
        db.append(&r),
        Err(SynomeError::BrokenChain { .. })
    ));
    // payload that does not fit its kind
    w.operator.resync(&mut db).unwrap();
    let r = w
        .operator
        .record(
            Kind::PaymentReceipt,
            e("2026-01-05"),
            "prime:spark",
            t(5),
            Provenance::SystemDerived,
            json!({"prime": "spark", "amount_wad": "-1"}),
            None,
        )
        .unwrap();
    assert!(matches!(db.append(&r), Err(SynomeError::Payload { .. })));
    // a second genesis
    w.council.resync(&mut db).unwrap();
    let r = w
        .council
        .record(
            Kind::Genesis,
            None,
            "global",
            t(5),
            Provenance::GovernanceDirected,
            json!({"core_council": w.council.signer.address(), "deployment": "again"}),
            None,
        )
        .unwrap();
    assert!(matches!(
        db.append(&r),
        Err(SynomeError::GenesisExists { .. })
    ));
    // forgiveness must name a penalty event
    w.council.resync(&mut db).unwrap();
    let r = w.council.record(Kind::Forgiveness, e("2026-01-05"), "prime:spark", t(5), Provenance::GovernanceDirected, json!({"penalty": format!("{}", B256::repeat_byte(3)), "amount_wad": "1", "rationale": "x"}), None).unwrap();
    assert!(matches!(
        db.append(&r),
        Err(SynomeError::BadReference { .. })
    ));
    // a batch with one bad record stores none of it
    w.operator.resync(&mut db).unwrap();
    let good = stmt(&mut w.operator, "2026-01-05", "spark", 5, None).unwrap();
    let bad = stmt(&mut stranger, "2026-01-05", "spark", 5, None).unwrap();
    assert!(db.append_batch(&[good, bad]).is_err());
    assert_eq!(count(&mut db), n, "nothing stored by any rejected write");
    assert_eq!(db.verify().unwrap().first_bad, None);
});

both!(
    no_genesis_no_writes_and_revocation,
    |b: &common::Backend| {
        let mut db = b.synome();
        let mut op = Writer::at(Signer::demo("operator"), Role::Operator, B256::ZERO);
        let r = stmt(&mut op, "2026-01-05", "spark", 5, None).unwrap();
        assert!(matches!(db.append(&r), Err(SynomeError::NoGenesis { .. })));
        let mut w = world(&mut db);
        let s = stmt(&mut w.operator, "2026-01-05", "spark", 5, None).unwrap();
        db.append(&s).unwrap();
        let rev = w
            .council
            .record(
                Kind::RoleRevoke,
                None,
                "global",
                t(6),
                Provenance::GovernanceDirected,
                json!({"role": "operator", "address": w.operator.signer.address()}),
                None,
            )
            .unwrap();
        db.append(&rev).unwrap();
        let s = stmt(&mut w.operator, "2026-01-05", "spark", 7, None).unwrap();
        assert!(matches!(
            db.append(&s),
            Err(SynomeError::UnknownSigner { .. })
        ));
        // Forgiveness that names a real penalty event is accepted and leaves the penalty unchanged.
        let mut ops2 = Writer::at(Signer::demo("operator-2"), Role::Operator, B256::ZERO);
        let g = w
            .council
            .record(
                Kind::RoleGrant,
                None,
                "global",
                t(8),
                Provenance::GovernanceDirected,
                json!({"role": "operator", "address": ops2.signer.address()}),
                None,
            )
            .unwrap();
        let p = ops2.record(Kind::PenaltyEvent, e("2026-01-05"), "prime:spark", t(9), Provenance::SystemDerived, json!({"prime": "spark", "obligation": "2026-01-05/spark/1", "amount_wad": "2.1", "from": 1767628800, "to": 1767646800}), None).unwrap();
        let f = w.council.record(Kind::Forgiveness, e("2026-01-06"), "prime:spark", t(10), Provenance::GovernanceDirected, json!({"penalty": p.id.to_string(), "amount_wad": "0.7", "rationale": "onboarding incident"}), None).unwrap();
        db.append_batch(&[g, p.clone(), f]).unwrap();
        assert_eq!(db.get(p.id).unwrap().unwrap(), p);
        assert_eq!(db.verify().unwrap().first_bad, None);
    }
);

fn tamper_case(b: &common::Backend, sql: &str, expect: &str) {
    let mut db = b.synome();
    let mut w = world(&mut db);
    let s = stmt(&mut w.operator, "2026-01-05", "spark", 10, None).unwrap();
    let s2 = stmt(&mut w.operator, "2026-01-05", "grove", 11, None).unwrap();
    db.append_batch(&[s.clone(), s2]).unwrap();
    assert_eq!(db.verify().unwrap().first_bad, None);
    b.exec(&sql.replace("{ID}", &s.id.to_string()));
    let report = b.synome().verify().unwrap();
    let bad = report.first_bad.expect("tampering detected");
    assert_eq!(
        bad.id,
        s.id.to_string(),
        "names the tampered record: {bad:?}"
    );
    assert!(bad.reason.contains(expect), "{bad:?}");
}

both!(tamper_payload_byte, |b: &common::Backend| {
    // One byte of the payload: '5' of 505.6… becomes '6'.
    tamper_case(
        b,
        "UPDATE records SET payload = replace(payload, '\"505.', '\"605.') WHERE id = '{ID}'",
        "does not match the hash",
    );
});

both!(tamper_signature_byte, |b: &common::Backend| {
    tamper_case(
        b,
        "UPDATE records SET signature = substr(signature, 1, 20) || (CASE WHEN substr(signature, 21, 1) = 'a' THEN 'b' ELSE 'a' END) || substr(signature, 22) WHERE id = '{ID}'",
        "sign",
    );
});

both!(tamper_prev_hash, |b: &common::Backend| {
    tamper_case(
        b,
        "UPDATE records SET prev = '0x1111111111111111111111111111111111111111111111111111111111111111' WHERE id = '{ID}'",
        "hash",
    );
});

both!(exports_round_trip, |b: &common::Backend| {
    let mut db = b.synome();
    let mut w = world(&mut db);
    let s = w
        .operator
        .record(
            Kind::SettlementStatement,
            e("2026-01-05"),
            "prime:spark",
            t(10),
            Provenance::SystemDerived,
            statement_payload("spark, \"quoted\""),
            None,
        )
        .unwrap();
    db.append(&s).unwrap();
    let mut jl = Vec::new();
    assert_eq!(db.export_jsonl(&mut jl).unwrap(), 4);
    let text = String::from_utf8(jl).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3]["id"], s.id.to_string());
    assert_eq!(lines[3]["payload"]["prime"], "spark, \"quoted\"");
    let mut csvb = Vec::new();
    db.export_csv(&mut csvb).unwrap();
    let mut rdr = csv::Reader::from_reader(csvb.as_slice());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[3][0], s.id.to_string());
    let payload: serde_json::Value = serde_json::from_str(&rows[3][12]).unwrap();
    assert_eq!(payload["prime"], "spark, \"quoted\"");
});

both!(concurrent_writers, |b: &common::Backend| {
    {
        let mut db = b.synome();
        let _ = world(&mut db);
        let mut c = Writer::new(&mut db, Signer::demo("core-council"), Role::CoreCouncil).unwrap();
        let g = c
            .record(
                Kind::RoleGrant,
                None,
                "global",
                t(3),
                Provenance::GovernanceDirected,
                json!({"role": "reporter", "address": Signer::demo("reporter").address()}),
                None,
            )
            .unwrap();
        db.append(&g).unwrap();
    }
    // Two writers with different keys, and two "processes" with the same key, at the same time.
    let per = 40;
    let run = |label: &'static str,
               role: Role,
               kind: Kind,
               payload: fn(usize, &str) -> serde_json::Value,
               tag: &str| {
        let mut db = b.synome();
        let mut w = Writer::new(&mut db, Signer::demo(label), role).unwrap();
        let mut conflicts = 0;
        let mut i = 0;
        while i < per {
            let r = w
                .record(
                    kind,
                    e("2026-01-05"),
                    "prime:spark",
                    t(100 + i as u64),
                    Provenance::SystemDerived,
                    payload(i, tag),
                    None,
                )
                .unwrap();
            match db.append(&r) {
                Ok(_) => i += 1,
                Err(err) if err.is_retryable() => {
                    conflicts += 1;
                    w.resync(&mut db).unwrap();
                }
                Err(err) => panic!("non-retryable error under concurrency: {err:?}"),
            }
        }
        conflicts
    };
    let stmt = |i: usize, tag: &str| json!({"prime": format!("{tag}{i}"), "total_wad": "1", "direction": "prime-pays-generator", "input_digest": format!("{}", B256::repeat_byte(1)), "statement": {}});
    let report = |i: usize, tag: &str| json!({"prime": tag, "summary": {"n": i}});
    let (c1, c2, c3) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            run(
                "operator",
                Role::Operator,
                Kind::SettlementStatement,
                stmt,
                "a",
            )
        });
        let b2 = s.spawn(|| {
            run(
                "reporter",
                Role::Reporter,
                Kind::PrimeReport,
                report,
                "spark",
            )
        });
        let c = s.spawn(|| {
            run(
                "operator",
                Role::Operator,
                Kind::SettlementStatement,
                stmt,
                "b",
            )
        });
        (a.join().unwrap(), b2.join().unwrap(), c.join().unwrap())
    });
    let mut db = b.synome();
    assert_eq!(count(&mut db), 4 + 3 * per as u64);
    let v = db.verify().unwrap();
    assert_eq!(v.first_bad, None, "chains intact after concurrent appends");
    eprintln!(
        "same-key conflicts retried: {}, different-key conflicts: {}",
        c1 + c3,
        c2
    );
    assert_eq!(c2, 0, "a writer with its own key never conflicts");
});

both!(tamper_unparseable_row, |b: &common::Backend| {
    tamper_case(
        b,
        "UPDATE records SET payload = '{' WHERE id = '{ID}'",
        "not JSON",
    );
});

both!(tamper_author_column, |b: &common::Backend| {
    // Re-attributing a record to another address breaks its hash and its signature.
    tamper_case(b, "UPDATE records SET author = '0x0000000000000000000000000000000000000001' WHERE id = '{ID}'", "does not match the hash");
});
