//! The storage seam: one trait, two backends (SQLite default, PostgreSQL).
//!
//! Contract: stores keep rows exactly as given and never validate meaning — the [`crate::Synome`]
//! layer does that inside a store transaction ([`StoreTx`]), so a rejected write stores nothing.
//! Every record is kept as its raw columns (payload as canonical JSON text, hashes and signature
//! as hex), so a verifier re-derives everything from what is on disk. `UNIQUE(author, prev)` makes
//! two writers extending the same author chain conflict instead of forking it.

use crate::keys::Sig;
use crate::record::{Content, Kind, Provenance, Role, SignedRecord};
use alloy_primitives::{Address, B256};
use laniakea_settlement::EpochId;
use laniakea_units::Timestamp;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(String),
    /// Another writer extended the same author chain first (retryable: re-read the head, re-sign).
    #[error("another record already follows {prev} for author {author}: concurrent writer; re-read the chain head and retry")]
    ChainConflict { author: String, prev: String },
    /// The same record was stored by a concurrent writer during this transaction (retryable:
    /// a retry finds it and reports it as already stored).
    #[error("record {0} was stored concurrently by another writer; retry")]
    DuplicateId(String),
    /// The database is busy or a transaction was aborted by a concurrent one (retryable).
    #[error("database busy or transaction conflict (retryable): {0}")]
    Busy(String),
    #[error("stored row {seq} is unreadable: {reason}")]
    Corrupt { seq: i64, reason: String },
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::ChainConflict { .. } | StoreError::Busy(_) | StoreError::DuplicateId(_)
        )
    }
}

/// A stored row, column by column, as text/integers (no interpretation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub schema_version: i64,
    pub epoch: Option<String>,
    pub subject: String,
    pub author: String,
    pub role: String,
    pub created_at: i64,
    pub provenance: String,
    pub payload: String,
    pub prev: String,
    pub supersedes: Option<String>,
    pub signature: String,
}

/// The one table both backends use; `seq_column` is the backend's auto-increment key type.
/// `UNIQUE(author, prev)` is what turns a race on one author chain into a conflict.
pub fn schema_sql(seq_column: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS records (
  seq {seq_column},
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  schema_version BIGINT NOT NULL,
  epoch TEXT,
  subject TEXT NOT NULL,
  author TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  provenance TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev TEXT NOT NULL,
  supersedes TEXT,
  signature TEXT NOT NULL,
  CONSTRAINT author_chain UNIQUE (author, prev)
);
CREATE INDEX IF NOT EXISTS records_kind_subject ON records (kind, subject, seq);
CREATE INDEX IF NOT EXISTS records_subject ON records (subject, seq);
CREATE INDEX IF NOT EXISTS records_epoch ON records (epoch, seq);
CREATE INDEX IF NOT EXISTS records_created ON records (created_at, seq);
CREATE INDEX IF NOT EXISTS records_author ON records (author, seq);
"
    )
}

pub const COLUMNS: &str = "seq, id, kind, schema_version, epoch, subject, author, role, created_at, provenance, payload, prev, supersedes, signature";

impl RawRow {
    pub fn from_record(r: &SignedRecord, payload_canonical: String) -> RawRow {
        let c = &r.content;
        RawRow {
            seq: 0,
            id: r.id.to_string(),
            kind: c.kind.as_str().to_string(),
            schema_version: i64::from(c.schema_version),
            epoch: c.epoch.map(|e| e.to_string()),
            subject: c.subject.clone(),
            author: format!("{:#x}", c.author),
            role: c.role.as_str().to_string(),
            created_at: c.created_at.0 as i64,
            provenance: c.provenance.as_str().to_string(),
            payload: payload_canonical,
            prev: c.prev.to_string(),
            supersedes: c.supersedes.map(|s| s.to_string()),
            signature: r.signature.to_hex(),
        }
    }

    /// Parses the columns back into a record; any malformed column is reported, never panics.
    pub fn decode(&self) -> Result<SignedRecord, StoreError> {
        let bad = |what: &str| StoreError::Corrupt {
            seq: self.seq,
            reason: what.to_string(),
        };
        let hash = |s: &str, what: &str| {
            s.parse::<B256>()
                .map_err(|_| bad(&format!("{what} is not a 32-byte hex hash")))
        };
        let content = Content {
            kind: Kind::parse(&self.kind)
                .ok_or_else(|| bad(&format!("unknown kind '{}'", self.kind)))?,
            schema_version: u32::try_from(self.schema_version)
                .map_err(|_| bad("schema_version out of range"))?,
            epoch: match &self.epoch {
                Some(e) => Some(EpochId::parse(e).map_err(|_| bad("epoch is not YYYY-MM-DD"))?),
                None => None,
            },
            subject: self.subject.clone(),
            author: self
                .author
                .parse::<Address>()
                .map_err(|_| bad("author is not an address"))?,
            role: Role::parse(&self.role)
                .ok_or_else(|| bad(&format!("unknown role '{}'", self.role)))?,
            created_at: Timestamp(
                u64::try_from(self.created_at).map_err(|_| bad("created_at is negative"))?,
            ),
            provenance: Provenance::parse(&self.provenance)
                .ok_or_else(|| bad("unknown provenance"))?,
            payload: serde_json::from_str(&self.payload)
                .map_err(|e| bad(&format!("payload is not JSON: {e}")))?,
            prev: hash(&self.prev, "prev")?,
            supersedes: match &self.supersedes {
                Some(s) => Some(hash(s, "supersedes")?),
                None => None,
            },
        };
        Ok(SignedRecord {
            id: hash(&self.id, "id")?,
            content,
            signature: Sig::from_hex(&self.signature)
                .ok_or_else(|| bad("signature is not 65 hex bytes"))?,
        })
    }
}

/// A list query; all filters optional, results in storage order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub kind: Option<Kind>,
    pub subject: Option<String>,
    pub epoch: Option<EpochId>,
    /// `created_at ≥ from`
    pub from: Option<Timestamp>,
    /// `created_at < to`
    pub to: Option<Timestamp>,
    /// Only rows with `seq > after` (the paging cursor).
    pub after: i64,
    pub limit: usize,
}

/// One page of a listing, and the cursor for the next one (`None` at the end).
#[derive(Debug, Clone)]
pub struct Page {
    pub rows: Vec<RawRow>,
    pub next: Option<i64>,
}

/// Work done inside one write transaction. Dropping it without `commit` rolls back.
pub trait StoreTx {
    fn contains(&mut self, id: B256) -> Result<bool, StoreError>;
    /// Which of `ids` are already stored.
    fn existing(&mut self, ids: &[B256]) -> Result<std::collections::HashSet<B256>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for id in ids {
            if self.contains(*id)? {
                out.insert(*id);
            }
        }
        Ok(out)
    }
    fn kind_of(&mut self, id: B256) -> Result<Option<Kind>, StoreError>;
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError>;
    fn is_empty(&mut self) -> Result<bool, StoreError>;
    /// Genesis and role records with `seq > after`, in order.
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError>;
    fn insert(&mut self, row: &RawRow) -> Result<i64, StoreError>;
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A Synome store.
pub trait Store {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError>;
    fn get(&mut self, id: B256) -> Result<Option<RawRow>, StoreError>;
    fn latest(&mut self, kind: Kind, subject: &str) -> Result<Option<RawRow>, StoreError>;
    fn list(&mut self, q: &Query) -> Result<Page, StoreError>;
    fn count(&mut self) -> Result<u64, StoreError>;
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError>;
    /// A backend name for messages (`sqlite:PATH`, `postgres`).
    fn describe(&self) -> String;
}

/// Builds the WHERE clause shared by both backends (`$n` or `?n` placeholders via `ph`).
pub(crate) fn list_sql(q: &Query, ph: impl Fn(usize) -> String) -> (String, Vec<QueryArg>) {
    let mut clauses = vec![format!("seq > {}", ph(1))];
    let mut args = vec![QueryArg::Int(q.after)];
    let mut push = |clause: &str, a: QueryArg| {
        args.push(a);
        clauses.push(format!("{clause} {}", ph(args.len())));
    };
    if let Some(k) = q.kind {
        push("kind =", QueryArg::Text(k.as_str().to_string()));
    }
    if let Some(s) = &q.subject {
        push("subject =", QueryArg::Text(s.clone()));
    }
    if let Some(e) = q.epoch {
        push("epoch =", QueryArg::Text(e.to_string()));
    }
    if let Some(f) = q.from {
        push("created_at >=", QueryArg::Int(f.0 as i64));
    }
    if let Some(t) = q.to {
        push("created_at <", QueryArg::Int(t.0 as i64));
    }
    let limit = q.limit.clamp(1, 10_000);
    (
        format!(
            "SELECT {COLUMNS} FROM records WHERE {} ORDER BY seq LIMIT {}",
            clauses.join(" AND "),
            limit + 1
        ),
        args,
    )
}

#[derive(Debug, Clone)]
pub(crate) enum QueryArg {
    Int(i64),
    Text(String),
}

pub(crate) fn page_from(mut rows: Vec<RawRow>, limit: usize) -> Page {
    let limit = limit.clamp(1, 10_000);
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    Page { rows, next }
}

/// A boxed store is a store (lets callers pick the backend at run time).
impl<T: Store + ?Sized> Store for Box<T> {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        (**self).begin()
    }
    fn get(&mut self, id: B256) -> Result<Option<RawRow>, StoreError> {
        (**self).get(id)
    }
    fn latest(&mut self, kind: Kind, subject: &str) -> Result<Option<RawRow>, StoreError> {
        (**self).latest(kind, subject)
    }
    fn list(&mut self, q: &Query) -> Result<Page, StoreError> {
        (**self).list(q)
    }
    fn count(&mut self) -> Result<u64, StoreError> {
        (**self).count()
    }
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError> {
        (**self).author_head(author)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}
