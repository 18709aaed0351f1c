//! Adversarial tests (h17attack): hand edits of the SQLite journal must be refused on reopen
//! with an error naming the row, never silently yield a different state or resume point.
#![allow(clippy::unwrap_used)]

use laniakea_journal::testkit::{genesis, workload_tx};
use laniakea_journal::JournaledChain;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

fn run(path: &Path, n: u64) -> JournaledChain {
    let mut c = JournaledChain::open_sqlite(path, genesis()).unwrap();
    while c.len() < n {
        let i = c.len();
        let tx = workload_tx(&c, i);
        c.submit_tagged(tx, &format!("w#{i}")).unwrap();
    }
    c
}

fn db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("run.db");
    (dir, p)
}

fn sql(path: &Path, stmt: &str) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(stmt).unwrap();
}

fn open_err(p: &Path) -> String {
    match JournaledChain::open_sqlite(p, genesis()) {
        Ok(c) => format!("OPENED len={} digest={}", c.len(), c.digest()),
        Err(e) => format!("{} {e}", e.code()),
    }
}

#[test]
fn swapping_two_rows_is_refused_naming_a_row() {
    let (_d, p) = db();
    drop(run(&p, 20));
    sql(
        &p,
        "UPDATE chain_journal SET seq = -1 WHERE seq = 6;
         UPDATE chain_journal SET seq = 6 WHERE seq = 7;
         UPDATE chain_journal SET seq = 7 WHERE seq = -1;",
    );
    let e = open_err(&p);
    assert!(e.contains("journal row 6"), "{e}");
}

#[test]
fn deleting_the_first_row_is_refused_naming_row_0() {
    let (_d, p) = db();
    drop(run(&p, 10));
    sql(&p, "DELETE FROM chain_journal WHERE seq = 0");
    let e = open_err(&p);
    assert!(
        e.contains("Journal/corrupt-row") && e.contains("journal row 0"),
        "{e}"
    );
}

#[test]
fn an_appended_row_with_a_forged_hash_is_refused_naming_it() {
    let (_d, p) = db();
    drop(run(&p, 10));
    // Copy row 9's transaction as row 10 (a replayed duplicate) with a made-up hash.
    sql(
        &p,
        "INSERT INTO chain_journal (seq, tag, tx, hash) SELECT 10, 'forged', tx, '0x' || substr('1111111111111111111111111111111111111111111111111111111111111111', 1, 64) FROM chain_journal WHERE seq = 9",
    );
    let e = open_err(&p);
    assert!(e.contains("journal row 10"), "{e}");
}

#[test]
fn a_row_appended_after_a_gap_is_refused() {
    let (_d, p) = db();
    drop(run(&p, 10));
    sql(
        &p,
        "INSERT INTO chain_journal (seq, tag, tx, hash) SELECT 12, NULL, tx, hash FROM chain_journal WHERE seq = 9",
    );
    let e = open_err(&p);
    assert!(
        e.contains("Journal/corrupt-row") && e.contains("journal row 10"),
        "{e}"
    );
}

#[test]
fn a_deleted_genesis_row_is_refused_by_read_only_opens() {
    let (_d, p) = db();
    drop(run(&p, 10));
    sql(&p, "DELETE FROM chain_genesis");
    let e = JournaledChain::open_read_only(&p).err().unwrap();
    assert!(e.to_string().contains(p.to_str().unwrap()), "{e}");
    // A writer with the same genesis re-stores it and the rows still verify against it (same
    // state); with another genesis the first row's hash fails.
    let c = JournaledChain::open_sqlite(&p, genesis()).unwrap();
    assert_eq!(c.len(), 10);
}

#[test]
fn an_edited_genesis_body_or_digest_is_refused() {
    for stmt in [
        "UPDATE chain_genesis SET body = replace(body, '\"grove\"', '\"grovx\"')",
        "UPDATE chain_genesis SET digest = '0x' || substr('2222222222222222222222222222222222222222222222222222222222222222', 1, 64)",
        "UPDATE chain_genesis SET kind = 'script'",
    ] {
        let (_d, p) = db();
        drop(run(&p, 10));
        sql(&p, stmt);
        let e = open_err(&p);
        assert!(!e.starts_with("OPENED"), "{stmt}: {e}");
        // Read-only opens must refuse as well.
        let r = JournaledChain::open_read_only(&p);
        assert!(r.is_err(), "{stmt}: read-only open accepted it");
    }
}

/// Tags decide what a resumed run skips, yet the row hash does not cover them: renaming a tag
/// (or clearing it) is accepted silently, and a resumed run would then execute the tagged action
/// a second time.
#[test]
fn an_edited_tag_is_refused_naming_the_row() {
    for stmt in [
        "UPDATE chain_journal SET tag = 'w#x' WHERE seq = 4",
        "UPDATE chain_journal SET tag = NULL WHERE seq = 4",
    ] {
        let (_d, p) = db();
        drop(run(&p, 10));
        sql(&p, stmt);
        let e = open_err(&p);
        assert!(e.contains("journal row 4"), "{stmt}: {e}");
    }
}

#[test]
fn an_edited_run_meta_value_is_refused() {
    let (_d, p) = db();
    {
        let mut c = run(&p, 5);
        c.meta_set("seed", "3").unwrap();
    }
    sql(&p, "UPDATE run_meta SET value = '4' WHERE key = 'seed'");
    let e = open_err(&p);
    assert!(!e.starts_with("OPENED"), "{e}");
}

#[test]
fn a_file_that_is_not_sqlite_is_a_clear_error_and_is_not_overwritten() {
    let (_d, p) = db();
    std::fs::write(
        &p,
        b"hello, this is not a database at all, just text\n".repeat(200),
    )
    .unwrap();
    let before = std::fs::read(&p).unwrap();
    let e = open_err(&p);
    assert!(!e.starts_with("OPENED"), "{e}");
    assert!(e.contains(p.to_str().unwrap()), "names the file: {e}");
    assert_eq!(std::fs::read(&p).unwrap(), before, "file untouched");
}

#[test]
fn an_empty_file_opened_read_only_is_refused_and_left_empty() {
    let (_d, p) = db();
    std::fs::write(&p, b"").unwrap();
    assert!(JournaledChain::open_read_only(&p).is_err());
    assert_eq!(std::fs::metadata(&p).unwrap().len(), 0);
}

#[test]
fn reopening_a_completed_journal_twice_changes_nothing() {
    let (_d, p) = db();
    let (len, digest, head) = {
        let c = run(&p, 15);
        (c.len(), c.digest(), c.head())
    };
    for _ in 0..2 {
        let c = run(&p, 15);
        assert_eq!((c.len(), c.digest(), c.head()), (len, digest, head));
    }
    let n: i64 = Connection::open(&p)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM chain_journal", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 15);
}
