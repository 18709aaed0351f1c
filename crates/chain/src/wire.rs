//! The wire form of a transaction: an exact, versioned, round-trippable JSON encoding of [`Tx`]
//! (the persistent chain's journal stores it; `laniakea-journal`).
//!
//! Contract: [`encode_tx`] then [`decode_tx`] gives back an identical [`Tx`] for every call of
//! every registered family (tested over every transaction of the shipped example scripts and by
//! a property test). Form, version [`WIRE_VERSION`]:
//! `{"v":1,"from":"0x…","at":<unix s>,"kind":"<family label>","to":"0x…","call":{"fn","args"}}`
//! for a call, and the same without `to` and with `"deploy":{…arguments…}` for a deployment. The
//! bodies are the families' serde forms (the script language's `fn`/`args` and `deploy` objects,
//! names already resolved to addresses: keys and roles as `0x`-bytes32, ilks by name). Decoding
//! checks types only, never script-time rules, so anything the engine ever executed reads back.

use crate::call::Tx;
use alloy_primitives::Address;
use laniakea_units::Timestamp;
use serde_json::{json, Value as Json};

/// The version this build writes and reads.
pub const WIRE_VERSION: u64 = 1;

/// A transaction that cannot be written or read in the wire form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transaction wire form, field `{field}`: {message}")]
pub struct WireError {
    /// The offending field (`v`, `from`, `call.args.amount`, …).
    pub field: String,
    pub message: String,
}

fn wire_err(field: impl Into<String>, message: impl Into<String>) -> WireError {
    WireError {
        field: field.into(),
        message: message.into(),
    }
}

/// Encodes `tx` (fails only for a value with no readable form, e.g. an ilk id that is no name).
pub fn encode_tx(tx: &Tx) -> Result<Json, WireError> {
    let (kind, to, body) = crate::families::encode_call(&tx.call).map_err(|e| {
        wire_err(
            if tx.call_is_deploy() {
                "deploy"
            } else {
                "call"
            },
            e.to_string(),
        )
    })?;
    Ok(match to {
        Some(to) => {
            json!({"v": WIRE_VERSION, "from": tx.from, "at": tx.at.0, "kind": kind, "to": to, "call": body})
        }
        None => {
            json!({"v": WIRE_VERSION, "from": tx.from, "at": tx.at.0, "kind": kind, "deploy": body})
        }
    })
}

/// Decodes [`encode_tx`]'s form; an unknown version, field or value is a [`WireError`].
pub fn decode_tx(v: &Json) -> Result<Tx, WireError> {
    let m = v
        .as_object()
        .ok_or_else(|| wire_err("-", "expected a JSON object"))?;
    for k in m.keys() {
        if !matches!(
            k.as_str(),
            "v" | "from" | "at" | "kind" | "to" | "call" | "deploy"
        ) {
            return Err(wire_err(k.as_str(), "unknown field"));
        }
    }
    match m.get("v").and_then(Json::as_u64) {
        Some(WIRE_VERSION) => {}
        Some(other) => {
            return Err(wire_err(
                "v",
                format!("version {other} is not readable by this build (reads {WIRE_VERSION})"),
            ))
        }
        None => return Err(wire_err("v", "missing or not an integer")),
    }
    let addr = |f: &str| -> Result<Address, WireError> {
        m.get(f)
            .and_then(Json::as_str)
            .ok_or_else(|| wire_err(f, "missing or not a string"))?
            .parse()
            .map_err(|_| wire_err(f, "not a 20-byte hex address"))
    };
    let from = addr("from")?;
    let at = m
        .get("at")
        .and_then(Json::as_u64)
        .map(Timestamp)
        .ok_or_else(|| wire_err("at", "missing or not an unsigned integer"))?;
    let kind = m
        .get("kind")
        .and_then(Json::as_str)
        .ok_or_else(|| wire_err("kind", "missing or not a string"))?;
    if !crate::families::LABELS.contains(&kind) {
        return Err(wire_err("kind", format!("unknown contract kind '{kind}'")));
    }
    let (to, body, prefix) = match (m.get("call"), m.get("deploy")) {
        (Some(c), None) => (Some(addr("to")?), c.clone(), "call"),
        (None, Some(d)) if !m.contains_key("to") => (None, d.clone(), ""),
        (None, Some(_)) => return Err(wire_err("to", "a deployment has no `to`")),
        _ => return Err(wire_err("-", "expected exactly one of `call` and `deploy`")),
    };
    let call = crate::families::decode_call(kind, to, body).map_err(|e| {
        let field = match (prefix, e.field.as_str()) {
            ("", f) => f.to_string(),
            (p, "-") => p.to_string(),
            (p, f) => format!("{p}.{f}"),
        };
        wire_err(field, e.message)
    })?;
    Ok(Tx { from, at, call })
}

impl Tx {
    fn call_is_deploy(&self) -> bool {
        matches!(self.call, crate::call::Call::Deploy(_))
    }
}
