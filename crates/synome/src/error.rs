//! The Synome's two error channels (house style: the engine's `Revert` vs `EngineError`).
//!
//! Contract: a [`Rejection`] is the *input's* fault — a record that breaks a rule (bad
//! signature, wrong role, broken chain, foreign Synome, non-canonical column…). It names the
//! record and the rule, carries typed fields, and has a stable [`Rejection::code`]
//! (`synome/<rule>`); nothing of a rejected write is stored. A [`StoreError`] is an
//! infrastructure failure (database unreachable, store missing or not initialised, a lost race),
//! with its own stable codes (`store/<what>`); the server's message and SQLSTATE are kept.
//! [`SynomeError`] is one or the other.

use crate::record::{Kind, Role};
use alloy_primitives::{Address, B256};
use laniakea_units::{Timestamp, Wad};
use thiserror::Error;

/// Why a record was refused (at write time) or is bad (in `verify`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Rejection {
    #[error("record {id}: id does not match the hash of its content ({computed})")]
    IdMismatch { id: B256, computed: B256 },
    #[error("record {id}: bad signature (it does not recover to an address)")]
    BadSignature { id: B256 },
    #[error("record {id}: signed by {recovered}, but the author field says {author}")]
    SignerMismatch {
        id: B256,
        recovered: Address,
        author: Address,
    },
    #[error("record {id}: payload {path}: number {value} is not an integer; amounts must be decimal strings")]
    NonIntegerNumber {
        id: B256,
        path: String,
        value: String,
    },
    #[error("record {id}: schema version {found} is not {kind}'s current version {current}")]
    SchemaVersion {
        id: B256,
        kind: Kind,
        found: u32,
        current: u32,
    },
    #[error("record {id}: created_at {created_at} is beyond the storable range (≤ 2^63 − 1)")]
    CreatedAtOutOfRange { id: B256, created_at: Timestamp },
    #[error("record {id}: subject '{subject}' is not generator, global or prime:<id>")]
    BadSubject { id: B256, subject: String },
    #[error("record {id}: invalid {kind} payload: {reason}")]
    Payload {
        id: B256,
        kind: Kind,
        reason: String,
    },
    #[error(
        "record {id}: column {column} is '{column_value}' but the payload says '{payload_value}'"
    )]
    ColumnMismatch {
        id: B256,
        column: &'static str,
        column_value: String,
        payload_value: String,
    },
    #[error("record {id}: unknown signer {author}: it holds no role in this Synome")]
    UnknownSigner { id: B256, author: Address },
    #[error("record {id}: {author} does not hold role {role}")]
    RoleNotHeld {
        id: B256,
        author: Address,
        role: Role,
    },
    #[error("record {id}: dated {created_at}, before the grant ({granted_at}) that authorises {author} as {role}")]
    BeforeAuthorisation {
        id: B256,
        author: Address,
        role: Role,
        created_at: Timestamp,
        granted_at: Timestamp,
    },
    #[error("record {id}: role {role} may not write {kind} records (allowed: {})", allowed_list(*role))]
    WrongRole { id: B256, role: Role, kind: Kind },
    #[error("record {id}: the Synome has no genesis yet; the first record must be the Core Council's genesis")]
    NoGenesis { id: B256 },
    #[error("record {id}: a genesis record already exists")]
    GenesisExists { id: B256 },
    #[error("record {id}: a genesis must be written by the Core Council address it names, in role core-council, with no Synome and no previous records")]
    BadGenesis { id: B256 },
    #[error(
        "record {id}: the core-council role is fixed at genesis and cannot be granted or revoked"
    )]
    CouncilRoleFixed { id: B256 },
    #[error("record {id}: belongs to Synome {synome}, not this one ({expected})")]
    ForeignSynome {
        id: B256,
        synome: B256,
        expected: B256,
    },
    #[error("record {id}: broken author chain: author {author}'s head is {head}, the record's prev is {prev} (a stale writer re-reads the head and re-signs)")]
    BrokenChain {
        id: B256,
        author: Address,
        head: B256,
        prev: B256,
    },
    #[error("record {id}: broken store chain: the store's head is {head}, the record's store_prev is {store_prev} (a stale writer re-reads the head and re-signs)")]
    StaleStoreHead {
        id: B256,
        head: B256,
        store_prev: B256,
    },
    #[error("record {id}: stored at position {seq}, expected position {expected}")]
    PositionGap { id: B256, seq: i64, expected: i64 },
    #[error("record {id}: created_at {created_at} is before the author {author}'s previous record ({previous})")]
    TimeWentBackwards {
        id: B256,
        author: Address,
        created_at: Timestamp,
        previous: Timestamp,
    },
    #[error("record {id}: references {reference}, which is not earlier in the Synome")]
    MissingReference { id: B256, reference: B256 },
    #[error("record {id}: references {reference}, a {found} record, not {want}")]
    WrongReferenceKind {
        id: B256,
        reference: B256,
        found: Kind,
        want: Kind,
    },
    #[error("record {id}: forgives {amount} of penalty {penalty}, but only {remaining} of it is unforgiven")]
    ForgivenessExceedsPenalty {
        id: B256,
        penalty: B256,
        amount: Wad,
        remaining: Wad,
    },
    #[error("record {id}: a forgiveness must forgive a positive amount")]
    ZeroForgiveness { id: B256 },
    #[error("record {id}: supersedes forgiveness {superseded}, which forgives another penalty (a forgiveness may replace only one of the same penalty)")]
    SupersedesOtherPenalty { id: B256, superseded: B256 },
    #[error("record {id}: supersedes {superseded}, a {found} record; a correction has the kind of the record it corrects ({kind})")]
    SupersedesOtherKind {
        id: B256,
        superseded: B256,
        kind: Kind,
        found: Kind,
    },
    #[error("record {id}: about '{subject}', supersedes {superseded}, which is about '{found}'; a correction has the subject of the record it corrects")]
    SupersedesOtherSubject {
        id: B256,
        superseded: B256,
        subject: String,
        found: String,
    },
    #[error("record {id}: checkpoint says {position} records precede it, but {actual} do")]
    CheckpointMismatch {
        id: B256,
        position: u64,
        actual: u64,
    },
    #[error("record {id}: {address} is the DEMO key '{label}' (its secret is public); this Synome is not a demo and refuses it")]
    DemoKeyInRealSynome {
        id: B256,
        address: Address,
        label: String,
    },
    #[error("record {id}: this is a DEMO Synome: {address} must be named with the demo label it derives from (a real key is refused here)")]
    RealKeyInDemoSynome { id: B256, address: Address },
    #[error("record {id}: demo label '{label}' derives {derived}, not {address}")]
    DemoLabelMismatch {
        id: B256,
        label: String,
        derived: Address,
        address: Address,
    },
    #[error("record {id}: column {column} is not in its one canonical form")]
    NonCanonicalColumn { id: B256, column: &'static str },
    #[error("record {id}: stored twice")]
    DuplicateId { id: B256 },
    #[error("record {id}: states the same fact as {existing}, which is no longer in force (or is stored twice); to state it again, change its content (e.g. a later created_at)")]
    DuplicateFact { id: B256, existing: B256 },
}

fn allowed_list(role: Role) -> String {
    role.allowed_kinds()
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Rejection {
    /// The stable code of the rule broken, e.g. `synome/broken-chain`.
    pub fn code(&self) -> &'static str {
        use Rejection::*;
        match self {
            IdMismatch { .. } => "synome/id-mismatch",
            BadSignature { .. } => "synome/bad-signature",
            SignerMismatch { .. } => "synome/signer-mismatch",
            NonIntegerNumber { .. } => "synome/non-integer-number",
            SchemaVersion { .. } => "synome/schema-version",
            CreatedAtOutOfRange { .. } => "synome/created-at-out-of-range",
            BadSubject { .. } => "synome/bad-subject",
            Payload { .. } => "synome/invalid-payload",
            ColumnMismatch { .. } => "synome/column-payload-mismatch",
            UnknownSigner { .. } => "synome/unknown-signer",
            RoleNotHeld { .. } => "synome/role-not-held",
            WrongRole { .. } => "synome/wrong-role",
            BeforeAuthorisation { .. } => "synome/before-authorisation",
            NoGenesis { .. } => "synome/no-genesis",
            GenesisExists { .. } => "synome/genesis-exists",
            BadGenesis { .. } => "synome/bad-genesis",
            CouncilRoleFixed { .. } => "synome/council-role-fixed",
            ForeignSynome { .. } => "synome/foreign-synome",
            BrokenChain { .. } => "synome/broken-chain",
            StaleStoreHead { .. } => "synome/stale-store-head",
            PositionGap { .. } => "synome/position-gap",
            TimeWentBackwards { .. } => "synome/time-went-backwards",
            MissingReference { .. } => "synome/missing-reference",
            WrongReferenceKind { .. } => "synome/wrong-reference-kind",
            ForgivenessExceedsPenalty { .. } => "synome/forgiveness-exceeds-penalty",
            ZeroForgiveness { .. } => "synome/zero-forgiveness",
            SupersedesOtherPenalty { .. } => "synome/supersedes-other-penalty",
            SupersedesOtherKind { .. } => "synome/supersedes-other-kind",
            SupersedesOtherSubject { .. } => "synome/supersedes-other-subject",
            CheckpointMismatch { .. } => "synome/checkpoint-mismatch",
            DemoKeyInRealSynome { .. } => "synome/demo-key-in-real-synome",
            RealKeyInDemoSynome { .. } => "synome/real-key-in-demo-synome",
            DemoLabelMismatch { .. } => "synome/demo-label-mismatch",
            NonCanonicalColumn { .. } => "synome/non-canonical-column",
            DuplicateId { .. } => "synome/duplicate-id",
            DuplicateFact { .. } => "synome/duplicate-fact",
        }
    }

    /// The record refused.
    pub fn id(&self) -> B256 {
        use Rejection::*;
        match self {
            IdMismatch { id, .. }
            | BadSignature { id }
            | SignerMismatch { id, .. }
            | NonIntegerNumber { id, .. }
            | SchemaVersion { id, .. }
            | CreatedAtOutOfRange { id, .. }
            | BadSubject { id, .. }
            | Payload { id, .. }
            | ColumnMismatch { id, .. }
            | UnknownSigner { id, .. }
            | RoleNotHeld { id, .. }
            | WrongRole { id, .. }
            | BeforeAuthorisation { id, .. }
            | NoGenesis { id }
            | GenesisExists { id }
            | BadGenesis { id }
            | CouncilRoleFixed { id }
            | ForeignSynome { id, .. }
            | BrokenChain { id, .. }
            | StaleStoreHead { id, .. }
            | PositionGap { id, .. }
            | TimeWentBackwards { id, .. }
            | MissingReference { id, .. }
            | WrongReferenceKind { id, .. }
            | ForgivenessExceedsPenalty { id, .. }
            | ZeroForgiveness { id }
            | SupersedesOtherPenalty { id, .. }
            | SupersedesOtherKind { id, .. }
            | SupersedesOtherSubject { id, .. }
            | CheckpointMismatch { id, .. }
            | DemoKeyInRealSynome { id, .. }
            | RealKeyInDemoSynome { id, .. }
            | DemoLabelMismatch { id, .. }
            | NonCanonicalColumn { id, .. }
            | DuplicateId { id }
            | DuplicateFact { id, .. } => *id,
        }
    }

    /// Another writer moved a chain head first: re-read the heads, re-sign, retry.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Rejection::BrokenChain { .. } | Rejection::StaleStoreHead { .. }
        )
    }
}

/// An infrastructure failure: nothing was stored by the operation that returned it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The database refused or failed; `sqlstate` is PostgreSQL's (SQLite's result code is in
    /// the message).
    #[error("{backend} error{}: {message}", .sqlstate.as_deref().map(|s| format!(" (SQLSTATE {s})")).unwrap_or_default())]
    Db {
        backend: &'static str,
        sqlstate: Option<String>,
        message: String,
    },
    /// No store at the place named (a mistyped path or schema): nothing was created.
    #[error("no Synome at {location}: {reason} (create one with `laniakea synome init`)")]
    NotFound { location: String, reason: String },
    /// The store exists but its schema version is not the one this build reads.
    #[error("{location}: Synome schema version {found}, this build needs {expected}{}", if *.found < *.expected { " (this store predates the store-wide chain; its records cannot be migrated: re-create it)" } else { " (written by a newer build)" })]
    SchemaVersion {
        location: String,
        found: i64,
        expected: i64,
    },
    /// Another writer extended the same author chain first (retryable).
    #[error("another record already follows {prev} for author {author}: concurrent writer; re-read the chain heads and retry")]
    ChainConflict { author: String, prev: String },
    /// The same record was stored by a concurrent writer (retryable: a retry finds it stored).
    #[error("record {0} was stored concurrently by another writer; retry")]
    DuplicateId(String),
    /// The database is busy or a transaction was aborted by a concurrent one (retryable).
    #[error("database busy or transaction conflict (retryable): {0}")]
    Busy(String),
    /// A stored row cannot even be read as a record (a column of the wrong type…).
    #[error("stored row at position {seq} (id {id}) is unreadable: column {column}: {reason}")]
    Corrupt {
        seq: i64,
        id: String,
        column: &'static str,
        reason: String,
    },
    /// Writing an export failed, or the store did not keep rows it acknowledged.
    #[error("write failed: {0}")]
    Write(String),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Db { .. } => "store/db",
            StoreError::NotFound { .. } => "store/not-found",
            StoreError::SchemaVersion { .. } => "store/schema-version",
            StoreError::ChainConflict { .. } => "store/chain-conflict",
            StoreError::DuplicateId(_) => "store/duplicate-id",
            StoreError::Busy(_) => "store/busy",
            StoreError::Corrupt { .. } => "store/corrupt-row",
            StoreError::Write(_) => "store/write",
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::ChainConflict { .. } | StoreError::Busy(_) | StoreError::DuplicateId(_)
        )
    }
}

/// A refused record, or a store failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SynomeError {
    #[error("rejected [{code}]: {inner}", code = .0.code(), inner = .0)]
    Rejected(Rejection),
    #[error("store failure [{code}]: {inner}", code = .0.code(), inner = .0)]
    Store(StoreError),
}

// Not `#[from]`: that would also make the inner error the `source`, and error reports would
// print it twice.
impl From<Rejection> for SynomeError {
    fn from(r: Rejection) -> Self {
        SynomeError::Rejected(r)
    }
}

impl From<StoreError> for SynomeError {
    fn from(e: StoreError) -> Self {
        SynomeError::Store(e)
    }
}

impl SynomeError {
    pub fn code(&self) -> &'static str {
        match self {
            SynomeError::Rejected(r) => r.code(),
            SynomeError::Store(e) => e.code(),
        }
    }

    /// Safe to retry after re-reading the chain heads and re-signing. Nothing was stored.
    pub fn is_retryable(&self) -> bool {
        match self {
            SynomeError::Rejected(r) => r.is_retryable(),
            SynomeError::Store(e) => e.is_retryable(),
        }
    }

    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            SynomeError::Rejected(r) => Some(r),
            SynomeError::Store(_) => None,
        }
    }
}
