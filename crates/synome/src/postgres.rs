//! PostgreSQL store: a shared, multi-writer deployment.
//!
//! Contract: the same schema and behaviour as SQLite. [`PgStore::connect`] only connects, sets
//! the session's `search_path` and checks the schema version — no DDL, no table lock — so a
//! read-only role can run `verify`, `export` and queries; [`PgStore::init`] creates or checks
//! the schema explicitly (`laniakea synome init`). Appends run in READ COMMITTED transactions
//! that first take a transaction-scoped advisory lock for the schema (the store's write lock):
//! positions are assigned and committed in order, so a reader paging by position never skips a
//! row. A batch is inserted with one `INSERT … SELECT FROM UNNEST(arrays)` statement.
//! `sslmode=require` in the URL connects over TLS (native-tls; like libpq's `require`, the
//! server certificate is not verified); `disable`/`prefer` connect in plain text.
//! Database errors keep the server's message, detail and SQLSTATE.

use crate::record::Kind;
use crate::store::*;
use alloy_primitives::{keccak256, Address, B256};
use postgres::config::SslMode;
use postgres::error::SqlState;
use postgres::{Client, NoTls};
use std::collections::HashMap;

pub struct PgStore {
    client: Client,
    schema: String,
    lock_key: i64,
}

/// Keeps the server's message, detail and SQLSTATE (the driver's `Display` says only "db error").
pub fn pg_error(e: postgres::Error) -> StoreError {
    if let Some(c) = e.code() {
        if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::LOCK_NOT_AVAILABLE
        {
            return StoreError::Busy(describe_pg(&e));
        }
    }
    StoreError::Db {
        backend: "PostgreSQL",
        sqlstate: e.code().map(|c| c.code().to_string()),
        message: describe_pg(&e),
    }
}

fn describe_pg(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => {
            let mut m = format!("{}: {}", d.severity(), d.message());
            if let Some(x) = d.detail() {
                m.push_str(&format!(" (detail: {x})"));
            }
            if let Some(x) = d.hint() {
                m.push_str(&format!(" (hint: {x})"));
            }
            m
        }
        None => {
            let mut m = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                m.push_str(&format!(": {s}"));
                src = s.source();
            }
            m
        }
    }
}

/// Reads one row; a column of an unexpected type names the row and the column.
fn row(r: &postgres::Row) -> Result<RawRow, StoreError> {
    let seq: i64 = r.try_get(0).unwrap_or(0);
    let id: String = r.try_get(1).unwrap_or_default();
    let bad = |i: usize, e: postgres::Error| StoreError::Corrupt {
        seq,
        id: id.clone(),
        column: COLUMN_NAMES[i],
        reason: describe_pg(&e),
    };
    macro_rules! col {
        ($i:expr) => {
            r.try_get($i).map_err(|e| bad($i, e))?
        };
    }
    Ok(RawRow {
        seq: col!(0),
        id: col!(1),
        synome: col!(2),
        fact: col!(3),
        kind: col!(4),
        schema_version: col!(5),
        epoch: col!(6),
        subject: col!(7),
        author: col!(8),
        role: col!(9),
        created_at: col!(10),
        provenance: col!(11),
        payload: col!(12),
        prev: col!(13),
        store_prev: col!(14),
        supersedes: col!(15),
        signature: col!(16),
    })
}

fn rows(rs: Vec<postgres::Row>) -> Result<Vec<RawRow>, StoreError> {
    rs.iter().map(row).collect()
}

fn valid_schema(schema: &str) -> Result<(), StoreError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && !schema.starts_with(|c: char| c.is_ascii_digit())
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::NotFound {
            location: format!("postgres schema '{schema}'"),
            reason: "not a valid schema name (lowercase letters, digits, _)".into(),
        })
    }
}

/// Connects with TLS when the URL says `sslmode=require`.
pub fn connect_client(url: &str) -> Result<Client, StoreError> {
    let config: postgres::Config = url.parse().map_err(pg_error)?;
    match config.get_ssl_mode() {
        SslMode::Require => {
            let tls = native_tls::TlsConnector::builder()
                .danger_accept_invalid_certs(true)
                .danger_accept_invalid_hostnames(true)
                .build()
                .map_err(|e| StoreError::Db {
                    backend: "PostgreSQL",
                    sqlstate: None,
                    message: format!("TLS set-up failed: {e}"),
                })?;
            config
                .connect(postgres_native_tls::MakeTlsConnector::new(tls))
                .map_err(pg_error)
        }
        _ => config.connect(NoTls).map_err(pg_error),
    }
}

impl PgStore {
    /// Connects to `url` and uses the existing, initialised Synome in PostgreSQL schema
    /// `schema`. Creates nothing: a missing schema is [`StoreError::NotFound`].
    pub fn connect(url: &str, schema: &str) -> Result<PgStore, StoreError> {
        valid_schema(schema)?;
        let mut client = connect_client(url)?;
        let location = format!("postgres schema {schema}");
        let exists = client
            .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
            .map_err(pg_error)?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound {
                location,
                reason: "no such schema".into(),
            });
        }
        client
            .batch_execute(&format!("SET search_path TO {schema}"))
            .map_err(pg_error)?;
        let mut s = PgStore {
            client,
            schema: schema.to_string(),
            lock_key: lock_key(schema),
        };
        s.check_version()?;
        Ok(s)
    }

    /// Creates the schema and tables if missing, or checks an existing one is current
    /// (`synome init` / `migrate`); then connects.
    pub fn init(url: &str, schema: &str) -> Result<PgStore, StoreError> {
        valid_schema(schema)?;
        let mut client = connect_client(url)?;
        let mut tx = client.transaction().map_err(pg_error)?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema};"
        ))
        .map_err(pg_error)?;
        let has_meta = tx
            .query_opt(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'synome_meta'",
                &[&schema],
            )
            .map_err(pg_error)?
            .is_some();
        let has_records = tx
            .query_opt(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'records'",
                &[&schema],
            )
            .map_err(pg_error)?
            .is_some();
        if !has_meta && !has_records {
            tx.batch_execute(&schema_sql()).map_err(pg_error)?;
            tx.execute(
                "INSERT INTO synome_meta (key, value) VALUES ('schema_version', $1)",
                &[&SCHEMA_VERSION.to_string()],
            )
            .map_err(pg_error)?;
        }
        tx.commit().map_err(pg_error)?;
        drop(client);
        PgStore::connect(url, schema)
    }

    fn check_version(&mut self) -> Result<(), StoreError> {
        let location = format!("postgres schema {}", self.schema);
        match self.client.query_opt(
            "SELECT value FROM synome_meta WHERE key = 'schema_version'",
            &[],
        ) {
            Ok(Some(r)) => {
                let v: String = r.try_get(0).map_err(pg_error)?;
                let v: i64 = v.parse().unwrap_or(0);
                if v == SCHEMA_VERSION {
                    Ok(())
                } else {
                    Err(StoreError::SchemaVersion {
                        location,
                        found: v,
                        expected: SCHEMA_VERSION,
                    })
                }
            }
            Ok(None) => Err(StoreError::SchemaVersion {
                location,
                found: 0,
                expected: SCHEMA_VERSION,
            }),
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => {
                let has_records = self
                    .client
                    .query_opt("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'records'", &[&self.schema])
                    .map_err(pg_error)?
                    .is_some();
                if has_records {
                    Err(StoreError::SchemaVersion {
                        location,
                        found: 1,
                        expected: SCHEMA_VERSION,
                    })
                } else {
                    Err(StoreError::NotFound {
                        location,
                        reason: "the schema holds no Synome tables".into(),
                    })
                }
            }
            Err(e) => Err(pg_error(e)),
        }
    }

    /// Direct access for tests and tools (e.g. tamper tests).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// The advisory-lock key of a schema's store (stable across processes).
fn lock_key(schema: &str) -> i64 {
    let h = keccak256(format!("laniakea-synome:{schema}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    i64::from_be_bytes(b)
}

struct Tx<'a> {
    tx: postgres::Transaction<'a>,
    lock_key: i64,
}

fn head(c: &mut impl postgres::GenericClient) -> Result<Option<(i64, B256)>, StoreError> {
    let r = c
        .query_opt("SELECT seq, id FROM records ORDER BY seq DESC LIMIT 1", &[])
        .map_err(pg_error)?;
    r.map(|r| {
        let seq: i64 = r.try_get(0).map_err(pg_error)?;
        let id: String = r.try_get(1).map_err(pg_error)?;
        Ok((seq, parse_id(seq, &id)?))
    })
    .transpose()
}

fn auth_rows(c: &mut impl postgres::GenericClient, after: i64) -> Result<Vec<RawRow>, StoreError> {
    rows(c.query(&format!("SELECT {COLUMNS} FROM records WHERE seq > $1 AND kind IN ('genesis', 'role-grant', 'role-revoke') ORDER BY seq"), &[&after]).map_err(pg_error)?)
}

fn get(c: &mut impl postgres::GenericClient, id: B256) -> Result<Option<RawRow>, StoreError> {
    Ok(rows(
        c.query(
            &format!("SELECT {COLUMNS} FROM records WHERE id = $1"),
            &[&id.to_string()],
        )
        .map_err(pg_error)?,
    )?
    .pop())
}

impl StoreTx for Tx<'_> {
    fn lock_head(&mut self) -> Result<Option<(i64, B256)>, StoreError> {
        self.tx
            .execute("SELECT pg_advisory_xact_lock($1)", &[&self.lock_key])
            .map_err(pg_error)?;
        // READ COMMITTED: this statement sees everything committed before the lock was granted.
        head(&mut self.tx)
    }
    fn genesis(&mut self) -> Result<Option<RawRow>, StoreError> {
        Ok(rows(
            self.tx
                .query(&format!("SELECT {COLUMNS} FROM records WHERE seq = 1"), &[])
                .map_err(pg_error)?,
        )?
        .pop())
    }
    fn existing_facts(&mut self, facts: &[B256]) -> Result<HashMap<B256, B256>, StoreError> {
        let keys: Vec<String> = facts.iter().map(|f| f.to_string()).collect();
        let rs = self
            .tx
            .query(
                "SELECT seq, fact, id FROM records WHERE fact = ANY($1)",
                &[&keys],
            )
            .map_err(pg_error)?;
        let mut out = HashMap::new();
        for r in rs {
            let seq: i64 = r.try_get(0).map_err(pg_error)?;
            let fact: String = r.try_get(1).map_err(pg_error)?;
            let id: String = r.try_get(2).map_err(pg_error)?;
            out.insert(parse_id(seq, &fact)?, parse_id(seq, &id)?);
        }
        Ok(out)
    }
    fn get(&mut self, id: B256) -> Result<Option<RawRow>, StoreError> {
        get(&mut self.tx, id)
    }
    fn author_head(&mut self, author: Address) -> Result<Option<(B256, i64)>, StoreError> {
        let r = self
            .tx
            .query_opt(
                "SELECT seq, id, created_at FROM records WHERE author = $1 ORDER BY seq DESC LIMIT 1",
                &[&format!("{author:#x}")],
            )
            .map_err(pg_error)?;
        r.map(|r| {
            let seq: i64 = r.try_get(0).map_err(pg_error)?;
            let id: String = r.try_get(1).map_err(pg_error)?;
            let t: i64 = r.try_get(2).map_err(pg_error)?;
            Ok((parse_id(seq, &id)?, t))
        })
        .transpose()
    }
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError> {
        auth_rows(&mut self.tx, after)
    }
    fn rows_of(&mut self, kind: Kind, subject: &str) -> Result<Vec<RawRow>, StoreError> {
        rows(
            self.tx
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM records WHERE kind = $1 AND subject = $2 ORDER BY seq"
                    ),
                    &[&kind.as_str(), &subject],
                )
                .map_err(pg_error)?,
        )
    }
    fn insert(&mut self, rs: &[RawRow]) -> Result<(), StoreError> {
        if rs.is_empty() {
            return Ok(());
        }
        fn col<T: Clone>(rs: &[RawRow], f: impl Fn(&RawRow) -> &T) -> Vec<T> {
            rs.iter().map(|r| f(r).clone()).collect()
        }
        let seq = col(rs, |r| &r.seq);
        let id = col(rs, |r| &r.id);
        let synome = col(rs, |r| &r.synome);
        let fact = col(rs, |r| &r.fact);
        let kind = col(rs, |r| &r.kind);
        let sv = col(rs, |r| &r.schema_version);
        let epoch = col(rs, |r| &r.epoch);
        let subject = col(rs, |r| &r.subject);
        let author = col(rs, |r| &r.author);
        let role = col(rs, |r| &r.role);
        let created = col(rs, |r| &r.created_at);
        let prov = col(rs, |r| &r.provenance);
        let payload = col(rs, |r| &r.payload);
        let prev = col(rs, |r| &r.prev);
        let store_prev = col(rs, |r| &r.store_prev);
        let supersedes = col(rs, |r| &r.supersedes);
        let sig = col(rs, |r| &r.signature);
        let res = self.tx.execute(
            &format!("INSERT INTO records ({COLUMNS}) SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])"),
            &[&seq, &id, &synome, &fact, &kind, &sv, &epoch, &subject, &author, &role, &created, &prov, &payload, &prev, &store_prev, &supersedes, &sig],
        );
        match res {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                let constraint = e
                    .as_db_error()
                    .and_then(|d| d.constraint())
                    .unwrap_or_default()
                    .to_string();
                let first = &rs[0];
                if constraint.contains("id") || constraint.contains("fact") {
                    Err(StoreError::DuplicateId(first.id.clone()))
                } else {
                    Err(StoreError::ChainConflict {
                        author: first.author.clone(),
                        prev: first.prev.clone(),
                    })
                }
            }
            Err(e) => Err(pg_error(e)),
        }
    }
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().map_err(pg_error)
    }
}

impl Store for PgStore {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let tx = self.client.transaction().map_err(pg_error)?;
        Ok(Box::new(Tx {
            tx,
            lock_key: self.lock_key,
        }))
    }
    fn get(&mut self, id: B256) -> Result<Option<RawRow>, StoreError> {
        get(&mut self.client, id)
    }
    fn latest(&mut self, kind: Kind, subject: &str) -> Result<Option<RawRow>, StoreError> {
        Ok(rows(self
            .client
            .query(&format!("SELECT {COLUMNS} FROM records WHERE kind = $1 AND subject = $2 ORDER BY seq DESC LIMIT 1"), &[&kind.as_str(), &subject])
            .map_err(pg_error)?)?
            .pop())
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
        let rs = self.client.query(&sql, &refs).map_err(pg_error)?;
        Ok(page_from(rows(rs)?, q.limit))
    }
    fn count(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self
            .client
            .query_one("SELECT COUNT(*) FROM records", &[])
            .map_err(pg_error)?
            .try_get(0)
            .map_err(pg_error)?;
        Ok(n as u64)
    }
    fn head(&mut self) -> Result<Option<(i64, B256)>, StoreError> {
        head(&mut self.client)
    }
    fn author_heads(&mut self) -> Result<Vec<(Address, B256)>, StoreError> {
        let rs = self
            .client
            .query(
                "SELECT DISTINCT ON (author) seq, author, id FROM records ORDER BY author, seq DESC",
                &[],
            )
            .map_err(pg_error)?;
        let mut out = Vec::new();
        for r in rs {
            let seq: i64 = r.try_get(0).map_err(pg_error)?;
            let a: String = r.try_get(1).map_err(pg_error)?;
            let id: String = r.try_get(2).map_err(pg_error)?;
            if let Ok(a) = a.parse::<Address>() {
                out.push((a, parse_id(seq, &id)?));
            }
        }
        Ok(out)
    }
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError> {
        let r = self
            .client
            .query_opt(
                "SELECT seq, id FROM records WHERE author = $1 ORDER BY seq DESC LIMIT 1",
                &[&format!("{author:#x}")],
            )
            .map_err(pg_error)?;
        r.map(|r| {
            let seq: i64 = r.try_get(0).map_err(pg_error)?;
            let id: String = r.try_get(1).map_err(pg_error)?;
            parse_id(seq, &id)
        })
        .transpose()
    }
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError> {
        auth_rows(&mut self.client, after)
    }
    fn unpositioned(&mut self) -> Result<Option<RawRow>, StoreError> {
        Ok(rows(
            self.client
                .query(&format!("SELECT {COLUMNS} {UNPOSITIONED_SQL}"), &[])
                .map_err(pg_error)?,
        )?
        .pop())
    }
    fn describe(&self) -> String {
        format!("postgres (schema {})", self.schema)
    }
}
