//! Transactions, calls, views and return values.
//!
//! Contract: a [`Call`] is either a deployment or one function of one contract kind; the serde
//! forms (`{"fn": "...", "args": {...}}`) are the transaction-script format documented in
//! `docs/scripts.md`. Arguments carry their unit in the type: token amounts are [`Wad`] decimal
//! strings in whole tokens, rates are [`Ray`].

use crate::mcd::ilk_id;
use crate::rate_limits::{address_key, address_pair_key, limit_id};
use crate::roles::parse_role;
use alloy_primitives::{Address, B256};
use laniakea_units::{Rad, Ray, Timestamp, Wad};
use serde::{Deserialize, Serialize};

/// A transaction: one call by one sender at one block time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tx {
    pub from: Address,
    pub at: Timestamp,
    pub call: Call,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Deploy(Deploy),
    Erc20(Address, Erc20Call),
    Savings(Address, SavingsCall),
    Vat(Address, VatCall),
    Jug(Address, JugCall),
    Join(Address, JoinCall),
    IlkVault(Address, IlkVaultCall),
    Buffer(Address, BufferCall),
    RateLimits(Address, RateLimitsCall),
    AlmProxy(Address, AccessCall),
    Controller(Address, ControllerCall),
}

/// An ilk name such as `GEN-USDS-A` (≤ 32 ASCII bytes), stored as MCD's bytes32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ilk(pub B256);

impl<'de> Deserialize<'de> for Ilk {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ilk_id(&s).map(Ilk).ok_or_else(|| {
            serde::de::Error::custom(format!("'{s}' is not an ilk name (1–32 ASCII characters)"))
        })
    }
}

/// A role by name (`ADMIN`, `RELAYER`, `FREEZER`, `CONTROLLER`) or 0x bytes32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role(pub B256);

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_role(&s).map(Role).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{s}' is not a role (ADMIN, RELAYER, FREEZER, CONTROLLER or 0x-bytes32)"
            ))
        })
    }
}

/// A rate-limit key: `"0x…"` (bytes32), `"LIMIT_USDS_MINT"` (a base id), or
/// `{"name": "LIMIT_4626_DEPOSIT", "address": "0x…"}` / `{"name", "address", "address2"}` for
/// per-target keys (`keccak256(abi.encode(id, address[, address2]))`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(pub B256);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Target {
                name: String,
                address: Address,
                #[serde(default)]
                address2: Option<Address>,
            },
        }
        let bad_name = |n: &str| {
            serde::de::Error::custom(format!(
                "'{n}' is not a key: use 0x-bytes32 or a LIMIT_… name"
            ))
        };
        match Raw::deserialize(d)? {
            Raw::Text(t) if t.starts_with("0x") => t.parse().map(Key).map_err(|_| bad_name(&t)),
            Raw::Text(t) if t.starts_with("LIMIT_") => Ok(Key(limit_id(&t))),
            Raw::Text(t) => Err(bad_name(&t)),
            Raw::Target {
                name,
                address,
                address2,
            } => {
                if !name.starts_with("LIMIT_") {
                    return Err(bad_name(&name));
                }
                let id = limit_id(&name);
                Ok(Key(match address2 {
                    Some(b) => address_pair_key(id, address, b),
                    None => address_key(id, address),
                }))
            }
        }
    }
}

/// Contract creation. The new contract's address is `CREATE(sender, nonce)`; the sender becomes
/// its admin/ward.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Deploy {
    Erc20 {
        symbol: String,
    },
    /// sUSDS over `usds`; yield is sucked from `vow` through `join`.
    Savings {
        symbol: String,
        usds: Address,
        join: Address,
        vow: Address,
    },
    Vat,
    Jug {
        vat: Address,
        vow: Address,
    },
    Join {
        vat: Address,
        usds: Address,
    },
    /// Deploys the vault and its buffer (at `CREATE(vault, 1)`); locks the vault's fixed ink.
    IlkVault {
        ilk: Ilk,
        jug: Address,
        join: Address,
        usds: Address,
    },
    RateLimits,
    AlmProxy,
    Controller {
        proxy: Address,
        rate_limits: Address,
        ilk_vault: Address,
    },
}

impl Deploy {
    pub fn kind(&self) -> &'static str {
        match self {
            Deploy::Erc20 { .. } => "erc20",
            Deploy::Savings { .. } => "savings",
            Deploy::Vat => "vat",
            Deploy::Jug { .. } => "jug",
            Deploy::Join { .. } => "join",
            Deploy::IlkVault { .. } => "ilk-vault",
            Deploy::RateLimits => "rate-limits",
            Deploy::AlmProxy => "alm-proxy",
            Deploy::Controller { .. } => "controller",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum Erc20Call {
    #[serde(rename = "transfer")]
    Transfer { to: Address, amount: Wad },
    #[serde(rename = "transferFrom")]
    TransferFrom {
        from: Address,
        to: Address,
        amount: Wad,
    },
    #[serde(rename = "approve")]
    Approve { spender: Address, amount: Wad },
    #[serde(rename = "mint")]
    Mint { to: Address, amount: Wad },
    #[serde(rename = "burn")]
    Burn { from: Address, amount: Wad },
    #[serde(rename = "rely")]
    Rely { usr: Address },
    #[serde(rename = "deny")]
    Deny { usr: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum SavingsCall {
    #[serde(rename = "drip")]
    Drip,
    #[serde(rename = "deposit")]
    Deposit { assets: Wad, receiver: Address },
    #[serde(rename = "mint")]
    Mint { shares: Wad, receiver: Address },
    #[serde(rename = "withdraw")]
    Withdraw {
        assets: Wad,
        receiver: Address,
        owner: Address,
    },
    #[serde(rename = "redeem")]
    Redeem {
        shares: Wad,
        receiver: Address,
        owner: Address,
    },
    /// `file("ssr", ray)`.
    #[serde(rename = "fileSsr")]
    FileSsr { ssr: Ray },
    /// Any ERC-20 function on the shares.
    #[serde(skip)]
    Token(Erc20Call),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum VatCall {
    #[serde(rename = "init")]
    Init { ilk: Ilk },
    /// `file("Line", rad)`.
    #[serde(rename = "fileLine")]
    FileLine { data: Rad },
    /// `file(ilk, "line", rad)`.
    #[serde(rename = "fileIlkLine")]
    FileIlkLine { ilk: Ilk, data: Rad },
    /// `file(ilk, "dust", rad)`.
    #[serde(rename = "fileDust")]
    FileDust { ilk: Ilk, data: Rad },
    /// `file(ilk, "spot", ray)`.
    #[serde(rename = "fileSpot")]
    FileSpot { ilk: Ilk, data: Ray },
    #[serde(rename = "rely")]
    Rely { usr: Address },
    #[serde(rename = "deny")]
    Deny { usr: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum JugCall {
    #[serde(rename = "init")]
    Init { ilk: Ilk },
    #[serde(rename = "drip")]
    Drip { ilk: Ilk },
    /// `file(ilk, "duty", ray)`: needs `rho == now` (drip in an earlier tx at the same time).
    #[serde(rename = "fileDuty")]
    FileDuty { ilk: Ilk, data: Ray },
    /// `file("base", ray)`.
    #[serde(rename = "fileBase")]
    FileBase { data: Ray },
    #[serde(rename = "rely")]
    Rely { usr: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum JoinCall {
    #[serde(rename = "join")]
    Join { usr: Address, wad: Wad },
    #[serde(rename = "exit")]
    Exit { usr: Address, wad: Wad },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum IlkVaultCall {
    #[serde(rename = "draw")]
    Draw { wad: Wad },
    #[serde(rename = "wipe")]
    Wipe { wad: Wad },
    #[serde(rename = "rely")]
    Rely { usr: Address },
    #[serde(rename = "deny")]
    Deny { usr: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum BufferCall {
    #[serde(rename = "approve")]
    Approve {
        asset: Address,
        spender: Address,
        amount: Wad,
    },
}

/// `grantRole`/`revokeRole` (OpenZeppelin AccessControl).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum AccessCall {
    #[serde(rename = "grantRole")]
    GrantRole { role: Role, account: Address },
    #[serde(rename = "revokeRole")]
    RevokeRole { role: Role, account: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum RateLimitsCall {
    /// Full setter.
    #[serde(rename = "setRateLimitData")]
    Set {
        key: Key,
        max_amount: Wad,
        slope: Wad,
        last_amount: Wad,
        last_updated: Timestamp,
    },
    /// `(maxAmount, slope)` setter: refills to full now.
    #[serde(rename = "setRateLimit")]
    SetMaxSlope {
        key: Key,
        max_amount: Wad,
        slope: Wad,
    },
    #[serde(rename = "setUnlimitedRateLimitData")]
    SetUnlimited { key: Key },
    #[serde(rename = "triggerRateLimitDecrease")]
    Decrease { key: Key, amount: Wad },
    #[serde(rename = "triggerRateLimitIncrease")]
    Increase { key: Key, amount: Wad },
    #[serde(skip)]
    Access(AccessCall),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum ControllerCall {
    #[serde(rename = "mintUSDS")]
    MintUsds { amount: Wad },
    #[serde(rename = "burnUSDS")]
    BurnUsds { amount: Wad },
    #[serde(rename = "depositERC4626")]
    Deposit4626 {
        vault: Address,
        assets: Wad,
        min_shares_out: Wad,
    },
    #[serde(rename = "withdrawERC4626")]
    Withdraw4626 {
        vault: Address,
        assets: Wad,
        max_shares_in: Wad,
    },
    #[serde(rename = "redeemERC4626")]
    Redeem4626 {
        vault: Address,
        shares: Wad,
        min_assets_out: Wad,
    },
    #[serde(rename = "transferAsset")]
    TransferAsset {
        asset: Address,
        to: Address,
        amount: Wad,
    },
    #[serde(rename = "removeRelayer")]
    RemoveRelayer { relayer: Address },
    /// Sets `maxExchangeRates[vault] = maxExpectedAssets·1e36/shares`.
    #[serde(rename = "setMaxExchangeRate")]
    SetMaxExchangeRate {
        vault: Address,
        shares: Wad,
        max_expected_assets: Wad,
    },
    #[serde(skip)]
    Access(AccessCall),
}

/// Read-only queries (no transaction, no state change).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum View {
    #[serde(rename = "balanceOf")]
    BalanceOf { account: Address },
    #[serde(rename = "totalSupply")]
    TotalSupply,
    #[serde(rename = "allowance")]
    Allowance { owner: Address, spender: Address },
    #[serde(rename = "totalAssets")]
    TotalAssets,
    #[serde(rename = "chi")]
    Chi,
    #[serde(rename = "convertToAssets")]
    ConvertToAssets { shares: Wad },
    #[serde(rename = "convertToShares")]
    ConvertToShares { assets: Wad },
    #[serde(rename = "previewDeposit")]
    PreviewDeposit { assets: Wad },
    #[serde(rename = "previewMint")]
    PreviewMint { shares: Wad },
    #[serde(rename = "previewWithdraw")]
    PreviewWithdraw { assets: Wad },
    #[serde(rename = "previewRedeem")]
    PreviewRedeem { shares: Wad },
    #[serde(rename = "maxWithdraw")]
    MaxWithdraw { owner: Address },
    #[serde(rename = "maxRedeem")]
    MaxRedeem { owner: Address },
    #[serde(rename = "getCurrentRateLimit")]
    CurrentRateLimit { key: Key },
    #[serde(rename = "getRateLimitData")]
    RateLimitData { key: Key },
    #[serde(rename = "hasRole")]
    HasRole { role: Role, account: Address },
    #[serde(rename = "ilk")]
    IlkInfo { ilk: Ilk },
    #[serde(rename = "urn")]
    UrnInfo { ilk: Ilk, urn: Address },
    #[serde(rename = "debt")]
    Debt,
    #[serde(rename = "dai")]
    Dai { account: Address },
}

/// A typed return value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Wad(Wad),
    Ray(Ray),
    Rad(Rad),
    Address(Address),
    Bool(bool),
    Time(Timestamp),
}

/// Named return values in declaration order (names carry the unit suffix).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Returns(pub Vec<(&'static str, Value)>);

impl Returns {
    pub fn none() -> Returns {
        Returns(Vec::new())
    }
    pub fn one(name: &'static str, v: Value) -> Returns {
        Returns(vec![(name, v)])
    }
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl Serialize for Returns {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
