//! The persistent chain (issue 14 item 4): reopen = same state; every adversarial case ends in a
//! specific, consistent outcome (the journal is a prefix of what ran, or a typed refusal naming
//! the row or rule).
#![allow(clippy::unwrap_used)]

use laniakea_chain::call::{Call, Erc20Call, Tx};
use laniakea_chain::Chain;
use laniakea_journal::testkit::{genesis, workload_tx, GENESIS_AT};
use laniakea_journal::{Genesis, JournalError, JournaledChain};
use laniakea_units::Timestamp;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Digests of the uninterrupted in-memory run after 0, 1, …, n transactions.
fn reference(n: u64) -> Vec<alloy_primitives::B256> {
    let mut c = JournaledChain::in_memory(genesis()).unwrap();
    let mut out = vec![c.digest()];
    for i in 0..n {
        let tx = workload_tx(&c, i);
        c.try_submit_tagged(tx, &format!("w#{i}")).unwrap();
        out.push(c.digest());
    }
    out
}

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

#[test]
fn reopening_replays_to_the_same_digest_head_tags_and_meta() {
    let (_d, p) = db();
    let refs = reference(40);
    let (digest, head) = {
        let mut c = run(&p, 40);
        c.meta_set("scenario", "two-primes").unwrap();
        c.meta_set("day", "2026-01-02").unwrap();
        (c.digest(), c.head())
    };
    assert_eq!(digest, refs[40]);
    let c = JournaledChain::open_sqlite(&p, genesis()).unwrap();
    assert_eq!((c.len(), c.digest(), c.head()), (40, digest, head));
    assert!(c.has_tag("w#0") && c.has_tag("w#39") && !c.has_tag("w#40"));
    assert_eq!(c.tag_row("w#7"), Some(7));
    assert_eq!(c.meta_get("day").as_deref(), Some("2026-01-02"));
    assert_eq!(c.meta_get("nope"), None);
    // Reverts are journaled (they consume a tx index and a nonce): the workload has some.
    let reverts = (0..40).filter(|i| i % 4 == 3).count();
    assert!(reverts > 0);
    assert_eq!(
        c.engine().tx_count(),
        JournaledChain::in_memory(genesis())
            .unwrap()
            .engine()
            .tx_count()
            + 40
    );
}

#[test]
fn a_kill_between_execute_and_append_leaves_the_previous_state() {
    let (_d, p) = db();
    let refs = reference(11);
    let mut c = run(&p, 10);
    assert_eq!(c.digest(), refs[10]);
    c.fail_next_append_for_test();
    let tx = workload_tx(&c, 10);
    let e = c.try_submit_tagged(tx.clone(), "w#10").unwrap_err();
    assert_eq!(e.code(), "Journal/db");
    // The handle refuses everything after that (its engine is ahead of its journal).
    let e = c.try_submit_tagged(tx.clone(), "w#10").unwrap_err();
    assert_eq!(e.code(), "Journal/poisoned");
    drop(c);
    let mut c = JournaledChain::open_sqlite(&p, genesis()).unwrap();
    assert_eq!((c.len(), c.digest()), (10, refs[10]));
    assert!(!c.has_tag("w#10"));
    c.submit_tagged(tx, "w#10").unwrap();
    assert_eq!(c.digest(), refs[11]);
}

#[test]
fn a_killed_batch_is_all_or_nothing() {
    let (_d, p) = db();
    let refs = reference(30);
    let mut c = run(&p, 10);
    let batch: Vec<_> = (10..30)
        .map(|i| (workload_tx(&c, i), format!("w#{i}")))
        .collect();
    c.fail_next_append_for_test();
    assert!(c.try_submit_batch(batch.clone()).is_err());
    drop(c);
    let mut c = JournaledChain::open_sqlite(&p, genesis()).unwrap();
    assert_eq!((c.len(), c.digest()), (10, refs[10]));
    c.try_submit_batch(batch).unwrap();
    drop(c);
    let c = JournaledChain::open_sqlite(&p, genesis()).unwrap();
    assert_eq!((c.len(), c.digest()), (30, refs[30]));
}

#[test]
fn an_edited_transaction_row_is_refused_naming_the_row() {
    let (_d, p) = db();
    drop(run(&p, 20));
    // Row 8 is a mint of 4 USDS (i % 4 == 0, 1 + 8 % 5 = 4): make it 5.
    let tx: String = Connection::open(&p)
        .unwrap()
        .query_row("SELECT tx FROM chain_journal WHERE seq = 8", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(tx.contains("\"amount\":\"4\""), "{tx}");
    sql(
        &p,
        &format!(
            "UPDATE chain_journal SET tx = '{}' WHERE seq = 8",
            tx.replace("\"amount\":\"4\"", "\"amount\":\"5\"")
        ),
    );
    let e = JournaledChain::open_sqlite(&p, genesis()).err().unwrap();
    assert!(
        matches!(&e, JournalError::ReceiptMismatch { seq: 8, tag, .. } if tag == "w#8"),
        "{e}"
    );
    assert!(e.to_string().contains("journal row 8"), "{e}");
    // Read-only opens refuse the same way.
    let e = JournaledChain::open_read_only(&p).err().unwrap();
    assert_eq!(e.code(), "Journal/receipt-mismatch");
}

#[test]
fn an_edit_that_keeps_the_receipt_is_still_caught_by_the_hash_chain() {
    let (_d, p) = db();
    drop(run(&p, 20));
    // Row 3 reverts (transfer without balance); add whitespace to its text: same receipt, other
    // bytes — the row hash covers the stored text.
    sql(&p, "UPDATE chain_journal SET tx = tx || ' ' WHERE seq = 3");
    let e = JournaledChain::open_sqlite(&p, genesis()).err().unwrap();
    assert!(
        matches!(e, JournalError::ReceiptMismatch { seq: 3, .. }),
        "{e}"
    );
}

#[test]
fn an_edited_hash_unreadable_row_or_missing_row_is_refused_naming_the_row() {
    let cases: [(&str, u64, &str); 5] = [
        ("UPDATE chain_journal SET hash = '0x' || substr(hash, 3, 63) || '0' WHERE seq = 12 AND substr(hash, 66, 1) != '0'; UPDATE chain_journal SET hash = '0x' || substr(hash, 3, 63) || '1' WHERE seq = 12 AND substr(hash, 66, 1) = '0'", 12, "Journal/receipt-mismatch"),
        ("UPDATE chain_journal SET tx = '{not json' WHERE seq = 5", 5, "Journal/corrupt-row"),
        ("UPDATE chain_journal SET tx = 42 WHERE seq = 6", 6, "Journal/corrupt-row"),
        ("UPDATE chain_journal SET tx = replace(tx, '\"v\":1', '\"v\":9') WHERE seq = 4", 4, "Journal/corrupt-row"),
        ("DELETE FROM chain_journal WHERE seq = 9", 9, "Journal/corrupt-row"),
    ];
    for (stmt, seq, code) in cases {
        let (_d, p) = db();
        drop(run(&p, 20));
        sql(&p, stmt);
        let e = JournaledChain::open_sqlite(&p, genesis()).err().unwrap();
        assert_eq!(e.code(), code, "{stmt}: {e}");
        assert!(
            e.to_string().contains(&format!("journal row {seq}")),
            "{stmt}: {e}"
        );
    }
}

#[test]
fn a_journal_truncated_at_its_end_resumes_at_that_prefix() {
    let (_d, p) = db();
    let refs = reference(25);
    drop(run(&p, 25));
    sql(&p, "DELETE FROM chain_journal WHERE seq >= 17");
    let mut c = JournaledChain::open_sqlite(&p, genesis()).unwrap();
    assert_eq!((c.len(), c.digest()), (17, refs[17]));
    // … and continues from there to the uninterrupted result.
    while c.len() < 25 {
        let i = c.len();
        let tx = workload_tx(&c, i);
        c.submit_tagged(tx, &format!("w#{i}")).unwrap();
    }
    assert_eq!(c.digest(), refs[25]);
}

#[test]
fn a_truncated_database_file_is_a_clear_error() {
    let (_d, p) = db();
    drop(run(&p, 200));
    // The WAL is checkpointed into the file when the last connection closes; cut the file.
    let len = std::fs::metadata(&p).unwrap().len();
    assert!(!Path::new(&format!("{}-wal", p.display())).exists());
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let e = JournaledChain::open_sqlite(&p, genesis()).err().unwrap();
    assert!(
        matches!(e.code(), "Journal/db" | "Journal/corrupt-row"),
        "{e}"
    );
    assert!(
        e.to_string().contains(&p.display().to_string()) || e.to_string().contains("journal row"),
        "{e}"
    );
}

#[test]
fn reopening_with_a_different_genesis_is_refused_and_changes_nothing() {
    let (_d, p) = db();
    let digest = run(&p, 5).digest();
    let other = match genesis() {
        Genesis::System { mut config, at } => {
            config.primes.pop();
            Genesis::System { config, at }
        }
        g => g,
    };
    let e = JournaledChain::open_sqlite(&p, other).err().unwrap();
    assert!(matches!(e, JournalError::GenesisMismatch { .. }), "{e}");
    assert!(e.to_string().contains("different genesis"), "{e}");
    let c = JournaledChain::open_sqlite(&p, genesis()).unwrap();
    assert_eq!((c.len(), c.digest()), (5, digest));
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_file() {
    let (_d, p) = db();
    let first = run(&p, 3);
    let e = JournaledChain::open_sqlite(&p, genesis()).err().unwrap();
    assert!(matches!(e, JournalError::Locked { .. }), "{e}");
    // Readers are fine meanwhile.
    assert_eq!(JournaledChain::open_read_only(&p).unwrap().len(), 3);
    drop(first);
    assert_eq!(JournaledChain::open_sqlite(&p, genesis()).unwrap().len(), 3);
}

#[test]
fn read_only_opens_never_create_or_write() {
    let (d, p) = db();
    let e = JournaledChain::open_read_only(&p).err().unwrap();
    assert!(matches!(e, JournalError::NotFound { .. }), "{e}");
    assert!(!p.exists());
    // A SQLite file without the chain tables (e.g. a bare Synome) is not a run database.
    let other = d.path().join("synome-only.db");
    sql(&other, "CREATE TABLE records (x INTEGER)");
    let e = JournaledChain::open_read_only(&other).err().unwrap();
    assert_eq!(e.code(), "Journal/not-a-journal", "{e}");
    drop(run(&p, 4));
    let mut c = JournaledChain::open_read_only(&p).unwrap();
    let tx = workload_tx(&c, 4);
    assert_eq!(
        c.try_submit_tagged(tx, "").unwrap_err().code(),
        "Journal/read-only"
    );
    assert_eq!(
        c.meta_set("k", "v").unwrap_err().code(),
        "Journal/read-only"
    );
    assert_eq!(JournaledChain::open_read_only(&p).unwrap().len(), 4);
}

#[test]
fn a_reused_tag_is_refused_before_anything_executes() {
    let (_d, p) = db();
    let mut c = run(&p, 3);
    let before = (c.len(), c.digest());
    let tx = workload_tx(&c, 3);
    let e = c.try_submit_tagged(tx, "w#1").unwrap_err();
    assert!(
        matches!(e, JournalError::DuplicateTag { seq: 1, .. }),
        "{e}"
    );
    assert_eq!((c.len(), c.digest()), before);
}

#[test]
fn an_engine_refusal_is_not_journaled() {
    let (_d, p) = db();
    let mut c = run(&p, 3);
    let before = (c.len(), c.digest());
    let mut tx = workload_tx(&c, 3);
    tx.at = Timestamp(GENESIS_AT.0);
    let e = c.submit(tx).unwrap_err();
    assert!(e.to_string().contains("time never goes backwards"), "{e}");
    assert_eq!((c.len(), c.digest()), before);
    drop(c);
    let c = JournaledChain::open_sqlite(&p, genesis()).unwrap();
    assert_eq!((c.len(), c.digest()), before);
}

#[test]
fn a_script_genesis_persists_and_resumes() {
    let (_d, p) = db();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/pau-basic.jsonl"
    ))
    .unwrap();
    let g = Genesis::Script { text };
    let mut c = JournaledChain::open_sqlite(&p, g.clone()).unwrap();
    let usds = c
        .names()
        .iter()
        .find(|(n, _)| n.contains("usds"))
        .map(|(_, a)| *a)
        .unwrap();
    let from = *c.names().values().next().unwrap();
    let tx = Tx {
        from,
        at: c.now(),
        call: Call::Erc20(
            usds,
            Erc20Call::Approve {
                spender: from,
                amount: laniakea_units::Wad::ZERO,
            },
        ),
    };
    c.submit_tagged(tx, "a").unwrap();
    let d = c.digest();
    drop(c);
    let c = JournaledChain::open_sqlite(&p, g.clone()).unwrap();
    assert_eq!((c.len(), c.digest(), c.genesis()), (1, d, &g));
}

#[test]
fn in_memory_and_sqlite_chains_agree() {
    let (_d, p) = db();
    let refs = reference(12);
    assert_eq!(run(&p, 12).digest(), refs[12]);
    let mut m = JournaledChain::in_memory(genesis()).unwrap();
    assert_eq!(m.digest(), refs[0]);
    let tx = workload_tx(&m, 0);
    m.submit(tx).unwrap();
    assert_eq!((m.len(), m.digest()), (1, refs[1]));
}

#[test]
fn warps_are_journaled_and_replayed() {
    let (_d, p) = db();
    let mut c = run(&p, 4);
    let later = Timestamp(c.now().0 + 86_400);
    c.warp(later).unwrap();
    c.warp(later).unwrap(); // same time: nothing to journal
    assert_eq!(c.len(), 5);
    let e = c.warp(Timestamp(later.0 - 1)).unwrap_err();
    assert!(e.to_string().contains("time never goes backwards"), "{e}");
    let (digest, len) = (c.digest(), c.len());
    drop(c);
    let c = JournaledChain::open_sqlite(&p, genesis()).unwrap();
    assert_eq!((c.len(), c.digest(), c.now()), (len, digest, later));
    drop(c);
    sql(
        &p,
        &format!(
            "UPDATE chain_journal SET tx = '{{\"v\":1,\"warp\":{}}}' WHERE seq = 4",
            later.0 + 1
        ),
    );
    let e = JournaledChain::open_sqlite(&p, genesis()).err().unwrap();
    assert!(
        matches!(e, JournalError::ReceiptMismatch { seq: 4, .. }),
        "{e}"
    );
}
