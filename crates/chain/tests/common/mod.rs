//! Shared fixture: the PAU deployment of `examples/pau-basic.jsonl` (everything before the
//! relayer's first action), plus typed helpers to drive it from Rust.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use alloy_primitives::{Address, B256};
use laniakea_chain::call::*;
use laniakea_chain::rate_limits::{address_key, address_pair_key, limit_id, names};
use laniakea_chain::script;
use laniakea_chain::{Engine, Revert};
use laniakea_units::{Timestamp, Wad, U256, WAD};

pub const EXAMPLE: &str = include_str!("../../../../examples/pau-basic.jsonl");

pub fn setup_text() -> String {
    EXAMPLE
        .lines()
        .take_while(|l| !l.contains("\"from\": \"relayer\""))
        .collect::<Vec<_>>()
        .join("\n")
}

pub struct Fx {
    pub e: Engine,
    pub s: script::Script,
}

pub fn wad(x: u64) -> U256 {
    U256::from(x) * WAD
}

impl Fx {
    pub fn new() -> Fx {
        let s = script::parse(&setup_text()).expect("setup parses");
        let mut e = Engine::new(s.genesis());
        let out = s.run_on(&mut e);
        for l in &out.lines {
            assert_eq!(l["status"], "ok", "setup line failed: {l}");
        }
        Fx { e, s }
    }
    pub fn a(&self, name: &str) -> Address {
        self.s
            .address(name)
            .unwrap_or_else(|| panic!("no name {name}"))
    }
    pub fn now(&self) -> Timestamp {
        self.e.now()
    }
    pub fn warp(&mut self, secs: u64) {
        let t = Timestamp(self.e.now().0 + secs);
        self.e.warp(t).unwrap();
    }
    pub fn tx(&mut self, from: &str, call: Call) -> Result<Returns, Revert> {
        let tx = Tx {
            from: self.a(from),
            at: self.e.now(),
            call,
        };
        let r = self.e.execute(tx).expect("time ok");
        let problems = laniakea_chain::invariants::check(self.e.state());
        assert!(problems.is_empty(), "invariants violated: {problems:?}");
        r.outcome
    }
    pub fn ctrl(&mut self, from: &str, c: ControllerCall) -> Result<Returns, Revert> {
        let to = self.a("gen_ctrl");
        self.tx(from, Call::Controller(to, c))
    }
    pub fn rl(&mut self, from: &str, c: RateLimitsCall) -> Result<Returns, Revert> {
        let to = self.a("gen_rl");
        self.tx(from, Call::RateLimits(to, c))
    }
    pub fn bal(&self, token: &str, who: &str) -> U256 {
        self.e.state().balance_of(self.a(token), self.a(who))
    }
    pub fn mint_key(&self) -> B256 {
        limit_id(names::USDS_MINT)
    }
    pub fn deposit_key(&self) -> B256 {
        address_key(limit_id(names::DEPOSIT_4626), self.a("susds"))
    }
    pub fn withdraw_key(&self) -> B256 {
        address_key(limit_id(names::WITHDRAW_4626), self.a("susds"))
    }
    pub fn transfer_key(&self, to: &str) -> B256 {
        address_pair_key(limit_id(names::ASSET_TRANSFER), self.a("usds"), self.a(to))
    }
    pub fn current(&self, key: B256) -> U256 {
        self.e
            .state()
            .current_rate_limit(self.a("gen_rl"), key)
            .unwrap()
    }
    pub fn set_limit(&mut self, key: B256, max: U256, slope: U256) {
        self.rl(
            "admin",
            RateLimitsCall::SetMaxSlope {
                key: Key(key),
                max_amount: Wad::from_raw(max),
                slope: Wad::from_raw(slope),
            },
        )
        .unwrap();
    }
    pub fn mint(&mut self, amount: U256) -> Result<Returns, Revert> {
        self.ctrl(
            "relayer",
            ControllerCall::MintUsds {
                amount: Wad::from_raw(amount),
            },
        )
    }
    pub fn deposit(&mut self, assets: U256, min_shares_out: U256) -> Result<Returns, Revert> {
        let vault = self.a("susds");
        self.ctrl(
            "relayer",
            ControllerCall::Deposit4626 {
                vault,
                assets: Wad::from_raw(assets),
                min_shares_out: Wad::from_raw(min_shares_out),
            },
        )
    }
    pub fn withdraw(&mut self, assets: U256, max_shares_in: U256) -> Result<Returns, Revert> {
        let vault = self.a("susds");
        self.ctrl(
            "relayer",
            ControllerCall::Withdraw4626 {
                vault,
                assets: Wad::from_raw(assets),
                max_shares_in: Wad::from_raw(max_shares_in),
            },
        )
    }
    pub fn redeem(&mut self, shares: U256, min_assets_out: U256) -> Result<Returns, Revert> {
        let vault = self.a("susds");
        self.ctrl(
            "relayer",
            ControllerCall::Redeem4626 {
                vault,
                shares: Wad::from_raw(shares),
                min_assets_out: Wad::from_raw(min_assets_out),
            },
        )
    }
}

pub fn code(r: Result<Returns, Revert>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

pub fn ret_wad(r: &Returns, name: &str) -> U256 {
    match r.get(name) {
        Some(Value::Wad(w)) => w.raw(),
        other => panic!("no wad {name}: {other:?}"),
    }
}
