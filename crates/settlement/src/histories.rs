//! Bulk balance histories: a compact binary format and a JSON-lines format, for feeding many
//! Primes' long histories into an epoch computation (`laniakea settle --histories FILE`).
//!
//! Contract: both formats carry the same records — (prime, series, initial, changes) — and are
//! validated whole before use (truncation, unknown series, unsorted changes, duplicates); an
//! error names the record (binary: byte offset and record index; JSON lines: line number).
//!
//! Binary (`.lnkh`), little-endian: magic `LNKH1\n`; then records of
//! `prime_len: u16, prime: [u8; prime_len] (UTF-8), series: u8, count: u32, initial: u128,
//! count × (at: u64, balance: u128)`; balances in wei. Series codes: 0 `debt_legacy`,
//! 1 `debt_vault`, 2 `idle_usds` (location `alm-proxy`), 3 `idle_susds_value`, 4 `osrc_allocation`.
//!
//! JSON lines: `{"prime": "spark", "series": "debt_vault", "initial": "0", "changes": [[at, "balance"], …]}`,
//! balances as exact decimal USDS.

use crate::inputs::{EpochInputs, InputError};
use crate::integral::BalanceHistory;
use crate::statement::{IdleLocation, PrimeInputs, Provenance};
use alloy_primitives::U256;
use laniakea_units::{Apr, Timestamp, Wad};
use serde::Deserialize;
use std::collections::BTreeSet;

pub const MAGIC: &[u8; 6] = b"LNKH1\n";

/// A Prime's balance series; its name (snake_case) and code are the file formats' identifiers.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::FromRepr,
)]
#[strum(serialize_all = "snake_case")]
#[repr(u8)]
pub enum Series {
    DebtLegacy = 0,
    DebtVault = 1,
    IdleUsds = 2,
    IdleSusdsValue = 3,
    OsrcAllocation = 4,
}

impl Series {
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(c: u8) -> Option<Series> {
        Series::from_repr(c)
    }
    pub fn name(self) -> &'static str {
        self.into()
    }
    fn from_name(n: &str) -> Option<Series> {
        n.parse().ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub prime: String,
    pub series: Series,
    pub history: BalanceHistory,
}

fn bad(where_: String, msg: impl std::fmt::Display) -> InputError {
    crate::inputs::ierr(where_, msg)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

/// `take(N)` returned exactly N bytes, so the conversion to `[u8; N]` cannot fail.
fn exact<const N: usize>(b: &[u8]) -> [u8; N] {
    b.try_into()
        .unwrap_or_else(|_| panic!("bug: take({N}) returned {} bytes", b.len()))
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, rec: usize) -> Result<&'a [u8], InputError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| bad(format!("record {rec} @ byte {}", self.pos), "truncated"))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self, r: usize) -> Result<u16, InputError> {
        Ok(u16::from_le_bytes(exact(self.take(2, r)?)))
    }
    fn u32(&mut self, r: usize) -> Result<u32, InputError> {
        Ok(u32::from_le_bytes(exact(self.take(4, r)?)))
    }
    fn u64(&mut self, r: usize) -> Result<u64, InputError> {
        Ok(u64::from_le_bytes(exact(self.take(8, r)?)))
    }
    fn u128(&mut self, r: usize) -> Result<u128, InputError> {
        Ok(u128::from_le_bytes(exact(self.take(16, r)?)))
    }
}

/// Parses the binary format.
pub fn parse_binary(b: &[u8]) -> Result<Vec<Record>, InputError> {
    if b.len() < MAGIC.len() || &b[..MAGIC.len()] != MAGIC {
        return Err(bad(
            "header".into(),
            "not a laniakea histories file (magic LNKH1)",
        ));
    }
    let mut r = Reader {
        b,
        pos: MAGIC.len(),
    };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    while r.pos < b.len() {
        let i = out.len();
        let at = r.pos;
        let n = r.u16(i)? as usize;
        let prime = std::str::from_utf8(r.take(n, i)?)
            .map_err(|_| bad(format!("record {i} @ byte {at}"), "prime is not UTF-8"))?
            .to_string();
        let code = r.take(1, i)?[0];
        let series = Series::from_code(code).ok_or_else(|| {
            bad(
                format!("record {i} @ byte {at}"),
                format!("unknown series code {code}"),
            )
        })?;
        let count = r.u32(i)? as usize;
        let initial = U256::from(r.u128(i)?);
        if count
            .checked_mul(24)
            .is_none_or(|need| need > b.len() - r.pos)
        {
            return Err(bad(format!("record {i} @ byte {at}"), "truncated"));
        }
        let mut changes = Vec::with_capacity(count);
        for _ in 0..count {
            let t = r.u64(i)?;
            let v = r.u128(i)?;
            changes.push((Timestamp(t), U256::from(v)));
        }
        let history = BalanceHistory::new(initial, changes)
            .map_err(|e| bad(format!("record {i} ({prime}/{})", series.name()), e))?;
        if !seen.insert((prime.clone(), series)) {
            return Err(bad(
                format!("record {i}"),
                format!("{prime}/{} appears twice", series.name()),
            ));
        }
        out.push(Record {
            prime,
            series,
            history,
        });
    }
    Ok(out)
}

/// Writes the binary format (for tests, benchmarks and exporters).
pub fn write_binary(records: &[Record]) -> Result<Vec<u8>, InputError> {
    let mut out = MAGIC.to_vec();
    for (i, r) in records.iter().enumerate() {
        let too_big = || bad(format!("record {i}"), "a balance does not fit u128 wei");
        out.extend_from_slice(
            &u16::try_from(r.prime.len())
                .map_err(|_| bad(format!("record {i}"), "prime name too long"))?
                .to_le_bytes(),
        );
        out.extend_from_slice(r.prime.as_bytes());
        out.push(r.series.code());
        out.extend_from_slice(
            &u32::try_from(r.history.changes().len())
                .map_err(|_| bad(format!("record {i}"), "too many changes"))?
                .to_le_bytes(),
        );
        out.extend_from_slice(
            &u128::try_from(r.history.initial)
                .map_err(|_| too_big())?
                .to_le_bytes(),
        );
        for (t, v) in r.history.changes() {
            out.extend_from_slice(&t.0.to_le_bytes());
            out.extend_from_slice(&u128::try_from(*v).map_err(|_| too_big())?.to_le_bytes());
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRecord {
    prime: String,
    series: String,
    #[serde(default)]
    initial: Wad,
    #[serde(default)]
    changes: Vec<(u64, Wad)>,
}

/// Parses the JSON-lines format.
pub fn parse_json_lines(text: &str) -> Result<Vec<Record>, InputError> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("line {}", n + 1);
        let j: JsonRecord = serde_json::from_str(line).map_err(|e| bad(at.clone(), e))?;
        let series = Series::from_name(&j.series).ok_or_else(|| {
            bad(
                format!("{at}.series"),
                format!("unknown series '{}'", j.series),
            )
        })?;
        let history = BalanceHistory::new(
            j.initial.raw(),
            j.changes
                .into_iter()
                .map(|(t, v)| (Timestamp(t), v.raw()))
                .collect(),
        )
        .map_err(|e| bad(format!("{at}.changes"), e))?;
        if !seen.insert((j.prime.clone(), series)) {
            return Err(bad(
                at,
                format!("{}/{} appears twice", j.prime, series.name()),
            ));
        }
        out.push(Record {
            prime: j.prime,
            series,
            history,
        });
    }
    Ok(out)
}

/// Sets each record's series on its Prime, adding Primes the inputs file does not list.
pub fn apply(inputs: &mut EpochInputs, records: Vec<Record>) {
    for r in records {
        let idx = match inputs.primes.iter().position(|p| p.prime == r.prime) {
            Some(i) => i,
            None => {
                inputs.primes.push(PrimeInputs {
                    prime: r.prime.clone(),
                    provenance: Provenance::SystemDerived,
                    debt_legacy: BalanceHistory::default(),
                    debt_vault: BalanceHistory::default(),
                    idle_usds: Vec::new(),
                    idle_susds_value: BalanceHistory::default(),
                    sky_direct: Vec::new(),
                    osrc_allocation: BalanceHistory::default(),
                    osrc_rate_apr: Apr::ZERO,
                    carried_penalties: Vec::new(),
                });
                inputs.primes.len() - 1
            }
        };
        let p = &mut inputs.primes[idx];
        match r.series {
            Series::DebtLegacy => p.debt_legacy = r.history,
            Series::DebtVault => p.debt_vault = r.history,
            Series::IdleUsds => {
                p.idle_usds.retain(|l| l.location != "alm-proxy");
                p.idle_usds.push(IdleLocation {
                    location: "alm-proxy".into(),
                    balance: r.history,
                });
            }
            Series::IdleSusdsValue => p.idle_susds_value = r.history,
            Series::OsrcAllocation => p.osrc_allocation = r.history,
        }
    }
}
