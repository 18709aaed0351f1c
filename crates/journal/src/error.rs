//! The journal's typed errors, each with a stable code (`Journal/…`).
//!
//! Contract: every error names what it is about — the database path, the journal row (`seq`,
//! its tag) or the field — and the rule that failed. Input problems (a wrong genesis, a bad or
//! tampered row, a second writer) and infrastructure failures (SQLite/PostgreSQL) are distinct
//! variants; nothing here is a panic.

use alloy_primitives::B256;
use laniakea_chain::wire::WireError;
use laniakea_chain::EngineError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    /// A read-only open of a database file that does not exist (nothing is created).
    #[error("no run database at {path}: no such file (a read-only open never creates one)")]
    NotFound { path: String },
    /// The database exists but holds no chain journal.
    #[error("{path} holds no chain journal (table `chain_genesis` is missing or empty): not a run database")]
    NotAJournal { path: String },
    /// The database or its driver failed.
    #[error("{backend} database {location}: {message}")]
    Db {
        backend: &'static str,
        location: String,
        message: String,
    },
    /// The genesis could not be built (bad config or script).
    #[error("genesis: {reason}")]
    Genesis { reason: String },
    /// The database was started from another genesis.
    #[error("{path} was started from a different genesis (stored genesis digest {stored}, this genesis builds {given}); refusing to continue another run's chain — use a new file or the same arguments")]
    GenesisMismatch {
        path: String,
        stored: B256,
        given: B256,
    },
    /// The stored genesis no longer builds the state it built when stored (the engine or the
    /// builder changed since the run started).
    #[error("{path}: the stored genesis now builds digest {rebuilt}, not the stored {stored}; this build cannot resume the run")]
    GenesisDrift {
        path: String,
        stored: B256,
        rebuilt: B256,
    },
    /// A journal row that cannot be read or replayed (corruption or a hand edit).
    #[error("journal row {seq}: {reason}")]
    CorruptRow { seq: u64, reason: String },
    /// A journal row whose replay gives another receipt than the one stored with it: the row,
    /// an earlier row or the engine changed since it was written.
    #[error("journal row {seq} (tag '{tag}'): the replayed receipt hash {replayed} differs from the stored {stored} — the journal was edited or corrupted at or before this row, or the engine changed")]
    ReceiptMismatch {
        seq: u64,
        tag: String,
        stored: B256,
        replayed: B256,
    },
    /// Another process holds the journal's writer lock.
    #[error("{path} is being written by another process (writer lock {lock} is held); one writer per run database")]
    Locked { path: String, lock: String },
    /// Another writer appended the row this one meant to append (the journal is unchanged by
    /// this writer; this handle is now poisoned).
    #[error("journal row {seq} was appended by another writer; this writer stopped (reopen to continue from the journal)")]
    ConcurrentWriter { seq: u64 },
    /// The transaction has no exact wire form (nothing executed).
    #[error("transaction cannot be journaled: {0}")]
    Unencodable(WireError),
    /// A tag already used by an earlier journaled transaction (nothing executed).
    #[error(
        "tag '{tag}' is already in the journal (row {seq}); tags are unique — check has_tag first"
    )]
    DuplicateTag { tag: String, seq: u64 },
    /// The engine could not apply the transaction at all (nothing executed, nothing journaled).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// An earlier append failed after its transaction executed: the in-memory chain is ahead of
    /// the journal, so this handle refuses everything; reopening resumes from the journal.
    #[error("this chain handle stopped after a failed journal append ({reason}); reopen the database to resume from the journal")]
    Poisoned { reason: String },
    /// `run_meta` does not match its stored digest (a hand edit of a run argument).
    #[error("{path}: run_meta {reason}; the run's arguments were edited outside the journal — refusing to resume")]
    MetaMismatch { path: String, reason: String },
    /// A write on a read-only (replayed, detached) chain.
    #[error("this chain was opened read-only from {path}; it does not journal")]
    ReadOnly { path: String },
}

impl JournalError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            JournalError::NotFound { .. } => "Journal/not-found",
            JournalError::NotAJournal { .. } => "Journal/not-a-journal",
            JournalError::Db { .. } => "Journal/db",
            JournalError::Genesis { .. } => "Journal/genesis",
            JournalError::GenesisMismatch { .. } => "Journal/genesis-mismatch",
            JournalError::GenesisDrift { .. } => "Journal/genesis-drift",
            JournalError::CorruptRow { .. } => "Journal/corrupt-row",
            JournalError::ReceiptMismatch { .. } => "Journal/receipt-mismatch",
            JournalError::Locked { .. } => "Journal/locked",
            JournalError::ConcurrentWriter { .. } => "Journal/concurrent-writer",
            JournalError::Unencodable(_) => "Journal/unencodable",
            JournalError::DuplicateTag { .. } => "Journal/duplicate-tag",
            JournalError::Engine(_) => "Journal/engine",
            JournalError::Poisoned { .. } => "Journal/poisoned",
            JournalError::ReadOnly { .. } => "Journal/read-only",
            JournalError::MetaMismatch { .. } => "Journal/meta-mismatch",
        }
    }
}
