//! BEAMState (SPEC §4.10): one Configurator scope's registry — registered PAUs
//! (`pau → controller, rateLimits`, the PAU named by its ALMProxy), init rate limits
//! (`key, pau or any → maxAmount, slope`), approved controller actions, accordant GovOps
//! (cBEAM holders per PAU) and the scope's SORL parameters `hop` and `maxChange`.
//!
//! Contract: additions (register a PAU, add an init or a controller action, grant cBEAM, change
//! `hop`/`maxChange`) are made only by the scope's BEAMTimeLock when it executes an operation —
//! or, once, by the state's admin while the state is *bootstrapping* (the deployment spell, as
//! OpenZeppelin's optional timelock admin; `endBootstrap` ends it for good). Removals
//! (unregister, delete an init or action, revoke cBEAM) are instant, by the state's admin
//! (aBEAM). Registering a PAU marks its RateLimits, Controller and ALMProxy as *managed* by the
//! scope's Configurator: from then on the engine refuses any admin setter or role change on them
//! by anyone else (`Configurator/managed-contract`, see [`State::configurator_guard`]). Bad input
//! (zero `hop`, `maxChange` above 100% without the explicit governance flag, a zero init, an init
//! with `slope > maxAmount·86400`) is a typed revert and changes nothing.

use crate::call::{AccessCall, Key, Returns};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::alm_proxy::AlmProxy;
use crate::families::beam_timelock::TimelockOp;
use crate::families::controller::Controller;
use crate::families::rate_limits::RateLimits;
use crate::families::Family;
use crate::journal::JournaledMap;
use crate::roles::ADMIN_ROLE;
use crate::script::parse_util::{typed_call_with_fallback, ScriptError};
use crate::state::State;
use alloy_primitives::{Address, B256, U256};
use laniakea_units::{math, Wad};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// SPEC §4.10 defaults.
pub const DEFAULT_HOP_S: u64 = 18 * 3600;
pub const DEFAULT_MAX_CHANGE_BPS: u64 = 2500;
/// 100% in basis points: `maxChange` above this needs the explicit governance flag.
pub const BPS: u64 = 10_000;
/// Seconds per day: an init with `slope > maxAmount·86400` is refused as nonsense.
pub const INIT_SLOPE_DAY_S: u64 = 86_400;

/// One scope's registry and SORL parameters (mappings live in [`BeamStateLedger`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeamState {
    /// The only contract allowed to make additions (after bootstrap).
    pub timelock: Address,
    /// The scope's Configurator (zero until one is deployed for this state).
    pub configurator: Address,
    /// SORL: minimum seconds between two raises of one limit.
    pub hop_s: u64,
    /// SORL: a raise may multiply each value by at most `1 + maxChange` [bps].
    pub max_change_bps: u64,
    /// While true, the state's admin may make additions directly (deployment only).
    pub bootstrapping: bool,
}

/// A registered PAU: its controller and rate limits (the PAU is named by its ALMProxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PauEntry {
    pub controller: Address,
    pub rate_limits: Address,
}

/// An init rate limit: the ceiling of a key's first set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct InitLimit {
    pub max_amount_wad: Wad,
    pub slope_wad_per_s: Wad,
}

/// A controller function the Configurator may call once approved (per PAU or any, per target).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr,
)]
pub enum ControllerFunction {
    #[serde(rename = "setMaxExchangeRate")]
    #[strum(serialize = "setMaxExchangeRate")]
    SetMaxExchangeRate,
}

crate::ledger! {
    /// Every BEAMState's mappings.
    pub struct BeamStateLedger {
        /// (state, pau) → controller, rate limits
        pub paus: JournaledMap<(Address, Address), PauEntry>,
        /// (state, key, pau or any) → init
        pub inits: JournaledMap<(Address, B256, Option<Address>), InitLimit>,
        /// (state, pau or any, function, target) → approved
        pub actions: JournaledMap<(Address, Option<Address>, ControllerFunction, Address), bool>,
        /// (state, pau, govops) → accordant (holds the PAU's cBEAM)
        pub govops: JournaledMap<(Address, Address, Address), bool>,
        /// managed contract (RateLimits, Controller, ALMProxy) → its Configurator
        pub managed: JournaledMap<Address, Address>,
    }
}

/// `deploy: {"kind": "beam-state", "timelock", "hop_s"?, "max_change_bps"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BeamStateDeploy {
    pub timelock: Address,
    #[serde(default = "default_hop")]
    pub hop_s: u64,
    #[serde(default = "default_max_change")]
    pub max_change_bps: u64,
    /// Governance's explicit permission for `maxChange` above 100%.
    #[serde(default)]
    pub allow_above_100_pct: bool,
}

fn default_hop() -> u64 {
    DEFAULT_HOP_S
}
fn default_max_change() -> u64 {
    DEFAULT_MAX_CHANGE_BPS
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum BeamStateCall {
    /// Applies an addition directly (admin, while bootstrapping only).
    #[serde(rename = "bootstrap")]
    Bootstrap { operation: Box<TimelockOp> },
    /// Ends the bootstrap for good (admin).
    #[serde(rename = "endBootstrap")]
    EndBootstrap,
    #[serde(rename = "unregisterPau")]
    UnregisterPau { pau: Address },
    #[serde(rename = "removeRateLimitInit")]
    RemoveInit {
        key: Key,
        #[serde(default)]
        pau: Option<Address>,
    },
    #[serde(rename = "removeControllerAction")]
    RemoveAction {
        #[serde(default)]
        pau: Option<Address>,
        function: ControllerFunction,
        target: Address,
    },
    #[serde(rename = "revokeCbeam")]
    RevokeCbeam { pau: Address, govops: Address },
    #[serde(skip_deserializing, untagged)]
    Access(AccessCall),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum BeamStateView {
    #[serde(rename = "getPau")]
    Pau { pau: Address },
    #[serde(rename = "getRateLimitInit")]
    Init {
        key: Key,
        #[serde(default)]
        pau: Option<Address>,
    },
    #[serde(rename = "isAccordant")]
    IsAccordant { pau: Address, govops: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BeamStateAnswer {
    Pau {
        registered: bool,
        controller: Address,
        rate_limits: Address,
        govops: Vec<Address>,
    },
    Init {
        /// The init that applies to the PAU (its own, else the "any" one), if any.
        init: Option<InitLimit>,
    },
    IsAccordant {
        accordant: bool,
    },
}

const TAG_PAUS: u8 = 20;
const TAG_INITS: u8 = 21;
const TAG_ACTIONS: u8 = 22;
const TAG_GOVOPS: u8 = 23;
const TAG_MANAGED: u8 = 24;

impl Family for BeamState {
    const LABEL: &'static str = "beam-state";
    type Call = BeamStateCall;
    type Deploy = BeamStateDeploy;
    type View = BeamStateView;
    type Answer = BeamStateAnswer;
    type Revert = BeamStateRevert;
    type Event = BeamStateEvent;
    type Ledger = BeamStateLedger;
    const LEDGER_TAGS: &'static [u8] = &[TAG_PAUS, TAG_INITS, TAG_ACTIONS, TAG_GOVOPS, TAG_MANAGED];

    fn deploy(s: &mut State, _: Address, _: Address, d: &BeamStateDeploy) -> CallResult<Self> {
        s.get::<crate::families::beam_timelock::BeamTimeLock>(d.timelock)?;
        check_hop(d.hop_s)?;
        check_max_change(d.max_change_bps, d.allow_above_100_pct)?;
        Ok(BeamState {
            timelock: d.timelock,
            configurator: Address::ZERO,
            hop_s: d.hop_s,
            max_change_bps: d.max_change_bps,
            bootstrapping: true,
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: BeamStateCall) -> CallResult<Returns> {
        match c {
            BeamStateCall::Bootstrap { operation } => {
                let st = s.get::<BeamState>(to)?;
                if !st.bootstrapping {
                    return Err(BeamStateRevert::OnlyTimelock {
                        state: to,
                        caller: from,
                    }
                    .into());
                }
                s.require_role(to, ADMIN_ROLE, from)?;
                if operation.state() != Some(to) {
                    return Err(BeamStateRevert::WrongState {
                        expected: to,
                        operation_state: operation.state().unwrap_or(Address::ZERO),
                    }
                    .into());
                }
                s.beam_state_apply(to, from, &operation)?;
            }
            BeamStateCall::EndBootstrap => {
                s.require_role(to, ADMIN_ROLE, from)?;
                s.get_mut::<BeamState>(to)?.bootstrapping = false;
                s.emit(to, BeamStateEvent::BootstrapEnded {}.into());
            }
            BeamStateCall::UnregisterPau { pau } => s.beam_unregister(to, from, pau)?,
            BeamStateCall::RemoveInit { key, pau } => {
                s.require_role(to, ADMIN_ROLE, from)?;
                let old = s.ledgers.beam_state.inits.set((to, key.0, pau), InitLimit::default());
                if old == InitLimit::default() {
                    return Err(BeamStateRevert::NoSuchEntry { what: "init" }.into());
                }
                s.emit(
                    to,
                    BeamStateEvent::RateLimitInitRemoved {
                        key: key.0,
                        pau,
                        old_max_amount_wad: old.max_amount_wad,
                        old_slope_wad_per_s: old.slope_wad_per_s,
                    }
                    .into(),
                );
            }
            BeamStateCall::RemoveAction {
                pau,
                function,
                target,
            } => {
                s.require_role(to, ADMIN_ROLE, from)?;
                if !s.ledgers.beam_state.actions.set((to, pau, function, target), false) {
                    return Err(BeamStateRevert::NoSuchEntry {
                        what: "controller action",
                    }
                    .into());
                }
                s.emit(
                    to,
                    BeamStateEvent::ControllerActionRemoved {
                        pau,
                        function,
                        target,
                    }
                    .into(),
                );
            }
            BeamStateCall::RevokeCbeam { pau, govops } => {
                s.require_role(to, ADMIN_ROLE, from)?;
                if !s.ledgers.beam_state.govops.set((to, pau, govops), false) {
                    return Err(BeamStateRevert::NoSuchEntry { what: "cBEAM" }.into());
                }
                s.emit(
                    to,
                    BeamStateEvent::CbeamRevoked {
                        pau,
                        govops,
                        old_accordant: true,
                        new_accordant: false,
                    }
                    .into(),
                );
            }
            BeamStateCall::Access(a) => return crate::roles::access(s, to, from, a),
        }
        Ok(Returns::none())
    }

    fn view(s: &State, to: Address, v: &BeamStateView) -> CallResult<BeamStateAnswer> {
        Ok(match v {
            BeamStateView::Pau { pau } => {
                let e = s.ledgers.beam_state.paus.get(&(to, *pau));
                BeamStateAnswer::Pau {
                    registered: e != PauEntry::default(),
                    controller: e.controller,
                    rate_limits: e.rate_limits,
                    govops: s.accordant_govops(to, *pau),
                }
            }
            BeamStateView::Init { key, pau } => BeamStateAnswer::Init {
                init: s.init_for(to, key.0, *pau).map(|(_, i)| i),
            },
            BeamStateView::IsAccordant { pau, govops } => BeamStateAnswer::IsAccordant {
                accordant: s.ledgers.beam_state.govops.get(&(to, *pau, *govops)),
            },
        })
    }

    fn encode(&self, e: &mut Enc) {
        e.a(self.timelock);
        e.a(self.configurator);
        e.n(self.hop_s);
        e.n(self.max_change_bps);
        e.n(u64::from(self.bootstrapping));
    }

    fn encode_ledger(l: &BeamStateLedger, tag: u8, e: &mut Enc) {
        let opt = |e: &mut Enc, p: Option<Address>| match p {
            None => e.bytes(&[0]),
            Some(a) => {
                e.bytes(&[1]);
                e.a(a);
            }
        };
        match tag {
            TAG_PAUS => {
                e.tag(tag, l.paus.len());
                for ((st, pau), p) in l.paus.iter() {
                    e.a(*st);
                    e.a(*pau);
                    e.a(p.controller);
                    e.a(p.rate_limits);
                }
            }
            TAG_INITS => {
                e.tag(tag, l.inits.len());
                for ((st, key, pau), i) in l.inits.iter() {
                    e.a(*st);
                    e.b(*key);
                    opt(e, *pau);
                    e.u(i.max_amount_wad.raw());
                    e.u(i.slope_wad_per_s.raw());
                }
            }
            TAG_ACTIONS => {
                e.tag(tag, l.actions.len());
                for ((st, pau, f, target), _) in l.actions.iter() {
                    e.a(*st);
                    opt(e, *pau);
                    let name: &'static str = f.into();
                    e.bytes(name.as_bytes());
                    e.a(*target);
                }
            }
            TAG_GOVOPS => {
                e.tag(tag, l.govops.len());
                for ((st, pau, g), _) in l.govops.iter() {
                    e.a(*st);
                    e.a(*pau);
                    e.a(*g);
                }
            }
            _ => {
                assert_eq!(tag, TAG_MANAGED, "beam-state owns tags 20–24 only");
                e.tag(tag, l.managed.len());
                for (c, cfg) in l.managed.iter() {
                    e.a(*c);
                    e.a(*cfg);
                }
            }
        }
    }

    fn parse_call(line: usize, call: Json) -> Result<BeamStateCall, ScriptError> {
        typed_call_with_fallback(line, call, |c| c, BeamStateCall::Access)
    }

    fn validate_deploy(d: &BeamStateDeploy) -> Result<(), (&'static str, String)> {
        check_hop(d.hop_s).map_err(|e| ("hop_s", e.to_string()))?;
        check_max_change(d.max_change_bps, d.allow_above_100_pct)
            .map_err(|e| ("max_change_bps", e.to_string()))
    }

    /// Every registered PAU's contracts are managed by this scope's Configurator, which holds
    /// their admin role.
    fn check_ledger(s: &State, out: &mut Vec<String>) {
        for ((st, pau), p) in s.ledgers.beam_state.paus.iter() {
            let Ok(state) = s.get::<BeamState>(*st) else {
                out.push(format!("beam-state {st}: registry entry without a state"));
                continue;
            };
            for c in [*pau, p.controller, p.rate_limits] {
                if s.ledgers.beam_state.managed.get(&c) != state.configurator {
                    out.push(format!(
                        "beam-state {st}: {c} of PAU {pau} is not managed by the scope's configurator"
                    ));
                }
                if !s.has_role(c, ADMIN_ROLE, state.configurator) {
                    out.push(format!(
                        "beam-state {st}: the configurator lost the admin role on {c}"
                    ));
                }
            }
        }
    }
}

impl From<BeamStateRevert> for Revert {
    fn from(r: BeamStateRevert) -> Revert {
        Revert::BeamState(r)
    }
}

impl From<BeamStateEvent> for EventKind {
    fn from(e: BeamStateEvent) -> EventKind {
        EventKind::BeamState(e)
    }
}

/// A script key prints as its bytes32 (events, answers).
impl Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// `hop` must be at least one second.
pub fn check_hop(hop_s: u64) -> CallResult<()> {
    if hop_s == 0 {
        return Err(BeamStateRevert::ZeroHop.into());
    }
    Ok(())
}

/// `maxChange ≤ 100%` unless governance explicitly allows more.
pub fn check_max_change(bps: u64, allow_above_100_pct: bool) -> CallResult<()> {
    if bps > BPS && !allow_above_100_pct {
        return Err(BeamStateRevert::MaxChangeAbove100Pct {
            max_change_bps: bps,
        }
        .into());
    }
    Ok(())
}

/// An init must be non-zero and not nonsense (`slope ≤ maxAmount·86400`; unlimited is fine).
pub fn check_init(key: B256, max_amount: Wad, slope: Wad) -> CallResult<()> {
    if max_amount.is_zero() {
        return Err(BeamStateRevert::ZeroInit { key }.into());
    }
    if max_amount.raw() != U256::MAX {
        if let Ok(cap) = math::mul(max_amount.raw(), U256::from(INIT_SLOPE_DAY_S)) {
            if slope.raw() > cap {
                return Err(BeamStateRevert::NonsenseInitSlope {
                    key,
                    max_amount,
                    slope,
                }
                .into());
            }
        }
    }
    Ok(())
}

impl State {
    /// Refuses an admin change to a contract managed by a Configurator unless `caller` is that
    /// Configurator (called by RateLimits setters, role changes and controller admin setters).
    pub(crate) fn configurator_guard(&self, contract: Address, caller: Address) -> CallResult<()> {
        match self.ledgers.beam_state.managed.get_ref(&contract) {
            Some(cfg) if *cfg != caller => Err(BeamStateRevert::ManagedContract {
                contract,
                configurator: *cfg,
                caller,
            }
            .into()),
            _ => Ok(()),
        }
    }

    /// The Configurator managing `contract`, if any.
    pub fn managing_configurator(&self, contract: Address) -> Option<Address> {
        self.ledgers.beam_state.managed.get_ref(&contract).copied()
    }

    /// A registered PAU of `state`.
    pub fn registered_pau(&self, state: Address, pau: Address) -> Option<PauEntry> {
        self.ledgers.beam_state.paus.get_ref(&(state, pau)).copied()
    }

    /// Every registered PAU of `state`, in address order.
    pub fn registered_paus(&self, state: Address) -> Vec<(Address, PauEntry)> {
        self.ledgers
            .beam_state
            .paus
            .range((state, Address::ZERO)..)
            .take_while(|((st, _), _)| *st == state)
            .map(|((_, p), e)| (*p, *e))
            .collect()
    }

    /// The accordant GovOps of a PAU, in address order.
    pub fn accordant_govops(&self, state: Address, pau: Address) -> Vec<Address> {
        self.ledgers
            .beam_state
            .govops
            .range((state, pau, Address::ZERO)..)
            .take_while(|((st, p, _), _)| *st == state && *p == pau)
            .map(|((_, _, g), _)| *g)
            .collect()
    }

    pub fn is_accordant(&self, state: Address, pau: Address, govops: Address) -> bool {
        self.ledgers.beam_state.govops.get(&(state, pau, govops))
    }

    /// The init for (key, pau): the PAU's own, else the "any" one. `Some(pau)` in the result
    /// says it is PAU-restricted.
    pub fn init_for(
        &self,
        state: Address,
        key: B256,
        pau: Option<Address>,
    ) -> Option<(Option<Address>, InitLimit)> {
        let inits = &self.ledgers.beam_state.inits;
        pau.and_then(|p| inits.get_ref(&(state, key, Some(p))).map(|i| (Some(p), *i)))
            .or_else(|| inits.get_ref(&(state, key, None)).map(|i| (None, *i)))
    }

    /// True if `key` has an init restricted to some PAU other than `pau`.
    pub fn init_for_other_pau(&self, state: Address, key: B256, pau: Address) -> bool {
        self.ledgers
            .beam_state
            .inits
            .range((state, key, None)..)
            .take_while(|((st, k, _), _)| *st == state && *k == key)
            .any(|((_, _, p), _)| p.is_some_and(|p| p != pau))
    }

    /// Whether `function` on `target` is approved for `pau` (its own approval or "any").
    pub fn action_approved(
        &self,
        state: Address,
        pau: Address,
        function: ControllerFunction,
        target: Address,
    ) -> bool {
        let a = &self.ledgers.beam_state.actions;
        a.get(&(state, Some(pau), function, target)) || a.get(&(state, None, function, target))
    }

    /// Applies a state-targeting addition (`caller` is the timelock, or the bootstrapping admin:
    /// checked by the callers).
    pub(crate) fn beam_state_apply(
        &mut self,
        state: Address,
        caller: Address,
        op: &TimelockOp,
    ) -> CallResult<()> {
        let _ = caller;
        match op {
            TimelockOp::RegisterPau {
                pau,
                controller,
                rate_limits,
                ..
            } => self.beam_register(state, *pau, *controller, *rate_limits),
            TimelockOp::AddRateLimitInit {
                key,
                pau,
                max_amount,
                slope,
                ..
            } => {
                check_init(key.0, *max_amount, *slope)?;
                let new = InitLimit {
                    max_amount_wad: *max_amount,
                    slope_wad_per_s: *slope,
                };
                let old = self.ledgers.beam_state.inits.set((state, key.0, *pau), new);
                self.emit(
                    state,
                    BeamStateEvent::RateLimitInitSet {
                        key: key.0,
                        pau: *pau,
                        values: Box::new(LimitValues {
                            old_max_amount_wad: old.max_amount_wad,
                            old_slope_wad_per_s: old.slope_wad_per_s,
                            new_max_amount_wad: *max_amount,
                            new_slope_wad_per_s: *slope,
                        }),
                    }
                    .into(),
                );
                Ok(())
            }
            TimelockOp::AddControllerAction {
                pau,
                function,
                target,
                ..
            } => {
                self.ledgers
                    .beam_state
                    .actions
                    .set((state, *pau, *function, *target), true);
                self.emit(
                    state,
                    BeamStateEvent::ControllerActionApproved {
                        pau: *pau,
                        function: *function,
                        target: *target,
                    }
                    .into(),
                );
                Ok(())
            }
            TimelockOp::GrantCbeam { pau, govops, .. } => {
                if self.registered_pau(state, *pau).is_none() {
                    return Err(BeamStateRevert::PauNotRegistered { state, pau: *pau }.into());
                }
                let old = self.ledgers.beam_state.govops.set((state, *pau, *govops), true);
                self.emit(
                    state,
                    BeamStateEvent::CbeamGranted {
                        pau: *pau,
                        govops: *govops,
                        old_accordant: old,
                        new_accordant: true,
                    }
                    .into(),
                );
                Ok(())
            }
            TimelockOp::SetHop { hop_s, .. } => {
                check_hop(*hop_s)?;
                let st = self.get_mut::<BeamState>(state)?;
                let old = std::mem::replace(&mut st.hop_s, *hop_s);
                self.emit(
                    state,
                    BeamStateEvent::HopSet {
                        old_hop_s: old,
                        new_hop_s: *hop_s,
                    }
                    .into(),
                );
                Ok(())
            }
            TimelockOp::SetMaxChange {
                max_change_bps,
                allow_above_100_pct,
                ..
            } => {
                check_max_change(*max_change_bps, *allow_above_100_pct)?;
                let st = self.get_mut::<BeamState>(state)?;
                let old = std::mem::replace(&mut st.max_change_bps, *max_change_bps);
                self.emit(
                    state,
                    BeamStateEvent::MaxChangeSet {
                        old_max_change_bps: old,
                        new_max_change_bps: *max_change_bps,
                    }
                    .into(),
                );
                Ok(())
            }
            TimelockOp::SetDelay { .. } => Err(BeamStateRevert::NotAStateOperation.into()),
        }
    }

    fn beam_register(
        &mut self,
        state: Address,
        pau: Address,
        controller: Address,
        rate_limits: Address,
    ) -> CallResult<()> {
        let cfg = self.get::<BeamState>(state)?.configurator;
        if cfg.is_zero() {
            return Err(BeamStateRevert::NoConfigurator { state }.into());
        }
        if self.registered_pau(state, pau).is_some() {
            return Err(BeamStateRevert::PauAlreadyRegistered { state, pau }.into());
        }
        self.get::<AlmProxy>(pau)?;
        self.get::<RateLimits>(rate_limits)?;
        let c = self.get::<Controller>(controller)?;
        if c.proxy != pau || c.rate_limits != rate_limits {
            return Err(BeamStateRevert::PauMismatch {
                controller,
                proxy: c.proxy,
                rate_limits: c.rate_limits,
            }
            .into());
        }
        for contract in [pau, controller, rate_limits] {
            if let Some(other) = self.managing_configurator(contract) {
                return Err(BeamStateRevert::ManagedElsewhere {
                    contract,
                    configurator: other,
                }
                .into());
            }
            if !self.has_role(contract, ADMIN_ROLE, cfg) {
                return Err(BeamStateRevert::ConfiguratorNotAdmin {
                    contract,
                    configurator: cfg,
                }
                .into());
            }
        }
        for contract in [pau, controller, rate_limits] {
            self.ledgers.beam_state.managed.set(contract, cfg);
        }
        let entry = PauEntry {
            controller,
            rate_limits,
        };
        self.ledgers.beam_state.paus.set((state, pau), entry);
        self.emit(
            state,
            BeamStateEvent::PauRegistered {
                pau,
                controller,
                rate_limits,
                configurator: cfg,
            }
            .into(),
        );
        Ok(())
    }

    /// Instant removal (admin): forgets the PAU, its cBEAM holders and the managed marks.
    fn beam_unregister(&mut self, state: Address, caller: Address, pau: Address) -> CallResult<()> {
        self.get::<BeamState>(state)?;
        self.require_role(state, ADMIN_ROLE, caller)?;
        let Some(entry) = self.registered_pau(state, pau) else {
            return Err(BeamStateRevert::PauNotRegistered { state, pau }.into());
        };
        for g in self.accordant_govops(state, pau) {
            self.ledgers.beam_state.govops.set((state, pau, g), false);
        }
        for contract in [pau, entry.controller, entry.rate_limits] {
            self.ledgers.beam_state.managed.set(contract, Address::ZERO);
        }
        self.ledgers
            .beam_state
            .paus
            .set((state, pau), PauEntry::default());
        self.emit(
            state,
            BeamStateEvent::PauUnregistered {
                pau,
                controller: entry.controller,
                rate_limits: entry.rate_limits,
            }
            .into(),
        );
        Ok(())
    }
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum BeamStateRevert {
    #[error("only the state's timelock may make additions to {state} (caller {caller})")]
    #[strum(serialize = "BEAMState/only-timelock")]
    OnlyTimelock { state: Address, caller: Address },
    #[error("the operation targets state {operation_state}, not {expected}")]
    #[strum(serialize = "BEAMState/wrong-state")]
    WrongState {
        expected: Address,
        operation_state: Address,
    },
    #[error("setDelay targets the timelock, not a state")]
    #[strum(serialize = "BEAMState/not-a-state-operation")]
    NotAStateOperation,
    #[error("hop must be at least 1 s (got 0)")]
    #[strum(serialize = "BEAMState/zero-hop")]
    ZeroHop,
    #[error("maxChange {max_change_bps} bps is above 100% and governance did not allow it (allow_above_100_pct)")]
    #[strum(serialize = "BEAMState/max-change-above-100pct")]
    MaxChangeAbove100Pct { max_change_bps: u64 },
    #[error("init for key {key} has maxAmount 0")]
    #[strum(serialize = "BEAMState/zero-init")]
    ZeroInit { key: B256 },
    #[error("init for key {key}: slope {slope} per s > maxAmount {max_amount} × 86400")]
    #[strum(serialize = "BEAMState/nonsense-init-slope")]
    NonsenseInitSlope {
        key: B256,
        max_amount: Wad,
        slope: Wad,
    },
    #[error("state {state} has no configurator yet")]
    #[strum(serialize = "BEAMState/no-configurator")]
    NoConfigurator { state: Address },
    #[error("state {state} already has configurator {configurator}")]
    #[strum(serialize = "BEAMState/configurator-already-set")]
    ConfiguratorAlreadySet {
        state: Address,
        configurator: Address,
    },
    #[error("PAU {pau} is already registered in state {state}")]
    #[strum(serialize = "BEAMState/pau-already-registered")]
    PauAlreadyRegistered { state: Address, pau: Address },
    #[error("PAU {pau} is not registered in state {state}")]
    #[strum(serialize = "BEAMState/pau-not-registered")]
    PauNotRegistered { state: Address, pau: Address },
    #[error("controller {controller} belongs to proxy {proxy} and rate limits {rate_limits}")]
    #[strum(serialize = "BEAMState/pau-mismatch")]
    PauMismatch {
        controller: Address,
        proxy: Address,
        rate_limits: Address,
    },
    #[error("{contract} is already managed by configurator {configurator} (another scope)")]
    #[strum(serialize = "BEAMState/managed-elsewhere")]
    ManagedElsewhere {
        contract: Address,
        configurator: Address,
    },
    #[error("configurator {configurator} does not hold the admin role on {contract}")]
    #[strum(serialize = "BEAMState/configurator-not-admin")]
    ConfiguratorNotAdmin {
        contract: Address,
        configurator: Address,
    },
    #[error("no such {what} to remove")]
    #[strum(serialize = "BEAMState/no-such-entry")]
    NoSuchEntry { what: &'static str },
    #[error("{contract} is managed by configurator {configurator}; {caller} may not change its limits or roles")]
    #[strum(serialize = "Configurator/managed-contract")]
    ManagedContract {
        contract: Address,
        configurator: Address,
        caller: Address,
    },
}

/// Old and new `(maxAmount, slope)` of a limit or an init, flattened into its event's JSON (boxed
/// so a log entry stays small).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitValues {
    pub old_max_amount_wad: Wad,
    pub old_slope_wad_per_s: Wad,
    pub new_max_amount_wad: Wad,
    pub new_slope_wad_per_s: Wad,
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable). Changes carry old and
/// new values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum BeamStateEvent {
    PauRegistered {
        pau: Address,
        controller: Address,
        rate_limits: Address,
        configurator: Address,
    },
    PauUnregistered {
        pau: Address,
        controller: Address,
        rate_limits: Address,
    },
    RateLimitInitSet {
        key: B256,
        pau: Option<Address>,
        #[serde(flatten)]
        values: Box<LimitValues>,
    },
    RateLimitInitRemoved {
        key: B256,
        pau: Option<Address>,
        old_max_amount_wad: Wad,
        old_slope_wad_per_s: Wad,
    },
    ControllerActionApproved {
        pau: Option<Address>,
        function: ControllerFunction,
        target: Address,
    },
    ControllerActionRemoved {
        pau: Option<Address>,
        function: ControllerFunction,
        target: Address,
    },
    CbeamGranted {
        pau: Address,
        govops: Address,
        old_accordant: bool,
        new_accordant: bool,
    },
    CbeamRevoked {
        pau: Address,
        govops: Address,
        old_accordant: bool,
        new_accordant: bool,
    },
    HopSet {
        old_hop_s: u64,
        new_hop_s: u64,
    },
    MaxChangeSet {
        old_max_change_bps: u64,
        new_max_change_bps: u64,
    },
    BootstrapEnded {},
}
