//! The Generator deployment (issue 10 item 2): the same PAU code as every Prime, spark's
//! rate-limit coupling on Prime vaults, configured transfers only; every Prime-vault function
//! reachable from a transaction script.

#![allow(clippy::unwrap_used)]
mod gen;
use gen::*;
use laniakea_chain::call::*;
use laniakea_chain::rate_limits::{address_key, address_pair_key, limit_id, names};
use laniakea_chain::system::{Limit, PrimeConfig, SystemConfig};
use laniakea_units::{Wad, U256};

#[test]
fn generator_and_primes_run_the_same_pau_code() {
    let x = Sys::new(&two_primes());
    for p in ["gen", "spark", "grove"] {
        let kinds: Vec<&str> = ["ctrl", "proxy", "rl"]
            .iter()
            .map(|k| {
                x.e.state()
                    .contract(x.a(&format!("{p}_{k}")))
                    .unwrap()
                    .kind()
            })
            .collect();
        assert_eq!(kinds, ["controller", "alm-proxy", "rate-limits"], "{p}");
    }
}

#[test]
fn prime_vault_withdraw_and_redeem_use_sparks_coupling() {
    let mut grove = PrimeConfig::new("grove");
    grove.deposit_limit = Limit::whole(1_000, 0);
    grove.withdraw_limit = Limit::whole(1_000, 0);
    let mut x = Sys::new(&SystemConfig {
        primes: vec![grove],
        ..SystemConfig::default()
    });
    let (rl, vault) = (x.a("gen_rl"), x.a("grove_pv"));
    let dep = address_key(limit_id(names::DEPOSIT_4626), vault);
    let wd = address_key(limit_id(names::WITHDRAW_4626), vault);
    let cur = |x: &Sys, k| x.e.state().current_rate_limit(rl, k).unwrap();
    x.mint(wad(2_000)).unwrap();
    assert_eq!(
        code(x.deposit("grove", wad(1_000) + U256::from(1u8))),
        "RateLimits/rate-limit-exceeded"
    );
    x.deposit("grove", wad(1_000)).unwrap();
    assert_eq!(cur(&x, dep), U256::ZERO);
    x.withdraw("grove", wad(300)).unwrap();
    assert_eq!((cur(&x, dep), cur(&x, wd)), (wad(300), wad(700)));
    x.redeem("grove", wad(200)).unwrap();
    assert_eq!((cur(&x, dep), cur(&x, wd)), (wad(500), wad(500)));
}

#[test]
fn generator_transfers_only_to_configured_destinations() {
    let mut x = Sys::new(&two_primes());
    x.mint(wad(100)).unwrap();
    let usds = x.a("usds");
    for to in ["holding", "surplus", "spark_proxy", "grove_proxy"] {
        let dst = x.a(to);
        let r = x.gen(ControllerCall::TransferAsset {
            asset: usds,
            to: dst,
            amount: Wad::from_raw(wad(1)),
        });
        assert_eq!(code(r), "ok", "{to}");
    }
    let admin = x.a("admin");
    let r = x.gen(ControllerCall::TransferAsset {
        asset: usds,
        to: admin,
        amount: Wad::from_raw(wad(1)),
    });
    assert_eq!(code(r), "RateLimits/zero-maxAmount");
    // and a Prime pays the Generator through its own configured key
    let key = address_pair_key(limit_id(names::ASSET_TRANSFER), usds, x.a("gen_proxy"));
    assert!(!x
        .e
        .state()
        .rate_limit_data(x.a("spark_rl"), key)
        .max_amount
        .is_zero());
    let gen_proxy = x.a("gen_proxy");
    let r = x.prime_ctrl(
        "spark",
        ControllerCall::TransferAsset {
            asset: usds,
            to: gen_proxy,
            amount: Wad::from_raw(wad(5)),
        },
    );
    assert_eq!(code(r), "ok");
}

#[test]
fn exceeded_max_withdraw_names_owner_requested_and_max() {
    let mut x = Sys::new(&two_primes());
    x.mint(wad(10)).unwrap();
    x.deposit("grove", wad(10)).unwrap();
    let e = x.withdraw("grove", wad(11)).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&x.a("gen_proxy").to_string()), "{msg}");
    assert!(
        msg.contains(&wad(11).to_string()) && msg.contains(&wad(10).to_string()),
        "{msg}"
    );
}

#[test]
fn every_prime_vault_function_is_reachable_from_a_script() {
    let text = r#"{"at": 1767225600, "system": {"primes": [{"name": "grove", "decimals_offset": 3}]}}
{"from": "gen_relayer", "to": "gen_ctrl", "fn": "mintUSDS", "args": {"amount": "1000"}, "expect": "ok"}
{"from": "gen_relayer", "to": "gen_ctrl", "fn": "depositERC4626", "args": {"vault": "@grove_pv", "assets": "1000", "min_shares_out": "0"}, "expect": "ok"}
{"from": "admin", "to": "grove_pv", "fn": "setMinIdleBps", "args": {"bps": 2000}, "expect": "ok"}
{"view": "grove_pv", "fn": "maxDraw"}
{"from": "grove_relayer", "to": "grove_ctrl", "fn": "drawPrimeVault", "args": {"vault": "@grove_pv", "amount": "800.000000000000000001"}, "expect": "PrimeVault/below-min-idle"}
{"from": "grove_relayer", "to": "grove_ctrl", "fn": "drawPrimeVault", "args": {"vault": "@grove_pv", "amount": "800"}, "expect": "ok"}
{"from": "grove_relayer", "to": "grove_ctrl", "fn": "repayPrimeVault", "args": {"vault": "@grove_pv", "amount": "100"}, "expect": "ok"}
{"from": "admin", "to": "grove_pv", "fn": "writeDown", "args": {"amount": "701"}, "expect": "PrimeVault/write-down-too-large"}
{"from": "admin", "to": "grove_pv", "fn": "writeDown", "args": {"amount": "100"}, "expect": "ok"}
{"from": "freezer", "to": "grove_pv", "fn": "pauseWithdrawals", "args": {"duration_s": 3600}, "expect": "ok"}
{"view": "grove_pv", "fn": "maxWithdraw", "args": {"owner": "@gen_proxy"}}
{"from": "gen_relayer", "to": "gen_ctrl", "fn": "withdrawERC4626", "args": {"vault": "@grove_pv", "assets": "1", "max_shares_in": "max"}, "expect": "PrimeVault/withdrawals-paused"}
{"from": "freezer", "to": "grove_pv", "fn": "unpauseWithdrawals", "expect": "ok"}
{"from": "admin", "to": "grove_pv", "fn": "setMaxPauseDuration", "args": {"seconds": 60}, "expect": "ok"}
{"from": "freezer", "to": "grove_pv", "fn": "pauseWithdrawals", "args": {"duration_s": 61}, "expect": "PrimeVault/bad-pause-duration"}
{"view": "grove_pv", "fn": "convertToAssets", "args": {"shares": "1000"}}
{"view": "grove_pv", "fn": "previewWithdraw", "args": {"assets": "1"}}
{"view": "grove_pv", "fn": "balanceOf", "args": {"account": "@gen_proxy"}}
{"view": "grove_pv", "fn": "position"}"#;
    let out = laniakea_chain::script::parse(text).unwrap().run();
    assert!(
        out.unmet_expectations.is_empty(),
        "{:?}",
        out.unmet_expectations
    );
    let view = |f: &str| {
        out.lines
            .iter()
            .find(|l| l["view"] == "grove_pv" && l["fn"] == f)
            .unwrap()["returns"]
            .clone()
    };
    assert_eq!(view("maxDraw")["maxAssets"], "800");
    assert_eq!(view("maxWithdraw")["maxAssets"], "0", "paused: 0");
    // offset 3: 1000 shares per USDS at par; after a 100 write-down, 1000 shares = 0.9 USDS
    assert_eq!(view("balanceOf")["balance"], "1000000");
    let pos = view("position");
    assert_eq!(pos["total_assets_wad"], "900");
    assert_eq!(pos["prime_debt_wad"], "600");
    // floor(1e21·(900e18 + 1)/(1e24 + 1e3)) = 9e17
    assert_eq!(view("convertToAssets")["assets"], "0.9");
}
