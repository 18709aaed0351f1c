//! The ordered event log.
//!
//! Contract: events are appended only by committed transactions, in execution order; each carries
//! the block time, the transaction index and its position in the log (the cursor off-chain
//! readers resume from). Amounts carry their unit in the type (`Wad`, `Ray`, `Rad`). Events never
//! change once appended.

use alloy_primitives::{Address, B256};
use laniakea_units::{Rad, Ray, Timestamp, Wad};
use serde::Serialize;

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Position in the log, from 0; the cursor for [`crate::Engine::events_since`].
    pub seq: u64,
    pub block_time: Timestamp,
    pub tx_index: u64,
    pub contract: Address,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened. Field names follow the Solidity events where one exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event")]
pub enum EventKind {
    Deployed {
        kind: &'static str,
        deployer: Address,
    },
    Transfer {
        from: Address,
        to: Address,
        value_wad: Wad,
    },
    Approval {
        owner: Address,
        spender: Address,
        value_wad: Wad,
    },
    Rely {
        usr: Address,
    },
    Deny {
        usr: Address,
    },
    RoleGranted {
        role: B256,
        account: Address,
        sender: Address,
    },
    RoleRevoked {
        role: B256,
        account: Address,
        sender: Address,
    },
    /// ERC-4626 `Deposit(sender, owner, assets, shares)`.
    Deposit {
        sender: Address,
        owner: Address,
        assets_wad: Wad,
        shares_wad: Wad,
    },
    /// ERC-4626 `Withdraw(sender, receiver, owner, assets, shares)`.
    Withdraw {
        sender: Address,
        receiver: Address,
        owner: Address,
        assets_wad: Wad,
        shares_wad: Wad,
    },
    /// sUSDS accrual: new `chi`, USDS minted into the vault as yield.
    Drip {
        chi_ray: Ray,
        diff_wad: Wad,
    },
    FileRay {
        what: &'static str,
        ilk: Option<B256>,
        data_ray: Ray,
    },
    FileRad {
        what: &'static str,
        ilk: Option<B256>,
        data_rad: Rad,
    },
    Init {
        ilk: B256,
    },
    /// Vat `frob`: signed changes as (increase, decrease) pairs of non-negative values.
    Frob {
        ilk: B256,
        urn: Address,
        dink_wad: Wad,
        dart_up_wad: Wad,
        dart_down_wad: Wad,
    },
    Fold {
        ilk: B256,
        u: Address,
        rate_delta_ray: Ray,
        rad: Rad,
    },
    Suck {
        u: Address,
        v: Address,
        rad: Rad,
    },
    JugDrip {
        ilk: B256,
        rate_ray: Ray,
    },
    Join {
        usr: Address,
        wad: Wad,
    },
    Exit {
        usr: Address,
        wad: Wad,
    },
    /// Ilk vault (dss-allocator style).
    Draw {
        sender: Address,
        wad: Wad,
        dart_wad: Wad,
    },
    Wipe {
        sender: Address,
        wad: Wad,
        dart_wad: Wad,
    },
    RateLimitDataSet {
        key: B256,
        max_amount_wad: Wad,
        slope_wad_per_s: Wad,
        last_amount_wad: Wad,
        last_updated: Timestamp,
    },
    RateLimitDecreaseTriggered {
        key: B256,
        amount_to_decrease_wad: Wad,
        old_rate_limit_wad: Wad,
        new_rate_limit_wad: Wad,
    },
    RateLimitIncreaseTriggered {
        key: B256,
        amount_to_increase_wad: Wad,
        old_rate_limit_wad: Wad,
        new_rate_limit_wad: Wad,
    },
    MaxExchangeRateSet {
        vault: Address,
        max_exchange_rate: Wad,
    },
    RelayerRemoved {
        relayer: Address,
    },
}

impl EventKind {
    /// The event's name, as in the JSON `event` field.
    pub fn name(&self) -> &'static str {
        use EventKind::*;
        match self {
            Deployed { .. } => "Deployed",
            Transfer { .. } => "Transfer",
            Approval { .. } => "Approval",
            Rely { .. } => "Rely",
            Deny { .. } => "Deny",
            RoleGranted { .. } => "RoleGranted",
            RoleRevoked { .. } => "RoleRevoked",
            Deposit { .. } => "Deposit",
            Withdraw { .. } => "Withdraw",
            Drip { .. } => "Drip",
            FileRay { .. } => "FileRay",
            FileRad { .. } => "FileRad",
            Init { .. } => "Init",
            Frob { .. } => "Frob",
            Fold { .. } => "Fold",
            Suck { .. } => "Suck",
            JugDrip { .. } => "JugDrip",
            Join { .. } => "Join",
            Exit { .. } => "Exit",
            Draw { .. } => "Draw",
            Wipe { .. } => "Wipe",
            RateLimitDataSet { .. } => "RateLimitDataSet",
            RateLimitDecreaseTriggered { .. } => "RateLimitDecreaseTriggered",
            RateLimitIncreaseTriggered { .. } => "RateLimitIncreaseTriggered",
            MaxExchangeRateSet { .. } => "MaxExchangeRateSet",
            RelayerRemoved { .. } => "RelayerRemoved",
        }
    }
}
