//! The hash chain over journal rows.
//!
//! Contract: a row's hash is `keccak256("laniakea:journal:v1" ‖ previous row's hash ‖
//! len(tx) ‖ tx text ‖ receipt bytes)` (the first row's previous hash is zero), where the
//! receipt bytes are the canonical JSON of what the engine returned for the transaction: its
//! index, block time, sender, outcome (the named return values, or the revert code and reason)
//! and the events it appended; for a warp row (an empty block moving block time), `{"warp":T}`.
//! Format 2 (see [`link`]) also covers the row's tag. Replaying the stored text must give the same hash: a changed row,
//! a changed earlier row or a changed engine is caught at the first row it affects.

use alloy_primitives::{keccak256, B256};
use laniakea_chain::{Engine, Receipt};
use serde_json::json;

/// Canonical bytes of a receipt (with its events, read from the engine's log).
pub(crate) fn receipt_bytes(engine: &Engine, r: &Receipt) -> Vec<u8> {
    let outcome = match &r.outcome {
        Ok(ret) => json!({"ok": ret}),
        Err(rev) => json!({"revert": rev.code(), "reason": rev.to_string()}),
    };
    let events = &engine.log()[r.events.clone()];
    let v = json!({
        "tx": r.tx_index,
        "at": r.block_time.0,
        "from": r.from,
        "outcome": outcome,
        "events": events,
    });
    // Engine values always serialise (string keys, no floats): a failure is an engine bug.
    let bytes = serde_json::to_vec(&v);
    assert!(bytes.is_ok(), "receipt failed to serialise: {bytes:?}");
    bytes.unwrap_or_default()
}

/// The hash of a row given the previous row's hash, in the file's format: format 1 as
/// [`link_v1`]; format 2 `keccak256("laniakea:journal:v2" ‖ previous hash ‖ tag flag (0 none,
/// 1 tag) ‖ len(tag) ‖ tag ‖ len(tx) ‖ tx text ‖ receipt bytes)`, so an edited or cleared tag is
/// caught at its row.
pub(crate) fn link(
    format: i64,
    prev: B256,
    tag: Option<&str>,
    tx_text: &str,
    receipt: &[u8],
) -> B256 {
    if format < 2 {
        return link_v1(prev, tx_text, receipt);
    }
    let tag_bytes = tag.unwrap_or("").as_bytes();
    let mut buf =
        Vec::with_capacity(19 + 32 + 1 + 8 + tag_bytes.len() + 8 + tx_text.len() + receipt.len());
    buf.extend_from_slice(b"laniakea:journal:v2");
    buf.extend_from_slice(prev.as_slice());
    buf.push(u8::from(tag.is_some()));
    buf.extend_from_slice(&(tag_bytes.len() as u64).to_be_bytes());
    buf.extend_from_slice(tag_bytes);
    buf.extend_from_slice(&(tx_text.len() as u64).to_be_bytes());
    buf.extend_from_slice(tx_text.as_bytes());
    buf.extend_from_slice(receipt);
    keccak256(&buf)
}

/// The format-1 row hash (no tag).
fn link_v1(prev: B256, tx_text: &str, receipt: &[u8]) -> B256 {
    let mut buf = Vec::with_capacity(19 + 32 + 8 + tx_text.len() + receipt.len());
    buf.extend_from_slice(b"laniakea:journal:v1");
    buf.extend_from_slice(prev.as_slice());
    buf.extend_from_slice(&(tx_text.len() as u64).to_be_bytes());
    buf.extend_from_slice(tx_text.as_bytes());
    buf.extend_from_slice(receipt);
    keccak256(&buf)
}

/// Canonical bytes of a warp row's outcome (the new block time).
pub(crate) fn warp_bytes(to: laniakea_units::Timestamp) -> Vec<u8> {
    format!("{{\"warp\":{}}}", to.0).into_bytes()
}

/// The digest of `run_meta` (every entry but [`crate::backend::META_DIGEST_KEY`], in key order):
/// `keccak256("laniakea:run_meta:v2" ‖ (len(key) ‖ key ‖ len(value) ‖ value)…)`.
pub(crate) fn meta_digest(meta: &std::collections::BTreeMap<String, String>) -> B256 {
    let mut buf = b"laniakea:run_meta:v2".to_vec();
    for (k, v) in meta {
        if k == crate::backend::META_DIGEST_KEY {
            continue;
        }
        buf.extend_from_slice(&(k.len() as u64).to_be_bytes());
        buf.extend_from_slice(k.as_bytes());
        buf.extend_from_slice(&(v.len() as u64).to_be_bytes());
        buf.extend_from_slice(v.as_bytes());
    }
    keccak256(&buf)
}
