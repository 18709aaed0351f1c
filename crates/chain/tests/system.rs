//! The system builder (issue 10 item 5): Rust API and the `{"system": …}` script line build the
//! same system; bad configs are refused naming the field, before anything runs.

#![allow(clippy::unwrap_used)]
mod gen;
use alloy_primitives::{Address, B256};
use gen::*;
use laniakea_chain::call::{Call, Key, RateLimitsCall};
use laniakea_chain::families::configurator::ConfiguratorCall;
use laniakea_chain::rate_limits::{limit_id, names};
use laniakea_chain::script::parse;
use laniakea_chain::system::{
    build, BuildError, LegacyConfig, Limit, PrimeConfig, ScopesConfig, SystemConfig,
};
use laniakea_units::{Rad, Wad, U256};

#[test]
fn rust_and_script_forms_build_the_same_state() {
    let cfg = two_primes();
    let (e, s) = build(&cfg, GENESIS).unwrap();
    let line = serde_json::json!({"at": GENESIS.0, "system": cfg});
    let script = parse(&line.to_string()).unwrap();
    let out = script.run();
    assert!(out.lines.iter().all(|l| l["status"] == "ok"));
    assert_eq!(out.digest, e.digest());
    for (name, addr) in s.names() {
        assert_eq!(script.address(name), Some(addr), "{name}");
    }
}

#[test]
fn a_script_can_use_the_built_system_and_its_own_accounts() {
    let text = r#"{"accounts": ["admin", "alice"]}
{"at": 1767225600, "system": {"primes": [{"name": "grove", "draw_limit": {"max_amount": "100", "slope": "0"}}]}}
{"from": "gen_relayer", "to": "gen_ctrl", "fn": "mintUSDS", "args": {"amount": "1000"}, "expect": "ok"}
{"from": "gen_relayer", "to": "gen_ctrl", "fn": "depositERC4626", "args": {"vault": "@grove_pv", "assets": "1000", "min_shares_out": "0"}, "expect": "ok"}
{"from": "grove_relayer", "to": "grove_ctrl", "fn": "drawPrimeVault", "args": {"vault": "@grove_pv", "amount": "100.000000000000000001"}, "expect": "RateLimits/rate-limit-exceeded"}
{"from": "grove_relayer", "to": "grove_ctrl", "fn": "drawPrimeVault", "args": {"vault": "@grove_pv", "amount": "100"}, "expect": "ok"}
{"view": "grove_pv", "fn": "position"}"#;
    let out = parse(text).unwrap().run();
    assert!(
        out.unmet_expectations.is_empty(),
        "{:?}",
        out.unmet_expectations
    );
    let pos = &out.lines.last().unwrap()["returns"];
    assert_eq!(pos["drawn_wad"], "100");
    assert_eq!(pos["idle_wad"], "900");
    assert_eq!(pos["total_assets_wad"], "1000");
}

#[test]
fn bad_configs_name_the_field_and_nothing_runs() {
    let mut cfg = SystemConfig::default();
    cfg.primes.push(PrimeConfig::new("Spark"));
    let e = build(&cfg, GENESIS).unwrap_err();
    assert!(
        matches!(&e, BuildError::Config(c) if c.field == "primes[0].name"),
        "{e}"
    );

    let mut cfg = SystemConfig::default();
    cfg.primes.push(PrimeConfig::new("a"));
    cfg.primes.push(PrimeConfig::new("a"));
    let e = build(&cfg, GENESIS).unwrap_err();
    assert!(
        matches!(&e, BuildError::Config(c) if c.field == "primes[1].name"),
        "{e}"
    );

    let mut p = PrimeConfig::new("spark");
    p.legacy = Some(LegacyConfig {
        ilk: None,
        line: Rad::from_raw(U256::from(10u8) * laniakea_units::math::RAD),
        debt: Wad::from_raw(wad(11)),
    });
    let cfg = SystemConfig {
        primes: vec![p],
        ..SystemConfig::default()
    };
    let e = build(&cfg, GENESIS).unwrap_err();
    assert!(
        matches!(&e, BuildError::Config(c) if c.field == "primes[0].legacy.debt"),
        "{e}"
    );

    // the script form reports the same field, on the system line
    let text = r#"{"at": 1, "system": {"primes": [{"name": "x", "min_idle_bps": 10001}]}}"#;
    let e = parse(text).unwrap_err();
    assert_eq!(
        (e.line, e.field.as_str()),
        (1, "system.primes[0].min_idle_bps")
    );
    let text = r#"{"at": 1, "system": {"primes": [{"name": "x", "bogus": 1}]}}"#;
    let e = parse(text).unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.field.starts_with("system"), "{e}");
}

#[test]
fn legacy_ilk_is_named_allocator_prime_a_and_mints_to_the_primes_proxy() {
    let x = Sys::new(&two_primes());
    let vat = x.a("vat");
    let state = x.e.state();
    let ilk = laniakea_chain::mcd::ilk_id("ALLOCATOR-SPARK-A").unwrap();
    let i = state
        .get::<laniakea_chain::contracts::Vat>(vat)
        .unwrap()
        .ilks
        .get(&ilk)
        .cloned()
        .unwrap();
    assert_eq!(i.art_total.raw(), wad(1_000));
    assert_eq!(x.bal("usds", "spark_proxy"), wad(1_000));
    assert_eq!(x.bal("usds", "grove_proxy"), U256::ZERO);
}

/// `two_primes` with both Configurator scopes and finite limits on the keys the tests use.
fn scoped() -> SystemConfig {
    let mut cfg = two_primes();
    cfg.scopes = Some(ScopesConfig::default());
    cfg.generator.mint_limit = Limit::whole(1_000_000, 10);
    for p in &mut cfg.primes {
        p.draw_limit = Limit::whole(500_000, 5);
    }
    cfg
}

fn set_limit(pau: Address, key: B256, max: u64, slope: u64) -> ConfiguratorCall {
    let l = Limit::whole(max, slope);
    ConfiguratorCall::SetRateLimit {
        pau,
        key: Key(key),
        max_amount: l.max_amount,
        slope: l.slope,
    }
}

#[test]
fn the_builder_deploys_both_scopes_over_the_real_paus() {
    let cfg = scoped();
    let x = Sys::new(&cfg);
    let st = x.e.state();
    for (scope, paus) in [("gen", vec!["gen"]), ("main", vec!["spark", "grove"])] {
        let cfg_addr = x.a(&format!("{scope}_cfg"));
        let state = x.a(&format!("{scope}_state"));
        for p in paus {
            let proxy = x.a(&format!("{p}_proxy"));
            assert!(st.registered_pau(state, proxy).is_some(), "{scope}: {p}");
            for part in ["proxy", "ctrl", "rl"] {
                assert_eq!(
                    st.managing_configurator(x.a(&format!("{p}_{part}"))),
                    Some(cfg_addr),
                    "{p}_{part}"
                );
            }
        }
    }
    // The Rust and script forms still agree with scopes on.
    let line = serde_json::json!({"at": GENESIS.0, "system": cfg});
    let script = parse(&line.to_string()).unwrap();
    let out = script.run();
    assert!(out.lines.iter().all(|l| l["status"] == "ok"));
    assert_eq!(out.digest, x.e.digest());
}

/// Scopes are on by default (SPEC §4.10: the system builder deploys both); `"scopes": null`
/// builds without them, and the config round-trips through JSON either way.
#[test]
fn scopes_are_on_by_default_and_null_builds_without_them() {
    let cfg = two_primes();
    assert_eq!(cfg.scopes, Some(ScopesConfig::default()));
    let x = Sys::new(&cfg);
    assert!(x.s.get("gen_cfg").is_some() && x.s.get("main_cfg").is_some());
    let from_json: SystemConfig =
        serde_json::from_value(serde_json::json!({"primes": [{"name": "spark"}]})).unwrap();
    assert_eq!(from_json.scopes, Some(ScopesConfig::default()));
    let mut off = two_primes();
    off.scopes = None;
    let json = serde_json::to_value(&off).unwrap();
    assert_eq!(json["scopes"], serde_json::Value::Null);
    assert_eq!(serde_json::from_value::<SystemConfig>(json).unwrap(), off);
    let x = Sys::new(&off);
    assert!(x.s.get("gen_cfg").is_none() && x.s.get("main_cfg").is_none());
    assert!(x.e.state().managing_configurator(x.a("spark_rl")).is_none());
}

#[test]
fn each_scopes_govops_is_refused_on_the_other_scopes_paus() {
    let mut x = Sys::new(&scoped());
    let (gen_cfg, main_cfg) = (x.a("gen_cfg"), x.a("main_cfg"));
    let (gen_proxy, spark_proxy) = (x.a("gen_proxy"), x.a("spark_proxy"));
    let mint = limit_id(names::USDS_MINT);
    let draw = x.draw_key("spark");
    // Generator GovOps on a Prime PAU: not in its scope, and not accordant in the Mainnet one.
    let r = x.tx(
        "gen_govops",
        Call::Configurator(gen_cfg, set_limit(spark_proxy, draw, 1, 0)),
    );
    assert_eq!(code(r), "Configurator/pau-not-in-scope");
    let r = x.tx(
        "gen_govops",
        Call::Configurator(main_cfg, set_limit(spark_proxy, draw, 1, 0)),
    );
    assert_eq!(code(r), "Configurator/not-accordant");
    // Mainnet GovOps on the Generator PAU: the same both ways.
    let r = x.tx(
        "main_govops",
        Call::Configurator(main_cfg, set_limit(gen_proxy, mint, 1, 0)),
    );
    assert_eq!(code(r), "Configurator/pau-not-in-scope");
    let r = x.tx(
        "main_govops",
        Call::Configurator(gen_cfg, set_limit(gen_proxy, mint, 1, 0)),
    );
    assert_eq!(code(r), "Configurator/not-accordant");
    // Governance itself no longer sets a managed PAU's limits directly.
    let spark_rl = x.a("spark_rl");
    let r = x.tx(
        "admin",
        Call::RateLimits(
            spark_rl,
            RateLimitsCall::SetMaxSlope {
                key: Key(draw),
                max_amount: Wad::from_raw(wad(1)),
                slope: Wad::ZERO,
            },
        ),
    );
    assert_eq!(code(r), "Configurator/managed-contract");
    // Each GovOps does set its own PAU (a lowering is instant).
    x.tx(
        "gen_govops",
        Call::Configurator(gen_cfg, set_limit(gen_proxy, mint, 1, 0)),
    )
    .unwrap();
    x.tx(
        "main_govops",
        Call::Configurator(main_cfg, set_limit(spark_proxy, draw, 1, 0)),
    )
    .unwrap();
}

#[test]
fn a_raise_under_sorl_works_through_the_built_scope() {
    let mut x = Sys::new(&scoped());
    let (gen_cfg, gen_proxy) = (x.a("gen_cfg"), x.a("gen_proxy"));
    let mint = limit_id(names::USDS_MINT);
    // First set: bounded by the builder's init (the configured 1,000,000 / 10 per s).
    let r = x.tx(
        "gen_govops",
        Call::Configurator(gen_cfg, set_limit(gen_proxy, mint, 1_000_001, 10)),
    );
    assert_eq!(code(r), "Configurator/above-init");
    x.tx(
        "gen_govops",
        Call::Configurator(gen_cfg, set_limit(gen_proxy, mint, 400_000, 4)),
    )
    .unwrap();
    // +25% needs the 18 h hop, then is bounded by maxChange 2500 bps.
    x.warp(18 * 3600 - 1);
    let r = x.tx(
        "gen_govops",
        Call::Configurator(gen_cfg, set_limit(gen_proxy, mint, 500_000, 5)),
    );
    assert_eq!(code(r), "Configurator/sorl-too-early");
    x.warp(1);
    let r = x.tx(
        "gen_govops",
        Call::Configurator(gen_cfg, set_limit(gen_proxy, mint, 500_001, 5)),
    );
    assert_eq!(code(r), "Configurator/sorl-max-amount-exceeded");
    x.tx(
        "gen_govops",
        Call::Configurator(gen_cfg, set_limit(gen_proxy, mint, 500_000, 5)),
    )
    .unwrap();
    let d = x.e.state().rate_limit_data(x.a("gen_rl"), mint);
    assert_eq!(d.max_amount.raw(), wad(500_000));
    assert_eq!(d.slope.raw(), wad(5));
}
