//! PostgreSQL-only behaviour for a shared deployment: a read-only auditor role, paging while
//! rows commit, TLS, and the server's own error messages. Skipped (visibly) without
//! DATABASE_URL; failing when it is set but unreachable.
#![allow(clippy::unwrap_used)]

mod common;
use laniakea_synome::postgres::PgStore;
use laniakea_synome::store::RawRow;
use laniakea_synome::{
    Appended, Draft, Kind, Provenance, Query, Role, Signer, Store, StoreError, Synome, SynomeError,
    Writer,
};
use laniakea_units::EpochId;
use laniakea_units::Timestamp;
use serde_json::json;
use std::sync::mpsc;

fn pg(test: &str) -> Option<(common::Backend, String, String)> {
    let b = common::postgres(test)?;
    let (url, schema) = match &b {
        common::Backend::Postgres(u, s) => (u.clone(), s.clone()),
        common::Backend::Sqlite(..) => unreachable!("common::postgres returns PostgreSQL"),
    };
    Some((b, url, schema))
}

fn demo(label: &str, role: Role) -> Writer {
    Writer::new(Signer::demo(label), role)
}

/// A demo Synome with an operator, and `n` statements.
fn populate(db: &mut Synome<Box<dyn Store + Send>>, n: usize) -> Writer {
    let council = demo("core-council", Role::CoreCouncil);
    let op = demo("operator", Role::Operator);
    let mut tip = db.tip().unwrap();
    let recs = council
        .seal(
            &mut tip,
            vec![
                Draft::new(Kind::Genesis, "global", Timestamp(1), Provenance::GovernanceDirected,
                    json!({"core_council": council.signer.address(), "deployment": "pg", "demo_key": "core-council"})),
                Draft::new(Kind::RoleGrant, "global", Timestamp(2), Provenance::GovernanceDirected,
                    json!({"role": "operator", "address": op.signer.address(), "demo_key": "operator"})),
            ],
        )
        .unwrap();
    db.append_batch(&recs).unwrap();
    let drafts = (0..n).map(|i| receipt(i, "setup")).collect();
    db.write(&op, drafts).unwrap();
    op
}

fn receipt(i: usize, tag: &str) -> Draft {
    Draft::new(
        Kind::PaymentReceipt,
        "prime:spark",
        Timestamp(1_767_628_800),
        Provenance::SystemDerived,
        json!({"prime": "spark", "payer": "prime", "tx": format!("{tag}-{i}"), "amount_wad": "1.5", "paid_at": 1_767_628_000, "obligation": "2026-01-05/spark/1"}),
    )
    .epoch(EpochId::parse("2026-01-05").unwrap())
}

/// The URL of the same server and database for another role (trust or peer auth locally).
fn url_as(url: &str, role: &str) -> String {
    let cfg: postgres::Config = url.parse().unwrap();
    let host = match &cfg.get_hosts()[0] {
        postgres::config::Host::Tcp(h) => h.clone(),
        #[allow(unreachable_patterns)]
        _ => "localhost".into(),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    let db = cfg.get_dbname().unwrap_or("postgres");
    format!("postgres://{role}@{host}:{port}/{db}")
}

#[test]
fn read_only_role_verifies_exports_and_queries() {
    let Some((b, url, schema)) = pg("read_only_role") else {
        return;
    };
    let mut db = b.synome();
    populate(&mut db, 20);
    let role = format!("synome_ro_{}", std::process::id());
    b.exec(&format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN;
         GRANT USAGE ON SCHEMA {schema} TO {role};
         GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role};"
    ));
    let ro_url = url_as(&url, &role);
    let result = std::panic::catch_unwind(|| {
        // Connecting runs no DDL and takes no lock: the read-only role can open the store.
        let mut ro = Synome::new(PgStore::connect(&ro_url, &schema).unwrap());
        let rep = ro.verify(&[]).unwrap();
        assert!(rep.is_ok(), "{rep:?}");
        assert_eq!(rep.records, 22);
        let mut out = Vec::new();
        assert_eq!(ro.export_jsonl(&mut out).unwrap(), 22);
        let mut csv = Vec::new();
        assert_eq!(ro.export_csv(&mut csv).unwrap(), 22);
        let (page, _) = ro
            .list(&Query {
                kind: Some(Kind::PaymentReceipt),
                limit: 5,
                ..Query::default()
            })
            .unwrap();
        assert_eq!(page.len(), 5);
        assert!(ro
            .latest(Kind::PaymentReceipt, "prime:spark")
            .unwrap()
            .is_some());
        // Writing is refused by the server, and its message and SQLSTATE come through.
        let op = demo("operator", Role::Operator);
        let err = ro.write(&op, vec![receipt(99, "ro")]).unwrap_err();
        match &err {
            SynomeError::Store(StoreError::Db {
                sqlstate, message, ..
            }) => {
                assert_eq!(sqlstate.as_deref(), Some("42501"), "{err}");
                assert!(message.contains("permission denied"), "{err}");
            }
            other => panic!("expected the server's refusal, got {other:?}"),
        }
        assert_eq!(err.code(), "store/db");
        // `init` as the read-only role cannot create anything either.
        assert!(PgStore::init(&ro_url, &format!("{schema}_x")).is_err());
    });
    b.exec(&format!(
        "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role};
         REVOKE ALL ON SCHEMA {schema} FROM {role}; DROP ROLE {role};"
    ));
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

/// A writer holds the store's write lock with an uncommitted row while another writer tries
/// to append and a reader pages: the reader's cursor never passes a row that commits later,
/// so paging loses nothing.
#[test]
fn paging_never_skips_a_row_that_commits_later() {
    let Some((b, url, schema)) = pg("paging_order") else {
        return;
    };
    let mut db = b.synome();
    let op = populate(&mut db, 6);
    let n = db.store().count().unwrap() as i64;
    let mut tip = db.tip().unwrap();
    let slow = op.seal_one(&mut tip, receipt(0, "slow")).unwrap();
    let (locked_tx, locked_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (seen, b_seq) = std::thread::scope(|s| {
        let (url2, schema2) = (url.clone(), schema.clone());
        let slow2 = slow.clone();
        let a = s.spawn(move || {
            let mut store = PgStore::connect(&url2, &schema2).unwrap();
            let mut tx = store.begin().unwrap();
            let head = tx.lock_head().unwrap().unwrap();
            let payload = laniakea_synome::canonical::to_canonical(&slow2.content.payload).unwrap();
            let row =
                RawRow::from_record(&slow2, head.0 + 1, slow2.content.fact().unwrap(), payload);
            tx.insert(&[row]).unwrap();
            locked_tx.send(head.0 + 1).unwrap();
            go_rx.recv().unwrap();
            tx.commit().unwrap();
        });
        let a_seq = locked_rx.recv().unwrap();
        assert_eq!(a_seq, n + 1);
        // A second writer, started after the first, cannot commit ahead of it.
        let other = b.open();
        let op2 = op.clone();
        let writer_b = s.spawn(move || {
            let mut db = Synome::new(other);
            match db.write(&op2, vec![receipt(0, "fast")]).unwrap()[0] {
                Appended::Stored { seq } => seq,
                a => panic!("{a:?}"),
            }
        });
        // The reader pages through what is committed.
        let mut reader = b.synome();
        let mut seen: Vec<i64> = Vec::new();
        let mut cursor = 0;
        loop {
            let page = reader
                .store()
                .list(&Query {
                    after: cursor,
                    limit: 3,
                    ..Query::default()
                })
                .unwrap();
            seen.extend(page.rows.iter().map(|r| r.seq));
            if let Some(last) = page.rows.last() {
                cursor = last.seq;
            }
            if page.next.is_none() {
                break;
            }
        }
        assert_eq!(
            cursor, n,
            "nothing past the uncommitted position is visible"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
        go_tx.send(()).unwrap();
        a.join().unwrap();
        let b_seq = writer_b.join().unwrap();
        // The reader resumes from its cursor.
        loop {
            let page = reader
                .store()
                .list(&Query {
                    after: cursor,
                    limit: 3,
                    ..Query::default()
                })
                .unwrap();
            seen.extend(page.rows.iter().map(|r| r.seq));
            if let Some(last) = page.rows.last() {
                cursor = last.seq;
            }
            if page.next.is_none() {
                break;
            }
        }
        (seen, b_seq)
    });
    assert_eq!(
        b_seq,
        n + 2,
        "the later writer is positioned after the earlier one"
    );
    assert_eq!(
        seen,
        (1..=n + 2).collect::<Vec<_>>(),
        "every row, once, in order"
    );
    let rep = b.synome().verify(&[]).unwrap();
    assert!(rep.is_ok(), "{rep:?}");
    assert_eq!(
        b.synome().get(slow.id).unwrap().map(|r| r.id),
        Some(slow.id)
    );
}

#[test]
fn tls_with_sslmode_require() {
    let Some((b, url, schema)) = pg("tls") else {
        return;
    };
    let mut db = b.synome();
    populate(&mut db, 3);
    let sep = if url.contains('?') { '&' } else { '?' };
    let tls_url = format!("{url}{sep}sslmode=require");
    let mut store = match PgStore::connect(&tls_url, &schema) {
        Ok(s) => s,
        Err(e) if e.to_string().contains("does not support TLS") => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: the PostgreSQL server at DATABASE_URL does not offer TLS; TLS test not executed ({e})"
            );
            return;
        }
        Err(e) => panic!("TLS connection failed: {e}"),
    };
    let encrypted: bool = store
        .client()
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(encrypted, "the session is encrypted");
    let mut db = Synome::new(store);
    let rep = db.verify(&[]).unwrap();
    assert!(rep.is_ok() && rep.records == 5, "{rep:?}");
}

#[test]
fn server_errors_keep_message_and_sqlstate() {
    let Some((_b, url, _schema)) = pg("errors") else {
        return;
    };
    let bad = url_as(&url, "synome_no_such_role_for_sure");
    let e = PgStore::connect(&bad, "public").err().unwrap();
    let text = e.to_string();
    assert!(text.contains("SQLSTATE 28000"), "{text}");
    assert!(text.contains("synome_no_such_role_for_sure"), "{text}");
    assert!(!text.ends_with("db error"), "{text}");
}
