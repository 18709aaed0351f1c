//! Canonical state digest.
//!
//! Contract: `state_digest` is keccak-256 over a fixed, documented byte encoding of the whole
//! state: block time, tx count, then every contract in address order (kind tag + scalar fields),
//! every non-zero ledger entry in key order (balances, allowances, roles, urns, dai, sin,
//! rate-limit entries) and every nonce. Integers are 32-byte (U256) or 8-byte (u64) big-endian,
//! addresses 20 bytes; each section starts with a one-byte tag and its entry count, so no two
//! states encode alike. Depends only on state, never on history or machine.

use crate::contracts::Contract;
use crate::state::State;
use alloy_primitives::{Address, Keccak256, B256, U256};

struct Enc(Keccak256);

impl Enc {
    fn u(&mut self, v: U256) {
        self.0.update(v.to_be_bytes::<32>());
    }
    fn n(&mut self, v: u64) {
        self.0.update(v.to_be_bytes());
    }
    fn a(&mut self, a: Address) {
        self.0.update(a.as_slice());
    }
    fn b(&mut self, b: B256) {
        self.0.update(b.as_slice());
    }
    fn tag(&mut self, t: u8, count: usize) {
        self.0.update([t]);
        self.n(count as u64);
    }
}

pub fn state_digest(s: &State, tx_count: u64) -> B256 {
    let mut e = Enc(Keccak256::new());
    e.0.update(b"laniakea-state-v1");
    e.n(s.now.0);
    e.n(tx_count);
    e.tag(1, s.contracts.len());
    for (addr, c) in &s.contracts {
        e.a(*addr);
        e.0.update(c.kind().as_bytes());
        encode_contract(&mut e, c);
    }
    let tokens: Vec<_> = s.balances.iter().filter(|(_, m)| !m.is_empty()).collect();
    e.tag(2, tokens.len());
    for (token, m) in tokens {
        e.a(*token);
        e.n(m.len() as u64);
        for (who, bal) in m {
            e.a(*who);
            e.u(*bal);
        }
    }
    e.tag(3, s.allowances.len());
    for ((t, o, sp), v) in &s.allowances {
        e.a(*t);
        e.a(*o);
        e.a(*sp);
        e.u(*v);
    }
    e.tag(4, s.roles.len());
    for (c, r, a) in &s.roles {
        e.a(*c);
        e.b(*r);
        e.a(*a);
    }
    e.tag(5, s.urns.len());
    for ((i, u), urn) in &s.urns {
        e.b(*i);
        e.a(*u);
        e.u(urn.ink);
        e.u(urn.art);
    }
    for (tag, map) in [(6u8, &s.dai), (7u8, &s.sin)] {
        e.tag(tag, map.len());
        for (a, v) in map {
            e.a(*a);
            e.u(*v);
        }
    }
    e.tag(8, s.rate_limits.len());
    for ((c, k), d) in &s.rate_limits {
        e.a(*c);
        e.b(*k);
        e.u(d.max_amount);
        e.u(d.slope);
        e.u(d.last_amount);
        e.n(d.last_updated.0);
    }
    e.tag(9, s.nonces.len());
    for (a, n) in &s.nonces {
        e.a(*a);
        e.n(*n);
    }
    e.0.finalize()
}

fn encode_contract(e: &mut Enc, c: &Contract) {
    match c {
        Contract::Erc20(t) => {
            e.0.update(t.symbol.as_str().as_bytes());
            e.u(t.total_supply);
        }
        Contract::Savings(s) => {
            e.0.update(s.token.symbol.as_str().as_bytes());
            e.u(s.token.total_supply);
            e.a(s.asset);
            e.a(s.join);
            e.a(s.vow);
            e.u(s.chi);
            e.n(s.rho.0);
            e.u(s.ssr);
        }
        Contract::Vat(v) => {
            e.u(v.debt);
            e.u(v.vice);
            e.u(v.line_total);
            e.n(v.ilks.len() as u64);
            for (id, i) in v.ilks.iter() {
                e.b(*id);
                e.u(i.art_total);
                e.u(i.rate);
                e.u(i.spot);
                e.u(i.line);
                e.u(i.dust);
            }
        }
        Contract::Jug(j) => {
            e.a(j.vat);
            e.a(j.vow);
            e.u(j.base);
            e.n(j.ilks.len() as u64);
            for (id, i) in j.ilks.iter() {
                e.b(*id);
                e.u(i.duty);
                e.n(i.rho.0);
            }
        }
        Contract::Join(j) => {
            e.a(j.vat);
            e.a(j.usds);
        }
        Contract::IlkVault(v) => {
            e.b(v.ilk);
            e.a(v.vat);
            e.a(v.jug);
            e.a(v.join);
            e.a(v.usds);
            e.a(v.buffer);
            e.u(v.drawn_wad);
            e.u(v.wiped_wad);
        }
        Contract::Buffer(b) => e.a(b.vault),
        Contract::RateLimits(_) | Contract::AlmProxy(_) => {}
        Contract::Controller(c) => {
            e.a(c.proxy);
            e.a(c.rate_limits);
            e.a(c.ilk_vault);
            e.a(c.buffer);
            e.a(c.usds);
            e.n(c.max_exchange_rates.len() as u64);
            for (v, r) in c.max_exchange_rates.iter() {
                e.a(*v);
                e.u(*r);
            }
        }
    }
}
