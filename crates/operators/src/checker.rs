//! The lpla-checker (SPEC §5.5): read-only on the chain, it re-derives an epoch's statements by
//! its own reading of the chain and the Synome and writes one signed verification report.
//!
//! Contract:
//! - **Independent.** It shares no code with the settlement operator's reader, governance
//!   reading or book (`reader`, `governance`, `book`, `settlement`): only the deployment
//!   description (a plain struct), the pure settlement maths and the public chain/Synome APIs.
//!   Its histories are rebuilt *backwards*: from each balance the views show now, undoing the
//!   logged changes one by one (the operator replays forwards from zero), so a log that does not
//!   add up to the views shows as a `mismatch` rather than being shared by both. Parameters are
//!   read with its own statement of the effective-instant rule (`docs/operators.md`).
//! - **Read-only on the chain**: it calls `view` and `events_since`, never `submit`.
//! - **Findings**, each with a stable code, a subject and the evidence: `ok`; `missing` (no
//!   statement for an active Prime; an epoch with neither statements nor a skip record; an
//!   obligation with no payment by now); `late` (a statement posted after the due time, or an
//!   obligation paid after 16:00); `mismatch` (a recomputed statement differs from the posted one
//!   in any field); `unexpected-mutation` (a transaction inside the epoch's Processing Window
//!   that is neither a settlement payment nor an emergency removal).
//! - **One report per epoch**: [`Checker::report`] writes it once (the checker's own report for
//!   that epoch already stored means done); it is run at or after the Moment of Settlement, when
//!   timeliness can be judged.

use crate::reader::Deployment;
use alloy_primitives::{Address, B256, U256};
use laniakea_chain::families::savings::{SavingsAnswer, SavingsEvent, SavingsView};
use laniakea_chain::families::token::{TokenAnswer, TokenEvent, TokenView};
use laniakea_chain::families::vat::{VatAnswer, VatEvent, VatView};
use laniakea_chain::{mcd, Answer, Chain, Event, EventKind, Query};
use laniakea_settlement::calendar::Calendar;
use laniakea_settlement::statement::{self, IdleLocation, PrimeInputs};
use laniakea_settlement::{BalanceHistory, Convention, EpochId, Provenance, Rates, Window};
use laniakea_synome::record::payload;
use laniakea_synome::{
    Draft, Kind, Query as SQuery, SignedRecord, Store, Synome, SynomeError, Writer,
};
use laniakea_units::{Apr, Timestamp, Wad, RAY};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// A finding's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Status {
    Ok,
    Late,
    Missing,
    Mismatch,
    UnexpectedMutation,
    BackingBreach,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was checked (`statement`, `posting`, `payment`, `skip`, `window-mutations`).
    pub check: &'static str,
    pub status: Status,
    pub subject: String,
    pub evidence: String,
}

#[derive(Debug, Error)]
pub enum CheckError {
    #[error("synome: {0}")]
    Synome(#[from] SynomeError),
    #[error("view failed: {0}")]
    View(String),
    #[error("epoch {epoch} cannot be checked: {reason}")]
    Epoch { epoch: EpochId, reason: String },
}

impl CheckError {
    pub fn code(&self) -> &'static str {
        match self {
            CheckError::Synome(_) => "checker/synome",
            CheckError::View(_) => "checker/view",
            CheckError::Epoch { .. } => "checker/epoch",
        }
    }
}

/// Per Prime: OSRC allocation [wad] and its premium rate.
type OsrcByPrime = BTreeMap<String, (Wad, Apr)>;

pub struct Checker {
    pub deployment_start: Timestamp,
    pub deployment: Deployment,
    pub writer: Writer,
}

fn records<S: Store>(syn: &mut Synome<S>, kind: Kind) -> Result<Vec<SignedRecord>, SynomeError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (page, next) = syn.list(&SQuery {
            kind: Some(kind),
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

/// Values after each change, rebuilt backwards from `now_value` by undoing `undo` per event.
fn rewind<T: Clone>(
    now_state: T,
    events: &[&Event],
    value: impl Fn(&T) -> U256,
    undo: impl Fn(&mut T, &Event) -> bool,
) -> (U256, Vec<(Timestamp, U256)>) {
    let mut state = now_state;
    let mut after: Vec<(Timestamp, U256)> = Vec::new();
    for ev in events.iter().rev() {
        let v = value(&state);
        if undo(&mut state, ev) {
            after.push((ev.block_time, v));
        }
    }
    after.reverse();
    (value(&state), after)
}

/// The balance at each instant: the last value set at or before it.
fn cut(initial: U256, after: &[(Timestamp, U256)], w: Window) -> BalanceHistory {
    let at = |t: Timestamp| {
        after
            .iter()
            .rev()
            .find(|(c, _)| *c <= t)
            .map_or(initial, |(_, v)| *v)
    };
    let mut changes: Vec<(Timestamp, U256)> = Vec::new();
    let mut last = at(w.start);
    let mut times: Vec<Timestamp> = after
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| *t > w.start && *t < w.end)
        .collect();
    times.dedup();
    for t in times {
        let v = at(t);
        if v != last {
            changes.push((t, v));
            last = v;
        }
    }
    BalanceHistory::new(at(w.start), changes)
        .unwrap_or_else(|e| panic!("bug: changes are in time order: {e}"))
}

fn effect_instant(effective: EpochId, published: Timestamp) -> Timestamp {
    // The first day on or after `effective` whose 13:00 had not passed at publication.
    let published_day = EpochId::date_of(published).unwrap_or(effective);
    let first_open = if published < published_day.lock() {
        published_day
    } else {
        published_day.next().unwrap_or(published_day)
    };
    effective.max(first_open).moment()
}

impl Checker {
    fn view(&self, chain: &dyn Chain, to: Address, q: Query) -> Result<Answer, CheckError> {
        chain
            .view(to, &q)
            .map_err(|e| CheckError::View(format!("{q:?}: {}", e.code())))
    }

    /// The checker's own histories of one Prime for a window (backwards from the views).
    fn histories(
        &self,
        chain: &dyn Chain,
        log: &[Event],
        proxy: Address,
        ilk_name: &str,
        w: Window,
    ) -> Result<[BalanceHistory; 3], CheckError> {
        let d = &self.deployment;
        let ilk_id =
            mcd::ilk_id(ilk_name).ok_or_else(|| CheckError::View(format!("bad ilk {ilk_name}")))?;
        let ilk = laniakea_chain::call::Ilk(ilk_id);
        let (art_now, rate_now) =
            match self.view(chain, d.vat, Query::Vat(VatView::IlkInfo { ilk }))? {
                Answer::Vat(VatAnswer::Ilk {
                    art_total, rate, ..
                }) => (art_total.raw(), rate.raw()),
                a => return Err(CheckError::View(format!("ilk answer {a:?}"))),
            };
        let vat_events: Vec<&Event> = log
            .iter()
            .filter(|e| e.contract == d.vat)
            .filter(|e| match &e.kind {
                EventKind::Vat(VatEvent::Frob { ilk, .. })
                | EventKind::Vat(VatEvent::Fold { ilk, .. }) => *ilk == ilk_id,
                _ => false,
            })
            .collect();
        let (debt0, debt) = rewind(
            (art_now, rate_now),
            &vat_events,
            |(a, r)| a.saturating_mul(*r) / RAY,
            |(a, r), e| {
                match &e.kind {
                    EventKind::Vat(VatEvent::Frob {
                        dart_up_wad,
                        dart_down_wad,
                        ..
                    }) => {
                        *a = a
                            .saturating_sub(dart_up_wad.raw())
                            .saturating_add(dart_down_wad.raw())
                    }
                    EventKind::Vat(VatEvent::Fold { rate_delta_ray, .. }) => {
                        *r = r.saturating_sub(rate_delta_ray.raw())
                    }
                    _ => return false,
                }
                true
            },
        );
        let token_rewind = |token: Address, now: U256| {
            let evs: Vec<&Event> = log
                .iter()
                .filter(|e| e.contract == token)
                .filter(|e| matches!(&e.kind, EventKind::Erc20(TokenEvent::Transfer { from, to, .. }) if *from == proxy || *to == proxy))
                .collect();
            rewind(
                now,
                &evs,
                |v| *v,
                |v, e| {
                    if let EventKind::Erc20(TokenEvent::Transfer {
                        from,
                        to,
                        value_wad,
                    }) = &e.kind
                    {
                        if *to == proxy && *from != proxy {
                            *v = v.saturating_sub(value_wad.raw());
                        } else if *from == proxy && *to != proxy {
                            *v = v.saturating_add(value_wad.raw());
                        }
                    }
                    true
                },
            )
        };
        let usds_now = match self.view(
            chain,
            d.usds,
            Query::Erc20(TokenView::BalanceOf { account: proxy }),
        )? {
            Answer::Erc20(TokenAnswer::Balance { balance }) => balance.raw(),
            a => return Err(CheckError::View(format!("balance answer {a:?}"))),
        };
        let shares_now = match self.view(
            chain,
            d.susds,
            Query::Savings(SavingsView::Token(TokenView::BalanceOf { account: proxy })),
        )? {
            Answer::Savings(SavingsAnswer::Token(TokenAnswer::Balance { balance })) => {
                balance.raw()
            }
            a => return Err(CheckError::View(format!("shares answer {a:?}"))),
        };
        let (usds0, usds) = token_rewind(d.usds, usds_now);
        let (shares0, shares) = token_rewind(d.susds, shares_now);
        // sUSDS value = shares × chi as last dripped: merge the share changes with the drips.
        let drips: Vec<(Timestamp, U256)> = log
            .iter()
            .filter(|e| e.contract == d.susds)
            .filter_map(|e| match &e.kind {
                EventKind::Savings(SavingsEvent::Drip { chi_ray, .. }) => {
                    Some((e.block_time, chi_ray.raw()))
                }
                _ => None,
            })
            .collect();
        let mut instants: Vec<Timestamp> = shares
            .iter()
            .map(|x| x.0)
            .chain(drips.iter().map(|x| x.0))
            .collect();
        instants.sort();
        instants.dedup();
        let shares_at = |t: Timestamp| {
            shares
                .iter()
                .rev()
                .find(|(c, _)| *c <= t)
                .map_or(shares0, |x| x.1)
        };
        let chi_at = |t: Timestamp| {
            drips
                .iter()
                .rev()
                .find(|(c, _)| *c <= t)
                .map_or(RAY, |x| x.1)
        };
        let value: Vec<(Timestamp, U256)> = instants
            .into_iter()
            .map(|t| (t, shares_at(t).saturating_mul(chi_at(t)) / RAY))
            .collect();
        let value0 = shares0.saturating_mul(RAY) / RAY;
        Ok([
            cut(debt0, &debt, w),
            cut(usds0, &usds, w),
            cut(value0, &value, w),
        ])
    }

    /// Parameters in force at `at`: for each field, the latest effect at or before it.
    fn rates_at(&self, sets: &[SignedRecord], at: Timestamp) -> Option<(Rates, OsrcByPrime)> {
        let mut live: Vec<(Timestamp, u64, payload::ParameterSet)> = Vec::new();
        let superseded: BTreeSet<B256> = sets.iter().filter_map(|r| r.content.supersedes).collect();
        for (i, r) in sets.iter().enumerate() {
            if superseded.contains(&r.id) {
                continue;
            }
            let Ok(p) = serde_json::from_value::<payload::ParameterSet>(r.content.payload.clone())
            else {
                continue;
            };
            let eff = effect_instant(p.effective_epoch, r.content.created_at);
            if eff <= at {
                live.push((eff, i as u64, p));
            }
        }
        live.sort_by_key(|(eff, i, _)| (*eff, *i));
        let base = live.iter().rev().find_map(|(_, _, p)| p.base_rate_apr)?;
        let ssr = live.iter().rev().find_map(|(_, _, p)| p.ssr_apr)?;
        let osrc = live
            .iter()
            .rev()
            .find(|(_, _, p)| !p.osrc.is_empty())
            .map(|(_, _, p)| {
                p.osrc
                    .iter()
                    .map(|o| (o.prime.clone(), (o.allocation_wad, o.rate_apr)))
                    .collect()
            })
            .unwrap_or_default();
        Some((Rates::new(base, ssr).ok()?, osrc))
    }

    /// The penalty rate in force at `at` [wad per hour].
    fn penalty_rate_at(&self, sets: &[SignedRecord], at: Timestamp) -> Option<Wad> {
        let mut best: Option<(Timestamp, usize, Wad)> = None;
        for (i, r) in sets.iter().enumerate() {
            let Ok(p) = serde_json::from_value::<payload::ParameterSet>(r.content.payload.clone())
            else {
                continue;
            };
            let (Some(rate), eff) = (
                p.penalty_rate_per_hour_wad,
                effect_instant(p.effective_epoch, r.content.created_at),
            ) else {
                continue;
            };
            if eff <= at && best.is_none_or(|(t, j, _)| (eff, i) > (t, j)) {
                best = Some((eff, i, rate));
            }
        }
        best.map(|b| b.2)
    }

    /// Penalties on a Prime's statement obligations up to `t`: for each obligation,
    /// `⌊∫ unpaid dt · rate / (3600·1e18)⌋` from its due time, unpaid reduced by its receipts.
    fn expected_penalties(
        statements: &[SignedRecord],
        receipts: &[(Option<EpochId>, payload::PaymentReceipt)],
        penalty_refs: &BTreeSet<String>,
        prime: &str,
        rate: Wad,
        t: Timestamp,
    ) -> U256 {
        let subject = format!("prime:{prime}");
        let mut total = U256::ZERO;
        for r in statements.iter().filter(|r| r.content.subject == subject) {
            let Some(e) = r.content.epoch else { continue };
            let Ok(amount) = serde_json::from_value::<Wad>(
                r.content.payload["statement"]["amount_due_wad"].clone(),
            ) else {
                continue;
            };
            let due = e.moment();
            if amount.is_zero() || t <= due {
                continue;
            }
            let mut pays: Vec<(Timestamp, U256)> = receipts
                .iter()
                .filter(|(re, p)| {
                    *re == Some(e) && p.prime == prime && !penalty_refs.contains(&p.obligation)
                })
                .map(|(_, p)| (p.paid_at, p.amount_wad.raw()))
                .collect();
            pays.sort();
            let mut unpaid = amount.raw();
            let mut from = due;
            let mut integral = U256::ZERO;
            for (at, x) in pays {
                if at >= t {
                    break;
                }
                if at > from {
                    integral =
                        integral.saturating_add(unpaid.saturating_mul(U256::from(at.0 - from.0)));
                    from = at;
                }
                unpaid = unpaid.saturating_sub(x);
            }
            integral = integral.saturating_add(unpaid.saturating_mul(U256::from(t.0 - from.0)));
            let den = U256::from(3600u32).saturating_mul(laniakea_units::WAD);
            total = total.saturating_add(
                laniakea_units::math::mul_div_floor(integral, rate.raw(), den).unwrap_or(U256::MAX),
            );
        }
        total
    }

    /// Every finding for `epoch` as of the chain's time.
    pub fn check<S: Store>(
        &self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<Vec<Finding>, CheckError> {
        let now = chain.now();
        let mut findings = Vec::new();
        let skips: Vec<EpochId> = records(syn, Kind::Skip)?
            .iter()
            .filter_map(|r| {
                serde_json::from_value::<payload::Skip>(r.content.payload.clone())
                    .ok()
                    .filter(|s| r.content.created_at < s.epoch.lock())
            })
            .map(|s| s.epoch)
            .collect();
        let cal = Calendar::new(self.deployment_start, skips.iter().copied()).map_err(|e| {
            CheckError::Epoch {
                epoch,
                reason: e.to_string(),
            }
        })?;
        let statements = records(syn, Kind::SettlementStatement)?;
        // Skips documented: every day since the first epoch up to this one either has
        // statements or a skip record.
        let mut day = cal.first_epoch();
        while day <= epoch {
            let has = statements.iter().any(|r| r.content.epoch == Some(day));
            if !has && !cal.is_skipped(day) && day.lock() <= now {
                findings.push(Finding {
                    check: "skip",
                    status: Status::Missing,
                    subject: format!("epoch:{day}"),
                    evidence: "no statement and no skip record: a missed settlement".into(),
                });
            }
            match day.next() {
                Ok(n) => day = n,
                Err(_) => break,
            }
        }
        findings.extend(crate::lcts::check_epoch(chain, syn, &cal, epoch)?);
        if cal.is_skipped(epoch) {
            findings.push(Finding {
                check: "skip",
                status: Status::Ok,
                subject: format!("epoch:{epoch}"),
                evidence: "skipped by a skip record written before the lock".into(),
            });
            return Ok(findings);
        }
        let window = cal.window(epoch).map_err(|e| CheckError::Epoch {
            epoch,
            reason: e.to_string(),
        })?;
        let seq = cal.seq(epoch).map_err(|e| CheckError::Epoch {
            epoch,
            reason: e.to_string(),
        })?;
        let sets = records(syn, Kind::ParameterSet)?;
        let (rates, osrc) = self
            .rates_at(&sets, epoch.lock())
            .ok_or(CheckError::Epoch {
                epoch,
                reason: "no Base Rate or SSR in force at the lock".into(),
            })?;
        let log = chain.events_since(0);
        let all_receipts: Vec<(Option<EpochId>, payload::PaymentReceipt)> =
            records(syn, Kind::PaymentReceipt)?
                .into_iter()
                .filter_map(|r| {
                    serde_json::from_value(r.content.payload)
                        .ok()
                        .map(|p| (r.content.epoch, p))
                })
                .collect();
        let penalty_events: Vec<payload::PenaltyEvent> = records(syn, Kind::PenaltyEvent)?
            .into_iter()
            .filter_map(|r| serde_json::from_value(r.content.payload).ok())
            .collect();
        let penalty_refs: BTreeSet<String> = penalty_events
            .iter()
            .map(|p| p.obligation.clone())
            .collect();
        let penalty_rate = self.penalty_rate_at(&sets, epoch.moment());
        let receipts: Vec<payload::PaymentReceipt> = records(syn, Kind::PaymentReceipt)?
            .into_iter()
            .filter(|r| r.content.epoch == Some(epoch))
            .filter_map(|r| serde_json::from_value(r.content.payload).ok())
            .collect();
        for p in &self.deployment.primes {
            let subject = format!("prime:{}", p.prime);
            let [debt, idle, susds] =
                self.histories(chain, &log, p.alm_proxy, &p.legacy_ilk, window)?;
            let (alloc, rate) = osrc
                .get(&p.prime)
                .copied()
                .unwrap_or((Wad::ZERO, Apr::ZERO));
            let posted: Vec<&SignedRecord> = statements
                .iter()
                .filter(|r| r.content.epoch == Some(epoch) && r.content.subject == subject)
                .collect();
            let Some(rec) = posted.first() else {
                findings.push(Finding {
                    check: "posting",
                    status: Status::Missing,
                    subject: subject.clone(),
                    evidence: format!("no statement for {epoch}"),
                });
                continue;
            };
            // Penalties carried: those crystallised after this Prime's previous statement was
            // posted, up to this one's posting instant (SPEC §5.4: added to the next statement).
            let this_post = rec.content.created_at;
            let prev_post = statements
                .iter()
                .filter(|r| {
                    r.content.subject == subject && r.content.epoch.is_some_and(|e| e < epoch)
                })
                .map(|r| r.content.created_at)
                .max()
                .unwrap_or(Timestamp(0));
            let mut carried: Vec<(Timestamp, u64, statement::CarriedPenalty)> = penalty_events
                .iter()
                .filter(|x| x.prime == p.prime && x.to > prev_post && x.to <= this_post)
                .map(|x| {
                    let n = x
                        .obligation
                        .rsplit("#p")
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(u64::MAX);
                    (
                        x.to,
                        n,
                        statement::CarriedPenalty {
                            penalty_id: x.obligation.clone(),
                            amount_wad: x.amount_wad,
                        },
                    )
                })
                .collect();
            carried.sort_by_key(|(t, n, _)| (*t, *n));
            let inputs = PrimeInputs {
                prime: p.prime.clone(),
                provenance: Provenance::SystemDerived,
                debt_legacy: debt,
                debt_vault: BalanceHistory::default(),
                idle_usds: vec![IdleLocation {
                    location: "alm-proxy".into(),
                    balance: idle,
                }],
                idle_susds_value: susds,
                sky_direct: Vec::new(),
                osrc_allocation: BalanceHistory::constant(alloc.raw()),
                osrc_rate_apr: rate,
                carried_penalties: carried.into_iter().map(|c| c.2).collect(),
            };
            let mine =
                statement::compute(epoch, seq, window, rates, Convention::default(), &inputs)
                    .map_err(|e| CheckError::Epoch {
                        epoch,
                        reason: e.to_string(),
                    })?;
            if posted.len() > 1 {
                findings.push(Finding {
                    check: "posting",
                    status: Status::Mismatch,
                    subject: subject.clone(),
                    evidence: format!("{} statements for one epoch", posted.len()),
                });
            }
            let theirs = &rec.content.payload["statement"];
            let ours = serde_json::to_value(&mine).unwrap_or(Value::Null);
            if *theirs == ours {
                findings.push(Finding {
                    check: "statement",
                    status: Status::Ok,
                    subject: subject.clone(),
                    evidence: format!(
                        "recomputed bit for bit (input digest {})",
                        mine.input_digest
                    ),
                });
            } else {
                let field = ours
                    .as_object()
                    .and_then(|o| {
                        o.iter()
                            .find(|(k, v)| theirs.get(k.as_str()) != Some(v))
                            .map(|(k, _)| k.clone())
                    })
                    .unwrap_or_else(|| "-".into());
                findings.push(Finding {
                    check: "statement",
                    status: Status::Mismatch,
                    subject: subject.clone(),
                    evidence: format!(
                        "record {} differs from the recomputation first at `{field}`",
                        rec.id
                    ),
                });
            }
            if rec.content.created_at > epoch.moment() {
                findings.push(Finding {
                    check: "posting",
                    status: Status::Late,
                    subject: subject.clone(),
                    evidence: format!("posted at {} after the due time", rec.content.created_at.0),
                });
            } else {
                findings.push(Finding {
                    check: "posting",
                    status: Status::Ok,
                    subject: subject.clone(),
                    evidence: format!("record {}", rec.id),
                });
            }
            // Penalties booked by this epoch's Moment of Settlement (on statement obligations).
            if let (Some(rate), true) = (penalty_rate, now >= epoch.moment()) {
                let t = epoch.moment();
                let expected = Self::expected_penalties(
                    &statements,
                    &all_receipts,
                    &penalty_refs,
                    &p.prime,
                    rate,
                    t,
                );
                let booked = penalty_events
                    .iter()
                    .filter(|x| x.prime == p.prime && x.to <= t)
                    .fold(U256::ZERO, |a, x| a.saturating_add(x.amount_wad.raw()));
                let (status, evidence) = if expected == booked {
                    (
                        Status::Ok,
                        format!("{} booked by {}", Wad::from_raw(booked), t.0),
                    )
                } else if booked.is_zero() {
                    (
                        Status::Missing,
                        format!(
                            "{} expected by {}, none booked",
                            Wad::from_raw(expected),
                            t.0
                        ),
                    )
                } else {
                    (
                        Status::Mismatch,
                        format!(
                            "{} expected by {}, {} booked",
                            Wad::from_raw(expected),
                            t.0,
                            Wad::from_raw(booked)
                        ),
                    )
                };
                findings.push(Finding {
                    check: "penalties",
                    status,
                    subject: subject.clone(),
                    evidence,
                });
            }
            // Payment of the statement's amount: receipts of this epoch for this Prime.
            if mine.amount_due_wad.is_zero() {
                continue;
            }
            let mine_receipts: Vec<&payload::PaymentReceipt> =
                receipts.iter().filter(|r| r.prime == p.prime).collect();
            let on_time = mine_receipts
                .iter()
                .filter(|r| r.paid_at <= epoch.moment())
                .fold(U256::ZERO, |a, r| a.saturating_add(r.amount_wad.raw()));
            let total = mine_receipts
                .iter()
                .fold(U256::ZERO, |a, r| a.saturating_add(r.amount_wad.raw()));
            let (status, evidence) = if on_time >= mine.amount_due_wad.raw() {
                (
                    Status::Ok,
                    format!("paid {} by the due time", Wad::from_raw(on_time)),
                )
            } else if total >= mine.amount_due_wad.raw() {
                let last = mine_receipts
                    .iter()
                    .map(|r| r.paid_at)
                    .max()
                    .unwrap_or(Timestamp(0));
                (
                    Status::Late,
                    format!(
                        "{} of {} paid by the due time; the rest by {}",
                        Wad::from_raw(on_time),
                        mine.amount_due_wad,
                        last.0
                    ),
                )
            } else if now > epoch.moment() {
                (
                    Status::Missing,
                    format!("{} of {} paid", Wad::from_raw(total), mine.amount_due_wad),
                )
            } else {
                continue;
            };
            findings.push(Finding {
                check: "payment",
                status,
                subject: subject.clone(),
                evidence,
            });
        }
        findings.extend(self.window_mutations(&log, epoch));
        Ok(findings)
    }

    /// Transactions inside the epoch's Processing Window that are neither settlement payments
    /// (USDS between a Prime's ALMProxy and the Generator's) nor emergency removals.
    fn window_mutations(&self, log: &[Event], epoch: EpochId) -> Vec<Finding> {
        let d = &self.deployment;
        let proxies: BTreeSet<Address> = d.primes.iter().map(|p| p.alm_proxy).collect();
        let mut txs: BTreeMap<u64, Vec<&Event>> = BTreeMap::new();
        for e in log
            .iter()
            .filter(|e| e.block_time >= epoch.lock() && e.block_time < epoch.moment())
        {
            txs.entry(e.tx_index).or_default().push(e);
        }
        let mut out = Vec::new();
        for (tx, evs) in &txs {
            let allowed = evs.iter().any(|e| match &e.kind {
                EventKind::Erc20(TokenEvent::Transfer { from, to, .. }) if e.contract == d.usds => {
                    (proxies.contains(from) && *to == d.generator_proxy)
                        || (*from == d.generator_proxy && proxies.contains(to))
                }
                k => matches!(k.name(), "RelayerRemoved" | "RoleRevoked" | "LctsLock"),
            });
            if !allowed {
                let names: Vec<&str> = evs.iter().map(|e| e.kind.name()).collect();
                out.push(Finding {
                    check: "window-mutations",
                    status: Status::UnexpectedMutation,
                    subject: "chain".into(),
                    evidence: format!(
                        "tx {tx} at {} inside the Processing Window: {}",
                        evs[0].block_time.0,
                        names.join(", ")
                    ),
                });
            }
        }
        if out.is_empty() {
            out.push(Finding {
                check: "window-mutations",
                status: Status::Ok,
                subject: "chain".into(),
                evidence: format!("{} transaction(s) in the window, all allowed", txs.len()),
            });
        }
        out
    }

    /// Writes the epoch's verification report once (idempotent); returns whether it wrote.
    pub fn report<S: Store>(
        &self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<bool, CheckError> {
        let me = self.writer.signer.address();
        let done = records(syn, Kind::VerificationReport)?
            .iter()
            .any(|r| r.content.author == me && r.content.epoch == Some(epoch));
        if done {
            return Ok(false);
        }
        let findings = self.check(chain, syn, epoch)?;
        let at = chain.now().max(epoch.moment());
        let d = Draft::new(
            Kind::VerificationReport,
            "global",
            at,
            laniakea_synome::Provenance::SystemDerived,
            json!({"findings": findings.iter().map(|f| {
                let status: &'static str = f.status.into();
                json!({"check": f.check, "status": status, "subject": f.subject, "detail": f.evidence})
            }).collect::<Vec<_>>()}),
        )
        .epoch(epoch);
        syn.write(&self.writer, vec![d])?;
        Ok(true)
    }
}
