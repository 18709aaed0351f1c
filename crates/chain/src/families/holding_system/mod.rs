//! The srUSDS Holding System (SPEC §4.9): holds the sUSDS that backs srUSDS, mints srUSDS when
//! the subscribe queue settles and burns it when the redeem queue settles, and keeps
//! `exchangeRate()` — the sUSDS value of 1e18 srUSDS [wad].
//!
//! Contract:
//! - The backing `H` is the Holding System's sUSDS balance. It is funded by plain ERC-20
//!   transfers (the Generator's or a Prime's PAU `transferAsset` under a configured rate-limit key,
//!   or a pre-funding account); nothing but a redemption or a haircut's recorded loss moves it out
//!   (the Holding System never approves a spender).
//! - The rate moves only through the shared formulas of `laniakea_units::srusds`: at each
//!   settlement (`updateExchangeRate` by lpha-lcts, and implicitly before every queue settle)
//!   it rises by `premium_apr × elapsed / year` over the time since the last update, *only as far
//!   as `H` covers* (`xr ≤ ⌊H·1e18/supply⌋`; the cap never lowers it); a governance `haircut`
//!   (wards) lowers it at once, with a reason, optionally recording a loss paid out of `H`.
//! - Invariant 7: `xr·supply ≤ H·1e18` after every transaction, except while `haircut_open`:
//!   a haircut that leaves the backing short opens it; the next rate update that finds the backing
//!   whole closes it.
//! - Conversions floor in the Holding System's favour: a subscription of `a` sUSDS mints
//!   `⌊a·1e18/xr⌋` srUSDS, a redemption of `r` srUSDS pays `⌊r·xr/1e18⌋` sUSDS (refused, not
//!   partially paid, when `H` is short). Only the queue attached for a side may convert.
//! - `premium_apr` ≤ 100% and changes only when the rate is up to date (`rho == now`, as
//!   `jug.file`).

use crate::call::{AccessCall, Returns, Value};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::savings::Savings;
use crate::families::Family;
use crate::journal::NoLedger;
use crate::roles::role_id;
use crate::script::parse_util::{typed_call_with_fallback, ScriptError};
use crate::state::State;
use alloy_primitives::{Address, B256};
use laniakea_units::srusds::{self as rate, RaiseBound};
use laniakea_units::{Apr, Timestamp, Wad, WAD};
use serde::Deserialize;
use serde_json::Value as Json;
use std::sync::LazyLock;

static LPHA_LCTS: LazyLock<B256> = LazyLock::new(|| role_id("LPHA_LCTS"));

/// The lpha-lcts beacon's role (`keccak256("LPHA_LCTS")`): lock, settle, rate updates.
pub fn lpha_lcts_role() -> B256 {
    *LPHA_LCTS
}

/// Which queue: sUSDS → srUSDS (subscribe) or srUSDS → sUSDS (redeem).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Subscribe,
    Redeem,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Subscribe => "subscribe",
            Side::Redeem => "redeem",
        }
    }
}

/// The Holding System's scalar storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldingSystem {
    /// the sUSDS vault (the backing token)
    pub susds: Address,
    /// the srUSDS token (the Holding System must be its ward to mint)
    pub srusds: Address,
    /// `exchangeRate()`: sUSDS per 1e18 srUSDS
    pub exchange_rate: Wad,
    /// the srUSDS premium (governance)
    pub premium_apr: Apr,
    /// [s] time of the last exchange-rate update
    pub rho: Timestamp,
    /// the attached subscribe queue (zero: none yet)
    pub subscribe_queue: Address,
    /// the attached redeem queue (zero: none yet)
    pub redeem_queue: Address,
    /// a recorded haircut left the backing short; closed by the first update that finds it whole
    pub haircut_open: bool,
}

/// `deploy: {"kind": "holding-system", "susds": "@susds", "srusds": "@srusds", "premium_apr": "0.01"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct HoldingSystemDeploy {
    pub susds: Address,
    pub srusds: Address,
    pub premium_apr: Apr,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum HoldingSystemCall {
    /// lpha-lcts: apply the premium raise for the time since the last update (within backing).
    #[serde(rename = "updateExchangeRate")]
    UpdateExchangeRate,
    /// Wards: set the premium (the rate must be up to date: update first in the same block).
    #[serde(rename = "filePremium")]
    FilePremium { premium_apr: Apr },
    /// Wards: lower the rate at once by `fraction` (0 < fraction ≤ 1), with a reason; `loss`
    /// sUSDS (default 0) leaves the Holding System to `to` (required when `loss` > 0).
    #[serde(rename = "haircut")]
    Haircut {
        fraction: Wad,
        reason: String,
        #[serde(default)]
        loss: Wad,
        #[serde(default)]
        to: Option<Address>,
    },
    #[serde(skip_deserializing, untagged)]
    Access(AccessCall),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum HoldingSystemView {
    #[serde(rename = "exchangeRate")]
    ExchangeRate,
    /// Everything a person or lpha-lcts reads: rate, backing, ratio, premium, queues.
    #[serde(rename = "holdingSystem")]
    Info,
}

/// The full state of the Holding System, as the `holdingSystem` view answers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HoldingInfo {
    pub exchange_rate_wad: Wad,
    pub holding_susds_wad: Wad,
    pub srusds_supply_wad: Wad,
    /// `⌊supply·xr/1e18⌋`: the sUSDS all srUSDS is worth at the current rate
    pub srusds_value_susds_wad: Wad,
    /// `⌊H·1e18 / srusds_value⌋` (1 = exactly backed); `None` while nothing is owed
    pub backing_ratio_wad: Option<Wad>,
    /// invariant 7 holds now (`xr·supply ≤ H·1e18`)
    pub backed: bool,
    pub haircut_open: bool,
    pub premium_apr: Apr,
    pub last_update: Timestamp,
    pub susds: Address,
    pub srusds: Address,
    pub subscribe_queue: Option<Address>,
    pub redeem_queue: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum HoldingSystemAnswer {
    ExchangeRate {
        #[serde(rename = "exchangeRate")]
        exchange_rate: Wad,
    },
    Info(Box<HoldingInfo>),
}

impl Family for HoldingSystem {
    const LABEL: &'static str = "holding-system";
    type Call = HoldingSystemCall;
    type Deploy = HoldingSystemDeploy;
    type View = HoldingSystemView;
    type Answer = HoldingSystemAnswer;
    type Revert = HoldingRevert;
    type Event = HoldingEvent;
    type Ledger = NoLedger;

    fn validate_deploy(d: &HoldingSystemDeploy) -> Result<(), (&'static str, String)> {
        if d.premium_apr.raw() > WAD {
            return Err(("premium_apr", format!("{} is above 100%", d.premium_apr)));
        }
        Ok(())
    }

    fn deploy(
        s: &mut State,
        _from: Address,
        _addr: Address,
        d: &HoldingSystemDeploy,
    ) -> CallResult<Self> {
        s.get::<Savings>(d.susds)?;
        s.erc20(d.srusds)?;
        check_premium(d.premium_apr)?;
        Ok(HoldingSystem {
            susds: d.susds,
            srusds: d.srusds,
            exchange_rate: Wad::from_raw(WAD),
            premium_apr: d.premium_apr,
            rho: s.now,
            subscribe_queue: Address::ZERO,
            redeem_queue: Address::ZERO,
            haircut_open: false,
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: HoldingSystemCall) -> CallResult<Returns> {
        match c {
            HoldingSystemCall::UpdateExchangeRate => {
                s.require_role(to, lpha_lcts_role(), from)?;
                let xr = s.holding_update_rate(to)?;
                Ok(Returns::one("exchangeRate", Value::Wad(xr)))
            }
            HoldingSystemCall::FilePremium { premium_apr } => {
                s.require_ward(to, from)?;
                check_premium(premium_apr)?;
                let now = s.now;
                let h = s.get_mut::<HoldingSystem>(to)?;
                if h.rho != now {
                    return Err(Revert::HoldingSystem(HoldingRevert::RateNotUpdated {
                        rho: h.rho,
                        now,
                    }));
                }
                h.premium_apr = premium_apr;
                s.emit(
                    to,
                    EventKind::HoldingSystem(HoldingEvent::SrusdsPremiumSet { premium_apr }),
                );
                Ok(Returns::none())
            }
            HoldingSystemCall::Haircut {
                fraction,
                reason,
                loss,
                to: recipient,
            } => {
                s.require_ward(to, from)?;
                let xr = s.holding_haircut(to, fraction, reason, loss, recipient)?;
                Ok(Returns::one("exchangeRate", Value::Wad(xr)))
            }
            HoldingSystemCall::Access(a) => crate::roles::access(s, to, from, a),
        }
    }

    fn view(s: &State, to: Address, v: &HoldingSystemView) -> CallResult<HoldingSystemAnswer> {
        let h = s.get::<HoldingSystem>(to)?;
        Ok(match v {
            HoldingSystemView::ExchangeRate => HoldingSystemAnswer::ExchangeRate {
                exchange_rate: h.exchange_rate,
            },
            HoldingSystemView::Info => {
                let holding = Wad::from_raw(s.balance_of(h.susds, to));
                let supply = Wad::from_raw(s.total_supply(h.srusds)?);
                let value = rate::srusds_to_susds(supply, h.exchange_rate)?;
                let ratio = if value.is_zero() {
                    None
                } else {
                    Some(holding.mul_div_floor(WAD, value.raw())?)
                };
                let opt = |a: Address| (a != Address::ZERO).then_some(a);
                HoldingSystemAnswer::Info(Box::new(HoldingInfo {
                    exchange_rate_wad: h.exchange_rate,
                    holding_susds_wad: holding,
                    srusds_supply_wad: supply,
                    srusds_value_susds_wad: value,
                    backing_ratio_wad: ratio,
                    backed: rate::is_backed(h.exchange_rate, supply, holding),
                    haircut_open: h.haircut_open,
                    premium_apr: h.premium_apr,
                    last_update: h.rho,
                    susds: h.susds,
                    srusds: h.srusds,
                    subscribe_queue: opt(h.subscribe_queue),
                    redeem_queue: opt(h.redeem_queue),
                }))
            }
        })
    }

    fn parse_call(line: usize, call: Json) -> Result<HoldingSystemCall, ScriptError> {
        typed_call_with_fallback(line, call, |c| c, HoldingSystemCall::Access)
    }

    fn encode(&self, e: &mut Enc) {
        e.a(self.susds);
        e.a(self.srusds);
        e.u(self.exchange_rate.raw());
        e.u(self.premium_apr.raw());
        e.n(self.rho.0);
        e.a(self.subscribe_queue);
        e.a(self.redeem_queue);
        e.n(u64::from(self.haircut_open));
    }

    /// SPEC §8 invariant 7.
    fn check(&self, s: &State, addr: Address, out: &mut Vec<String>) {
        let holding = Wad::from_raw(s.balance_of(self.susds, addr));
        let supply = s.total_supply(self.srusds).map(Wad::from_raw).unwrap_or_default();
        if !self.haircut_open && !rate::is_backed(self.exchange_rate, supply, holding) {
            out.push(format!(
                "inv7: holding system {addr}: exchange rate {} × srUSDS supply {} exceeds its sUSDS {} with no recorded haircut",
                self.exchange_rate, supply, holding
            ));
        }
    }
}

fn check_premium(p: Apr) -> CallResult<()> {
    if p.raw() > WAD {
        return Err(Revert::HoldingSystem(HoldingRevert::PremiumAboveHundredPercent {
            premium_apr: p,
        }));
    }
    Ok(())
}

impl State {
    /// The exchange-rate step at the current block time (a no-op when already up to date).
    pub(crate) fn holding_update_rate(&mut self, holding: Address) -> CallResult<Wad> {
        let now = self.now;
        let h = self.get::<HoldingSystem>(holding)?.clone();
        let elapsed_s = now.since(h.rho).unwrap_or(0);
        if elapsed_s == 0 {
            return Ok(h.exchange_rate);
        }
        let holding_susds = Wad::from_raw(self.balance_of(h.susds, holding));
        let supply = Wad::from_raw(self.total_supply(h.srusds)?);
        let target = rate::premium_target(h.exchange_rate, h.premium_apr, elapsed_s)?;
        let cap = rate::backing_cap(holding_susds, supply)?;
        let (raised, bound) = rate::raise_within_backing(h.exchange_rate, target, cap);
        let backed = rate::is_backed(raised, supply, holding_susds);
        let m = self.get_mut::<HoldingSystem>(holding)?;
        m.exchange_rate = raised;
        m.rho = now;
        m.haircut_open = h.haircut_open && !backed;
        self.emit(
            holding,
            EventKind::HoldingSystem(HoldingEvent::SrusdsRateUpdated(Box::new(RateUpdated {
                exchange_rate_before_wad: h.exchange_rate,
                exchange_rate_wad: raised,
                elapsed_s,
                premium_apr: h.premium_apr,
                backing_cap_wad: cap,
                raise_bound: bound,
            }))),
        );
        Ok(raised)
    }

    fn holding_haircut(
        &mut self,
        holding: Address,
        fraction: Wad,
        reason: String,
        loss: Wad,
        recipient: Option<Address>,
    ) -> CallResult<Wad> {
        if fraction.is_zero() {
            return Err(Revert::HoldingSystem(HoldingRevert::ZeroHaircut));
        }
        if fraction.raw() > WAD {
            return Err(Revert::HoldingSystem(HoldingRevert::HaircutAboveHundredPercent {
                fraction,
            }));
        }
        if reason.trim().is_empty() {
            return Err(Revert::HoldingSystem(HoldingRevert::ReasonMissing));
        }
        let h = self.get::<HoldingSystem>(holding)?.clone();
        if !loss.is_zero() {
            let Some(dst) = recipient else {
                return Err(Revert::HoldingSystem(HoldingRevert::LossWithoutRecipient));
            };
            self.erc20_move(h.susds, holding, dst, loss.raw())?;
        }
        let after = rate::apply_haircut(h.exchange_rate, fraction)?;
        let holding_susds = Wad::from_raw(self.balance_of(h.susds, holding));
        let supply = Wad::from_raw(self.total_supply(h.srusds)?);
        let backed = rate::is_backed(after, supply, holding_susds);
        let m = self.get_mut::<HoldingSystem>(holding)?;
        m.exchange_rate = after;
        m.haircut_open = !backed;
        self.emit(
            holding,
            EventKind::HoldingSystem(HoldingEvent::SrusdsHaircut(Box::new(HaircutRecord {
                fraction_wad: fraction,
                reason,
                loss_susds_wad: loss,
                to: recipient,
                exchange_rate_before_wad: h.exchange_rate,
                exchange_rate_wad: after,
                backed,
            }))),
        );
        Ok(after)
    }

    /// Attaches `queue` as the Holding System's `side` queue (once; by one of its wards).
    pub(crate) fn holding_attach(
        &mut self,
        holding: Address,
        deployer: Address,
        queue: Address,
        side: Side,
    ) -> CallResult<()> {
        self.require_ward(holding, deployer)?;
        let h = self.get_mut::<HoldingSystem>(holding)?;
        let slot = match side {
            Side::Subscribe => &mut h.subscribe_queue,
            Side::Redeem => &mut h.redeem_queue,
        };
        if *slot != Address::ZERO {
            return Err(Revert::HoldingSystem(HoldingRevert::QueueAlreadyAttached {
                side: side.as_str(),
                queue: *slot,
            }));
        }
        *slot = queue;
        self.emit(
            holding,
            EventKind::HoldingSystem(HoldingEvent::LctsQueueAttached {
                queue,
                side: side.as_str(),
            }),
        );
        Ok(())
    }

    fn holding_for(&self, holding: Address, queue: Address, side: Side) -> CallResult<HoldingSystem> {
        let h = self.get::<HoldingSystem>(holding)?;
        let attached = match side {
            Side::Subscribe => h.subscribe_queue,
            Side::Redeem => h.redeem_queue,
        };
        if attached != queue {
            return Err(Revert::HoldingSystem(HoldingRevert::NotTheQueue {
                caller: queue,
                side: side.as_str(),
            }));
        }
        Ok(h.clone())
    }

    /// Subscribe settlement: `susds` moves from the queue to the Holding System, which mints
    /// `⌊susds·1e18/xr⌋` srUSDS to the queue. Returns the srUSDS minted.
    pub(crate) fn holding_subscribe(
        &mut self,
        holding: Address,
        queue: Address,
        susds: Wad,
    ) -> CallResult<Wad> {
        let h = self.holding_for(holding, queue, Side::Subscribe)?;
        if h.exchange_rate.is_zero() {
            return Err(Revert::HoldingSystem(HoldingRevert::ZeroExchangeRate));
        }
        let out = rate::susds_to_srusds(susds, h.exchange_rate)?;
        self.erc20_move(h.susds, queue, holding, susds.raw())?;
        self.erc20_mint(h.srusds, holding, queue, out.raw())?;
        Ok(out)
    }

    /// Redeem settlement: the queue's `srusds` is burned and the Holding System pays
    /// `⌊srusds·xr/1e18⌋` sUSDS to the queue (refused when it holds less). Returns the sUSDS paid.
    pub(crate) fn holding_redeem(
        &mut self,
        holding: Address,
        queue: Address,
        srusds: Wad,
    ) -> CallResult<Wad> {
        let h = self.holding_for(holding, queue, Side::Redeem)?;
        let pay = rate::srusds_to_susds(srusds, h.exchange_rate)?;
        let held = self.balance_of(h.susds, holding);
        if held < pay.raw() {
            return Err(Revert::HoldingSystem(HoldingRevert::InsufficientSusds {
                needed: pay,
                held: Wad::from_raw(held),
            }));
        }
        self.erc20_burn_unchecked(h.srusds, queue, srusds.raw())?;
        self.erc20_move(h.susds, holding, queue, pay.raw())?;
        Ok(pay)
    }
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum HoldingRevert {
    #[error("haircut fraction {fraction} is above 100% (1)")]
    #[strum(serialize = "Holding/haircut-above-100-percent")]
    HaircutAboveHundredPercent { fraction: Wad },
    #[error("a haircut of zero changes nothing; give a fraction above 0")]
    #[strum(serialize = "Holding/zero-haircut")]
    ZeroHaircut,
    #[error("a haircut must give its reason")]
    #[strum(serialize = "Holding/reason-missing")]
    ReasonMissing,
    #[error("a haircut with a loss must name the account the lost sUSDS goes to (`to`)")]
    #[strum(serialize = "Holding/loss-without-recipient")]
    LossWithoutRecipient,
    #[error("premium {premium_apr} is above 100% (1)")]
    #[strum(serialize = "Holding/premium-above-100-percent")]
    PremiumAboveHundredPercent { premium_apr: Apr },
    #[error("the exchange rate was last updated at {rho}, now is {now}: update it first")]
    #[strum(serialize = "Holding/rate-not-updated")]
    RateNotUpdated { rho: Timestamp, now: Timestamp },
    #[error("a {side} queue is already attached ({queue})")]
    #[strum(serialize = "Holding/queue-already-attached")]
    QueueAlreadyAttached { side: &'static str, queue: Address },
    #[error("{caller} is not the attached {side} queue")]
    #[strum(serialize = "Holding/not-the-queue")]
    NotTheQueue { caller: Address, side: &'static str },
    #[error("the exchange rate is zero (after a 100% haircut): no srUSDS can be minted")]
    #[strum(serialize = "Holding/zero-exchange-rate")]
    ZeroExchangeRate,
    #[error("the Holding System holds {held} sUSDS, the redemption needs {needed}")]
    #[strum(serialize = "Holding/insufficient-susds")]
    InsufficientSusds { needed: Wad, held: Wad },
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum HoldingEvent {
    /// The premium raise at a settlement, and the rule that bound it (boxed: a rare event,
    /// kept out of the fixed-size event enum).
    SrusdsRateUpdated(Box<RateUpdated>),
    /// A governance haircut: the recorded reason, the loss paid out, the rate before and after.
    SrusdsHaircut(Box<HaircutRecord>),
    SrusdsPremiumSet {
        premium_apr: Apr,
    },
    LctsQueueAttached {
        queue: Address,
        side: &'static str,
    },
}

/// The fields of [`HoldingEvent::SrusdsRateUpdated`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RateUpdated {
    pub exchange_rate_before_wad: Wad,
    pub exchange_rate_wad: Wad,
    pub elapsed_s: u64,
    pub premium_apr: Apr,
    pub backing_cap_wad: Option<Wad>,
    pub raise_bound: RaiseBound,
}

/// The fields of [`HoldingEvent::SrusdsHaircut`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HaircutRecord {
    pub fraction_wad: Wad,
    pub reason: String,
    pub loss_susds_wad: Wad,
    pub to: Option<Address>,
    pub exchange_rate_before_wad: Wad,
    pub exchange_rate_wad: Wad,
    /// invariant 7 holds after the haircut (false: the haircut stays open)
    pub backed: bool,
}
