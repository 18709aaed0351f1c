//! Prime vaults (SPEC §4.7): the ERC-4626 vault linking the Generator to one Prime.
//!
//! Contract:
//! - Asset USDS; shares are an ERC-20 held only by the Generator's ALMProxy (`generator`), the
//!   only depositor (any other depositor or owner reverts `PrimeVault/not-generator`).
//! - `totalAssets = idle + drawn − written_down`, where `idle` is the vault's USDS balance
//!   (donations count, as in OpenZeppelin), `drawn` the principal the Prime has drawn and not
//!   repaid, `written_down` the governance write-downs of that principal. Always
//!   `written_down ≤ drawn`, so the Prime's debt to the Generator is `drawn − written_down`.
//! - Conversions are OpenZeppelin's: `shares = mulDiv(assets, supply + 10^offset, totalAssets + 1)`
//!   and `assets = mulDiv(shares, totalAssets + 1, supply + 10^offset)`; deposit/redeem and
//!   `convertTo*` floor, mint/withdraw ceil. `offset ≤ 18`.
//! - Generator withdrawals/redeems are capped by idle liquidity: `maxWithdraw = min(
//!   convertToAssets(shares), idle)`, `maxRedeem = min(shares, convertToShares(idle))`; both are 0
//!   while withdrawals are paused; beyond them the typed `ERC4626/exceeded-max-*` errors.
//! - Only the Prime's ALMProxy (`prime`, acting through the Prime's controller and its
//!   `LIMIT_VAULT_DRAW/REPAY⊕vault` keys) may `draw`/`repay`. A draw must leave
//!   `idle ≥ ceil(min_idle_bps·totalAssets/10 000)`; a repay may not exceed `drawn − written_down`.
//! - Withdrawal pause: a FREEZER of the vault pauses for at most `max_pause_s` (default 72 h); the
//!   pause is active while `now < paused_until` and expires by itself; FREEZER or ADMIN lifts it.
//! - ADMIN (governance): `setMinIdleBps`, `setMaxPauseDuration`, `writeDown` (instant share-price
//!   fall; nothing ever raises the price except a donation of USDS to the vault).
//!
//! Never: moves funds for anyone but the Generator proxy (shares) and the Prime proxy (draws).

use crate::call::{AccessCall, Returns, Value};
use crate::contracts::Symbol;
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::savings::{SavingsEvent, SavingsRevert};
use crate::families::token::{check_supply, token_view, Erc20, TokenAnswer, TokenView};
use crate::families::Family;
use crate::journal::NoLedger;
use crate::roles::{freezer_role, ADMIN_ROLE};
use crate::script::parse_util::{typed_call_with_fallback, ScriptError};
use crate::state::State;
use alloy_primitives::{Address, U256};
use laniakea_units::{math, Timestamp, Wad};
use serde::Deserialize;
use serde_json::Value as Json;

/// Default maximum withdrawal pause: 72 h.
pub const DEFAULT_MAX_PAUSE_S: u64 = 72 * 3600;
/// Largest decimals offset accepted (`10^offset` must stay a sane share unit).
pub const MAX_DECIMALS_OFFSET: u8 = 18;
/// 100 % in basis points.
pub const BPS: u16 = 10_000;

/// One Prime vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimeVault {
    /// the shares (an ERC-20; balances in the token ledger)
    pub token: Erc20,
    /// the underlying (USDS)
    pub asset: Address,
    /// the Generator's ALMProxy: the only depositor and share holder
    pub generator: Address,
    /// the Prime's ALMProxy: the only drawer/repayer
    pub prime: Address,
    /// OpenZeppelin `_decimalsOffset()`
    pub decimals_offset: u8,
    /// principal drawn by the Prime and not repaid [wad]
    pub drawn: Wad,
    /// governance write-downs of `drawn` [wad], ≤ drawn
    pub written_down: Wad,
    /// a draw must leave idle ≥ min_idle_bps·totalAssets/10 000
    pub min_idle_bps: u16,
    /// withdrawals are paused while now < paused_until (0 = never paused)
    pub paused_until: Timestamp,
    /// the longest pause a FREEZER may set [s]
    pub max_pause_s: u64,
}

/// `deploy: {"kind": "prime-vault", "symbol", "usds", "generator", "prime", …}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrimeVaultDeploy {
    /// share symbol, e.g. `pvSPARK`
    pub symbol: String,
    pub usds: Address,
    /// the Generator's ALMProxy
    pub generator: Address,
    /// the Prime's ALMProxy
    pub prime: Address,
    #[serde(default)]
    pub decimals_offset: u8,
    #[serde(default)]
    pub min_idle_bps: u16,
    #[serde(default = "default_max_pause")]
    pub max_pause_s: u64,
}

fn default_max_pause() -> u64 {
    DEFAULT_MAX_PAUSE_S
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum PrimeVaultCall {
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
    /// Prime side (its ALMProxy only; normally through its controller's `drawPrimeVault`).
    #[serde(rename = "draw")]
    Draw { amount: Wad },
    /// Prime side (its ALMProxy only; normally through its controller's `repayPrimeVault`).
    #[serde(rename = "repay")]
    Repay { amount: Wad },
    #[serde(rename = "writeDown")]
    WriteDown { amount: Wad },
    #[serde(rename = "setMinIdleBps")]
    SetMinIdleBps { bps: u16 },
    #[serde(rename = "setMaxPauseDuration")]
    SetMaxPauseDuration { seconds: u64 },
    #[serde(rename = "pauseWithdrawals")]
    Pause { duration_s: u64 },
    #[serde(rename = "unpauseWithdrawals")]
    Unpause,
    #[serde(skip_deserializing, untagged)]
    Access(AccessCall),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum PrimeVaultView {
    #[serde(rename = "totalAssets")]
    TotalAssets,
    /// idle, drawn, written down, the Prime's debt, pause, min idle.
    #[serde(rename = "position")]
    Position,
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
    #[serde(rename = "maxDeposit")]
    MaxDeposit { receiver: Address },
    #[serde(rename = "maxMint")]
    MaxMint { receiver: Address },
    #[serde(rename = "maxWithdraw")]
    MaxWithdraw { owner: Address },
    #[serde(rename = "maxRedeem")]
    MaxRedeem { owner: Address },
    #[serde(rename = "maxDraw")]
    MaxDraw,
    #[serde(skip)]
    Token(TokenView),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum PrimeVaultAnswer {
    TotalAssets {
        #[serde(rename = "totalAssets")]
        total_assets: Wad,
    },
    Position(VaultPosition),
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

/// A vault's position: where its assets are, and its controls.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VaultPosition {
    pub total_assets_wad: Wad,
    pub idle_wad: Wad,
    pub drawn_wad: Wad,
    pub written_down_wad: Wad,
    /// the Prime's debt to the Generator: drawn − written down
    pub prime_debt_wad: Wad,
    pub total_shares_wad: Wad,
    pub min_idle_bps: u16,
    pub paused: bool,
    pub paused_until: Timestamp,
}

fn wad(name: &'static str, v: U256) -> Returns {
    Returns::one(name, Value::Wad(Wad::from_raw(v)))
}

fn pv_err(r: PrimeVaultRevert) -> Revert {
    Revert::PrimeVault(r)
}

impl Family for PrimeVault {
    const LABEL: &'static str = "prime-vault";
    type Call = PrimeVaultCall;
    type Deploy = PrimeVaultDeploy;
    type View = PrimeVaultView;
    type Answer = PrimeVaultAnswer;
    type Revert = PrimeVaultRevert;
    type Event = PrimeVaultEvent;
    type Ledger = NoLedger;

    fn validate_deploy(d: &PrimeVaultDeploy) -> Result<(), (&'static str, String)> {
        Symbol::parse(&d.symbol).map_err(|e| ("symbol", e.to_string()))?;
        if d.decimals_offset > MAX_DECIMALS_OFFSET {
            return Err((
                "decimals_offset",
                format!("{} is above the maximum {MAX_DECIMALS_OFFSET}", d.decimals_offset),
            ));
        }
        if d.min_idle_bps > BPS {
            return Err(("min_idle_bps", format!("{} is above {BPS}", d.min_idle_bps)));
        }
        Ok(())
    }

    fn deploy(s: &mut State, _: Address, _: Address, d: &PrimeVaultDeploy) -> CallResult<Self> {
        s.erc20(d.usds)?;
        if d.decimals_offset > MAX_DECIMALS_OFFSET {
            return Err(pv_err(PrimeVaultRevert::BadOffset {
                offset: d.decimals_offset,
            }));
        }
        if d.min_idle_bps > BPS {
            return Err(pv_err(PrimeVaultRevert::BadBps {
                bps: d.min_idle_bps,
            }));
        }
        Ok(PrimeVault {
            token: Erc20 {
                symbol: Symbol::parse(&d.symbol)?,
                total_supply: Wad::ZERO,
            },
            asset: d.usds,
            generator: d.generator,
            prime: d.prime,
            decimals_offset: d.decimals_offset,
            drawn: Wad::ZERO,
            written_down: Wad::ZERO,
            min_idle_bps: d.min_idle_bps,
            paused_until: Timestamp(0),
            max_pause_s: d.max_pause_s,
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: PrimeVaultCall) -> CallResult<Returns> {
        match c {
            PrimeVaultCall::Deposit { assets, receiver } => {
                Ok(wad("shares", s.pv_deposit(to, from, assets.raw(), receiver)?))
            }
            PrimeVaultCall::Mint { shares, receiver } => {
                Ok(wad("assets", s.pv_mint(to, from, shares.raw(), receiver)?))
            }
            PrimeVaultCall::Withdraw {
                assets,
                receiver,
                owner,
            } => Ok(wad(
                "shares",
                s.pv_withdraw(to, from, assets.raw(), receiver, owner)?,
            )),
            PrimeVaultCall::Redeem {
                shares,
                receiver,
                owner,
            } => Ok(wad(
                "assets",
                s.pv_redeem(to, from, shares.raw(), receiver, owner)?,
            )),
            PrimeVaultCall::Draw { amount } => {
                s.pv_draw(to, from, amount.raw())?;
                Ok(Returns::none())
            }
            PrimeVaultCall::Repay { amount } => {
                s.pv_repay(to, from, from, amount.raw())?;
                Ok(Returns::none())
            }
            PrimeVaultCall::WriteDown { amount } => {
                s.pv_write_down(to, from, amount.raw())?;
                Ok(Returns::none())
            }
            PrimeVaultCall::SetMinIdleBps { bps } => {
                s.pv_set_min_idle_bps(to, from, bps)?;
                Ok(Returns::none())
            }
            PrimeVaultCall::SetMaxPauseDuration { seconds } => {
                s.require_role(to, ADMIN_ROLE, from)?;
                s.get_mut::<PrimeVault>(to)?.max_pause_s = seconds;
                s.emit(
                    to,
                    EventKind::PrimeVault(PrimeVaultEvent::MaxPauseDurationSet { seconds }),
                );
                Ok(Returns::none())
            }
            PrimeVaultCall::Pause { duration_s } => {
                let until = s.pv_pause(to, from, duration_s)?;
                Ok(Returns::one("paused_until", Value::Time(until)))
            }
            PrimeVaultCall::Unpause => {
                s.pv_unpause(to, from)?;
                Ok(Returns::none())
            }
            PrimeVaultCall::Access(a) => crate::roles::access(s, to, from, a),
        }
    }

    fn view(s: &State, to: Address, v: &PrimeVaultView) -> CallResult<PrimeVaultAnswer> {
        use PrimeVaultAnswer as A;
        Ok(match v {
            PrimeVaultView::TotalAssets => A::TotalAssets {
                total_assets: Wad::from_raw(s.pv_total_assets(to)?),
            },
            PrimeVaultView::Position => A::Position(s.prime_vault_position(to)?),
            PrimeVaultView::ConvertToAssets { shares } => A::Assets {
                assets: Wad::from_raw(s.pv_to_assets(to, shares.raw(), false)?),
            },
            PrimeVaultView::ConvertToShares { assets } => A::Shares {
                shares: Wad::from_raw(s.pv_to_shares(to, assets.raw(), false)?),
            },
            PrimeVaultView::PreviewDeposit { assets } => A::Shares {
                shares: Wad::from_raw(s.pv_to_shares(to, assets.raw(), false)?),
            },
            PrimeVaultView::PreviewMint { shares } => A::Assets {
                assets: Wad::from_raw(s.pv_to_assets(to, shares.raw(), true)?),
            },
            PrimeVaultView::PreviewWithdraw { assets } => A::Shares {
                shares: Wad::from_raw(s.pv_to_shares(to, assets.raw(), true)?),
            },
            PrimeVaultView::PreviewRedeem { shares } => A::Assets {
                assets: Wad::from_raw(s.pv_to_assets(to, shares.raw(), false)?),
            },
            PrimeVaultView::MaxDeposit { receiver } => A::MaxAssets {
                max_assets: Wad::from_raw(s.pv_max_deposit(to, *receiver)?),
            },
            PrimeVaultView::MaxMint { receiver } => A::MaxShares {
                max_shares: Wad::from_raw(s.pv_max_deposit(to, *receiver)?),
            },
            PrimeVaultView::MaxWithdraw { owner } => A::MaxAssets {
                max_assets: Wad::from_raw(s.pv_max_withdraw(to, *owner)?),
            },
            PrimeVaultView::MaxRedeem { owner } => A::MaxShares {
                max_shares: Wad::from_raw(s.pv_max_redeem(to, *owner)?),
            },
            PrimeVaultView::MaxDraw => A::MaxAssets {
                max_assets: Wad::from_raw(s.pv_max_draw(to)?),
            },
            PrimeVaultView::Token(t) => A::Token(token_view(s, to, t)?),
        })
    }

    fn parse_view(line: usize, call: Json) -> Result<PrimeVaultView, ScriptError> {
        typed_call_with_fallback(line, call, |v| v, PrimeVaultView::Token)
    }

    fn parse_call(line: usize, call: Json) -> Result<PrimeVaultCall, ScriptError> {
        typed_call_with_fallback(line, call, |c| c, PrimeVaultCall::Access)
    }

    fn encode(&self, e: &mut Enc) {
        e.bytes(self.token.symbol.as_str().as_bytes());
        e.u(self.token.total_supply.raw());
        e.a(self.asset);
        e.a(self.generator);
        e.a(self.prime);
        e.n(u64::from(self.decimals_offset));
        e.u(self.drawn.raw());
        e.u(self.written_down.raw());
        e.n(u64::from(self.min_idle_bps));
        e.n(self.paused_until.0);
        e.n(self.max_pause_s);
    }

    fn erc20(&self) -> Option<&Erc20> {
        Some(&self.token)
    }
    fn erc20_mut(&mut self) -> Option<&mut Erc20> {
        Some(&mut self.token)
    }

    /// SPEC §8 inv. 5 (state part): `written_down ≤ drawn`, shares only with the Generator,
    /// Σ share balances = supply, totalAssets computable; shares exist only with assets behind.
    fn check(&self, s: &State, addr: Address, out: &mut Vec<String>) {
        check_supply(s, addr, &self.token, out);
        if self.written_down > self.drawn {
            out.push(format!(
                "inv5: prime vault {addr}: written down {} > drawn {}",
                self.written_down.raw(), self.drawn.raw()
            ));
        }
        for (holder, bal) in s.holders(addr) {
            if holder != self.generator && !bal.is_zero() {
                out.push(format!(
                    "inv5: prime vault {addr}: shares held by {holder}, not the Generator"
                ));
            }
        }
        let idle = s.balance_of(self.asset, addr);
        if idle.checked_add(self.drawn.raw()).is_none() {
            out.push(format!("inv5: prime vault {addr}: idle + drawn overflows"));
        }
    }
}

impl State {
    fn pv(&self, vault: Address) -> CallResult<&PrimeVault> {
        self.get::<PrimeVault>(vault)
            .map_err(|_| pv_err(PrimeVaultRevert::UnknownVault { vault }))
    }

    /// Whether `vault` is a Prime vault (the ERC-4626 facade dispatches on this).
    pub fn is_prime_vault(&self, vault: Address) -> bool {
        self.get::<PrimeVault>(vault).is_ok()
    }

    /// Idle USDS held by the vault [wad].
    pub fn pv_idle(&self, vault: Address) -> CallResult<U256> {
        let v = self.pv(vault)?;
        Ok(self.balance_of(v.asset, vault))
    }

    /// `idle + drawn − written_down` [wad].
    pub fn pv_total_assets(&self, vault: Address) -> CallResult<U256> {
        let v = self.pv(vault)?;
        let idle = self.balance_of(v.asset, vault);
        Ok(math::sub(math::add(idle, v.drawn.raw())?, v.written_down.raw())?)
    }

    fn pv_virtual(&self, vault: Address) -> CallResult<(U256, U256)> {
        let v = self.pv(vault)?;
        // offset ≤ 18 (checked at deployment), so 10^offset fits a u64.
        let unit = 10u64.pow(u32::from(v.decimals_offset.min(MAX_DECIMALS_OFFSET)));
        let supply = math::add(v.token.total_supply.raw(), U256::from(unit))?;
        let assets = math::add(self.pv_total_assets(vault)?, U256::from(1u8))?;
        Ok((supply, assets))
    }

    /// OpenZeppelin `_convertToShares(assets, rounding)` (`ceil` = `Rounding.Ceil`).
    pub fn pv_to_shares(&self, vault: Address, assets: U256, ceil: bool) -> CallResult<U256> {
        let (supply, total) = self.pv_virtual(vault)?;
        Ok(if ceil {
            math::mul_div_ceil(assets, supply, total)?
        } else {
            math::mul_div_floor(assets, supply, total)?
        })
    }

    /// OpenZeppelin `_convertToAssets(shares, rounding)`.
    pub fn pv_to_assets(&self, vault: Address, shares: U256, ceil: bool) -> CallResult<U256> {
        let (supply, total) = self.pv_virtual(vault)?;
        Ok(if ceil {
            math::mul_div_ceil(shares, total, supply)?
        } else {
            math::mul_div_floor(shares, total, supply)?
        })
    }

    pub fn pv_paused(&self, vault: Address) -> CallResult<bool> {
        Ok(self.now < self.pv(vault)?.paused_until)
    }

    /// `maxDeposit`/`maxMint`: unbounded for the Generator, 0 for anyone else.
    pub fn pv_max_deposit(&self, vault: Address, receiver: Address) -> CallResult<U256> {
        Ok(if self.pv(vault)?.generator == receiver {
            U256::MAX
        } else {
            U256::ZERO
        })
    }

    /// `min(convertToAssets(shares(owner)), idle)`; 0 while paused.
    pub fn pv_max_withdraw(&self, vault: Address, owner: Address) -> CallResult<U256> {
        if self.pv_paused(vault)? {
            return Ok(U256::ZERO);
        }
        let own = self.pv_to_assets(vault, self.balance_of(vault, owner), false)?;
        Ok(own.min(self.pv_idle(vault)?))
    }

    /// `min(shares(owner), convertToShares(idle))`; 0 while paused.
    pub fn pv_max_redeem(&self, vault: Address, owner: Address) -> CallResult<U256> {
        if self.pv_paused(vault)? {
            return Ok(U256::ZERO);
        }
        let idle_shares = self.pv_to_shares(vault, self.pv_idle(vault)?, false)?;
        Ok(self.balance_of(vault, owner).min(idle_shares))
    }

    /// The largest draw `min_idle_bps` allows now: `idle − ceil(bps·totalAssets/10 000)`.
    pub fn pv_max_draw(&self, vault: Address) -> CallResult<U256> {
        let floor = self.pv_min_idle(vault)?;
        Ok(self.pv_idle(vault)?.saturating_sub(floor))
    }

    fn pv_min_idle(&self, vault: Address) -> CallResult<U256> {
        let bps = self.pv(vault)?.min_idle_bps;
        Ok(math::mul_div_ceil(
            self.pv_total_assets(vault)?,
            U256::from(bps),
            U256::from(BPS),
        )?)
    }

    /// The vault's position (idle, drawn, written down, the Prime's debt, controls).
    pub fn prime_vault_position(&self, vault: Address) -> CallResult<VaultPosition> {
        let v = self.pv(vault)?;
        Ok(VaultPosition {
            total_assets_wad: Wad::from_raw(self.pv_total_assets(vault)?),
            idle_wad: Wad::from_raw(self.balance_of(v.asset, vault)),
            drawn_wad: v.drawn,
            written_down_wad: v.written_down,
            prime_debt_wad: Wad::from_raw(math::sub(v.drawn.raw(), v.written_down.raw())?),
            total_shares_wad: v.token.total_supply,
            min_idle_bps: v.min_idle_bps,
            paused: self.now < v.paused_until,
            paused_until: v.paused_until,
        })
    }

    fn pv_require_generator(&self, vault: Address, who: Address) -> CallResult<()> {
        let generator = self.pv(vault)?.generator;
        if who != generator {
            return Err(pv_err(PrimeVaultRevert::NotGenerator {
                vault,
                account: who,
                generator,
            }));
        }
        Ok(())
    }

    fn pv_require_unpaused(&self, vault: Address) -> CallResult<()> {
        let until = self.pv(vault)?.paused_until;
        if self.now < until {
            return Err(pv_err(PrimeVaultRevert::WithdrawalsPaused {
                vault,
                until,
                now: self.now,
            }));
        }
        Ok(())
    }

    fn pv_enter(
        &mut self,
        vault: Address,
        caller: Address,
        receiver: Address,
        assets: U256,
        shares: U256,
    ) -> CallResult<()> {
        self.pv_require_generator(vault, caller)?;
        self.pv_require_generator(vault, receiver)?;
        let asset = self.pv(vault)?.asset;
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

    fn pv_exit(
        &mut self,
        vault: Address,
        caller: Address,
        receiver: Address,
        owner: Address,
        assets: U256,
        shares: U256,
    ) -> CallResult<()> {
        self.pv_require_generator(vault, owner)?;
        let asset = self.pv(vault)?.asset;
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

    /// ERC-4626 `deposit(assets, receiver)` (Generator only); shares floor.
    pub(crate) fn pv_deposit(
        &mut self,
        vault: Address,
        caller: Address,
        assets: U256,
        receiver: Address,
    ) -> CallResult<U256> {
        self.pv_require_generator(vault, caller)?;
        let shares = self.pv_to_shares(vault, assets, false)?;
        self.pv_enter(vault, caller, receiver, assets, shares)?;
        Ok(shares)
    }

    /// ERC-4626 `mint(shares, receiver)` (Generator only); assets ceil.
    pub(crate) fn pv_mint(
        &mut self,
        vault: Address,
        caller: Address,
        shares: U256,
        receiver: Address,
    ) -> CallResult<U256> {
        self.pv_require_generator(vault, caller)?;
        let assets = self.pv_to_assets(vault, shares, true)?;
        self.pv_enter(vault, caller, receiver, assets, shares)?;
        Ok(assets)
    }

    /// ERC-4626 `withdraw(assets, receiver, owner)`: capped by idle; shares ceil.
    pub(crate) fn pv_withdraw(
        &mut self,
        vault: Address,
        caller: Address,
        assets: U256,
        receiver: Address,
        owner: Address,
    ) -> CallResult<U256> {
        self.pv_require_generator(vault, owner)?;
        self.pv_require_unpaused(vault)?;
        let max = self.pv_max_withdraw(vault, owner)?;
        if assets > max {
            return Err(Revert::Savings(SavingsRevert::ExceededMaxWithdraw { owner, assets, max }));
        }
        let shares = self.pv_to_shares(vault, assets, true)?;
        self.pv_exit(vault, caller, receiver, owner, assets, shares)?;
        Ok(shares)
    }

    /// ERC-4626 `redeem(shares, receiver, owner)`: capped by idle; assets floor.
    pub(crate) fn pv_redeem(
        &mut self,
        vault: Address,
        caller: Address,
        shares: U256,
        receiver: Address,
        owner: Address,
    ) -> CallResult<U256> {
        self.pv_require_generator(vault, owner)?;
        self.pv_require_unpaused(vault)?;
        let max = self.pv_max_redeem(vault, owner)?;
        if shares > max {
            return Err(Revert::Savings(SavingsRevert::ExceededMaxRedeem { owner, shares, max }));
        }
        let assets = self.pv_to_assets(vault, shares, false)?;
        self.pv_exit(vault, caller, receiver, owner, assets, shares)?;
        Ok(assets)
    }

    fn pv_require_prime(&self, vault: Address, who: Address) -> CallResult<()> {
        let prime = self.pv(vault)?.prime;
        if who != prime {
            return Err(pv_err(PrimeVaultRevert::NotVaultsPrime {
                vault,
                account: who,
                prime,
            }));
        }
        Ok(())
    }

    /// Prime side `draw(amount)`: idle USDS to the Prime proxy, keeping `min_idle_bps`.
    pub(crate) fn pv_draw(&mut self, vault: Address, caller: Address, amount: U256) -> CallResult<()> {
        self.pv_require_prime(vault, caller)?;
        let max = self.pv_max_draw(vault)?;
        if amount > max {
            return Err(pv_err(PrimeVaultRevert::BelowMinIdle {
                vault,
                amount,
                max,
                min_idle: self.pv_min_idle(vault)?,
            }));
        }
        let v = self.pv(vault)?;
        let (asset, drawn) = (v.asset, math::add(v.drawn.raw(), amount)?);
        self.erc20_move(asset, vault, caller, amount)?;
        self.get_mut::<PrimeVault>(vault)?.drawn = Wad::from_raw(drawn);
        self.emit(
            vault,
            EventKind::PrimeVault(PrimeVaultEvent::PrimeDraw {
                prime: caller,
                amount_wad: Wad::from_raw(amount),
                drawn_wad: Wad::from_raw(drawn),
            }),
        );
        Ok(())
    }

    /// Prime side `repay(amount)`: USDS from `payer` (the Prime proxy) back to idle.
    pub(crate) fn pv_repay(
        &mut self,
        vault: Address,
        caller: Address,
        payer: Address,
        amount: U256,
    ) -> CallResult<()> {
        self.pv_require_prime(vault, caller)?;
        let v = self.pv(vault)?;
        let (asset, drawn, written) = (v.asset, v.drawn.raw(), v.written_down.raw());
        let debt = math::sub(drawn, written)?;
        if amount > debt {
            return Err(pv_err(PrimeVaultRevert::RepayExceedsDebt {
                vault,
                amount,
                debt,
            }));
        }
        self.erc20_move(asset, payer, vault, amount)?;
        let drawn = drawn - amount;
        self.get_mut::<PrimeVault>(vault)?.drawn = Wad::from_raw(drawn);
        self.emit(
            vault,
            EventKind::PrimeVault(PrimeVaultEvent::PrimeRepay {
                prime: caller,
                amount_wad: Wad::from_raw(amount),
                drawn_wad: Wad::from_raw(drawn),
            }),
        );
        Ok(())
    }

    /// Governance write-down of the Prime's outstanding principal: the share price falls at once.
    pub(crate) fn pv_write_down(
        &mut self,
        vault: Address,
        caller: Address,
        amount: U256,
    ) -> CallResult<()> {
        self.pv(vault)?;
        self.require_role(vault, ADMIN_ROLE, caller)?;
        let total = self.pv_total_assets(vault)?;
        let v = self.pv(vault)?;
        let writable = math::sub(v.drawn.raw(), v.written_down.raw())?;
        if amount > writable {
            return Err(pv_err(PrimeVaultRevert::WriteDownTooLarge {
                vault,
                amount,
                writable,
                total_assets: total,
            }));
        }
        let written = math::add(v.written_down.raw(), amount)?;
        self.get_mut::<PrimeVault>(vault)?.written_down = Wad::from_raw(written);
        self.emit(
            vault,
            EventKind::PrimeVault(PrimeVaultEvent::WriteDown {
                amount_wad: Wad::from_raw(amount),
                written_down_wad: Wad::from_raw(written),
                total_assets_wad: Wad::from_raw(total - amount),
            }),
        );
        Ok(())
    }

    pub(crate) fn pv_set_min_idle_bps(
        &mut self,
        vault: Address,
        caller: Address,
        bps: u16,
    ) -> CallResult<()> {
        self.pv(vault)?;
        self.require_role(vault, ADMIN_ROLE, caller)?;
        if bps > BPS {
            return Err(pv_err(PrimeVaultRevert::BadBps { bps }));
        }
        self.get_mut::<PrimeVault>(vault)?.min_idle_bps = bps;
        self.emit(
            vault,
            EventKind::PrimeVault(PrimeVaultEvent::MinIdleBpsSet { bps }),
        );
        Ok(())
    }

    /// FREEZER pauses Generator withdrawals for `duration_s ≤ max_pause_s`; returns the end.
    pub(crate) fn pv_pause(
        &mut self,
        vault: Address,
        caller: Address,
        duration_s: u64,
    ) -> CallResult<Timestamp> {
        let max = self.pv(vault)?.max_pause_s;
        self.require_role(vault, freezer_role(), caller)?;
        if duration_s > max || duration_s == 0 {
            return Err(pv_err(PrimeVaultRevert::BadPauseDuration {
                duration_s,
                max_s: max,
            }));
        }
        let until = Timestamp(
            self.now
                .0
                .checked_add(duration_s)
                .ok_or(Revert::Math(laniakea_units::MathError::Overflow))?,
        );
        self.get_mut::<PrimeVault>(vault)?.paused_until = until;
        self.emit(
            vault,
            EventKind::PrimeVault(PrimeVaultEvent::WithdrawalsPaused {
                by: caller,
                until,
            }),
        );
        Ok(until)
    }

    /// FREEZER or ADMIN lifts the pause early.
    pub(crate) fn pv_unpause(&mut self, vault: Address, caller: Address) -> CallResult<()> {
        self.pv(vault)?;
        if !self.has_role(vault, ADMIN_ROLE, caller) {
            self.require_role(vault, freezer_role(), caller)?;
        }
        self.get_mut::<PrimeVault>(vault)?.paused_until = Timestamp(0);
        self.emit(
            vault,
            EventKind::PrimeVault(PrimeVaultEvent::WithdrawalsUnpaused { by: caller }),
        );
        Ok(())
    }
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum PrimeVaultRevert {
    #[error("{vault} is not a Prime vault")]
    #[strum(serialize = "PrimeVault/unknown-vault")]
    UnknownVault { vault: Address },
    #[error("{account} is not the Generator ({generator}) of vault {vault}: only it deposits and holds shares")]
    #[strum(serialize = "PrimeVault/not-generator")]
    NotGenerator {
        vault: Address,
        account: Address,
        generator: Address,
    },
    #[error("{account} is not the Prime ({prime}) of vault {vault}")]
    #[strum(serialize = "PrimeVault/not-vaults-prime")]
    NotVaultsPrime {
        vault: Address,
        account: Address,
        prime: Address,
    },
    #[error("draw of {amount} from {vault} would leave idle below min_idle {min_idle} (max draw {max})")]
    #[strum(serialize = "PrimeVault/below-min-idle")]
    BelowMinIdle {
        vault: Address,
        amount: U256,
        max: U256,
        min_idle: U256,
    },
    #[error("repay of {amount} to {vault} exceeds the Prime's debt {debt}")]
    #[strum(serialize = "PrimeVault/repay-exceeds-debt")]
    RepayExceedsDebt {
        vault: Address,
        amount: U256,
        debt: U256,
    },
    #[error("write-down of {amount} on {vault} exceeds the writable principal {writable} (total assets {total_assets})")]
    #[strum(serialize = "PrimeVault/write-down-too-large")]
    WriteDownTooLarge {
        vault: Address,
        amount: U256,
        writable: U256,
        total_assets: U256,
    },
    #[error("withdrawals from {vault} are paused until {until} (now {now})")]
    #[strum(serialize = "PrimeVault/withdrawals-paused")]
    WithdrawalsPaused {
        vault: Address,
        until: Timestamp,
        now: Timestamp,
    },
    #[error("pause of {duration_s} s is not within 1..={max_s} s")]
    #[strum(serialize = "PrimeVault/bad-pause-duration")]
    BadPauseDuration { duration_s: u64, max_s: u64 },
    #[error("min_idle_bps {bps} is above 10000")]
    #[strum(serialize = "PrimeVault/bad-bps")]
    BadBps { bps: u16 },
    #[error("decimals offset {offset} is above 18")]
    #[strum(serialize = "PrimeVault/bad-offset")]
    BadOffset { offset: u8 },
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable). ERC-4626
/// `Deposit`/`Withdraw` are the savings family's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum PrimeVaultEvent {
    PrimeDraw {
        prime: Address,
        amount_wad: Wad,
        drawn_wad: Wad,
    },
    PrimeRepay {
        prime: Address,
        amount_wad: Wad,
        drawn_wad: Wad,
    },
    WriteDown {
        amount_wad: Wad,
        written_down_wad: Wad,
        total_assets_wad: Wad,
    },
    MinIdleBpsSet {
        bps: u16,
    },
    MaxPauseDurationSet {
        seconds: u64,
    },
    WithdrawalsPaused {
        by: Address,
        until: Timestamp,
    },
    WithdrawalsUnpaused {
        by: Address,
    },
}
