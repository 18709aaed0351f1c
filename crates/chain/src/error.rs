//! Revert reasons: the typed values a transaction can fail with.
//!
//! Contract: every variant has a stable `code()` (the Solidity-style reason string a user would
//! see on Ethereum, e.g. `RateLimits/rate-limit-exceeded`) and a readable `Display` carrying the
//! numbers involved. A revert is a *result* of a transaction, never a crash. Infrastructure-level
//! rejections (a transaction that cannot even be applied) are [`EngineError`].

use alloy_primitives::{Address, B256, U256};
use laniakea_units::{MathError, Timestamp};
use thiserror::Error;

/// Why a transaction reverted. No state changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Revert {
    #[error("{0}")]
    Math(#[from] MathError),
    #[error("no contract at {0}")]
    NoContract(Address),
    #[error("a Vat already exists at {existing}; an engine has exactly one")]
    SecondVat { existing: Address },
    #[error("no Vat has been deployed yet")]
    NoVat,
    #[error("'{0}' is not a token symbol (1–15 letters, digits, - _ .)")]
    InvalidSymbol(String),
    #[error("{contract} is a {actual}, not a {expected}")]
    WrongContractKind {
        contract: Address,
        expected: &'static str,
        actual: &'static str,
    },
    #[error("{who} is not authorised on {contract} ({what})")]
    NotAuthorized {
        contract: Address,
        who: Address,
        what: &'static str,
    },
    #[error("{account} lacks role {role} on {contract}")]
    MissingRole {
        contract: Address,
        account: Address,
        role: B256,
    },

    // ERC-20
    #[error("balance of {account} is {balance}, needs {needed}")]
    InsufficientBalance {
        account: Address,
        balance: U256,
        needed: U256,
    },
    #[error("allowance of {spender} from {owner} is {allowance}, needs {needed}")]
    InsufficientAllowance {
        owner: Address,
        spender: Address,
        allowance: U256,
        needed: U256,
    },
    #[error("transfer to the zero address or the token itself")]
    InvalidRecipient,

    // ERC-4626
    #[error("deposit of {assets} by {receiver} exceeds maxDeposit {max}")]
    ExceededMaxDeposit {
        receiver: Address,
        assets: U256,
        max: U256,
    },
    #[error("mint of {shares} by {receiver} exceeds maxMint {max}")]
    ExceededMaxMint {
        receiver: Address,
        shares: U256,
        max: U256,
    },
    #[error("withdraw of {assets} from {owner} exceeds maxWithdraw {max}")]
    ExceededMaxWithdraw {
        owner: Address,
        assets: U256,
        max: U256,
    },
    #[error("redeem of {shares} from {owner} exceeds maxRedeem {max}")]
    ExceededMaxRedeem {
        owner: Address,
        shares: U256,
        max: U256,
    },

    // sUSDS
    #[error("ssr can only change when rho == now (rho {rho}, now {now})")]
    SsrChiNotUpdated { rho: Timestamp, now: Timestamp },
    #[error("ssr {ssr} ray/s is below RAY (a negative rate)")]
    SsrBelowRay { ssr: U256 },

    // Vat / Jug / ilk vault
    #[error("ilk {0} is not initialised")]
    IlkNotInit(B256),
    #[error("ilk {0} is already initialised")]
    IlkAlreadyInit(B256),
    #[error("debt {debt} rad would exceed the ceiling {line} rad")]
    CeilingExceeded { debt: U256, line: U256 },
    #[error("urn debt {tab} rad would exceed its collateral value {value} rad")]
    NotSafe { tab: U256, value: U256 },
    #[error("urn debt {tab} rad is below dust {dust} rad and not zero")]
    Dust { tab: U256, dust: U256 },
    #[error("internal dai of {account} is {balance} rad, needs {needed} rad")]
    InsufficientDai {
        account: Address,
        balance: U256,
        needed: U256,
    },
    #[error("duty can only change right after a drip (rho {rho}, now {now})")]
    JugRhoNotUpdated { rho: Timestamp, now: Timestamp },
    #[error("unknown parameter '{0}'")]
    UnknownParameter(&'static str),

    // RateLimits
    #[error("rate limit {key} is not configured (maxAmount 0)")]
    ZeroMaxAmount { key: B256 },
    #[error("rate limit {key}: requested {requested}, available {available}")]
    RateLimitExceeded {
        key: B256,
        requested: U256,
        available: U256,
    },
    #[error("lastAmount {last_amount} exceeds maxAmount {max_amount}")]
    InvalidLastAmount { last_amount: U256, max_amount: U256 },
    #[error("lastUpdated {last_updated} is in the future (now {now})")]
    InvalidLastUpdated {
        last_updated: Timestamp,
        now: Timestamp,
    },

    // Controller
    #[error("shares out {shares} < minSharesOut {min}")]
    MinSharesOutNotMet { shares: U256, min: U256 },
    #[error("shares burned {shares} > maxSharesIn {max}")]
    SharesBurnedTooHigh { shares: U256, max: U256 },
    #[error("assets out {assets} < minAssetsOut {min}")]
    MinAssetsOutNotMet { assets: U256, min: U256 },
    #[error("exchange rate {rate} (1e36·assets/shares) > max {max}")]
    ExchangeRateTooHigh { rate: U256, max: U256 },
    #[error("{0} is not an ERC-4626 vault this controller can use")]
    NotAVault(Address),
}

impl Revert {
    /// The stable reason code, as the Solidity contract would revert with.
    pub fn code(&self) -> &'static str {
        use Revert::*;
        match self {
            Math(m) => m.code(),
            NoContract(_) => "Engine/no-contract",
            WrongContractKind { .. } => "Engine/wrong-contract-kind",
            SecondVat { .. } => "Engine/second-vat",
            NoVat => "Engine/no-vat",
            InvalidSymbol(_) => "Token/invalid-symbol",
            NotAuthorized { .. } => "Auth/not-authorized",
            MissingRole { .. } => "AccessControl/unauthorized-account",
            InsufficientBalance { .. } => "ERC20/insufficient-balance",
            InsufficientAllowance { .. } => "ERC20/insufficient-allowance",
            InvalidRecipient => "ERC20/invalid-address",
            ExceededMaxDeposit { .. } => "ERC4626/exceeded-max-deposit",
            ExceededMaxMint { .. } => "ERC4626/exceeded-max-mint",
            ExceededMaxWithdraw { .. } => "ERC4626/exceeded-max-withdraw",
            ExceededMaxRedeem { .. } => "ERC4626/exceeded-max-redeem",
            SsrChiNotUpdated { .. } => "SUsds/chi-not-up-to-date",
            SsrBelowRay { .. } => "SUsds/wrong-ssr-value",
            IlkNotInit(_) => "Vat/ilk-not-init",
            IlkAlreadyInit(_) => "Vat/ilk-already-init",
            CeilingExceeded { .. } => "Vat/ceiling-exceeded",
            NotSafe { .. } => "Vat/not-safe",
            Dust { .. } => "Vat/dust",
            InsufficientDai { .. } => "Vat/insufficient-dai",
            JugRhoNotUpdated { .. } => "Jug/rho-not-updated",
            UnknownParameter(_) => "Engine/file-unrecognized-param",
            ZeroMaxAmount { .. } => "RateLimits/zero-maxAmount",
            RateLimitExceeded { .. } => "RateLimits/rate-limit-exceeded",
            InvalidLastAmount { .. } => "RateLimits/invalid-lastAmount",
            InvalidLastUpdated { .. } => "RateLimits/invalid-lastUpdated",
            MinSharesOutNotMet { .. } => "Controller/min-shares-out-not-met",
            SharesBurnedTooHigh { .. } => "Controller/shares-burned-too-high",
            MinAssetsOutNotMet { .. } => "Controller/min-assets-out-not-met",
            ExchangeRateTooHigh { .. } => "Controller/exchange-rate-too-high",
            NotAVault(_) => "Controller/invalid-vault",
        }
    }
}

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
