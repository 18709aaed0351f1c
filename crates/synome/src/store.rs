//! The storage seam: one trait, two backends (SQLite default, PostgreSQL).
//!
//! Contract: stores keep rows exactly as given and never validate meaning — the [`crate::Synome`]
//! layer does that inside a store transaction ([`StoreTx`]) holding the store's write lock, so a
//! rejected write stores nothing and positions are committed in order. Every record is kept as
//! its raw columns (payload as canonical JSON text, hashes and signature as lowercase 0x-hex),
//! so a verifier re-derives everything from what is on disk. Opening a store never creates or
//! migrates it (`init` does, explicitly); a missing store is [`StoreError::NotFound`].

use crate::keys::Sig;
use crate::record::{Content, Kind, Provenance, Role, SignedRecord};
use alloy_primitives::{Address, B256};
use laniakea_units::EpochId;
use laniakea_units::Timestamp;
use std::collections::HashMap;

pub use crate::error::StoreError;

/// The schema version this build reads and writes (`synome_meta.schema_version`).
/// Version 1 (before the store-wide chain) had no `synome`, `fact` or `store_prev` columns.
pub const SCHEMA_VERSION: i64 = 2;

/// A stored row, column by column, as text/integers (no interpretation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// The record's position in the store chain: 1 for genesis, contiguous.
    pub seq: i64,
    pub id: String,
    pub synome: String,
    pub fact: String,
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
    pub store_prev: String,
    pub supersedes: Option<String>,
    pub signature: String,
}

/// `col` is `0x` + `hex_len` lowercase characters (a database-side guard; `verify` checks the
/// exact canonical form of every column whatever the database allows).
fn hex_check(col: &str, hex_len: usize) -> String {
    format!(
        "CHECK (length({col}) = {} AND substr({col}, 1, 2) = '0x' AND {col} = lower({col}))",
        hex_len + 2
    )
}

/// The schema both backends use (explicit `init`/`migrate`, never on connect).
/// `seq` is assigned by the Synome layer under the store's write lock, so positions are
/// contiguous and commit order is position order; the `seq` key and `UNIQUE(author, prev)` turn
/// any race on a chain head that bypassed the lock into a conflict instead of a fork. (No
/// index on `store_prev`: the position key already does that job, and every random-key index
/// costs WAL volume on SQLite.)
pub fn schema_sql() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS synome_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
  seq BIGINT PRIMARY KEY CHECK (seq > 0),
  id TEXT NOT NULL UNIQUE {id},
  synome TEXT NOT NULL {synome},
  fact TEXT NOT NULL UNIQUE {fact},
  kind TEXT NOT NULL,
  schema_version BIGINT NOT NULL,
  epoch TEXT,
  subject TEXT NOT NULL,
  author TEXT NOT NULL {author},
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  provenance TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev TEXT NOT NULL {prev},
  store_prev TEXT NOT NULL {store_prev},
  supersedes TEXT {supersedes},
  signature TEXT NOT NULL {signature},
  CONSTRAINT author_chain UNIQUE (author, prev)
);
CREATE INDEX IF NOT EXISTS records_kind_subject ON records (kind, subject, seq);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, seq);
CREATE INDEX IF NOT EXISTS records_subject ON records (subject, seq);
CREATE INDEX IF NOT EXISTS records_epoch ON records (epoch, seq);
CREATE INDEX IF NOT EXISTS records_created ON records (created_at, seq);
CREATE INDEX IF NOT EXISTS records_author ON records (author, seq);
",
        id = hex_check("id", 64),
        synome = hex_check("synome", 64),
        fact = hex_check("fact", 64),
        author = hex_check("author", 40),
        prev = hex_check("prev", 64),
        store_prev = hex_check("store_prev", 64),
        supersedes = hex_check("supersedes", 64),
        signature = hex_check("signature", 130),
    )
}

/// Rows no position-ordered page can reach (see [`Store::unpositioned`]).
pub(crate) const UNPOSITIONED_SQL: &str =
    "FROM records WHERE seq IS NULL OR seq <= 0 ORDER BY seq LIMIT 1";

pub const COLUMNS: &str = "seq, id, synome, fact, kind, schema_version, epoch, subject, author, role, created_at, provenance, payload, prev, store_prev, supersedes, signature";

/// Column names in [`COLUMNS`] order (for messages naming a bad column).
pub const COLUMN_NAMES: [&str; 17] = [
    "seq",
    "id",
    "synome",
    "fact",
    "kind",
    "schema_version",
    "epoch",
    "subject",
    "author",
    "role",
    "created_at",
    "provenance",
    "payload",
    "prev",
    "store_prev",
    "supersedes",
    "signature",
];

impl RawRow {
    /// The one canonical row of a record at position `seq`.
    pub fn from_record(
        r: &SignedRecord,
        seq: i64,
        fact: B256,
        payload_canonical: String,
    ) -> RawRow {
        let c = &r.content;
        RawRow {
            seq,
            id: r.id.to_string(),
            synome: c.synome.to_string(),
            fact: fact.to_string(),
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
            store_prev: c.store_prev.to_string(),
            supersedes: c.supersedes.map(|s| s.to_string()),
            signature: r.signature.to_hex(),
        }
    }

    /// The first column in which `self` differs from `other` (the canonical row), if any.
    pub fn first_difference(&self, other: &RawRow) -> Option<&'static str> {
        let pairs: [(&'static str, bool); 17] = [
            ("seq", self.seq == other.seq),
            ("id", self.id == other.id),
            ("synome", self.synome == other.synome),
            ("fact", self.fact == other.fact),
            ("kind", self.kind == other.kind),
            (
                "schema_version",
                self.schema_version == other.schema_version,
            ),
            ("epoch", self.epoch == other.epoch),
            ("subject", self.subject == other.subject),
            ("author", self.author == other.author),
            ("role", self.role == other.role),
            ("created_at", self.created_at == other.created_at),
            ("provenance", self.provenance == other.provenance),
            ("payload", self.payload == other.payload),
            ("prev", self.prev == other.prev),
            ("store_prev", self.store_prev == other.store_prev),
            ("supersedes", self.supersedes == other.supersedes),
            ("signature", self.signature == other.signature),
        ];
        pairs.iter().find(|(_, same)| !same).map(|(c, _)| *c)
    }

    /// Parses the columns back into a record; any malformed column is reported, never panics.
    /// Lenient on encodings (`verify` compares against the canonical row separately).
    pub fn decode(&self) -> Result<SignedRecord, StoreError> {
        let bad = |column: &'static str, reason: String| StoreError::Corrupt {
            seq: self.seq,
            id: self.id.clone(),
            column,
            reason,
        };
        let hash = |s: &str, column: &'static str| {
            s.parse::<B256>()
                .map_err(|_| bad(column, "not a 32-byte hex hash".into()))
        };
        let content = Content {
            synome: hash(&self.synome, "synome")?,
            kind: Kind::parse(&self.kind)
                .ok_or_else(|| bad("kind", format!("unknown kind '{}'", self.kind)))?,
            schema_version: u32::try_from(self.schema_version)
                .map_err(|_| bad("schema_version", "out of range".into()))?,
            epoch: match &self.epoch {
                Some(e) => {
                    Some(EpochId::parse(e).map_err(|_| bad("epoch", "not YYYY-MM-DD".into()))?)
                }
                None => None,
            },
            subject: self.subject.clone(),
            author: self
                .author
                .parse::<Address>()
                .map_err(|_| bad("author", "not an address".into()))?,
            role: Role::parse(&self.role)
                .ok_or_else(|| bad("role", format!("unknown role '{}'", self.role)))?,
            created_at: Timestamp(
                u64::try_from(self.created_at).map_err(|_| bad("created_at", "negative".into()))?,
            ),
            provenance: Provenance::parse(&self.provenance)
                .ok_or_else(|| bad("provenance", "unknown provenance".into()))?,
            payload: serde_json::from_str(&self.payload)
                .map_err(|e| bad("payload", format!("not JSON: {e}")))?,
            prev: hash(&self.prev, "prev")?,
            store_prev: hash(&self.store_prev, "store_prev")?,
            supersedes: match &self.supersedes {
                Some(s) => Some(hash(s, "supersedes")?),
                None => None,
            },
        };
        Ok(SignedRecord {
            id: hash(&self.id, "id")?,
            content,
            signature: Sig::from_hex(&self.signature)
                .ok_or_else(|| bad("signature", "not 0x + 65 hex bytes".into()))?,
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
    /// Takes the store's write lock (held until commit or rollback: other writers wait, so
    /// positions are assigned and committed in order) and returns the head `(seq, id)`.
    fn lock_head(&mut self) -> Result<Option<(i64, B256)>, StoreError>;
    /// The genesis row (position 1).
    fn genesis(&mut self) -> Result<Option<RawRow>, StoreError>;
    /// Which of `facts` are already stored, with the id of the record stating each.
    fn existing_facts(&mut self, facts: &[B256]) -> Result<HashMap<B256, B256>, StoreError>;
    fn get(&mut self, id: B256) -> Result<Option<RawRow>, StoreError>;
    /// The author's last record: `(id, created_at)`.
    fn author_head(&mut self, author: Address) -> Result<Option<(B256, i64)>, StoreError>;
    /// Genesis and role records with `seq > after`, in order.
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError>;
    /// Every record of `kind` about `subject`, in order.
    fn rows_of(&mut self, kind: Kind, subject: &str) -> Result<Vec<RawRow>, StoreError>;
    /// Inserts rows (positions already assigned) in one statement where the backend allows.
    fn insert(&mut self, rows: &[RawRow]) -> Result<(), StoreError>;
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A Synome store. Opening one never creates it: [`Store::init`] is explicit.
pub trait Store {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError>;
    fn get(&mut self, id: B256) -> Result<Option<RawRow>, StoreError>;
    fn latest(&mut self, kind: Kind, subject: &str) -> Result<Option<RawRow>, StoreError>;
    fn list(&mut self, q: &Query) -> Result<Page, StoreError>;
    fn count(&mut self) -> Result<u64, StoreError>;
    /// The store head `(seq, id)` (read only; no lock).
    fn head(&mut self) -> Result<Option<(i64, B256)>, StoreError>;
    /// Every author's last record id (scans the author index: O(records)).
    fn author_heads(&mut self) -> Result<Vec<(Address, B256)>, StoreError>;
    /// One author's last record id (an index lookup).
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError>;
    /// Genesis and role records with `seq > after`, in order (read only).
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError>;
    /// The first row outside the store chain's positions (`seq` NULL or below 1), if any:
    /// paging by `seq > cursor` never reaches such a row, yet `get` by id and the fact index
    /// do, so `verify` must look for it explicitly.
    fn unpositioned(&mut self) -> Result<Option<RawRow>, StoreError>;
    /// A backend name for messages (`sqlite:PATH`, `postgres (schema S)`).
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
    fn head(&mut self) -> Result<Option<(i64, B256)>, StoreError> {
        (**self).head()
    }
    fn author_heads(&mut self) -> Result<Vec<(Address, B256)>, StoreError> {
        (**self).author_heads()
    }
    fn unpositioned(&mut self) -> Result<Option<RawRow>, StoreError> {
        (**self).unpositioned()
    }
    fn author_head(&mut self, author: Address) -> Result<Option<B256>, StoreError> {
        (**self).author_head(author)
    }
    fn auth_rows_since(&mut self, after: i64) -> Result<Vec<RawRow>, StoreError> {
        (**self).auth_rows_since(after)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Parses a stored id column (the store's own key columns; a bad one is a corrupt row).
pub(crate) fn parse_id(seq: i64, s: &str) -> Result<B256, StoreError> {
    s.parse().map_err(|_| StoreError::Corrupt {
        seq,
        id: s.to_string(),
        column: "id",
        reason: "not a 32-byte hex hash".into(),
    })
}
