//! Configurator (SPEC §4.10): the cBEAM actions of one scope. An accordant GovOps (a cBEAM
//! holder for the PAU in this scope's BEAMState) may, on that PAU only: set a rate limit from an
//! init, raise it under SORL, lower it instantly, remove it, set relayers and freezers, and call
//! an approved controller action.
//!
//! Contract (checked in this order, each with its own code): the PAU is registered in this
//! scope (`Configurator/pau-not-in-scope`), the caller is accordant (`Configurator/not-accordant`),
//! then for `setRateLimit` an init exists for (key, pau) or (key, any)
//! (`Configurator/init-for-other-pau` when only another PAU's restricted init exists, else
//! `Configurator/no-init`).
//! - A *first set* (the key is not configured through this Configurator) is bounded by the
//!   init (`Configurator/above-init`) and refills to full, as spark's `setRateLimitData`.
//! - A *raise* (either value goes up) needs `now ≥ lastRaise + hop`
//!   (`Configurator/sorl-too-early`) and each raised value `new ≤ ⌊old·(10000 + maxChange)/10000⌋`
//!   (`Configurator/sorl-max-amount-exceeded`, `Configurator/sorl-slope-exceeded`); it records
//!   `lastRaise = now`. A first set also counts as a raise; a first set after a removal also
//!   waits for `hop` since the last raise (so remove + re-set is no shortcut).
//! - A *lowering* (no value goes up) is always instant and leaves `lastRaise` alone.
//! - The Configurator never refills on a change: the new entry keeps the current amount, capped
//!   by the new `maxAmount` (a lowering must not hand the relayer fresh capacity).
//!
//! The Configurator acts on a PAU's contracts with their admin role, which it must hold (checked
//! at registration); the engine refuses admin changes on managed contracts by anyone else
//! (`State::configurator_guard`, in `beam_state`). Every action emits an event with old and new
//! values.

pub mod scope;

use crate::call::{Key, Returns};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::beam_state::{
    BeamState, BeamStateRevert, ControllerFunction, InitLimit, LimitValues, BPS,
};
use crate::families::controller::{Controller, ExchangeRate};
use crate::families::rate_limits::{current_amount, RateLimitData, RateLimitsEvent};
use crate::families::Family;
use crate::journal::JournaledMap;
use crate::roles::{freezer_role, relayer_role, ADMIN_ROLE};
use crate::state::State;
use alloy_primitives::{Address, B256, U256};
use laniakea_units::{math, Timestamp, Wad};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One scope's Configurator (SORL records live in [`ConfiguratorLedger`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configurator {
    pub state: Address,
}

/// Per (PAU, key): whether the key is configured through the Configurator and its last raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SorlEntry {
    pub configured: bool,
    /// Time of the last raise (first sets count); 0 = never raised.
    pub last_raise: Timestamp,
}

crate::ledger! {
    /// Every Configurator's SORL records.
    pub struct ConfiguratorLedger {
        /// (configurator, pau, key) → SORL record
        pub sorl: JournaledMap<(Address, Address, B256), SorlEntry>,
    }
}

/// `deploy: {"kind": "configurator", "state"}` (by the state's admin; binds the state to it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguratorDeploy {
    pub state: Address,
}

/// A controller admin action the Configurator may call once approved.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum ControllerAction {
    #[serde(rename = "setMaxExchangeRate")]
    SetMaxExchangeRate {
        vault: Address,
        shares: Wad,
        max_expected_assets: Wad,
    },
}

impl ControllerAction {
    /// (function, target) — what an approval names.
    pub fn approval(&self) -> (ControllerFunction, Address) {
        match self {
            ControllerAction::SetMaxExchangeRate { vault, .. } => {
                (ControllerFunction::SetMaxExchangeRate, *vault)
            }
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum ConfiguratorCall {
    #[serde(rename = "setRateLimit")]
    SetRateLimit {
        pau: Address,
        key: Key,
        max_amount: Wad,
        /// per second
        slope: Wad,
    },
    #[serde(rename = "removeRateLimit")]
    RemoveRateLimit { pau: Address, key: Key },
    /// Grants (`enabled`, default) or revokes the controller's RELAYER role.
    #[serde(rename = "setRelayer")]
    SetRelayer {
        pau: Address,
        relayer: Address,
        #[serde(default = "yes")]
        enabled: bool,
    },
    /// Grants (`enabled`, default) or revokes the controller's FREEZER role.
    #[serde(rename = "setFreezer")]
    SetFreezer {
        pau: Address,
        freezer: Address,
        #[serde(default = "yes")]
        enabled: bool,
    },
    #[serde(rename = "callControllerAction")]
    CallControllerAction {
        pau: Address,
        action: ControllerAction,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum ConfiguratorView {
    /// The scope: state, timelock, SORL parameters, registered PAUs with their GovOps.
    #[serde(rename = "getScope")]
    Scope,
    /// Every rate limit of a PAU with headroom, init, last raise and earliest next raise.
    #[serde(rename = "getRateLimits")]
    RateLimits { pau: Address },
}

/// A registered PAU as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopePau {
    pub pau: Address,
    pub controller: Address,
    pub rate_limits: Address,
    pub govops: Vec<Address>,
}

/// The init that applies to a key (`pau: null` = the scope-wide one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppliedInit {
    pub pau: Option<Address>,
    pub max_amount_wad: Wad,
    pub slope_wad_per_s: Wad,
}

/// One rate limit of a PAU as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitStatus {
    pub key: B256,
    /// `2^256−1` base units = unlimited
    pub max_amount_wad: Wad,
    pub slope_wad_per_s: Wad,
    pub last_amount_wad: Wad,
    pub last_updated: Timestamp,
    /// `getCurrentRateLimit` now: what the relayer may still use
    pub headroom_wad: Wad,
    pub init: Option<AppliedInit>,
    /// configured through the Configurator (else set before registration)
    pub configured: bool,
    pub last_raise: Option<Timestamp>,
    /// `lastRaise + hop` (the first raise of a key set before registration: `None`, any time)
    pub earliest_next_raise: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ConfiguratorAnswer {
    Scope {
        state: Address,
        timelock: Address,
        hop_s: u64,
        max_change_bps: u64,
        paus: Vec<ScopePau>,
    },
    RateLimits {
        pau: Address,
        rate_limits: Address,
        now: Timestamp,
        limits: Vec<LimitStatus>,
    },
}

const TAG_SORL: u8 = 25;

impl Family for Configurator {
    const LABEL: &'static str = "configurator";
    type Call = ConfiguratorCall;
    type Deploy = ConfiguratorDeploy;
    type View = ConfiguratorView;
    type Answer = ConfiguratorAnswer;
    type Revert = ConfiguratorRevert;
    type Event = ConfiguratorEvent;
    type Ledger = ConfiguratorLedger;
    const LEDGER_TAGS: &'static [u8] = &[TAG_SORL];

    fn deploy(s: &mut State, from: Address, addr: Address, d: &ConfiguratorDeploy) -> CallResult<Self> {
        s.require_role(d.state, ADMIN_ROLE, from)?;
        let st = s.get_mut::<BeamState>(d.state)?;
        if !st.configurator.is_zero() {
            return Err(Revert::BeamState(BeamStateRevert::ConfiguratorAlreadySet {
                state: d.state,
                configurator: st.configurator,
            }));
        }
        st.configurator = addr;
        Ok(Configurator { state: d.state })
    }

    fn call(s: &mut State, to: Address, from: Address, c: ConfiguratorCall) -> CallResult<Returns> {
        match c {
            ConfiguratorCall::SetRateLimit {
                pau,
                key,
                max_amount,
                slope,
            } => s.configurator_set_rate_limit(to, from, pau, key.0, max_amount, slope)?,
            ConfiguratorCall::RemoveRateLimit { pau, key } => {
                s.configurator_remove_rate_limit(to, from, pau, key.0)?
            }
            ConfiguratorCall::SetRelayer {
                pau,
                relayer,
                enabled,
            } => s.configurator_set_role(to, from, pau, relayer_role(), relayer, enabled)?,
            ConfiguratorCall::SetFreezer {
                pau,
                freezer,
                enabled,
            } => s.configurator_set_role(to, from, pau, freezer_role(), freezer, enabled)?,
            ConfiguratorCall::CallControllerAction { pau, action } => {
                s.configurator_call_action(to, from, pau, action)?
            }
        }
        Ok(Returns::none())
    }

    fn view(s: &State, to: Address, v: &ConfiguratorView) -> CallResult<ConfiguratorAnswer> {
        let cfg = s.get::<Configurator>(to)?;
        let st = s.get::<BeamState>(cfg.state)?;
        match v {
            ConfiguratorView::Scope => Ok(ConfiguratorAnswer::Scope {
                state: cfg.state,
                timelock: st.timelock,
                hop_s: st.hop_s,
                max_change_bps: st.max_change_bps,
                paus: s
                    .registered_paus(cfg.state)
                    .into_iter()
                    .map(|(pau, e)| ScopePau {
                        pau,
                        controller: e.controller,
                        rate_limits: e.rate_limits,
                        govops: s.accordant_govops(cfg.state, pau),
                    })
                    .collect(),
            }),
            ConfiguratorView::RateLimits { pau } => {
                let Some(entry) = s.registered_pau(cfg.state, *pau) else {
                    return Err(ConfiguratorRevert::PauNotInScope {
                        pau: *pau,
                        configurator: to,
                    }
                    .into());
                };
                let rl = entry.rate_limits;
                let mut keys: BTreeSet<B256> =
                    s.rate_limit_keys(rl).into_iter().map(|(k, _)| k).collect();
                keys.extend(
                    s.ledgers
                        .configurator
                        .sorl
                        .range((to, *pau, B256::ZERO)..)
                        .take_while(|((c, p, _), _)| *c == to && p == pau)
                        .filter(|(_, e)| e.configured)
                        .map(|((_, _, k), _)| *k),
                );
                let mut limits = Vec::with_capacity(keys.len());
                for key in keys {
                    let d = s.rate_limit_data(rl, key);
                    let sorl = s.ledgers.configurator.sorl.get(&(to, *pau, key));
                    let last_raise = (sorl.last_raise != Timestamp(0)).then_some(sorl.last_raise);
                    limits.push(LimitStatus {
                        key,
                        max_amount_wad: d.max_amount,
                        slope_wad_per_s: d.slope,
                        last_amount_wad: d.last_amount,
                        last_updated: d.last_updated,
                        headroom_wad: Wad::from_raw(current_amount(&d, s.now)?),
                        init: s.init_for(cfg.state, key, Some(*pau)).map(|(p, i)| AppliedInit {
                            pau: p,
                            max_amount_wad: i.max_amount_wad,
                            slope_wad_per_s: i.slope_wad_per_s,
                        }),
                        configured: sorl.configured,
                        last_raise,
                        earliest_next_raise: last_raise
                            .map(|t| Timestamp(t.0.saturating_add(st.hop_s))),
                    });
                }
                Ok(ConfiguratorAnswer::RateLimits {
                    pau: *pau,
                    rate_limits: rl,
                    now: s.now,
                    limits,
                })
            }
        }
    }

    fn encode(&self, e: &mut Enc) {
        e.a(self.state);
    }

    fn encode_ledger(l: &ConfiguratorLedger, tag: u8, e: &mut Enc) {
        assert_eq!(tag, TAG_SORL, "configurator owns tag 25 only");
                e.tag(tag, l.sorl.len());
        for ((c, p, k), r) in l.sorl.iter() {
            e.a(*c);
            e.a(*p);
            e.b(*k);
            e.n(u64::from(r.configured));
            e.n(r.last_raise.0);
        }
    }
}

impl From<ConfiguratorRevert> for Revert {
    fn from(r: ConfiguratorRevert) -> Revert {
        Revert::Configurator(r)
    }
}

impl From<ConfiguratorEvent> for EventKind {
    fn from(e: ConfiguratorEvent) -> EventKind {
        EventKind::Configurator(e)
    }
}

/// What a `setRateLimit` is, relative to the current entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum LimitChange {
    /// The key's first set through the Configurator (bounded by the init).
    First,
    /// Either value goes up (SORL-bounded).
    Raise,
    /// No value goes up (instant).
    Lower,
}

/// The SORL bound on one raised value: `⌊old·(10000 + maxChange)/10000⌋`.
pub fn sorl_bound(old: U256, max_change_bps: u64) -> CallResult<U256> {
    // old + ⌊old·bps/10000⌋, split as old = q·10000 + r so nothing needs 512 bits:
    // ⌊old·bps/10000⌋ = q·bps + ⌊r·bps/10000⌋ exactly. Past 2^256−1 there is no bound.
    let bps = U256::from(max_change_bps);
    let (q, r) = old.div_rem(U256::from(BPS));
    let part = math::mul(q, bps)
        .and_then(|qb| math::add(qb, math::mul(r, bps)? / U256::from(BPS)))
        .and_then(|inc| math::add(old, inc));
    Ok(part.unwrap_or(U256::MAX))
}

/// The context of a cBEAM action: the scope's state and the PAU's registry entry.
struct Ctx {
    state: Address,
    hop_s: u64,
    max_change_bps: u64,
    controller: Address,
    rate_limits: Address,
}

impl State {
    /// Scope, then accordance (SPEC §4.10: only for PAUs the caller is accordant to).
    fn cbeam_ctx(&self, cfg: Address, caller: Address, pau: Address) -> CallResult<Ctx> {
        let state = self.get::<Configurator>(cfg)?.state;
        let st = self.get::<BeamState>(state)?;
        let Some(entry) = self.registered_pau(state, pau) else {
            return Err(ConfiguratorRevert::PauNotInScope {
                pau,
                configurator: cfg,
            }
            .into());
        };
        if !self.is_accordant(state, pau, caller) {
            return Err(ConfiguratorRevert::NotAccordant { pau, govops: caller }.into());
        }
        Ok(Ctx {
            state,
            hop_s: st.hop_s,
            max_change_bps: st.max_change_bps,
            controller: entry.controller,
            rate_limits: entry.rate_limits,
        })
    }

    /// `setRateLimit(pau, key, maxAmount, slope)` (cBEAM).
    pub(crate) fn configurator_set_rate_limit(
        &mut self,
        cfg: Address,
        caller: Address,
        pau: Address,
        key: B256,
        max_amount: Wad,
        slope: Wad,
    ) -> CallResult<()> {
        let c = self.cbeam_ctx(cfg, caller, pau)?;
        let Some((_, init)) = self.init_for(c.state, key, Some(pau)) else {
            if self.init_for_other_pau(c.state, key, pau) {
                return Err(ConfiguratorRevert::InitForOtherPau { key, pau }.into());
            }
            return Err(ConfiguratorRevert::NoInit { key, pau }.into());
        };
        let now = self.now;
        let hop_s = c.hop_s;
        let max_change_bps = c.max_change_bps;
        // One B-tree descent each for the rate-limit entry and the SORL entry (read, check,
        // write): the checks below touch only locals, and an error leaves both maps untouched.
        let ledgers = &mut self.ledgers;
        let (change, old, data) = ledgers.rate_limits.entries.try_update(
            (c.rate_limits, key),
            |old: &RateLimitData| -> CallResult<_> {
                let old = *old;
                ledgers.configurator.sorl.try_update(
                    (cfg, pau, key),
                    |sorl: &SorlEntry| -> CallResult<_> {
                        let sorl = *sorl;
                        let (change, data) = sorl_step(
                            key, &init, &old, sorl, now, hop_s, max_change_bps, max_amount, slope,
                        )?;
                        let entry = SorlEntry {
                            configured: true,
                            last_raise: if change == LimitChange::Lower {
                                sorl.last_raise
                            } else {
                                now
                            },
                        };
                        Ok((entry, (change, old, data)))
                    },
                )
                .map(|(change, old, data)| (data, (change, old, data)))
            },
        )?;
        assert!(
            data.last_amount <= data.max_amount && data.last_updated <= now,
            "the configurator builds valid rate-limit data"
        );
        self.emit(
            c.rate_limits,
            EventKind::RateLimits(RateLimitsEvent::RateLimitDataSet {
                key,
                max_amount_wad: data.max_amount,
                slope_wad_per_s: data.slope,
                last_amount_wad: data.last_amount,
                last_updated: data.last_updated,
            }),
        );
        self.emit(
            cfg,
            ConfiguratorEvent::RateLimitConfigured {
                pau,
                key,
                change,
                govops: caller,
                values: Box::new(LimitValues {
                    old_max_amount_wad: old.max_amount,
                    old_slope_wad_per_s: old.slope,
                    new_max_amount_wad: max_amount,
                    new_slope_wad_per_s: slope,
                }),
            }
            .into(),
        );
        Ok(())
    }

    /// `removeRateLimit(pau, key)` (cBEAM): the key becomes unconfigured (a closed door).
    pub(crate) fn configurator_remove_rate_limit(
        &mut self,
        cfg: Address,
        caller: Address,
        pau: Address,
        key: B256,
    ) -> CallResult<()> {
        let c = self.cbeam_ctx(cfg, caller, pau)?;
        let old = self.rate_limit_data(c.rate_limits, key);
        self.configurator_write_limit(c.rate_limits, key, RateLimitData::default());
        let sorl = self.ledgers.configurator.sorl.get(&(cfg, pau, key));
        self.ledgers.configurator.sorl.set(
            (cfg, pau, key),
            SorlEntry {
                configured: false,
                ..sorl
            },
        );
        self.emit(
            cfg,
            ConfiguratorEvent::ConfiguredRateLimitRemoved {
                pau,
                key,
                govops: caller,
                old_max_amount_wad: old.max_amount,
                old_slope_wad_per_s: old.slope,
            }
            .into(),
        );
        Ok(())
    }

    /// Writes a RateLimits entry as its admin, the Configurator, with the event `setRateLimitData`
    /// emits. No role lookup: registration checked that the Configurator holds the admin role,
    /// nobody else can revoke it on a managed contract, and the SPEC §8 checker re-verifies it;
    /// `lastAmount ≤ maxAmount` and `lastUpdated = now` hold by construction (asserted).
    fn configurator_write_limit(&mut self, rl: Address, key: B256, d: RateLimitData) {
        assert!(
            d.last_amount <= d.max_amount && d.last_updated <= self.now,
            "the configurator builds valid rate-limit data"
        );
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
    }

    /// `setRelayer`/`setFreezer` (cBEAM): grants or revokes the role on the PAU's controller.
    fn configurator_set_role(
        &mut self,
        cfg: Address,
        caller: Address,
        pau: Address,
        role: B256,
        account: Address,
        enabled: bool,
    ) -> CallResult<()> {
        let c = self.cbeam_ctx(cfg, caller, pau)?;
        let old = self.has_role(c.controller, role, account);
        if enabled {
            self.grant_role(c.controller, cfg, role, account)?;
        } else {
            self.revoke_role(c.controller, cfg, role, account)?;
        }
        let ev = if role == relayer_role() {
            ConfiguratorEvent::RelayerSet {
                pau,
                relayer: account,
                govops: caller,
                old_enabled: old,
                new_enabled: enabled,
            }
        } else {
            ConfiguratorEvent::FreezerSet {
                pau,
                freezer: account,
                govops: caller,
                old_enabled: old,
                new_enabled: enabled,
            }
        };
        self.emit(cfg, ev.into());
        Ok(())
    }

    /// `callControllerAction(pau, action)` (cBEAM, approved actions only).
    fn configurator_call_action(
        &mut self,
        cfg: Address,
        caller: Address,
        pau: Address,
        action: ControllerAction,
    ) -> CallResult<()> {
        let c = self.cbeam_ctx(cfg, caller, pau)?;
        let (function, target) = action.approval();
        if !self.action_approved(c.state, pau, function, target) {
            return Err(ConfiguratorRevert::ActionNotApproved {
                pau,
                function,
                target,
            }
            .into());
        }
        match action {
            ControllerAction::SetMaxExchangeRate {
                vault,
                shares,
                max_expected_assets,
            } => {
                let old = self
                    .get::<Controller>(c.controller)?
                    .max_exchange_rates
                    .get(&vault)
                    .copied()
                    .unwrap_or_default();
                self.controller_set_max_exchange_rate(
                    c.controller,
                    cfg,
                    vault,
                    shares.raw(),
                    max_expected_assets.raw(),
                )?;
                let new = self
                    .get::<Controller>(c.controller)?
                    .max_exchange_rates
                    .get(&vault)
                    .copied()
                    .unwrap_or_default();
                self.emit(
                    cfg,
                    ConfiguratorEvent::ControllerActionCalled {
                        pau,
                        function,
                        target,
                        govops: caller,
                        old_max_exchange_rate_e36: old,
                        new_max_exchange_rate_e36: new,
                    }
                    .into(),
                );
            }
        }
        Ok(())
    }

    /// The SORL record of (configurator, pau, key).
    pub fn sorl_entry(&self, cfg: Address, pau: Address, key: B256) -> SorlEntry {
        self.ledgers.configurator.sorl.get(&(cfg, pau, key))
    }
}

/// The SORL decision for one `setRateLimit` (pure: checks and the new data, no state access):
/// first set (bounded by the init), raise (hop + maxChange) or lowering (instant), and the
/// written data (no refill: `lastAmount = min(current, new max)`; a first set is full).
#[allow(clippy::too_many_arguments)]
fn sorl_step(
    key: B256,
    init: &InitLimit,
    old: &RateLimitData,
    sorl: SorlEntry,
    now: Timestamp,
    hop_s: u64,
    max_change_bps: u64,
    max_amount: Wad,
    slope: Wad,
) -> CallResult<(LimitChange, RateLimitData)> {
    let hop_passed = |last: Timestamp| -> CallResult<()> {
        if last == Timestamp(0) {
            return Ok(());
        }
        let earliest = Timestamp(last.0.saturating_add(hop_s));
        if now < earliest {
            return Err(ConfiguratorRevert::SorlTooEarly {
                key,
                last_raise: last,
                earliest,
                now,
            }
            .into());
        }
        Ok(())
    };
    let change = if !sorl.configured {
        check_above_init(key, init, max_amount, slope)?;
        hop_passed(sorl.last_raise)?;
        LimitChange::First
    } else if max_amount > old.max_amount || slope > old.slope {
        hop_passed(sorl.last_raise)?;
        if max_amount > old.max_amount {
            let bound = sorl_bound(old.max_amount.raw(), max_change_bps)?;
            if max_amount.raw() > bound {
                return Err(ConfiguratorRevert::SorlMaxAmountExceeded {
                    key,
                    requested: max_amount,
                    bound: Wad::from_raw(bound),
                }
                .into());
            }
        }
        if slope > old.slope {
            let bound = sorl_bound(old.slope.raw(), max_change_bps)?;
            if slope.raw() > bound {
                return Err(ConfiguratorRevert::SorlSlopeExceeded {
                    key,
                    requested: slope,
                    bound: Wad::from_raw(bound),
                }
                .into());
            }
        }
        LimitChange::Raise
    } else {
        LimitChange::Lower
    };
    let last_amount = match change {
        LimitChange::First => max_amount,
        _ => Wad::from_raw(current_amount(old, now)?.min(max_amount.raw())),
    };
    Ok((
        change,
        RateLimitData {
            max_amount,
            slope,
            last_amount,
            last_updated: now,
        },
    ))
}

fn check_above_init(key: B256, init: &InitLimit, max_amount: Wad, slope: Wad) -> CallResult<()> {
    if max_amount > init.max_amount_wad {
        return Err(ConfiguratorRevert::AboveInit {
            key,
            field: "max_amount",
            requested: max_amount,
            init: init.max_amount_wad,
        }
        .into());
    }
    if slope > init.slope_wad_per_s {
        return Err(ConfiguratorRevert::AboveInit {
            key,
            field: "slope",
            requested: slope,
            init: init.slope_wad_per_s,
        }
        .into());
    }
    Ok(())
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum ConfiguratorRevert {
    #[error("PAU {pau} is not registered in the scope of configurator {configurator}")]
    #[strum(serialize = "Configurator/pau-not-in-scope")]
    PauNotInScope { pau: Address, configurator: Address },
    #[error("{govops} is not accordant to PAU {pau} (holds no cBEAM for it in this scope)")]
    #[strum(serialize = "Configurator/not-accordant")]
    NotAccordant { pau: Address, govops: Address },
    #[error("no init for key {key} (neither for PAU {pau} nor for any PAU)")]
    #[strum(serialize = "Configurator/no-init")]
    NoInit { key: B256, pau: Address },
    #[error("the init for key {key} is restricted to another PAU, not {pau}")]
    #[strum(serialize = "Configurator/init-for-other-pau")]
    InitForOtherPau { key: B256, pau: Address },
    #[error("first set of key {key}: {field} {requested} is above the init {init}")]
    #[strum(serialize = "Configurator/above-init")]
    AboveInit {
        key: B256,
        field: &'static str,
        requested: Wad,
        init: Wad,
    },
    #[error("SORL: key {key} was last raised at {last_raise}; the next raise is allowed from {earliest} (now {now})")]
    #[strum(serialize = "Configurator/sorl-too-early")]
    SorlTooEarly {
        key: B256,
        last_raise: Timestamp,
        earliest: Timestamp,
        now: Timestamp,
    },
    #[error("SORL: key {key} maxAmount {requested} is above the bound {bound} (the current value × (1 + maxChange), floored)")]
    #[strum(serialize = "Configurator/sorl-max-amount-exceeded")]
    SorlMaxAmountExceeded {
        key: B256,
        requested: Wad,
        bound: Wad,
    },
    #[error("SORL: key {key} slope {requested} is above the bound {bound} (the current value × (1 + maxChange), floored)")]
    #[strum(serialize = "Configurator/sorl-slope-exceeded")]
    SorlSlopeExceeded {
        key: B256,
        requested: Wad,
        bound: Wad,
    },
    #[error("controller action {function:?} on {target} is not approved for PAU {pau}")]
    #[strum(serialize = "Configurator/action-not-approved")]
    ActionNotApproved {
        pau: Address,
        function: ControllerFunction,
        target: Address,
    },
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable). Old and new values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum ConfiguratorEvent {
    RateLimitConfigured {
        pau: Address,
        key: B256,
        change: LimitChange,
        govops: Address,
        #[serde(flatten)]
        values: Box<LimitValues>,
    },
    ConfiguredRateLimitRemoved {
        pau: Address,
        key: B256,
        govops: Address,
        old_max_amount_wad: Wad,
        old_slope_wad_per_s: Wad,
    },
    RelayerSet {
        pau: Address,
        relayer: Address,
        govops: Address,
        old_enabled: bool,
        new_enabled: bool,
    },
    FreezerSet {
        pau: Address,
        freezer: Address,
        govops: Address,
        old_enabled: bool,
        new_enabled: bool,
    },
    ControllerActionCalled {
        pau: Address,
        function: ControllerFunction,
        target: Address,
        govops: Address,
        old_max_exchange_rate_e36: ExchangeRate,
        new_max_exchange_rate_e36: ExchangeRate,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The split form equals the one-product 512-bit form `⌊old·(10000+bps)/10000⌋`
        /// (saturating at 2^256−1), for any value and any maxChange.
        #[test]
        fn sorl_bound_equals_the_512_bit_mul_div(limbs in any::<[u64; 4]>(), shift in 0usize..256, bps in any::<u64>()) {
            let old = U256::from_limbs(limbs) >> shift;
            let factor = U256::from(BPS) + U256::from(bps);
            let want = math::mul_div_floor(old, factor, U256::from(BPS)).unwrap_or(U256::MAX);
            prop_assert_eq!(sorl_bound(old, bps).unwrap(), want);
        }
    }

    #[test]
    fn sorl_bound_floors() {
        assert_eq!(sorl_bound(U256::from(7u8), 2500).unwrap(), U256::from(8u8)); // 8.75
        assert_eq!(sorl_bound(U256::from(4u8), 2500).unwrap(), U256::from(5u8));
        assert_eq!(sorl_bound(U256::ZERO, 2500).unwrap(), U256::ZERO);
        assert_eq!(sorl_bound(U256::MAX - U256::from(1u8), 2500).unwrap(), U256::MAX);
    }
}
