//! PostgreSQL store: a shared, multi-writer deployment.
//!
//! Contract: the same schema and behaviour as SQLite. Appends run in READ COMMITTED transactions;
//! `UNIQUE(author, prev)` and `UNIQUE(id)` turn a race between two writers of the same chain into
//! one winner and a retryable [`StoreError::ChainConflict`] (or an idempotent duplicate) for the
//! other; serialization failures and deadlocks map to the retryable [`StoreError::Busy`].

use crate::record::Kind;
use crate::store::*;
use alloy_primitives::{Address, B256};
use postgres::error::SqlState;
use postgres::{Client, NoTls};

pub struct PgStore {
    client: Client,
    schema: String,
}

fn db(e: postgres::Error) -> StoreError {
    match e.code() {
        Some(c)
            if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::LOCK_NOT_AVAILABLE =>
        {
            StoreError::Busy(e.to_string())
        }
        _ => StoreError::Db(e.to_string()),
    }
}

fn row(r: &postgres::Row) -> RawRow {
    RawRow {
        seq: r.get(0),
        id: r.get(1),
        kind: r.get(2),
        schema_version: r.get(3),
        epoch: r.get(4),
        subject: r.get(5),
        author: r.get(6),
        role: r.get(7),
        created_at: r.get(8),
        provenance: r.get(9),
        payload: r.get(10),
        prev: r.get(11),
        supersedes: r.get(12),
        signature: r.get(13),
    }
}

impl PgStore {
    /// Connects to `url` and uses (creating if needed) the PostgreSQL schema `schema`
    /// (`public` for the default), so tests can work in isolated schemas.
    pub fn connect(url: &str, schema: &str) -> Result<PgStore, StoreError> {
        if !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            || schema.is_empty()
        {
            return Err(StoreError::Db(format!(
                "'{schema}' is not a valid schema name"
            )));
        }
        let mut client = Client::connect(url, NoTls).map_err(db)?;
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema};"
            ))
            .map_err(db)?;
        client
            .batch_execute(&schema_sql("BIGSERIAL PRIMARY KEY"))
            .map_err(db)?;
        Ok(PgStore {
            client,
            schema: schema.to_string(),
        })
    }

    /// Direct access for tests and tools (e.g. tamper tests).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}

struct Tx<'a>(postgres::Transaction<'a>, Option<postgres::Statement>);

fn head(c: &mut impl postgres::GenericClient, author: Address) -> Result<Option<B256>, StoreError> {
    let r = c
        .query_opt(
            "SELECT id FROM records WHERE author = $1 ORDER BY seq DESC LIMIT 1",
            &[&format!("{author:#x}")],
        )
        .map_err(db)?;
    r.map(|r| {
        let s: String = r.get(0);
        s.parse()
            .map_err(|_| StoreError::Db(format!("stored id '{s}' is not a hash")))
    })
    .transpose()
}

impl StoreTx for Tx<'_> {
    fn contains(&mut self, id: B256) -> Result<bool, StoreError> {
        Ok(self.kind_of(id)?.is_some())
    }
    fn kind_of(&mut self, id: B256) -> Result<Option<Kind>, StoreError> {
        let r = self
            .0
            .query_opt("SELECT kind FROM records WHERE id = $1", &[&id.to_string()])
            .map_err(db)?;
        Ok(r.and_then(|r| Kind::parse(&r.get::<_, String>(0))))
    }
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError> {
        head(&mut self.0, author)
    }
    fn is_empty(&mut self) -> Result<bool, StoreError> {
        Ok(self
            .0
            .query_opt("SELECT 1 FROM records LIMIT 1", &[])
            .map_err(db)?
            .is_none())
    }
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError> {
        let rows = self
            .0
            .query(&format!("SELECT {COLUMNS} FROM records WHERE seq > $1 AND kind IN ('genesis', 'role-grant', 'role-revoke') ORDER BY seq"), &[&after])
            .map_err(db)?;
        Ok(rows.iter().map(row).collect())
    }
    fn insert(&mut self, r: &RawRow) -> Result<i64, StoreError> {
        // A violation aborts the transaction; the caller drops it (rolls back) with the error.
        if self.1.is_none() {
            let st = self
                .0
                .prepare("INSERT INTO records (id, kind, schema_version, epoch, subject, author, role, created_at, provenance, payload, prev, supersedes, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING seq")
                .map_err(db)?;
            self.1 = Some(st);
        }
        let Some(st) = self.1.clone() else {
            return Err(StoreError::Db("insert statement not prepared".into()));
        };
        let res = self.0.query_one(
            &st,
            &[
                &r.id,
                &r.kind,
                &r.schema_version,
                &r.epoch,
                &r.subject,
                &r.author,
                &r.role,
                &r.created_at,
                &r.provenance,
                &r.payload,
                &r.prev,
                &r.supersedes,
                &r.signature,
            ],
        );
        match res {
            Ok(row) => Ok(row.get(0)),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                let msg = e
                    .as_db_error()
                    .and_then(|d| d.constraint())
                    .unwrap_or_default()
                    .to_string();
                if msg == "author_chain" {
                    Err(StoreError::ChainConflict {
                        author: r.author.clone(),
                        prev: r.prev.clone(),
                    })
                } else {
                    Err(StoreError::DuplicateId(r.id.clone()))
                }
            }
            Err(e) => Err(db(e)),
        }
    }
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().map_err(db)
    }
}

impl Store for PgStore {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let tx = self.client.transaction().map_err(db)?;
        Ok(Box::new(Tx(tx, None)))
    }
    fn get(&mut self, id: B256) -> Result<Option<RawRow>, StoreError> {
        Ok(self
            .client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM records WHERE id = $1"),
                &[&id.to_string()],
            )
            .map_err(db)?
            .as_ref()
            .map(row))
    }
    fn latest(&mut self, kind: Kind, subject: &str) -> Result<Option<RawRow>, StoreError> {
        Ok(self
            .client
            .query_opt(&format!("SELECT {COLUMNS} FROM records WHERE kind = $1 AND subject = $2 ORDER BY seq DESC LIMIT 1"), &[&kind.as_str(), &subject])
            .map_err(db)?
            .as_ref()
            .map(row))
    }
    fn list(&mut self, q: &Query) -> Result<Page, StoreError> {
        let (sql, args) = list_sql(q, |n| format!("${n}"));
        let owned: Vec<Box<dyn postgres::types::ToSql + Sync>> = args
            .into_iter()
            .map(|a| -> Box<dyn postgres::types::ToSql + Sync> {
                match a {
                    QueryArg::Int(i) => Box::new(i),
                    QueryArg::Text(t) => Box::new(t),
                }
            })
            .collect();
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref()).collect();
        let rows = self.client.query(&sql, &refs).map_err(db)?;
        Ok(page_from(rows.iter().map(row).collect(), q.limit))
    }
    fn count(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self
            .client
            .query_one("SELECT COUNT(*) FROM records", &[])
            .map_err(db)?
            .get(0);
        Ok(n as u64)
    }
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError> {
        head(&mut self.client, author)
    }
    fn describe(&self) -> String {
        format!("postgres (schema {})", self.schema)
    }
}
