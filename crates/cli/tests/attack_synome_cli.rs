//! `laniakea synome verify` as an auditor reads it, against stores changed outside the tool:
//! it never prints "ok" when it fails, says why an anchor fails, and names a hidden row.
#![allow(clippy::unwrap_used)]

mod common;
use common::laniakea;

fn demo_store(dir: &tempfile::TempDir) -> String {
    let db = dir.path().join("s.db").to_str().unwrap().to_string();
    assert_eq!(laniakea(&["synome", "--db", &db, "demo"]).0, 0);
    db
}

fn latest_id(db: &str, kind: &str, subject: &str) -> String {
    let (_, out, _) = laniakea(&["synome", "--db", db, "latest", kind, subject]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn verify_with_a_missing_checkpoint_never_prints_ok() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(&dir);
    let cp = latest_id(&db, "checkpoint", "global");
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute("DELETE FROM records WHERE id = ?1", [&cp])
        .unwrap();
    drop(c);
    let (code, out, _) = laniakea(&["synome", "--db", &db, "verify", "--checkpoint", &cp]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains(&format!("MISSING checkpoint {cp}")), "{out}");
    assert!(
        !out.lines().any(|l| l.starts_with("ok")),
        "a failing verify printed an ok line: {out}"
    );
}

#[test]
fn verify_says_an_anchor_that_is_not_a_checkpoint_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(&dir);
    let st = latest_id(&db, "settlement-statement", "prime:grove");
    let (code, out, _) = laniakea(&["synome", "--db", &db, "verify", "--checkpoint", &st]);
    assert_eq!(code, 4, "{out}");
    assert!(
        !out.contains("truncated"),
        "a present record named as an anchor is not a truncation: {out}"
    );
    assert!(out.contains(&format!("NOT A CHECKPOINT {st}")), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("ok")), "{out}");
}

#[test]
fn verify_that_stops_at_a_bad_record_does_not_call_a_later_checkpoint_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(&dir);
    let cp = latest_id(&db, "checkpoint", "global");
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute(
        "UPDATE records SET subject = 'prime:evil' WHERE seq = 4",
        [],
    )
    .unwrap();
    drop(c);
    let (code, out, _) = laniakea(&["synome", "--db", &db, "verify", "--checkpoint", &cp]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("BAD record at position 4"), "{out}");
    assert!(
        !out.contains("truncated"),
        "the checkpoint is there, verification stopped before it: {out}"
    );
    assert!(out.contains(&format!("UNCHECKED checkpoint {cp}")), "{out}");
}

#[test]
fn verify_names_a_row_hidden_below_position_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(&dir);
    let c = rusqlite::Connection::open(&db).unwrap();
    // A copy of a record with a fresh id and fact, placed where no page reaches.
    let fake = format!("0x{}", "ab".repeat(32));
    c.execute_batch(&format!(
        "PRAGMA ignore_check_constraints = ON;
         INSERT INTO records SELECT 0, '{fake}', synome, '{fake}', kind, schema_version, epoch, subject, author, role, created_at, provenance, payload, '{fake}', store_prev, supersedes, signature FROM records WHERE seq = 4;"
    ))
    .unwrap();
    drop(c);
    let (code, out, _) = laniakea(&["synome", "--db", &db, "get", &fake]);
    assert_eq!(code, 0, "the tool serves the hidden row: {out}");
    let (code, out, _) = laniakea(&["synome", "--db", &db, "verify"]);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains(&format!(
            "BAD record at position 0 id {fake} [synome/position-gap]"
        )),
        "{out}"
    );
}
