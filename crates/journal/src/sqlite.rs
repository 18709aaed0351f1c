//! The SQLite journal store: the chain's tables in a run's database file, beside the Synome's.
//!
//! Contract: tables `chain_genesis` (one row: format, kind, body, genesis digest),
//! `chain_journal` (`seq` from 0 without gaps, optional unique `tag`, the transaction's wire
//! text, the row hash) and `run_meta` (key → value). WAL with `synchronous = FULL`: a committed
//! append survives a crash or power loss. Every append is one `BEGIN IMMEDIATE` transaction
//! (one or more rows); a row number or tag already present is another writer
//! ([`JournalError::ConcurrentWriter`]). A writer holds an exclusive advisory lock on the sidecar
//! file `<db>.lock` for its lifetime (released by the OS when the process dies, even by
//! SIGKILL), so a second writer is refused at open. The read-only open never creates a file and
//! never writes. Columns are read by storage class; a wrong one is a corrupt row naming its seq.

use crate::backend::{check_format, check_seq, parse_hash, Backend, GenesisRow, Row};
use crate::error::JournalError;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS chain_genesis (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chain_journal (
    seq INTEGER PRIMARY KEY,
    tag TEXT UNIQUE,
    tx TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

pub(crate) struct SqliteJournal {
    conn: Connection,
    path: String,
    /// The writer lock (`None` for a read-only open).
    _lock: Option<File>,
}

impl SqliteJournal {
    fn db(&self, e: rusqlite::Error) -> JournalError {
        db_err(&self.path, e)
    }
}

fn db_err(path: &str, e: rusqlite::Error) -> JournalError {
    let message = match &e {
        rusqlite::Error::SqliteFailure(f, _) => {
            format!("{e} (SQLite result code {})", f.extended_code)
        }
        _ => e.to_string(),
    };
    JournalError::Db {
        backend: "SQLite",
        location: path.to_string(),
        message,
    }
}

fn configure(conn: &Connection, path: &str) -> Result<(), JournalError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| db_err(path, e))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .map_err(|e| db_err(path, e))
}

impl SqliteJournal {
    /// Opens `path` for writing, creating the file and the tables if absent; takes the lock.
    pub fn open_writer(path: &Path) -> Result<SqliteJournal, JournalError> {
        let p = path.display().to_string();
        let lock_path = format!("{p}.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| JournalError::Db {
                backend: "SQLite",
                location: p.clone(),
                message: format!("cannot open the writer lock {lock_path}: {e}"),
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(JournalError::Locked {
                    path: p,
                    lock: lock_path,
                })
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(JournalError::Db {
                    backend: "SQLite",
                    location: p,
                    message: format!("cannot take the writer lock {lock_path}: {e}"),
                })
            }
        }
        let conn = Connection::open(path).map_err(|e| db_err(&p, e))?;
        configure(&conn, &p)?;
        conn.execute_batch(SCHEMA).map_err(|e| db_err(&p, e))?;
        Ok(SqliteJournal {
            conn,
            path: p,
            _lock: Some(lock),
        })
    }

    /// Opens an existing run database without creating or writing anything.
    pub fn open_read_only(path: &Path) -> Result<SqliteJournal, JournalError> {
        let p = path.display().to_string();
        if !path.is_file() {
            return Err(JournalError::NotFound { path: p });
        }
        // Read-write without CREATE: never creates the database file, and reads a WAL database
        // whatever state its `-wal`/`-shm` files are in; only SELECTs run on it.
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db_err(&p, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| db_err(&p, e))?;
        let has: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('chain_genesis', 'chain_journal', 'run_meta')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| db_err(&p, e))?;
        if has != 3 {
            return Err(JournalError::NotAJournal { path: p });
        }
        Ok(SqliteJournal {
            conn,
            path: p,
            _lock: None,
        })
    }
}

impl Backend for SqliteJournal {
    fn location(&self) -> &str {
        &self.path
    }

    fn genesis(&mut self) -> Result<Option<GenesisRow>, JournalError> {
        let row = self
            .conn
            .query_row(
                "SELECT format, kind, body, digest FROM chain_genesis WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.db(e))?;
        let Some((format, kind, body, digest)) = row else {
            return Ok(None);
        };
        check_format(&self.path, format)?;
        let digest = digest.parse().map_err(|_| JournalError::Genesis {
            reason: format!(
                "{}: stored genesis row: digest '{digest}' is not 32-byte hex",
                self.path
            ),
        })?;
        Ok(Some(GenesisRow {
            format,
            kind,
            body,
            digest,
        }))
    }

    fn put_genesis(&mut self, g: &GenesisRow) -> Result<(), JournalError> {
        self.conn
            .execute(
                "INSERT INTO chain_genesis (id, format, kind, body, digest) VALUES (1, ?1, ?2, ?3, ?4)",
                params![g.format, g.kind, g.body, g.digest.to_string()],
            )
            .map_err(|e| self.db(e))?;
        Ok(())
    }

    fn for_each_row(
        &mut self,
        f: &mut dyn FnMut(Row) -> Result<(), JournalError>,
    ) -> Result<(), JournalError> {
        let mut st = self
            .conn
            .prepare("SELECT seq, tag, tx, hash FROM chain_journal ORDER BY seq")
            .map_err(|e| self.db(e))?;
        let mut rows = st.query([]).map_err(|e| self.db(e))?;
        let mut expected: u64 = 0;
        while let Some(r) = rows.next().map_err(|e| self.db(e))? {
            let seq = match r.get_ref(0).map_err(|e| self.db(e))? {
                ValueRef::Integer(i) => u64::try_from(i).map_err(|_| JournalError::CorruptRow {
                    seq: expected,
                    reason: format!("seq {i} is negative"),
                })?,
                v => {
                    return Err(JournalError::CorruptRow {
                        seq: expected,
                        reason: format!("seq is {:?}, not an integer", v.data_type()),
                    })
                }
            };
            check_seq(expected, seq)?;
            let corrupt = |col: &str, want: &str, got: &ValueRef<'_>| JournalError::CorruptRow {
                seq,
                reason: format!("column `{col}` is {:?}, expected {want}", got.data_type()),
            };
            let text = |i: usize, col: &str| -> Result<Option<String>, JournalError> {
                match r.get_ref(i).map_err(|e| self.db(e))? {
                    ValueRef::Null => Ok(None),
                    ValueRef::Text(t) => String::from_utf8(t.to_vec())
                        .map(Some)
                        .map_err(|_| corrupt(col, "UTF-8 text", &ValueRef::Text(t))),
                    v => Err(corrupt(col, "text", &v)),
                }
            };
            let tag = text(1, "tag")?;
            let tx = text(2, "tx")?.ok_or_else(|| corrupt("tx", "text", &ValueRef::Null))?;
            let hash_text =
                text(3, "hash")?.ok_or_else(|| corrupt("hash", "text", &ValueRef::Null))?;
            let hash = parse_hash(seq, "hash", &hash_text)?;
            f(Row { seq, tag, tx, hash })?;
            expected += 1;
        }
        Ok(())
    }

    fn append(&mut self, rows: &[Row]) -> Result<(), JournalError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_err(&path, e))?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO chain_journal (seq, tag, tx, hash) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(|e| db_err(&path, e))?;
            for r in rows {
                let seq = i64::try_from(r.seq).map_err(|_| JournalError::CorruptRow {
                    seq: r.seq,
                    reason: "row number beyond 2^63".into(),
                })?;
                st.execute(params![seq, r.tag, r.tx, r.hash.to_string()])
                    .map_err(|e| match &e {
                        rusqlite::Error::SqliteFailure(f, _)
                            if f.code == ErrorCode::ConstraintViolation =>
                        {
                            JournalError::ConcurrentWriter { seq: r.seq }
                        }
                        _ => db_err(&path, e),
                    })?;
            }
        }
        tx.commit().map_err(|e| db_err(&path, e))
    }

    fn meta_all(&mut self) -> Result<BTreeMap<String, String>, JournalError> {
        let mut st = self
            .conn
            .prepare("SELECT key, value FROM run_meta ORDER BY key")
            .map_err(|e| self.db(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.db(e))?;
        let mut out = BTreeMap::new();
        for r in rows {
            let (k, v) = r.map_err(|e| self.db(e))?;
            out.insert(k, v);
        }
        Ok(out)
    }

    fn meta_set_many(&mut self, entries: &[(&str, &str)]) -> Result<(), JournalError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_err(&path, e))?;
        for (key, value) in entries {
            tx.execute(
                "INSERT INTO run_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(|e| db_err(&path, e))?;
        }
        tx.commit().map_err(|e| db_err(&path, e))
    }
}

/// The tables of an existing SQLite file that make it a database of something else: `Some(its
/// tables)` when the file holds tables but no `chain_genesis` (e.g. a Synome store written by
/// `synome demo`), `None` for an absent or empty file or a run database. Reads only: never
/// creates the file, never writes.
pub(crate) fn foreign_tables(path: &Path) -> Result<Option<Vec<String>>, JournalError> {
    let p = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() > 0 => {}
        _ => return Ok(None),
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| db_err(&p, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| db_err(&p, e))?;
    let mut st = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .map_err(|e| db_err(&p, e))?;
    let names: Vec<String> = st
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(|e| db_err(&p, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| db_err(&p, e))?;
    if names.is_empty() || names.iter().any(|n| n == "chain_genesis") {
        return Ok(None);
    }
    Ok(Some(names))
}
