//! The LCTS fixture shared by `tests/lcts.rs` and `benches/lcts.rs`: the operators' fixture
//! (one Prime) plus an srUSDS Holding System with both queues, the lpha-lcts account, a
//! pre-funded backing and users holding sUSDS; the lpha-lcts role in the Synome.
#![allow(dead_code, clippy::unwrap_used)]

use crate::common::*;
use laniakea_chain::call::Call;
use laniakea_chain::families::lcts_queue::LctsQueueCall;
use laniakea_chain::{script, Engine};
use laniakea_operators::lcts::{LctsBeacon, LctsConfig};
use laniakea_operators::Guard;
use laniakea_synome::{Draft, Kind, Provenance, Role, Signer, Writer};
use laniakea_units::{Timestamp, Wad};
use serde_json::{json, Value};

/// The fixture's script with an srUSDS Holding System, both queues, the beacon's account and
/// `users` holding sUSDS (approved for the subscribe queue) and approving the redeem queue.
pub fn lcts_script(users: &[String], susds_each: u64) -> String {
    let base = setup_script_for(&["spark"]);
    let mut lines: Vec<String> = base.lines().map(String::from).collect();
    let mut accounts: Value = serde_json::from_str(&lines[0]).unwrap();
    let list = accounts["accounts"].as_array_mut().unwrap();
    for a in ["lpha_lcts", "prefunder"] {
        list.push(json!(a));
    }
    for u in users {
        list.push(json!(u));
    }
    lines[0] = accounts.to_string();
    for l in [
        r#"{"from": "admin", "deploy": {"kind": "erc20", "symbol": "srUSDS"}, "as": "srusds"}"#,
        r#"{"from": "admin", "deploy": {"kind": "holding-system", "susds": "@susds", "srusds": "@srusds", "premium_apr": "0.05"}, "as": "hs"}"#,
        r#"{"from": "admin", "to": "srusds", "fn": "rely", "args": {"usr": "@hs"}}"#,
        r#"{"from": "admin", "deploy": {"kind": "lcts-queue", "side": "subscribe", "holding": "@hs"}, "as": "subscribe_q"}"#,
        r#"{"from": "admin", "deploy": {"kind": "lcts-queue", "side": "redeem", "holding": "@hs"}, "as": "redeem_q"}"#,
        r#"{"from": "admin", "to": "hs", "fn": "grantRole", "args": {"role": "LPHA_LCTS", "account": "@lpha_lcts"}}"#,
        r#"{"from": "admin", "to": "subscribe_q", "fn": "grantRole", "args": {"role": "LPHA_LCTS", "account": "@lpha_lcts"}}"#,
        r#"{"from": "admin", "to": "redeem_q", "fn": "grantRole", "args": {"role": "LPHA_LCTS", "account": "@lpha_lcts"}}"#,
        r#"{"from": "admin", "to": "susds", "fn": "mint", "args": {"to": "@prefunder", "amount": "100000"}}"#,
        r#"{"from": "prefunder", "to": "susds", "fn": "transfer", "args": {"to": "@hs", "amount": "100000"}}"#,
    ] {
        lines.push(l.to_string());
    }
    for u in users {
        lines.push(format!(r#"{{"from": "admin", "to": "susds", "fn": "mint", "args": {{"to": "@{u}", "amount": "{susds_each}"}}}}"#));
        lines.push(format!(r#"{{"from": "{u}", "to": "susds", "fn": "approve", "args": {{"spender": "@subscribe_q", "amount": "max"}}}}"#));
        lines.push(format!(r#"{{"from": "{u}", "to": "srusds", "fn": "approve", "args": {{"spender": "@redeem_q", "amount": "max"}}}}"#));
    }
    lines.join("\n")
}

pub fn lcts_sys(users: &[String], susds_each: u64) -> Sys {
    let s = script::parse(&lcts_script(users, susds_each)).expect("setup parses");
    let mut en = Engine::new(s.genesis());
    en.set_check_invariants(true);
    let out = s.run_on(&mut en);
    for l in &out.lines {
        assert_eq!(l["status"], "ok", "setup line failed: {l}");
    }
    Sys {
        e: en,
        s,
        primes: vec!["spark".into()],
    }
}

pub fn lcts_writer() -> Writer {
    Writer::new(Signer::demo("lpha-lcts"), Role::LphaLcts)
}

/// Grants the lpha-lcts role and publishes the base parameters (rates, OSRC allocations: to a
/// Prime outside this fixture's deployment, so spark's statements owe no premium and the
/// checker's payment checks stay quiet while the target-spread bound still has a premium).
pub fn lcts_db() -> Db {
    let mut db = Db::new();
    let w = lcts_writer();
    let d = Draft::new(
        Kind::RoleGrant,
        "global",
        Timestamp(START - 3 * 86_400),
        Provenance::GovernanceDirected,
        json!({"role": "lpha-lcts", "address": w.signer.address(), "demo_key": w.signer.label()}),
    );
    db.syn.write(&db.council, vec![d]).unwrap();
    db.params(
        Timestamp(START - 2 * 86_400),
        json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.12",
               "penalty_rate_per_hour_wad": "0.001",
               "osrc": [{"prime": "obex", "allocation_wad": "100000000", "rate_apr": "0.02"}]}),
    );
    db
}

/// LCTS inputs published for `epoch` at `published`.
pub fn publish(db: &mut Db, published: Timestamp, epoch: &str, osrc_cap: &str, limit: &str) {
    db.params(
        published,
        json!({"effective_epoch": epoch, "srusds_osrc_capacity_susds_wad": osrc_cap,
               "srusds_target_spread_apr": "0.01", "redemption_limit_wad": limit}),
    );
}

pub fn beacon(s: &Sys, db: &Db) -> LctsBeacon {
    LctsBeacon::new(
        LctsConfig {
            deployment_start: Timestamp(START),
            holding: s.a("hs"),
            beacon: s.a("lpha_lcts"),
            guard: Guard {
                reallocation_threshold_wad: wad(1_000_000),
            },
        },
        lcts_writer(),
        db.govops.clone(),
    )
}

pub fn enter(s: &mut Sys, who: &str, q: &str, t: Timestamp, amount: Wad) {
    let tx = s.tx(
        who,
        t,
        Call::LctsQueue(s.a(q), LctsQueueCall::Enter { amount }),
    );
    s.run(tx);
}

pub fn claim(s: &mut Sys, who: &str, q: &str, t: Timestamp) {
    let tx = s.tx(who, t, Call::LctsQueue(s.a(q), LctsQueueCall::Claim));
    s.run(tx);
}
