//! Shared contract vocabulary: the [`Symbol`] type, typed access `state.get::<K>(addr)`, and
//! re-exports of every family's contract struct (defined in `families/<name>/`).

pub use crate::families::alm_proxy::AlmProxy;
pub use crate::families::buffer::Buffer;
pub use crate::families::controller::Controller;
pub use crate::families::ilk_vault::IlkVault;
pub use crate::families::join::Join;
pub use crate::families::jug::{Jug, JugIlk};
pub use crate::families::rate_limits::RateLimits;
pub use crate::families::savings::Savings;
pub use crate::families::token::Erc20;
pub use crate::families::vat::{Ilk, Vat};
pub use crate::families::{Contract, Kind};

use crate::error::{CallResult, Revert};
use crate::state::State;
use alloy_primitives::Address;

/// A short ASCII symbol stored inline (no heap), e.g. `USDS`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Symbol {
    len: u8,
    bytes: [u8; 15],
}

impl Symbol {
    /// `None` unless 1–15 ASCII alphanumeric characters (or `-`, `_`, `.`).
    pub fn new(s: &str) -> Option<Symbol> {
        if s.is_empty()
            || s.len() > 15
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return None;
        }
        let mut bytes = [0u8; 15];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(Symbol {
            len: s.len() as u8,
            bytes,
        })
    }

    /// As [`Symbol::new`], with the typed revert `Token/invalid-symbol` for a bad symbol.
    pub fn parse(s: &str) -> CallResult<Symbol> {
        Symbol::new(s).ok_or_else(|| {
            Revert::Erc20(crate::families::token::TokenRevert::InvalidSymbol(
                s.to_string(),
            ))
        })
    }

    pub fn as_str(&self) -> &str {
        let s = std::str::from_utf8(&self.bytes[..self.len as usize]);
        assert!(
            s.is_ok(),
            "Symbol holds ASCII only (checked in Symbol::new)"
        );
        s.unwrap_or_default()
    }
}

impl std::fmt::Debug for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_str())
    }
}

impl State {
    /// The contract at `a` as kind `K`, or a revert naming what was found instead.
    pub fn get<K: Kind>(&self, a: Address) -> CallResult<&K> {
        let c = self.contract(a)?;
        K::from_contract(c).ok_or(Revert::WrongContractKind {
            contract: a,
            expected: K::LABEL,
            actual: c.kind(),
        })
    }

    /// Mutable access (journalled) to the contract at `a` as kind `K`.
    pub(crate) fn get_mut<K: Kind>(&mut self, a: Address) -> CallResult<&mut K> {
        let actual = self.contract(a)?.kind();
        if K::from_contract(self.contract(a)?).is_none() {
            return Err(Revert::WrongContractKind {
                contract: a,
                expected: K::LABEL,
                actual,
            });
        }
        let c = self.contract_mut(a)?;
        K::from_contract_mut(c).ok_or(Revert::WrongContractKind {
            contract: a,
            expected: K::LABEL,
            actual,
        })
    }
}
