//! laniakea-synome: the shared, authorised, auditable store of settlement artifacts (SPEC §6).
//!
//! Contract: every record is canonical JSON (RFC 8785) → keccak-256 id → EIP-191 secp256k1
//! signature, chained per author and authorised by Core Council role grants from genesis;
//! stores (SQLite default, PostgreSQL) share one trait and one behavioural test suite; nothing
//! invalid is ever stored, and `verify` detects any later tampering. See `docs/synome.md`.

pub mod canonical;
pub mod keys;
pub mod postgres;
pub mod record;
pub mod sqlite;
pub mod store;
mod synome;

pub use keys::{recover, Sig, Signer};
pub use record::{Content, Kind, Provenance, Role, SignedRecord};
pub use store::{Query, Store, StoreError};
pub use synome::{
    check_sealed, Appended, AuthState, BadRecord, Synome, SynomeError, VerifyReport, Writer,
};
