//! Revert reasons: the typed values a transaction can fail with.
//!
//! Contract: every variant has a stable `code()` (the Solidity-style reason string a user would
//! see on Ethereum, e.g. `RateLimits/rate-limit-exceeded`) and a readable `Display` carrying the
//! numbers involved. A revert is a *result* of a transaction, never a crash. Infrastructure-level
//! rejections (a transaction that cannot even be applied) are [`EngineError`].

use laniakea_units::Timestamp;
use thiserror::Error;

pub use crate::families::Revert;

pub type CallResult<T> = Result<T, Revert>;

/// A transaction that could not be applied at all (not a revert: it gets no tx index and no
/// nonce). The engine state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    #[error("block time {requested} is before the current block time {current}; time never goes backwards")]
    TimeWentBackwards {
        current: Timestamp,
        requested: Timestamp,
    },
}
