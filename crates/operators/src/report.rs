//! lpha-report (SPEC §5.5): one signed daily performance summary per Prime and epoch.
//!
//! Contract: reads the chain through the seam (views and the event log) and the Synome;
//! writes only `prime-report` records (the `reporter` role), one per (Prime, epoch), idempotent
//! (a report of this reporter for that Prime and epoch already stored means done). Runs after
//! the Moment of Settlement. The summary (exact machine forms: decimal strings in wad, Unix
//! seconds):
//! - `window_start` (the posted statement's; the day before the lock without one);
//! - `debt_legacy_wad` at the lock (`⌊Art·rate/RAY⌋` from `Frob`/`Fold`) and `debt_vault_wad` (Prime-vault principal drawn − written down, from its log);
//! - `drawn_wad` / `repaid_wad`: legacy-ilk debt drawn and wiped inside the epoch's window;
//! - `obligation_wad` and `direction` from the posted statement (`missing` if none);
//! - `paid_on_time_wad`, `paid_late_wad`, `timeliness` (`on-time`, `late`, `unpaid`, `n/a`);
//! - `penalties_wad` (penalty events owed in this epoch) and `forgiven_wad` (forgiveness of them);
//! - `distributions_wad` (0: no tagged-address records exist yet);
//! - `headroom_mint_wad`, `headroom_payment_wad`: current `LIMIT_USDS_MINT` and
//!   `LIMIT_ASSET_TRANSFER⊕USDS⊕Generator ALMProxy` of the Prime's RateLimits now
//!   (`unlimited` for 2^256−1).

use crate::reader::Deployment;
use alloy_primitives::{B256, U256};
use laniakea_chain::families::prime_vault::PrimeVaultEvent;
use laniakea_chain::families::rate_limits::{RateLimitsAnswer, RateLimitsView};
use laniakea_chain::families::vat::VatEvent;
use laniakea_chain::rate_limits::{address_pair_key, limit_id, names};
use laniakea_chain::{mcd, Answer, Chain, EventKind, Query};
use laniakea_settlement::EpochId;
use laniakea_synome::record::payload;
use laniakea_synome::{
    Draft, Kind, Query as SQuery, SignedRecord, Store, Synome, SynomeError, Writer,
};
use laniakea_units::{Timestamp, Wad, RAY};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub struct Reporter {
    pub deployment: Deployment,
    pub writer: Writer,
}

fn list<S: Store>(
    syn: &mut Synome<S>,
    kind: Kind,
    epoch: Option<EpochId>,
) -> Result<Vec<SignedRecord>, SynomeError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (page, next) = syn.list(&SQuery {
            kind: Some(kind),
            epoch,
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

fn wad_text(v: U256) -> Value {
    if v == U256::MAX {
        json!("unlimited")
    } else {
        json!(Wad::from_raw(v))
    }
}

/// What one epoch's reports read, fetched once for all Primes.
struct Snapshot {
    log: Vec<laniakea_chain::Event>,
    statements: Vec<SignedRecord>,
    receipts: Vec<SignedRecord>,
    penalties: Vec<SignedRecord>,
    forgiveness: Vec<SignedRecord>,
}

impl Snapshot {
    fn read<S: Store>(
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<Snapshot, SynomeError> {
        Ok(Snapshot {
            log: chain.events_since(0),
            statements: list(syn, Kind::SettlementStatement, Some(epoch))?,
            receipts: list(syn, Kind::PaymentReceipt, Some(epoch))?,
            penalties: list(syn, Kind::PenaltyEvent, Some(epoch))?,
            forgiveness: list(syn, Kind::Forgiveness, None)?,
        })
    }
}

impl Reporter {
    /// The summary of one Prime for `epoch` (as of the chain's time).
    pub fn summary<S: Store>(
        &self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        prime: &str,
        epoch: EpochId,
    ) -> Result<BTreeMap<String, Value>, SynomeError> {
        let snap = Snapshot::read(chain, syn, epoch)?;
        Ok(self.summary_of(chain, &snap, prime, epoch))
    }

    fn summary_of(
        &self,
        chain: &dyn Chain,
        snap: &Snapshot,
        prime: &str,
        epoch: EpochId,
    ) -> BTreeMap<String, Value> {
        let p = self.deployment.primes.iter().find(|p| p.prime == prime);
        let mut m = BTreeMap::new();
        let Some(p) = p else {
            return m;
        };
        let subject = format!("prime:{prime}");
        // Debt, draws and repays from the Vat's log.
        let statement = snap
            .statements
            .iter()
            .find(|r| r.content.subject == subject)
            .and_then(|r| {
                serde_json::from_value::<payload::SettlementStatement>(r.content.payload.clone())
                    .ok()
            });
        // The window is the posted statement's; without one, the day before the lock.
        let window_start = statement
            .as_ref()
            .and_then(|s| s.statement["window_start"].as_u64())
            .map_or(Timestamp(epoch.lock().0.saturating_sub(86_400)), Timestamp);
        let ilk = mcd::ilk_id(&p.legacy_ilk);
        let (mut art, mut rate, mut drawn, mut repaid) = (U256::ZERO, RAY, U256::ZERO, U256::ZERO);
        for ev in &snap.log {
            if ev.contract != self.deployment.vat || ev.block_time >= epoch.lock() {
                continue;
            }
            if let EventKind::Vat(VatEvent::Frob {
                ilk: i,
                dart_up_wad,
                dart_down_wad,
                ..
            }) = &ev.kind
            {
                if Some(*i) == ilk {
                    art = art
                        .saturating_add(dart_up_wad.raw())
                        .saturating_sub(dart_down_wad.raw());
                    if ev.block_time >= window_start {
                        drawn = drawn.saturating_add(dart_up_wad.raw());
                        repaid = repaid.saturating_add(dart_down_wad.raw());
                    }
                }
            }
            if let EventKind::Vat(VatEvent::Fold {
                ilk: i,
                rate_delta_ray,
                ..
            }) = &ev.kind
            {
                if Some(*i) == ilk {
                    rate = rate.saturating_add(rate_delta_ray.raw());
                }
            }
        }
        m.insert(
            "debt_legacy_wad".into(),
            json!(Wad::from_raw(art.saturating_mul(rate) / RAY)),
        );
        // Prime-vault principal at the lock: drawn − written down, as the vault last logged it.
        let (mut vault_drawn, mut vault_wd) = (U256::ZERO, U256::ZERO);
        for ev in snap
            .log
            .iter()
            .filter(|e| Some(e.contract) == p.prime_vault && e.block_time < epoch.lock())
        {
            match &ev.kind {
                EventKind::PrimeVault(PrimeVaultEvent::PrimeDraw { drawn_wad, .. })
                | EventKind::PrimeVault(PrimeVaultEvent::PrimeRepay { drawn_wad, .. }) => {
                    vault_drawn = drawn_wad.raw()
                }
                EventKind::PrimeVault(PrimeVaultEvent::WriteDown {
                    written_down_wad, ..
                }) => vault_wd = written_down_wad.raw(),
                _ => {}
            }
        }
        m.insert(
            "debt_vault_wad".into(),
            json!(Wad::from_raw(vault_drawn.saturating_sub(vault_wd))),
        );
        m.insert("window_start".into(), json!(window_start.0));
        m.insert("drawn_wad".into(), json!(Wad::from_raw(drawn)));
        m.insert("repaid_wad".into(), json!(Wad::from_raw(repaid)));
        let due = statement
            .as_ref()
            .and_then(|s| serde_json::from_value::<Wad>(s.statement["amount_due_wad"].clone()).ok())
            .unwrap_or(Wad::ZERO);
        m.insert("obligation_wad".into(), json!(due));
        m.insert(
            "direction".into(),
            statement
                .as_ref()
                .map_or(json!("missing"), |s| json!(s.direction)),
        );
        let receipts: Vec<payload::PaymentReceipt> = snap
            .receipts
            .iter()
            .filter(|r| r.content.subject == subject)
            .filter_map(|r| serde_json::from_value(r.content.payload.clone()).ok())
            .collect();
        let on_time = receipts
            .iter()
            .filter(|r| r.paid_at <= epoch.moment())
            .fold(U256::ZERO, |a, r| a.saturating_add(r.amount_wad.raw()));
        let late = receipts
            .iter()
            .filter(|r| r.paid_at > epoch.moment())
            .fold(U256::ZERO, |a, r| a.saturating_add(r.amount_wad.raw()));
        m.insert("paid_on_time_wad".into(), json!(Wad::from_raw(on_time)));
        m.insert("paid_late_wad".into(), json!(Wad::from_raw(late)));
        let timeliness = if due.is_zero() {
            "n/a"
        } else if on_time >= due.raw() {
            "on-time"
        } else if on_time.saturating_add(late) >= due.raw() {
            "late"
        } else {
            "unpaid"
        };
        m.insert("timeliness".into(), json!(timeliness));
        let penalties: Vec<&SignedRecord> = snap
            .penalties
            .iter()
            .filter(|r| r.content.subject == subject)
            .collect();
        let ids: Vec<B256> = penalties.iter().map(|r| r.id).collect();
        let pen = penalties
            .iter()
            .filter_map(|r| {
                serde_json::from_value::<payload::PenaltyEvent>(r.content.payload.clone()).ok()
            })
            .fold(U256::ZERO, |a, p| a.saturating_add(p.amount_wad.raw()));
        let forgiven = snap
            .forgiveness
            .iter()
            .filter_map(|r| {
                serde_json::from_value::<payload::Forgiveness>(r.content.payload.clone()).ok()
            })
            .filter(|f| ids.contains(&f.penalty))
            .fold(U256::ZERO, |a, f| a.saturating_add(f.amount_wad.raw()));
        m.insert("penalties_wad".into(), json!(Wad::from_raw(pen)));
        m.insert("forgiven_wad".into(), json!(Wad::from_raw(forgiven)));
        m.insert("distributions_wad".into(), json!(Wad::ZERO));
        let headroom = |key: B256| -> Value {
            match chain.view(
                p.rate_limits,
                &Query::RateLimits(RateLimitsView::CurrentRateLimit {
                    key: laniakea_chain::call::Key(key),
                }),
            ) {
                Ok(Answer::RateLimits(RateLimitsAnswer::Current { current_rate_limit })) => {
                    wad_text(current_rate_limit.raw())
                }
                Ok(_) | Err(_) => json!("unreadable"),
            }
        };
        m.insert(
            "headroom_mint_wad".into(),
            headroom(limit_id(names::USDS_MINT)),
        );
        m.insert(
            "headroom_payment_wad".into(),
            headroom(address_pair_key(
                limit_id(names::ASSET_TRANSFER),
                self.deployment.usds,
                self.deployment.generator_proxy,
            )),
        );
        m
    }

    /// Writes each Prime's report for `epoch` once; returns how many were written.
    pub fn report<S: Store>(
        &self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<usize, SynomeError> {
        let me = self.writer.signer.address();
        let done: Vec<String> = list(syn, Kind::PrimeReport, Some(epoch))?
            .into_iter()
            .filter(|r| r.content.author == me)
            .map(|r| r.content.subject)
            .collect();
        let at = chain.now().max(epoch.moment());
        let snap = Snapshot::read(chain, syn, epoch)?;
        let mut drafts = Vec::new();
        for p in &self.deployment.primes {
            let subject = format!("prime:{}", p.prime);
            if done.contains(&subject) {
                continue;
            }
            let summary = self.summary_of(chain, &snap, &p.prime, epoch);
            drafts.push(
                Draft::new(
                    Kind::PrimeReport,
                    &subject,
                    at,
                    laniakea_synome::Provenance::SystemDerived,
                    json!({"prime": p.prime, "summary": summary}),
                )
                .epoch(epoch),
            );
        }
        let n = drafts.len();
        if n > 0 {
            syn.write(&self.writer, drafts)?;
        }
        Ok(n)
    }
}
