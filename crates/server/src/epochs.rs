//! Synome-derived view models: the epoch timeline and status, statements, receipts, checker
//! findings, Prime reports, penalties with their forgiveness and escalations.
//!
//! Contract: read-only over the Synome's public API; the calendar (deployment start + skip
//! records) is `laniakea_operators::governance::calendar`, the runbook is
//! `laniakea_operators::runbook::runbook` — the same rules the operators and `laniakea runbook`
//! use, never restated here. Record payloads are passed through untouched (amounts stay exact
//! decimal strings with their unit in the field name). An epoch's status is a function of the
//! records created by the as-of time and that time alone (see [`status_of`]).

use crate::error::ApiError;
use crate::state::{AppState, BoxStore};
use alloy_primitives::B256;
use axum::http::StatusCode;
use laniakea_operators::governance;
use laniakea_settlement::{Calendar, EpochId};
use laniakea_synome::record::payload;
use laniakea_synome::{Kind, Query, SignedRecord, Synome};
use laniakea_units::Timestamp;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

type Syn = Synome<BoxStore>;

/// Every record matching `q` (all pages), in store order.
pub fn all(syn: &mut Syn, mut q: Query) -> Result<Vec<SignedRecord>, ApiError> {
    q.limit = 1000;
    let mut out = Vec::new();
    loop {
        let (recs, next) = syn.list(&q)?;
        out.extend(recs);
        match next {
            Some(n) => q.after = n,
            None => return Ok(out),
        }
    }
}

fn of_kind(
    syn: &mut Syn,
    kind: Kind,
    epoch: Option<EpochId>,
) -> Result<Vec<SignedRecord>, ApiError> {
    all(
        syn,
        Query {
            kind: Some(kind),
            epoch,
            ..Query::default()
        },
    )
}

fn superseded(recs: &[SignedRecord]) -> BTreeSet<B256> {
    recs.iter().filter_map(|r| r.content.supersedes).collect()
}

fn prime_of(r: &SignedRecord) -> Option<&str> {
    r.content.subject.strip_prefix("prime:")
}

/// The deployment's start: configured, else the chain's first block, else the genesis record.
pub fn deployment_start(st: &AppState, syn: &mut Syn) -> Result<Timestamp, ApiError> {
    if let Some(t) = st.config.deployment_start {
        return Ok(t);
    }
    if let Some(t) = st.deployment.first_block_time {
        return Ok(t);
    }
    let (g, _) = syn.list(&Query {
        limit: 1,
        ..Query::default()
    })?;
    g.first().map(|r| r.content.created_at).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "api/empty-synome",
            "the Synome holds no records yet (no genesis): there is no calendar",
        )
    })
}

/// The Primes expected to settle: configured, else registered on chain, else every Prime with
/// a settlement statement.
pub fn primes(st: &AppState, syn: &mut Syn) -> Result<Vec<String>, ApiError> {
    if let Some(p) = &st.config.primes {
        return Ok(p.clone());
    }
    if !st.deployment.primes.is_empty() {
        return Ok(st
            .deployment
            .primes
            .iter()
            .map(|(p, _)| p.clone())
            .collect());
    }
    let mut set = BTreeSet::new();
    for r in of_kind(syn, Kind::SettlementStatement, None)? {
        if let Some(p) = prime_of(&r) {
            set.insert(p.to_string());
        }
    }
    Ok(set.into_iter().collect())
}

pub fn calendar(st: &AppState, syn: &mut Syn) -> Result<Calendar, ApiError> {
    let start = deployment_start(st, syn)?;
    governance::calendar(syn, start)
        .map(|(c, _)| c)
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, e.code(), e.to_string()))
}

/// One epoch's place in the timeline and how far its cycle got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EpochSummary {
    /// `YYYY-MM-DD`, the UTC date of its Moment of Settlement.
    #[schema(value_type = String, example = "2026-01-05")]
    pub epoch: EpochId,
    /// Sequence number counted from the deployment's first epoch (the first is 1).
    pub seq: u64,
    pub skipped: bool,
    /// 13:00 UTC of the epoch's date [Unix s].
    #[schema(value_type = u64)]
    pub lock: Timestamp,
    /// 16:00 UTC of the epoch's date [Unix s].
    #[schema(value_type = u64)]
    pub moment: Timestamp,
    /// The measurement window `[start, end)` [Unix s]; null for a skipped epoch.
    #[schema(value_type = Option<Object>)]
    pub window: Option<laniakea_settlement::Window>,
    /// `skipped`, `measuring` (before the lock), `processing`, `overdue` (a step missed its
    /// deadline), `verified` (checker report, every finding ok) or `flagged` (checker report
    /// with findings not ok).
    pub status: &'static str,
    pub primes_expected: u64,
    pub statements: u64,
    pub receipts: u64,
    pub prime_reports: u64,
    /// The checker's verification report, if written.
    pub checker_report: Option<String>,
    pub findings_ok: u64,
    pub findings_not_ok: u64,
    /// The time the status is judged at [Unix s].
    #[schema(value_type = u64)]
    pub as_of: Timestamp,
}

/// The records of one epoch that decide its status, counted.
#[derive(Default)]
struct Counts {
    statements: BTreeSet<String>,
    receipts: u64,
    prime_reports: BTreeSet<String>,
    report: Option<(B256, u64, u64)>,
    skip: bool,
}

/// Deadlines (as in the runbook): statements posted by 14:00, the checker's report by 16:30.
const POST_DEADLINE_S: u64 = 3600;
const VERIFY_DEADLINE_S: u64 = 30 * 60;

/// An epoch's status at `as_of`.
pub fn status_of(
    info: &laniakea_settlement::EpochInfo,
    statements: u64,
    primes: u64,
    report: Option<(u64, u64)>,
    as_of: Timestamp,
) -> &'static str {
    if info.skipped {
        return "skipped";
    }
    if as_of < info.lock {
        return "measuring";
    }
    if let Some((_, not_ok)) = report {
        return if not_ok == 0 { "verified" } else { "flagged" };
    }
    let post_late = as_of.0 > info.lock.0 + POST_DEADLINE_S && statements < primes;
    let verify_late = as_of.0 > info.moment.0 + VERIFY_DEADLINE_S;
    if post_late || verify_late {
        "overdue"
    } else {
        "processing"
    }
}

fn findings_of(r: &SignedRecord) -> Vec<payload::Finding> {
    serde_json::from_value::<payload::VerificationReport>(r.content.payload.clone())
        .map(|v| v.findings)
        .unwrap_or_default()
}

/// Collects the counts of every epoch in one pass over the kinds that matter (records created
/// by `as_of` only, so a past status shows the past).
fn counts(
    syn: &mut Syn,
    as_of: Timestamp,
    epoch: Option<EpochId>,
) -> Result<BTreeMap<EpochId, Counts>, ApiError> {
    let mut by: BTreeMap<EpochId, Counts> = BTreeMap::new();
    for kind in [
        Kind::SettlementStatement,
        Kind::PaymentReceipt,
        Kind::PrimeReport,
        Kind::VerificationReport,
        Kind::Skip,
    ] {
        let recs = of_kind(syn, kind, epoch)?;
        let gone = superseded(&recs);
        for r in recs {
            let (Some(e), false) = (r.content.epoch, gone.contains(&r.id)) else {
                continue;
            };
            if r.content.created_at > as_of {
                continue;
            }
            let c = by.entry(e).or_default();
            match kind {
                Kind::SettlementStatement => {
                    c.statements.insert(r.content.subject.clone());
                }
                Kind::PaymentReceipt => c.receipts += 1,
                Kind::PrimeReport => {
                    c.prime_reports.insert(r.content.subject.clone());
                }
                Kind::VerificationReport => {
                    let f = findings_of(&r);
                    let ok = f.iter().filter(|x| x.status == "ok").count() as u64;
                    c.report = Some((r.id, ok, f.len() as u64 - ok));
                }
                Kind::Skip => c.skip = true,
                _ => {}
            }
        }
    }
    Ok(by)
}

fn summary(
    cal: &Calendar,
    e: EpochId,
    c: Option<&Counts>,
    primes: u64,
    as_of: Timestamp,
) -> Result<EpochSummary, ApiError> {
    let info = cal
        .info(e)
        .map_err(|err| ApiError::not_found("api/unknown-epoch", format!("epoch {e}: {err}")))?;
    let statements = c.map_or(0, |c| c.statements.len() as u64);
    let report = c.and_then(|c| c.report);
    Ok(EpochSummary {
        epoch: e,
        seq: info.seq,
        skipped: info.skipped,
        lock: info.lock,
        moment: info.moment,
        window: info.window,
        status: status_of(&info, statements, primes, report.map(|r| (r.1, r.2)), as_of),
        primes_expected: primes,
        statements,
        receipts: c.map_or(0, |c| c.receipts),
        prime_reports: c.map_or(0, |c| c.prime_reports.len() as u64),
        checker_report: report.map(|r| r.0.to_string()),
        findings_ok: report.map_or(0, |r| r.1),
        findings_not_ok: report.map_or(0, |r| r.2),
        as_of,
    })
}

/// The last epoch known at `as_of`: the epoch of `as_of`'s UTC date.
fn last_known(as_of: Timestamp) -> Result<EpochId, ApiError> {
    EpochId::date_of(as_of).map_err(|e| ApiError::internal(format!("as-of time {as_of:?}: {e}")))
}

/// Checks that `e` is an epoch of this deployment as of `as_of` (404 `api/unknown-epoch`).
pub fn known_epoch(cal: &Calendar, e: EpochId, as_of: Timestamp) -> Result<(), ApiError> {
    if e < cal.first_epoch() {
        return Err(ApiError::not_found(
            "api/unknown-epoch",
            format!(
                "epoch {e} is before the deployment's first epoch {}",
                cal.first_epoch()
            ),
        ));
    }
    let last = last_known(as_of)?;
    if e > last {
        return Err(ApiError::not_found(
            "api/unknown-epoch",
            format!(
                "epoch {e} has not begun: the latest epoch as of {} is {last}",
                as_of.0
            ),
        ));
    }
    Ok(())
}

/// `GET /epochs`: the timeline `[from, to]` (default: first epoch → the latest), oldest first.
pub fn list(
    st: &AppState,
    syn: &mut Syn,
    from: Option<EpochId>,
    to: Option<EpochId>,
    as_of: Timestamp,
) -> Result<Value, ApiError> {
    let cal = calendar(st, syn)?;
    let primes = primes(st, syn)?.len() as u64;
    let counts = counts(syn, as_of, None)?;
    let last = last_known(as_of)?;
    let mut e = from.unwrap_or(cal.first_epoch()).max(cal.first_epoch());
    let end = to.unwrap_or(last).min(last);
    let mut out = Vec::new();
    while e <= end && out.len() < MAX_EPOCHS {
        out.push(summary(&cal, e, counts.get(&e), primes, as_of)?);
        e = e
            .next()
            .map_err(|err| ApiError::internal(format!("calendar: {err}")))?;
    }
    Ok(json!({
        "as_of": as_of,
        "first_epoch": cal.first_epoch(),
        "epochs": out,
        "truncated": e <= end,
    }))
}

/// Most epochs one timeline response lists (about 11 years).
pub const MAX_EPOCHS: usize = 4096;

/// `GET /epochs/{epoch}`: the summary plus the runbook's steps (owner, deadline, status,
/// evidence).
pub fn detail(
    st: &AppState,
    syn: &mut Syn,
    e: EpochId,
    as_of: Timestamp,
) -> Result<Value, ApiError> {
    let cal = calendar(st, syn)?;
    known_epoch(&cal, e, as_of)?;
    let primes = primes(st, syn)?;
    let counts = counts(syn, as_of, Some(e))?;
    let s = summary(&cal, e, counts.get(&e), primes.len() as u64, as_of)?;
    let start = deployment_start(st, syn)?;
    let rb = laniakea_operators::runbook::runbook(syn, start, &primes, e, as_of)
        .map_err(|err| ApiError::new(StatusCode::CONFLICT, err.code(), err.to_string()))?;
    let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.insert("primes".into(), json!(primes));
        m.insert(
            "steps".into(),
            serde_json::to_value(&rb.steps).unwrap_or(Value::Null),
        );
    }
    Ok(v)
}

fn entry(r: &SignedRecord, gone: &BTreeSet<B256>) -> Value {
    json!({
        "record": r.id,
        "prime": prime_of(r),
        "epoch": r.content.epoch,
        "created_at": r.content.created_at,
        "author": r.content.author,
        "superseded": gone.contains(&r.id),
    })
}

fn with_payload(r: &SignedRecord, gone: &BTreeSet<B256>) -> Value {
    let mut v = entry(r, gone);
    if let (Some(m), Value::Object(p)) = (v.as_object_mut(), &r.content.payload) {
        for (k, x) in p {
            if k != "prime" {
                m.insert(k.clone(), x.clone());
            }
        }
    }
    v
}

fn filtered(
    syn: &mut Syn,
    kind: Kind,
    epoch: Option<EpochId>,
    prime: Option<&str>,
) -> Result<(Vec<SignedRecord>, BTreeSet<B256>), ApiError> {
    let subject = prime.map(|p| format!("prime:{p}"));
    let recs = all(
        syn,
        Query {
            kind: Some(kind),
            epoch,
            subject,
            ..Query::default()
        },
    )?;
    let gone = superseded(&recs);
    Ok((recs, gone))
}

/// Checks the epoch exists, then lists the epoch's records of `kind` with their payloads.
fn epoch_records(
    st: &AppState,
    syn: &mut Syn,
    e: EpochId,
    prime: Option<&str>,
    kind: Kind,
    field: &str,
) -> Result<Value, ApiError> {
    let cal = calendar(st, syn)?;
    let as_of = st.as_of(syn)?;
    known_epoch(&cal, e, as_of)?;
    let (recs, gone) = filtered(syn, kind, Some(e), prime)?;
    let list: Vec<Value> = recs.iter().map(|r| with_payload(r, &gone)).collect();
    Ok(json!({ "epoch": e, field: list }))
}

/// `GET /epochs/{epoch}/statements`: every settlement statement of the epoch (the full
/// statement JSON as `laniakea settle --json` prints it, plus the record).
pub fn statements(
    st: &AppState,
    syn: &mut Syn,
    e: EpochId,
    prime: Option<&str>,
) -> Result<Value, ApiError> {
    epoch_records(st, syn, e, prime, Kind::SettlementStatement, "statements")
}

/// `GET /epochs/{epoch}/receipts`.
pub fn receipts(
    st: &AppState,
    syn: &mut Syn,
    e: EpochId,
    prime: Option<&str>,
) -> Result<Value, ApiError> {
    epoch_records(st, syn, e, prime, Kind::PaymentReceipt, "receipts")
}

/// `GET /epochs/{epoch}/prime-reports`.
pub fn prime_reports(
    st: &AppState,
    syn: &mut Syn,
    e: EpochId,
    prime: Option<&str>,
) -> Result<Value, ApiError> {
    epoch_records(st, syn, e, prime, Kind::PrimeReport, "prime_reports")
}

/// `GET /epochs/{epoch}/findings`: the checker's verification report of the epoch.
pub fn findings(st: &AppState, syn: &mut Syn, e: EpochId) -> Result<Value, ApiError> {
    let cal = calendar(st, syn)?;
    let as_of = st.as_of(syn)?;
    known_epoch(&cal, e, as_of)?;
    let (recs, gone) = filtered(syn, Kind::VerificationReport, Some(e), None)?;
    let live = recs.iter().rev().find(|r| !gone.contains(&r.id));
    Ok(match live {
        Some(r) => json!({
            "epoch": e,
            "report": r.id,
            "created_at": r.content.created_at,
            "author": r.content.author,
            "findings": findings_of(r),
        }),
        None => {
            json!({ "epoch": e, "report": null, "created_at": null, "author": null, "findings": [] })
        }
    })
}

/// `GET /penalties`: every penalty event with what is forgiven of it (forgivenesses that a
/// later one superseded no longer count) and what remains, and the escalations.
pub fn penalties(
    syn: &mut Syn,
    epoch: Option<EpochId>,
    prime: Option<&str>,
) -> Result<Value, ApiError> {
    let (pens, _) = filtered(syn, Kind::PenaltyEvent, epoch, prime)?;
    let (forg, forg_gone) = filtered(syn, Kind::Forgiveness, None, prime)?;
    let (esc, esc_gone) = filtered(syn, Kind::Escalation, epoch, prime)?;
    let mut out = Vec::new();
    for p in &pens {
        let Ok(pe) = serde_json::from_value::<payload::PenaltyEvent>(p.content.payload.clone())
        else {
            continue;
        };
        let mut forgiven = alloy_primitives::U256::ZERO;
        let mut list = Vec::new();
        for f in &forg {
            let Ok(fp) = serde_json::from_value::<payload::Forgiveness>(f.content.payload.clone())
            else {
                continue;
            };
            if fp.penalty != p.id {
                continue;
            }
            let live = !forg_gone.contains(&f.id);
            if live {
                forgiven = forgiven.saturating_add(fp.amount_wad.raw());
            }
            list.push(json!({
                "record": f.id,
                "amount_wad": fp.amount_wad,
                "rationale": fp.rationale,
                "created_at": f.content.created_at,
                "superseded": !live,
            }));
        }
        let forgiven_w = laniakea_units::Wad::from_raw(forgiven);
        let open = laniakea_units::Wad::from_raw(pe.amount_wad.raw().saturating_sub(forgiven));
        out.push(json!({
            "record": p.id,
            "prime": pe.prime,
            "epoch": p.content.epoch,
            "obligation": pe.obligation,
            "amount_wad": pe.amount_wad,
            "from": pe.from,
            "to": pe.to,
            "forgiven_wad": forgiven_w,
            "open_wad": open,
            "forgiveness": list,
        }));
    }
    let escalations: Vec<Value> = esc.iter().map(|r| with_payload(r, &esc_gone)).collect();
    Ok(json!({ "penalties": out, "escalations": escalations }))
}
