//! laniakea-synome: the shared, authorised, auditable store of settlement artifacts (SPEC §6).
//!
//! Contract: every record is canonical JSON (RFC 8785) → keccak-256 id → EIP-191 secp256k1
//! signature; it names its Synome (the genesis id), is chained to the store's previous head and
//! to its author's previous record, and is authorised by Core Council role grants from genesis;
//! stores (SQLite default, PostgreSQL) share one trait and one behavioural test suite; nothing
//! invalid is ever stored, and `verify` detects any later tampering. See `docs/synome.md`.

// Rejections carry the typed fields they name (ids, addresses, amounts): ~130 bytes, on the
// cold path of a refused record; boxing them would cost more clarity than it saves.
#![allow(clippy::result_large_err)]

pub mod canonical;
pub mod error;
pub mod keys;
pub mod postgres;
pub mod record;
pub mod sqlite;
pub mod store;
mod synome;

pub use error::{Rejection, StoreError, SynomeError};
pub use keys::{recover, Sig, Signer};
pub use record::{Content, Kind, Provenance, Role, SignedRecord};
pub use store::{Query, Store};
pub use synome::{
    check_sealed, Appended, AuthState, BadRecord, CheckpointSeen, Draft, Synome, Tip, VerifyReport,
    Writer, CSV_HEADER,
};
