//! Contract kinds and their scalar storage.
//!
//! Contract: these structs hold only a contract's small scalar fields; mappings (balances,
//! allowances, roles, urns, rate-limit entries) live in [`crate::state::State`] so that they are
//! journalled entry by entry. Field comments give units in MCD notation.

use alloy_primitives::{Address, B256, U256};
use laniakea_units::Timestamp;
use std::collections::BTreeMap;
use std::sync::Arc;

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
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("?")
    }
}

impl std::fmt::Debug for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_str())
    }
}

/// ERC-20 scalar storage (balances/allowances live in the state ledgers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erc20 {
    pub symbol: Symbol,
    pub total_supply: U256,
}

/// sUSDS: an ERC-20 of shares and an ERC-4626 over `asset` (USDS) with the savings accumulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Savings {
    pub token: Erc20,
    /// the underlying (USDS)
    pub asset: Address,
    pub join: Address,
    /// surplus/deficit account charged with the yield (`vat.suck(vow, …)`)
    pub vow: Address,
    /// [ray]
    pub chi: U256,
    /// [s] time of the last drip
    pub rho: Timestamp,
    /// [ray per second]
    pub ssr: U256,
}

/// Vat globals (urns, dai and sin live in the state ledgers).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vat {
    /// total debt [rad]
    pub debt: U256,
    /// total unbacked debt [rad]
    pub vice: U256,
    /// global ceiling [rad]
    pub line_total: U256,
    /// shared until written (`Arc::make_mut`), so journalling the Vat does not copy the ilks
    pub ilks: Arc<BTreeMap<B256, Ilk>>,
}

/// An MCD collateral type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ilk {
    /// total normalised debt [wad]
    pub art_total: U256,
    /// accumulated rate [ray]
    pub rate: U256,
    /// price with safety margin [ray]
    pub spot: U256,
    /// debt ceiling [rad]
    pub line: U256,
    /// urn debt floor [rad]
    pub dust: U256,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Jug {
    pub vat: Address,
    pub vow: Address,
    /// global base rate [ray per second], added to every ilk's duty
    pub base: U256,
    pub ilks: Arc<BTreeMap<B256, JugIlk>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JugIlk {
    /// [ray per second]
    pub duty: U256,
    pub rho: Timestamp,
}

/// USDS join adapter between Vat `dai` [rad] and the USDS token [wad].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    pub vat: Address,
    pub usds: Address,
}

/// dss-allocator style ilk vault: the only urn of its ilk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IlkVault {
    pub ilk: B256,
    pub vat: Address,
    pub jug: Address,
    pub join: Address,
    pub usds: Address,
    /// where drawn USDS is minted and wiped USDS is taken from
    pub buffer: Address,
    /// cumulative USDS drawn [wad]
    pub drawn_wad: U256,
    /// cumulative USDS wiped [wad]
    pub wiped_wad: U256,
}

/// dss-allocator style buffer: holds USDS, approves spenders (wards only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buffer {
    pub vault: Address,
}

/// spark `RateLimits` (entries live in the state ledgers).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateLimits;

/// spark `ALMProxy`: holds the PAU's funds; stateless besides roles.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlmProxy;

/// The PAU controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    pub proxy: Address,
    pub rate_limits: Address,
    pub ilk_vault: Address,
    pub buffer: Address,
    pub usds: Address,
    /// vault → max exchange rate, `1e36·assets/shares`; 0 (absent) means the vault is closed.
    pub max_exchange_rates: Arc<BTreeMap<Address, U256>>,
}

/// Every contract kind the engine runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contract {
    Erc20(Erc20),
    Savings(Savings),
    Vat(Vat),
    Jug(Jug),
    Join(Join),
    IlkVault(IlkVault),
    Buffer(Buffer),
    RateLimits(RateLimits),
    AlmProxy(AlmProxy),
    Controller(Controller),
}

impl Contract {
    pub fn kind(&self) -> &'static str {
        match self {
            Contract::Erc20(_) => "erc20",
            Contract::Savings(_) => "savings",
            Contract::Vat(_) => "vat",
            Contract::Jug(_) => "jug",
            Contract::Join(_) => "join",
            Contract::IlkVault(_) => "ilk-vault",
            Contract::Buffer(_) => "buffer",
            Contract::RateLimits(_) => "rate-limits",
            Contract::AlmProxy(_) => "alm-proxy",
            Contract::Controller(_) => "controller",
        }
    }

    /// The ERC-20 part of a token-like contract.
    pub fn erc20(&self) -> Option<&Erc20> {
        match self {
            Contract::Erc20(t) => Some(t),
            Contract::Savings(s) => Some(&s.token),
            _ => None,
        }
    }

    pub fn erc20_mut(&mut self) -> Option<&mut Erc20> {
        match self {
            Contract::Erc20(t) => Some(t),
            Contract::Savings(s) => Some(&mut s.token),
            _ => None,
        }
    }
}

/// Typed accessors: `state.get::<Vat>(addr)` with a kind-mismatch revert.
macro_rules! kind_access {
    ($($variant:ident => $label:expr),* $(,)?) => {
        $(
            impl crate::contracts::Kind for $variant {
                const LABEL: &'static str = $label;
                fn from_contract(c: &Contract) -> Option<&Self> {
                    if let Contract::$variant(x) = c { Some(x) } else { None }
                }
                fn from_contract_mut(c: &mut Contract) -> Option<&mut Self> {
                    if let Contract::$variant(x) = c { Some(x) } else { None }
                }
            }
        )*
    };
}

pub trait Kind: Sized {
    const LABEL: &'static str;
    fn from_contract(c: &Contract) -> Option<&Self>;
    fn from_contract_mut(c: &mut Contract) -> Option<&mut Self>;
}

kind_access!(
    Erc20 => "erc20", Savings => "savings", Vat => "vat", Jug => "jug", Join => "join",
    IlkVault => "ilk-vault", Buffer => "buffer", RateLimits => "rate-limits",
    AlmProxy => "alm-proxy", Controller => "controller",
);

impl crate::state::State {
    /// The contract at `a` as kind `K`, or a revert naming what was found instead.
    pub fn get<K: Kind>(&self, a: Address) -> crate::error::CallResult<&K> {
        let c = self.contract(a)?;
        K::from_contract(c).ok_or(crate::error::Revert::WrongContractKind {
            contract: a,
            expected: K::LABEL,
            actual: c.kind(),
        })
    }

    /// Mutable access (journalled) to the contract at `a` as kind `K`.
    pub(crate) fn get_mut<K: Kind>(&mut self, a: Address) -> crate::error::CallResult<&mut K> {
        let c = self.contract_mut(a)?;
        let actual = c.kind();
        if K::from_contract(c).is_none() {
            return Err(crate::error::Revert::WrongContractKind {
                contract: a,
                expected: K::LABEL,
                actual,
            });
        }
        K::from_contract_mut(c).ok_or(crate::error::Revert::WrongContractKind {
            contract: a,
            expected: K::LABEL,
            actual,
        })
    }
}
