//! The PostgreSQL journal store (optional; SQLite in the run's file is the default).
//!
//! Contract: the same tables as SQLite in schema `schema` (created if absent, with the tables),
//! so a PostgreSQL Synome and the chain journal can share a schema. Commits are durable under
//! PostgreSQL's default `synchronous_commit = on`. The writer lock is a session-level advisory
//! lock keyed by the schema (`pg_try_advisory_lock`), released when the connection ends — also
//! when the process is killed; a second writer is [`JournalError::Locked`]. Server errors keep
//! their message, detail and SQLSTATE.

use crate::backend::{check_format, check_seq, parse_hash, Backend, GenesisRow, Row};
use crate::error::JournalError;
use alloy_primitives::keccak256;
use postgres::error::SqlState;
use postgres::Client;
use std::collections::BTreeMap;

pub(crate) struct PgJournal {
    client: Client,
    location: String,
}

fn pg_err(location: &str, e: postgres::Error) -> JournalError {
    let message = match e.as_db_error() {
        Some(d) => format!(
            "{}: {}{} (SQLSTATE {})",
            d.severity(),
            d.message(),
            d.detail()
                .map(|x| format!(" (detail: {x})"))
                .unwrap_or_default(),
            d.code().code()
        ),
        None => {
            let mut m = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                m.push_str(&format!(": {s}"));
                src = s.source();
            }
            m
        }
    };
    JournalError::Db {
        backend: "PostgreSQL",
        location: location.to_string(),
        message,
    }
}

fn valid_schema(schema: &str) -> bool {
    !schema.is_empty()
        && schema.len() <= 63
        && !schema.starts_with(|c: char| c.is_ascii_digit())
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl PgJournal {
    /// Connects, creates the schema and tables if absent and takes the writer lock.
    pub fn open_writer(url: &str, schema: &str) -> Result<PgJournal, JournalError> {
        let location = format!("postgres:{schema}");
        if !valid_schema(schema) {
            return Err(JournalError::Db {
                backend: "PostgreSQL",
                location,
                message: format!(
                    "'{schema}' is not a valid schema name (lowercase letters, digits, _)"
                ),
            });
        }
        let mut client =
            laniakea_synome::postgres::connect_client(url).map_err(|e| JournalError::Db {
                backend: "PostgreSQL",
                location: location.clone(),
                message: e.to_string(),
            })?;
        let key_bytes = keccak256(format!("laniakea-journal:{schema}").as_bytes());
        let mut k = [0u8; 8];
        k.copy_from_slice(&key_bytes[..8]);
        let key = i64::from_be_bytes(k);
        let locked: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .and_then(|r| r.try_get(0))
            .map_err(|e| pg_err(&location, e))?;
        if !locked {
            return Err(JournalError::Locked {
                path: location.clone(),
                lock: format!("session advisory lock {key}"),
            });
        }
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema};
                 SET search_path TO {schema};
                 CREATE TABLE IF NOT EXISTS chain_genesis (
                     id INTEGER PRIMARY KEY CHECK (id = 1),
                     format BIGINT NOT NULL,
                     kind TEXT NOT NULL,
                     body TEXT NOT NULL,
                     digest TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS chain_journal (
                     seq BIGINT PRIMARY KEY,
                     tag TEXT UNIQUE,
                     tx TEXT NOT NULL,
                     hash TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS run_meta (
                     key TEXT PRIMARY KEY,
                     value TEXT NOT NULL);"
            ))
            .map_err(|e| pg_err(&location, e))?;
        Ok(PgJournal { client, location })
    }
}

impl Backend for PgJournal {
    fn location(&self) -> &str {
        &self.location
    }

    fn genesis(&mut self) -> Result<Option<GenesisRow>, JournalError> {
        let row = self
            .client
            .query_opt(
                "SELECT format, kind, body, digest FROM chain_genesis WHERE id = 1",
                &[],
            )
            .map_err(|e| pg_err(&self.location, e))?;
        let Some(r) = row else { return Ok(None) };
        let get = |i: usize| -> Result<String, JournalError> {
            r.try_get(i).map_err(|e| pg_err(&self.location, e))
        };
        let format: i64 = r.try_get(0).map_err(|e| pg_err(&self.location, e))?;
        check_format(&self.location, format)?;
        let digest = get(3)?;
        Ok(Some(GenesisRow {
            format,
            kind: get(1)?,
            body: get(2)?,
            digest: digest.parse().map_err(|_| JournalError::Genesis {
                reason: format!(
                    "{}: stored genesis row: digest '{digest}' is not 32-byte hex",
                    self.location
                ),
            })?,
        }))
    }

    fn put_genesis(&mut self, g: &GenesisRow) -> Result<(), JournalError> {
        self.client
            .execute(
                "INSERT INTO chain_genesis (id, format, kind, body, digest) VALUES (1, $1, $2, $3, $4)",
                &[&g.format, &g.kind, &g.body, &g.digest.to_string()],
            )
            .map_err(|e| pg_err(&self.location, e))?;
        Ok(())
    }

    fn for_each_row(
        &mut self,
        f: &mut dyn FnMut(Row) -> Result<(), JournalError>,
    ) -> Result<(), JournalError> {
        let rows = self
            .client
            .query(
                "SELECT seq, tag, tx, hash FROM chain_journal ORDER BY seq",
                &[],
            )
            .map_err(|e| pg_err(&self.location, e))?;
        for (expected, r) in (0u64..).zip(rows) {
            let seq: i64 = r.try_get(0).map_err(|e| pg_err(&self.location, e))?;
            let seq = u64::try_from(seq).map_err(|_| JournalError::CorruptRow {
                seq: expected,
                reason: format!("seq {seq} is negative"),
            })?;
            check_seq(expected, seq)?;
            let corrupt = |col: &str, e: postgres::Error| JournalError::CorruptRow {
                seq,
                reason: format!("column `{col}`: {e}"),
            };
            let tag: Option<String> = r.try_get(1).map_err(|e| corrupt("tag", e))?;
            let tx: String = r.try_get(2).map_err(|e| corrupt("tx", e))?;
            let hash: String = r.try_get(3).map_err(|e| corrupt("hash", e))?;
            let hash = parse_hash(seq, "hash", &hash)?;
            f(Row { seq, tag, tx, hash })?;
        }
        Ok(())
    }

    fn append(&mut self, rows: &[Row]) -> Result<(), JournalError> {
        let location = self.location.clone();
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| pg_err(&location, e))?;
        let st = tx
            .prepare("INSERT INTO chain_journal (seq, tag, tx, hash) VALUES ($1, $2, $3, $4)")
            .map_err(|e| pg_err(&location, e))?;
        for r in rows {
            let seq = i64::try_from(r.seq).map_err(|_| JournalError::CorruptRow {
                seq: r.seq,
                reason: "row number beyond 2^63".into(),
            })?;
            tx.execute(&st, &[&seq, &r.tag, &r.tx, &r.hash.to_string()])
                .map_err(|e| {
                    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                        JournalError::ConcurrentWriter { seq: r.seq }
                    } else {
                        pg_err(&location, e)
                    }
                })?;
        }
        tx.commit().map_err(|e| pg_err(&location, e))
    }

    fn meta_all(&mut self) -> Result<BTreeMap<String, String>, JournalError> {
        let rows = self
            .client
            .query("SELECT key, value FROM run_meta ORDER BY key", &[])
            .map_err(|e| pg_err(&self.location, e))?;
        let mut out = BTreeMap::new();
        for r in rows {
            let k: String = r.try_get(0).map_err(|e| pg_err(&self.location, e))?;
            let v: String = r.try_get(1).map_err(|e| pg_err(&self.location, e))?;
            out.insert(k, v);
        }
        Ok(out)
    }

    fn meta_set_many(&mut self, entries: &[(&str, &str)]) -> Result<(), JournalError> {
        let location = self.location.clone();
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| pg_err(&location, e))?;
        for (key, value) in entries {
            tx.execute(
                "INSERT INTO run_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[key, value],
            )
            .map_err(|e| pg_err(&location, e))?;
        }
        tx.commit().map_err(|e| pg_err(&location, e))
    }
}
