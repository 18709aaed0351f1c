//! The PostgreSQL journal store: the same resume, lock and tamper rules as SQLite. Reads
//! DATABASE_URL: unset → SKIPPED (printed); set but unreachable → the test fails.
#![allow(clippy::unwrap_used)]

use laniakea_journal::testkit::{genesis, workload_tx};
use laniakea_journal::{JournalError, JournaledChain};

fn url_and_schema(test: &str) -> Option<(String, String)> {
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
    let schema = format!("journal_t_{test}_{}", std::process::id());
    let mut c = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    Some((url, schema))
}

#[test]
fn a_postgres_journal_resumes_refuses_a_second_writer_and_catches_an_edit() {
    let Some((url, schema)) = url_and_schema("resume") else {
        return;
    };
    let mut reference = JournaledChain::in_memory(genesis()).unwrap();
    let mut c = JournaledChain::open_postgres(&url, &schema, genesis()).unwrap();
    for i in 0..30 {
        let tx = workload_tx(&c, i);
        c.submit_tagged(tx.clone(), &format!("w#{i}")).unwrap();
        reference.submit_tagged(tx, &format!("w#{i}")).unwrap();
    }
    c.meta_set("k", "v").unwrap();
    let e = JournaledChain::open_postgres(&url, &schema, genesis())
        .err()
        .unwrap();
    assert!(matches!(e, JournalError::Locked { .. }), "{e}");
    drop(c);
    let c = JournaledChain::open_postgres(&url, &schema, genesis()).unwrap();
    assert_eq!(
        (c.len(), c.digest(), c.head()),
        (30, reference.digest(), reference.head())
    );
    assert!(c.has_tag("w#29"));
    assert_eq!(c.meta_get("k").as_deref(), Some("v"));
    drop(c);
    let mut pg = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    pg.batch_execute(&format!(
        "UPDATE {schema}.chain_journal SET tx = tx || ' ' WHERE seq = 11"
    ))
    .unwrap();
    let e = JournaledChain::open_postgres(&url, &schema, genesis())
        .err()
        .unwrap();
    assert!(
        matches!(e, JournalError::ReceiptMismatch { seq: 11, .. }),
        "{e}"
    );
    pg.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
