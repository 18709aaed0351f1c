//! The canonical binary encoding behind every settlement input digest (statement, distributions,
//! epoch), hashed with keccak-256 as it is written.
//!
//! Contract: every value has exactly one encoding, so a digest is canonical. Strings are a u64
//! length + UTF-8; u64 values and counts are big-endian u64; an amount is one length byte then its
//! minimal big-endian bytes (zero has length 0); an address is its 20 bytes; a digest its 32
//! bytes; a history is its initial amount, its change count, then per change the LEB128 varint of
//! the seconds since the previous change (the first: since 0) and the amount. Each digest starts
//! with a version tag naming what it covers. Never reads anything but its arguments.

use crate::integral::BalanceHistory;
use alloy_primitives::{Address, Keccak256, B256, U256};
use laniakea_units::{EpochId, Timestamp};

/// Bytes buffered before they are fed to the hasher.
const BLOCK: usize = 8192;

/// Streaming encoder: buffers bytes and feeds the hasher in blocks.
pub(crate) struct Encoder {
    h: Keccak256,
    buf: Vec<u8>,
}

impl Encoder {
    /// A new encoder whose first bytes are the version tag.
    pub(crate) fn new(version_tag: &[u8]) -> Encoder {
        let mut e = Encoder {
            h: Keccak256::new(),
            buf: Vec::with_capacity(BLOCK + 64),
        };
        e.raw(version_tag);
        e
    }

    fn raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        self.flush_if_full();
    }

    fn flush_if_full(&mut self) {
        if self.buf.len() >= BLOCK {
            self.h.update(&self.buf);
            self.buf.clear();
        }
    }

    pub(crate) fn n(&mut self, x: u64) {
        self.raw(&x.to_be_bytes());
    }

    pub(crate) fn time(&mut self, t: Timestamp) {
        self.n(t.0);
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.n(s.len() as u64);
        self.raw(s.as_bytes());
    }

    pub(crate) fn epoch(&mut self, e: EpochId) {
        self.str(&e.to_string());
    }

    pub(crate) fn address(&mut self, a: Address) {
        self.raw(a.as_slice());
    }

    pub(crate) fn digest(&mut self, d: B256) {
        self.raw(d.as_slice());
    }

    pub(crate) fn amount(&mut self, x: U256) {
        push_amount(&mut self.buf, x);
        self.flush_if_full();
    }

    pub(crate) fn history(&mut self, h: &BalanceHistory) {
        self.amount(h.initial);
        self.n(h.changes().len() as u64);
        let mut prev = 0u64;
        for (t, v) in h.changes() {
            let mut d = t.0.wrapping_sub(prev);
            prev = t.0;
            loop {
                let b = (d & 0x7f) as u8;
                d >>= 7;
                if d == 0 {
                    self.buf.push(b);
                    break;
                }
                self.buf.push(b | 0x80);
            }
            push_amount(&mut self.buf, *v);
            self.flush_if_full();
        }
    }

    pub(crate) fn finish(mut self) -> B256 {
        self.h.update(&self.buf);
        self.h.finalize()
    }
}

/// One length byte, then the minimal big-endian bytes of `x`.
fn push_amount(buf: &mut Vec<u8>, x: U256) {
    let n = x.bit_len().div_ceil(8);
    buf.push(n as u8);
    if let Ok(small) = u128::try_from(x) {
        buf.extend_from_slice(&small.to_be_bytes()[16 - n..]);
    } else {
        buf.extend_from_slice(&x.to_be_bytes::<32>()[32 - n..]);
    }
}
