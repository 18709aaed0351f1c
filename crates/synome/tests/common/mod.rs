//! Store factories for the behavioural suite: every test runs on SQLite and on PostgreSQL.
//! PostgreSQL tests read DATABASE_URL: unset → the test prints SKIPPED and returns; set but
//! unreachable → the test fails (CI sets it, so there they are mandatory).
#![allow(dead_code, clippy::unwrap_used)]

use laniakea_synome::postgres::PgStore;
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::{Store, Synome};

pub enum Backend {
    Sqlite(std::path::PathBuf, tempfile::TempDir),
    Postgres(String, String),
}

impl Backend {
    pub fn open(&self) -> Box<dyn Store + Send> {
        match self {
            Backend::Sqlite(p, _) => Box::new(SqliteStore::open(p.to_str().unwrap()).unwrap()),
            Backend::Postgres(url, schema) => Box::new(PgStore::connect(url, schema).unwrap()),
        }
    }
    /// Creates (explicitly, as `synome init` does) a fresh, empty store.
    pub fn init(&self) {
        match self {
            Backend::Sqlite(p, _) => {
                SqliteStore::create(p.to_str().unwrap()).unwrap();
            }
            Backend::Postgres(url, schema) => {
                PgStore::init(url, schema).unwrap();
            }
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(..) => "sqlite",
            Backend::Postgres(..) => "postgres",
        }
    }
    /// Runs a query returning one text column per row (tamper tests read raw values).
    pub fn query_strings(&self, sql: &str) -> Vec<String> {
        match self {
            Backend::Sqlite(p, _) => {
                let c = rusqlite::Connection::open(p).unwrap();
                let mut st = c.prepare(sql).unwrap();
                st.query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .map(|x| x.unwrap())
                    .collect()
            }
            Backend::Postgres(url, schema) => {
                let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO {schema}"))
                    .unwrap();
                c.query(sql, &[])
                    .unwrap()
                    .iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect()
            }
        }
    }
    pub fn synome(&self) -> Synome<Box<dyn Store + Send>> {
        Synome::new(self.open())
    }
    /// Runs raw SQL against the backend (tamper tests).
    pub fn exec(&self, sql: &str) {
        match self {
            Backend::Sqlite(p, _) => {
                let c = rusqlite::Connection::open(p).unwrap();
                c.execute_batch(sql).unwrap();
            }
            Backend::Postgres(url, schema) => {
                let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO {schema}; {sql}"))
                    .unwrap();
            }
        }
    }
}

/// A fresh, initialised SQLite store in a temporary directory.
pub fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let b = Backend::Sqlite(dir.path().join("synome.db"), dir);
    b.init();
    b
}

/// A fresh PostgreSQL schema for `test`, or `None` (with a visible message) when DATABASE_URL
/// is unset.
pub fn postgres(test: &str) -> Option<Backend> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            // Written to stderr directly: libtest captures `eprintln!` of passing tests, and the
            // skip must be visible in a plain `cargo test`.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: DATABASE_URL is not set, PostgreSQL run of `{test}` not executed"
            );
            return None;
        }
    };
    let schema = format!("synome_t_{}_{}", test, std::process::id());
    let mut c = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let b = Backend::Postgres(url, schema);
    b.init();
    Some(b)
}

/// Defines `NAME::sqlite` and `NAME::postgres` tests running `body(backend)`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                let b = common::sqlite();
                ($body)(&b);
            }
            #[test]
            fn postgres() {
                if let Some(b) = common::postgres(stringify!($name)) {
                    ($body)(&b);
                }
            }
        }
    };
}

impl Drop for Backend {
    fn drop(&mut self) {
        // Leave nothing behind on the shared server.
        if let Backend::Postgres(url, schema) = self {
            if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}
