//! lpha-lcts (SPEC §5.5, §4.9): the beacon that locks the srUSDS queues at 13:00, computes the
//! exchange rate and the queue capacities with the pure functions of `laniakea-settlement`,
//! settles by 16:00 and writes one `lcts-settlement` record per executed epoch — and the
//! lpla-checker's independent check of that record ([`check_epoch`]).
//!
//! Contract (the beacon, [`LctsBeacon`]):
//! - Reaches the chain only through [`Chain`] (views, `events_since`, `submit`, `now`) and the
//!   Synome only through its public API; every chain action goes through the processing-window
//!   guard ([`crate::guard::submit`], purposes `lcts-lock` and `lcts-settle`,
//!   settlement-critical). It never reads the wall clock: times come from the chain.
//! - **Steps** of epoch `d`, each idempotent, completion derived from the chain log and the
//!   Synome only (never local state), so a beacon stopped after any step — or between signing
//!   and storing its record, or between a settle tx and the record — and restarted finishes the
//!   epoch with no duplicated and no lost chain action or record:
//!   1. [`LctsBeacon::lock`] (due at 13:00 of `d`, until the next day's 13:00): locks each queue
//!      whose current generation is ACTIVE, existed before the lock instant and has no
//!      `LctsLock` yet in `[13:00 d, 13:00 d+1)`. A generation created inside the window waits
//!      for the next epoch (SPEC §3: 13:00–16:00 belongs to the next epoch).
//!   2. [`LctsBeacon::settle`] (due at 16:00 of `d`): `updateExchangeRate`, then settle the
//!      subscribe queue, then the redeem queue, with the capacity record's `settle_capacity_*`.
//!      The inputs are the chain state just before the step's first transaction; on a resumed
//!      step that point is found in the log (the step's first event) and the state at it is
//!      rebuilt by undoing the later logged changes from the views (Holding System sUSDS,
//!      srUSDS supply; `chi` as last dripped before it).
//!   3. [`LctsBeacon::record`]: one `lcts-settlement` record (role `lpha-lcts`), `created_at` =
//!      the settle instant (raised to the beacon's latest record), stating the inputs, the
//!      fallback used, the rate before/after and the amounts converted; written once.
//!
//!   [`LctsBeacon::run_epoch`] does whatever of these is due at the chain's time.
//! - **Skipped epochs** (a valid skip record): nothing — no lock, no settle, no record; the
//!   queues stay ACTIVE.
//! - **Governance inputs** (`docs/operators.md` "lpha-lcts"): epoch `d`'s LCTS inputs are the
//!   `srusds_osrc_capacity_susds_wad`, `srusds_target_spread_apr` and `redemption_limit_wad`
//!   of the parameter sets that take effect at `d`'s Moment of Settlement (the instant the
//!   queues settle), with the OSRC premiums in force at `d`'s lock. None published: the
//!   previous executed epoch's inputs (recursively), else netting only — recorded as
//!   `fallback_used`, never silent. Some but not all three: an error (`lcts/incomplete-governance`).
//! - **Netting** is delivered by the two settles at the rate; the record states each settle's
//!   output, which the chain reproduces to the wei (dust stays with the Holding System).

use crate::checker::{CheckError, Finding, Status};
use crate::governance::{self, GovError};
use crate::guard::{self, Action, Guard, Purpose, SubmitError};
use alloy_primitives::{Address, B256, U256};
use laniakea_chain::families::holding_system::{
    HoldingEvent, HoldingInfo, HoldingSystemAnswer, HoldingSystemCall, HoldingSystemView,
    RateUpdated,
};
use laniakea_chain::families::lcts_queue::{
    LctsEvent, LctsQueueAnswer, LctsQueueCall, LctsQueueView, LctsSettled, QueueInfo, QueueStatus,
};
use laniakea_chain::families::savings::{SavingsAnswer, SavingsEvent, SavingsView};
use laniakea_chain::families::token::{TokenAnswer, TokenEvent, TokenView};
use laniakea_chain::{Answer, Call, Chain, Event, EventKind, Query, Tx};
use laniakea_settlement::calendar::Calendar;
use laniakea_settlement::capacity::{self, CapacityInputs, GovernanceInputs, OsrcPremium};
use laniakea_settlement::srusds::{exchange_rate_step, ExchangeRateInputs, ExchangeRateStep};
use laniakea_settlement::EpochId;
use laniakea_synome::record::payload::{self, ParameterSet};
use laniakea_synome::{
    Draft, Kind, Provenance, Query as SQuery, SignedRecord, Store, Synome, SynomeError, Writer,
};
use laniakea_units::{srusds as rate, Apr, Ray, Timestamp, Wad, RAY};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// Why a beacon step could not finish. Every variant has a stable [`LctsError::code`].
#[derive(Debug, Error)]
pub enum LctsError {
    #[error("the Holding System {holding} cannot be read: {reason}")]
    Holding { holding: Address, reason: String },
    #[error("view {what} failed: {reason}")]
    View { what: String, reason: String },
    #[error("the event log does not add up to the views: {what}")]
    Log { what: String },
    #[error("epoch {epoch}: the lock is due from {lock} until {until}; the chain is at {now}")]
    LockOver {
        epoch: EpochId,
        lock: Timestamp,
        until: Timestamp,
        now: Timestamp,
    },
    #[error("epoch {epoch}: {field} of the LCTS inputs taking effect at {at} is missing while {present} is given (records {records:?}): a half-published set is an error, not a fallback")]
    IncompleteGovernance {
        epoch: EpochId,
        field: &'static str,
        present: &'static str,
        at: Timestamp,
        records: Vec<B256>,
    },
    #[error("epoch {epoch}: parameter sets {first} and {second} both take effect at {at} and give `{field}` different values")]
    ContradictoryGovernance {
        epoch: EpochId,
        field: &'static str,
        first: B256,
        second: B256,
        at: Timestamp,
    },
    #[error("governance: {0}")]
    Governance(#[from] GovError),
    #[error("epoch {epoch}: capacity inputs rejected: {code}: {message}")]
    Capacity {
        epoch: EpochId,
        code: &'static str,
        message: String,
    },
    #[error("epoch {epoch}: the chain's {what} is {chain}, the beacon computed {computed}")]
    Disagrees {
        epoch: EpochId,
        what: &'static str,
        chain: Wad,
        computed: Wad,
    },
    #[error("{action} was refused: {error}")]
    Guard {
        action: &'static str,
        error: SubmitError,
    },
    #[error("{action} reverted: {reason}")]
    Reverted {
        action: &'static str,
        reason: String,
    },
    #[error(
        "epoch {epoch}: the {side} queue is locked but not settled yet: settle before recording"
    )]
    NotSettled { epoch: EpochId, side: &'static str },
    #[error("synome: {0}")]
    Synome(#[from] SynomeError),
}

impl LctsError {
    pub fn code(&self) -> &'static str {
        match self {
            LctsError::Holding { .. } => "lcts/holding-unreadable",
            LctsError::View { .. } => "lcts/view-failed",
            LctsError::Log { .. } => "lcts/log-view-mismatch",
            LctsError::LockOver { .. } => "lcts/lock-over",
            LctsError::IncompleteGovernance { .. } => "lcts/incomplete-governance",
            LctsError::ContradictoryGovernance { .. } => "lcts/contradictory-governance",
            LctsError::Governance(e) => e.code(),
            LctsError::Capacity { .. } => "lcts/capacity-inputs",
            LctsError::Disagrees { .. } => "lcts/chain-disagrees",
            LctsError::Guard { error, .. } => error.code(),
            LctsError::Reverted { .. } => "lcts/reverted",
            LctsError::NotSettled { .. } => "lcts/not-settled",
            LctsError::Synome(_) => "lcts/synome",
        }
    }
}

/// What the beacon runs against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LctsConfig {
    /// The deployment's first instant (the calendar's start).
    pub deployment_start: Timestamp,
    /// The Generator's srUSDS Holding System (its queues are read from it).
    pub holding: Address,
    /// The account holding `LPHA_LCTS` on the Holding System and both queues.
    pub beacon: Address,
    pub guard: Guard,
}

/// What [`LctsBeacon::run_epoch`] found or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum Progress {
    /// The epoch is skipped: nothing to do.
    Skipped,
    /// Before 13:00 of the epoch.
    NotDue,
    /// Locked (or nothing to lock); the settle is due at 16:00.
    Locked { txs: usize },
    /// Settled and recorded.
    Recorded { txs: usize, record: B256 },
}

/// The lpha-lcts beacon (module doc).
pub struct LctsBeacon {
    pub cfg: LctsConfig,
    /// Signs the `lcts-settlement` records (role `lpha-lcts`).
    pub writer: Writer,
    /// Records guard refusals (role `govops`, see `guard`).
    pub govops: Writer,
}

// ---- the beacon's reading of the chain ----------------------------------------------------------

/// A queue's lock and settle in one epoch, from the log.
#[derive(Debug, Clone, Default)]
struct QueueEpoch {
    addr: Option<Address>,
    info: Option<QueueInfo>,
    /// The current generation existed before the epoch's lock instant.
    created_before_lock: bool,
    /// `(seq, generation, total_underlying)` of the epoch's `LctsLock`.
    lock: Option<(u64, u64, Wad)>,
    /// `(seq, time, fields)` of the first `LctsSettle` after that lock.
    settle: Option<(u64, Timestamp, LctsSettled)>,
}

struct Reading {
    info: HoldingInfo,
    log: Vec<Event>,
    sub: QueueEpoch,
    red: QueueEpoch,
    /// `(seq, time, fields)` of the epoch's `SrusdsRateUpdated` at or after 16:00.
    update: Option<(u64, Timestamp, RateUpdated)>,
}

/// The chain state the settle step computes from.
#[derive(Debug, Clone)]
struct Snapshot {
    at: Timestamp,
    xr_before: Wad,
    premium: Apr,
    rho: Timestamp,
    holding_susds: Wad,
    supply: Wad,
    chi: Ray,
}

/// Everything the settle step and the record are computed from.
struct Plan {
    snap: Snapshot,
    step: ExchangeRateStep,
    capacity: capacity::CapacityRecord,
}

fn view_err(what: &str, e: impl std::fmt::Display) -> LctsError {
    LctsError::View {
        what: what.to_string(),
        reason: e.to_string(),
    }
}

fn lcts_records<S: Store>(
    syn: &mut Synome<S>,
    epoch: EpochId,
) -> Result<Vec<SignedRecord>, SynomeError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (page, next) = syn.list(&SQuery {
            kind: Some(Kind::LctsSettlement),
            epoch: Some(epoch),
            after,
            limit: 500,
            ..Default::default()
        })?;
        out.extend(page);
        let Some(n) = next else { break };
        after = n;
    }
    Ok(out)
}

impl LctsBeacon {
    pub fn new(cfg: LctsConfig, writer: Writer, govops: Writer) -> LctsBeacon {
        LctsBeacon {
            cfg,
            writer,
            govops,
        }
    }

    fn holding_info(&self, chain: &dyn Chain) -> Result<HoldingInfo, LctsError> {
        match chain.view(
            self.cfg.holding,
            &Query::HoldingSystem(HoldingSystemView::Info),
        ) {
            Ok(Answer::HoldingSystem(HoldingSystemAnswer::Info(i))) => Ok(*i),
            Ok(a) => Err(LctsError::Holding {
                holding: self.cfg.holding,
                reason: format!("unexpected answer {a:?}"),
            }),
            Err(e) => Err(LctsError::Holding {
                holding: self.cfg.holding,
                reason: format!("{}: {e}", e.code()),
            }),
        }
    }

    fn read(&self, chain: &dyn Chain, epoch: EpochId) -> Result<Reading, LctsError> {
        let info = self.holding_info(chain)?;
        let log = chain.events_since(0);
        let lock_at = epoch.lock();
        let next_lock = epoch.next().map_err(|e| view_err("epoch", e))?.lock();
        let queue = |addr: Option<Address>| -> Result<QueueEpoch, LctsError> {
            let Some(q) = addr else {
                return Ok(QueueEpoch::default());
            };
            let info = match chain.view(q, &Query::LctsQueue(LctsQueueView::Queue)) {
                Ok(Answer::LctsQueue(LctsQueueAnswer::Queue(i))) => *i,
                Ok(a) => return Err(view_err("queue", format!("unexpected answer {a:?}"))),
                Err(e) => return Err(view_err("queue", e)),
            };
            let mine = log.iter().filter(|e| e.contract == q);
            let created_before_lock = info.current_generation.is_some_and(|g| {
                mine.clone().any(|e| {
                    matches!(&e.kind, EventKind::LctsQueue(LctsEvent::LctsEnter { generation, .. }) if *generation == g)
                        && e.block_time < lock_at
                })
            });
            let lock = mine.clone().find_map(|e| match &e.kind {
                EventKind::LctsQueue(LctsEvent::LctsLock {
                    generation,
                    total_underlying_wad,
                    ..
                }) if e.block_time >= lock_at && e.block_time < next_lock => {
                    Some((e.seq, *generation, *total_underlying_wad))
                }
                _ => None,
            });
            let settle = lock.and_then(|(lseq, _, _)| {
                mine.clone().find_map(|e| match &e.kind {
                    EventKind::LctsQueue(LctsEvent::LctsSettle(s)) if e.seq > lseq => {
                        Some((e.seq, e.block_time, (**s).clone()))
                    }
                    _ => None,
                })
            });
            Ok(QueueEpoch {
                addr: Some(q),
                info: Some(info),
                created_before_lock,
                lock,
                settle,
            })
        };
        let sub = queue(info.subscribe_queue)?;
        let red = queue(info.redeem_queue)?;
        let update = log.iter().find_map(|e| match &e.kind {
            EventKind::HoldingSystem(HoldingEvent::SrusdsRateUpdated(u))
                if e.contract == self.cfg.holding
                    && e.block_time >= epoch.moment()
                    && e.block_time < next_lock =>
            {
                Some((e.seq, e.block_time, (**u).clone()))
            }
            _ => None,
        });
        Ok(Reading {
            info,
            log,
            sub,
            red,
            update,
        })
    }

    fn calendar<S: Store>(&self, syn: &mut Synome<S>) -> Result<Calendar, LctsError> {
        Ok(governance::calendar(syn, self.cfg.deployment_start)?.0)
    }

    /// The state just before the settle step (module doc, step 2).
    fn snapshot(&self, chain: &dyn Chain, r: &Reading) -> Result<Snapshot, LctsError> {
        let marker = [
            r.update.as_ref().map(|u| (u.0, u.1)),
            r.sub.settle.as_ref().map(|s| (s.0, s.1)),
            r.red.settle.as_ref().map(|s| (s.0, s.1)),
        ]
        .into_iter()
        .flatten()
        .min();
        let (pos, at) = match marker {
            Some((seq, t)) => (seq, t),
            None => (r.log.last().map_or(0, |e| e.seq + 1), chain.now()),
        };
        let info = &r.info;
        // Undo every logged change at or after the marker, from the views now.
        let mut h = info.holding_susds_wad.raw();
        let mut supply = info.srusds_supply_wad.raw();
        let bad = |what: &str| LctsError::Log {
            what: what.to_string(),
        };
        for e in r.log.iter().filter(|e| e.seq >= pos) {
            if let EventKind::Erc20(TokenEvent::Transfer {
                from,
                to,
                value_wad,
            }) = &e.kind
            {
                let v = value_wad.raw();
                if e.contract == info.susds {
                    let holding = self.cfg.holding;
                    if *to == holding && *from != holding {
                        h = h
                            .checked_sub(v)
                            .ok_or_else(|| bad("Holding System sUSDS"))?;
                    } else if *from == holding && *to != holding {
                        h = h
                            .checked_add(v)
                            .ok_or_else(|| bad("Holding System sUSDS"))?;
                    }
                } else if e.contract == info.srusds {
                    if *from == Address::ZERO {
                        supply = supply.checked_sub(v).ok_or_else(|| bad("srUSDS supply"))?;
                    } else if *to == Address::ZERO {
                        supply = supply.checked_add(v).ok_or_else(|| bad("srUSDS supply"))?;
                    }
                }
            }
        }
        let chi = r
            .log
            .iter()
            .rev()
            .filter(|e| e.seq < pos && e.contract == info.susds)
            .find_map(|e| match &e.kind {
                EventKind::Savings(SavingsEvent::Drip { chi_ray, .. }) => Some(*chi_ray),
                _ => None,
            })
            .unwrap_or(Ray::from_raw(RAY));
        let (xr_before, premium, rho) = match &r.update {
            Some((_, t, u)) => (
                u.exchange_rate_before_wad,
                u.premium_apr,
                Timestamp(t.0.saturating_sub(u.elapsed_s)),
            ),
            None => (info.exchange_rate_wad, info.premium_apr, info.last_update),
        };
        Ok(Snapshot {
            at,
            xr_before,
            premium,
            rho,
            holding_susds: Wad::from_raw(h),
            supply: Wad::from_raw(supply),
            chi,
        })
    }

    /// The LCTS governance inputs published for `epoch` (module doc), if any.
    fn own_inputs<S: Store>(
        &self,
        syn: &mut Synome<S>,
        sets: &[(Timestamp, B256, ParameterSet)],
        epoch: EpochId,
    ) -> Result<Option<GovernanceInputs>, LctsError> {
        let at = epoch.moment();
        let here: Vec<&(Timestamp, B256, ParameterSet)> =
            sets.iter().filter(|(t, _, _)| *t == at).collect();
        fn pick<T: PartialEq + Copy>(
            epoch: EpochId,
            at: Timestamp,
            field: &'static str,
            here: &[&(Timestamp, B256, ParameterSet)],
            get: impl Fn(&ParameterSet) -> Option<T>,
        ) -> Result<Option<(T, B256)>, LctsError> {
            let mut found: Option<(T, B256)> = None;
            for (_, id, p) in here {
                if let Some(v) = get(p) {
                    match found {
                        Some((old, first)) if old != v => {
                            return Err(LctsError::ContradictoryGovernance {
                                epoch,
                                field,
                                first,
                                second: *id,
                                at,
                            })
                        }
                        Some(_) => {}
                        None => found = Some((v, *id)),
                    }
                }
            }
            Ok(found)
        }
        let cap = pick(epoch, at, "srusds_osrc_capacity_susds_wad", &here, |p| {
            p.srusds_osrc_capacity_susds_wad
        })?;
        let spread = pick(epoch, at, "srusds_target_spread_apr", &here, |p| {
            p.srusds_target_spread_apr
        })?;
        let limit = pick(epoch, at, "redemption_limit_wad", &here, |p| {
            p.redemption_limit_wad
        })?;
        let (cap, spread, limit) = match (cap, spread, limit) {
            (None, None, None) => return Ok(None),
            (Some(c), Some(s), Some(l)) => (c.0, s.0, l.0),
            (c, s, l) => {
                let present = if c.is_some() {
                    "srusds_osrc_capacity_susds_wad"
                } else if s.is_some() {
                    "srusds_target_spread_apr"
                } else {
                    "redemption_limit_wad"
                };
                let field = if c.is_none() {
                    "srusds_osrc_capacity_susds_wad"
                } else if s.is_none() {
                    "srusds_target_spread_apr"
                } else {
                    "redemption_limit_wad"
                };
                return Err(LctsError::IncompleteGovernance {
                    epoch,
                    field,
                    present,
                    at,
                    records: [c.map(|x| x.1), s.map(|x| x.1), l.map(|x| x.1)]
                        .into_iter()
                        .flatten()
                        .collect(),
                });
            }
        };
        let osrc = governance::params_at(syn, epoch.lock())?.osrc;
        Ok(Some(GovernanceInputs {
            epoch,
            osrc_capacity_susds_wad: cap,
            target_spread_apr: spread,
            osrc_premiums: osrc
                .into_iter()
                .map(|(prime, (a, r))| OsrcPremium {
                    prime,
                    osrc_allocation_usds_wad: a,
                    osrc_rate_apr: r,
                })
                .collect(),
            redemption_limit_srusds_wad: limit,
        }))
    }

    /// `(this epoch's inputs, the previous executed epochs' latest inputs)`.
    fn governance_inputs<S: Store>(
        &self,
        syn: &mut Synome<S>,
        cal: &Calendar,
        epoch: EpochId,
    ) -> Result<(Option<GovernanceInputs>, Option<GovernanceInputs>), LctsError> {
        let mut sets = Vec::new();
        for r in governance::all_of(syn, Kind::ParameterSet, None)? {
            let p: ParameterSet =
                serde_json::from_value(r.content.payload.clone()).map_err(|e| {
                    GovError::BadPayload {
                        record: r.id,
                        kind: "parameter-set",
                        reason: e.to_string(),
                    }
                })?;
            let eff = governance::takes_effect_at(p.effective_epoch, r.content.created_at);
            sets.push((eff, r.id, p));
        }
        let own = self.own_inputs(syn, &sets, epoch)?;
        let mut prev = None;
        let mut e = epoch;
        while let Some(p) = cal
            .previous_executed(e)
            .map_err(|x| view_err("calendar", x))?
        {
            if let Some(g) = self.own_inputs(syn, &sets, p)? {
                prev = Some(g);
                break;
            }
            e = p;
        }
        Ok((own, prev))
    }

    fn plan<S: Store>(
        &self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        cal: &Calendar,
        epoch: EpochId,
        r: &Reading,
    ) -> Result<Plan, LctsError> {
        let snap = self.snapshot(chain, r)?;
        let cap_err = |e: laniakea_settlement::srusds::SrusdsError| LctsError::Capacity {
            epoch,
            code: e.code(),
            message: e.to_string(),
        };
        let step = exchange_rate_step(&ExchangeRateInputs {
            exchange_rate_wad: snap.xr_before,
            premium_apr: snap.premium,
            elapsed_s: snap.at.since(snap.rho).unwrap_or(0),
            holding_susds_wad: snap.holding_susds,
            srusds_supply_wad: snap.supply,
            haircut: None,
        })
        .map_err(cap_err)?;
        if let Some((_, _, u)) = &r.update {
            if u.exchange_rate_wad != step.exchange_rate_after_wad {
                return Err(LctsError::Disagrees {
                    epoch,
                    what: "exchange rate after the update",
                    chain: u.exchange_rate_wad,
                    computed: step.exchange_rate_after_wad,
                });
            }
        }
        let (governance, previous_governance) = self.governance_inputs(syn, cal, epoch)?;
        let inputs = CapacityInputs {
            epoch,
            subscribe_queue_susds_wad: r.sub.lock.map_or(Wad::ZERO, |l| l.2),
            redeem_queue_srusds_wad: r.red.lock.map_or(Wad::ZERO, |l| l.2),
            exchange_rate_wad: step.exchange_rate_after_wad,
            holding_susds_wad: snap.holding_susds,
            susds_chi_ray: snap.chi,
            governance,
            previous_governance,
        };
        let capacity = capacity::compute(&inputs).map_err(cap_err)?;
        Ok(Plan {
            snap,
            step,
            capacity,
        })
    }

    fn submit<S: Store>(
        &self,
        chain: &mut dyn Chain,
        syn: &mut Synome<S>,
        action: &'static str,
        call: Call,
        purpose: Purpose,
    ) -> Result<(), LctsError> {
        let tx = Tx {
            from: self.cfg.beacon,
            at: chain.now(),
            call,
        };
        let receipt = guard::submit(
            &self.cfg.guard,
            chain,
            syn,
            &self.govops,
            Action { tx, purpose },
        )
        .map_err(|error| LctsError::Guard { action, error })?;
        receipt.outcome.map_err(|e| LctsError::Reverted {
            action,
            reason: format!("{}: {e}", e.code()),
        })?;
        Ok(())
    }

    fn skipped<S: Store>(&self, syn: &mut Synome<S>, epoch: EpochId) -> Result<bool, LctsError> {
        Ok(self.calendar(syn)?.is_skipped(epoch))
    }

    /// Step 1: locks the queues due for `epoch`; returns the number of lock transactions.
    pub fn lock<S: Store>(
        &self,
        chain: &mut dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<usize, LctsError> {
        let now = chain.now();
        if self.skipped(syn, epoch)? || now < epoch.lock() {
            return Ok(0);
        }
        let until = epoch.next().map_err(|e| view_err("epoch", e))?.lock();
        let r = self.read(chain, epoch)?;
        let due: Vec<Address> = [&r.sub, &r.red]
            .into_iter()
            .filter(|q| {
                q.lock.is_none()
                    && q.created_before_lock
                    && q.info
                        .as_ref()
                        .is_some_and(|i| i.status == QueueStatus::Active)
            })
            .filter_map(|q| q.addr)
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        if now >= until {
            return Err(LctsError::LockOver {
                epoch,
                lock: epoch.lock(),
                until,
                now,
            });
        }
        for q in &due {
            self.submit(
                chain,
                syn,
                "lcts lock",
                Call::LctsQueue(*q, LctsQueueCall::Lock),
                Purpose::LctsLock,
            )?;
        }
        Ok(due.len())
    }

    /// Step 2: the rate update and the settles still missing for `epoch` (at or after 16:00);
    /// returns the number of transactions.
    pub fn settle<S: Store>(
        &self,
        chain: &mut dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<usize, LctsError> {
        let cal = self.calendar(syn)?;
        if cal.is_skipped(epoch) || chain.now() < epoch.moment() || self.recorded(syn, epoch)? {
            return Ok(0);
        }
        let r = self.read(chain, epoch)?;
        let plan = self.plan(chain, syn, &cal, epoch, &r)?;
        let mut txs = 0;
        let started = r.update.is_some() || r.sub.settle.is_some() || r.red.settle.is_some();
        if !started && r.info.last_update < chain.now() {
            self.submit(
                chain,
                syn,
                "lcts exchange-rate update",
                Call::HoldingSystem(self.cfg.holding, HoldingSystemCall::UpdateExchangeRate),
                Purpose::LctsSettle,
            )?;
            txs += 1;
        }
        let c = &plan.capacity;
        for (q, capacity, action) in [
            (
                &r.sub,
                c.subscribe.settle_capacity_susds_wad,
                "lcts subscribe settle",
            ),
            (
                &r.red,
                c.redeem.settle_capacity_srusds_wad,
                "lcts redeem settle",
            ),
        ] {
            if let (Some(addr), Some(_), None) = (q.addr, q.lock, &q.settle) {
                self.submit(
                    chain,
                    syn,
                    action,
                    Call::LctsQueue(addr, LctsQueueCall::Settle { capacity }),
                    Purpose::LctsSettle,
                )?;
                txs += 1;
            }
        }
        Ok(txs)
    }

    fn recorded<S: Store>(&self, syn: &mut Synome<S>, epoch: EpochId) -> Result<bool, LctsError> {
        Ok(self.my_record(syn, epoch)?.is_some())
    }

    fn my_record<S: Store>(
        &self,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<Option<SignedRecord>, LctsError> {
        let me = self.writer.signer.address();
        Ok(lcts_records(syn, epoch)?.into_iter().find(|r| {
            r.content.author == me && r.content.payload["holding"] == json!(self.cfg.holding)
        }))
    }

    /// The record step's draft (`None`: already recorded, skipped, or before 16:00). Exposed so
    /// a test can sign it without storing it (a crash between signing and storing).
    pub fn draft<S: Store>(
        &self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<Option<Draft>, LctsError> {
        let cal = self.calendar(syn)?;
        if cal.is_skipped(epoch) || chain.now() < epoch.moment() || self.recorded(syn, epoch)? {
            return Ok(None);
        }
        let r = self.read(chain, epoch)?;
        for (q, side) in [(&r.sub, "subscribe"), (&r.red, "redeem")] {
            if q.lock.is_some() && q.settle.is_none() {
                return Err(LctsError::NotSettled { epoch, side });
            }
        }
        let plan = self.plan(chain, syn, &cal, epoch, &r)?;
        let c = &plan.capacity;
        // The chain's settles must have done exactly what the record will say.
        for (q, what_in, what_out, converted, output) in [
            (
                &r.sub,
                "subscribe converted sUSDS",
                "subscribe output srUSDS",
                c.subscribe.converted_susds_wad,
                c.subscribe.output_srusds_wad,
            ),
            (
                &r.red,
                "redeem converted srUSDS",
                "redeem output sUSDS",
                c.redeem.converted_srusds_wad,
                c.redeem.output_susds_wad,
            ),
        ] {
            if let Some((_, _, s)) = &q.settle {
                for (what, chain_v, ours) in [
                    (what_in, s.converted_wad, converted),
                    (what_out, s.output_wad, output),
                ] {
                    if chain_v != ours {
                        return Err(LctsError::Disagrees {
                            epoch,
                            what,
                            chain: chain_v,
                            computed: ours,
                        });
                    }
                }
            }
        }
        let p = payload::LctsSettlement {
            holding: self.cfg.holding,
            subscribe_queue: r.sub.addr,
            redeem_queue: r.red.addr,
            subscribe_generation: r.sub.lock.map(|l| l.1),
            redeem_generation: r.red.lock.map(|l| l.1),
            fallback_used: json_str(&c.fallback),
            governance_epoch: c.governance_epoch,
            settled_at: plan.snap.at,
            rate_before_wad: plan.step.inputs.exchange_rate_wad,
            rate_after_wad: plan.step.exchange_rate_after_wad,
            subscribe_converted_susds_wad: c.subscribe.converted_susds_wad,
            subscribe_output_srusds_wad: c.subscribe.output_srusds_wad,
            redeem_converted_srusds_wad: c.redeem.converted_srusds_wad,
            redeem_output_susds_wad: c.redeem.output_susds_wad,
            exchange_rate: serde_json::to_value(&plan.step).unwrap_or(Value::Null),
            capacity: serde_json::to_value(c).unwrap_or(Value::Null),
        };
        let me = self.writer.signer.address();
        let latest_mine = governance::all_of(syn, Kind::LctsSettlement, None)?
            .iter()
            .filter(|x| x.content.author == me)
            .map(|x| x.content.created_at)
            .max()
            .unwrap_or(Timestamp(0));
        Ok(Some(
            Draft::new(
                Kind::LctsSettlement,
                "generator",
                plan.snap.at.max(latest_mine),
                Provenance::SystemDerived,
                serde_json::to_value(&p).unwrap_or(Value::Null),
            )
            .epoch(epoch),
        ))
    }

    /// Step 3: writes the epoch's record once; returns its id (the stored one if already there).
    pub fn record<S: Store>(
        &self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<Option<B256>, LctsError> {
        if let Some(r) = self.my_record(syn, epoch)? {
            return Ok(Some(r.id));
        }
        let Some(d) = self.draft(chain, syn, epoch)? else {
            return Ok(None);
        };
        syn.write(&self.writer, vec![d])?;
        Ok(self.my_record(syn, epoch)?.map(|r| r.id))
    }

    /// Does whatever is due for `epoch` at the chain's time: the lock from 13:00, the settle
    /// and the record from 16:00. Call it at least once in `[13:00, 16:00)` and once at or after
    /// 16:00 of each epoch (the simulator's day loop does); calling it again is a no-op.
    pub fn run_epoch<S: Store>(
        &self,
        chain: &mut dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<Progress, LctsError> {
        if self.skipped(syn, epoch)? {
            return Ok(Progress::Skipped);
        }
        let now = chain.now();
        if now < epoch.lock() {
            return Ok(Progress::NotDue);
        }
        let mut txs = self.lock(chain, syn, epoch)?;
        if now < epoch.moment() {
            return Ok(Progress::Locked { txs });
        }
        txs += self.settle(chain, syn, epoch)?;
        match self.record(chain, syn, epoch)? {
            Some(record) => Ok(Progress::Recorded { txs, record }),
            None => Ok(Progress::Locked { txs }),
        }
    }
}

/// A serde enum's kebab-case name.
fn json_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

// ---- the lpla-checker's LCTS-record check ------------------------------------------------------
//
// Independent of the beacon above: it shares no function with it. It replays the log
// *forwards* from zero (the beacon undoes changes backwards from the views), reads parameter
// sets with its own statement of the effective-instant rule, and only uses the pure maths
// (`exchange_rate_step`, `capacity::compute`) and the public chain/Synome APIs.

/// The first day on or after `effective` whose 13:00 had not passed at publication: the
/// parameter set takes effect at that day's 16:00 (`docs/operators.md`, Governance inputs).
fn effect_of(effective: EpochId, published: Timestamp) -> Timestamp {
    let mut day = effective;
    while published >= day.lock() {
        match day.next() {
            Ok(n) => day = n,
            Err(_) => return Timestamp(u64::MAX),
        }
    }
    day.moment()
}

/// The chain as replayed forwards up to (excluding) a log position.
#[derive(Debug, Clone, Copy)]
struct Replayed {
    holding_susds: U256,
    supply: U256,
    xr: Wad,
    premium: Option<Apr>,
    last_update: Option<Timestamp>,
    haircut_open: bool,
    haircuts: usize,
    chi: Ray,
}

fn replay(
    log: &[Event],
    holding: Address,
    susds: Address,
    srusds: Address,
    until: u64,
) -> Replayed {
    let mut s = Replayed {
        holding_susds: U256::ZERO,
        supply: U256::ZERO,
        xr: Wad::from_raw(laniakea_units::WAD),
        premium: None,
        last_update: None,
        haircut_open: false,
        haircuts: 0,
        chi: Ray::from_raw(RAY),
    };
    for e in log.iter().take_while(|e| e.seq < until) {
        match &e.kind {
            EventKind::Erc20(TokenEvent::Transfer {
                from,
                to,
                value_wad,
            }) => {
                let v = value_wad.raw();
                if e.contract == susds {
                    if *to == holding && *from != holding {
                        s.holding_susds = s.holding_susds.saturating_add(v);
                    } else if *from == holding && *to != holding {
                        s.holding_susds = s.holding_susds.saturating_sub(v);
                    }
                }
                if e.contract == srusds {
                    if *from == Address::ZERO {
                        s.supply = s.supply.saturating_add(v);
                    } else if *to == Address::ZERO {
                        s.supply = s.supply.saturating_sub(v);
                    }
                }
            }
            EventKind::Savings(SavingsEvent::Drip { chi_ray, .. }) if e.contract == susds => {
                s.chi = *chi_ray;
            }
            EventKind::HoldingSystem(h) if e.contract == holding => match h {
                HoldingEvent::SrusdsRateUpdated(u) => {
                    s.xr = u.exchange_rate_wad;
                    s.premium = Some(u.premium_apr);
                    s.last_update = Some(e.block_time);
                    let backed = rate::is_backed(
                        s.xr,
                        Wad::from_raw(s.supply),
                        Wad::from_raw(s.holding_susds),
                    );
                    s.haircut_open = s.haircut_open && !backed;
                }
                HoldingEvent::SrusdsHaircut(x) => {
                    s.xr = x.exchange_rate_wad;
                    s.haircut_open = !x.backed;
                    s.haircuts += 1;
                }
                HoldingEvent::SrusdsPremiumSet { premium_apr } => s.premium = Some(*premium_apr),
                _ => {}
            },
            _ => {}
        }
    }
    s
}

/// Whether queue `q` had a current ACTIVE generation at `t` (forward replay of its events).
fn active_at(log: &[Event], q: Address, t: Timestamp) -> bool {
    let mut shares: BTreeMap<u64, U256> = BTreeMap::new();
    let mut current: Option<u64> = None;
    for e in log.iter().filter(|e| e.contract == q && e.block_time < t) {
        if let EventKind::LctsQueue(k) = &e.kind {
            match k {
                LctsEvent::LctsEnter {
                    generation,
                    shares_wad,
                    ..
                } => {
                    let s = shares.entry(*generation).or_default();
                    *s = s.saturating_add(shares_wad.raw());
                    current = Some(*generation);
                }
                LctsEvent::LctsExit {
                    generation,
                    shares_wad,
                    ..
                } => {
                    let s = shares.entry(*generation).or_default();
                    *s = s.saturating_sub(shares_wad.raw());
                    if s.is_zero() && current == Some(*generation) {
                        current = None;
                    }
                }
                LctsEvent::LctsSettle(x) if x.finalized => current = None,
                _ => {}
            }
        }
    }
    current.is_some()
}

/// The LCTS inputs the checker expects for `epoch`, read its own way from the parameter sets.
struct CheckerGov {
    /// `(effect instant, store index, payload)` of every live parameter set.
    sets: Vec<(Timestamp, usize, ParameterSet)>,
}

impl CheckerGov {
    fn read<S: Store>(syn: &mut Synome<S>) -> Result<CheckerGov, CheckError> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let (page, next) = syn.list(&SQuery {
                kind: Some(Kind::ParameterSet),
                after,
                limit: 500,
                ..Default::default()
            })?;
            all.extend(page);
            let Some(n) = next else { break };
            after = n;
        }
        let superseded: BTreeSet<B256> = all.iter().filter_map(|r| r.content.supersedes).collect();
        let sets = all
            .iter()
            .enumerate()
            .filter(|(_, r)| !superseded.contains(&r.id))
            .filter_map(|(i, r)| {
                serde_json::from_value::<ParameterSet>(r.content.payload.clone())
                    .ok()
                    .map(|p| (effect_of(p.effective_epoch, r.content.created_at), i, p))
            })
            .collect();
        Ok(CheckerGov { sets })
    }

    /// The inputs published for exactly `epoch` (`Err`: half-published or contradictory).
    fn published(&self, epoch: EpochId) -> Result<Option<GovernanceInputs>, String> {
        let at = epoch.moment();
        let mut cap: Option<Wad> = None;
        let mut spread: Option<Apr> = None;
        let mut limit: Option<Wad> = None;
        for (_, _, p) in self.sets.iter().filter(|(t, _, _)| *t == at) {
            for (name, mine, theirs) in [
                (
                    "srusds_osrc_capacity_susds_wad",
                    cap.map(|w| w.raw()),
                    p.srusds_osrc_capacity_susds_wad.map(|w| w.raw()),
                ),
                (
                    "srusds_target_spread_apr",
                    spread.map(|w| w.raw()),
                    p.srusds_target_spread_apr.map(|w| w.raw()),
                ),
                (
                    "redemption_limit_wad",
                    limit.map(|w| w.raw()),
                    p.redemption_limit_wad.map(|w| w.raw()),
                ),
            ] {
                if let (Some(a), Some(b)) = (mine, theirs) {
                    if a != b {
                        return Err(format!("contradictory `{name}` taking effect at {}", at.0));
                    }
                }
            }
            cap = cap.or(p.srusds_osrc_capacity_susds_wad);
            spread = spread.or(p.srusds_target_spread_apr);
            limit = limit.or(p.redemption_limit_wad);
        }
        let (cap, spread, limit) = match (cap, spread, limit) {
            (None, None, None) => return Ok(None),
            (Some(c), Some(s), Some(l)) => (c, s, l),
            _ => return Err(format!("incomplete LCTS inputs taking effect at {}", at.0)),
        };
        // The OSRC allocations in force at the lock: the latest non-empty list.
        let mut live: Vec<&(Timestamp, usize, ParameterSet)> = self
            .sets
            .iter()
            .filter(|(t, _, p)| *t <= epoch.lock() && !p.osrc.is_empty())
            .collect();
        live.sort_by_key(|(t, i, _)| (*t, *i));
        let mut premiums: Vec<OsrcPremium> = live
            .last()
            .map(|(_, _, p)| {
                p.osrc
                    .iter()
                    .map(|o| OsrcPremium {
                        prime: o.prime.clone(),
                        osrc_allocation_usds_wad: o.allocation_wad,
                        osrc_rate_apr: o.rate_apr,
                    })
                    .collect()
            })
            .unwrap_or_default();
        premiums.sort_by(|a, b| a.prime.cmp(&b.prime));
        Ok(Some(GovernanceInputs {
            epoch,
            osrc_capacity_susds_wad: cap,
            target_spread_apr: spread,
            osrc_premiums: premiums,
            redemption_limit_srusds_wad: limit,
        }))
    }
}

fn finding(check: &'static str, status: Status, subject: &str, evidence: String) -> Finding {
    Finding {
        check,
        status,
        subject: subject.to_string(),
        evidence,
    }
}

/// The lpla-checker's LCTS check of `epoch` for every Holding System on the chain (found in the
/// log by its `LctsQueueAttached` events): lock on time, no mutation while LOCKED, settle on
/// time and as the capacity rule says, exactly one `lcts-settlement` record saying what an
/// independent recomputation says (`missing` / `mismatch` naming the field), invariant 6
/// (queue balances) and invariant 7 (`backing-breach` outside a recorded haircut). A skipped
/// epoch must have no lock and no record. Read-only on the chain.
pub fn check_epoch<S: Store>(
    chain: &dyn Chain,
    syn: &mut Synome<S>,
    cal: &Calendar,
    epoch: EpochId,
) -> Result<Vec<Finding>, CheckError> {
    let log = chain.events_since(0);
    let mut holdings: BTreeMap<Address, BTreeMap<&'static str, Address>> = BTreeMap::new();
    for e in &log {
        if let EventKind::HoldingSystem(HoldingEvent::LctsQueueAttached { queue, side }) = &e.kind {
            let side: &'static str = if *side == "subscribe" {
                "subscribe"
            } else {
                "redeem"
            };
            holdings.entry(e.contract).or_default().insert(side, *queue);
        }
    }
    let mut records = Vec::new();
    let mut after = 0;
    loop {
        let (page, next) = syn.list(&SQuery {
            kind: Some(Kind::LctsSettlement),
            epoch: Some(epoch),
            after,
            limit: 500,
            ..Default::default()
        })?;
        records.extend(page);
        let Some(n) = next else { break };
        after = n;
    }
    let gov = CheckerGov::read(syn)?;
    let mut out = Vec::new();
    for (holding, queues) in &holdings {
        let mine: Vec<&SignedRecord> = records
            .iter()
            .filter(|r| r.content.payload.get("holding") == Some(&json!(holding)))
            .collect();
        out.extend(check_holding(
            chain, &log, cal, &gov, epoch, *holding, queues, &mine,
        )?);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn check_holding(
    chain: &dyn Chain,
    log: &[Event],
    cal: &Calendar,
    gov: &CheckerGov,
    epoch: EpochId,
    holding: Address,
    queues: &BTreeMap<&'static str, Address>,
    mine: &[&SignedRecord],
) -> Result<Vec<Finding>, CheckError> {
    let now = chain.now();
    let subject = format!("lcts:{holding}");
    let (lock_at, moment) = (epoch.lock(), epoch.moment());
    let next_lock = epoch
        .next()
        .map(|n| n.lock())
        .unwrap_or(Timestamp(u64::MAX));
    let mut out = Vec::new();
    let info = match chain.view(holding, &Query::HoldingSystem(HoldingSystemView::Info)) {
        Ok(Answer::HoldingSystem(HoldingSystemAnswer::Info(i))) => *i,
        other => {
            return Err(CheckError::View(format!(
                "holding system {holding}: {other:?}"
            )))
        }
    };
    let locks: BTreeMap<&'static str, (u64, Timestamp, u64, Wad)> = queues
        .iter()
        .filter_map(|(side, q)| {
            log.iter()
                .find_map(|e| match &e.kind {
                    EventKind::LctsQueue(LctsEvent::LctsLock {
                        generation,
                        total_underlying_wad,
                        ..
                    }) if e.contract == *q
                        && e.block_time >= lock_at
                        && e.block_time < next_lock =>
                    {
                        Some((e.seq, e.block_time, *generation, *total_underlying_wad))
                    }
                    _ => None,
                })
                .map(|l| (*side, l))
        })
        .collect();
    if cal.is_skipped(epoch) {
        let mut clean = true;
        if !mine.is_empty() {
            clean = false;
            out.push(finding(
                "lcts-record",
                Status::Mismatch,
                &subject,
                format!(
                    "{} lcts-settlement record(s) for a skipped epoch",
                    mine.len()
                ),
            ));
        }
        for (side, (seq, t, g, _)) in &locks {
            clean = false;
            out.push(finding(
                "lcts-lock",
                Status::UnexpectedMutation,
                &format!("{subject}/{side}"),
                format!("generation {g} locked at {} (event {seq}) in a skipped epoch: the queues must stay ACTIVE", t.0),
            ));
        }
        if clean {
            out.push(finding(
                "lcts-skip",
                Status::Ok,
                &subject,
                "skipped: no lock, no record; the queues stay ACTIVE".into(),
            ));
        }
        return Ok(out);
    }
    if now < lock_at {
        return Ok(out);
    }
    // Settles: the first after each lock.
    let mut settles: BTreeMap<&'static str, (u64, Timestamp, LctsSettled)> = BTreeMap::new();
    for (side, q) in queues {
        let subj = format!("{subject}/{side}");
        let expected = active_at(log, *q, lock_at);
        let lock = locks.get(side);
        match (expected, lock) {
            (true, Some((_, t, g, _))) if *t == lock_at => out.push(finding(
                "lcts-lock",
                Status::Ok,
                &subj,
                format!("generation {g} locked at 13:00"),
            )),
            (true, Some((_, t, g, _))) => out.push(finding(
                "lcts-lock",
                Status::Late,
                &subj,
                format!("generation {g} locked at {}, after 13:00", t.0),
            )),
            (true, None) => out.push(finding(
                "lcts-lock",
                Status::Missing,
                &subj,
                "an ACTIVE generation at 13:00 was not locked".into(),
            )),
            (false, Some((_, t, g, _))) => out.push(finding(
                "lcts-lock",
                Status::Mismatch,
                &subj,
                format!(
                    "generation {g} locked at {} although it was not ACTIVE at 13:00",
                    t.0
                ),
            )),
            (false, None) => out.push(finding(
                "lcts-lock",
                Status::Ok,
                &subj,
                "nothing ACTIVE at 13:00: nothing to lock".into(),
            )),
        }
        let Some((lseq, _, g, total)) = lock else {
            continue;
        };
        let settle = log.iter().find_map(|e| match &e.kind {
            EventKind::LctsQueue(LctsEvent::LctsSettle(s)) if e.contract == *q && e.seq > *lseq => {
                Some((e.seq, e.block_time, (**s).clone()))
            }
            _ => None,
        });
        // Not mutated while LOCKED: no entry, claim, exit or second lock on the generation.
        let end = settle.as_ref().map_or(u64::MAX, |s| s.0);
        let touched: Vec<String> = log
            .iter()
            .filter(|e| e.contract == *q && e.seq > *lseq && e.seq < end)
            .filter_map(|e| match &e.kind {
                EventKind::LctsQueue(
                    LctsEvent::LctsEnter { generation, .. }
                    | LctsEvent::LctsExit { generation, .. }
                    | LctsEvent::LctsClaim { generation, .. }
                    | LctsEvent::LctsLock { generation, .. },
                ) if generation == g => Some(format!(
                    "{} (event {}, tx {})",
                    e.kind.name(),
                    e.seq,
                    e.tx_index
                )),
                _ => None,
            })
            .collect();
        let conserved = settle.as_ref().is_none_or(|(_, _, s)| {
            s.converted_wad.checked_add(s.remaining_wad).ok() == Some(*total)
        });
        if touched.is_empty() && conserved {
            out.push(finding(
                "lcts-locked",
                Status::Ok,
                &subj,
                format!("generation {g} unchanged while LOCKED"),
            ));
        } else {
            let mut ev = touched;
            if !conserved {
                ev.push(format!("settled underlying ≠ the {total} locked"));
            }
            out.push(finding(
                "lcts-locked",
                Status::UnexpectedMutation,
                &subj,
                format!("generation {g} changed while LOCKED: {}", ev.join("; ")),
            ));
        }
        match &settle {
            Some((_, t, _)) if *t > moment => out.push(finding(
                "lcts-settle",
                Status::Late,
                &subj,
                format!("settled at {}, after 16:00", t.0),
            )),
            Some(_) => {}
            None if now > moment => out.push(finding(
                "lcts-settle",
                Status::Missing,
                &subj,
                format!("generation {g} locked but not settled by 16:00"),
            )),
            None => {}
        }
        if let Some(s) = settle {
            settles.insert(side, s);
        }
    }
    // The record, once the settlement is due.
    if now >= moment {
        let update = log.iter().find_map(|e| match &e.kind {
            EventKind::HoldingSystem(HoldingEvent::SrusdsRateUpdated(u))
                if e.contract == holding && e.block_time >= moment && e.block_time < next_lock =>
            {
                Some((e.seq, e.block_time, (**u).clone()))
            }
            _ => None,
        });
        match mine {
            [] => out.push(finding(
                "lcts-record",
                Status::Missing,
                &subject,
                format!("no lcts-settlement record for {epoch}"),
            )),
            [rec] => {
                match expected_record(
                    log,
                    gov,
                    cal,
                    epoch,
                    holding,
                    queues,
                    &info,
                    &locks,
                    &settles,
                    update.as_ref(),
                    rec,
                ) {
                    Ok((expected, capacity)) => {
                        let theirs = &rec.content.payload;
                        let differs = expected.as_object().and_then(|o| {
                            o.iter()
                                .find(|(k, v)| theirs.get(k.as_str()) != Some(v))
                                .map(|(k, v)| (k.clone(), v.clone()))
                        });
                        match differs {
                            None => out.push(finding("lcts-record", Status::Ok, &subject, format!("record {} recomputed field for field", rec.id))),
                            Some((field, want)) => out.push(finding(
                                "lcts-record",
                                Status::Mismatch,
                                &subject,
                                format!("record {} differs at `{field}`: it says {}, the chain and the Synome give {}", rec.id, short(theirs.get(&field)), short(Some(&want))),
                            )),
                        }
                        // The chain's settles did what the capacity rule says.
                        for (side, (_, _, s)) in &settles {
                            let (cap, conv, outp) = if *side == "subscribe" {
                                (
                                    capacity.subscribe.settle_capacity_susds_wad,
                                    capacity.subscribe.converted_susds_wad,
                                    capacity.subscribe.output_srusds_wad,
                                )
                            } else {
                                (
                                    capacity.redeem.settle_capacity_srusds_wad,
                                    capacity.redeem.converted_srusds_wad,
                                    capacity.redeem.output_susds_wad,
                                )
                            };
                            let subj = format!("{subject}/{side}");
                            if (s.capacity_wad, s.converted_wad, s.output_wad) == (cap, conv, outp)
                            {
                                out.push(finding(
                                    "lcts-settle",
                                    Status::Ok,
                                    &subj,
                                    format!("settled {conv} → {outp} with capacity {cap}"),
                                ));
                            } else {
                                out.push(finding("lcts-settle", Status::Mismatch, &subj, format!(
                                    "chain settled capacity {} converting {} → {}; the capacity rule gives {cap}, {conv} → {outp}",
                                    s.capacity_wad, s.converted_wad, s.output_wad
                                )));
                            }
                        }
                    }
                    Err(reason) => out.push(finding(
                        "lcts-record",
                        Status::Mismatch,
                        &subject,
                        format!("record {} cannot be recomputed: {reason}", rec.id),
                    )),
                }
            }
            many => out.push(finding(
                "lcts-record",
                Status::Mismatch,
                &subject,
                format!("{} lcts-settlement records for one epoch", many.len()),
            )),
        }
    }
    // Invariant 7 after the epoch's settle step and now; invariant 6 now.
    let after_settle = settles.values().map(|s| s.0).max();
    let mut backing = Vec::new();
    if let Some(seq) = after_settle {
        let r = replay(log, holding, info.susds, info.srusds, seq + 1);
        if !rate::is_backed(
            r.xr,
            Wad::from_raw(r.supply),
            Wad::from_raw(r.holding_susds),
        ) && !r.haircut_open
        {
            backing.push(format!(
                "after the settle: xr {} × supply {} > holding {} sUSDS",
                r.xr,
                Wad::from_raw(r.supply),
                Wad::from_raw(r.holding_susds)
            ));
        }
    }
    let recorded_haircut = info.haircut_open
        && log.iter().any(|e| {
            e.contract == holding
                && matches!(
                    &e.kind,
                    EventKind::HoldingSystem(HoldingEvent::SrusdsHaircut(_))
                )
        });
    if !rate::is_backed(
        info.exchange_rate_wad,
        info.srusds_supply_wad,
        info.holding_susds_wad,
    ) && !recorded_haircut
    {
        backing.push(format!(
            "now: xr {} × supply {} > holding {} sUSDS with no recorded haircut",
            info.exchange_rate_wad, info.srusds_supply_wad, info.holding_susds_wad
        ));
    }
    if backing.is_empty() {
        out.push(finding(
            "lcts-backing",
            Status::Ok,
            &subject,
            "xr·supply ≤ holding sUSDS (invariant 7)".into(),
        ));
    } else {
        out.push(finding(
            "lcts-backing",
            Status::BackingBreach,
            &subject,
            backing.join("; "),
        ));
    }
    for (side, q) in queues {
        let subj = format!("{subject}/{side}");
        let qi = match chain.view(*q, &Query::LctsQueue(LctsQueueView::Queue)) {
            Ok(Answer::LctsQueue(LctsQueueAnswer::Queue(i))) => *i,
            other => return Err(CheckError::View(format!("queue {q}: {other:?}"))),
        };
        let bal = |token: Address| -> Result<Wad, CheckError> {
            let q_ = if token == info.susds {
                Query::Savings(SavingsView::Token(TokenView::BalanceOf { account: *q }))
            } else {
                Query::Erc20(TokenView::BalanceOf { account: *q })
            };
            match chain.view(token, &q_) {
                Ok(Answer::Erc20(TokenAnswer::Balance { balance }))
                | Ok(Answer::Savings(SavingsAnswer::Token(TokenAnswer::Balance { balance }))) => {
                    Ok(balance)
                }
                other => Err(CheckError::View(format!("balance of {q}: {other:?}"))),
            }
        };
        let underlying = qi.generation.map_or(Wad::ZERO, |g| g.total_underlying_wad);
        let owed = qi
            .rewards_minted_wad
            .raw()
            .saturating_sub(qi.rewards_paid_wad.raw());
        let (ub, rb) = (bal(qi.underlying)?, bal(qi.reward)?);
        if ub == underlying && rb.raw() == owed {
            out.push(finding(
                "lcts-conservation",
                Status::Ok,
                &subj,
                "underlying and rewards conserved (invariant 6)".into(),
            ));
        } else {
            out.push(finding(
                "lcts-conservation",
                Status::Mismatch,
                &subj,
                format!(
                "queue holds {ub} underlying for {underlying} waiting and {rb} rewards for {} owed",
                Wad::from_raw(owed)
            ),
            ));
        }
    }
    Ok(out)
}

fn short(v: Option<&Value>) -> String {
    let s = v.map_or("nothing".to_string(), |v| v.to_string());
    if s.len() > 120 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(120).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

/// What the record must say, rebuilt from the log (forwards), the views and the Synome.
#[allow(clippy::too_many_arguments)]
fn expected_record(
    log: &[Event],
    gov: &CheckerGov,
    cal: &Calendar,
    epoch: EpochId,
    holding: Address,
    queues: &BTreeMap<&'static str, Address>,
    info: &HoldingInfo,
    locks: &BTreeMap<&'static str, (u64, Timestamp, u64, Wad)>,
    settles: &BTreeMap<&'static str, (u64, Timestamp, LctsSettled)>,
    update: Option<&(u64, Timestamp, RateUpdated)>,
    rec: &SignedRecord,
) -> Result<(Value, capacity::CapacityRecord), String> {
    // The settle step starts at its first event; with none, at the record's own instant.
    let first = update
        .map(|u| (u.0, u.1))
        .into_iter()
        .chain(settles.values().map(|s| (s.0, s.1)))
        .min();
    let (pos, at) = match first {
        Some(x) => x,
        None => {
            let at: Timestamp = serde_json::from_value(rec.content.payload["settled_at"].clone())
                .map_err(|e| format!("settled_at: {e}"))?;
            let pos = log
                .iter()
                .find(|e| e.block_time > at)
                .map_or(u64::MAX, |e| e.seq);
            (pos, at)
        }
    };
    let r = replay(log, holding, info.susds, info.srusds, pos);
    let (xr_before, premium, elapsed) = match update {
        Some((_, t, u)) => (
            u.exchange_rate_before_wad,
            u.premium_apr,
            u.elapsed_s.min(t.0),
        ),
        None => (
            r.xr,
            r.premium.unwrap_or(info.premium_apr),
            at.0.saturating_sub(r.last_update.unwrap_or(info.last_update).0),
        ),
    };
    let step = exchange_rate_step(&ExchangeRateInputs {
        exchange_rate_wad: xr_before,
        premium_apr: premium,
        elapsed_s: elapsed,
        holding_susds_wad: Wad::from_raw(r.holding_susds),
        srusds_supply_wad: Wad::from_raw(r.supply),
        haircut: None,
    })
    .map_err(|e| format!("{}: {e}", e.code()))?;
    let own = gov.published(epoch)?;
    let mut previous = None;
    let mut e = epoch;
    while let Ok(Some(p)) = cal.previous_executed(e) {
        if let Some(g) = gov.published(p)? {
            previous = Some(g);
            break;
        }
        e = p;
    }
    let inputs = CapacityInputs {
        epoch,
        subscribe_queue_susds_wad: locks.get("subscribe").map_or(Wad::ZERO, |l| l.3),
        redeem_queue_srusds_wad: locks.get("redeem").map_or(Wad::ZERO, |l| l.3),
        exchange_rate_wad: step.exchange_rate_after_wad,
        holding_susds_wad: Wad::from_raw(r.holding_susds),
        susds_chi_ray: r.chi,
        governance: own,
        previous_governance: previous,
    };
    let c = capacity::compute(&inputs).map_err(|e| format!("{}: {e}", e.code()))?;
    let fallback = match serde_json::to_value(c.fallback) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    };
    let expected = json!({
        "holding": holding,
        "subscribe_queue": queues.get("subscribe"),
        "redeem_queue": queues.get("redeem"),
        "subscribe_generation": locks.get("subscribe").map(|l| l.2),
        "redeem_generation": locks.get("redeem").map(|l| l.2),
        "fallback_used": fallback,
        "governance_epoch": c.governance_epoch,
        "rate_before_wad": step.inputs.exchange_rate_wad,
        "rate_after_wad": step.exchange_rate_after_wad,
        "subscribe_converted_susds_wad": c.subscribe.converted_susds_wad,
        "subscribe_output_srusds_wad": c.subscribe.output_srusds_wad,
        "redeem_converted_srusds_wad": c.redeem.converted_srusds_wad,
        "redeem_output_susds_wad": c.redeem.output_susds_wad,
        "exchange_rate": serde_json::to_value(&step).unwrap_or(Value::Null),
        "capacity": serde_json::to_value(&c).unwrap_or(Value::Null),
        "settled_at": at,
    });
    Ok((expected, c))
}
