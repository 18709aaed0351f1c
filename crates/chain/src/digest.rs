//! Canonical state digest.
//!
//! Contract: `state_digest` is keccak-256 over a fixed, documented byte encoding of the whole
//! state: block time, tx count, then sections in ascending tag order. Core sections: 1 every
//! contract in address order (address, kind label, the family's scalar encoding), 4 roles,
//! 9 nonces. Every other section belongs to a family's ledger (`Family::LEDGER_TAGS`: token 2
//! balances and 3 allowances, vat 5 urns, 6 dai, 7 sin, rate-limits 8 entries; new families take
//! tags from 10 up). Integers are 32-byte (U256) or 8-byte (u64) big-endian, addresses 20 bytes;
//! each section starts with a one-byte tag and its entry count, so no two states encode alike.
//! Depends only on state, never on history or machine.
//!
//! Empty sections: a section with no entries is **omitted** (no tag, no count), here, once, for
//! every family — so adding a family (or a ledger section) never changes the digest of a state
//! that has no instance of it, and no family needs its own "skip when empty" code. Sections are
//! self-delimiting (tag, count) and fixed-layout per tag, so an absent section decodes
//! unambiguously as empty. The version-1 sections ([`V1_TAGS`]: the core sections and the first
//! families' tags 2–8) keep their zero-count header, because the digests pinned before this rule
//! (golden outputs, users' recorded digests) were computed that way.

use crate::families::LEDGER_TAGS;
use crate::state::State;
use alloy_primitives::{Address, Keccak256, B256, U256};

/// Core section tags (families must not use these).
pub const CORE_TAGS: [u8; 3] = [TAG_CONTRACTS, TAG_ROLES, TAG_NONCES];
const TAG_CONTRACTS: u8 = 1;
const TAG_ROLES: u8 = 4;
const TAG_NONCES: u8 = 9;

/// Sections written even when empty (frozen at digest version 1: tags 1–9). Every other tag,
/// i.e. every section of a family added later, is omitted when it has no entries.
pub const V1_TAGS: [u8; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

/// The digest encoder handed to families.
pub struct Enc(Keccak256);

impl Enc {
    pub fn u(&mut self, v: U256) {
        self.0.update(v.to_be_bytes::<32>());
    }
    pub fn n(&mut self, v: u64) {
        self.0.update(v.to_be_bytes());
    }
    pub fn a(&mut self, a: Address) {
        self.0.update(a.as_slice());
    }
    pub fn b(&mut self, b: B256) {
        self.0.update(b.as_slice());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.0.update(b);
    }
    /// A section header: one tag byte and the entry count — or nothing at all for an empty
    /// section outside [`V1_TAGS`] (see the module doc). A family's section is this header
    /// followed by exactly `count` entries, so an empty section writes nothing.
    pub fn tag(&mut self, t: u8, count: usize) {
        if count == 0 && !V1_TAGS.contains(&t) {
            return;
        }
        self.0.update([t]);
        self.n(count as u64);
    }
}

pub fn state_digest(s: &State, tx_count: u64) -> B256 {
    state_digest_over(s, tx_count, |_| true)
}

/// The digest over the core sections and the ledger sections of the families `include` accepts
/// (by label) — as if only those families were registered. `state_digest` includes every family;
/// the registry tests use this to check that a family without instances leaves the digest as it
/// would be without the family.
pub fn state_digest_over(s: &State, tx_count: u64, include: impl Fn(&str) -> bool) -> B256 {
    let mut e = Enc(Keccak256::new());
    e.0.update(b"laniakea-state-v1");
    e.n(s.now.0);
    e.n(tx_count);
    let mut tags: Vec<u8> = CORE_TAGS.to_vec();
    for (label, t) in LEDGER_TAGS {
        if include(label) {
            tags.extend_from_slice(t);
        }
    }
    tags.sort_unstable();
    for tag in tags {
        match tag {
            TAG_CONTRACTS => {
                e.tag(TAG_CONTRACTS, s.contracts.len());
                for (addr, c) in s.contracts.iter() {
                    e.a(*addr);
                    e.bytes(c.kind().as_bytes());
                    c.encode(&mut e);
                }
            }
            TAG_ROLES => {
                e.tag(TAG_ROLES, s.roles.len());
                for ((c, r, a), _) in s.roles.iter() {
                    e.a(*c);
                    e.b(*r);
                    e.a(*a);
                }
            }
            TAG_NONCES => {
                e.tag(TAG_NONCES, s.nonces.len());
                for (a, n) in &s.nonces {
                    e.a(*a);
                    e.n(*n);
                }
            }
            t => {
                let owned = s.ledgers.encode_section(t, &mut e);
                assert!(owned, "digest tag {t} is listed but no family encodes it");
            }
        }
    }
    e.0.finalize()
}
