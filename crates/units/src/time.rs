//! UTC calendar time: the supported range of instants, RFC 3339 parsing, and [`EpochId`] (an
//! epoch named by the UTC date of its Moment of Settlement, SPEC §3).
//!
//! Contract: every instant the system accepts lies in `1970-01-01T00:00:00Z ..=
//! 9999-12-31T23:59:59Z` ([`MIN_TIME`]..=[`MAX_TIME`]) and every epoch id in `1970-01-01 ..=
//! 9999-12-31`; an [`EpochId`] can only be built inside that range, so its instants (midnight,
//! 13:00 lock, 16:00 Moment of Settlement) always exist and are computed without a fallback.
//! Times are whole seconds: a fraction of a second is refused, never truncated. Pure: no clock.

use crate::fixed::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

pub const SECONDS_PER_DAY: u64 = 86_400;
/// 13:00 UTC: the lock (start of the Processing Window).
pub const LOCK_OFFSET_S: u64 = 13 * 3600;
/// 16:00 UTC: the Moment of Settlement and due time.
pub const MOMENT_OFFSET_S: u64 = 16 * 3600;
/// The earliest supported instant, 1970-01-01T00:00:00Z.
pub const MIN_TIME: Timestamp = Timestamp(0);
/// The latest supported instant, 9999-12-31T23:59:59Z.
pub const MAX_TIME: Timestamp = Timestamp(253_402_300_799);
/// What a time in an input must be, for error messages.
pub const TIME_RULE: &str = "a time must be whole Unix seconds from 0 to 253402300799 \
    (1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z) or an RFC 3339 UTC string such as \
    \"2026-01-05T13:00:00Z\"";

const UNIX_EPOCH_DATE: Date = Date::constant(1970, 1, 1);
const MAX_DATE: Date = Date::constant(9999, 12, 31);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    #[error("'{0}' is not an epoch id (YYYY-MM-DD)")]
    BadEpochId(String),
    #[error("epoch {0} is outside the supported range 1970-01-01 to 9999-12-31")]
    EpochOutOfRange(String),
    #[error("epoch {0} has no next epoch: 9999-12-31 is the last supported date")]
    NoNextEpoch(EpochId),
    #[error("epoch {0} has no previous epoch: 1970-01-01 is the first supported date")]
    NoPreviousEpoch(EpochId),
    #[error("time {0} is after 9999-12-31T23:59:59Z, the latest supported time")]
    TimeAfterMax(Timestamp),
    #[error("'{0}' is a valid RFC 3339 time but outside the supported range 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z")]
    Rfc3339OutOfRange(String),
    #[error("'{0}' has a fraction of a second; times are whole seconds")]
    FractionalSecond(String),
    #[error("'{0}' is not an RFC 3339 UTC time; {TIME_RULE}")]
    NotRfc3339(String),
}

/// Days since 1970-01-01 of a civil date (negative before it).
fn days_since_unix_epoch(d: Date) -> i64 {
    // `Date::until` between two valid civil dates cannot fail (jiff's date range is ±9999 years,
    // well inside a span of days); a failure is a bug in jiff's contract, not an input error.
    let span = UNIX_EPOCH_DATE
        .until(d)
        .unwrap_or_else(|e| panic!("bug: days between two civil dates: {e}"));
    i64::from(span.get_days())
}

/// Parses an RFC 3339 instant (`"2026-01-05T13:00:00Z"`, any numeric offset) into whole Unix
/// seconds inside the supported range.
pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimeError> {
    let not = || TimeError::NotRfc3339(text.to_string());
    let p = jiff::fmt::temporal::Pieces::parse(text).map_err(|_| not())?;
    let (Some(time), Some(offset)) = (p.time(), p.offset()) else {
        return Err(not());
    };
    if p.time_zone_annotation().is_some() {
        return Err(not());
    }
    if time.subsec_nanosecond() != 0 {
        return Err(TimeError::FractionalSecond(text.to_string()));
    }
    let secs = days_since_unix_epoch(p.date()) * 86_400
        + i64::from(time.hour()) * 3600
        + i64::from(time.minute()) * 60
        + i64::from(time.second())
        - i64::from(offset.to_numeric_offset().seconds());
    u64::try_from(secs)
        .ok()
        .map(Timestamp)
        .filter(|t| *t <= MAX_TIME)
        .ok_or_else(|| TimeError::Rfc3339OutOfRange(text.to_string()))
}

/// The UTC civil date and seconds into that day of a supported instant.
pub fn utc_date_and_second(t: Timestamp) -> Result<(Date, u32), TimeError> {
    if t > MAX_TIME {
        return Err(TimeError::TimeAfterMax(t));
    }
    let e = EpochId::from_day_number((t.0 / SECONDS_PER_DAY) as i64)
        .unwrap_or_else(|e| panic!("bug: a supported instant has a supported date: {e}"));
    Ok((e.0, (t.0 % SECONDS_PER_DAY) as u32))
}

/// An epoch, named by the UTC date of its Moment of Settlement; always in 1970-01-01..=9999-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpochId(Date);

impl EpochId {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<EpochId, TimeError> {
        if s.len() != 10 {
            return Err(TimeError::BadEpochId(s.to_string()));
        }
        let d = s
            .parse::<Date>()
            .map_err(|_| TimeError::BadEpochId(s.to_string()))?;
        EpochId::from_date(d)
    }

    /// An epoch from a civil date inside the supported range.
    pub fn from_date(d: Date) -> Result<EpochId, TimeError> {
        if d < UNIX_EPOCH_DATE || d > MAX_DATE {
            return Err(TimeError::EpochOutOfRange(d.to_string()));
        }
        Ok(EpochId(d))
    }

    pub fn date(self) -> Date {
        self.0
    }

    /// Days since 1970-01-01 (never negative).
    pub fn day_number(self) -> u64 {
        let n = days_since_unix_epoch(self.0);
        assert!(n >= 0, "EpochId {} before 1970 escaped validation", self.0);
        n as u64
    }

    fn from_day_number(n: i64) -> Result<EpochId, TimeError> {
        let d = jiff::Span::new()
            .try_days(n)
            .ok()
            .and_then(|span| UNIX_EPOCH_DATE.checked_add(span).ok())
            .ok_or_else(|| TimeError::EpochOutOfRange(format!("day {n} since 1970-01-01")))?;
        EpochId::from_date(d)
    }

    fn midnight_s(self) -> u64 {
        self.day_number() * SECONDS_PER_DAY
    }

    /// 13:00 UTC of the epoch's date.
    pub fn lock(self) -> Timestamp {
        Timestamp(self.midnight_s() + LOCK_OFFSET_S)
    }

    /// 16:00 UTC of the epoch's date: Moment of Settlement and due time.
    pub fn moment(self) -> Timestamp {
        Timestamp(self.midnight_s() + MOMENT_OFFSET_S)
    }

    pub fn next(self) -> Result<EpochId, TimeError> {
        if self.0 == MAX_DATE {
            return Err(TimeError::NoNextEpoch(self));
        }
        Self::from_day_number(self.day_number() as i64 + 1)
    }

    pub fn prev(self) -> Result<EpochId, TimeError> {
        if self.0 == UNIX_EPOCH_DATE {
            return Err(TimeError::NoPreviousEpoch(self));
        }
        Self::from_day_number(self.day_number() as i64 - 1)
    }

    /// The date (UTC) an instant falls on.
    pub fn date_of(t: Timestamp) -> Result<EpochId, TimeError> {
        utc_date_and_second(t).map(|(d, _)| EpochId(d))
    }
}

impl fmt::Display for EpochId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for EpochId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for EpochId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EpochId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> EpochId {
        EpochId::parse(s).unwrap()
    }

    #[test]
    fn day_numbers_and_instants() {
        assert_eq!(e("1970-01-01").day_number(), 0);
        // 2026-01-01T00:00:00Z = 1767225600 = 20454 days.
        assert_eq!(e("2026-01-01").day_number(), 20_454);
        assert_eq!(e("2026-01-01").lock(), Timestamp(1_767_225_600 + 13 * 3600));
        assert_eq!(
            e("9999-12-31").moment(),
            Timestamp(253_402_300_800 - 8 * 3600)
        );
        assert_eq!(e("2026-03-01").prev().unwrap(), e("2026-02-28"));
        assert_eq!(EpochId::date_of(MAX_TIME).unwrap(), e("9999-12-31"));
        assert_eq!(EpochId::date_of(MIN_TIME).unwrap(), e("1970-01-01"));
    }

    #[test]
    fn range_ends_are_errors_not_fallbacks() {
        assert_eq!(
            EpochId::parse("1969-12-31"),
            Err(TimeError::EpochOutOfRange("1969-12-31".into()))
        );
        assert!(matches!(
            e("9999-12-31").next(),
            Err(TimeError::NoNextEpoch(_))
        ));
        assert!(matches!(
            e("1970-01-01").prev(),
            Err(TimeError::NoPreviousEpoch(_))
        ));
        assert!(matches!(
            EpochId::date_of(Timestamp(MAX_TIME.0 + 1)),
            Err(TimeError::TimeAfterMax(_))
        ));
    }

    #[test]
    fn rfc3339_parsing() {
        assert_eq!(
            parse_rfc3339("2026-01-01T00:00:00Z"),
            Ok(Timestamp(1_767_225_600))
        );
        assert_eq!(
            parse_rfc3339("2026-01-01T01:00:00+01:00"),
            Ok(Timestamp(1_767_225_600))
        );
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59Z"), Ok(MAX_TIME));
        assert!(matches!(
            parse_rfc3339("1969-12-31T23:59:59Z"),
            Err(TimeError::Rfc3339OutOfRange(_))
        ));
        assert!(matches!(
            parse_rfc3339("9999-12-31T23:59:59-01:00"),
            Err(TimeError::Rfc3339OutOfRange(_))
        ));
        assert!(matches!(
            parse_rfc3339("2026-01-01T00:00:00.5Z"),
            Err(TimeError::FractionalSecond(_))
        ));
        for bad in [
            "2026-01-01",
            "2026-01-01T00:00:00",
            "yesterday",
            "2026-01-01T00:00:00Z[UTC]",
        ] {
            assert!(
                matches!(parse_rfc3339(bad), Err(TimeError::NotRfc3339(_))),
                "{bad}"
            );
        }
    }
}
