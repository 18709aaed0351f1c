//! Governance inputs read from the Synome (SPEC §5.1): skips and parameter sets with their
//! effective epochs, turned into the calendar and the parameters in force for an epoch.
//!
//! Contract:
//! - Only records authorised by the Synome are read (it stores nothing else); a record that a
//!   later record `supersedes` is ignored.
//! - **Skips** must be written before the skipped epoch's lock; a later skip is refused with
//!   [`GovError::SkipAfterLock`] naming the record (SPEC §3: otherwise it is a missed settlement).
//! - **When a parameter takes effect.** A parameter set names an `effective_epoch`; it takes
//!   effect at the Moment of Settlement (16:00) of the first day that is on or after that epoch
//!   and whose Processing Window had not opened when the record was published: published inside a
//!   Processing Window (or after it), it waits for the next Moment of Settlement. Days are
//!   calendar days (a skipped day's 16:00 still counts: parameters are a governance clock, not a
//!   settlement). The statement of epoch `d` uses the parameters in force at its lock (13:00 of
//!   `d`): every set whose effect instant is at or before it, later effects overriding earlier
//!   ones field by field.
//! - Two sets taking effect at the same instant that give one field different values are
//!   contradictory: [`GovError::Contradictory`] names both records and the field; nothing is
//!   computed from them.
//! - **Reports** (SPEC §5.1) count for an epoch when written at or before its lock:
//!   `idle-location-report`s (per Prime and location, the balance from each point's `at` on,
//!   points of all reports merged), `sky-direct-report`s of that epoch (one per Prime and
//!   allocation) and `tagged-address` records written before the lock (a tag earns from the
//!   epoch after the one it is written in). Two reports giving one instant different balances,
//!   two reports of one allocation for one epoch, or two live tags of one address and asset are
//!   [`GovError::ContradictoryReports`] naming both records.
//! - Base Rate, SSR and the penalty rate are required ([`GovError::Missing`]); escalation
//!   thresholds default to the settlement crate's defaults, tiers to `[0, 0, 10, 20, 50]`.

use alloy_primitives::B256;
use laniakea_settlement::calendar::Calendar;
use laniakea_settlement::ledger::Thresholds;
use laniakea_settlement::statement::{IdleLocation, SkyDirect};
use laniakea_settlement::BalanceHistory;
use laniakea_settlement::{EpochId, Rates};
use laniakea_synome::record::payload::{
    IdleLocationReport, OsrcAllocation, ParameterSet, Skip, SkyDirectReport, TaggedAddress,
};
use laniakea_synome::{Kind, Query, SignedRecord, Store, Synome, SynomeError};
use laniakea_units::{Apr, Timestamp, Wad};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum GovError {
    #[error("skip record {record} for epoch {epoch} was written at {written}, after that epoch's lock at {lock}: a skip must precede the lock (SPEC §3)")]
    SkipAfterLock {
        record: B256,
        epoch: EpochId,
        written: Timestamp,
        lock: Timestamp,
    },
    #[error("parameter sets {first} and {second} both take effect at {at} and give `{field}` different values")]
    Contradictory {
        first: B256,
        second: B256,
        at: Timestamp,
        field: &'static str,
    },
    #[error("no parameter set in force at {at} gives `{field}`")]
    Missing { field: &'static str, at: Timestamp },
    #[error("record {record} ({kind}) has a payload that does not fit its schema: {reason}")]
    BadPayload {
        record: B256,
        kind: &'static str,
        reason: String,
    },
    #[error("{kind} records {first} and {second} disagree on {what}")]
    ContradictoryReports {
        kind: &'static str,
        first: B256,
        second: B256,
        what: String,
    },
    #[error("calendar: {0}")]
    Calendar(String),
    #[error("synome: {0}")]
    Synome(#[from] SynomeError),
}

impl GovError {
    pub fn code(&self) -> &'static str {
        match self {
            GovError::SkipAfterLock { .. } => "governance/skip-after-lock",
            GovError::Contradictory { .. } => "governance/contradictory-parameters",
            GovError::Missing { .. } => "governance/missing-parameter",
            GovError::BadPayload { .. } => "governance/bad-payload",
            GovError::ContradictoryReports { .. } => "governance/contradictory-reports",
            GovError::Calendar(_) => "governance/calendar",
            GovError::Synome(_) => "governance/synome",
        }
    }
}

/// Every live (not superseded) record of a kind, in store order.
pub fn all_of<S: Store>(
    syn: &mut Synome<S>,
    kind: Kind,
    epoch: Option<EpochId>,
) -> Result<Vec<SignedRecord>, SynomeError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (recs, next) = syn.list(&Query {
            kind: Some(kind),
            epoch,
            after,
            limit: 1000,
            ..Default::default()
        })?;
        out.extend(recs);
        match next {
            Some(n) => after = n,
            None => break,
        }
    }
    let superseded: BTreeSet<B256> = out.iter().filter_map(|r| r.content.supersedes).collect();
    out.retain(|r| !superseded.contains(&r.id));
    Ok(out)
}

fn typed<T: serde::de::DeserializeOwned>(r: &SignedRecord) -> Result<T, GovError> {
    serde_json::from_value(r.content.payload.clone()).map_err(|e| GovError::BadPayload {
        record: r.id,
        kind: r.content.kind.as_str(),
        reason: e.to_string(),
    })
}

/// The calendar: the deployment start and every valid skip record.
pub fn calendar<S: Store>(
    syn: &mut Synome<S>,
    deployment_start: Timestamp,
) -> Result<(Calendar, Vec<EpochId>), GovError> {
    let mut skips = BTreeSet::new();
    for r in all_of(syn, Kind::Skip, None)? {
        let s: Skip = typed(&r)?;
        if r.content.created_at >= s.epoch.lock() {
            return Err(GovError::SkipAfterLock {
                record: r.id,
                epoch: s.epoch,
                written: r.content.created_at,
                lock: s.epoch.lock(),
            });
        }
        skips.insert(s.epoch);
    }
    let skips: Vec<EpochId> = skips.into_iter().collect();
    let cal = Calendar::new(deployment_start, skips.iter().copied())
        .map_err(|e| GovError::Calendar(e.to_string()))?;
    Ok((cal, skips))
}

/// The instant a parameter set published at `published` for `effective` takes effect.
pub fn takes_effect_at(effective: EpochId, published: Timestamp) -> Timestamp {
    let mut day = effective;
    while published >= day.lock() {
        match day.next() {
            Ok(n) => day = n,
            Err(_) => return Timestamp(u64::MAX),
        }
    }
    day.moment()
}

/// The parameters in force at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub rates: Rates,
    pub penalty_rate_per_hour_wad: Wad,
    pub thresholds: Thresholds,
    pub tiers_bps: [u32; 5],
    /// Per Prime: OSRC allocation [wad] and its premium rate.
    pub osrc: BTreeMap<String, (Wad, Apr)>,
    pub generator_buffer_min_wad: Option<Wad>,
    /// The parameter-set records that contributed (ids), for provenance.
    pub sources: Vec<B256>,
}

#[derive(Default)]
struct Merged {
    fields: BTreeMap<&'static str, (serde_json::Value, B256, Timestamp)>,
}

impl Merged {
    fn put(
        &mut self,
        field: &'static str,
        v: serde_json::Value,
        id: B256,
        at: Timestamp,
    ) -> Result<(), GovError> {
        if let Some((old, first, old_at)) = self.fields.get(field) {
            if *old_at == at && *old != v {
                return Err(GovError::Contradictory {
                    first: *first,
                    second: id,
                    at,
                    field,
                });
            }
        }
        self.fields.insert(field, (v, id, at));
        Ok(())
    }
    fn get<T: serde::de::DeserializeOwned>(&self, field: &'static str) -> Option<T> {
        self.fields
            .get(field)
            .and_then(|(v, _, _)| serde_json::from_value(v.clone()).ok())
    }
}

/// The parameters in force at `at` (for a statement: the epoch's lock).
pub fn params_at<S: Store>(syn: &mut Synome<S>, at: Timestamp) -> Result<Params, GovError> {
    let mut sets = Vec::new();
    for r in all_of(syn, Kind::ParameterSet, None)? {
        let p: ParameterSet = typed(&r)?;
        let eff = takes_effect_at(p.effective_epoch, r.content.created_at);
        if eff <= at {
            sets.push((eff, r.id, p));
        }
    }
    // Earlier effects first; store order within one instant (checked for contradictions).
    sets.sort_by_key(|(eff, _, _)| *eff);
    let mut m = Merged::default();
    let mut sources = Vec::new();
    for (eff, id, p) in &sets {
        sources.push(*id);
        let j = |v: &dyn erased::Ser| v.json();
        if let Some(v) = &p.base_rate_apr {
            m.put("base_rate_apr", j(v), *id, *eff)?;
        }
        if let Some(v) = &p.ssr_apr {
            m.put("ssr_apr", j(v), *id, *eff)?;
        }
        if let Some(v) = &p.penalty_rate_per_hour_wad {
            m.put("penalty_rate_per_hour_wad", j(v), *id, *eff)?;
        }
        if let Some(v) = &p.restrict_after_s {
            m.put("restrict_after_s", j(v), *id, *eff)?;
        }
        if let Some(v) = &p.review_after_s {
            m.put("review_after_s", j(v), *id, *eff)?;
        }
        if let Some(v) = &p.tiers_bps {
            m.put("tiers_bps", j(v), *id, *eff)?;
        }
        if let Some(v) = &p.generator_buffer_min_wad {
            m.put("generator_buffer_min_wad", j(v), *id, *eff)?;
        }
        if !p.osrc.is_empty() {
            m.put("osrc", j(&p.osrc), *id, *eff)?;
        }
    }
    let base: Apr = m.get("base_rate_apr").ok_or(GovError::Missing {
        field: "base_rate_apr",
        at,
    })?;
    let ssr: Apr = m.get("ssr_apr").ok_or(GovError::Missing {
        field: "ssr_apr",
        at,
    })?;
    let penalty: Wad = m
        .get("penalty_rate_per_hour_wad")
        .ok_or(GovError::Missing {
            field: "penalty_rate_per_hour_wad",
            at,
        })?;
    let rates = Rates::new(base, ssr).map_err(|e| GovError::BadPayload {
        record: m
            .fields
            .get("base_rate_apr")
            .map(|x| x.1)
            .unwrap_or_default(),
        kind: "parameter-set",
        reason: e.to_string(),
    })?;
    let d = Thresholds::default();
    let osrc: Vec<OsrcAllocation> = m.get("osrc").unwrap_or_default();
    Ok(Params {
        rates,
        penalty_rate_per_hour_wad: penalty,
        thresholds: Thresholds {
            restrict_after_s: m.get("restrict_after_s").unwrap_or(d.restrict_after_s),
            review_after_s: m.get("review_after_s").unwrap_or(d.review_after_s),
        },
        tiers_bps: m.get("tiers_bps").unwrap_or([0, 0, 10, 20, 50]),
        osrc: osrc
            .into_iter()
            .map(|o| (o.prime, (o.allocation_wad, o.rate_apr)))
            .collect(),
        generator_buffer_min_wad: m.get("generator_buffer_min_wad"),
        sources,
    })
}

/// Serialising a field value without naming its type at the call site.
mod erased {
    pub trait Ser {
        fn json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

/// A reported series (points of several records merged): the balance from each `at` on.
fn merged_points(
    kind: &'static str,
    points: Vec<(Timestamp, Wad, B256)>,
    what: &str,
) -> Result<Vec<(Timestamp, Wad)>, GovError> {
    let mut by_at: BTreeMap<Timestamp, (Wad, B256)> = BTreeMap::new();
    for (at, v, id) in points {
        if let Some((old, first)) = by_at.get(&at) {
            if *old != v {
                return Err(GovError::ContradictoryReports {
                    kind,
                    first: *first,
                    second: id,
                    what: format!("{what} at {at}"),
                });
            }
        }
        by_at.insert(at, (v, id));
    }
    Ok(by_at.into_iter().map(|(t, (v, _))| (t, v)).collect())
}

/// A step series cut to a window: the balance at the start, then the changes strictly inside.
pub fn cut_points(points: &[(Timestamp, Wad)], w: laniakea_settlement::Window) -> BalanceHistory {
    let at = |t: Timestamp| {
        points
            .iter()
            .take_while(|(c, _)| *c <= t)
            .last()
            .map_or(alloy_primitives::U256::ZERO, |(_, v)| v.raw())
    };
    let mut last = at(w.start);
    let mut changes = Vec::new();
    for (t, v) in points.iter().filter(|(t, _)| *t > w.start && *t < w.end) {
        if v.raw() != last {
            changes.push((*t, v.raw()));
            last = v.raw();
        }
    }
    BalanceHistory::new(at(w.start), changes)
        .unwrap_or_else(|e| panic!("bug: merged points are in time order: {e}"))
}

/// A tag in force for an epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInForce {
    pub record: B256,
    pub tag: TaggedAddress,
    /// The epoch the tag was written in (it earns from the next one).
    pub tagged_from: EpochId,
}

/// What GovOps and the Core Council reported for an epoch (see the module contract).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reports {
    /// Per Prime: each reported idle location (location order).
    pub idle: BTreeMap<String, Vec<IdleLocation>>,
    /// Per Prime: each Sky Direct allocation (allocation order).
    pub sky_direct: BTreeMap<String, Vec<SkyDirect>>,
    /// Tags written before the lock (address, asset order).
    pub tags: Vec<TagInForce>,
}

/// The reports that count for `epoch` (written at or before its lock), cut to `window`.
pub fn reports<S: Store>(
    syn: &mut Synome<S>,
    epoch: EpochId,
    window: laniakea_settlement::Window,
) -> Result<Reports, GovError> {
    let lock = epoch.lock();
    let mut out = Reports::default();
    // (prime, location) → every reported point with its record.
    type Points = Vec<(Timestamp, Wad, B256)>;
    let mut idle: BTreeMap<(String, String), Points> = BTreeMap::new();
    for r in all_of(syn, Kind::IdleLocationReport, None)? {
        if r.content.created_at > lock {
            continue;
        }
        let p: IdleLocationReport = typed(&r)?;
        idle.entry((p.prime, p.location))
            .or_default()
            .extend(p.balances.iter().map(|b| (b.at, b.balance_wad, r.id)));
    }
    for ((prime, location), pts) in idle {
        let pts = merged_points(
            "idle-location-report",
            pts,
            &format!("{prime} at {location}"),
        )?;
        out.idle.entry(prime).or_default().push(IdleLocation {
            location,
            balance: cut_points(&pts, window),
        });
    }
    let mut sky: BTreeMap<(String, String), (B256, SkyDirectReport)> = BTreeMap::new();
    for r in all_of(syn, Kind::SkyDirectReport, Some(epoch))? {
        if r.content.created_at > lock {
            continue;
        }
        let p: SkyDirectReport = typed(&r)?;
        let k = (p.prime.clone(), p.allocation.clone());
        if let Some((first, _)) = sky.get(&k) {
            return Err(GovError::ContradictoryReports {
                kind: "sky-direct-report",
                first: *first,
                second: r.id,
                what: format!("allocation {} of {} for {epoch}", k.1, k.0),
            });
        }
        sky.insert(k, (r.id, p));
    }
    for ((prime, allocation), (_, p)) in sky {
        let pts: Vec<(Timestamp, Wad)> = p.exposure.iter().map(|b| (b.at, b.balance_wad)).collect();
        out.sky_direct.entry(prime).or_default().push(SkyDirect {
            allocation,
            exposure: cut_points(&pts, window),
            actual_profit: p.actual_profit_wad,
        });
    }
    let mut tags: BTreeMap<(alloy_primitives::Address, &'static str), TagInForce> = BTreeMap::new();
    for r in all_of(syn, Kind::TaggedAddress, None)? {
        if r.content.created_at >= lock {
            continue;
        }
        let t: TaggedAddress = typed(&r)?;
        let tagged_from = EpochId::date_of(r.content.created_at)
            .map_err(|e| GovError::Calendar(e.to_string()))?;
        let k = (t.address, t.asset.as_str());
        if let Some(first) = tags.get(&k) {
            return Err(GovError::ContradictoryReports {
                kind: "tagged-address",
                first: first.record,
                second: r.id,
                what: format!("the tag of {} ({})", k.0, k.1),
            });
        }
        tags.insert(
            k,
            TagInForce {
                record: r.id,
                tag: t,
                tagged_from,
            },
        );
    }
    out.tags = tags.into_values().collect();
    Ok(out)
}
