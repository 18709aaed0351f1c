//! The system builder (issue 10 item 5): Rust API and the `{"system": …}` script line build the
//! same system; bad configs are refused naming the field, before anything runs.

#![allow(clippy::unwrap_used)]
mod gen;
use gen::*;
use laniakea_chain::script::parse;
use laniakea_chain::system::{build, BuildError, LegacyConfig, PrimeConfig, SystemConfig};
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
