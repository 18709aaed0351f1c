//! srUSDS exchange-rate step (SPEC §4.9 "Exchange rate", §8 invariant 7) and the typed input
//! errors and JSON readers shared with [`crate::capacity`]. Formulas: `docs/srusds.md`.
//!
//! Contract:
//! - `exchangeRate()` is the sUSDS value of 1e18 srUSDS, a [`Wad`] (`1` = par). At a settlement
//!   it is raised by the srUSDS premium, linearly over the elapsed time, floored once:
//!   `target = xr + ⌊xr·premium_apr·elapsed_s / (1e18·31,536,000)⌋`,
//!   but only as far as the Holding System's sUSDS covers:
//!   `cap = ⌊holding_sUSDS·1e18 / srUSDS_supply⌋` (no cap while the supply is zero);
//!   `raised = target` if `target ≤ cap`, else `max(xr, cap)` — the cap never *lowers* the rate,
//!   only a haircut does ([`RaiseBound`] says which rule bound it).
//! - A governance haircut (`0 < fraction ≤ 100%`, with a non-empty reason) is applied after the
//!   raise, at once: `after = ⌊raised·(1e18 − fraction) / 1e18⌋`; the output records the reason
//!   and the decrease.
//! - Every rounding is a floor, which is system-favouring: a lower rate means srUSDS holders are
//!   owed less sUSDS, so without a haircut `xr·supply ≤ holding·1e18` (invariant 7) is preserved
//!   by the step whenever it held before it.
//! - Pure and deterministic. Bad input (rates above 100%, a zero or over-100% haircut, a missing
//!   reason, negative or missing JSON fields, overflow) is a [`SrusdsError`] with a stable code
//!   naming the field; nothing is computed from partial input, nothing panics.

use alloy_primitives::{U256, U512};
use laniakea_units::srusds as rate;
use laniakea_units::{Apr, DecimalError, MathError, Ray, Wad, WAD};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

/// What is wrong with an input field. Each kind has a stable [`SrusdsErrorKind::code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SrusdsErrorKind {
    /// The text is not JSON, or a field has the wrong JSON type.
    InvalidJson { message: String },
    /// A field the record requires is absent or `null`.
    MissingField,
    /// A field the record does not define.
    UnknownField,
    /// An amount or count below zero.
    Negative { text: String },
    /// An amount that is not an exact decimal string of its unit.
    InvalidAmount { reason: String },
    /// An epoch id that is not `YYYY-MM-DD`.
    InvalidEpoch { text: String },
    /// A value that must be greater than zero is zero.
    Zero,
    /// A rate or fraction above 100% (1e18).
    AboveHundredPercent { value: Wad },
    /// A haircut without a reason.
    ReasonMissing,
    /// The same Prime listed twice.
    DuplicatePrime { prime: String },
    /// An epoch that does not fit where it is used (e.g. the current governance inputs
    /// belong to another epoch, or the previous epoch's inputs are not earlier).
    EpochMismatch { reason: String },
    /// A product or sum of the inputs exceeds 256 bits.
    Overflow,
}

impl SrusdsErrorKind {
    /// Stable code, e.g. `srUSDS/negative`.
    pub fn code(&self) -> &'static str {
        match self {
            SrusdsErrorKind::InvalidJson { .. } => "srUSDS/invalid-json",
            SrusdsErrorKind::MissingField => "srUSDS/missing-field",
            SrusdsErrorKind::UnknownField => "srUSDS/unknown-field",
            SrusdsErrorKind::Negative { .. } => "srUSDS/negative",
            SrusdsErrorKind::InvalidAmount { .. } => "srUSDS/invalid-amount",
            SrusdsErrorKind::InvalidEpoch { .. } => "srUSDS/invalid-epoch",
            SrusdsErrorKind::Zero => "srUSDS/zero",
            SrusdsErrorKind::AboveHundredPercent { .. } => "srUSDS/above-100-percent",
            SrusdsErrorKind::ReasonMissing => "srUSDS/reason-missing",
            SrusdsErrorKind::DuplicatePrime { .. } => "srUSDS/duplicate-prime",
            SrusdsErrorKind::EpochMismatch { .. } => "srUSDS/epoch-mismatch",
            SrusdsErrorKind::Overflow => "srUSDS/overflow",
        }
    }
}

impl fmt::Display for SrusdsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SrusdsErrorKind::InvalidJson { message } => write!(f, "invalid JSON: {message}"),
            SrusdsErrorKind::MissingField => f.write_str("required field is missing"),
            SrusdsErrorKind::UnknownField => f.write_str("unknown field"),
            SrusdsErrorKind::Negative { text } => {
                write!(f, "'{text}' is negative; amounts are unsigned")
            }
            SrusdsErrorKind::InvalidAmount { reason } => f.write_str(reason),
            SrusdsErrorKind::InvalidEpoch { text } => {
                write!(f, "'{text}' is not an epoch id (YYYY-MM-DD)")
            }
            SrusdsErrorKind::Zero => f.write_str("must be greater than zero"),
            SrusdsErrorKind::AboveHundredPercent { value } => {
                write!(f, "{value} is above 100% (1)")
            }
            SrusdsErrorKind::ReasonMissing => f.write_str("a haircut must give its reason"),
            SrusdsErrorKind::DuplicatePrime { prime } => {
                write!(f, "prime '{prime}' appears twice")
            }
            SrusdsErrorKind::EpochMismatch { reason } => f.write_str(reason),
            SrusdsErrorKind::Overflow => f.write_str("arithmetic overflow (exceeds 256 bits)"),
        }
    }
}

/// A rejected srUSDS input: the field at fault (a JSON path such as
/// `governance.osrc_premiums[1].osrc_rate_apr`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrusdsError {
    pub field: String,
    pub kind: SrusdsErrorKind,
}

impl SrusdsError {
    pub fn new(field: impl Into<String>, kind: SrusdsErrorKind) -> SrusdsError {
        SrusdsError {
            field: field.into(),
            kind,
        }
    }
    /// Stable code of the rule broken, e.g. `srUSDS/above-100-percent`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
    pub(crate) fn overflow(field: &str) -> impl Fn(MathError) -> SrusdsError + '_ {
        move |_| SrusdsError::new(field, SrusdsErrorKind::Overflow)
    }
}

impl fmt::Display for SrusdsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: field `{}`: {}", self.code(), self.field, self.kind)
    }
}

impl std::error::Error for SrusdsError {}

/// A rate or fraction must be ≤ 100% (1e18).
pub(crate) fn check_at_most_one(field: &str, value: Wad) -> Result<(), SrusdsError> {
    if value.raw() > WAD {
        return Err(SrusdsError::new(
            field,
            SrusdsErrorKind::AboveHundredPercent { value },
        ));
    }
    Ok(())
}

/// `a·b ≤ c·d` on exact 512-bit products.
pub(crate) fn product_le(a: U256, b: U256, c: U256, d: U256) -> bool {
    U512::from(a) * U512::from(b) <= U512::from(c) * U512::from(d)
}

// ---------------------------------------------------------------------------------------------
// JSON readers: every field problem gets its own typed kind and path (serde's string errors
// cannot carry a stable code, so the records are read from a `serde_json::Value`).

/// A JSON object being read: hands out fields by name and, at [`JsonObject::finish`], refuses
/// any field nobody asked for.
pub(crate) struct JsonObject<'a> {
    path: String,
    map: &'a Map<String, Value>,
    taken: Vec<&'static str>,
}

pub(crate) fn join_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

impl<'a> JsonObject<'a> {
    pub(crate) fn new(path: &str, v: &'a Value) -> Result<JsonObject<'a>, SrusdsError> {
        match v {
            Value::Object(map) => Ok(JsonObject {
                path: path.to_string(),
                map,
                taken: Vec::new(),
            }),
            _ => Err(SrusdsError::new(
                if path.is_empty() { "-" } else { path },
                SrusdsErrorKind::InvalidJson {
                    message: "expected an object".to_string(),
                },
            )),
        }
    }
    pub(crate) fn path(&self, name: &str) -> String {
        join_path(&self.path, name)
    }
    /// The field's value, `None` when absent or `null`.
    pub(crate) fn optional(&mut self, name: &'static str) -> Option<&'a Value> {
        self.taken.push(name);
        self.map.get(name).filter(|v| !v.is_null())
    }
    pub(crate) fn required(&mut self, name: &'static str) -> Result<&'a Value, SrusdsError> {
        self.optional(name)
            .ok_or_else(|| SrusdsError::new(self.path(name), SrusdsErrorKind::MissingField))
    }
    pub(crate) fn wad(&mut self, name: &'static str) -> Result<Wad, SrusdsError> {
        let v = self.required(name)?;
        Ok(Wad::from_raw(decimal(&self.path(name), v, Wad::DECIMALS)?))
    }
    pub(crate) fn ray(&mut self, name: &'static str) -> Result<Ray, SrusdsError> {
        let v = self.required(name)?;
        Ok(Ray::from_raw(decimal(&self.path(name), v, Ray::DECIMALS)?))
    }
    pub(crate) fn apr(&mut self, name: &'static str) -> Result<Apr, SrusdsError> {
        let v = self.required(name)?;
        Ok(Apr::from_raw(decimal(&self.path(name), v, Apr::DECIMALS)?))
    }
    pub(crate) fn seconds(&mut self, name: &'static str) -> Result<u64, SrusdsError> {
        let v = self.required(name)?;
        let path = self.path(name);
        match v {
            Value::Number(n) => n.as_u64().ok_or_else(|| {
                if n.as_f64().is_some_and(|x| x < 0.0) {
                    SrusdsError::new(
                        path,
                        SrusdsErrorKind::Negative {
                            text: n.to_string(),
                        },
                    )
                } else if n
                    .as_f64()
                    .is_some_and(|x| x >= 18_446_744_073_709_551_616.0)
                {
                    // Only compared for the message: an integer literal above u64 arrives as f64.
                    SrusdsError::new(
                        path,
                        SrusdsErrorKind::InvalidJson {
                            message: format!(
                                "{n} is above the largest number of seconds, {}",
                                u64::MAX
                            ),
                        },
                    )
                } else {
                    SrusdsError::new(
                        path,
                        SrusdsErrorKind::InvalidJson {
                            message: format!("{n} is not a whole number of seconds"),
                        },
                    )
                }
            }),
            _ => Err(SrusdsError::new(
                path,
                SrusdsErrorKind::InvalidJson {
                    message: "expected a whole number of seconds".to_string(),
                },
            )),
        }
    }
    pub(crate) fn string(&mut self, name: &'static str) -> Result<&'a str, SrusdsError> {
        let v = self.required(name)?;
        v.as_str().ok_or_else(|| {
            SrusdsError::new(
                self.path(name),
                SrusdsErrorKind::InvalidJson {
                    message: "expected a string".to_string(),
                },
            )
        })
    }
    pub(crate) fn finish(self) -> Result<(), SrusdsError> {
        // The map iterates in a fixed order (sorted keys by default), so the field reported
        // for several unknown ones is deterministic.
        match self.map.keys().find(|k| !self.taken.contains(&k.as_str())) {
            Some(k) => Err(SrusdsError::new(
                join_path(&self.path, k),
                SrusdsErrorKind::UnknownField,
            )),
            None => Ok(()),
        }
    }
}

/// An exact decimal string in whole units (`"1.5"`); JSON numbers are refused (they are
/// binary floats in most producers) except that a negative number is reported as negative.
fn decimal(path: &str, v: &Value, decimals: u8) -> Result<U256, SrusdsError> {
    let text = match v {
        Value::String(s) => s,
        Value::Number(n) => {
            return Err(SrusdsError::new(
                path,
                if n.as_f64().is_some_and(|x| x < 0.0) {
                    SrusdsErrorKind::Negative {
                        text: n.to_string(),
                    }
                } else {
                    SrusdsErrorKind::InvalidAmount {
                        reason: format!(
                            "{n} is a JSON number; amounts are exact decimal strings, e.g. \"{n}\""
                        ),
                    }
                },
            ))
        }
        _ => {
            return Err(SrusdsError::new(
                path,
                SrusdsErrorKind::InvalidAmount {
                    reason: "expected an exact decimal string, e.g. \"1.5\"".to_string(),
                },
            ))
        }
    };
    laniakea_units::parse_decimal(text, decimals).map_err(|e| {
        SrusdsError::new(
            path,
            match e {
                DecimalError::Negative { text } => SrusdsErrorKind::Negative { text },
                other => SrusdsErrorKind::InvalidAmount {
                    reason: other.to_string(),
                },
            },
        )
    })
}

/// Parses JSON text, reporting a syntax error, or a key given twice in one object, as
/// `srUSDS/invalid-json` at `-` (the whole text). A repeated key is refused rather than "last
/// wins": parsers differ on which one they keep, so a checker could read another record.
pub(crate) fn parse_json(text: &str) -> Result<Value, SrusdsError> {
    serde_json::from_str::<StrictValue>(text)
        .map(|v| v.0)
        .map_err(|e| {
            SrusdsError::new(
                "-",
                SrusdsErrorKind::InvalidJson {
                    message: e.to_string(),
                },
            )
        })
}

/// A JSON value whose objects have distinct keys.
struct StrictValue(Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = StrictValue;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<StrictValue, E> {
        // Only kept to be refused with its field's error (amounts are strings).
        Ok(StrictValue(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v.to_string())))
    }
    fn visit_unit<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<StrictValue, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = a.next_element()? {
            out.push(v);
        }
        Ok(StrictValue(Value::Array(out)))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<StrictValue, A::Error> {
        let mut out = Map::new();
        while let Some(key) = a.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "key `{key}` appears twice in one object"
                )));
            }
            let StrictValue(v) = a.next_value()?;
            out.insert(key, v);
        }
        Ok(StrictValue(Value::Object(out)))
    }
}

// ---------------------------------------------------------------------------------------------
// The exchange-rate step.

/// A governance haircut: an instant decrease of the exchange rate by `fraction_wad`
/// (`"0.1"` = 10%, at most `"1"` = 100%), recorded with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Haircut {
    pub fraction_wad: Wad,
    pub reason: String,
}

/// Everything one settlement's exchange-rate step depends on (read from the chain and the
/// Synome by lpha-lcts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeRateInputs {
    /// `exchangeRate()` before the step: sUSDS per 1e18 srUSDS.
    pub exchange_rate_wad: Wad,
    /// The srUSDS premium in force (governance).
    pub premium_apr: Apr,
    /// Seconds since the previous settlement's step.
    pub elapsed_s: u64,
    /// sUSDS held by the Holding System.
    pub holding_susds_wad: Wad,
    /// srUSDS in existence.
    pub srusds_supply_wad: Wad,
    /// A haircut published for this settlement, if any.
    pub haircut: Option<Haircut>,
}

pub use laniakea_units::srusds::RaiseBound;

/// A haircut as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedHaircut {
    pub fraction_wad: Wad,
    pub reason: String,
    /// `raised − after`.
    pub decrease_wad: Wad,
}

/// The step's output: every input, every intermediate, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeRateStep {
    pub inputs: ExchangeRateInputs,
    /// `xr` raised by the full premium over the elapsed time.
    pub premium_target_wad: Wad,
    /// `⌊holding·1e18 / supply⌋`; `None` while the supply is zero (nothing to cover).
    pub backing_cap_wad: Option<Wad>,
    /// The rate after the (possibly capped) raise, before any haircut.
    pub raised_wad: Wad,
    pub raise_bound: RaiseBound,
    pub haircut: Option<AppliedHaircut>,
    /// `exchangeRate()` after the step.
    pub exchange_rate_after_wad: Wad,
    /// Invariant 7 after the step: `after·supply ≤ holding·1e18`.
    pub backed_after: bool,
}

impl ExchangeRateInputs {
    /// Reads the inputs from JSON (fields as in the struct; amounts as exact decimal strings,
    /// `elapsed_s` a whole number, `haircut` optional `{fraction_wad, reason}`) and validates.
    pub fn from_json(text: &str) -> Result<ExchangeRateInputs, SrusdsError> {
        let v = parse_json(text)?;
        let mut o = JsonObject::new("", &v)?;
        let exchange_rate_wad = o.wad("exchange_rate_wad")?;
        let premium_apr = o.apr("premium_apr")?;
        let elapsed_s = o.seconds("elapsed_s")?;
        let holding_susds_wad = o.wad("holding_susds_wad")?;
        let srusds_supply_wad = o.wad("srusds_supply_wad")?;
        let haircut = match o.optional("haircut") {
            None => None,
            Some(h) => {
                let mut ho = JsonObject::new("haircut", h)?;
                let fraction_wad = ho.wad("fraction_wad")?;
                let reason = ho.string("reason")?.to_string();
                ho.finish()?;
                Some(Haircut {
                    fraction_wad,
                    reason,
                })
            }
        };
        o.finish()?;
        let inputs = ExchangeRateInputs {
            exchange_rate_wad,
            premium_apr,
            elapsed_s,
            holding_susds_wad,
            srusds_supply_wad,
            haircut,
        };
        inputs.validate()?;
        Ok(inputs)
    }

    /// The rules a typed value must also meet: premium ≤ 100%; a haircut is > 0, ≤ 100% and
    /// gives a reason. A zero exchange rate is a legal state (after a 100% haircut).
    pub fn validate(&self) -> Result<(), SrusdsError> {
        check_at_most_one("premium_apr", Wad::from_raw(self.premium_apr.raw()))?;
        if let Some(h) = &self.haircut {
            if h.fraction_wad.is_zero() {
                return Err(SrusdsError::new(
                    "haircut.fraction_wad",
                    SrusdsErrorKind::Zero,
                ));
            }
            check_at_most_one("haircut.fraction_wad", h.fraction_wad)?;
            if h.reason.trim().is_empty() {
                return Err(SrusdsError::new(
                    "haircut.reason",
                    SrusdsErrorKind::ReasonMissing,
                ));
            }
        }
        Ok(())
    }
}

/// The settlement-time exchange-rate update (module doc for the formulas).
pub fn exchange_rate_step(inputs: &ExchangeRateInputs) -> Result<ExchangeRateStep, SrusdsError> {
    inputs.validate()?;
    // The formulas live in `laniakea_units::srusds`, shared with the on-chain Holding System.
    let xr = inputs.exchange_rate_wad;
    let target = rate::premium_target(xr, inputs.premium_apr, inputs.elapsed_s)
        .map_err(SrusdsError::overflow("exchange_rate_wad"))?;
    let supply = inputs.srusds_supply_wad;
    let holding = inputs.holding_susds_wad;
    let backing_cap =
        rate::backing_cap(holding, supply).map_err(SrusdsError::overflow("holding_susds_wad"))?;
    let (raised, raise_bound) = rate::raise_within_backing(xr, target, backing_cap);

    let (after, haircut) = match &inputs.haircut {
        None => (raised, None),
        Some(h) => {
            // fraction ≤ 1e18 was validated, so the haircut cannot underflow.
            let after = rate::apply_haircut(raised, h.fraction_wad)
                .map_err(SrusdsError::overflow("exchange_rate_wad"))?;
            (
                after,
                Some(AppliedHaircut {
                    fraction_wad: h.fraction_wad,
                    reason: h.reason.clone(),
                    decrease_wad: Wad::from_raw(raised.raw() - after.raw()),
                }),
            )
        }
    };

    Ok(ExchangeRateStep {
        inputs: inputs.clone(),
        premium_target_wad: target,
        backing_cap_wad: backing_cap,
        raised_wad: raised,
        raise_bound,
        haircut,
        exchange_rate_after_wad: after,
        backed_after: rate::is_backed(after, supply, holding),
    })
}
