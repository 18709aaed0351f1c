//! SQLite store: a single file, zero set-up (the default).
//!
//! Contract: WAL journal with `synchronous = FULL` (a committed append survives a crash), write
//! transactions taken `IMMEDIATE` so concurrent processes queue on the write lock (busy timeout
//! 5 s, then a retryable error) instead of failing mid-transaction.

use crate::record::Kind;
use crate::store::*;
use alloy_primitives::{Address, B256};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

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
        _ => StoreError::Db(e.to_string()),
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        kind: r.get(2)?,
        schema_version: r.get(3)?,
        epoch: r.get(4)?,
        subject: r.get(5)?,
        author: r.get(6)?,
        role: r.get(7)?,
        created_at: r.get(8)?,
        provenance: r.get(9)?,
        payload: r.get(10)?,
        prev: r.get(11)?,
        supersedes: r.get(12)?,
        signature: r.get(13)?,
    })
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`; `:memory:` for a throwaway one.
    pub fn open(path: &str) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(db)?;
        conn.execute_batch(&schema_sql("INTEGER PRIMARY KEY AUTOINCREMENT"))
            .map_err(db)?;
        Ok(SqliteStore {
            conn,
            path: path.to_string(),
        })
    }

    /// Direct access for tests and tools (e.g. tamper tests). Not used by the Synome layer.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

struct Tx<'a>(rusqlite::Transaction<'a>);

impl StoreTx for Tx<'_> {
    fn contains(&mut self, id: B256) -> Result<bool, StoreError> {
        Ok(self.kind_of(id)?.is_some())
    }
    fn kind_of(&mut self, id: B256) -> Result<Option<Kind>, StoreError> {
        let k: Option<String> = self
            .0
            .prepare_cached("SELECT kind FROM records WHERE id = ?1")
            .map_err(db)?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()
            .map_err(db)?;
        Ok(k.and_then(|k| Kind::parse(&k)))
    }
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError> {
        head(&self.0, author)
    }
    fn is_empty(&mut self) -> Result<bool, StoreError> {
        let n: i64 = self
            .0
            .query_row(
                "SELECT COUNT(*) FROM (SELECT 1 FROM records LIMIT 1)",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        Ok(n == 0)
    }
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError> {
        let mut st = self
            .0
            .prepare_cached(&format!("SELECT {COLUMNS} FROM records WHERE seq > ?1 AND kind IN ('genesis', 'role-grant', 'role-revoke') ORDER BY seq"))
            .map_err(db)?;
        let rows = st
            .query_map([after], row)
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(rows)
    }
    fn insert(&mut self, r: &RawRow) -> Result<i64, StoreError> {
        let res = self.0.prepare_cached(
            "INSERT INTO records (id, kind, schema_version, epoch, subject, author, role, created_at, provenance, payload, prev, supersedes, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .map_err(db)?
        .execute(params![r.id, r.kind, r.schema_version, r.epoch, r.subject, r.author, r.role, r.created_at, r.provenance, r.payload, r.prev, r.supersedes, r.signature]);
        match res {
            Ok(_) => Ok(self.0.last_insert_rowid()),
            Err(rusqlite::Error::SqliteFailure(f, Some(msg)))
                if f.code == ErrorCode::ConstraintViolation =>
            {
                if msg.contains("records.id") {
                    Err(StoreError::DuplicateId(r.id.clone()))
                } else {
                    Err(StoreError::ChainConflict {
                        author: r.author.clone(),
                        prev: r.prev.clone(),
                    })
                }
            }
            Err(e) => Err(db(e)),
        }
    }
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().map_err(db)
    }
}

fn head(c: &Connection, author: Address) -> Result<Option<B256>, StoreError> {
    let id: Option<String> = c
        .prepare_cached("SELECT id FROM records WHERE author = ?1 ORDER BY seq DESC LIMIT 1")
        .map_err(db)?
        .query_row([format!("{author:#x}")], |r| r.get(0))
        .optional()
        .map_err(db)?;
    id.map(|s| {
        s.parse()
            .map_err(|_| StoreError::Db(format!("stored id '{s}' is not a hash")))
    })
    .transpose()
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
        self.conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM records WHERE id = ?1"))
            .map_err(db)?
            .query_row([id.to_string()], row)
            .optional()
            .map_err(db)
    }
    fn latest(&mut self, kind: Kind, subject: &str) -> Result<Option<RawRow>, StoreError> {
        self.conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM records WHERE kind = ?1 AND subject = ?2 ORDER BY seq DESC LIMIT 1"))
            .map_err(db)?
            .query_row(params![kind.as_str(), subject], row)
            .optional()
            .map_err(db)
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
        let rows = st
            .query_map(rusqlite::params_from_iter(params.iter()), row)
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(page_from(rows, q.limit))
    }
    fn count(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
            .map_err(db)?;
        Ok(n as u64)
    }
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError> {
        head(&self.conn, author)
    }
    fn describe(&self) -> String {
        format!("sqlite:{}", self.path)
    }
}
