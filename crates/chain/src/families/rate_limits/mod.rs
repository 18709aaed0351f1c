//! RateLimits with the exact spark-alm-controller semantics (SPEC §4.4), and key derivation.
//!
//! Contract: `current = min(slope·(now − lastUpdated) + lastAmount, maxAmount)` with checked
//! arithmetic; `maxAmount = 2^256−1` is *unlimited* (current is 2^256−1 and triggers write
//! nothing); `maxAmount = 0` is an unconfigured key and every trigger on it reverts
//! `RateLimits/zero-maxAmount` (keys double as an allow-list). Keys are the keccak-256 values the
//! Solidity contracts use, so printed keys compare equal to on-chain ones.

use crate::call::{AccessCall, Key, Returns, Value};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::Family;
use crate::journal::JournaledMap;
use crate::roles::{controller_role, ADMIN_ROLE};
use crate::script::parse_util::{typed_call_with_fallback, ScriptError};
use crate::state::State;
use alloy_primitives::{keccak256, Address, B256, U256};
use laniakea_units::{math, Timestamp, Wad};
use serde::Deserialize;
use serde_json::Value as Json;
use std::sync::LazyLock;

/// spark `RateLimits` (entries live in [`RateLimitsLedger`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateLimits;

/// One rate-limit entry (spark `RateLimitData`), in the limited token's units (18 decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimitData {
    /// `2^256−1` base units = unlimited
    pub max_amount: Wad,
    /// refill per second
    pub slope: Wad,
    pub last_amount: Wad,
    pub last_updated: Timestamp,
}

crate::ledger! {
    /// Every RateLimits contract's entries.
    pub struct RateLimitsLedger {
        /// (RateLimits contract, key) → data
        pub entries: JournaledMap<(Address, B256), RateLimitData>,
    }
}

/// `deploy: {"kind": "rate-limits"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsDeploy {}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
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
    #[serde(skip_deserializing, untagged)]
    Access(AccessCall),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum RateLimitsView {
    #[serde(rename = "getCurrentRateLimit")]
    CurrentRateLimit { key: Key },
    #[serde(rename = "getRateLimitData")]
    RateLimitData { key: Key },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum RateLimitsAnswer {
    Current {
        #[serde(rename = "currentRateLimit")]
        current_rate_limit: Wad,
    },
    #[serde(rename_all = "camelCase")]
    Data {
        max_amount: Wad,
        slope: Wad,
        last_amount: Wad,
        last_updated: Timestamp,
    },
}

const TAG_ENTRIES: u8 = 8;

impl Family for RateLimits {
    const LABEL: &'static str = "rate-limits";
    type Call = RateLimitsCall;
    type Deploy = RateLimitsDeploy;
    type View = RateLimitsView;
    type Answer = RateLimitsAnswer;
    type Revert = RateLimitsRevert;
    type Event = RateLimitsEvent;
    type Ledger = RateLimitsLedger;
    const LEDGER_TAGS: &'static [u8] = &[TAG_ENTRIES];

    fn deploy(_: &mut State, _: Address, _: Address, _: &RateLimitsDeploy) -> CallResult<Self> {
        Ok(RateLimits)
    }

    fn call(s: &mut State, to: Address, from: Address, c: RateLimitsCall) -> CallResult<Returns> {
        let wad = |name, v| Returns::one(name, Value::Wad(Wad::from_raw(v)));
        match c {
            RateLimitsCall::Set {
                key,
                max_amount,
                slope,
                last_amount,
                last_updated,
            } => s.rl_set(
                to,
                from,
                key.0,
                RateLimitData {
                    max_amount,
                    slope,
                    last_amount,
                    last_updated,
                },
            )?,
            RateLimitsCall::SetMaxSlope {
                key,
                max_amount,
                slope,
            } => s.rl_set_max_slope(to, from, key.0, max_amount.raw(), slope.raw())?,
            RateLimitsCall::SetUnlimited { key } => s.rl_set_unlimited(to, from, key.0)?,
            RateLimitsCall::Decrease { key, amount } => {
                return Ok(wad("newLimit", s.rl_decrease(to, from, key.0, amount.raw())?))
            }
            RateLimitsCall::Increase { key, amount } => {
                return Ok(wad("newLimit", s.rl_increase(to, from, key.0, amount.raw())?))
            }
            RateLimitsCall::Access(a) => return crate::roles::access(s, to, from, a),
        }
        Ok(Returns::none())
    }

    fn view(s: &State, to: Address, v: &RateLimitsView) -> CallResult<RateLimitsAnswer> {
        Ok(match v {
            RateLimitsView::CurrentRateLimit { key } => RateLimitsAnswer::Current {
                current_rate_limit: Wad::from_raw(s.current_rate_limit(to, key.0)?),
            },
            RateLimitsView::RateLimitData { key } => {
                let d = s.rate_limit_data(to, key.0);
                RateLimitsAnswer::Data {
                    max_amount: d.max_amount,
                    slope: d.slope,
                    last_amount: d.last_amount,
                    last_updated: d.last_updated,
                }
            }
        })
    }

    fn encode(&self, _e: &mut Enc) {}

    fn encode_ledger(l: &RateLimitsLedger, tag: u8, e: &mut Enc) {
        assert_eq!(tag, TAG_ENTRIES, "rate-limits ledger has one digest section");
        e.tag(TAG_ENTRIES, l.entries.len());
        for ((c, k), d) in l.entries.iter() {
            e.a(*c);
            e.b(*k);
            e.u(d.max_amount.raw());
            e.u(d.slope.raw());
            e.u(d.last_amount.raw());
            e.n(d.last_updated.0);
        }
    }

    fn parse_call(line: usize, call: Json) -> Result<RateLimitsCall, ScriptError> {
        typed_call_with_fallback(line, call, |c| c, RateLimitsCall::Access)
    }

    /// SPEC §8 inv. 4: `lastAmount ≤ maxAmount`, `lastUpdated ≤ now`.
    fn check_ledger(s: &State, out: &mut Vec<String>) {
        for ((rl, key), d) in s.ledgers.rate_limits.entries.iter() {
            if d.max_amount.raw() != U256::MAX && d.last_amount.raw() > d.max_amount.raw() {
                out.push(format!(
                    "inv4: {rl} key {key}: lastAmount {} > maxAmount {}",
                    d.last_amount.raw(), d.max_amount.raw()
                ));
            }
            if d.last_updated > s.now {
                out.push(format!("inv4: {rl} key {key}: lastUpdated in the future"));
            }
        }
    }
}

/// Base key id: `keccak256("LIMIT_…")` of the ASCII name (the PAU's own names are cached).
pub fn limit_id(name: &str) -> B256 {
    static KNOWN: LazyLock<[(&str, B256); 6]> = LazyLock::new(|| {
        [
            names::USDS_MINT,
            names::DEPOSIT_4626,
            names::WITHDRAW_4626,
            names::ASSET_TRANSFER,
            names::VAULT_DRAW,
            names::VAULT_REPAY,
        ]
        .map(|n| (n, keccak256(n.as_bytes())))
    });
    KNOWN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, k)| *k)
        .unwrap_or_else(|| keccak256(name.as_bytes()))
}

/// `keccak256(abi.encode(id, a))` (spark `makeAssetKey`/`makeAddressKey`).
///
/// Memoised per thread (a pure function of its inputs, so the cache never changes a result);
/// the controller derives the same few keys on every action.
pub fn address_key(id: B256, a: Address) -> B256 {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<(B256, Address), B256>> = Default::default();
    }
    CACHE.with(|c| {
        if let Some(k) = c.borrow().get(&(id, a)) {
            return *k;
        }
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(id.as_slice());
        buf[44..64].copy_from_slice(a.as_slice());
        let k = keccak256(buf);
        let mut m = c.borrow_mut();
        if m.len() >= 4096 {
            m.clear();
        }
        m.insert((id, a), k);
        k
    })
}

/// `keccak256(abi.encode(id, a, b))` (spark `makeAssetDestinationKey`).
pub fn address_pair_key(id: B256, a: Address, b: Address) -> B256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(id.as_slice());
    buf[44..64].copy_from_slice(a.as_slice());
    buf[76..96].copy_from_slice(b.as_slice());
    keccak256(buf)
}

/// The key names the PAU uses.
pub mod names {
    pub const USDS_MINT: &str = "LIMIT_USDS_MINT";
    pub const DEPOSIT_4626: &str = "LIMIT_4626_DEPOSIT";
    pub const WITHDRAW_4626: &str = "LIMIT_4626_WITHDRAW";
    pub const ASSET_TRANSFER: &str = "LIMIT_ASSET_TRANSFER";
    pub const VAULT_DRAW: &str = "LIMIT_VAULT_DRAW";
    pub const VAULT_REPAY: &str = "LIMIT_VAULT_REPAY";
}

/// `min(slope·dt + lastAmount, maxAmount)`, or `2^256−1` when unlimited.
pub fn current_amount(d: &RateLimitData, now: Timestamp) -> CallResult<U256> {
    if d.max_amount.raw() == U256::MAX {
        return Ok(U256::MAX);
    }
    let dt = U256::from(now.since(d.last_updated).unwrap_or(0));
    let refilled = math::add(math::mul(d.slope.raw(), dt)?, d.last_amount.raw())?;
    Ok(refilled.min(d.max_amount.raw()))
}

impl State {
    pub fn rate_limit_data(&self, rate_limits: Address, key: B256) -> RateLimitData {
        self.ledgers.rate_limits.entries.get(&(rate_limits, key))
    }

    pub(crate) fn set_rate_limit_data(&mut self, rate_limits: Address, key: B256, d: RateLimitData) {
        self.ledgers.rate_limits.entries.set((rate_limits, key), d);
    }

    /// All configured keys of a RateLimits contract, in key order.
    pub fn rate_limit_keys(&self, rate_limits: Address) -> Vec<(B256, RateLimitData)> {
        self.ledgers
            .rate_limits
            .entries
            .range((rate_limits, B256::ZERO)..)
            .take_while(|((c, _), _)| *c == rate_limits)
            .map(|((_, k), d)| (*k, *d))
            .collect()
    }

    /// `getCurrentRateLimit(key)`.
    pub fn current_rate_limit(&self, rate_limits: Address, key: B256) -> CallResult<U256> {
        current_amount(&self.rate_limit_data(rate_limits, key), self.now)
    }

    /// Full 4-field setter (admin): requires `lastAmount ≤ maxAmount`, `lastUpdated ≤ now`.
    pub(crate) fn rl_set(
        &mut self,
        rl: Address,
        caller: Address,
        key: B256,
        d: RateLimitData,
    ) -> CallResult<()> {
        self.get::<RateLimits>(rl)?;
        self.configurator_guard(rl, caller)?;
        self.require_role(rl, ADMIN_ROLE, caller)?;
        if d.last_amount.raw() > d.max_amount.raw() {
            return Err(Revert::RateLimits(RateLimitsRevert::InvalidLastAmount {
                last_amount: d.last_amount.raw(),
                max_amount: d.max_amount.raw(),
            }));
        }
        if d.last_updated > self.now {
            return Err(Revert::RateLimits(RateLimitsRevert::InvalidLastUpdated {
                last_updated: d.last_updated,
                now: self.now,
            }));
        }
        self.set_rate_limit_data(rl, key, d);
        self.emit(
            rl,
            EventKind::RateLimits(RateLimitsEvent::RateLimitDataSet {
                key,
                max_amount_wad: d.max_amount,
                slope_wad_per_s: d.slope,
                last_amount_wad: d.last_amount,
                last_updated: d.last_updated,
            }),
        );
        Ok(())
    }

    /// `(maxAmount, slope)` setter: refills to full at `now`.
    pub(crate) fn rl_set_max_slope(
        &mut self,
        rl: Address,
        caller: Address,
        key: B256,
        max_amount: U256,
        slope: U256,
    ) -> CallResult<()> {
        let now = self.now;
        self.rl_set(
            rl,
            caller,
            key,
            RateLimitData {
                max_amount: Wad::from_raw(max_amount),
                slope: Wad::from_raw(slope),
                last_amount: Wad::from_raw(max_amount),
                last_updated: now,
            },
        )
    }

    /// `setUnlimitedRateLimitData(key)`.
    pub(crate) fn rl_set_unlimited(
        &mut self,
        rl: Address,
        caller: Address,
        key: B256,
    ) -> CallResult<()> {
        self.rl_set_max_slope(rl, caller, key, U256::MAX, U256::ZERO)
    }

    /// What both triggers check first: the CONTROLLER role, then a configured key. `None` for an
    /// unlimited key (triggers write nothing); otherwise the entry and its current amount.
    fn rl_trigger_state(
        &self,
        rl: Address,
        caller: Address,
        key: B256,
    ) -> CallResult<Option<(RateLimitData, U256)>> {
        self.require_role(rl, controller_role(), caller)?;
        let d = self.rate_limit_data(rl, key);
        if d.max_amount.raw().is_zero() {
            return Err(Revert::RateLimits(RateLimitsRevert::ZeroMaxAmount { key }));
        }
        if d.max_amount.raw() == U256::MAX {
            return Ok(None);
        }
        Ok(Some((d, current_amount(&d, self.now)?)))
    }

    /// `triggerRateLimitDecrease` (CONTROLLER role); returns the new current amount.
    pub(crate) fn rl_decrease(
        &mut self,
        rl: Address,
        caller: Address,
        key: B256,
        amount: U256,
    ) -> CallResult<U256> {
        let Some((d, current)) = self.rl_trigger_state(rl, caller, key)? else {
            return Ok(U256::MAX);
        };
        if amount > current {
            return Err(Revert::RateLimits(RateLimitsRevert::RateLimitExceeded {
                key,
                requested: amount,
                available: current,
            }));
        }
        let new = current - amount;
        self.set_rate_limit_data(
            rl,
            key,
            RateLimitData {
                last_amount: Wad::from_raw(new),
                last_updated: self.now,
                ..d
            },
        );
        self.emit(
            rl,
            EventKind::RateLimits(RateLimitsEvent::RateLimitDecreaseTriggered {
                key,
                amount_to_decrease_wad: Wad::from_raw(amount),
                old_rate_limit_wad: Wad::from_raw(current),
                new_rate_limit_wad: Wad::from_raw(new),
            }),
        );
        Ok(new)
    }

    /// `triggerRateLimitIncrease` (CONTROLLER role); returns the new current amount.
    pub(crate) fn rl_increase(
        &mut self,
        rl: Address,
        caller: Address,
        key: B256,
        amount: U256,
    ) -> CallResult<U256> {
        let Some((d, current)) = self.rl_trigger_state(rl, caller, key)? else {
            return Ok(U256::MAX);
        };
        let new = math::add(current, amount)?.min(d.max_amount.raw());
        self.set_rate_limit_data(
            rl,
            key,
            RateLimitData {
                last_amount: Wad::from_raw(new),
                last_updated: self.now,
                ..d
            },
        );
        self.emit(
            rl,
            EventKind::RateLimits(RateLimitsEvent::RateLimitIncreaseTriggered {
                key,
                amount_to_increase_wad: Wad::from_raw(amount),
                old_rate_limit_wad: Wad::from_raw(current),
                new_rate_limit_wad: Wad::from_raw(new),
            }),
        );
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_key_values() {
        assert_eq!(
            limit_id(names::USDS_MINT).to_string(),
            "0xcb0537d5e5dba65a8edbac12555995860e5b8e1b70996011edb1ca8173e56d3c"
        );
        assert_eq!(
            limit_id(names::DEPOSIT_4626).to_string(),
            "0xc80e541ae8dbb00d82e12edc8dbc29e6ae9ebed737088df9145797f7edca3b42"
        );
    }

    #[test]
    fn address_key_is_abi_encode_of_two_words() {
        // abi.encode(bytes32, address) = id ‖ 12 zero bytes ‖ address.
        let id = limit_id(names::DEPOSIT_4626);
        let a: Address = "0xa3931d71877C0E7a3148CB7Eb4463524FEc27fbD"
            .parse()
            .unwrap();
        let mut manual = Vec::new();
        manual.extend_from_slice(id.as_slice());
        manual.extend_from_slice(&[0u8; 12]);
        manual.extend_from_slice(a.as_slice());
        assert_eq!(address_key(id, a), keccak256(&manual));
        assert_ne!(address_key(id, a), address_pair_key(id, a, Address::ZERO));
    }

    #[test]
    fn current_refills_linearly_and_caps() {
        let d = RateLimitData {
            max_amount: Wad::from_raw(U256::from(1000u64)),
            slope: Wad::from_raw(U256::from(10u64)),
            last_amount: Wad::from_raw(U256::from(100u64)),
            last_updated: Timestamp(1000),
        };
        assert_eq!(
            current_amount(&d, Timestamp(1000)).unwrap(),
            U256::from(100u64)
        );
        assert_eq!(
            current_amount(&d, Timestamp(1050)).unwrap(),
            U256::from(600u64)
        );
        assert_eq!(
            current_amount(&d, Timestamp(1090)).unwrap(),
            U256::from(1000u64)
        );
        assert_eq!(
            current_amount(&d, Timestamp(1091)).unwrap(),
            U256::from(1000u64)
        );
        let unl = RateLimitData {
            max_amount: Wad::MAX,
            ..d
        };
        assert_eq!(current_amount(&unl, Timestamp(0)).unwrap(), U256::MAX);
    }
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum RateLimitsRevert {
    #[error("rate limit {key} is not configured (maxAmount 0)")]
    #[strum(serialize = "RateLimits/zero-maxAmount")]
    ZeroMaxAmount { key: B256 },
    #[error("rate limit {key}: requested {requested}, available {available}")]
    #[strum(serialize = "RateLimits/rate-limit-exceeded")]
    RateLimitExceeded {
        key: B256,
        requested: U256,
        available: U256,
    },
    #[error("lastAmount {last_amount} exceeds maxAmount {max_amount}")]
    #[strum(serialize = "RateLimits/invalid-lastAmount")]
    InvalidLastAmount { last_amount: U256, max_amount: U256 },
    #[error("lastUpdated {last_updated} is in the future (now {now})")]
    #[strum(serialize = "RateLimits/invalid-lastUpdated")]
    InvalidLastUpdated {
        last_updated: Timestamp,
        now: Timestamp,
    },
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum RateLimitsEvent {
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
}
