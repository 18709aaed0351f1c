//! SQLite store: a single file, zero set-up (the default).
//!
//! Contract: [`SqliteStore::open`] opens an *existing*, initialised store and never creates a
//! file (a mistyped path is [`StoreError::NotFound`]); [`SqliteStore::create`] creates and
//! initialises one (`laniakea synome init`). WAL journal with `synchronous = FULL` (a committed
//! append survives a crash); write transactions are `BEGIN IMMEDIATE`, which is the store's
//! write lock: concurrent writers queue on it (busy timeout 5 s, then a retryable error).
//! Columns are read by their SQLite storage class: a value of the wrong type (SQLite lets a
//! hand-edited row hold one) is a [`StoreError::Corrupt`] naming the row and column.

use crate::record::Kind;
use crate::store::*;
use alloy_primitives::{Address, B256};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;

pub struct SqliteStore {
    conn: Connection,
    path: String,
}

fn db(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
        {
            StoreError::Busy(e.to_string())
        }
        rusqlite::Error::SqliteFailure(f, _) => StoreError::Db {
            backend: "SQLite",
            sqlstate: None,
            message: format!("{e} (SQLite result code {})", f.extended_code),
        },
        _ => StoreError::Db {
            backend: "SQLite",
            sqlstate: None,
            message: e.to_string(),
        },
    }
}

/// Reads one row; a column of the wrong storage class names the row and the column.
fn row(r: &rusqlite::Row<'_>) -> Result<RawRow, StoreError> {
    let seq = match r.get_ref(0).map_err(db)? {
        ValueRef::Integer(i) => Some(i),
        _ => None,
    };
    let id = match r.get_ref(1).map_err(db)? {
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        _ => String::new(),
    };
    let corrupt = |i: usize, want: &str, got: &ValueRef<'_>| StoreError::Corrupt {
        seq: seq.unwrap_or(0),
        id: id.clone(),
        column: COLUMN_NAMES[i],
        reason: format!("expected {want}, found {:?}", got.data_type()),
    };
    let opt_text = |i: usize| -> Result<Option<String>, StoreError> {
        match r.get_ref(i).map_err(db)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => String::from_utf8(t.to_vec())
                .map(Some)
                .map_err(|_| corrupt(i, "UTF-8 text", &ValueRef::Text(t))),
            v => Err(corrupt(i, "text", &v)),
        }
    };
    let text = |i: usize| -> Result<String, StoreError> {
        opt_text(i)?.ok_or_else(|| corrupt(i, "text", &ValueRef::Null))
    };
    let int = |i: usize| -> Result<i64, StoreError> {
        match r.get_ref(i).map_err(db)? {
            ValueRef::Integer(n) => Ok(n),
            v => Err(corrupt(i, "integer", &v)),
        }
    };
    Ok(RawRow {
        seq: int(0)?,
        id: text(1)?,
        synome: text(2)?,
        fact: text(3)?,
        kind: text(4)?,
        schema_version: int(5)?,
        epoch: opt_text(6)?,
        subject: text(7)?,
        author: text(8)?,
        role: text(9)?,
        created_at: int(10)?,
        provenance: text(11)?,
        payload: text(12)?,
        prev: text(13)?,
        store_prev: text(14)?,
        supersedes: opt_text(15)?,
        signature: text(16)?,
    })
}

fn rows(
    st: &mut rusqlite::CachedStatement<'_>,
    p: impl rusqlite::Params,
) -> Result<Vec<RawRow>, StoreError> {
    let mut q = st.query(p).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = q.next().map_err(db)? {
        out.push(row(r)?);
    }
    Ok(out)
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db)?;
    // 64 MiB page cache: the id/fact/author-chain indexes have random keys.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;",
    )
    .map_err(db)
}

impl SqliteStore {
    /// Opens the existing, initialised store at `path`. Never creates a file.
    pub fn open(path: &str) -> Result<SqliteStore, StoreError> {
        if !std::path::Path::new(path).is_file() {
            return Err(StoreError::NotFound {
                location: format!("sqlite:{path}"),
                reason: "no such file".into(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db)?;
        configure(&conn)?;
        let s = SqliteStore {
            conn,
            path: path.to_string(),
        };
        s.check_version()?;
        Ok(s)
    }

    /// Creates (if missing) and initialises the store at `path`; idempotent on a current store.
    /// `:memory:` gives a throwaway one.
    pub fn create(path: &str) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(db)?;
        configure(&conn)?;
        let mut s = SqliteStore {
            conn,
            path: path.to_string(),
        };
        s.init()?;
        Ok(s)
    }

    /// Creates the schema, or checks an existing one is current (`synome init` / `migrate`).
    pub fn init(&mut self) -> Result<(), StoreError> {
        let has_records: bool = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(db)?
            > 0;
        match self.version()? {
            None if has_records => self.check_version(),
            None => {
                let tx = self.conn.transaction().map_err(db)?;
                tx.execute_batch(&schema_sql()).map_err(db)?;
                tx.execute(
                    "INSERT INTO synome_meta (key, value) VALUES ('schema_version', ?1)",
                    [SCHEMA_VERSION.to_string()],
                )
                .map_err(db)?;
                tx.commit().map_err(db)
            }
            Some(_) => self.check_version(),
        }
    }

    fn version(&self) -> Result<Option<i64>, StoreError> {
        let has_meta: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'synome_meta'",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        if has_meta == 0 {
            return Ok(None);
        }
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM synome_meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        Ok(Some(v.and_then(|v| v.parse().ok()).unwrap_or(0)))
    }

    fn check_version(&self) -> Result<(), StoreError> {
        let location = format!("sqlite:{}", self.path);
        match self.version()? {
            Some(v) if v == SCHEMA_VERSION => Ok(()),
            Some(v) => Err(StoreError::SchemaVersion {
                location,
                found: v,
                expected: SCHEMA_VERSION,
            }),
            None => {
                let has_records: i64 = self
                    .conn
                    .query_row(
                        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'",
                        [],
                        |r| r.get(0),
                    )
                    .map_err(db)?;
                if has_records > 0 {
                    Err(StoreError::SchemaVersion {
                        location,
                        found: 1,
                        expected: SCHEMA_VERSION,
                    })
                } else {
                    Err(StoreError::NotFound {
                        location,
                        reason: "the file holds no Synome schema".into(),
                    })
                }
            }
        }
    }

    /// Direct access for tests and tools (e.g. tamper tests). Not used by the Synome layer.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

struct Tx<'a>(rusqlite::Transaction<'a>);

fn head(c: &Connection) -> Result<Option<(i64, B256)>, StoreError> {
    let r: Option<(i64, String)> = c
        .prepare_cached("SELECT seq, id FROM records ORDER BY seq DESC LIMIT 1")
        .map_err(db)?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(db)?;
    r.map(|(seq, id)| Ok((seq, parse_id(seq, &id)?)))
        .transpose()
}

fn auth_rows(c: &Connection, after: i64) -> Result<Vec<RawRow>, StoreError> {
    let mut st = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM records WHERE seq > ?1 AND kind IN ('genesis', 'role-grant', 'role-revoke') ORDER BY seq"))
        .map_err(db)?;
    rows(&mut st, [after])
}

fn get(c: &Connection, id: B256) -> Result<Option<RawRow>, StoreError> {
    let mut st = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM records WHERE id = ?1"))
        .map_err(db)?;
    Ok(rows(&mut st, [id.to_string()])?.pop())
}

impl StoreTx for Tx<'_> {
    fn lock_head(&mut self) -> Result<Option<(i64, B256)>, StoreError> {
        // BEGIN IMMEDIATE already holds the write lock.
        head(&self.0)
    }
    fn genesis(&mut self) -> Result<Option<RawRow>, StoreError> {
        let mut st = self
            .0
            .prepare_cached(&format!("SELECT {COLUMNS} FROM records WHERE seq = 1"))
            .map_err(db)?;
        Ok(rows(&mut st, [])?.pop())
    }
    fn existing_facts(&mut self, facts: &[B256]) -> Result<HashMap<B256, B256>, StoreError> {
        let mut st = self
            .0
            .prepare_cached("SELECT seq, id FROM records WHERE fact = ?1")
            .map_err(db)?;
        let mut out = HashMap::new();
        for f in facts {
            let r: Option<(i64, String)> = st
                .query_row([f.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(db)?;
            if let Some((seq, id)) = r {
                out.insert(*f, parse_id(seq, &id)?);
            }
        }
        Ok(out)
    }
    fn get(&mut self, id: B256) -> Result<Option<RawRow>, StoreError> {
        get(&self.0, id)
    }
    fn author_head(&mut self, author: Address) -> Result<Option<(B256, i64)>, StoreError> {
        let r: Option<(i64, String, i64)> = self
            .0
            .prepare_cached(
                "SELECT seq, id, created_at FROM records WHERE author = ?1 ORDER BY seq DESC LIMIT 1",
            )
            .map_err(db)?
            .query_row([format!("{author:#x}")], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(db)?;
        r.map(|(seq, id, t)| Ok((parse_id(seq, &id)?, t)))
            .transpose()
    }
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError> {
        auth_rows(&self.0, after)
    }
    fn rows_of(&mut self, kind: Kind, subject: &str) -> Result<Vec<RawRow>, StoreError> {
        let mut st = self
            .0
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM records WHERE kind = ?1 AND subject = ?2 ORDER BY seq"
            ))
            .map_err(db)?;
        rows(&mut st, params![kind.as_str(), subject])
    }
    fn insert(&mut self, rs: &[RawRow]) -> Result<(), StoreError> {
        let mut st = self.0.prepare_cached(
            &format!("INSERT INTO records ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"),
        )
        .map_err(db)?;
        for r in rs {
            let res = st.execute(params![
                r.seq,
                r.id,
                r.synome,
                r.fact,
                r.kind,
                r.schema_version,
                r.epoch,
                r.subject,
                r.author,
                r.role,
                r.created_at,
                r.provenance,
                r.payload,
                r.prev,
                r.store_prev,
                r.supersedes,
                r.signature
            ]);
            match res {
                Ok(_) => {}
                Err(rusqlite::Error::SqliteFailure(f, Some(msg)))
                    if f.code == ErrorCode::ConstraintViolation && msg.contains("UNIQUE") =>
                {
                    return Err(
                        if msg.contains("records.id") || msg.contains("records.fact") {
                            StoreError::DuplicateId(r.id.clone())
                        } else {
                            StoreError::ChainConflict {
                                author: r.author.clone(),
                                prev: r.prev.clone(),
                            }
                        },
                    );
                }
                Err(e) => return Err(db(e)),
            }
        }
        Ok(())
    }
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().map_err(db)
    }
}

impl Store for SqliteStore {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        Ok(Box::new(Tx(tx)))
    }
    fn get(&mut self, id: B256) -> Result<Option<RawRow>, StoreError> {
        get(&self.conn, id)
    }
    fn latest(&mut self, kind: Kind, subject: &str) -> Result<Option<RawRow>, StoreError> {
        let mut st = self.conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM records WHERE kind = ?1 AND subject = ?2 ORDER BY seq DESC LIMIT 1"))
            .map_err(db)?;
        Ok(rows(&mut st, params![kind.as_str(), subject])?.pop())
    }
    fn list(&mut self, q: &Query) -> Result<Page, StoreError> {
        let (sql, args) = list_sql(q, |n| format!("?{n}"));
        let mut st = self.conn.prepare_cached(&sql).map_err(db)?;
        let params: Vec<Box<dyn rusqlite::ToSql>> = args
            .into_iter()
            .map(|a| -> Box<dyn rusqlite::ToSql> {
                match a {
                    QueryArg::Int(i) => Box::new(i),
                    QueryArg::Text(t) => Box::new(t),
                }
            })
            .collect();
        let rs = rows(&mut st, rusqlite::params_from_iter(params.iter()))?;
        Ok(page_from(rs, q.limit))
    }
    fn count(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
            .map_err(db)?;
        Ok(n as u64)
    }
    fn head(&mut self) -> Result<Option<(i64, B256)>, StoreError> {
        head(&self.conn)
    }
    fn author_heads(&mut self) -> Result<Vec<(Address, B256)>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT seq, author, id FROM records WHERE seq IN (SELECT MAX(seq) FROM records GROUP BY author)",
            )
            .map_err(db)?;
        let v: Vec<(i64, String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?;
        v.into_iter()
            .filter_map(|(seq, a, id)| {
                let a = a.parse::<Address>().ok()?;
                Some(parse_id(seq, &id).map(|id| (a, id)))
            })
            .collect()
    }
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError> {
        let r: Option<(i64, String)> = self
            .conn
            .prepare_cached(
                "SELECT seq, id FROM records WHERE author = ?1 ORDER BY seq DESC LIMIT 1",
            )
            .map_err(db)?
            .query_row([format!("{author:#x}")], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db)?;
        r.map(|(seq, id)| parse_id(seq, &id)).transpose()
    }
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError> {
        auth_rows(&self.conn, after)
    }
    fn unpositioned(&mut self) -> Result<Option<RawRow>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} {UNPOSITIONED_SQL}"))
            .map_err(db)?;
        Ok(rows(&mut st, [])?.pop())
    }
    fn describe(&self) -> String {
        format!("sqlite:{}", self.path)
    }
}
