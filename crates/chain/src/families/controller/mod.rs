//! The PAU: Controller + ALMProxy + RateLimits (SPEC §4.5), one code for every layer.
//!
//! Contract: every action checks the caller's role first, then the rate limit, then performs
//! the calls *as the ALMProxy* (which must hold the controller's CONTROLLER role); any failure
//! reverts the whole transaction. Funds only ever sit in the ALMProxy. ERC-4626 coupling is
//! spark's: deposit decreases `LIMIT_4626_DEPOSIT⊕vault` by assets; withdraw decreases
//! `LIMIT_4626_WITHDRAW⊕vault` by assets and increases the deposit key by assets; redeem
//! decreases the withdraw key by the assets received and increases the deposit key by them.
//! Slippage guards (`minSharesOut`, `maxSharesIn`, `minAssetsOut`) and the per-vault max exchange
//! rate (`1e36·assets/shares`, a vault with none set is closed) are checked after the call.

use crate::call::{AccessCall, Returns, Value};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::alm_proxy::AlmProxy;
use crate::families::ilk_vault::IlkVault;
use crate::families::rate_limits::{address_key, address_pair_key, limit_id, names, RateLimits};
use crate::families::Family;
use crate::journal::NoLedger;
use crate::roles::{controller_role, freezer_role, relayer_role, ADMIN_ROLE};
use crate::script::parse_util::{typed_call_with_fallback, ScriptError};
use crate::state::State;
use alloy_primitives::{Address, U256};
use laniakea_units::{math, Wad};
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An ERC-4626 exchange rate in spark's precision: `1e36·assets/shares` (so `1.1e36` is 1.1
/// assets per share). JSON and `Display` print it as a decimal with 36 places (`"1.1"`), in fields
/// suffixed `_e36`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct ExchangeRate(U256);

impl ExchangeRate {
    /// From the raw `1e36`-scaled integer.
    pub const fn from_e36(raw: U256) -> ExchangeRate {
        ExchangeRate(raw)
    }
    /// The raw `1e36`-scaled integer.
    pub const fn e36(self) -> U256 {
        self.0
    }
}

impl std::fmt::Display for ExchangeRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&laniakea_units::format_decimal(self.0, 36))
    }
}

impl serde::Serialize for ExchangeRate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The PAU controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    pub proxy: Address,
    pub rate_limits: Address,
    pub ilk_vault: Address,
    pub buffer: Address,
    pub usds: Address,
    /// vault → max exchange rate; 0 (absent) means the vault is closed.
    pub max_exchange_rates: Arc<BTreeMap<Address, ExchangeRate>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerDeploy {
    pub proxy: Address,
    pub rate_limits: Address,
    /// The PAU's ilk vault (mint/burn of USDS); a Prime without an ilk has none and then names
    /// `usds` instead.
    #[serde(default)]
    pub ilk_vault: Option<Address>,
    /// USDS, when there is no ilk vault (otherwise taken from the ilk vault).
    #[serde(default)]
    pub usds: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
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
    /// Prime side: draw idle USDS from the Prime's vault into the proxy
    /// (`LIMIT_VAULT_DRAW⊕vault`).
    #[serde(rename = "drawPrimeVault")]
    DrawPrimeVault { vault: Address, amount: Wad },
    /// Prime side: repay drawn USDS from the proxy to the Prime's vault
    /// (`LIMIT_VAULT_REPAY⊕vault`).
    #[serde(rename = "repayPrimeVault")]
    RepayPrimeVault { vault: Address, amount: Wad },
    #[serde(rename = "removeRelayer")]
    RemoveRelayer { relayer: Address },
    /// Sets `maxExchangeRates[vault] = maxExpectedAssets·1e36/shares`.
    #[serde(rename = "setMaxExchangeRate")]
    SetMaxExchangeRate {
        vault: Address,
        shares: Wad,
        max_expected_assets: Wad,
    },
    #[serde(skip_deserializing, untagged)]
    Access(AccessCall),
}

impl Family for Controller {
    const LABEL: &'static str = "controller";
    type Call = ControllerCall;
    type Deploy = ControllerDeploy;
    type View = crate::families::NoViews;
    type Answer = crate::families::NoViews;
    type Revert = ControllerRevert;
    type Event = ControllerEvent;
    type Ledger = NoLedger;

    fn deploy(s: &mut State, _: Address, _: Address, d: &ControllerDeploy) -> CallResult<Self> {
        s.get::<AlmProxy>(d.proxy)?;
        s.get::<RateLimits>(d.rate_limits)?;
        let (ilk_vault, buffer, usds) = match (d.ilk_vault, d.usds) {
            (Some(a), _) => {
                let v = s.get::<IlkVault>(a)?;
                (a, v.buffer, v.usds)
            }
            (None, Some(usds)) => {
                s.erc20(usds)?;
                (Address::ZERO, Address::ZERO, usds)
            }
            (None, None) => return Err(Revert::Controller(ControllerRevert::NoIlkVault)),
        };
        Ok(Controller {
            proxy: d.proxy,
            rate_limits: d.rate_limits,
            ilk_vault,
            buffer,
            usds,
            max_exchange_rates: Default::default(),
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: ControllerCall) -> CallResult<Returns> {
        let wad = |name, v| Returns::one(name, Value::Wad(Wad::from_raw(v)));
        match c {
            ControllerCall::MintUsds { amount } => s.controller_mint_usds(to, from, amount.raw())?,
            ControllerCall::BurnUsds { amount } => s.controller_burn_usds(to, from, amount.raw())?,
            ControllerCall::Deposit4626 {
                vault,
                assets,
                min_shares_out,
            } => {
                return Ok(wad(
                    "shares",
                    s.controller_deposit_4626(to, from, vault, assets.raw(), min_shares_out.raw())?,
                ))
            }
            ControllerCall::Withdraw4626 {
                vault,
                assets,
                max_shares_in,
            } => {
                return Ok(wad(
                    "shares",
                    s.controller_withdraw_4626(to, from, vault, assets.raw(), max_shares_in.raw())?,
                ))
            }
            ControllerCall::Redeem4626 {
                vault,
                shares,
                min_assets_out,
            } => {
                return Ok(wad(
                    "assets",
                    s.controller_redeem_4626(to, from, vault, shares.raw(), min_assets_out.raw())?,
                ))
            }
            ControllerCall::TransferAsset {
                asset,
                to: dst,
                amount,
            } => s.controller_transfer_asset(to, from, asset, dst, amount.raw())?,
            ControllerCall::DrawPrimeVault { vault, amount } => {
                s.controller_draw_prime_vault(to, from, vault, amount.raw())?
            }
            ControllerCall::RepayPrimeVault { vault, amount } => {
                s.controller_repay_prime_vault(to, from, vault, amount.raw())?
            }
            ControllerCall::RemoveRelayer { relayer } => {
                s.controller_remove_relayer(to, from, relayer)?
            }
            ControllerCall::SetMaxExchangeRate {
                vault,
                shares,
                max_expected_assets,
            } => s.controller_set_max_exchange_rate(
                to,
                from,
                vault,
                shares.raw(),
                max_expected_assets.raw(),
            )?,
            ControllerCall::Access(a) => return crate::roles::access(s, to, from, a),
        }
        Ok(Returns::none())
    }

    fn view(_: &State, _: Address, v: &crate::families::NoViews) -> CallResult<Self::Answer> {
        match *v {}
    }

    fn encode(&self, e: &mut Enc) {
        e.a(self.proxy);
        e.a(self.rate_limits);
        e.a(self.ilk_vault);
        e.a(self.buffer);
        e.a(self.usds);
        e.n(self.max_exchange_rates.len() as u64);
        for (v, r) in self.max_exchange_rates.iter() {
            e.a(*v);
            e.u(r.e36());
        }
    }

    fn parse_call(line: usize, call: Json) -> Result<ControllerCall, ScriptError> {
        typed_call_with_fallback(line, call, |c| c, ControllerCall::Access)
    }
}

/// `1e36`, the exchange-rate precision.
pub fn exchange_rate_precision() -> U256 {
    U256::from(10u8).pow(U256::from(36u8))
}

/// `1e36·assets/shares`; `0` for `assets == 0`; unbounded (`2^256−1`) when shares are 0.
pub fn exchange_rate(shares: U256, assets: U256) -> CallResult<U256> {
    if assets.is_zero() {
        return Ok(U256::ZERO);
    }
    if shares.is_zero() {
        return Ok(U256::MAX);
    }
    Ok(math::mul_div_floor(
        assets,
        exchange_rate_precision(),
        shares,
    )?)
}

/// The addresses a controller action needs (copied out, so the action can mutate state).
#[derive(Clone, Copy)]
struct Pau {
    controller: Address,
    proxy: Address,
    rate_limits: Address,
    ilk_vault: Address,
    buffer: Address,
    usds: Address,
}

impl State {
    fn relayer_ctx(&self, controller: Address, caller: Address) -> CallResult<Pau> {
        let c = self.get::<Controller>(controller)?;
        let pau = Pau {
            controller,
            proxy: c.proxy,
            rate_limits: c.rate_limits,
            ilk_vault: c.ilk_vault,
            buffer: c.buffer,
            usds: c.usds,
        };
        self.require_role(controller, relayer_role(), caller)?;
        // The proxy only moves funds for its controller.
        self.require_role(c.proxy, controller_role(), controller)?;
        Ok(pau)
    }

    /// `removeRelayer(relayer)`: FREEZER only; revokes RELAYER at once.
    pub(crate) fn controller_remove_relayer(
        &mut self,
        controller: Address,
        caller: Address,
        relayer: Address,
    ) -> CallResult<()> {
        self.get::<Controller>(controller)?;
        self.require_role(controller, freezer_role(), caller)?;
        if self.set_role(controller, relayer_role(), relayer, false) {
            self.emit(
                controller,
                EventKind::RoleRevoked {
                    role: relayer_role(),
                    account: relayer,
                    sender: caller,
                },
            );
        }
        self.emit(controller, EventKind::Controller(ControllerEvent::RelayerRemoved { relayer }));
        Ok(())
    }

    /// `setMaxExchangeRate(vault, shares, maxExpectedAssets)`: ADMIN only.
    pub(crate) fn controller_set_max_exchange_rate(
        &mut self,
        controller: Address,
        caller: Address,
        vault: Address,
        shares: U256,
        max_expected_assets: U256,
    ) -> CallResult<()> {
        self.configurator_guard(controller, caller)?;
        self.require_role(controller, ADMIN_ROLE, caller)?;
        let rate = math::mul_div_floor(max_expected_assets, exchange_rate_precision(), shares)?;
        let c = self.get_mut::<Controller>(controller)?;
        if rate.is_zero() {
            Arc::make_mut(&mut c.max_exchange_rates).remove(&vault);
        } else {
            Arc::make_mut(&mut c.max_exchange_rates).insert(vault, ExchangeRate::from_e36(rate));
        }
        self.emit(
            controller,
            EventKind::Controller(ControllerEvent::MaxExchangeRateSet {
                vault,
                max_exchange_rate_e36: ExchangeRate::from_e36(rate),
            }),
        );
        Ok(())
    }

    /// `mintUSDS(wad)`: decrease `LIMIT_USDS_MINT`, draw from the ilk vault, move to the proxy.
    pub(crate) fn controller_mint_usds(
        &mut self,
        controller: Address,
        caller: Address,
        wad: U256,
    ) -> CallResult<()> {
        let c = self.relayer_ctx(controller, caller)?;
        if c.ilk_vault == Address::ZERO {
            return Err(Revert::Controller(ControllerRevert::NoIlkVault));
        }
        self.rl_decrease(c.rate_limits, controller, limit_id(names::USDS_MINT), wad)?;
        self.ilk_vault_draw(c.ilk_vault, c.proxy, wad)?;
        self.erc20_transfer_from(c.usds, c.proxy, c.buffer, c.proxy, wad)
    }

    /// `burnUSDS(wad)`: increase `LIMIT_USDS_MINT`, move USDS to the buffer, wipe.
    pub(crate) fn controller_burn_usds(
        &mut self,
        controller: Address,
        caller: Address,
        wad: U256,
    ) -> CallResult<()> {
        let c = self.relayer_ctx(controller, caller)?;
        if c.ilk_vault == Address::ZERO {
            return Err(Revert::Controller(ControllerRevert::NoIlkVault));
        }
        self.rl_increase(c.rate_limits, controller, limit_id(names::USDS_MINT), wad)?;
        self.erc20_move(c.usds, c.proxy, c.buffer, wad)?;
        self.ilk_vault_wipe(c.ilk_vault, c.proxy, wad)
    }

    fn check_exchange_rate(
        &self,
        c: &Pau,
        vault: Address,
        shares: U256,
        assets: U256,
    ) -> CallResult<()> {
        let max = self
            .get::<Controller>(c.controller)?
            .max_exchange_rates
            .get(&vault)
            .copied()
            .unwrap_or_default()
            .e36();
        let rate = exchange_rate(shares, assets)?;
        if rate > max {
            return Err(Revert::Controller(ControllerRevert::ExchangeRateTooHigh { rate, max }));
        }
        Ok(())
    }

    /// `depositERC4626(vault, assets, minSharesOut)`; returns shares.
    pub(crate) fn controller_deposit_4626(
        &mut self,
        controller: Address,
        caller: Address,
        vault: Address,
        assets: U256,
        min_shares_out: U256,
    ) -> CallResult<U256> {
        let c = self.relayer_ctx(controller, caller)?;
        self.rl_decrease(
            c.rate_limits,
            controller,
            address_key(limit_id(names::DEPOSIT_4626), vault),
            assets,
        )?;
        let asset = self.vault_asset(vault)?;
        self.erc20_approve(asset, c.proxy, vault, assets)?;
        let shares = self.vault_deposit(vault, c.proxy, assets, c.proxy)?;
        if shares < min_shares_out {
            return Err(Revert::Controller(ControllerRevert::MinSharesOutNotMet {
                shares,
                min: min_shares_out,
            }));
        }
        self.check_exchange_rate(&c, vault, shares, assets)?;
        Ok(shares)
    }

    /// spark's coupling for assets leaving a vault: decrease `LIMIT_4626_WITHDRAW⊕vault` and give
    /// the same amount back to `LIMIT_4626_DEPOSIT⊕vault`.
    fn withdraw_4626_limits(&mut self, c: &Pau, vault: Address, assets: U256) -> CallResult<()> {
        let withdraw = address_key(limit_id(names::WITHDRAW_4626), vault);
        let deposit = address_key(limit_id(names::DEPOSIT_4626), vault);
        self.rl_decrease(c.rate_limits, c.controller, withdraw, assets)?;
        self.rl_increase(c.rate_limits, c.controller, deposit, assets)?;
        Ok(())
    }

    /// `withdrawERC4626(vault, assets, maxSharesIn)`; returns shares burned.
    pub(crate) fn controller_withdraw_4626(
        &mut self,
        controller: Address,
        caller: Address,
        vault: Address,
        assets: U256,
        max_shares_in: U256,
    ) -> CallResult<U256> {
        let c = self.relayer_ctx(controller, caller)?;
        self.withdraw_4626_limits(&c, vault, assets)?;
        let shares = self.vault_withdraw(vault, c.proxy, assets, c.proxy, c.proxy)?;
        if shares > max_shares_in {
            return Err(Revert::Controller(ControllerRevert::SharesBurnedTooHigh {
                shares,
                max: max_shares_in,
            }));
        }
        Ok(shares)
    }

    /// `redeemERC4626(vault, shares, minAssetsOut)`; returns assets received.
    pub(crate) fn controller_redeem_4626(
        &mut self,
        controller: Address,
        caller: Address,
        vault: Address,
        shares: U256,
        min_assets_out: U256,
    ) -> CallResult<U256> {
        let c = self.relayer_ctx(controller, caller)?;
        let assets = self.vault_redeem(vault, c.proxy, shares, c.proxy, c.proxy)?;
        if assets < min_assets_out {
            return Err(Revert::Controller(ControllerRevert::MinAssetsOutNotMet {
                assets,
                min: min_assets_out,
            }));
        }
        self.withdraw_4626_limits(&c, vault, assets)?;
        Ok(assets)
    }

    /// `drawPrimeVault(vault, amount)`: the vault must be a Prime vault (else
    /// `PrimeVault/unknown-vault`), then decrease `LIMIT_VAULT_DRAW⊕vault`, then the vault's
    /// `draw` as the proxy (which must be the vault's Prime).
    pub(crate) fn controller_draw_prime_vault(
        &mut self,
        controller: Address,
        caller: Address,
        vault: Address,
        amount: U256,
    ) -> CallResult<()> {
        let c = self.relayer_ctx(controller, caller)?;
        self.pv_idle(vault)?;
        let key = address_key(limit_id(names::VAULT_DRAW), vault);
        self.rl_decrease(c.rate_limits, controller, key, amount)?;
        self.pv_draw(vault, c.proxy, amount)
    }

    /// `repayPrimeVault(vault, amount)`: decrease `LIMIT_VAULT_REPAY⊕vault`, then the vault's
    /// `repay` from the proxy. The draw key is not refilled (a Prime whose draw limit governance
    /// set to 0 must still be able to repay).
    pub(crate) fn controller_repay_prime_vault(
        &mut self,
        controller: Address,
        caller: Address,
        vault: Address,
        amount: U256,
    ) -> CallResult<()> {
        let c = self.relayer_ctx(controller, caller)?;
        self.pv_idle(vault)?;
        let key = address_key(limit_id(names::VAULT_REPAY), vault);
        self.rl_decrease(c.rate_limits, controller, key, amount)?;
        self.pv_repay(vault, c.proxy, c.proxy, amount)
    }

    /// `transferAsset(asset, to, amount)`: decrease `LIMIT_ASSET_TRANSFER⊕asset⊕to`, transfer.
    pub(crate) fn controller_transfer_asset(
        &mut self,
        controller: Address,
        caller: Address,
        asset: Address,
        to: Address,
        amount: U256,
    ) -> CallResult<()> {
        let c = self.relayer_ctx(controller, caller)?;
        self.rl_decrease(
            c.rate_limits,
            controller,
            address_pair_key(limit_id(names::ASSET_TRANSFER), asset, to),
            amount,
        )?;
        self.erc20_move(asset, c.proxy, to, amount)
    }
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum ControllerRevert {
    #[error("shares out {shares} < minSharesOut {min}")]
    #[strum(serialize = "Controller/min-shares-out-not-met")]
    MinSharesOutNotMet { shares: U256, min: U256 },
    #[error("shares burned {shares} > maxSharesIn {max}")]
    #[strum(serialize = "Controller/shares-burned-too-high")]
    SharesBurnedTooHigh { shares: U256, max: U256 },
    #[error("assets out {assets} < minAssetsOut {min}")]
    #[strum(serialize = "Controller/min-assets-out-not-met")]
    MinAssetsOutNotMet { assets: U256, min: U256 },
    #[error("exchange rate {rate} (1e36·assets/shares) > max {max}")]
    #[strum(serialize = "Controller/exchange-rate-too-high")]
    ExchangeRateTooHigh { rate: U256, max: U256 },
    #[error("this PAU has no ilk vault (mintUSDS/burnUSDS need one; a deploy needs ilk_vault or usds)")]
    #[strum(serialize = "Controller/no-ilk-vault")]
    NoIlkVault,
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum ControllerEvent {
    MaxExchangeRateSet {
        vault: Address,
        max_exchange_rate_e36: ExchangeRate,
    },
    RelayerRemoved {
        relayer: Address,
    },
}
