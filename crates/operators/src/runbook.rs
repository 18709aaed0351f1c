//! The Processing Window runbook of an epoch (SPEC §5.7): the steps lock, compute, post, pay,
//! verify, settle, report, each with its owner, deadline and status, so an operator never has
//! to improvise.
//!
//! Contract: the status of every step is derived from the Synome and the chain's time alone
//! (the same facts the operators use to skip a step already done): `done` with its evidence,
//! `pending` before its deadline, `overdue` after it, `skipped` for every step of an epoch with
//! a skip record. Read-only: it writes nothing. [`render`] is the human form (UTC date-times,
//! grouped amounts via `laniakea_units::human`); the [`Runbook`] itself serialises to the
//! machine form (Unix seconds, exact decimals).
//!
//! Deadlines (UTC, on the epoch's date): lock 13:00, compute 13:30, post 14:00, pay 16:00,
//! settle 16:00, verify 16:30, report 17:00. Verify and report follow the Moment of Settlement
//! because payment timeliness can only be judged after 16:00.

use crate::governance::{self, all_of, GovError};
use alloy_primitives::U256;
use laniakea_settlement::EpochId;
use laniakea_synome::record::payload;
use laniakea_synome::{Kind, Store, Synome};
use laniakea_units::{human, Timestamp, Wad};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Step {
    Lock,
    Compute,
    Post,
    Pay,
    Verify,
    Settle,
    Report,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Status {
    Done,
    Pending,
    Overdue,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepLine {
    pub step: Step,
    pub owner: &'static str,
    pub deadline: Timestamp,
    pub status: Status,
    /// What the status was derived from.
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Runbook {
    pub epoch: EpochId,
    pub skipped: bool,
    pub as_of: Timestamp,
    pub steps: Vec<StepLine>,
}

fn at(epoch: EpochId, hh: u64, mm: u64) -> Timestamp {
    Timestamp(epoch.lock().0 - 13 * 3600 + hh * 3600 + mm * 60)
}

/// The runbook of `epoch` as of `as_of` for the given Primes.
pub fn runbook<S: Store>(
    syn: &mut Synome<S>,
    deployment_start: Timestamp,
    primes: &[String],
    epoch: EpochId,
    as_of: Timestamp,
) -> Result<Runbook, GovError> {
    let (cal, _) = governance::calendar(syn, deployment_start)?;
    let plan: [(Step, &'static str, Timestamp); 7] = [
        (Step::Lock, "chain (Processing Window opens)", epoch.lock()),
        (
            Step::Compute,
            "settlement operator (GovOps)",
            at(epoch, 13, 30),
        ),
        (Step::Post, "settlement operator (GovOps)", at(epoch, 14, 0)),
        (
            Step::Pay,
            "Primes' relayers + Generator relayer",
            epoch.moment(),
        ),
        (Step::Verify, "lpla-checker", at(epoch, 16, 30)),
        (
            Step::Settle,
            "settlement operator + lpha-lcts",
            epoch.moment(),
        ),
        (Step::Report, "lpha-report", at(epoch, 17, 0)),
    ];
    if cal.is_skipped(epoch) {
        let skip = all_of(syn, Kind::Skip, Some(epoch))?;
        let evidence = skip.first().map_or("skip record".to_string(), |r| {
            format!("skip record {}", r.id)
        });
        return Ok(Runbook {
            epoch,
            skipped: true,
            as_of,
            steps: plan
                .iter()
                .map(|(step, owner, deadline)| StepLine {
                    step: *step,
                    owner,
                    deadline: *deadline,
                    status: Status::Skipped,
                    evidence: evidence.clone(),
                })
                .collect(),
        });
    }
    // Only what was recorded by `as_of`: a runbook of the past shows the past.
    let mut known = |kind| -> Result<Vec<laniakea_synome::SignedRecord>, GovError> {
        Ok(all_of(syn, kind, Some(epoch))?
            .into_iter()
            .filter(|r| r.content.created_at <= as_of)
            .collect())
    };
    let subjects: Vec<String> = primes.iter().map(|p| format!("prime:{p}")).collect();
    let statements: Vec<_> = known(Kind::SettlementStatement)?
        .into_iter()
        .filter(|r| subjects.contains(&r.content.subject))
        .collect();
    let mut due = U256::ZERO;
    for r in &statements {
        if let Ok(p) =
            serde_json::from_value::<payload::SettlementStatement>(r.content.payload.clone())
        {
            if let Ok(w) = serde_json::from_value::<Wad>(p.statement["amount_due_wad"].clone()) {
                due = due.saturating_add(w.raw());
            }
        }
    }
    for r in known(Kind::PenaltyEvent)?
        .into_iter()
        .filter(|r| subjects.contains(&r.content.subject))
    {
        if let Ok(p) = serde_json::from_value::<payload::PenaltyEvent>(r.content.payload) {
            due = due.saturating_add(p.amount_wad.raw());
        }
    }
    let paid = known(Kind::PaymentReceipt)?
        .into_iter()
        .filter(|r| subjects.contains(&r.content.subject))
        .filter_map(|r| serde_json::from_value::<payload::PaymentReceipt>(r.content.payload).ok())
        .fold(U256::ZERO, |a, p| a.saturating_add(p.amount_wad.raw()));
    let reports = known(Kind::VerificationReport)?;
    let prime_reports: Vec<_> = known(Kind::PrimeReport)?
        .into_iter()
        .filter(|r| subjects.contains(&r.content.subject))
        .collect();
    let n = primes.len();
    let posted = statements.len();
    let amount = |x: U256| human::amount(x, 18);
    let steps = plan
        .iter()
        .map(|(step, owner, deadline)| {
            let (done, evidence) = match step {
                Step::Lock => (
                    as_of >= epoch.lock(),
                    format!("chain time {}", human::utc(as_of)),
                ),
                Step::Compute | Step::Post => (
                    n > 0 && posted >= n,
                    format!("{posted} of {n} statements posted"),
                ),
                Step::Pay => (
                    posted >= n && paid >= due,
                    format!("{} of {} USDS receipted", amount(paid), amount(due)),
                ),
                Step::Verify => (
                    !reports.is_empty(),
                    format!("{} verification report(s)", reports.len()),
                ),
                Step::Settle => (
                    as_of >= epoch.moment() && posted >= n,
                    format!("Moment of Settlement {}", human::utc(epoch.moment())),
                ),
                Step::Report => (
                    n > 0 && prime_reports.len() >= n,
                    format!("{} of {n} Prime reports", prime_reports.len()),
                ),
            };
            let status = if done {
                Status::Done
            } else if as_of > *deadline {
                Status::Overdue
            } else {
                Status::Pending
            };
            StepLine {
                step: *step,
                owner,
                deadline: *deadline,
                status,
                evidence,
            }
        })
        .collect();
    Ok(Runbook {
        epoch,
        skipped: false,
        as_of,
        steps,
    })
}

/// The human form: a header line and one row per step.
pub fn render(r: &Runbook) -> String {
    use human::{Align, Table};
    let mut t = Table::new(&[
        ("step", Align::Left),
        ("status", Align::Left),
        ("deadline", Align::Left),
        ("owner", Align::Left),
        ("evidence", Align::Left),
    ]);
    for s in &r.steps {
        let step: &'static str = s.step.into();
        let status: &'static str = s.status.into();
        t.row(vec![
            step.to_string(),
            status.to_string(),
            human::utc(s.deadline),
            s.owner.to_string(),
            s.evidence.clone(),
        ]);
    }
    format!(
        "Processing Window runbook for epoch {}{} as of {}\n{}",
        r.epoch,
        if r.skipped { " (skipped)" } else { "" },
        human::utc(r.as_of),
        t.render()
    )
}
