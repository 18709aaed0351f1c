//! The dashboard's aggregations: the few views that combine many records (and the engine state
//! sampled over time) into what one dashboard page shows — a Prime's history across epochs,
//! per-Prime totals, today's statuses, findings with the records they are about.
//!
//! Contract: pure functions of the Synome's records (superseded ones left out), the calendar,
//! the as-of time and the [`ChainHistory`]; no I/O. Amounts stay exact: sums are computed in
//! `Wad` / `SignedWad` (checked, never floats) and printed as exact decimal strings with the unit
//! in the field name; a value a record does not hold is `null`, never zero. The rules of the
//! daily cycle (windows, skips, sequence numbers) come from `laniakea_settlement::Calendar`.

use crate::ui_history::{ChainHistory, Sample};
use alloy_primitives::B256;
use laniakea_settlement::{Calendar, EpochId, Phase, SignedWad};
use laniakea_synome::record::payload;
use laniakea_synome::{Kind, SignedRecord};
use laniakea_units::{Timestamp, Wad};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// How many epochs the overview's "recent" chart shows.
pub const RECENT_EPOCHS: usize = 14;

/// The records of a Synome, indexed for the dashboard (superseded records removed).
pub struct Index {
    by_kind: BTreeMap<Kind, Vec<SignedRecord>>,
}

fn prime_of(r: &SignedRecord) -> Option<&str> {
    r.content.subject.strip_prefix("prime:")
}

fn payload_of<T: DeserializeOwned>(r: &SignedRecord) -> Option<T> {
    serde_json::from_value(r.content.payload.clone()).ok()
}

fn id(r: &SignedRecord) -> String {
    r.id.to_string()
}

/// An exact signed decimal (a statement's `total_wad`); `None` if it is not one.
fn signed(text: &str) -> Option<SignedWad> {
    match text.strip_prefix('-') {
        Some(m) => Wad::parse(m).ok().map(|w| SignedWad::negative(w.raw())),
        None => Wad::parse(text).ok().map(|w| SignedWad::positive(w.raw())),
    }
}

fn add(a: Wad, b: Wad) -> Wad {
    // Sums of recorded amounts cannot reach 2^256 wei in any real run; saturate rather than
    // fail a whole page if a hostile store tried.
    a.checked_add(b).unwrap_or(Wad::MAX)
}

fn add_signed(a: SignedWad, b: SignedWad) -> SignedWad {
    a.checked_add(b).unwrap_or(a)
}

fn summary_str(r: &payload::PrimeReport, key: &str) -> Option<String> {
    r.summary
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

impl Index {
    pub fn new(records: Vec<SignedRecord>) -> Index {
        let gone: BTreeSet<B256> = records
            .iter()
            .filter_map(|r| r.content.supersedes)
            .collect();
        let mut by_kind: BTreeMap<Kind, Vec<SignedRecord>> = BTreeMap::new();
        for r in records.into_iter().filter(|r| !gone.contains(&r.id)) {
            by_kind.entry(r.content.kind).or_default().push(r);
        }
        Index { by_kind }
    }

    pub fn of(&self, kind: Kind) -> &[SignedRecord] {
        self.by_kind.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    fn of_prime<'a>(
        &'a self,
        kind: Kind,
        prime: &'a str,
    ) -> impl Iterator<Item = &'a SignedRecord> + 'a {
        self.of(kind)
            .iter()
            .filter(move |r| prime_of(r) == Some(prime))
    }

    fn find<'a>(&'a self, kind: Kind, prime: &'a str, epoch: EpochId) -> Option<&'a SignedRecord> {
        self.of_prime(kind, prime)
            .filter(|r| r.content.epoch == Some(epoch))
            .last()
    }

    /// Every Prime any record names, sorted.
    pub fn primes_named(&self) -> Vec<String> {
        let mut set = BTreeSet::new();
        for rs in self.by_kind.values() {
            for r in rs {
                if let Some(p) = prime_of(r) {
                    set.insert(p.to_string());
                }
            }
        }
        set.into_iter().collect()
    }

    /// Forgiven per penalty event (record id → total forgiven).
    fn forgiven(&self) -> BTreeMap<B256, (Wad, Vec<String>)> {
        let mut out: BTreeMap<B256, (Wad, Vec<String>)> = BTreeMap::new();
        for r in self.of(Kind::Forgiveness) {
            if let Some(f) = payload_of::<payload::Forgiveness>(r) {
                let e = out.entry(f.penalty).or_insert((Wad::ZERO, Vec::new()));
                e.0 = add(e.0, f.amount_wad);
                e.1.push(id(r));
            }
        }
        out
    }
}

/// Where a Prime's debt sat at an epoch: the engine sample if one exists, else the Prime report.
fn debt_at(
    prime: &str,
    sample: Option<&Sample>,
    report: Option<&payload::PrimeReport>,
) -> (Value, Value, &'static str) {
    if let Some(d) = sample.and_then(|s| s.debt_locations.iter().find(|d| d.prime == prime)) {
        return (
            json!(d.legacy_debt_wad),
            json!(d.vault_principal_wad),
            "chain",
        );
    }
    match report {
        Some(r) => (
            json!(summary_str(r, "debt_legacy_wad")),
            json!(summary_str(r, "debt_vault_wad")),
            "prime-report",
        ),
        None => (Value::Null, Value::Null, "none"),
    }
}

fn sample_of(history: &ChainHistory, epoch: EpochId) -> Option<&Sample> {
    history.samples.iter().find(|s| s.epoch == epoch)
}

/// SPEC §3: a payment at 16:00:00 exactly is on time; one second later is late.
fn paid_by(paid_at: Timestamp, due: Timestamp) -> bool {
    paid_at <= due
}

/// Receipts of one Prime and epoch: (sum, every receipt paid by `due`).
fn paid(ix: &Index, prime: &str, epoch: EpochId, due: Timestamp) -> (Wad, bool, usize) {
    let mut sum = Wad::ZERO;
    let mut on_time = true;
    let mut n = 0;
    for r in ix
        .of_prime(Kind::PaymentReceipt, prime)
        .filter(|r| r.content.epoch == Some(epoch))
    {
        if let Some(p) = payload_of::<payload::PaymentReceipt>(r) {
            sum = add(sum, p.amount_wad);
            on_time &= paid_by(p.paid_at, due);
            n += 1;
        }
    }
    (sum, on_time, n)
}

/// `on-time` / `late` / `pending` (before 16:00, not fully paid) / `unpaid` / `n/a` (nothing due).
fn payment_status(
    statement: &payload::SettlementStatement,
    paid_wad: Wad,
    on_time: bool,
    as_of: Timestamp,
    due: Timestamp,
) -> &'static str {
    let owed = statement
        .statement
        .get("amount_due_wad")
        .and_then(Value::as_str)
        .and_then(|t| Wad::parse(t).ok());
    match owed {
        Some(o) if o.is_zero() => "n/a",
        Some(o) if paid_wad >= o => {
            if on_time {
                "on-time"
            } else {
                "late"
            }
        }
        _ if as_of <= due => "pending",
        _ => "unpaid",
    }
}

/// `GET /api/v1/ui/overview`.
pub fn overview(
    ix: &Index,
    cal: &Calendar,
    primes: &[String],
    as_of: Timestamp,
    now_source: &str,
) -> Result<Value, String> {
    let phase = cal.phase(as_of).map_err(|e| e.to_string())?;
    let next = cal
        .next_epochs(as_of, 1)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("no next epoch")?;
    let window = match phase {
        Phase::Processing { .. } => "processing",
        Phase::Active { .. } => "active",
    };
    let today = EpochId::date_of(as_of).map_err(|e| e.to_string())?;
    let due = today.moment();
    let skip = ix
        .of(Kind::Skip)
        .iter()
        .rfind(|r| r.content.epoch == Some(today))
        .map(|r| json!({"record": id(r), "reason": payload_of::<payload::Skip>(r).map(|s| s.reason)}));
    let mut rows = Vec::new();
    for p in primes {
        let st = ix.find(Kind::SettlementStatement, p, today);
        let sp = st.and_then(payload_of::<payload::SettlementStatement>);
        let (paid_wad, on_time, _) = paid(ix, p, today, due);
        let payment = match &sp {
            Some(s) => payment_status(s, paid_wad, on_time, as_of, due),
            None if skip.is_some() => "skipped",
            None => "no-statement",
        };
        rows.push(json!({
            "prime": p,
            "statement": st.map(id),
            "total_wad": sp.as_ref().map(|s| s.total_wad.clone()),
            "direction": sp.as_ref().map(|s| s.direction.clone()),
            "paid_wad": paid_wad,
            "payment": payment,
            "report": ix.find(Kind::PrimeReport, p, today).map(id),
        }));
    }
    let verification = ix
        .of(Kind::VerificationReport)
        .iter()
        .rfind(|r| r.content.epoch == Some(today))
        .map(|r| {
            let f = payload_of::<payload::VerificationReport>(r)
                .map(|v| v.findings)
                .unwrap_or_default();
            let ok = f.iter().filter(|x| x.status == "ok").count();
            json!({"record": id(r), "ok": ok, "flagged": f.len() - ok})
        });
    // Recent epochs with statements: what was owed (signed sum) and what was paid.
    let mut by_epoch: BTreeMap<EpochId, (SignedWad, Wad)> = BTreeMap::new();
    for r in ix.of(Kind::SettlementStatement) {
        let (Some(e), Some(s)) = (
            r.content.epoch,
            payload_of::<payload::SettlementStatement>(r),
        ) else {
            continue;
        };
        let entry = by_epoch.entry(e).or_insert((SignedWad::ZERO, Wad::ZERO));
        entry.0 = add_signed(entry.0, signed(&s.total_wad).unwrap_or(SignedWad::ZERO));
    }
    for r in ix.of(Kind::PaymentReceipt) {
        let (Some(e), Some(p)) = (r.content.epoch, payload_of::<payload::PaymentReceipt>(r)) else {
            continue;
        };
        if let Some(entry) = by_epoch.get_mut(&e) {
            entry.1 = add(entry.1, p.amount_wad);
        }
    }
    let upto: Vec<_> = by_epoch.iter().filter(|(e, _)| **e <= today).collect();
    let recent: Vec<Value> = upto[upto.len().saturating_sub(RECENT_EPOCHS)..]
        .iter()
        .map(|(e, (owed, paid))| json!({"epoch": e, "obligations_wad": owed.to_string(), "paid_wad": paid}))
        .collect();
    let flagged: usize = ix
        .of(Kind::VerificationReport)
        .iter()
        .filter_map(payload_of::<payload::VerificationReport>)
        .map(|v| v.findings.iter().filter(|f| f.status != "ok").count())
        .sum();
    Ok(json!({
        "now": as_of,
        "now_source": now_source,
        "window": window,
        "current_epoch": next.id,
        "current_epoch_seq": next.seq,
        "current_epoch_skipped": next.skipped,
        "next_settlement_at": next.moment,
        "seconds_to_settlement": next.moment.0.saturating_sub(as_of.0),
        "second_of_day": as_of.0 % 86_400,
        "today": {"epoch": today, "skip": skip, "primes": rows, "verification": verification},
        "recent": recent,
        "totals": {
            "epochs_settled": by_epoch.keys().filter(|e| e.moment() <= as_of).count(),
            "epochs_skipped": ix.of(Kind::Skip).iter().filter_map(|r| r.content.epoch).filter(|e| e.lock() <= as_of).collect::<BTreeSet<_>>().len(),
            "findings_flagged": flagged,
        },
    }))
}

/// Per-Prime totals over the whole run: penalties and what of them was forgiven, receipts.
fn totals(ix: &Index, prime: &str) -> (Wad, Wad, Wad) {
    let forgiven = ix.forgiven();
    let (mut pen, mut forg, mut paid) = (Wad::ZERO, Wad::ZERO, Wad::ZERO);
    for r in ix.of_prime(Kind::PenaltyEvent, prime) {
        if let Some(p) = payload_of::<payload::PenaltyEvent>(r) {
            pen = add(pen, p.amount_wad);
            forg = add(forg, forgiven.get(&r.id).map_or(Wad::ZERO, |f| f.0));
        }
    }
    for r in ix.of_prime(Kind::PaymentReceipt, prime) {
        if let Some(p) = payload_of::<payload::PaymentReceipt>(r) {
            paid = add(paid, p.amount_wad);
        }
    }
    (pen, forg, paid)
}

/// `GET /api/v1/ui/primes`.
pub fn primes(ix: &Index, history: &ChainHistory, primes: &[String]) -> Value {
    let latest = history.latest();
    let rows: Vec<Value> = primes
        .iter()
        .map(|p| {
            let st = ix.of_prime(Kind::SettlementStatement, p).last();
            let sp = st.and_then(payload_of::<payload::SettlementStatement>);
            let rep = ix.of_prime(Kind::PrimeReport, p).last();
            let rp = rep.and_then(payload_of::<payload::PrimeReport>);
            let sample = latest.filter(|s| s.debt_locations.iter().any(|d| d.prime == *p));
            let (legacy, vault, source) = debt_at(p, sample, rp.as_ref());
            let (pen, forg, paid) = totals(ix, p);
            json!({
                "prime": p,
                "latest_epoch": st.and_then(|r| r.content.epoch),
                "debt_legacy_wad": legacy,
                "debt_vault_wad": vault,
                "debt_source": source,
                "last_total_wad": sp.as_ref().map(|s| s.total_wad.clone()),
                "last_direction": sp.as_ref().map(|s| s.direction.clone()),
                "last_timeliness": rp.as_ref().and_then(|r| summary_str(r, "timeliness")),
                "paid_wad": paid,
                "penalties_wad": pen,
                "forgiven_wad": forg,
            })
        })
        .collect();
    json!({ "primes": rows })
}

/// `GET /api/v1/ui/primes/{prime}`; `None` if nothing is known about the Prime. `payment` is
/// judged at `as_of` from the receipts (`on-time`, `late`, `pending`, `unpaid`, `n/a`);
/// `timeliness` is what the Prime report said when it was written.
pub fn prime(ix: &Index, history: &ChainHistory, prime: &str, as_of: Timestamp) -> Option<Value> {
    let kinds = [
        Kind::SettlementStatement,
        Kind::PaymentReceipt,
        Kind::PrimeReport,
        Kind::PenaltyEvent,
    ];
    let mut epochs: BTreeSet<EpochId> = BTreeSet::new();
    for k in kinds {
        epochs.extend(ix.of_prime(k, prime).filter_map(|r| r.content.epoch));
    }
    let on_chain = history
        .samples
        .iter()
        .any(|s| s.debt_locations.iter().any(|d| d.prime == prime));
    if epochs.is_empty() && !on_chain {
        return None;
    }
    let forgiven = ix.forgiven();
    let mut pen_by_epoch: BTreeMap<EpochId, (Wad, Wad)> = BTreeMap::new();
    let mut penalties = Vec::new();
    for r in ix.of_prime(Kind::PenaltyEvent, prime) {
        let Some(p) = payload_of::<payload::PenaltyEvent>(r) else {
            continue;
        };
        let (f, fids) = forgiven
            .get(&r.id)
            .cloned()
            .unwrap_or((Wad::ZERO, Vec::new()));
        if let Some(e) = r.content.epoch {
            let x = pen_by_epoch.entry(e).or_insert((Wad::ZERO, Wad::ZERO));
            x.0 = add(x.0, p.amount_wad);
            x.1 = add(x.1, f);
        }
        penalties.push(json!({
            "record": id(r), "epoch": r.content.epoch, "obligation": p.obligation,
            "amount_wad": p.amount_wad, "from": p.from, "to": p.to,
            "forgiven_wad": f, "forgiveness": fids,
        }));
    }
    let receipts: Vec<Value> = ix
        .of_prime(Kind::PaymentReceipt, prime)
        .filter_map(|r| {
            let p = payload_of::<payload::PaymentReceipt>(r)?;
            Some(json!({"record": id(r), "epoch": r.content.epoch, "amount_wad": p.amount_wad, "paid_at": p.paid_at, "payer": p.payer, "obligation": p.obligation}))
        })
        .collect();
    let rows: Vec<Value> = epochs
        .iter()
        .map(|&e| {
            let st = ix.find(Kind::SettlementStatement, prime, e);
            let sp = st.and_then(payload_of::<payload::SettlementStatement>);
            let rep = ix.find(Kind::PrimeReport, prime, e);
            let rp = rep.and_then(payload_of::<payload::PrimeReport>);
            let (paid_wad, on_time, n) = paid(ix, prime, e, e.moment());
            let payment = match &sp {
                Some(s) => payment_status(s, paid_wad, on_time, as_of, e.moment()),
                None => "no-statement",
            };
            let (legacy, vault, source) = debt_at(prime, sample_of(history, e), rp.as_ref());
            let (pen, forg) = pen_by_epoch.get(&e).copied().unwrap_or((Wad::ZERO, Wad::ZERO));
            json!({
                "epoch": e,
                "statement": st.map(id),
                "total_wad": sp.as_ref().map(|s| s.total_wad.clone()),
                "signed_total_wad": sp.as_ref().and_then(|s| signed(&s.total_wad)).map(|s| s.to_string()),
                "direction": sp.as_ref().map(|s| s.direction.clone()),
                "paid_wad": if n > 0 || st.is_some() { json!(paid_wad) } else { Value::Null },
                "payment": payment,
                "timeliness": rp.as_ref().and_then(|r| summary_str(r, "timeliness")),
                "report": rep.map(id),
                "debt_legacy_wad": legacy,
                "debt_vault_wad": vault,
                "debt_source": source,
                "penalties_wad": pen,
                "forgiven_wad": forg,
            })
        })
        .collect();
    let (pen, forg, paid_total) = totals(ix, prime);
    Some(json!({
        "prime": prime,
        "epochs": rows,
        "penalties": penalties,
        "receipts": receipts,
        "totals": {"penalties_wad": pen, "forgiven_wad": forg, "paid_wad": paid_total},
    }))
}

/// `GET /api/v1/ui/generator`: the Generator book at each sample.
pub fn generator(history: &ChainHistory) -> Value {
    let points: Vec<Value> = history
        .samples
        .iter()
        .filter_map(|s| {
            let b = s.book.as_ref()?;
            Some(json!({
                "epoch": s.epoch, "at": s.at,
                "total_assets_wad": b.total_assets_wad, "ilk_debt_wad": b.ilk_debt_wad,
                "vault_shares_value_wad": b.vault_shares_value_wad, "idle_usds_wad": b.idle_usds_wad,
                "receivables_wad": b.receivables_wad, "surplus_wad": b.surplus_wad,
                "shortfall_wad": b.shortfall_wad,
            }))
        })
        .collect();
    json!({"latest": points.last().cloned(), "points": points})
}

/// `GET /api/v1/ui/srusds`: the Holding System and queues at each sample, and every LCTS record.
pub fn srusds(ix: &Index, history: &ChainHistory) -> Value {
    let points: Vec<Value> = history
        .samples
        .iter()
        .filter_map(|s| {
            let h = s.holding_system.as_ref()?;
            Some(json!({
                "epoch": s.epoch, "at": s.at,
                "exchange_rate_wad": h.exchange_rate_wad, "holding_susds_wad": h.holding_susds_wad,
                "srusds_supply_wad": h.srusds_supply_wad, "srusds_value_susds_wad": h.srusds_value_susds_wad,
                "backing_ratio_wad": h.backing_ratio_wad,
                "subscribe_waiting_wad": s.subscribe_waiting_wad, "redeem_waiting_wad": s.redeem_waiting_wad,
            }))
        })
        .collect();
    let settlements: Vec<Value> = ix
        .of(Kind::LctsSettlement)
        .iter()
        .filter_map(|r| {
            let p = payload_of::<payload::LctsSettlement>(r)?;
            Some(json!({
                "record": id(r), "epoch": r.content.epoch, "settled_at": p.settled_at,
                "fallback_used": p.fallback_used,
                "rate_before_wad": p.rate_before_wad, "rate_after_wad": p.rate_after_wad,
                "subscribe_converted_susds_wad": p.subscribe_converted_susds_wad,
                "subscribe_output_srusds_wad": p.subscribe_output_srusds_wad,
                "redeem_converted_srusds_wad": p.redeem_converted_srusds_wad,
                "redeem_output_susds_wad": p.redeem_output_susds_wad,
            }))
        })
        .collect();
    json!({"latest": points.last().cloned(), "points": points, "settlements": settlements})
}

/// `GET /api/v1/ui/migration`: plans, steps, where each Prime's debt sits now, the
/// compatibility set.
pub fn migration(ix: &Index, history: &ChainHistory, primes: &[String]) -> Value {
    let latest = history.latest();
    let mut rows = Vec::new();
    let mut completed = 0;
    for p in primes {
        let plan = ix.of_prime(Kind::MigrationPlan, p).last();
        let pp = plan.and_then(payload_of::<payload::MigrationPlan>);
        let planned = pp.as_ref().map(|x| {
            x.tranches
                .iter()
                .fold(Wad::ZERO, |a, t| add(a, t.amount_wad))
        });
        let loc = latest.and_then(|s| s.debt_locations.iter().find(|d| d.prime == *p));
        let rep = ix
            .of_prime(Kind::PrimeReport, p)
            .last()
            .and_then(payload_of::<payload::PrimeReport>);
        let (legacy, vault, source) = debt_at(p, latest, rep.as_ref());
        let status = match loc {
            Some(d) => d.migration.to_string(),
            None if pp.is_some() => "planned".to_string(),
            None => "none".to_string(),
        };
        if status == "completed" {
            completed += 1;
        }
        rows.push(json!({
            "prime": p,
            "legacy_ilk": pp.as_ref().map(|x| x.legacy_ilk.clone()).or_else(|| loc.map(|d| d.legacy_ilk.clone()).filter(|s| !s.is_empty())),
            "plan": plan.map(id),
            "cutover_epoch": pp.as_ref().map(|x| x.cutover_epoch),
            "planned_wad": planned,
            "debt_legacy_wad": legacy,
            "debt_vault_wad": vault,
            "debt_source": source,
            "status": status,
        }));
    }
    let steps: Vec<Value> = ix
        .of(Kind::MigrationStep)
        .iter()
        .filter_map(|r| {
            let s = payload_of::<payload::MigrationStep>(r)?;
            Some(json!({"record": id(r), "epoch": r.content.epoch, "prime": s.prime, "step": s.step, "amount_wad": s.amount_wad}))
        })
        .collect();
    json!({
        "primes": rows,
        "completed": completed,
        "steps": steps,
        "compatibility_set": latest.map(|s| s.compatibility_set.clone()).unwrap_or_default(),
    })
}

/// The records a finding is about: the subject Prime's records of the checked kind in the
/// report's epoch, or the epoch's skip record.
fn related(ix: &Index, check: &str, subject: Option<&str>, epoch: Option<EpochId>) -> Vec<String> {
    let Some(epoch) = epoch else {
        return Vec::new();
    };
    let in_epoch = |r: &&SignedRecord| r.content.epoch == Some(epoch);
    match subject {
        Some(s) if s.starts_with("prime:") => {
            let p = &s["prime:".len()..];
            let kinds: &[Kind] = match check {
                "payment" => &[Kind::SettlementStatement, Kind::PaymentReceipt],
                "penalties" => &[Kind::PenaltyEvent],
                _ => &[Kind::SettlementStatement],
            };
            kinds
                .iter()
                .flat_map(|k| ix.of_prime(*k, p).filter(in_epoch).map(id))
                .collect()
        }
        Some(s) if s.starts_with("epoch:") => {
            let e = EpochId::parse(&s["epoch:".len()..]).ok();
            ix.of(Kind::Skip)
                .iter()
                .filter(|r| r.content.epoch.is_some() && r.content.epoch == e)
                .map(id)
                .collect()
        }
        _ => Vec::new(),
    }
}

/// `GET /api/v1/ui/findings`: every verification report in epoch order, each finding with the
/// records it is about.
pub fn findings(ix: &Index) -> Value {
    let mut reports: Vec<&SignedRecord> = ix.of(Kind::VerificationReport).iter().collect();
    reports.sort_by_key(|r| (r.content.epoch, r.content.created_at));
    let (mut ok_all, mut flagged_all) = (0usize, 0usize);
    let out: Vec<Value> = reports
        .into_iter()
        .map(|r| {
            let f = payload_of::<payload::VerificationReport>(r).map(|v| v.findings).unwrap_or_default();
            let ok = f.iter().filter(|x| x.status == "ok").count();
            ok_all += ok;
            flagged_all += f.len() - ok;
            let findings: Vec<Value> = f
                .iter()
                .map(|x| json!({
                    "check": x.check, "status": x.status, "subject": x.subject, "detail": x.detail,
                    "records": related(ix, &x.check, x.subject.as_deref(), r.content.epoch),
                }))
                .collect();
            json!({"record": id(r), "epoch": r.content.epoch, "created_at": r.content.created_at, "ok": ok, "flagged": f.len() - ok, "findings": findings})
        })
        .collect();
    json!({"reports": out, "ok": ok_all, "flagged": flagged_all})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(amount_due: &str) -> payload::SettlementStatement {
        payload::SettlementStatement {
            prime: "spark".into(),
            total_wad: amount_due.into(),
            direction: "prime-pays-generator".into(),
            input_digest: B256::ZERO,
            statement: json!({ "amount_due_wad": amount_due }),
        }
    }

    fn w(s: &str) -> Wad {
        Wad::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn a_payment_at_16_00_exactly_is_on_time_one_second_later_is_late() {
        let due = EpochId::parse("2026-01-02")
            .map(|e| e.moment())
            .unwrap_or(Timestamp(0));
        let s = statement("10.5");
        let after = Timestamp(due.0 + 3600);
        assert_eq!(
            payment_status(&s, w("10.5"), paid_by(due, due), after, due),
            "on-time"
        );
        let late = Timestamp(due.0 + 1);
        assert_eq!(
            payment_status(&s, w("10.5"), paid_by(late, due), after, due),
            "late"
        );
    }

    #[test]
    fn an_underpaid_statement_is_pending_until_16_00_then_unpaid() {
        let due = Timestamp(1_767_369_600);
        let s = statement("10.5");
        let short = w("10.499999999999999999");
        assert_eq!(payment_status(&s, short, true, due, due), "pending");
        assert_eq!(
            payment_status(&s, short, true, Timestamp(due.0 + 1), due),
            "unpaid"
        );
        assert_eq!(
            payment_status(&statement("0"), Wad::ZERO, true, due, due),
            "n/a"
        );
    }

    #[test]
    fn signed_totals_add_exactly_across_directions() {
        let a = signed("-1.000000000000000001").unwrap_or(SignedWad::ZERO);
        let b = signed("3").unwrap_or(SignedWad::ZERO);
        assert_eq!(add_signed(a, b).to_string(), "1.999999999999999999");
        assert_eq!(add_signed(a, a).to_string(), "-2.000000000000000002");
        assert!(signed("1e3").is_none() && signed("--1").is_none());
    }
}
