//! BEAMTimeLock (SPEC §4.10): one scope's delay on additions, as OpenZeppelin's
//! TimelockController — `schedule` (aBEAM), `execute` once `now ≥ scheduled_at + delay`
//! (anyone, as OZ's open executor role), `cancel` (aBEAM), `pause`/`unpause` (aBEAM).
//!
//! Contract: an operation is a typed [`TimelockOp`] plus a 32-byte `salt`; its id is
//! `keccak256("BEAMTimeLock" ‖ timelock ‖ canonical(op) ‖ salt)`, so the same content cannot be
//! pending twice (`BEAMTimeLock/operation-already-scheduled`, also after it was executed, as OZ).
//! `execute` and `cancel` take the content (OZ's `cancel` takes the id; content is what a script
//! can write). While paused, nothing is scheduled or executed; cancel still works (removals are
//! always instant). The delay, `hop` and `maxChange` change only by executing an operation.
//! Bad input (zero delay, zero hop, maxChange above 100% without the governance flag, a zero or
//! nonsense init) is refused at `schedule`, before any time passes, and again at `execute`.

use crate::call::{AccessCall, Key, Returns, Value};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::beam_state::{check_hop, check_init, check_max_change, BeamState, ControllerFunction};
use crate::families::Family;
use crate::journal::JournaledMap;
use crate::roles::ADMIN_ROLE;
use crate::script::parse_util::{typed_call_with_fallback, ScriptError};
use crate::state::State;
use alloy_primitives::{keccak256, Address, B256};
use laniakea_units::{Timestamp, Wad};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// SPEC §4.10 default delay: 14 days.
pub const DEFAULT_DELAY_S: u64 = 14 * 86_400;

/// One scope's timelock (pending operations live in [`BeamTimeLockLedger`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeamTimeLock {
    pub delay_s: u64,
    pub paused: bool,
}

/// An addition or parameter change that must wait for the delay. `state` names the BEAMState
/// it applies to (whose timelock must be this one).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "op", deny_unknown_fields)]
pub enum TimelockOp {
    #[serde(rename = "registerPau")]
    RegisterPau {
        state: Address,
        /// the PAU's ALMProxy
        pau: Address,
        controller: Address,
        rate_limits: Address,
    },
    #[serde(rename = "addRateLimitInit")]
    AddRateLimitInit {
        state: Address,
        key: Key,
        /// `null`/absent = any PAU of the scope
        #[serde(default)]
        pau: Option<Address>,
        max_amount: Wad,
        /// per second
        slope: Wad,
    },
    #[serde(rename = "addControllerAction")]
    AddControllerAction {
        state: Address,
        #[serde(default)]
        pau: Option<Address>,
        function: ControllerFunction,
        target: Address,
    },
    #[serde(rename = "grantCbeam")]
    GrantCbeam {
        state: Address,
        pau: Address,
        govops: Address,
    },
    #[serde(rename = "setHop")]
    SetHop { state: Address, hop_s: u64 },
    #[serde(rename = "setMaxChange")]
    SetMaxChange {
        state: Address,
        max_change_bps: u64,
        /// governance's explicit permission for more than 100%
        #[serde(default)]
        allow_above_100_pct: bool,
    },
    /// Changes this timelock's own delay.
    #[serde(rename = "setDelay")]
    SetDelay { delay_s: u64 },
}

impl TimelockOp {
    /// The BEAMState the operation applies to (`None` for the timelock's own delay).
    pub fn state(&self) -> Option<Address> {
        match self {
            TimelockOp::RegisterPau { state, .. }
            | TimelockOp::AddRateLimitInit { state, .. }
            | TimelockOp::AddControllerAction { state, .. }
            | TimelockOp::GrantCbeam { state, .. }
            | TimelockOp::SetHop { state, .. }
            | TimelockOp::SetMaxChange { state, .. } => Some(*state),
            TimelockOp::SetDelay { .. } => None,
        }
    }

    /// The canonical bytes of the operation (its id and its digest entry).
    pub fn canonical(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(160);
        let opt = |b: &mut Vec<u8>, p: &Option<Address>| match p {
            None => b.push(0),
            Some(a) => {
                b.push(1);
                b.extend_from_slice(a.as_slice());
            }
        };
        match self {
            TimelockOp::RegisterPau {
                state,
                pau,
                controller,
                rate_limits,
            } => {
                b.push(1);
                for a in [state, pau, controller, rate_limits] {
                    b.extend_from_slice(a.as_slice());
                }
            }
            TimelockOp::AddRateLimitInit {
                state,
                key,
                pau,
                max_amount,
                slope,
            } => {
                b.push(2);
                b.extend_from_slice(state.as_slice());
                b.extend_from_slice(key.0.as_slice());
                opt(&mut b, pau);
                b.extend_from_slice(&max_amount.raw().to_be_bytes::<32>());
                b.extend_from_slice(&slope.raw().to_be_bytes::<32>());
            }
            TimelockOp::AddControllerAction {
                state,
                pau,
                function,
                target,
            } => {
                b.push(3);
                b.extend_from_slice(state.as_slice());
                opt(&mut b, pau);
                let name: &'static str = function.into();
                b.extend_from_slice(name.as_bytes());
                b.extend_from_slice(target.as_slice());
            }
            TimelockOp::GrantCbeam { state, pau, govops } => {
                b.push(4);
                for a in [state, pau, govops] {
                    b.extend_from_slice(a.as_slice());
                }
            }
            TimelockOp::SetHop { state, hop_s } => {
                b.push(5);
                b.extend_from_slice(state.as_slice());
                b.extend_from_slice(&hop_s.to_be_bytes());
            }
            TimelockOp::SetMaxChange {
                state,
                max_change_bps,
                allow_above_100_pct,
            } => {
                b.push(6);
                b.extend_from_slice(state.as_slice());
                b.extend_from_slice(&max_change_bps.to_be_bytes());
                b.push(u8::from(*allow_above_100_pct));
            }
            TimelockOp::SetDelay { delay_s } => {
                b.push(7);
                b.extend_from_slice(&delay_s.to_be_bytes());
            }
        }
        b
    }
}

/// The id of `op` with `salt` on `timelock`.
pub fn operation_id(timelock: Address, op: &TimelockOp, salt: B256) -> B256 {
    let mut b = b"BEAMTimeLock".to_vec();
    b.extend_from_slice(timelock.as_slice());
    b.extend_from_slice(&op.canonical());
    b.extend_from_slice(salt.as_slice());
    keccak256(b)
}

/// A scheduled operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledOp {
    pub operation: TimelockOp,
    pub salt: B256,
    /// The earliest block time `execute` succeeds.
    pub ready_at: Timestamp,
    /// Executed (kept so the same id can never run twice).
    pub done: bool,
}

crate::ledger! {
    /// Every timelock's operations.
    pub struct BeamTimeLockLedger {
        /// (timelock, id) → operation
        pub operations: JournaledMap<(Address, B256), ScheduledOp>,
    }
}

/// `deploy: {"kind": "beam-timelock", "delay_s"?}` (default 14 days).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BeamTimeLockDeploy {
    #[serde(default = "default_delay")]
    pub delay_s: u64,
}

fn default_delay() -> u64 {
    DEFAULT_DELAY_S
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum BeamTimeLockCall {
    #[serde(rename = "schedule")]
    Schedule {
        operation: Box<TimelockOp>,
        #[serde(default)]
        salt: B256,
    },
    #[serde(rename = "execute")]
    Execute {
        operation: Box<TimelockOp>,
        #[serde(default)]
        salt: B256,
    },
    #[serde(rename = "cancel")]
    Cancel {
        operation: Box<TimelockOp>,
        #[serde(default)]
        salt: B256,
    },
    #[serde(rename = "pause")]
    Pause,
    #[serde(rename = "unpause")]
    Unpause,
    #[serde(skip_deserializing, untagged)]
    Access(AccessCall),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum BeamTimeLockView {
    /// The delay, the pause flag and every pending operation (id order).
    #[serde(rename = "getQueue")]
    Queue,
}

/// One pending operation as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedOp {
    pub id: B256,
    pub operation: TimelockOp,
    pub salt: B256,
    pub ready_at: Timestamp,
    /// `now ≥ ready_at` (and not paused: see `paused`).
    pub ready: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BeamTimeLockAnswer {
    Queue {
        delay_s: u64,
        paused: bool,
        now: Timestamp,
        operations: Vec<QueuedOp>,
    },
}

const TAG_OPERATIONS: u8 = 26;

impl Family for BeamTimeLock {
    const LABEL: &'static str = "beam-timelock";
    type Call = BeamTimeLockCall;
    type Deploy = BeamTimeLockDeploy;
    type View = BeamTimeLockView;
    type Answer = BeamTimeLockAnswer;
    type Revert = BeamTimeLockRevert;
    type Event = BeamTimeLockEvent;
    type Ledger = BeamTimeLockLedger;
    const LEDGER_TAGS: &'static [u8] = &[TAG_OPERATIONS];

    fn deploy(_: &mut State, _: Address, _: Address, d: &BeamTimeLockDeploy) -> CallResult<Self> {
        check_delay(d.delay_s)?;
        Ok(BeamTimeLock {
            delay_s: d.delay_s,
            paused: false,
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: BeamTimeLockCall) -> CallResult<Returns> {
        match c {
            BeamTimeLockCall::Schedule { operation, salt } => {
                // The id is in the `OperationScheduled` event.
                let (_id, ready_at) = s.timelock_schedule(to, from, *operation, salt)?;
                return Ok(Returns::one("ready_at", Value::Time(ready_at)));
            }
            BeamTimeLockCall::Execute { operation, salt } => {
                s.timelock_execute(to, from, *operation, salt)?
            }
            BeamTimeLockCall::Cancel { operation, salt } => {
                s.require_role(to, ADMIN_ROLE, from)?;
                let id = operation_id(to, &operation, salt);
                match s.ledgers.beam_timelock.operations.get_ref(&(to, id)) {
                    Some(op) if !op.done => {}
                    _ => return Err(BeamTimeLockRevert::UnknownOperation { id }.into()),
                }
                s.ledgers.beam_timelock.operations.remove(&(to, id));
                s.emit(to, BeamTimeLockEvent::OperationCancelled { id }.into());
            }
            BeamTimeLockCall::Pause | BeamTimeLockCall::Unpause => {
                s.require_role(to, ADMIN_ROLE, from)?;
                let on = matches!(c, BeamTimeLockCall::Pause);
                let t = s.get_mut::<BeamTimeLock>(to)?;
                let old = std::mem::replace(&mut t.paused, on);
                s.emit(
                    to,
                    BeamTimeLockEvent::TimelockPauseSet {
                        old_paused: old,
                        new_paused: on,
                    }
                    .into(),
                );
            }
            BeamTimeLockCall::Access(a) => return crate::roles::access(s, to, from, a),
        }
        Ok(Returns::none())
    }

    fn view(s: &State, to: Address, v: &BeamTimeLockView) -> CallResult<BeamTimeLockAnswer> {
        let BeamTimeLockView::Queue = v;
        let t = s.get::<BeamTimeLock>(to)?;
        let operations = s
            .ledgers
            .beam_timelock
            .operations
            .range((to, B256::ZERO)..)
            .take_while(|((tl, _), _)| *tl == to)
            .filter(|(_, op)| !op.done)
            .map(|((_, id), op)| QueuedOp {
                id: *id,
                operation: op.operation.clone(),
                salt: op.salt,
                ready_at: op.ready_at,
                ready: s.now >= op.ready_at,
            })
            .collect();
        Ok(BeamTimeLockAnswer::Queue {
            delay_s: t.delay_s,
            paused: t.paused,
            now: s.now,
            operations,
        })
    }

    fn encode(&self, e: &mut Enc) {
        e.n(self.delay_s);
        e.n(u64::from(self.paused));
    }

    fn encode_ledger(l: &BeamTimeLockLedger, tag: u8, e: &mut Enc) {
        assert_eq!(tag, TAG_OPERATIONS, "beam-timelock owns tag 26 only");
                e.tag(tag, l.operations.len());
        for ((tl, id), op) in l.operations.iter() {
            e.a(*tl);
            e.b(*id);
            e.b(op.salt);
            e.n(op.ready_at.0);
            e.n(u64::from(op.done));
            let bytes = op.operation.canonical();
            e.n(bytes.len() as u64);
            e.bytes(&bytes);
        }
    }

    fn parse_call(line: usize, call: Json) -> Result<BeamTimeLockCall, ScriptError> {
        typed_call_with_fallback(line, call, |c| c, BeamTimeLockCall::Access)
    }

    fn validate_deploy(d: &BeamTimeLockDeploy) -> Result<(), (&'static str, String)> {
        check_delay(d.delay_s).map_err(|e| ("delay_s", e.to_string()))
    }
}

impl From<BeamTimeLockRevert> for Revert {
    fn from(r: BeamTimeLockRevert) -> Revert {
        Revert::BeamTimeLock(r)
    }
}

impl From<BeamTimeLockEvent> for EventKind {
    fn from(e: BeamTimeLockEvent) -> EventKind {
        EventKind::BeamTimeLock(e)
    }
}

/// The delay must be at least one second (a zero delay is no timelock).
pub fn check_delay(delay_s: u64) -> CallResult<()> {
    if delay_s == 0 {
        return Err(BeamTimeLockRevert::ZeroDelay.into());
    }
    Ok(())
}

impl State {
    /// The bad-input checks of an operation, run at schedule and again at execute.
    fn timelock_validate(&self, timelock: Address, op: &TimelockOp) -> CallResult<()> {
        if let Some(state) = op.state() {
            let st = self.get::<BeamState>(state)?;
            if st.timelock != timelock {
                return Err(BeamTimeLockRevert::NotTheStatesTimelock {
                    state,
                    its_timelock: st.timelock,
                }
                .into());
            }
        }
        match op {
            TimelockOp::SetDelay { delay_s } => check_delay(*delay_s),
            TimelockOp::SetHop { hop_s, .. } => check_hop(*hop_s),
            TimelockOp::SetMaxChange {
                max_change_bps,
                allow_above_100_pct,
                ..
            } => check_max_change(*max_change_bps, *allow_above_100_pct),
            TimelockOp::AddRateLimitInit {
                key,
                max_amount,
                slope,
                ..
            } => check_init(key.0, *max_amount, *slope),
            _ => Ok(()),
        }
    }

    /// `schedule(op, salt)` (aBEAM): returns the id and the ready time.
    pub(crate) fn timelock_schedule(
        &mut self,
        timelock: Address,
        caller: Address,
        operation: TimelockOp,
        salt: B256,
    ) -> CallResult<(B256, Timestamp)> {
        let t = self.get::<BeamTimeLock>(timelock)?.clone();
        self.require_role(timelock, ADMIN_ROLE, caller)?;
        if t.paused {
            return Err(BeamTimeLockRevert::Paused { timelock }.into());
        }
        self.timelock_validate(timelock, &operation)?;
        let id = operation_id(timelock, &operation, salt);
        if self
            .ledgers
            .beam_timelock
            .operations
            .contains_key(&(timelock, id))
        {
            return Err(BeamTimeLockRevert::OperationAlreadyScheduled { id }.into());
        }
        let ready_at = Timestamp(self.now.0.checked_add(t.delay_s).ok_or(
            laniakea_units::MathError::Overflow,
        )?);
        self.emit(
            timelock,
            BeamTimeLockEvent::OperationScheduled {
                id,
                operation: Box::new(operation.clone()),
                salt,
                ready_at,
            }
            .into(),
        );
        self.ledgers.beam_timelock.operations.insert(
            (timelock, id),
            ScheduledOp {
                operation,
                salt,
                ready_at,
                done: false,
            },
        );
        Ok((id, ready_at))
    }

    /// `execute(op, salt)` (anyone, once ready and not paused): applies the operation as the
    /// timelock.
    pub(crate) fn timelock_execute(
        &mut self,
        timelock: Address,
        _caller: Address,
        operation: TimelockOp,
        salt: B256,
    ) -> CallResult<()> {
        let t = self.get::<BeamTimeLock>(timelock)?.clone();
        if t.paused {
            return Err(BeamTimeLockRevert::Paused { timelock }.into());
        }
        let id = operation_id(timelock, &operation, salt);
        let ready_at = match self.ledgers.beam_timelock.operations.get_ref(&(timelock, id)) {
            Some(op) if !op.done => op.ready_at,
            _ => return Err(BeamTimeLockRevert::UnknownOperation { id }.into()),
        };
        if self.now < ready_at {
            return Err(BeamTimeLockRevert::OperationNotReady {
                id,
                ready_at,
                now: self.now,
            }
            .into());
        }
        self.timelock_validate(timelock, &operation)?;
        if let Some(op) = self
            .ledgers
            .beam_timelock
            .operations
            .get_mut(&(timelock, id))
        {
            op.done = true;
        }
        match (&operation, operation.state()) {
            (TimelockOp::SetDelay { delay_s }, _) => {
                let t = self.get_mut::<BeamTimeLock>(timelock)?;
                let old = std::mem::replace(&mut t.delay_s, *delay_s);
                self.emit(
                    timelock,
                    BeamTimeLockEvent::DelaySet {
                        old_delay_s: old,
                        new_delay_s: *delay_s,
                    }
                    .into(),
                );
            }
            (_, Some(state)) => self.beam_state_apply(state, timelock, &operation)?,
            (_, None) => {}
        }
        self.emit(timelock, BeamTimeLockEvent::OperationExecuted { id }.into());
        Ok(())
    }
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum BeamTimeLockRevert {
    #[error("the delay must be at least 1 s (got 0)")]
    #[strum(serialize = "BEAMTimeLock/zero-delay")]
    ZeroDelay,
    #[error("timelock {timelock} is paused")]
    #[strum(serialize = "BEAMTimeLock/paused")]
    Paused { timelock: Address },
    #[error("operation {id} is already scheduled (or was executed); use another salt")]
    #[strum(serialize = "BEAMTimeLock/operation-already-scheduled")]
    OperationAlreadyScheduled { id: B256 },
    #[error("no pending operation {id}")]
    #[strum(serialize = "BEAMTimeLock/unknown-operation")]
    UnknownOperation { id: B256 },
    #[error("operation {id} is ready at {ready_at}, now is {now}")]
    #[strum(serialize = "BEAMTimeLock/operation-not-ready")]
    OperationNotReady {
        id: B256,
        ready_at: Timestamp,
        now: Timestamp,
    },
    #[error("state {state} answers to timelock {its_timelock}, not this one")]
    #[strum(serialize = "BEAMTimeLock/not-the-states-timelock")]
    NotTheStatesTimelock {
        state: Address,
        its_timelock: Address,
    },
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum BeamTimeLockEvent {
    OperationScheduled {
        id: B256,
        /// boxed: keeps every log entry small
        operation: Box<TimelockOp>,
        salt: B256,
        ready_at: Timestamp,
    },
    OperationExecuted {
        id: B256,
    },
    OperationCancelled {
        id: B256,
    },
    TimelockPauseSet {
        old_paused: bool,
        new_paused: bool,
    },
    DelaySet {
        old_delay_s: u64,
        new_delay_s: u64,
    },
}
