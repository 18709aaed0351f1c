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

use crate::contracts::Controller;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::rate_limits::{address_key, address_pair_key, limit_id, names};
use crate::roles::{controller_role, freezer_role, relayer_role, ADMIN_ROLE};
use crate::state::State;
use alloy_primitives::{Address, U256};
use laniakea_units::{math, Wad};
use std::sync::Arc;

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
        self.emit(controller, EventKind::RelayerRemoved { relayer });
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
        self.require_role(controller, ADMIN_ROLE, caller)?;
        let rate = math::mul_div_floor(max_expected_assets, exchange_rate_precision(), shares)?;
        let c = self.get_mut::<Controller>(controller)?;
        if rate.is_zero() {
            Arc::make_mut(&mut c.max_exchange_rates).remove(&vault);
        } else {
            Arc::make_mut(&mut c.max_exchange_rates).insert(vault, rate);
        }
        self.emit(
            controller,
            EventKind::MaxExchangeRateSet {
                vault,
                max_exchange_rate: Wad(rate),
            },
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
            .unwrap_or_default();
        let rate = exchange_rate(shares, assets)?;
        if rate > max {
            return Err(Revert::ExchangeRateTooHigh { rate, max });
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
            return Err(Revert::MinSharesOutNotMet {
                shares,
                min: min_shares_out,
            });
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
            return Err(Revert::SharesBurnedTooHigh {
                shares,
                max: max_shares_in,
            });
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
            return Err(Revert::MinAssetsOutNotMet {
                assets,
                min: min_assets_out,
            });
        }
        self.withdraw_4626_limits(&c, vault, assets)?;
        Ok(assets)
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
