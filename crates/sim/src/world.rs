//! The deployment a scenario describes, as a genesis transaction script, and the address book.
//!
//! Contract: [`genesis_script`] is a pure function of the scenario (never of the seed): the
//! system builder's lines (`laniakea_chain::system`) with the simulator's additions inserted
//! before the Configurator scopes take control — the market account and each Prime's bounded
//! market key, the Prime's initial deployment of its legacy debt to the market, optional
//! legacy mint headroom, the Generator's baseline liquidity buffer, the srUSDS Holding System
//! and its two LCTS queues, and the LCTS users' starting USDS and approvals. [`build_engine`]
//! runs it on a fresh engine; any line that does not succeed is an error naming the line (a
//! scenario the engine refuses at genesis, e.g. a line above the Vat's `Line`).
//! [`AddressBook`] names every account and contract of the run.

use crate::scenario::{LimitSpec, Scenario, BPS};
use crate::SimError;
use alloy_primitives::Address;
use laniakea_chain::script::{self, account_address};
use laniakea_chain::system::{
    GeneratorConfig, LegacyConfig, Limit, PrimeConfig, ScopesConfig, SystemConfig,
};
use laniakea_chain::Engine;
use laniakea_units::{Rad, Timestamp, Wad, U256, WAD};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

/// The name of the LCTS user `i`.
pub fn user_name(i: u32) -> String {
    format!("u{i}")
}

fn limit_or(l: &Option<LimitSpec>, key: &str) -> Result<Limit, SimError> {
    match l {
        None => Ok(Limit::UNLIMITED),
        Some(l) => l
            .limit(key)
            .map_err(|(k, r)| SimError::Setup(format!("{k}: {r}"))),
    }
}

fn rad_of(w: Wad) -> Rad {
    Rad::from_raw(w.raw().saturating_mul(laniakea_units::RAY))
}

/// The system builder's configuration for a scenario.
pub fn system_config(s: &Scenario) -> Result<SystemConfig, SimError> {
    let mut g = GeneratorConfig::default();
    if let Some(i) = &s.generator.ilk {
        g.ilk = i.clone();
    }
    if let Some(l) = s.generator.line {
        g.line = rad_of(l);
    }
    g.mint_limit = limit_or(&s.generator.mint_limit, "generator.mint_limit")?;
    g.transfer_limit = limit_or(&s.generator.transfer_limit, "generator.transfer_limit")?;
    let mut primes = Vec::new();
    let mut total_line = g.line.raw();
    for p in &s.primes {
        let mut c = PrimeConfig::new(&p.name);
        c.min_idle_bps = p.min_idle_bps;
        c.draw_limit = limit_or(&p.draw_limit, "draw_limit")?;
        c.repay_limit = limit_or(&p.repay_limit, "repay_limit")?;
        c.transfer_limit = limit_or(&p.payment_limit, "payment_limit")?;
        c.legacy = Some(LegacyConfig {
            ilk: p.legacy.ilk.clone(),
            line: rad_of(p.legacy.line),
            debt: p.legacy.debt,
        });
        total_line = total_line.saturating_add(rad_of(p.legacy.line).raw());
        primes.push(c);
    }
    let mut cfg = SystemConfig {
        generator: g,
        primes,
        ..SystemConfig::default()
    };
    // The Vat's global line covers every ilk's line.
    if cfg.vat_line.raw() < total_line {
        cfg.vat_line = Rad::from_raw(total_line);
    }
    cfg.scopes = s.configurator.as_ref().map(|c| {
        let d = ScopesConfig::default();
        ScopesConfig {
            delay_s: c.delay_s.unwrap_or(d.delay_s),
            hop_s: c.hop_s.unwrap_or(d.hop_s),
            max_change_bps: c.max_change_bps.unwrap_or(d.max_change_bps),
        }
    });
    Ok(cfg)
}

fn bps_of(w: Wad, bps: u32) -> Wad {
    Wad::from_raw(w.raw().saturating_mul(U256::from(bps)) / U256::from(BPS))
}

fn market_key() -> Json {
    json!({"name": "LIMIT_ASSET_TRANSFER", "address": "@usds", "address2": "@market"})
}

/// The starting USDS of user `i` of `n`: spread evenly over the scenario's range.
pub fn initial_usds(range: &[Wad; 2], i: u32, n: u32) -> Wad {
    let (lo, hi) = (range[0].raw(), range[1].raw());
    let span = hi - lo;
    let steps = U256::from(n.saturating_sub(1).max(1));
    let whole = (span / WAD) * U256::from(i) / steps;
    Wad::from_raw(lo + whole * WAD)
}

/// The genesis script (JSON lines) of a scenario; its first transaction runs at the start day's
/// 00:00 UTC.
pub fn genesis_script(s: &Scenario) -> Result<String, SimError> {
    let cfg = system_config(s)?;
    cfg.validate()
        .map_err(|e| SimError::Setup(format!("system config: {e}")))?;
    let mut lines = cfg.script_lines();
    // More accounts.
    let mut extra = vec!["market".to_string(), "lpha_lcts".to_string()];
    for p in &s.primes {
        extra.push(format!("{}_relayer2", p.name));
    }
    if let Some(l) = &s.lcts {
        extra.extend((0..l.users).map(user_name));
    }
    if let Some(Json::Array(a)) = lines.first_mut().and_then(|l| l.get_mut("accounts")) {
        a.extend(extra.into_iter().map(Json::String));
    }
    // The scopes step (if any) starts with the first `beam-timelock` deployment: insert before.
    let scope_at = lines
        .iter()
        .position(|l| l["deploy"]["kind"] == "beam-timelock")
        .unwrap_or(lines.len());
    let tail = lines.split_off(scope_at);
    let tx = |from: &str, to: &str, f: &str, args: Json| json!({"from": from, "to": to, "fn": f, "args": args});
    for p in &s.primes {
        let n = &p.name;
        let rl = format!("{n}_rl");
        // Initial deployment of the legacy debt to the market, then the bounded market key.
        lines.push(tx(
            "admin",
            &rl,
            "setUnlimitedRateLimitData",
            json!({"key": market_key()}),
        ));
        let out = bps_of(p.legacy.debt, BPS - p.behaviour.idle_share_bps.min(BPS));
        if !out.is_zero() {
            lines.push(tx(
                &format!("{n}_relayer"),
                &format!("{n}_ctrl"),
                "transferAsset",
                json!({"asset": "@usds", "to": "@market", "amount": out}),
            ));
        }
        let m = p
            .market_limit
            .limit("market_limit")
            .map_err(|(k, r)| SimError::Setup(format!("{k}: {r}")))?;
        lines.push(tx(
            "admin",
            &rl,
            "setRateLimit",
            json!({"key": market_key(), "max_amount": m.max_amount, "slope": m.slope}),
        ));
        if let Some(h) = p.legacy.mint_headroom {
            lines.push(tx(
                "admin",
                &rl,
                "setRateLimit",
                json!({"key": "LIMIT_USDS_MINT", "max_amount": h, "slope": "0"}),
            ));
        }
    }
    if let Some(b) = s.generator.buffer_min {
        lines.push(tx(
            "admin",
            "generator",
            "setLiquidityBuffer",
            json!({"min_idle": b}),
        ));
    }
    if let Some(l) = &s.lcts {
        lines.push(json!({"from": "admin", "deploy": {"kind": "erc20", "symbol": "srUSDS"}, "as": "srusds"}));
        lines.push(json!({"from": "admin", "deploy": {"kind": "holding-system", "susds": "@susds", "srusds": "@srusds", "premium_apr": l.premium_apr}, "as": "hs"}));
        lines.push(tx("admin", "srusds", "rely", json!({"usr": "@hs"})));
        lines.push(json!({"from": "admin", "deploy": {"kind": "lcts-queue", "side": "subscribe", "holding": "@hs"}, "as": "subscribe_q"}));
        lines.push(json!({"from": "admin", "deploy": {"kind": "lcts-queue", "side": "redeem", "holding": "@hs"}, "as": "redeem_q"}));
        for c in ["hs", "subscribe_q", "redeem_q"] {
            lines.push(tx(
                "admin",
                c,
                "grantRole",
                json!({"role": "LPHA_LCTS", "account": "@lpha_lcts"}),
            ));
        }
        for i in 0..l.users {
            let u = user_name(i);
            lines.push(tx(
                "market",
                "usds",
                "transfer",
                json!({"to": format!("@{u}"), "amount": initial_usds(&l.initial_usds, i, l.users)}),
            ));
            lines.push(tx(
                &u,
                "usds",
                "approve",
                json!({"spender": "@subscribe_q", "amount": "max"}),
            ));
            lines.push(tx(
                &u,
                "srusds",
                "approve",
                json!({"spender": "@redeem_q", "amount": "max"}),
            ));
        }
    }
    lines.extend(tail);
    let mut text = String::new();
    for (i, mut l) in lines.into_iter().enumerate() {
        if i == 1 {
            l["at"] = json!(s.start.day_number() * 86_400);
        }
        text.push_str(&l.to_string());
        text.push('\n');
    }
    Ok(text)
}

/// Every name of the run and its address.
#[derive(Debug, Clone)]
pub struct AddressBook {
    names: BTreeMap<String, Address>,
}

impl AddressBook {
    /// The address of a name; an unknown name is a bug of the simulator (asserted).
    pub fn a(&self, name: &str) -> Address {
        let a = self.names.get(name);
        assert!(a.is_some(), "bug: the run has no name '{name}'");
        a.copied().unwrap_or_default()
    }
    pub fn get(&self, name: &str) -> Option<Address> {
        self.names.get(name).copied()
    }
    /// An LCTS user's address (derived, not stored: users may be many).
    pub fn user(&self, i: u32) -> Address {
        account_address(&user_name(i))
    }
}

/// Parses the genesis script; runs it on a fresh engine; returns the engine and the names.
pub fn build_engine(genesis: &str) -> Result<(Engine, AddressBook), SimError> {
    let s = script::parse(genesis).map_err(|e| SimError::Setup(format!("genesis script: {e}")))?;
    let mut e = Engine::new(s.genesis());
    let out = s.run_on(&mut e);
    for l in &out.lines {
        if l["status"] != "ok" {
            return Err(SimError::Setup(format!(
                "genesis line {} ({} {}) did not succeed: {} {}",
                l["line"], l["to"], l["fn"], l["code"], l["reason"]
            )));
        }
    }
    let mut names = s.names_map();
    names.retain(|n, _| !n.starts_with('u') || !n[1..].bytes().all(|b| b.is_ascii_digit()));
    Ok((e, AddressBook { names }))
}

/// The address book alone (parses the genesis script without running it).
pub fn address_book(genesis: &str) -> Result<AddressBook, SimError> {
    let s = script::parse(genesis).map_err(|e| SimError::Setup(format!("genesis script: {e}")))?;
    let mut names = s.names_map();
    names.retain(|n, _| !n.starts_with('u') || !n[1..].bytes().all(|b| b.is_ascii_digit()));
    Ok(AddressBook { names })
}

/// The genesis instant of a scenario (00:00 UTC of its first day).
pub fn genesis_time(s: &Scenario) -> Timestamp {
    Timestamp(s.start.day_number() * 86_400)
}
