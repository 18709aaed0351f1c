//! The settlement calendar (SPEC §3): epochs, lock/moment/due instants, measurement windows,
//! skips and window classification.
//!
//! Contract: all times UTC, whole seconds. Epoch `d` locks at 13:00 of `d` and settles (is due)
//! at 16:00 of `d`. Measurement windows run lock-to-lock between *executed* epochs and tile time
//! from the deployment start: no second is measured twice or never. A skipped epoch has no window;
//! its time is measured by the next executed epoch. Sequence numbers count calendar days from the
//! deployment's first epoch (1-based), skipped or not, so adding a skip never renumbers epochs.
//! Pure: no clock, the instant is always an argument. [`EpochId`] and the supported time range
//! live in `laniakea_units::time` (so the Synome need not depend on this crate for them) and are
//! re-exported here.

pub use laniakea_units::time::{LOCK_OFFSET_S, MOMENT_OFFSET_S, SECONDS_PER_DAY};
use laniakea_units::Timestamp;
pub use laniakea_units::{EpochId, TimeError};
use serde::Serialize;
use std::collections::BTreeSet;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("epoch {epoch} is before the deployment's first epoch {first}")]
    BeforeFirstEpoch { epoch: EpochId, first: EpochId },
    #[error("epoch {0} is skipped: it has no window and no settlement")]
    Skipped(EpochId),
    #[error("skip {skip} is before the deployment's first epoch {first}")]
    SkipBeforeFirst { skip: EpochId, first: EpochId },
    #[error("the deployment start {start} is after the last supported epoch's lock (9999-12-31 13:00 UTC)")]
    StartAfterLastEpoch { start: Timestamp },
    #[error(transparent)]
    Time(#[from] TimeError),
}

/// A half-open interval `[start, end)` of chain time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Window {
    pub fn duration_s(&self) -> u64 {
        self.end.0.saturating_sub(self.start.0)
    }
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

/// Where an instant falls in the daily cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "window", rename_all = "kebab-case")]
pub enum Phase {
    /// 16:00 → 13:00: normal operations. `measuring` is the executed epoch whose window holds it.
    Active { measuring: EpochId },
    /// 13:00 → 16:00 of an executed epoch: data frozen, settlement-critical actions only.
    Processing { epoch: EpochId, measuring: EpochId },
}

/// One epoch's instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EpochInfo {
    pub id: EpochId,
    pub seq: u64,
    pub skipped: bool,
    pub lock: Timestamp,
    pub moment: Timestamp,
    /// `None` for a skipped epoch.
    pub window: Option<Window>,
}

/// The deployment's calendar: its start and the governance skips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    start: Timestamp,
    first: EpochId,
    skips: BTreeSet<EpochId>,
}

impl Calendar {
    /// The first epoch is the first whose lock is strictly after the deployment start.
    pub fn new(
        start: Timestamp,
        skips: impl IntoIterator<Item = EpochId>,
    ) -> Result<Calendar, CalendarError> {
        let day = EpochId::date_of(start)?;
        let first = if start < day.lock() {
            day
        } else {
            day.next()
                .map_err(|_| CalendarError::StartAfterLastEpoch { start })?
        };
        let skips: BTreeSet<EpochId> = skips.into_iter().collect();
        if let Some(s) = skips.iter().find(|s| **s < first) {
            return Err(CalendarError::SkipBeforeFirst { skip: *s, first });
        }
        Ok(Calendar {
            start,
            first,
            skips,
        })
    }

    pub fn start(&self) -> Timestamp {
        self.start
    }

    pub fn first_epoch(&self) -> EpochId {
        self.first
    }

    pub fn is_skipped(&self, e: EpochId) -> bool {
        self.skips.contains(&e)
    }

    /// 1-based sequence number: calendar days since the first epoch, plus one.
    pub fn seq(&self, e: EpochId) -> Result<u64, CalendarError> {
        if e < self.first {
            return Err(CalendarError::BeforeFirstEpoch {
                epoch: e,
                first: self.first,
            });
        }
        Ok(e.day_number() - self.first.day_number() + 1)
    }

    /// The last executed epoch strictly before `e`, if any.
    pub fn previous_executed(&self, e: EpochId) -> Result<Option<EpochId>, CalendarError> {
        let mut d = e;
        loop {
            if d <= self.first {
                return Ok(None);
            }
            d = d.prev()?;
            if !self.is_skipped(d) {
                return Ok(Some(d));
            }
        }
    }

    /// The next executed epoch at or after `e`.
    pub fn next_executed(&self, e: EpochId) -> Result<EpochId, CalendarError> {
        let mut d = e.max(self.first);
        while self.is_skipped(d) {
            d = d.next()?;
        }
        Ok(d)
    }

    /// The measurement window of an executed epoch: from the previous executed epoch's lock (or
    /// the deployment start) to this epoch's lock.
    pub fn window(&self, e: EpochId) -> Result<Window, CalendarError> {
        if e < self.first {
            return Err(CalendarError::BeforeFirstEpoch {
                epoch: e,
                first: self.first,
            });
        }
        if self.is_skipped(e) {
            return Err(CalendarError::Skipped(e));
        }
        let start = match self.previous_executed(e)? {
            Some(p) => p.lock(),
            None => self.start,
        };
        Ok(Window {
            start,
            end: e.lock(),
        })
    }

    pub fn info(&self, e: EpochId) -> Result<EpochInfo, CalendarError> {
        let skipped = self.is_skipped(e);
        Ok(EpochInfo {
            id: e,
            seq: self.seq(e)?,
            skipped,
            lock: e.lock(),
            moment: e.moment(),
            window: if skipped { None } else { Some(self.window(e)?) },
        })
    }

    /// The executed epoch whose measurement window contains `t` (`t` ≥ deployment start).
    pub fn measuring_epoch(&self, t: Timestamp) -> Result<EpochId, CalendarError> {
        let day = EpochId::date_of(t)?;
        let candidate = if t < day.lock() { day } else { day.next()? };
        self.next_executed(candidate)
    }

    /// Active or Processing, and which epoch measures the instant.
    pub fn phase(&self, t: Timestamp) -> Result<Phase, CalendarError> {
        let day = EpochId::date_of(t)?;
        let measuring = self.measuring_epoch(t)?;
        let in_lock_hours = t >= day.lock() && t < day.moment();
        if in_lock_hours && day >= self.first && !self.is_skipped(day) {
            Ok(Phase::Processing {
                epoch: day,
                measuring,
            })
        } else {
            Ok(Phase::Active { measuring })
        }
    }

    /// The next `n` epochs (skipped ones included and flagged) whose Moment of Settlement is
    /// after `t`.
    pub fn next_epochs(&self, t: Timestamp, n: usize) -> Result<Vec<EpochInfo>, CalendarError> {
        let day = EpochId::date_of(t)?;
        let mut d = if t < day.moment() { day } else { day.next()? };
        d = d.max(self.first);
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            out.push(self.info(d)?);
            d = d.next()?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> EpochId {
        EpochId::parse(s).unwrap()
    }

    // 2026-01-01T00:00:00Z = 1767225600.
    const JAN1: u64 = 1_767_225_600;

    #[test]
    fn instants_of_an_epoch() {
        let d = e("2026-01-01");
        assert_eq!(d.lock(), Timestamp(JAN1 + 13 * 3600));
        assert_eq!(d.moment(), Timestamp(JAN1 + 16 * 3600));
        assert_eq!(d.next().unwrap(), e("2026-01-02"));
        assert_eq!(e("2026-03-01").prev().unwrap(), e("2026-02-28"));
    }

    #[test]
    fn bad_epoch_ids_are_refused() {
        assert!(EpochId::parse("2026-1-1").is_err());
        assert!(EpochId::parse("2026-02-30").is_err());
        assert!(EpochId::parse("yesterday").is_err());
    }

    #[test]
    fn first_epoch_depends_on_whether_the_start_is_before_lock() {
        let c = Calendar::new(Timestamp(JAN1 + 12 * 3600), []).unwrap();
        assert_eq!(c.first_epoch(), e("2026-01-01"));
        assert_eq!(
            c.window(e("2026-01-01")).unwrap(),
            Window {
                start: Timestamp(JAN1 + 12 * 3600),
                end: Timestamp(JAN1 + 13 * 3600)
            }
        );
        let c = Calendar::new(Timestamp(JAN1 + 13 * 3600), []).unwrap();
        assert_eq!(c.first_epoch(), e("2026-01-02"));
        assert_eq!(c.seq(e("2026-01-02")).unwrap(), 1);
        assert_eq!(c.seq(e("2026-01-05")).unwrap(), 4);
    }

    #[test]
    fn skipped_weekend_joins_the_next_window() {
        // Start Thursday 2026-01-01 00:00; skip Sat 3rd and Sun 4th.
        let c = Calendar::new(Timestamp(JAN1), [e("2026-01-03"), e("2026-01-04")]).unwrap();
        let fri = c.window(e("2026-01-02")).unwrap();
        let mon = c.window(e("2026-01-05")).unwrap();
        assert_eq!(fri.end, e("2026-01-02").lock());
        // Monday's window starts at Friday's lock: 3 days = 259,200 s.
        assert_eq!(mon.start, fri.end);
        assert_eq!(mon.duration_s(), 3 * 86_400);
        assert_eq!(
            c.window(e("2026-01-03")),
            Err(CalendarError::Skipped(e("2026-01-03")))
        );
        // Sequence numbers are not shifted by skips.
        assert_eq!(c.seq(e("2026-01-05")).unwrap(), 5);
    }

    #[test]
    fn phase_classification() {
        let c = Calendar::new(Timestamp(JAN1), [e("2026-01-03")]).unwrap();
        let at = |d: &str, h: u64, s: u64| Timestamp(e(d).lock().0 - 13 * 3600 + h * 3600 + s);
        assert_eq!(
            c.phase(at("2026-01-02", 12, 3599)).unwrap(),
            Phase::Active {
                measuring: e("2026-01-02")
            }
        );
        assert_eq!(
            c.phase(at("2026-01-02", 13, 0)).unwrap(),
            Phase::Processing {
                epoch: e("2026-01-02"),
                measuring: e("2026-01-04")
            }
        );
        assert_eq!(
            c.phase(at("2026-01-02", 15, 3599)).unwrap(),
            Phase::Processing {
                epoch: e("2026-01-02"),
                measuring: e("2026-01-04")
            }
        );
        assert_eq!(
            c.phase(at("2026-01-02", 16, 0)).unwrap(),
            Phase::Active {
                measuring: e("2026-01-04")
            }
        );
        // A skipped day's 13:00–16:00 is Active: there is no lock.
        assert_eq!(
            c.phase(at("2026-01-03", 14, 0)).unwrap(),
            Phase::Active {
                measuring: e("2026-01-04")
            }
        );
    }

    #[test]
    fn next_epochs_from_an_instant() {
        let c = Calendar::new(Timestamp(JAN1), [e("2026-01-03")]).unwrap();
        let v = c.next_epochs(e("2026-01-02").moment(), 3).unwrap();
        let ids: Vec<String> = v.iter().map(|i| i.id.to_string()).collect();
        assert_eq!(ids, ["2026-01-03", "2026-01-04", "2026-01-05"]);
        assert!(v[0].skipped && v[0].window.is_none());
        // One second before the moment: that epoch is still next.
        let v = c
            .next_epochs(Timestamp(e("2026-01-02").moment().0 - 1), 1)
            .unwrap();
        assert_eq!(v[0].id, e("2026-01-02"));
    }

    #[test]
    fn skips_before_first_epoch_are_refused() {
        assert!(matches!(
            Calendar::new(Timestamp(JAN1 + 86_400 * 3), [e("2026-01-01")]),
            Err(CalendarError::SkipBeforeFirst { .. })
        ));
    }
}
