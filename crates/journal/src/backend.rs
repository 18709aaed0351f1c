//! The durable journal store behind [`crate::JournaledChain`]: one trait, two implementations
//! (SQLite in a run's database file — the default — and PostgreSQL).
//!
//! Contract: the same three tables and rules in both (`docs/journal.md`): `chain_genesis`,
//! `chain_journal` (rows numbered from 0 without gaps, unique tags), `run_meta`; an append is one
//! durable transaction; a row number or tag already present is another writer; rows are read in
//! `seq` order with a gap reported as the missing row.

use crate::error::JournalError;
use alloy_primitives::B256;
use std::collections::BTreeMap;

/// The format number written to `chain_genesis.format` by this build. Format 2: a row's hash
/// covers its tag, and `run_meta` carries its digest ([`META_DIGEST_KEY`]). Format 1 (no tag in
/// the hash, no meta digest) is still read and appended to as format 1.
pub const FORMAT: i64 = 2;
/// The formats this build reads.
pub const FORMATS: [i64; 2] = [1, 2];
/// The reserved `run_meta` key holding the digest of every other entry (format 2).
pub const META_DIGEST_KEY: &str = "meta_digest";

/// One stored journal row.
pub(crate) struct Row {
    pub seq: u64,
    pub tag: Option<String>,
    pub tx: String,
    pub hash: B256,
}

/// The stored genesis row.
pub(crate) struct GenesisRow {
    /// `chain_genesis.format` (see [`FORMAT`]).
    pub format: i64,
    pub kind: String,
    pub body: String,
    pub digest: B256,
}

pub(crate) trait Backend {
    /// Where the journal lives (for messages): a path or `postgres:schema`.
    fn location(&self) -> &str;
    /// The stored genesis, if any.
    fn genesis(&mut self) -> Result<Option<GenesisRow>, JournalError>;
    /// Stores the genesis (a new journal only).
    fn put_genesis(&mut self, g: &GenesisRow) -> Result<(), JournalError>;
    /// Calls `f` on every row in `seq` order (a gap is [`JournalError::CorruptRow`]).
    fn for_each_row(
        &mut self,
        f: &mut dyn FnMut(Row) -> Result<(), JournalError>,
    ) -> Result<(), JournalError>;
    /// Appends rows in one durable transaction.
    fn append(&mut self, rows: &[Row]) -> Result<(), JournalError>;
    fn meta_all(&mut self) -> Result<BTreeMap<String, String>, JournalError>;
    /// Sets every `(key, value)` in one durable transaction (all or none survive a kill).
    fn meta_set_many(&mut self, entries: &[(&str, &str)]) -> Result<(), JournalError>;
}

/// The gap check shared by the stores: row `expected` must come next.
pub(crate) fn check_seq(expected: u64, seq: u64) -> Result<(), JournalError> {
    if seq != expected {
        return Err(JournalError::CorruptRow {
            seq: expected,
            reason: format!(
                "missing (the next stored row is {seq}); rows are numbered from 0 without gaps"
            ),
        });
    }
    Ok(())
}

/// The format check of a stored genesis row.
pub(crate) fn check_format(location: &str, format: i64) -> Result<(), JournalError> {
    if !FORMATS.contains(&format) {
        return Err(JournalError::Genesis {
            reason: format!(
                "{location}: stored genesis row: format {format} is not readable by this build (reads {FORMATS:?})"
            ),
        });
    }
    Ok(())
}

/// Parses a stored hash column.
pub(crate) fn parse_hash(seq: u64, column: &str, text: &str) -> Result<B256, JournalError> {
    text.parse().map_err(|_| JournalError::CorruptRow {
        seq,
        reason: format!("column `{column}` '{text}' is not 32-byte hex"),
    })
}
