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
    #[error("epoch {epoch}: the {side} queue is locked but not settled yet: settle before recording")]
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
                        supply = supply
                            .checked_sub(v)
                            .ok_or_else(|| bad("srUSDS supply"))?;
                    } else if *to == Address::ZERO {
                        supply = supply
                            .checked_add(v)
                            .ok_or_else(|| bad("srUSDS supply"))?;
                    }
                }
            }
        }
        let chi = r
            .log
            .iter()
            .filter(|e| e.seq < pos && e.contract == info.susds)
            .filter_map(|e| match &e.kind {
                EventKind::Savings(SavingsEvent::Drip { chi_ray, .. }) => Some(*chi_ray),
                _ => None,
            })
            .last()
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
            let p: ParameterSet = serde_json::from_value(r.content.payload.clone()).map_err(
                |e| GovError::BadPayload {
                    record: r.id,
                    kind: "parameter-set",
                    reason: e.to_string(),
                },
            )?;
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
                    && q.info.as_ref().is_some_and(|i| i.status == QueueStatus::Active)
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
        Ok(lcts_records(syn, epoch)?
            .into_iter()
            .find(|r| r.content.author == me && r.content.payload["holding"] == json!(self.cfg.holding)))
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
