//! sUSDS (SPEC §4.2) and the ERC-4626 facade the controller uses.
//!
//! Contract: `chi` [ray] accrues as `rpow(ssr, now − rho)·chi / RAY` (floor after MCD `rpow`);
//! deposit/redeem and `convertTo*`/`previewDeposit`/`previewRedeem` floor; mint/withdraw and
//! `previewMint`/`previewWithdraw` round up; yield is minted as USDS into the vault through
//! `vat.suck` + `join.exit`; `ssr` changes only when `rho == now`. max* limits are checked first
//! and fail with the ERC-4626 typed errors. The facade ([`State::vault_deposit`] …) dispatches on
//! the vault kind so later vault kinds (Prime vaults) plug in without touching the controller.

use crate::call::{Returns, Value};
use crate::contracts::{Contract, Symbol};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::join::Join;
use crate::families::token::{
    check_supply, erc20_call, token_view, Erc20, Erc20Call, TokenAnswer, TokenView,
};
use crate::families::Family;
use crate::journal::NoLedger;
use crate::script::parse_util::{typed_call_with_fallback, ScriptError};
use crate::state::State;
use alloy_primitives::{Address, U256};
use laniakea_units::{math, Ray, Timestamp, Wad, RAY};
use serde::Deserialize;
use serde_json::Value as Json;

/// sUSDS: an ERC-20 of shares and an ERC-4626 over `asset` (USDS) with the savings accumulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Savings {
    pub token: Erc20,
    /// the underlying (USDS)
    pub asset: Address,
    pub join: Address,
    /// surplus/deficit account charged with the yield (`vat.suck(vow, …)`)
    pub vow: Address,
    /// the savings accumulator
    pub chi: Ray,
    /// [s] time of the last drip
    pub rho: Timestamp,
    /// the savings rate per second
    pub ssr: Ray,
}

/// sUSDS over `usds`; yield is sucked from `vow` through `join`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SavingsDeploy {
    pub symbol: String,
    pub usds: Address,
    pub join: Address,
    pub vow: Address,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
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
    #[serde(skip_deserializing, untagged)]
    Token(Erc20Call),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum SavingsView {
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
    /// Any ERC-20 view on the shares.
    #[serde(skip)]
    Token(TokenView),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum SavingsAnswer {
    TotalAssets {
        #[serde(rename = "totalAssets")]
        total_assets: Wad,
    },
    Chi {
        chi: Ray,
    },
    Assets {
        assets: Wad,
    },
    Shares {
        shares: Wad,
    },
    MaxAssets {
        #[serde(rename = "maxAssets")]
        max_assets: Wad,
    },
    MaxShares {
        #[serde(rename = "maxShares")]
        max_shares: Wad,
    },
    Token(TokenAnswer),
}

fn wad(name: &'static str, v: U256) -> Returns {
    Returns::one(name, Value::Wad(Wad::from_raw(v)))
}

impl Family for Savings {
    const LABEL: &'static str = "savings";
    type Call = SavingsCall;
    type Deploy = SavingsDeploy;
    type View = SavingsView;
    type Answer = SavingsAnswer;
    type Revert = SavingsRevert;
    type Event = SavingsEvent;
    type Ledger = NoLedger;

    fn validate_deploy(d: &SavingsDeploy) -> Result<(), (&'static str, String)> {
        Symbol::parse(&d.symbol)
            .map(|_| ())
            .map_err(|e| ("symbol", e.to_string()))
    }

    fn deploy(s: &mut State, _from: Address, _addr: Address, d: &SavingsDeploy) -> CallResult<Self> {
        s.erc20(d.usds)?;
        s.get::<Join>(d.join)?;
        Ok(Savings {
            token: Erc20 {
                symbol: Symbol::parse(&d.symbol)?,
                total_supply: Wad::ZERO,
            },
            asset: d.usds,
            join: d.join,
            vow: d.vow,
            chi: Ray::from_raw(RAY),
            rho: s.now,
            ssr: Ray::from_raw(RAY),
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: SavingsCall) -> CallResult<Returns> {
        match c {
            SavingsCall::Drip => Ok(Returns::one(
                "chi",
                Value::Ray(Ray::from_raw(s.savings_drip_public(to)?)),
            )),
            SavingsCall::Deposit { assets, receiver } => Ok(wad(
                "shares",
                s.vault_deposit(to, from, assets.raw(), receiver)?,
            )),
            SavingsCall::Mint { shares, receiver } => {
                Ok(wad("assets", s.vault_mint(to, from, shares.raw(), receiver)?))
            }
            SavingsCall::Withdraw {
                assets,
                receiver,
                owner,
            } => Ok(wad(
                "shares",
                s.vault_withdraw(to, from, assets.raw(), receiver, owner)?,
            )),
            SavingsCall::Redeem {
                shares,
                receiver,
                owner,
            } => Ok(wad(
                "assets",
                s.vault_redeem(to, from, shares.raw(), receiver, owner)?,
            )),
            SavingsCall::FileSsr { ssr } => {
                s.savings_file_ssr(to, from, ssr.raw())?;
                Ok(Returns::none())
            }
            SavingsCall::Token(t) => erc20_call(s, to, from, t),
        }
    }

    fn view(s: &State, to: Address, v: &SavingsView) -> CallResult<SavingsAnswer> {
        use SavingsAnswer as A;
        Ok(match v {
            SavingsView::TotalAssets => A::TotalAssets {
                total_assets: Wad::from_raw(s.vault_total_assets(to)?),
            },
            SavingsView::Chi => A::Chi {
                chi: Ray::from_raw(s.savings_chi(to)?),
            },
            SavingsView::ConvertToAssets { shares } => A::Assets {
                assets: Wad::from_raw(s.vault_convert_to_assets(to, shares.raw())?),
            },
            SavingsView::ConvertToShares { assets } => A::Shares {
                shares: Wad::from_raw(s.vault_convert_to_shares(to, assets.raw())?),
            },
            SavingsView::PreviewDeposit { assets } => A::Shares {
                shares: Wad::from_raw(s.vault_preview_deposit(to, assets.raw())?),
            },
            SavingsView::PreviewMint { shares } => A::Assets {
                assets: Wad::from_raw(s.vault_preview_mint(to, shares.raw())?),
            },
            SavingsView::PreviewWithdraw { assets } => A::Shares {
                shares: Wad::from_raw(s.vault_preview_withdraw(to, assets.raw())?),
            },
            SavingsView::PreviewRedeem { shares } => A::Assets {
                assets: Wad::from_raw(s.vault_preview_redeem(to, shares.raw())?),
            },
            SavingsView::MaxWithdraw { owner } => A::MaxAssets {
                max_assets: Wad::from_raw(s.vault_max_withdraw(to, *owner)?),
            },
            SavingsView::MaxRedeem { owner } => A::MaxShares {
                max_shares: Wad::from_raw(s.vault_max_redeem(to, *owner)?),
            },
            SavingsView::Token(t) => A::Token(token_view(s, to, t)?),
        })
    }

    fn parse_view(line: usize, call: Json) -> Result<SavingsView, ScriptError> {
        typed_call_with_fallback(line, call, |v| v, SavingsView::Token)
    }

    fn encode(&self, e: &mut Enc) {
        e.bytes(self.token.symbol.as_str().as_bytes());
        e.u(self.token.total_supply.raw());
        e.a(self.asset);
        e.a(self.join);
        e.a(self.vow);
        e.u(self.chi.raw());
        e.n(self.rho.0);
        e.u(self.ssr.raw());
    }

    fn parse_call(line: usize, call: Json) -> Result<SavingsCall, ScriptError> {
        typed_call_with_fallback(line, call, |c| c, SavingsCall::Token)
    }

    fn erc20(&self) -> Option<&Erc20> {
        Some(&self.token)
    }
    fn erc20_mut(&mut self) -> Option<&mut Erc20> {
        Some(&mut self.token)
    }

    fn check(&self, s: &State, addr: Address, out: &mut Vec<String>) {
        check_supply(s, addr, &self.token, out);
    }
}

impl State {
    /// `chi` as of now (without writing it).
    pub fn savings_chi(&self, vault: Address) -> CallResult<U256> {
        let s = self.get::<Savings>(vault)?;
        Self::chi_at(s, self.now)
    }

    fn chi_at(s: &Savings, now: laniakea_units::Timestamp) -> CallResult<U256> {
        match now.since(s.rho) {
            Some(dt) if dt > 0 => Ok(math::mul_div_floor(
                math::rpow(s.ssr.raw(), dt, RAY)?,
                s.chi.raw(),
                RAY,
            )?),
            _ => Ok(s.chi.raw()),
        }
    }

    /// `drip()`: accrue, mint the yield into the vault as USDS; returns the new `chi`.
    /// The public `drip()`: as sUSDS, it emits `Drip(chi, 0)` even when `rho == now` (the
    /// internal accrual before deposits/withdrawals emits nothing then, as sUSDS only calls
    /// `drip()` when `block.timestamp > rho`).
    pub(crate) fn savings_drip_public(&mut self, vault: Address) -> CallResult<U256> {
        let s = self.get::<Savings>(vault)?;
        if s.rho == self.now {
            let chi = s.chi.raw();
            self.emit(
                vault,
                EventKind::Savings(SavingsEvent::Drip {
                    chi_ray: Ray::from_raw(chi),
                    diff_wad: Wad::from_raw(U256::ZERO),
                }),
            );
            return Ok(chi);
        }
        self.savings_drip(vault)
    }

    pub(crate) fn savings_drip(&mut self, vault: Address) -> CallResult<U256> {
        let s = self.get::<Savings>(vault)?.clone();
        let now = self.now;
        if s.rho == now {
            return Ok(s.chi.raw());
        }
        let chi = Self::chi_at(&s, now)?;
        let supply = s.token.total_supply.raw();
        let diff = math::sub(
            math::mul_div_floor(supply, chi, RAY)?,
            math::mul_div_floor(supply, s.chi.raw(), RAY)?,
        )?;
        let m = self.get_mut::<Savings>(vault)?;
        m.chi = Ray::from_raw(chi);
        m.rho = now;
        if !diff.is_zero() {
            self.vat_suck(vault, s.vow, vault, math::mul(diff, RAY)?)?;
            self.join_exit(s.join, vault, vault, diff)?;
        }
        self.emit(
            vault,
            EventKind::Savings(SavingsEvent::Drip {
                chi_ray: Ray::from_raw(chi),
                diff_wad: Wad::from_raw(diff),
            }),
        );
        Ok(chi)
    }

    /// `file("ssr", ray)`: wards only, and only with `rho == now` (drip first).
    pub(crate) fn savings_file_ssr(
        &mut self,
        vault: Address,
        caller: Address,
        ssr: U256,
    ) -> CallResult<()> {
        self.require_ward(vault, caller)?;
        let now = self.now;
        let s = self.get_mut::<Savings>(vault)?;
        if s.rho != now {
            return Err(Revert::Savings(SavingsRevert::SsrChiNotUpdated { rho: s.rho, now }));
        }
        if ssr < RAY {
            return Err(Revert::Savings(SavingsRevert::SsrBelowRay { ssr }));
        }
        s.ssr = Ray::from_raw(ssr);
        self.emit(
            vault,
            EventKind::FileRay {
                what: "ssr",
                ilk: None,
                data_ray: Ray::from_raw(ssr),
            },
        );
        Ok(())
    }

    // ---- ERC-4626 facade ----------------------------------------------------------------------

    fn savings(&self, vault: Address) -> CallResult<&Savings> {
        match self.contract(vault)? {
            Contract::Savings(s) => Ok(s),
            _ => Err(Revert::Savings(SavingsRevert::NotAVault(vault))),
        }
    }

    /// The vault's underlying asset.
    pub fn vault_asset(&self, vault: Address) -> CallResult<Address> {
        if let Ok(v) = self.get::<crate::families::prime_vault::PrimeVault>(vault) {
            return Ok(v.asset);
        }
        Ok(self.savings(vault)?.asset)
    }

    pub fn vault_total_assets(&self, vault: Address) -> CallResult<U256> {
        let s = self.savings(vault)?;
        Ok(math::mul_div_floor(
            s.token.total_supply.raw(),
            Self::chi_at(s, self.now)?,
            RAY,
        )?)
    }

    pub fn vault_convert_to_shares(&self, vault: Address, assets: U256) -> CallResult<U256> {
        Ok(math::mul_div_floor(assets, RAY, self.savings_chi(vault)?)?)
    }

    pub fn vault_convert_to_assets(&self, vault: Address, shares: U256) -> CallResult<U256> {
        Ok(math::mul_div_floor(shares, self.savings_chi(vault)?, RAY)?)
    }

    pub fn vault_preview_deposit(&self, vault: Address, assets: U256) -> CallResult<U256> {
        self.vault_convert_to_shares(vault, assets)
    }

    pub fn vault_preview_mint(&self, vault: Address, shares: U256) -> CallResult<U256> {
        Ok(math::mul_div_ceil(shares, self.savings_chi(vault)?, RAY)?)
    }

    pub fn vault_preview_withdraw(&self, vault: Address, assets: U256) -> CallResult<U256> {
        Ok(math::mul_div_ceil(assets, RAY, self.savings_chi(vault)?)?)
    }

    pub fn vault_preview_redeem(&self, vault: Address, shares: U256) -> CallResult<U256> {
        self.vault_convert_to_assets(vault, shares)
    }

    pub fn vault_max_deposit(&self, vault: Address, _receiver: Address) -> CallResult<U256> {
        self.savings(vault)?;
        Ok(U256::MAX)
    }

    pub fn vault_max_mint(&self, vault: Address, _receiver: Address) -> CallResult<U256> {
        self.savings(vault)?;
        Ok(U256::MAX)
    }

    pub fn vault_max_withdraw(&self, vault: Address, owner: Address) -> CallResult<U256> {
        self.vault_convert_to_assets(vault, self.balance_of(vault, owner))
    }

    pub fn vault_max_redeem(&self, vault: Address, owner: Address) -> CallResult<U256> {
        self.savings(vault)?;
        Ok(self.balance_of(vault, owner))
    }

    fn vault_enter(
        &mut self,
        vault: Address,
        caller: Address,
        receiver: Address,
        assets: U256,
        shares: U256,
    ) -> CallResult<()> {
        let asset = self.vault_asset(vault)?;
        self.erc20_transfer_from(asset, vault, caller, vault, assets)?;
        self.erc20_mint_unchecked(vault, receiver, shares)?;
        self.emit(
            vault,
            EventKind::Savings(SavingsEvent::Deposit {
                sender: caller,
                owner: receiver,
                assets_wad: Wad::from_raw(assets),
                shares_wad: Wad::from_raw(shares),
            }),
        );
        Ok(())
    }

    fn vault_exit(
        &mut self,
        vault: Address,
        caller: Address,
        receiver: Address,
        owner: Address,
        assets: U256,
        shares: U256,
    ) -> CallResult<()> {
        let asset = self.vault_asset(vault)?;
        self.erc20_spend_allowance(vault, owner, caller, shares)?;
        self.erc20_burn_unchecked(vault, owner, shares)?;
        self.erc20_move(asset, vault, receiver, assets)?;
        self.emit(
            vault,
            EventKind::Savings(SavingsEvent::Withdraw {
                sender: caller,
                receiver,
                owner,
                assets_wad: Wad::from_raw(assets),
                shares_wad: Wad::from_raw(shares),
            }),
        );
        Ok(())
    }

    /// ERC-4626 `deposit(assets, receiver)`; returns shares (floor).
    pub(crate) fn vault_deposit(
        &mut self,
        vault: Address,
        caller: Address,
        assets: U256,
        receiver: Address,
    ) -> CallResult<U256> {
        if self.is_prime_vault(vault) {
            return self.pv_deposit(vault, caller, assets, receiver);
        }
        self.savings_drip(vault)?;
        let max = self.vault_max_deposit(vault, receiver)?;
        if assets > max {
            return Err(Revert::Savings(SavingsRevert::ExceededMaxDeposit {
                receiver,
                assets,
                max,
            }));
        }
        let shares = self.vault_preview_deposit(vault, assets)?;
        self.vault_enter(vault, caller, receiver, assets, shares)?;
        Ok(shares)
    }

    /// ERC-4626 `mint(shares, receiver)`; returns assets (ceil).
    pub(crate) fn vault_mint(
        &mut self,
        vault: Address,
        caller: Address,
        shares: U256,
        receiver: Address,
    ) -> CallResult<U256> {
        self.savings_drip(vault)?;
        let max = self.vault_max_mint(vault, receiver)?;
        if shares > max {
            return Err(Revert::Savings(SavingsRevert::ExceededMaxMint {
                receiver,
                shares,
                max,
            }));
        }
        let assets = self.vault_preview_mint(vault, shares)?;
        self.vault_enter(vault, caller, receiver, assets, shares)?;
        Ok(assets)
    }

    /// ERC-4626 `withdraw(assets, receiver, owner)`; returns shares burned (ceil).
    pub(crate) fn vault_withdraw(
        &mut self,
        vault: Address,
        caller: Address,
        assets: U256,
        receiver: Address,
        owner: Address,
    ) -> CallResult<U256> {
        if self.is_prime_vault(vault) {
            return self.pv_withdraw(vault, caller, assets, receiver, owner);
        }
        self.savings_drip(vault)?;
        let max = self.vault_max_withdraw(vault, owner)?;
        if assets > max {
            return Err(Revert::Savings(SavingsRevert::ExceededMaxWithdraw { owner, assets, max }));
        }
        let shares = self.vault_preview_withdraw(vault, assets)?;
        self.vault_exit(vault, caller, receiver, owner, assets, shares)?;
        Ok(shares)
    }

    /// ERC-4626 `redeem(shares, receiver, owner)`; returns assets (floor).
    pub(crate) fn vault_redeem(
        &mut self,
        vault: Address,
        caller: Address,
        shares: U256,
        receiver: Address,
        owner: Address,
    ) -> CallResult<U256> {
        if self.is_prime_vault(vault) {
            return self.pv_redeem(vault, caller, shares, receiver, owner);
        }
        self.savings_drip(vault)?;
        let max = self.vault_max_redeem(vault, owner)?;
        if shares > max {
            return Err(Revert::Savings(SavingsRevert::ExceededMaxRedeem { owner, shares, max }));
        }
        let assets = self.vault_preview_redeem(vault, shares)?;
        self.vault_exit(vault, caller, receiver, owner, assets, shares)?;
        Ok(assets)
    }
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum SavingsRevert {
    #[error("deposit of {assets} by {receiver} exceeds maxDeposit {max}")]
    #[strum(serialize = "ERC4626/exceeded-max-deposit")]
    ExceededMaxDeposit {
        receiver: Address,
        assets: U256,
        max: U256,
    },
    #[error("mint of {shares} by {receiver} exceeds maxMint {max}")]
    #[strum(serialize = "ERC4626/exceeded-max-mint")]
    ExceededMaxMint {
        receiver: Address,
        shares: U256,
        max: U256,
    },
    #[error("withdraw of {assets} from {owner} exceeds maxWithdraw {max}")]
    #[strum(serialize = "ERC4626/exceeded-max-withdraw")]
    ExceededMaxWithdraw {
        owner: Address,
        assets: U256,
        max: U256,
    },
    #[error("redeem of {shares} from {owner} exceeds maxRedeem {max}")]
    #[strum(serialize = "ERC4626/exceeded-max-redeem")]
    ExceededMaxRedeem {
        owner: Address,
        shares: U256,
        max: U256,
    },
    #[error("ssr can only change when rho == now (rho {rho}, now {now})")]
    #[strum(serialize = "SUsds/chi-not-up-to-date")]
    SsrChiNotUpdated { rho: Timestamp, now: Timestamp },
    #[error("ssr {ssr} ray/s is below RAY (a negative rate)")]
    #[strum(serialize = "SUsds/wrong-ssr-value")]
    SsrBelowRay { ssr: U256 },
    #[error("{0} is not an ERC-4626 vault this controller can use")]
    #[strum(serialize = "Controller/invalid-vault")]
    NotAVault(Address),
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum SavingsEvent {
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
}
