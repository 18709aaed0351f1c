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
//!   that is neither a settlement payment nor an emergency removal); `buffer-breach` (the
//!   Generator's idle USDS under its liquidity-buffer floor); `min-idle-breach` (a Prime vault's
//!   idle under `min_idle_bps` of its assets); `unknown-payer` (USDS to the Generator from an
//!   address it cannot credit). Receipts are matched to payments one by one, escalations due by
//!   the Moment of Settlement must be recorded, distributions are recomputed
//!   (`docs/operators.md`).
//! - **One report per epoch**: [`Checker::report`] writes it once (the checker's own report for
//!   that epoch already stored means done); it is run at or after the Moment of Settlement, when
//!   timeliness can be judged.

use crate::reader::Deployment;
use alloy_primitives::{Address, B256, U256};
use laniakea_chain::families::generator::GeneratorEvent;
use laniakea_chain::families::prime_vault::{PrimeVaultAnswer, PrimeVaultEvent, PrimeVaultView};
use laniakea_chain::families::savings::{SavingsAnswer, SavingsEvent, SavingsView};
use laniakea_chain::families::token::{TokenAnswer, TokenEvent, TokenView};
use laniakea_chain::families::vat::{VatAnswer, VatEvent, VatView};
use laniakea_chain::{mcd, Answer, Chain, Event, EventKind, Query};
use laniakea_settlement::calendar::Calendar;
use laniakea_settlement::distribution::{self, Asset, Tag, TierTable};
use laniakea_settlement::ledger::Payer;
use laniakea_settlement::statement::{self, IdleLocation, PrimeInputs, SkyDirect};
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
    /// The Generator's idle USDS fell below its liquidity buffer floor.
    BufferBreach,
    /// A Prime vault's idle USDS fell below `min_idle_bps` of its total assets.
    MinIdleBreach,
    /// USDS reached the Generator's ALMProxy from an address that is no Prime's ALMProxy (nor
    /// a mint, a Prime vault or sUSDS): a payment nobody can be credited with.
    UnknownPayer,
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
        by_contract: &BTreeMap<Address, Vec<&Event>>,
        prime: &crate::reader::PrimeAccounts,
        w: Window,
    ) -> Result<[BalanceHistory; 4], CheckError> {
        // The log's events of one contract, in log order (indexed once per report).
        let of = |c: Address| by_contract.get(&c).into_iter().flatten().copied();
        let d = &self.deployment;
        let proxy = prime.alm_proxy;
        let ilk_name = &prime.legacy_ilk;
        // No legacy ilk (an empty name): no legacy debt.
        let ilk_id = if ilk_name.is_empty() {
            None
        } else {
            Some(
                mcd::ilk_id(ilk_name)
                    .ok_or_else(|| CheckError::View(format!("bad ilk {ilk_name}")))?,
            )
        };
        let (art_now, rate_now) = match ilk_id {
            None => (U256::ZERO, RAY),
            Some(id) => {
                let ilk = laniakea_chain::call::Ilk(id);
                match self.view(chain, d.vat, Query::Vat(VatView::IlkInfo { ilk }))? {
                    Answer::Vat(VatAnswer::Ilk {
                        art_total, rate, ..
                    }) => (art_total.raw(), rate.raw()),
                    a => return Err(CheckError::View(format!("ilk answer {a:?}"))),
                }
            }
        };
        let vat_events: Vec<&Event> = of(d.vat)
            .filter(|e| match &e.kind {
                EventKind::Vat(VatEvent::Frob { ilk, .. })
                | EventKind::Vat(VatEvent::Fold { ilk, .. }) => Some(*ilk) == ilk_id,
                _ => false,
            })
            .collect();
        // Prime-vault principal (drawn − written down), backwards from the vault's position.
        let (vault0, vault) = match prime.prime_vault {
            None => (U256::ZERO, Vec::new()),
            Some(v) => {
                let (drawn_now, wd_now) =
                    match self.view(chain, v, Query::PrimeVault(PrimeVaultView::Position))? {
                        Answer::PrimeVault(PrimeVaultAnswer::Position(pos)) => {
                            (pos.drawn_wad.raw(), pos.written_down_wad.raw())
                        }
                        a => return Err(CheckError::View(format!("vault answer {a:?}"))),
                    };
                let evs: Vec<&Event> = of(v).collect();
                rewind(
                    (drawn_now, wd_now),
                    &evs,
                    |(dr, wd)| dr.saturating_sub(*wd),
                    |(dr, wd), e| {
                        match &e.kind {
                            EventKind::PrimeVault(PrimeVaultEvent::PrimeDraw {
                                amount_wad,
                                ..
                            }) => *dr = dr.saturating_sub(amount_wad.raw()),
                            EventKind::PrimeVault(PrimeVaultEvent::PrimeRepay {
                                amount_wad,
                                ..
                            }) => *dr = dr.saturating_add(amount_wad.raw()),
                            EventKind::PrimeVault(PrimeVaultEvent::WriteDown {
                                amount_wad,
                                ..
                            }) => *wd = wd.saturating_sub(amount_wad.raw()),
                            _ => return false,
                        }
                        true
                    },
                )
            }
        };
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
            let evs: Vec<&Event> = of(token)
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
        let drips: Vec<(Timestamp, U256)> = of(d.susds)
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
            cut(vault0, &vault, w),
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
        let mut by_contract: BTreeMap<Address, Vec<&Event>> = BTreeMap::new();
        for e in &log {
            by_contract.entry(e.contract).or_default().push(e);
        }
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
        let idle_reports = records(syn, Kind::IdleLocationReport)?;
        let sky_reports = records(syn, Kind::SkyDirectReport)?;
        for p in &self.deployment.primes {
            let subject = format!("prime:{}", p.prime);
            let [debt, debt_vault, idle, susds] = self.histories(chain, &by_contract, p, window)?;
            let (rep_idle, rep_sky) =
                Self::reported(&idle_reports, &sky_reports, &p.prime, epoch, window)?;
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
                    let n =
                        crate::refs::parse_penalty_ref(&p.prime, &x.obligation).unwrap_or(u64::MAX);
                    (
                        x.to,
                        n,
                        statement::CarriedPenalty {
                            penalty_id: x.obligation.clone(),
                            amount_wad: x.amount_wad,
                            owed_by: if x.payer.as_deref() == Some("generator") {
                                Payer::Generator
                            } else {
                                Payer::Prime
                            },
                        },
                    )
                })
                .collect();
            carried.sort_by_key(|(t, n, _)| (*t, *n));
            let inputs = PrimeInputs {
                prime: p.prime.clone(),
                provenance: Provenance::SystemDerived,
                debt_legacy: debt,
                debt_vault,
                idle_usds: std::iter::once(IdleLocation {
                    location: "alm-proxy".into(),
                    balance: idle,
                })
                .chain(rep_idle)
                .collect(),
                idle_susds_value: susds,
                sky_direct: rep_sky,
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
        // The epoch's own period for chain facts: from its lock to the next executed lock.
        let mut next = epoch.next().map_err(|e| CheckError::Epoch {
            epoch,
            reason: e.to_string(),
        })?;
        while cal.is_skipped(next) {
            next = next.next().map_err(|e| CheckError::Epoch {
                epoch,
                reason: e.to_string(),
            })?;
        }
        let period = (epoch.lock(), next.lock());
        let escalations = records(syn, Kind::Escalation)?;
        findings.extend(self.receipts_match_payments(&log, &all_receipts, period));
        findings.extend(self.unknown_payers(&log, period));
        findings.extend(self.escalations_raised(
            &statements,
            &all_receipts,
            &penalty_refs,
            &escalations,
            &sets,
            epoch,
            now,
        ));
        findings.extend(self.distributions_check(chain, syn, &log, &sets, epoch, window)?);
        findings.extend(self.buffer_floor(chain, &log, &sets, window.start, epoch)?);
        findings.extend(self.min_idle_floors(chain, &log, &sets, window.start, epoch)?);
        findings.extend(self.window_mutations(&log, epoch));
        Ok(findings)
    }

    /// Settlement payments on chain (USDS between a Prime's ALMProxy and the Generator's), each
    /// in log order with (prime, payer `prime`/`generator`, amount).
    fn payments<'a>(
        &self,
        log: &'a [Event],
        (from_t, to_t): (Timestamp, Timestamp),
    ) -> Vec<(&'a Event, String, &'static str, U256)> {
        let d = &self.deployment;
        let proxy_of: BTreeMap<Address, &str> = d
            .primes
            .iter()
            .map(|p| (p.alm_proxy, p.prime.as_str()))
            .collect();
        log.iter()
            .filter(|e| e.contract == d.usds && e.block_time >= from_t && e.block_time < to_t)
            .filter_map(|e| match &e.kind {
                EventKind::Erc20(TokenEvent::Transfer {
                    from,
                    to,
                    value_wad,
                }) => {
                    if *to == d.generator_proxy {
                        proxy_of
                            .get(from)
                            .map(|p| (e, p.to_string(), "prime", value_wad.raw()))
                    } else if *from == d.generator_proxy {
                        proxy_of
                            .get(to)
                            .map(|p| (e, p.to_string(), "generator", value_wad.raw()))
                    } else {
                        None
                    }
                }
                _ => None,
            })
            .collect()
    }

    /// Receipts ↔ payments one by one, for the payments of the period: each payment's receipts
    /// (by its `tx:<i>/log:<seq>` reference) add up to it with its Prime and payer; each
    /// receipt of the period names such a payment.
    fn receipts_match_payments(
        &self,
        log: &[Event],
        receipts: &[(Option<EpochId>, payload::PaymentReceipt)],
        period: (Timestamp, Timestamp),
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let pays = self.payments(log, period);
        let mut refs = BTreeSet::new();
        for (e, prime, payer, amount) in &pays {
            let r = crate::refs::log_ref(e.tx_index, e.seq);
            refs.insert(r.clone());
            let mine: Vec<&payload::PaymentReceipt> = receipts
                .iter()
                .map(|(_, x)| x)
                .filter(|x| x.tx == r)
                .collect();
            let total = mine
                .iter()
                .fold(U256::ZERO, |a, x| a.saturating_add(x.amount_wad.raw()));
            let consistent = mine
                .iter()
                .all(|x| x.prime == *prime && x.payer == *payer && x.paid_at == e.block_time);
            let (status, evidence) = if mine.is_empty() {
                (
                    Status::Missing,
                    format!(
                        "payment {r} of {} by {payer} at {} has no receipt",
                        Wad::from_raw(*amount),
                        e.block_time.0
                    ),
                )
            } else if total != *amount || !consistent {
                (
                    Status::Mismatch,
                    format!(
                        "payment {r} of {} by {payer}: {} receipt(s) for {}{}",
                        Wad::from_raw(*amount),
                        mine.len(),
                        Wad::from_raw(total),
                        if consistent {
                            ""
                        } else {
                            " naming another Prime, payer or time"
                        }
                    ),
                )
            } else {
                (
                    Status::Ok,
                    format!(
                        "payment {r} of {} in {} receipt(s)",
                        Wad::from_raw(*amount),
                        mine.len()
                    ),
                )
            };
            out.push(Finding {
                check: "receipts",
                status,
                subject: format!("prime:{prime}"),
                evidence,
            });
        }
        for (_, x) in receipts
            .iter()
            .filter(|(_, x)| x.paid_at >= period.0 && x.paid_at < period.1)
        {
            if !refs.contains(&x.tx) {
                out.push(Finding {
                    check: "receipts",
                    status: Status::Mismatch,
                    subject: format!("prime:{}", x.prime),
                    evidence: format!(
                        "receipt for {} names {}, which is no settlement payment on chain",
                        x.obligation, x.tx
                    ),
                });
            }
        }
        out
    }

    /// USDS into the Generator's ALMProxy from an address it cannot credit (SPEC §5.4: a
    /// payment is matched to a Prime's obligation; an unknown payer is flagged, not ignored).
    fn unknown_payers(
        &self,
        log: &[Event],
        (from_t, to_t): (Timestamp, Timestamp),
    ) -> Vec<Finding> {
        let d = &self.deployment;
        let known: BTreeSet<Address> = d
            .primes
            .iter()
            .flat_map(|p| [Some(p.alm_proxy), p.prime_vault])
            .flatten()
            .chain([Address::ZERO, d.susds, d.generator_proxy])
            .chain(d.generator_mint_buffer)
            .collect();
        log.iter()
            .filter(|e| e.contract == d.usds && e.block_time >= from_t && e.block_time < to_t)
            .filter_map(|e| match &e.kind {
                EventKind::Erc20(TokenEvent::Transfer {
                    from,
                    to,
                    value_wad,
                }) if *to == d.generator_proxy && !known.contains(from) => Some(Finding {
                    check: "payments-in",
                    status: Status::UnknownPayer,
                    subject: "generator".into(),
                    evidence: format!(
                        "tx:{}/log:{} at {}: {} USDS from {from}, which is no Prime's ALMProxy",
                        e.tx_index, e.seq, e.block_time.0, value_wad
                    ),
                }),
                _ => None,
            })
            .collect()
    }

    /// The latest value of a parameter-set field in force at `at` (own statement of the rule).
    fn param_at<T: Clone>(
        sets: &[SignedRecord],
        at: Timestamp,
        field: impl Fn(&payload::ParameterSet) -> Option<T>,
    ) -> Option<T> {
        let superseded: BTreeSet<B256> = sets.iter().filter_map(|r| r.content.supersedes).collect();
        let mut best: Option<(Timestamp, usize, T)> = None;
        for (i, r) in sets.iter().enumerate() {
            if superseded.contains(&r.id) {
                continue;
            }
            let Ok(p) = serde_json::from_value::<payload::ParameterSet>(r.content.payload.clone())
            else {
                continue;
            };
            let eff = effect_instant(p.effective_epoch, r.content.created_at);
            if let Some(v) = field(&p) {
                if eff <= at && best.as_ref().is_none_or(|(t, j, _)| (eff, i) > (*t, *j)) {
                    best = Some((eff, i, v));
                }
            }
        }
        best.map(|b| b.2)
    }

    /// Escalations due by the epoch's Moment of Settlement are recorded (SPEC §5.4): for each
    /// Prime, its oldest statement obligation still unpaid then (receipts by then), late
    /// `t − due`; > restrict-after needs a `restricted` record, > review-after also a
    /// `governance-review` record, both naming that obligation's epoch.
    #[allow(clippy::too_many_arguments)]
    fn escalations_raised(
        &self,
        statements: &[SignedRecord],
        receipts: &[(Option<EpochId>, payload::PaymentReceipt)],
        penalty_refs: &BTreeSet<String>,
        escalations: &[SignedRecord],
        sets: &[SignedRecord],
        epoch: EpochId,
        now: Timestamp,
    ) -> Vec<Finding> {
        let t = epoch.moment();
        if now < t {
            return Vec::new();
        }
        let restrict = Self::param_at(sets, t, |p| p.restrict_after_s).unwrap_or(24 * 3600);
        let review = Self::param_at(sets, t, |p| p.review_after_s).unwrap_or(72 * 3600);
        let mut out = Vec::new();
        for p in &self.deployment.primes {
            let subject = format!("prime:{}", p.prime);
            let oldest = statements
                .iter()
                .filter(|r| r.content.subject == subject)
                .filter_map(|r| {
                    let e = r.content.epoch?;
                    let amount = serde_json::from_value::<Wad>(
                        r.content.payload["statement"]["amount_due_wad"].clone(),
                    )
                    .ok()?;
                    let paid = receipts
                        .iter()
                        .filter(|(re, x)| {
                            *re == Some(e)
                                && x.prime == p.prime
                                && x.paid_at <= t
                                && !penalty_refs.contains(&x.obligation)
                        })
                        .fold(U256::ZERO, |a, (_, x)| a.saturating_add(x.amount_wad.raw()));
                    (paid < amount.raw() && t > e.moment()).then_some(e)
                })
                .min();
            let Some(e) = oldest else { continue };
            let late_s = t.0 - e.moment().0;
            let due: Vec<&str> = [
                (late_s > restrict).then_some("restricted"),
                (late_s > review).then_some("governance-review"),
            ]
            .into_iter()
            .flatten()
            .collect();
            for state in due {
                let rec = escalations.iter().find(|r| {
                    r.content.epoch == Some(e)
                        && r.content.created_at <= now
                        && r.content.payload["prime"] == p.prime.as_str()
                        && r.content.payload["state"] == state
                });
                out.push(match rec {
                    Some(r) => Finding {
                        check: "escalation",
                        status: Status::Ok,
                        subject: subject.clone(),
                        evidence: format!("{state} for the obligation of {e} (record {})", r.id),
                    },
                    None => Finding {
                        check: "escalation",
                        status: Status::Missing,
                        subject: subject.clone(),
                        evidence: format!(
                            "the obligation of {e} is {late_s} s late at {}: no {state} record",
                            t.0
                        ),
                    },
                });
            }
        }
        out
    }

    /// A USDS balance's history backwards from its view: (initial, value after each change).
    fn usds_history(
        &self,
        chain: &dyn Chain,
        log: &[Event],
        account: Address,
    ) -> Result<(U256, Vec<(Timestamp, U256)>), CheckError> {
        self.token_history(chain, log, false, account)
    }

    /// A USDS (or sUSDS share, `susds`) balance's history backwards from its view.
    fn token_history(
        &self,
        chain: &dyn Chain,
        log: &[Event],
        susds: bool,
        account: Address,
    ) -> Result<(U256, Vec<(Timestamp, U256)>), CheckError> {
        let d = &self.deployment;
        let token = if susds { d.susds } else { d.usds };
        let q = TokenView::BalanceOf { account };
        let now = match self.view(
            chain,
            token,
            if susds {
                Query::Savings(SavingsView::Token(q))
            } else {
                Query::Erc20(q)
            },
        )? {
            Answer::Erc20(TokenAnswer::Balance { balance })
            | Answer::Savings(SavingsAnswer::Token(TokenAnswer::Balance { balance })) => {
                balance.raw()
            }
            a => return Err(CheckError::View(format!("balance answer {a:?}"))),
        };
        let evs: Vec<&Event> = log
            .iter()
            .filter(|e| e.contract == token)
            .filter(|e| matches!(&e.kind, EventKind::Erc20(TokenEvent::Transfer { from, to, .. }) if (*from == account) != (*to == account)))
            .collect();
        Ok(rewind(
            now,
            &evs,
            |v| *v,
            |v, e| {
                if let EventKind::Erc20(TokenEvent::Transfer { to, value_wad, .. }) = &e.kind {
                    *v = if *to == account {
                        v.saturating_sub(value_wad.raw())
                    } else {
                        v.saturating_add(value_wad.raw())
                    };
                }
                true
            },
        ))
    }

    /// Reported idle locations and Sky Direct allocations of a Prime for an epoch, by the
    /// checker's own reading (records written by the lock; points merged; later duplicates
    /// ignored only when they agree).
    fn reported(
        idle_recs: &[SignedRecord],
        sky_recs: &[SignedRecord],
        prime: &str,
        epoch: EpochId,
        w: Window,
    ) -> Result<(Vec<IdleLocation>, Vec<SkyDirect>), CheckError> {
        let bad = |reason: String| CheckError::Epoch { epoch, reason };
        let live = |recs: &[SignedRecord]| -> Vec<SignedRecord> {
            let sup: BTreeSet<B256> = recs.iter().filter_map(|r| r.content.supersedes).collect();
            recs.iter()
                .filter(|r| !sup.contains(&r.id) && r.content.created_at <= epoch.lock())
                .cloned()
                .collect()
        };
        let mut idle: BTreeMap<String, BTreeMap<Timestamp, U256>> = BTreeMap::new();
        for r in live(idle_recs) {
            let Ok(p) =
                serde_json::from_value::<payload::IdleLocationReport>(r.content.payload.clone())
            else {
                continue;
            };
            if p.prime != prime {
                continue;
            }
            let m = idle.entry(p.location).or_default();
            for b in p.balances {
                if m.insert(b.at, b.balance_wad.raw())
                    .is_some_and(|old| old != b.balance_wad.raw())
                {
                    return Err(bad(format!("record {}: contradictory idle report", r.id)));
                }
            }
        }
        let to_hist = |m: &BTreeMap<Timestamp, U256>| {
            let pts: Vec<(Timestamp, U256)> = m.iter().map(|(t, v)| (*t, *v)).collect();
            let initial = pts
                .iter()
                .rev()
                .find(|(t, _)| *t <= w.start)
                .map_or(U256::ZERO, |x| x.1);
            cut(initial, &pts, w)
        };
        let idle = idle
            .iter()
            .map(|(loc, m)| IdleLocation {
                location: loc.clone(),
                balance: to_hist(m),
            })
            .collect();
        let mut sky: BTreeMap<String, (BTreeMap<Timestamp, U256>, Wad)> = BTreeMap::new();
        for r in live(sky_recs) {
            if r.content.epoch != Some(epoch) {
                continue;
            }
            let Ok(p) =
                serde_json::from_value::<payload::SkyDirectReport>(r.content.payload.clone())
            else {
                continue;
            };
            if p.prime != prime {
                continue;
            }
            let m = p
                .exposure
                .iter()
                .map(|b| (b.at, b.balance_wad.raw()))
                .collect();
            if sky.insert(p.allocation, (m, p.actual_profit_wad)).is_some() {
                return Err(bad(format!("record {}: a second Sky Direct report", r.id)));
            }
        }
        let sky = sky
            .iter()
            .map(|(a, (m, profit))| SkyDirect {
                allocation: a.clone(),
                exposure: to_hist(m),
                actual_profit: *profit,
            })
            .collect();
        Ok((idle, sky))
    }

    /// Distributions (SPEC §5.3) recomputed from the tags written before the lock and the
    /// tagged balances read backwards, against the posted `distribution` records.
    #[allow(clippy::too_many_arguments)]
    fn distributions_check<S: Store>(
        &self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        log: &[Event],
        sets: &[SignedRecord],
        epoch: EpochId,
        window: Window,
    ) -> Result<Vec<Finding>, CheckError> {
        let recs = records(syn, Kind::TaggedAddress)?;
        let sup: BTreeSet<B256> = recs.iter().filter_map(|r| r.content.supersedes).collect();
        let mut tags = Vec::new();
        for r in recs
            .iter()
            .filter(|r| !sup.contains(&r.id) && r.content.created_at < epoch.lock())
        {
            let Ok(t) = serde_json::from_value::<payload::TaggedAddress>(r.content.payload.clone())
            else {
                continue;
            };
            let susds = t.asset == payload::TagAsset::Susds;
            let (init, after) = self.token_history(chain, log, susds, t.address)?;
            tags.push(Tag {
                address: t.address,
                asset: if susds { Asset::Susds } else { Asset::Usds },
                tier: t.tier,
                prime: t.prime,
                tagged_from: EpochId::date_of(r.content.created_at).map_err(|e| {
                    CheckError::Epoch {
                        epoch,
                        reason: e.to_string(),
                    }
                })?,
                balance: cut(init, &after, window),
            });
        }
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        let tiers =
            Self::param_at(sets, epoch.lock(), |p| p.tiers_bps).unwrap_or([0, 0, 10, 20, 50]);
        let lines =
            distribution::distributions(epoch, window, &TierTable(tiers), &tags).map_err(|e| {
                CheckError::Epoch {
                    epoch,
                    reason: e.to_string(),
                }
            })?;
        let mut ours: BTreeMap<String, BTreeSet<(Address, u8, Wad)>> = BTreeMap::new();
        for l in lines
            .iter()
            .filter(|l| l.eligible && !l.reward_wad.is_zero())
        {
            ours.entry(l.prime.clone())
                .or_default()
                .insert((l.address, l.tier, l.reward_wad));
        }
        let mut theirs: BTreeMap<String, BTreeSet<(Address, u8, Wad)>> = BTreeMap::new();
        for r in records(syn, Kind::Distribution)?
            .iter()
            .filter(|r| r.content.epoch == Some(epoch))
        {
            if let Ok(d) =
                serde_json::from_value::<payload::Distribution>(r.content.payload.clone())
            {
                theirs
                    .entry(d.prime)
                    .or_default()
                    .insert((d.address, d.tier, d.reward_wad));
            }
        }
        let primes: BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
        Ok(primes
            .into_iter()
            .map(|p| {
                let (o, t) = (ours.get(p), theirs.get(p));
                let (status, evidence) = match (o, t) {
                    (Some(o), Some(t)) if o == t => (
                        Status::Ok,
                        format!("{} distribution(s) recomputed", o.len()),
                    ),
                    (Some(o), None) => (
                        Status::Missing,
                        format!("{} distribution(s) due, none posted", o.len()),
                    ),
                    _ => (
                        Status::Mismatch,
                        format!(
                            "recomputed {:?}, posted {:?}",
                            o.map(|x| x.len()),
                            t.map(|x| x.len())
                        ),
                    ),
                };
                Finding {
                    check: "distributions",
                    status,
                    subject: format!("prime:{p}"),
                    evidence,
                }
            })
            .collect())
    }

    /// The Generator's liquidity buffer held from the window's start to the epoch's Moment of
    /// Settlement: idle USDS in its ALMProxy at every change ≥ the floor then, the floor being
    /// the larger of the registry's baseline (`LiquidityBufferSet`) and the governance
    /// `generator_buffer_min_wad` in force.
    fn buffer_floor(
        &self,
        chain: &dyn Chain,
        log: &[Event],
        sets: &[SignedRecord],
        from_t: Timestamp,
        epoch: EpochId,
    ) -> Result<Vec<Finding>, CheckError> {
        let d = &self.deployment;
        let to_t = epoch.moment();
        let (initial, after) = self.usds_history(chain, log, d.generator_proxy)?;
        let baseline = |t: Timestamp| {
            log.iter()
                .rev()
                .filter(|e| Some(e.contract) == d.generator_registry && e.block_time <= t)
                .find_map(|e| match &e.kind {
                    EventKind::GeneratorRegistry(GeneratorEvent::LiquidityBufferSet {
                        min_idle_wad,
                    }) => Some(min_idle_wad.raw()),
                    _ => None,
                })
                .unwrap_or(U256::ZERO)
        };
        let floor = |t: Timestamp| {
            baseline(t).max(
                Self::param_at(sets, t, |p| p.generator_buffer_min_wad)
                    .map_or(U256::ZERO, |w| w.raw()),
            )
        };
        let value_at = |t: Timestamp| {
            after
                .iter()
                .rev()
                .find(|(c, _)| *c <= t)
                .map_or(initial, |x| x.1)
        };
        let mut instants: Vec<Timestamp> = vec![from_t];
        instants.extend(
            after
                .iter()
                .map(|x| x.0)
                .filter(|t| *t > from_t && *t <= to_t),
        );
        let mut lowest = U256::MAX;
        for t in instants {
            let (idle, min) = (value_at(t), floor(t));
            lowest = lowest.min(idle);
            if idle < min {
                return Ok(vec![Finding {
                    check: "generator-buffer",
                    status: Status::BufferBreach,
                    subject: "generator".into(),
                    evidence: format!(
                        "idle USDS {} < floor {} at {}",
                        Wad::from_raw(idle),
                        Wad::from_raw(min),
                        t.0
                    ),
                }]);
            }
        }
        Ok(vec![Finding {
            check: "generator-buffer",
            status: Status::Ok,
            subject: "generator".into(),
            evidence: format!(
                "lowest idle USDS {} ≥ floor {} up to {}",
                Wad::from_raw(lowest),
                Wad::from_raw(floor(to_t)),
                to_t.0
            ),
        }])
    }

    /// Each Prime vault's `idle ≥ ⌈bps·totalAssets/10 000⌉` from the window's start to the
    /// epoch's Moment of Settlement, `totalAssets = idle + drawn − written down`; `bps` the
    /// governance `min_idle_bps` of the Prime in force, else the vault's own setting (its
    /// position view).
    fn min_idle_floors(
        &self,
        chain: &dyn Chain,
        log: &[Event],
        sets: &[SignedRecord],
        from_t: Timestamp,
        epoch: EpochId,
    ) -> Result<Vec<Finding>, CheckError> {
        let to_t = epoch.moment();
        let mut out = Vec::new();
        for p in &self.deployment.primes {
            let Some(v) = p.prime_vault else { continue };
            let (idle0, idle) = self.usds_history(chain, log, v)?;
            let (drawn_now, wd_now, bps_now) =
                match self.view(chain, v, Query::PrimeVault(PrimeVaultView::Position))? {
                    Answer::PrimeVault(PrimeVaultAnswer::Position(pos)) => (
                        pos.drawn_wad.raw(),
                        pos.written_down_wad.raw(),
                        pos.min_idle_bps,
                    ),
                    a => return Err(CheckError::View(format!("vault answer {a:?}"))),
                };
            let evs: Vec<&Event> = log.iter().filter(|e| e.contract == v).collect();
            let (debt0, debt) = rewind(
                (drawn_now, wd_now),
                &evs,
                |(dr, wd)| dr.saturating_sub(*wd),
                |(dr, wd), e| {
                    match &e.kind {
                        EventKind::PrimeVault(PrimeVaultEvent::PrimeDraw {
                            amount_wad, ..
                        }) => *dr = dr.saturating_sub(amount_wad.raw()),
                        EventKind::PrimeVault(PrimeVaultEvent::PrimeRepay {
                            amount_wad, ..
                        }) => *dr = dr.saturating_add(amount_wad.raw()),
                        EventKind::PrimeVault(PrimeVaultEvent::WriteDown {
                            amount_wad, ..
                        }) => *wd = wd.saturating_sub(amount_wad.raw()),
                        _ => return false,
                    }
                    true
                },
            );
            let at = |init: U256, xs: &[(Timestamp, U256)], t: Timestamp| {
                xs.iter().rev().find(|(c, _)| *c <= t).map_or(init, |x| x.1)
            };
            let mut instants: Vec<Timestamp> = vec![from_t];
            instants.extend(
                idle.iter()
                    .chain(debt.iter())
                    .map(|x| x.0)
                    .filter(|t| *t > from_t && *t <= to_t),
            );
            instants.sort();
            instants.dedup();
            let subject = format!("prime:{}", p.prime);
            let mut breach = None;
            for t in instants {
                let bps = Self::param_at(sets, t, |x| x.min_idle_bps.get(&p.prime).copied())
                    .unwrap_or(bps_now);
                let (i, total) = (
                    at(idle0, &idle, t),
                    at(idle0, &idle, t).saturating_add(at(debt0, &debt, t)),
                );
                let floor = total
                    .saturating_mul(U256::from(bps))
                    .saturating_add(U256::from(9_999u32))
                    / U256::from(10_000u32);
                if i < floor {
                    breach = Some(format!(
                        "idle {} < {} bps of total assets {} = {} at {}",
                        Wad::from_raw(i),
                        bps,
                        Wad::from_raw(total),
                        Wad::from_raw(floor),
                        t.0
                    ));
                    break;
                }
            }
            out.push(match breach {
                Some(evidence) => Finding {
                    check: "vault-min-idle",
                    status: Status::MinIdleBreach,
                    subject,
                    evidence,
                },
                None => Finding {
                    check: "vault-min-idle",
                    status: Status::Ok,
                    subject,
                    evidence: format!("held up to {}", to_t.0),
                },
            });
        }
        Ok(out)
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
