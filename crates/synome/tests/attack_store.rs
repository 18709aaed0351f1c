//! Attacks on a stored Synome (independent audit of issue 8's hardening): rows `verify` might
//! not see, appends whose outcome depends on state the store no longer holds, idempotency
//! collisions that change what is in force, and the edits an attacker without the right key
//! can make. Every test runs on SQLite and PostgreSQL (schemas `syatk_…<pid>`, dropped after).
#![allow(clippy::unwrap_used)]

mod common;
use laniakea_synome::store::RawRow;
use laniakea_synome::{
    Appended, Draft, Kind, Provenance, Rejection, Role, SignedRecord, Signer, Store, Synome,
    SynomeError, Writer,
};
use laniakea_units::{EpochId, Timestamp};
use serde_json::{json, Value};

type Db = Synome<Box<dyn Store + Send>>;

/// A fresh PostgreSQL schema with this suite's own prefix, or `None` (visibly) without
/// DATABASE_URL.
fn pg(test: &str) -> Option<common::Backend> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: DATABASE_URL is not set, PostgreSQL run of `{test}` not executed"
            );
            return None;
        }
    };
    // PostgreSQL names are at most 63 bytes: a short digest of the test name keeps them apart.
    let tag = alloy_primitives::keccak256(test.as_bytes());
    let schema = format!("syatk_{}_{}", &tag.to_string()[2..14], std::process::id());
    let mut c = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let b = common::Backend::Postgres(url, schema);
    b.init();
    Some(b)
}

macro_rules! attack {
    ($(#[$m:meta])* $name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[test]
            $(#[$m])*
            fn sqlite() {
                let b = common::sqlite();
                ($body)(&b);
            }
            #[test]
            $(#[$m])*
            fn postgres() {
                if let Some(b) = pg(stringify!($name)) {
                    ($body)(&b);
                }
            }
        }
    };
}

fn t(s: u64) -> Timestamp {
    Timestamp(1_767_600_000 + s)
}

fn ep(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

fn demo(label: &str, role: Role) -> Writer {
    Writer::new(Signer::demo(label), role)
}

struct World {
    council: Writer,
    operator: Writer,
}

fn role_change(kind: Kind, role: &str, w: &Writer, at: u64, prov: Provenance) -> Draft {
    let mut p = json!({"role": role, "address": w.signer.address()});
    if kind == Kind::RoleGrant {
        p["demo_key"] = json!(w.signer.label());
    }
    Draft::new(kind, "global", t(at), prov, p)
}

/// A DEMO Synome: genesis by the Council and an operator grant.
fn world(db: &mut Db) -> World {
    let council = demo("core-council", Role::CoreCouncil);
    let operator = demo("operator", Role::Operator);
    let genesis = Draft::new(
        Kind::Genesis,
        "global",
        t(0),
        Provenance::GovernanceDirected,
        json!({"core_council": council.signer.address(), "deployment": "attack", "demo_key": "core-council"}),
    );
    let grant = role_change(
        Kind::RoleGrant,
        "operator",
        &operator,
        1,
        Provenance::GovernanceDirected,
    );
    db.write(&council, vec![genesis, grant]).unwrap();
    World { council, operator }
}

fn receipt(tag: &str, at: u64) -> Draft {
    Draft::new(
        Kind::PaymentReceipt,
        "prime:spark",
        t(at),
        Provenance::SystemDerived,
        json!({"prime": "spark", "payer": "prime", "tx": tag, "amount_wad": "1.5", "paid_at": 1_767_628_000, "obligation": "2026-01-05/spark/1"}),
    )
    .epoch(ep("2026-01-05"))
}

fn seal(db: &mut Db, w: &Writer, d: Draft) -> SignedRecord {
    let mut tip = db.tip().unwrap();
    w.seal_one(&mut tip, d).unwrap()
}

fn put(db: &mut Db, w: &Writer, d: Draft) -> SignedRecord {
    let r = seal(db, w, d);
    assert!(matches!(db.append(&r).unwrap(), Appended::Stored { .. }));
    r
}

fn rejection(r: Result<Appended, SynomeError>) -> Rejection {
    match r {
        Err(SynomeError::Rejected(x)) => x,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(q).unwrap_or_else(|| "NULL".into())
}

/// `INSERT` of a raw row with `seq` given as SQL text (may be `NULL` or `0`).
fn insert_sql(r: &RawRow, seq: &str) -> String {
    format!(
        "INSERT INTO records (seq, id, synome, fact, kind, schema_version, epoch, subject, author, role, created_at, provenance, payload, prev, store_prev, supersedes, signature) VALUES ({seq}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});",
        q(&r.id), q(&r.synome), q(&r.fact), q(&r.kind), r.schema_version, opt(&r.epoch),
        q(&r.subject), q(&r.author), q(&r.role), r.created_at, q(&r.provenance), q(&r.payload),
        q(&r.prev), q(&r.store_prev), opt(&r.supersedes), q(&r.signature)
    )
}

fn raw(r: &SignedRecord) -> RawRow {
    let h = r.content.hashes().unwrap();
    RawRow::from_record(r, 0, h.fact, h.payload)
}

/// A record signed by a key this Synome never authorised, chained nowhere in particular.
fn stray(db: &mut Db, tag: &str) -> SignedRecord {
    let mallory = demo("mallory", Role::Operator);
    seal(db, &mallory, receipt(tag, 500))
}

/// Lets rows bypass the `seq > 0` guard: SQLite's `ignore_check_constraints`, PostgreSQL's
/// `DROP CONSTRAINT` (a store owner can do both).
fn without_seq_check(b: &common::Backend, sql: &str) -> String {
    match b {
        common::Backend::Sqlite(..) => format!("PRAGMA ignore_check_constraints = ON; {sql}"),
        common::Backend::Postgres(..) => {
            format!("ALTER TABLE records DROP CONSTRAINT IF EXISTS records_seq_check; {sql}")
        }
    }
}

// ---- rows verify must not overlook ------------------------------------------------------------

attack!(
    verify_sees_a_row_hidden_below_position_one,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        put(&mut db, &w.operator, receipt("r1", 10));
        let forged = stray(&mut db, "forged");
        b.exec(&without_seq_check(b, &insert_sql(&raw(&forged), "0")));
        // The application reads the forged, unauthorised record…
        let mut db = b.synome();
        assert_eq!(db.get(forged.id).unwrap().map(|r| r.id), Some(forged.id));
        // …so verify must not say "ok" about the store that serves it.
        let rep = db.verify(&[]).unwrap();
        assert!(
            !rep.is_ok(),
            "verify passed a store holding an unverified row: {rep:?}"
        );
        let bad = rep.first_bad.unwrap();
        assert_eq!(bad.id, forged.id.to_string(), "names the hidden row");
    }
);

attack!(
    verify_sees_a_hidden_row_whose_fact_swallows_a_revocation,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        put(&mut db, &w.operator, receipt("r1", 10));
        // The revocation the Council will write (its content is predictable: chain time).
        let revoke = seal(
            &mut db,
            &w.council,
            role_change(
                Kind::RoleRevoke,
                "operator",
                &w.operator,
                20,
                Provenance::GovernanceDirected,
            ),
        );
        // A store owner plants a row carrying that fact, below position 1, unsigned garbage
        // otherwise.
        let mut row = raw(&stray(&mut db, "decoy"));
        row.fact = raw(&revoke).fact;
        b.exec(&without_seq_check(b, &insert_sql(&row, "-1")));
        let mut db = b.synome();
        let out = db.append(&revoke);
        let still_operator = db
            .auth()
            .unwrap()
            .holds(w.operator.signer.address(), Role::Operator);
        if still_operator {
            // Not stored (refused, or swallowed as "already stored"): verify must fail.
            assert!(!matches!(out, Ok(Appended::Stored { .. })), "{out:?}");
            let rep = db.verify(&[]).unwrap();
            assert!(
                !rep.is_ok(),
                "revocation swallowed by a hidden row and verify says ok: {rep:?}"
            );
        }
    }
);

// SQLite only: a non-INTEGER PRIMARY KEY admits NULL, and `CHECK (seq > 0)` passes on NULL.
#[test]
fn verify_sees_a_row_with_a_null_position_sqlite() {
    let b = common::sqlite();
    let mut db = b.synome();
    let w = world(&mut db);
    put(&mut db, &w.operator, receipt("r1", 10));
    let forged = stray(&mut db, "forged");
    b.exec(&insert_sql(&raw(&forged), "NULL"));
    let mut db = b.synome();
    let rep = db.verify(&[]).unwrap();
    assert!(!rep.is_ok(), "verify passed a NULL-position row: {rep:?}");
    let bad = rep.first_bad.unwrap();
    assert_eq!(bad.id, forged.id.to_string(), "names the row");
    assert_eq!(bad.code, "store/corrupt-row");
}

// ---- idempotency that changes what is in force --------------------------------------------------

attack!(
    revocation_equal_to_an_earlier_one_is_not_reported_stored_while_the_role_is_held,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let addr = w.operator.signer.address();
        // Grant (at genesis time + 1), revoke at T, grant again at T with the other provenance,
        // then revoke again at T: the last revocation states the same fact as the first.
        let revoke = || {
            role_change(
                Kind::RoleRevoke,
                "operator",
                &w.operator,
                5,
                Provenance::GovernanceDirected,
            )
        };
        db.write(&w.council, vec![revoke()]).unwrap();
        db.write(
            &w.council,
            vec![role_change(
                Kind::RoleGrant,
                "operator",
                &w.operator,
                5,
                Provenance::SystemDerived,
            )],
        )
        .unwrap();
        assert!(db.auth().unwrap().holds(addr, Role::Operator));
        let out = db.write(&w.council, vec![revoke()]);
        let held = db.auth().unwrap().holds(addr, Role::Operator);
        match out {
            Ok(v) => assert!(
                !held,
                "the Council's revocation came back {v:?} and the operator still holds the role"
            ),
            Err(e) => {
                assert!(held, "refused ({e}) but the role is gone anyway");
                assert!(
                    matches!(e, SynomeError::Rejected(Rejection::DuplicateFact { .. })),
                    "{e}"
                );
            }
        }
        // And the operator cannot write while the Council believes it revoked.
        if !held {
            let r = seal(&mut db, &w.operator, receipt("after-revoke", 30));
            rejection(db.append(&r));
        }
    }
);

attack!(
    write_of_a_batch_whose_first_fact_is_stored_stores_the_rest,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let a = db.write(&w.operator, vec![receipt("a", 10)]).unwrap();
        assert!(matches!(a[0], Appended::Stored { .. }));
        let out = db
            .write(&w.operator, vec![receipt("a", 10), receipt("b", 11)])
            .unwrap();
        assert!(matches!(out[0], Appended::AlreadyStored { .. }), "{out:?}");
        assert!(matches!(out[1], Appended::Stored { .. }), "{out:?}");
        assert!(db.verify(&[]).unwrap().is_ok());
    }
);

// ---- what a long-running writer remembers ------------------------------------------------------

attack!(
    append_does_not_use_a_grant_the_store_no_longer_holds,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let checker = demo("checker", Role::Checker);
        // The writer process sees the grant (its authorisation cache now holds it)…
        db.write(
            &w.council,
            vec![role_change(
                Kind::RoleGrant,
                "checker",
                &checker,
                3,
                Provenance::GovernanceDirected,
            )],
        )
        .unwrap();
        assert!(db
            .auth()
            .unwrap()
            .holds(checker.signer.address(), Role::Checker));
        // …then the store is rolled back past it (restore from an older backup, or an owner
        // deleting the tail).
        b.exec("DELETE FROM records WHERE seq = 3");
        let report = Draft::new(
            Kind::VerificationReport,
            "global",
            t(10),
            Provenance::SystemDerived,
            json!({"findings": []}),
        );
        let r = db.write(&checker, vec![report]);
        assert!(
            matches!(
                r,
                Err(SynomeError::Rejected(Rejection::UnknownSigner { .. }))
            ),
            "append authorised a record by a grant that is not in the store: {r:?}"
        );
        assert!(b.synome().verify(&[]).unwrap().is_ok());
    }
);

// ---- payloads the reader cannot read back -----------------------------------------------------

fn nested(depth: usize) -> Value {
    let mut v = json!("leaf");
    for _ in 0..depth {
        v = json!([v]);
    }
    v
}

attack!(
    payload_deeper_than_the_reader_accepts_is_refused_at_append,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let reporter = demo("reporter", Role::Reporter);
        db.write(
            &w.council,
            vec![role_change(
                Kind::RoleGrant,
                "reporter",
                &reporter,
                2,
                Provenance::GovernanceDirected,
            )],
        )
        .unwrap();
        // payload object (1) + summary (1) + `levels` arrays
        let report = |levels: usize, at: u64| {
            Draft::new(
                Kind::PrimeReport,
                "prime:spark",
                t(at),
                Provenance::SystemDerived,
                json!({"prime": "spark", "summary": {"deep": nested(levels)}}),
            )
        };
        let at_limit = laniakea_synome::record::MAX_PAYLOAD_DEPTH - 2;
        db.write(&reporter, vec![report(at_limit, 10)]).unwrap();
        let r = db.write(&reporter, vec![report(at_limit + 1, 11)]);
        assert!(
            matches!(r, Err(SynomeError::Rejected(Rejection::Payload { .. }))),
            "{r:?}"
        );
        // Far beyond serde_json's own limit (128): refused, not stored unreadable.
        let r = db.write(&reporter, vec![report(200, 12)]);
        assert!(
            matches!(r, Err(SynomeError::Rejected(Rejection::Payload { .. }))),
            "{r:?}"
        );
        let rep = db.verify(&[]).unwrap();
        assert!(rep.is_ok(), "{:?}", rep.first_bad);
        assert_eq!(rep.records, 4);
    }
);

// ---- forgiveness: no wei forgiven twice --------------------------------------------------------

fn penalty(prime: &str, amount: &str, at: u64) -> Draft {
    Draft::new(Kind::PenaltyEvent, &format!("prime:{prime}"), t(at), Provenance::SystemDerived,
        json!({"prime": prime, "obligation": format!("2026-01-05/{prime}/1"), "amount_wad": amount, "from": 1767628800, "to": 1767646800}))
    .epoch(ep("2026-01-05"))
}

fn forgive(prime: &str, penalty: &SignedRecord, amount: &str, at: u64) -> Draft {
    Draft::new(
        Kind::Forgiveness,
        &format!("prime:{prime}"),
        t(at),
        Provenance::GovernanceDirected,
        json!({"penalty": penalty.id.to_string(), "amount_wad": amount, "rationale": "r"}),
    )
    .epoch(ep("2026-01-06"))
}

attack!(
    forgiveness_may_not_supersede_one_of_another_penalty,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        for (i, other) in [(0, "spark"), (10, "grove")] {
            let pa = put(&mut db, &w.operator, penalty("spark", "10", 10 + i));
            let pb = put(&mut db, &w.operator, penalty(other, "10", 11 + i));
            let f1 = put(&mut db, &w.council, forgive("spark", &pa, "10", 12 + i));
            let f2 = seal(
                &mut db,
                &w.council,
                forgive(other, &pb, "1", 13 + i).supersedes(f1.id),
            );
            let e = rejection(db.append(&f2));
            assert!(
                matches!(e, Rejection::SupersedesOtherPenalty { .. }),
                "{other}: {e:?}"
            );
            // The penalty stays fully forgiven: a second full forgiveness is refused.
            let f3 = seal(&mut db, &w.council, forgive("spark", &pa, "10", 14 + i));
            let e = rejection(db.append(&f3));
            assert!(
                matches!(e, Rejection::ForgivenessExceedsPenalty { .. }),
                "{other}: {e:?}"
            );
        }
        assert!(db.verify(&[]).unwrap().is_ok());
    }
);

attack!(
    verify_refuses_a_forgiveness_superseding_one_of_another_penalty,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let pa = put(&mut db, &w.operator, penalty("spark", "10", 10));
        let pb = put(&mut db, &w.operator, penalty("grove", "10", 11));
        let f1 = put(&mut db, &w.council, forgive("spark", &pa, "10", 12));
        // Signed by the Council at the true head, written into the store around `append`.
        let f2 = seal(
            &mut db,
            &w.council,
            forgive("grove", &pb, "1", 13).supersedes(f1.id),
        );
        b.exec(&insert_sql(&raw(&f2), "6"));
        let mut db = b.synome();
        let f3 = seal(&mut db, &w.council, forgive("spark", &pa, "10", 14));
        b.exec(&insert_sql(&raw(&f3), "7"));
        let rep = db.verify(&[]).unwrap();
        let bad = rep
            .first_bad
            .expect("verify accepted 20 forgiven of a 10 penalty");
        assert_eq!(bad.id, f2.id.to_string(), "{bad:?}");
        assert_eq!(bad.code, "synome/supersedes-other-penalty");
    }
);

// ---- what held up ------------------------------------------------------------------------------

fn row_at(b: &common::Backend, seq: i64) -> RawRow {
    let mut db = b.synome();
    let (rows, _) = {
        let q = laniakea_synome::Query {
            after: seq - 1,
            limit: 1,
            ..Default::default()
        };
        let p = db.store().list(&q).unwrap();
        (p.rows, p.next)
    };
    rows.into_iter().next().unwrap()
}

fn update_sql(seq: i64, set: &str) -> String {
    format!("UPDATE records SET {set} WHERE seq = {seq};")
}

attack!(
    edit_with_recomputed_id_and_fact_but_no_key_is_named,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let r = put(&mut db, &w.operator, receipt("honest", 10));
        put(&mut db, &w.operator, receipt("next", 11));
        // The attacker changes the amount and recomputes everything a hash can give,
        // including the next record's store_prev link; only the signatures stay.
        let mut forged = r.clone();
        forged.content.payload["amount_wad"] = json!("1000000");
        forged.id = forged.content.id().unwrap();
        let row = raw(&forged);
        b.exec(&format!(
            "{}{}",
            update_sql(
                3,
                &format!(
                    "id = {}, fact = {}, payload = {}",
                    q(&row.id),
                    q(&row.fact),
                    q(&row.payload)
                )
            ),
            update_sql(4, &format!("store_prev = {}", q(&row.id)))
        ));
        let rep = b.synome().verify(&[]).unwrap();
        let bad = rep.first_bad.unwrap();
        assert_eq!((bad.seq, bad.id.as_str()), (3, row.id.as_str()));
        assert_eq!(bad.code, "synome/signer-mismatch");
    }
);

attack!(
    payload_text_that_parses_to_the_same_value_is_named,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        put(&mut db, &w.operator, receipt("abc", 10));
        let canonical = row_at(b, 3).payload;
        let variants = [
            canonical.replace("\"abc\"", "\"\\u0061bc\""), // escape of a plain letter
            canonical.replace("\"abc\"", "\"a\\/bc\""), // escaped solidus: "a/bc" (another value, other hash)
            canonical.replacen('{', "{ ", 1),           // white space
            canonical.replace("1767628000", "1767628000.0"), // float form of the integer
            canonical.replace("1767628000", "1.767628e9"), // exponent form
            format!(
                "{{\"tx\":\"abc\",{}",
                &canonical[1..].replace(",\"tx\":\"abc\"", "")
            ), // members out of order
            canonical.replace("\"abc\"", "\"abc\",\"tx\":\"abc\""), // a member twice
        ];
        for v in variants.iter().filter(|v| **v != canonical) {
            b.exec(&update_sql(3, &format!("payload = {}", q(v))));
            let rep = b.synome().verify(&[]).unwrap();
            let bad = rep
                .first_bad
                .unwrap_or_else(|| panic!("verify passed payload text {v}"));
            assert_eq!(bad.seq, 3, "{v}: {bad:?}");
        }
        b.exec(&update_sql(3, &format!("payload = {}", q(&canonical))));
        assert!(b.synome().verify(&[]).unwrap().is_ok());
    }
);

attack!(
    second_genesis_spliced_in_at_the_head_is_named,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        put(&mut db, &w.operator, receipt("r", 10));
        // A fresh genesis (another Council key: the schema's (author, prev) key already stops
        // the same one), appended at the head by a store owner.
        let other = demo("mallory", Role::CoreCouncil);
        let g = other
            .seal_one(
                &mut laniakea_synome::Tip::default(),
                Draft::new(
                    Kind::Genesis,
                    "global",
                    t(50),
                    Provenance::GovernanceDirected,
                    json!({"core_council": other.signer.address(), "deployment": "attack", "demo_key": "mallory"}),
                ),
            )
            .unwrap();
        let _ = w;
        b.exec(&insert_sql(&raw(&g), "4"));
        let bad = b.synome().verify(&[]).unwrap().first_bad.unwrap();
        assert_eq!((bad.seq, bad.id), (4, g.id.to_string()));
    }
);

attack!(
    revoked_key_cannot_write_at_the_head_and_a_cut_revocation_is_caught_by_an_anchor,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        put(&mut db, &w.operator, receipt("before", 10));
        put(
            &mut db,
            &w.council,
            role_change(
                Kind::RoleRevoke,
                "operator",
                &w.operator,
                20,
                Provenance::GovernanceDirected,
            ),
        );
        let cp = db
            .checkpoint(&w.council, ep("2026-01-06"), t(21))
            .unwrap()
            .0;
        let after = seal(&mut db, &w.operator, receipt("after", 30));
        assert!(matches!(
            rejection(db.append(&after)),
            Rejection::RoleNotHeld { .. } | Rejection::UnknownSigner { .. }
        ));
        // The owner cuts the revocation and the checkpoint, and splices the revoked key's record
        // in their place: self-consistent (documented as out of reach from the store alone)…
        b.exec("DELETE FROM records WHERE seq >= 4");
        let mut db = b.synome();
        let late = seal(&mut db, &w.operator, receipt("late", 30));
        b.exec(&insert_sql(&raw(&late), "4"));
        assert!(db.verify(&[]).unwrap().is_ok());
        // …and caught by the checkpoint the auditor kept.
        let rep = db.verify(&[cp]).unwrap();
        assert!(!rep.is_ok());
        assert_eq!(rep.missing_anchors, vec![cp.to_string()]);
    }
);

attack!(
    forgiveness_equal_to_a_superseded_one_is_not_reported_stored,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let p = put(&mut db, &w.operator, penalty("spark", "10", 10));
        let f1 = put(&mut db, &w.council, forgive("spark", &p, "5", 12));
        // A correction replaces it (3 forgiven in force)…
        put(
            &mut db,
            &w.council,
            forgive("spark", &p, "3", 12).supersedes(f1.id),
        );
        // …then the Council restates the first forgiveness, meaning 5 again.
        for via_write in [false, true] {
            let out = if via_write {
                db.write(&w.council, vec![forgive("spark", &p, "5", 12)])
                    .map(|mut v| v.remove(0))
            } else {
                let again = seal(&mut db, &w.council, forgive("spark", &p, "5", 12));
                db.append(&again)
            };
            assert!(
                matches!(
                    out,
                    Err(SynomeError::Rejected(Rejection::DuplicateFact { .. }))
                ),
                "a superseded forgiveness restated came back {out:?}: the Council believes 5 is forgiven, 3 is"
            );
        }
        // A retry of the forgiveness in force is still answered with the stored record.
        let again = seal(
            &mut db,
            &w.council,
            forgive("spark", &p, "3", 12).supersedes(f1.id),
        );
        assert!(matches!(
            db.append(&again).unwrap(),
            Appended::AlreadyStored { .. }
        ));
    }
);

attack!(
    a_store_that_drops_rows_at_commit_is_not_answered_stored,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        put(&mut db, &w.operator, receipt("r", 10));
        // The owner makes every revocation vanish as it is committed.
        b.exec(match b {
            common::Backend::Sqlite(..) => "CREATE TRIGGER drop_revokes AFTER INSERT ON records WHEN NEW.kind = 'role-revoke' BEGIN DELETE FROM records WHERE seq = NEW.seq; END;",
            common::Backend::Postgres(..) => "CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM records WHERE seq = NEW.seq; RETURN NULL; END $$;
                CREATE CONSTRAINT TRIGGER drop_revokes AFTER INSERT ON records DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.kind = 'role-revoke') EXECUTE FUNCTION drop_row();",
        });
        let out = db.write(
            &w.council,
            vec![role_change(
                Kind::RoleRevoke,
                "operator",
                &w.operator,
                20,
                Provenance::GovernanceDirected,
            )],
        );
        assert!(
            matches!(
                out,
                Err(SynomeError::Store(laniakea_synome::StoreError::Write(_)))
            ),
            "the Council was told {out:?} for a revocation the store does not hold"
        );
        assert!(db
            .auth()
            .unwrap()
            .holds(w.operator.signer.address(), Role::Operator));
    }
);

attack!(
    write_retry_does_not_mark_a_stale_revocation_already_stored,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let addr = w.operator.signer.address();
        let revoke = role_change(
            Kind::RoleRevoke,
            "operator",
            &w.operator,
            5,
            Provenance::GovernanceDirected,
        );
        let regrant = role_change(
            Kind::RoleGrant,
            "operator",
            &w.operator,
            5,
            Provenance::SystemDerived,
        );
        db.write(&w.council, vec![revoke.clone()]).unwrap();
        db.write(&w.council, vec![regrant.clone()]).unwrap();
        // [stored grant (in force), a new record chained after it (lost race → retry),
        //  the stale revocation]: the retry's dry run must refuse the revocation, not mark it.
        let params = Draft::new(
            Kind::ParameterSet,
            "global",
            t(6),
            Provenance::GovernanceDirected,
            json!({"effective_epoch": "2026-01-07"}),
        );
        let n = db.store().count().unwrap();
        let out = db.write(&w.council, vec![regrant, params, revoke]);
        assert!(
            matches!(
                out,
                Err(SynomeError::Rejected(Rejection::DuplicateFact { .. }))
            ),
            "{out:?}"
        );
        assert_eq!(db.store().count().unwrap(), n, "nothing stored");
        assert!(db.auth().unwrap().holds(addr, Role::Operator));
    }
);

// ---- decided: a correction keeps its subject and kind ------------------------------------------

fn statement(prime: &str, at: u64) -> Draft {
    Draft::new(
        Kind::SettlementStatement,
        &format!("prime:{prime}"),
        t(at),
        Provenance::SystemDerived,
        json!({"prime": prime, "total_wad": "1", "direction": "prime-pays-generator",
               "input_digest": format!("0x{}", "07".repeat(32)), "statement": {}}),
    )
    .epoch(ep("2026-01-05"))
}

/// The next free position of the store, as SQL text (for rows written around `append`).
fn next_seq(db: &mut Db) -> String {
    (db.store().count().unwrap() + 1).to_string()
}

attack!(
    a_correction_names_the_subject_it_corrects,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let spark = put(&mut db, &w.operator, statement("spark", 10));
        let grove = seal(
            &mut db,
            &w.operator,
            statement("grove", 11).supersedes(spark.id),
        );
        let out = db.append(&grove);
        assert!(
            out.is_err(),
            "a grove statement superseded the spark one: {out:?}"
        );
        let e = rejection(out);
        assert_eq!(e.code(), "synome/supersedes-other-subject", "{e:?}");
        // Within one batch too: the correction of a record written in the same batch.
        let mut tip = db.tip().unwrap();
        let first = w
            .operator
            .seal_one(&mut tip, statement("spark", 12))
            .unwrap();
        let cross = w
            .operator
            .seal_one(&mut tip, statement("grove", 13).supersedes(first.id))
            .unwrap();
        let n = db.store().count().unwrap();
        let e = match db.append_batch(&[first, cross]) {
            Err(SynomeError::Rejected(x)) => x,
            other => panic!("expected a rejection, got {other:?}"),
        };
        assert_eq!(e.code(), "synome/supersedes-other-subject", "{e:?}");
        assert_eq!(
            db.store().count().unwrap(),
            n,
            "nothing of the batch stored"
        );
        // What the spark statement says is still what is in force for spark.
        let latest = db
            .latest(Kind::SettlementStatement, "prime:spark")
            .unwrap()
            .unwrap();
        assert_eq!(latest.id, spark.id);
        assert!(db.verify(&[]).unwrap().is_ok());
    }
);

attack!(
    a_correction_keeps_the_kind_it_corrects,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let r = put(&mut db, &w.operator, receipt("r", 10));
        // Same author, same subject, another kind.
        let s = seal(
            &mut db,
            &w.operator,
            statement("spark", 11).supersedes(r.id),
        );
        let e = rejection(db.append(&s));
        assert_eq!(e.code(), "synome/supersedes-other-kind", "{e:?}");
        assert!(
            matches!(
                e,
                Rejection::SupersedesOtherKind {
                    kind: Kind::SettlementStatement,
                    found: Kind::PaymentReceipt,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(db.verify(&[]).unwrap().is_ok());
    }
);

attack!(
    verify_names_a_correction_of_another_subject_or_kind,
    |b: &common::Backend| {
        for (other_subject, code) in [
            (true, "synome/supersedes-other-subject"),
            (false, "synome/supersedes-other-kind"),
        ] {
            let b = match b {
                common::Backend::Sqlite(..) => common::sqlite(),
                common::Backend::Postgres(..) => pg(&format!("verify_names_a_correction_{code}"))
                    .expect("a PostgreSQL run has DATABASE_URL"),
            };
            let mut db = b.synome();
            let w = world(&mut db);
            let spark = put(&mut db, &w.operator, statement("spark", 10));
            let bad = if other_subject {
                statement("grove", 11).supersedes(spark.id)
            } else {
                receipt("r", 11).supersedes(spark.id)
            };
            // Signed by the operator at the true head, written around `append`.
            let bad = seal(&mut db, &w.operator, bad);
            b.exec(&insert_sql(&raw(&bad), &next_seq(&mut db)));
            let rep = b.synome().verify(&[]).unwrap();
            let first = rep.first_bad.expect("verify accepted the correction");
            assert_eq!(
                (first.id.as_str(), first.code.as_str()),
                (bad.id.to_string().as_str(), code)
            );
        }
    }
);

attack!(
    latest_never_returns_a_superseded_record,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let latest = |db: &mut Db| {
            db.latest(Kind::SettlementStatement, "prime:spark")
                .unwrap()
                .unwrap()
                .id
        };
        let s1 = put(&mut db, &w.operator, statement("spark", 10));
        let s2 = put(&mut db, &w.operator, statement("spark", 11));
        assert_eq!(latest(&mut db), s2.id);
        // A correction of the newest record replaces it as the latest…
        let c2 = put(
            &mut db,
            &w.operator,
            statement("spark", 12).supersedes(s2.id),
        );
        assert_eq!(latest(&mut db), c2.id);
        // …and a correction of an older one is itself the newest record (never the one it
        // superseded).
        let c1 = put(
            &mut db,
            &w.operator,
            statement("spark", 13).supersedes(s1.id),
        );
        assert_eq!(latest(&mut db), c1.id);
        // A statement about another Prime cannot take the place of spark's.
        put(&mut db, &w.operator, statement("grove", 14));
        assert_eq!(latest(&mut db), c1.id);
        // The history keeps every record, superseded ones included, oldest first; each
        // correction names what it corrects.
        let h: Vec<_> = db
            .history("prime:spark")
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.content.supersedes))
            .collect();
        assert_eq!(
            h,
            vec![
                (s1.id, None),
                (s2.id, None),
                (c2.id, Some(s2.id)),
                (c1.id, Some(s1.id))
            ]
        );
        assert!(db.verify(&[]).unwrap().is_ok());
    }
);

// ---- decided: a record is not dated before its authorisation ------------------------------------

fn grant(db: &mut Db, w: &World, who: &Writer, role: &str, at: u64) {
    db.write(
        &w.council,
        vec![role_change(
            Kind::RoleGrant,
            role,
            who,
            at,
            Provenance::GovernanceDirected,
        )],
    )
    .unwrap();
}

/// Seals `d` at the current heads and expects `append` to refuse it.
fn refused(db: &mut Db, w: &Writer, d: Draft) -> Rejection {
    let r = seal(db, w, d);
    rejection(db.append(&r))
}

fn report(at: u64) -> Draft {
    Draft::new(
        Kind::VerificationReport,
        "global",
        t(at),
        Provenance::SystemDerived,
        json!({"findings": []}),
    )
}

attack!(
    a_record_is_not_dated_before_its_authorisation,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let checker = demo("checker", Role::Checker);
        grant(&mut db, &w, &checker, "checker", 100);
        let n = db.store().count().unwrap();
        let out = db.write(
            &Writer::new(checker.signer.clone(), Role::Checker),
            vec![report(50)],
        );
        assert!(
            out.is_err(),
            "a report dated before its author's grant was stored: {out:?}"
        );
        let e = match out {
            Err(SynomeError::Rejected(x)) => x,
            other => panic!("{other:?}"),
        };
        assert_eq!(e.code(), "synome/before-authorisation", "{e:?}");
        assert!(
            matches!(e, Rejection::BeforeAuthorisation { created_at, granted_at, role: Role::Checker, .. }
                if created_at == t(50) && granted_at == t(100)),
            "{e:?}"
        );
        assert_eq!(db.store().count().unwrap(), n, "nothing stored");
    }
);

attack!(
    a_record_dated_at_its_grant_passes_one_second_earlier_fails,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let checker = demo("checker", Role::Checker);
        grant(&mut db, &w, &checker, "checker", 100);
        let early = seal(&mut db, &checker, report(99));
        let e = rejection(db.append(&early));
        assert_eq!(e.code(), "synome/before-authorisation", "{e:?}");
        let at = seal(&mut db, &checker, report(100));
        assert!(matches!(db.append(&at).unwrap(), Appended::Stored { .. }));
        // The operator, granted at t(1) in `world`, likewise.
        let e = refused(&mut db, &w.operator, receipt("r0", 0));
        assert_eq!(e.code(), "synome/before-authorisation", "{e:?}");
        put(&mut db, &w.operator, receipt("r1", 1));
        assert!(db.verify(&[]).unwrap().is_ok());
    }
);

attack!(
    verify_names_a_record_dated_before_its_authorisation,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let checker = demo("checker", Role::Checker);
        grant(&mut db, &w, &checker, "checker", 100);
        // Signed by the checker at the true head, written around `append`.
        let early = seal(&mut db, &checker, report(99));
        let seq = next_seq(&mut db);
        b.exec(&insert_sql(&raw(&early), &seq));
        let rep = b.synome().verify(&[]).unwrap();
        let bad = rep
            .first_bad
            .expect("verify accepted a report dated before its grant");
        assert_eq!(
            (bad.seq.to_string(), bad.id, bad.code.as_str()),
            (seq, early.id.to_string(), "synome/before-authorisation")
        );
    }
);

attack!(
    revocation_and_regrant_bound_the_dates_a_role_may_write,
    |b: &common::Backend| {
        let mut db = b.synome();
        let w = world(&mut db);
        let checker = demo("checker", Role::Checker);
        grant(&mut db, &w, &checker, "checker", 100);
        put(&mut db, &checker, report(100));
        // A second grant while the role is held changes nothing: the first still authorises.
        grant(&mut db, &w, &checker, "checker", 120);
        put(&mut db, &checker, report(110));
        db.write(
            &w.council,
            vec![role_change(
                Kind::RoleRevoke,
                "checker",
                &checker,
                200,
                Provenance::GovernanceDirected,
            )],
        )
        .unwrap();
        // After the revocation, nothing: dated at it, after it, or back inside the held time.
        for at in [200, 250, 150] {
            let e = refused(&mut db, &checker, report(at));
            // (The checker holds no role any more: an unknown signer.)
            assert!(
                matches!(
                    e,
                    Rejection::RoleNotHeld { .. } | Rejection::UnknownSigner { .. }
                ),
                "dated {at}: {e:?}"
            );
        }
        // Re-granted at 300: authorised from 300 on, not over the revoked gap.
        grant(&mut db, &w, &checker, "checker", 300);
        for at in [250, 299] {
            let e = refused(&mut db, &checker, report(at));
            assert_eq!(e.code(), "synome/before-authorisation", "dated {at}: {e:?}");
        }
        put(&mut db, &checker, report(300));
        assert!(db.verify(&[]).unwrap().is_ok());
    }
);
