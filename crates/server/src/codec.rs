//! Request parsing: the body of a record intake, and query strings.
//!
//! Contract: nothing here allocates in proportion to anything but the (already size-limited)
//! body, recurses on input, or panics. A record is accepted only in its one canonical JSON
//! encoding — exactly what `synome export` and the API write (`SignedRecord::to_json`): every
//! field present, lowercase `0x`-hex, no unknown fields — so a record has one wire form as it
//! has one stored form. Every refusal names the field and the rule.

use crate::error::ApiError;
use alloy_primitives::{Address, B256};
use axum::http::StatusCode;
use laniakea_synome::{Content, Kind, Provenance, Role, Sig, SignedRecord};
use laniakea_units::{EpochId, Timestamp};
use serde_json::Value;
use std::collections::BTreeMap;

/// Largest accepted intake body (413 `api/body-too-large` above it).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Deepest accepted nesting of arrays/objects in a body: a record's payload may nest 64 deep
/// (`laniakea_synome::record::MAX_PAYLOAD_DEPTH`), plus the record and a batch array.
pub const MAX_BODY_DEPTH: usize = 66;
/// Most records in one batch.
pub const MAX_BATCH: usize = 256;

/// The nesting depth of the JSON text `b` (brackets outside strings), stopping early once it
/// passes `limit`. Iterative; linear in the body.
pub fn json_depth_exceeds(b: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for &c in b {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Parses an intake body: one record (an object) or a batch (an array of records).
pub fn parse_body(body: &[u8]) -> Result<(Vec<SignedRecord>, bool), ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large(body.len()));
    }
    if json_depth_exceeds(body, MAX_BODY_DEPTH) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "api/too-deep",
            format!("body nests arrays/objects more than {MAX_BODY_DEPTH} levels deep"),
        ));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "api/malformed-json",
            format!("body is not JSON: {e}"),
        )
    })?;
    match v {
        Value::Object(_) => Ok((vec![decode_record(&v, "record")?], false)),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(unprocessable(
                    "intake/empty-batch",
                    "a batch must hold at least one record",
                ));
            }
            if items.len() > MAX_BATCH {
                return Err(unprocessable(
                    "intake/batch-too-large",
                    format!(
                        "a batch holds at most {MAX_BATCH} records, this one {}",
                        items.len()
                    ),
                ));
            }
            let recs = items
                .iter()
                .enumerate()
                .map(|(i, r)| decode_record(r, &format!("records[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((recs, true))
        }
        _ => Err(unprocessable(
            "intake/malformed-record",
            "body must be a record (a JSON object) or a batch (an array of records)",
        )),
    }
}

pub fn too_large(len: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "api/body-too-large",
        format!("body of {len} bytes is above the limit of {MAX_BODY_BYTES} bytes"),
    )
}

fn unprocessable(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn malformed(at: &str, field: &str, rule: impl std::fmt::Display) -> ApiError {
    unprocessable("intake/malformed-record", format!("{at}.{field}: {rule}"))
}

/// The record fields, in the export order.
const FIELDS: [&str; 15] = [
    "id",
    "synome",
    "kind",
    "schema_version",
    "epoch",
    "subject",
    "author",
    "role",
    "created_at",
    "provenance",
    "payload",
    "prev",
    "store_prev",
    "supersedes",
    "signature",
];

/// One record from its JSON object (`at` names it in messages: `record`, `records[3]`).
pub fn decode_record(v: &Value, at: &str) -> Result<SignedRecord, ApiError> {
    let Some(m) = v.as_object() else {
        return Err(unprocessable(
            "intake/malformed-record",
            format!("{at}: not a JSON object"),
        ));
    };
    if let Some(k) = m.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(malformed(at, k, "unknown field"));
    }
    if let Some(f) = FIELDS.iter().find(|f| !m.contains_key(**f)) {
        return Err(malformed(
            at,
            f,
            "missing (every field is required; absent values are null)",
        ));
    }
    let text = |f: &str| -> Result<&str, ApiError> {
        m[f].as_str()
            .ok_or_else(|| malformed(at, f, "must be a string"))
    };
    let opt_text = |f: &str| -> Result<Option<&str>, ApiError> {
        match &m[f] {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.as_str())),
            _ => Err(malformed(at, f, "must be a string or null")),
        }
    };
    let hash = |f: &str, s: &str| -> Result<B256, ApiError> {
        s.parse::<B256>()
            .map_err(|_| malformed(at, f, "must be 0x + 64 lowercase hex digits"))
    };
    let uint = |f: &str| -> Result<u64, ApiError> {
        m[f].as_u64()
            .ok_or_else(|| malformed(at, f, "must be a non-negative integer"))
    };
    let content = Content {
        synome: hash("synome", text("synome")?)?,
        kind: Kind::parse(text("kind")?).ok_or_else(|| {
            malformed(
                at,
                "kind",
                format!(
                    "unknown kind; one of {}",
                    Kind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?,
        schema_version: u32::try_from(uint("schema_version")?)
            .map_err(|_| malformed(at, "schema_version", "out of range"))?,
        epoch: opt_text("epoch")?
            .map(|e| EpochId::parse(e).map_err(|err| malformed(at, "epoch", err)))
            .transpose()?,
        subject: text("subject")?.to_string(),
        author: text("author")?
            .parse::<Address>()
            .map_err(|_| malformed(at, "author", "must be 0x + 40 lowercase hex digits"))?,
        role: Role::parse(text("role")?).ok_or_else(|| {
            malformed(
                at,
                "role",
                format!(
                    "unknown role; one of {}",
                    Role::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?,
        created_at: Timestamp(uint("created_at")?),
        provenance: Provenance::parse(text("provenance")?).ok_or_else(|| {
            malformed(
                at,
                "provenance",
                "must be system-derived or governance-directed",
            )
        })?,
        payload: m["payload"].clone(),
        prev: hash("prev", text("prev")?)?,
        store_prev: hash("store_prev", text("store_prev")?)?,
        supersedes: opt_text("supersedes")?
            .map(|s| hash("supersedes", s))
            .transpose()?,
    };
    let r = SignedRecord {
        id: hash("id", text("id")?)?,
        content,
        signature: Sig::from_hex(text("signature")?)
            .ok_or_else(|| malformed(at, "signature", "must be 0x + 130 lowercase hex digits"))?,
    };
    // One wire form: the record must be exactly its canonical JSON.
    let canonical = r.to_json();
    if let Some(f) = FIELDS.iter().find(|f| canonical.get(**f) != m.get(**f)) {
        return Err(unprocessable(
            "intake/non-canonical",
            format!(
                "{at}.{f}: not in its one canonical encoding (expected {}, as `synome export` writes it)",
                canonical.get(*f).map(Value::to_string).unwrap_or_default()
            ),
        ));
    }
    Ok(r)
}

/// A query string as a map; a parameter given twice or not in `allowed` is refused, so a typo
/// is an error rather than a silently ignored filter.
pub fn query_map(
    raw: Option<&str>,
    allowed: &[&str],
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    let Some(raw) = raw else {
        return Ok(out);
    };
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(raw)?;
    for (k, v) in pairs {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::bad_param(
                &k,
                format!(
                    "unknown parameter (allowed: {})",
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ),
            ));
        }
        if out.insert(k.clone(), v).is_some() {
            return Err(ApiError::bad_param(&k, "given more than once"));
        }
    }
    Ok(out)
}

/// `a=1&b=x%20y` → pairs (percent-decoding, `+` as space).
fn serde_urlencoded_pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k = percent_decode(k).ok_or_else(|| ApiError::bad_param(k, "bad percent-encoding"))?;
        let v = percent_decode(v).ok_or_else(|| ApiError::bad_param(&k, "bad percent-encoding"))?;
        out.push((k, v));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let h = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Typed parameter readers: each error names the parameter and the rule.
pub fn epoch_param(name: &str, v: &str) -> Result<EpochId, ApiError> {
    EpochId::parse(v).map_err(|e| {
        ApiError::bad_param(
            name,
            format!("'{}' is not an epoch id (YYYY-MM-DD): {e}", truncate(v)),
        )
    })
}

pub fn u64_param(name: &str, v: &str) -> Result<u64, ApiError> {
    v.parse::<u64>().map_err(|_| {
        ApiError::bad_param(
            name,
            format!("'{}' is not a non-negative integer", truncate(v)),
        )
    })
}

/// Unix seconds or RFC 3339 UTC, within the calendar's range (up to 9999-12-31).
pub fn time_param(name: &str, v: &str) -> Result<Timestamp, ApiError> {
    let t = match v.parse::<u64>() {
        Ok(s) => Timestamp(s),
        Err(_) => laniakea_units::time::parse_rfc3339(v).map_err(|e| {
            ApiError::bad_param(
                name,
                format!(
                    "'{}' is neither Unix seconds nor RFC 3339 UTC: {e}",
                    truncate(v)
                ),
            )
        })?,
    };
    EpochId::date_of(t)
        .map_err(|e| ApiError::bad_param(name, format!("'{}': {e}", truncate(v))))?;
    Ok(t)
}

pub fn prime_param(name: &str, v: &str) -> Result<String, ApiError> {
    if laniakea_synome::record::valid_subject(&format!("prime:{v}")) {
        Ok(v.to_string())
    } else {
        Err(ApiError::bad_param(
            name,
            format!(
                "'{}' is not a Prime id (1–64 of a–z, 0–9, '-', '_')",
                truncate(v)
            ),
        ))
    }
}

pub fn hash_param(name: &str, v: &str) -> Result<B256, ApiError> {
    if v.len() == 66
        && v.starts_with("0x")
        && v[2..]
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        v.parse()
            .map_err(|_| ApiError::bad_param(name, "must be 0x + 64 lowercase hex digits"))
    } else {
        Err(ApiError::bad_param(
            name,
            format!("'{}' is not 0x + 64 lowercase hex digits", truncate(v)),
        ))
    }
}

/// At most 80 characters of an input echoed in a message.
pub fn truncate(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(80).collect::<String>())
    }
}
