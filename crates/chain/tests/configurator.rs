//! Configurator Unit (issue 11): SORL boundaries, the 30-day ramp against an independent closed
//! form, the authorisation matrix, bad input, events with old and new values, and two scopes
//! (Generator and Mainnet) deployed with `deploy_scope` over real PAUs.

#![allow(clippy::unwrap_used)]
mod common;

use alloy_primitives::{Address, B256};
use common::{code, setup_text, Fx};
use laniakea_chain::call::*;
use laniakea_chain::families::beam_state::{BeamStateCall, BeamStateDeploy, ControllerFunction};
use laniakea_chain::families::beam_timelock::{BeamTimeLockCall, TimelockOp};
use laniakea_chain::families::configurator::scope::{
    deploy_scope, PauAddresses, Scope, ScopeParams,
};
use laniakea_chain::families::configurator::{ConfiguratorCall, ControllerAction};
use laniakea_chain::rate_limits::{address_key, limit_id, names};
use laniakea_chain::{script, Engine, EventKind, Revert};
use laniakea_units::{Timestamp, Wad, U256, WAD};

const HOP: u64 = 18 * 3600;
const DELAY: u64 = 14 * 86_400;

/// A second and third PAU (Prime-style) next to the example's Generator PAU.
const EXTRA: &str = r#"
{"accounts": ["gov_gen", "gov_main", "gov_other", "prime_relayer", "prime_freezer"]}
{"from": "admin", "deploy": {"kind": "rate-limits"}, "as": "p1_rl"}
{"from": "admin", "deploy": {"kind": "alm-proxy"}, "as": "p1_proxy"}
{"from": "admin", "deploy": {"kind": "controller", "proxy": "@p1_proxy", "rate_limits": "@p1_rl", "ilk_vault": "@gen_vault"}, "as": "p1_ctrl"}
{"from": "admin", "to": "p1_rl", "fn": "grantRole", "args": {"role": "CONTROLLER", "account": "@p1_ctrl"}}
{"from": "admin", "to": "p1_proxy", "fn": "grantRole", "args": {"role": "CONTROLLER", "account": "@p1_ctrl"}}
{"from": "admin", "deploy": {"kind": "rate-limits"}, "as": "p2_rl"}
{"from": "admin", "deploy": {"kind": "alm-proxy"}, "as": "p2_proxy"}
{"from": "admin", "deploy": {"kind": "controller", "proxy": "@p2_proxy", "rate_limits": "@p2_rl", "ilk_vault": "@gen_vault"}, "as": "p2_ctrl"}
"#;

struct Cx {
    fx: Fx,
    gen: Scope,
    main: Scope,
}

fn pau(fx: &Fx, p: &str) -> PauAddresses {
    PauAddresses {
        proxy: fx.a(&format!("{p}_proxy")),
        controller: fx.a(&format!("{p}_ctrl")),
        rate_limits: fx.a(&format!("{p}_rl")),
    }
}

impl Cx {
    /// Generator scope over the example's PAU (`gen`), Mainnet scope over `p1` and `p2`;
    /// `gov_gen` accordant to `gen`, `gov_main` to `p1` and `p2`; no inits yet.
    fn new() -> Cx {
        let s = script::parse(&format!("{}\n{EXTRA}", setup_text())).unwrap();
        let mut e = Engine::new(s.genesis());
        for l in s.run_on(&mut e).lines {
            assert_eq!(l["status"], "ok", "setup line failed: {l}");
        }
        let fx = Fx { e, s };
        let (admin, g, p1, p2) = (
            fx.a("admin"),
            pau(&fx, "gen"),
            pau(&fx, "p1"),
            pau(&fx, "p2"),
        );
        let (gov_gen, gov_main) = (fx.a("gov_gen"), fx.a("gov_main"));
        let mut fx = fx;
        let gen = deploy_scope(
            &mut fx.e,
            admin,
            &[g],
            &ScopeParams {
                govops: vec![(g.proxy, gov_gen)],
                ..ScopeParams::default()
            },
        )
        .unwrap();
        let main = deploy_scope(
            &mut fx.e,
            admin,
            &[p1, p2],
            &ScopeParams {
                govops: vec![(p1.proxy, gov_main), (p2.proxy, gov_main)],
                ..ScopeParams::default()
            },
        )
        .unwrap();
        assert!(fx.e.invariant_violations().is_empty());
        Cx { fx, gen, main }
    }

    fn sc(&self, main: bool) -> Scope {
        if main {
            self.main
        } else {
            self.gen
        }
    }

    fn tx(&mut self, from: &str, call: Call) -> Result<Returns, Revert> {
        self.fx.tx(from, call)
    }

    /// Schedules `op` on the scope's timelock as admin.
    fn schedule(&mut self, main: bool, op: TimelockOp, salt: u8) -> Result<Returns, Revert> {
        let tl = self.sc(main).timelock;
        self.tx(
            "admin",
            Call::BeamTimeLock(
                tl,
                BeamTimeLockCall::Schedule {
                    operation: Box::new(op),
                    salt: B256::repeat_byte(salt),
                },
            ),
        )
    }

    fn execute(&mut self, main: bool, op: TimelockOp, salt: u8) -> Result<Returns, Revert> {
        let tl = self.sc(main).timelock;
        self.tx(
            "gov_other",
            Call::BeamTimeLock(
                tl,
                BeamTimeLockCall::Execute {
                    operation: Box::new(op),
                    salt: B256::repeat_byte(salt),
                },
            ),
        )
    }

    /// Schedule, wait the delay, execute.
    fn through_timelock(&mut self, main: bool, op: TimelockOp) {
        self.schedule(main, op.clone(), 0).unwrap();
        self.fx.warp(DELAY);
        self.execute(main, op, 0).unwrap();
    }

    fn init_op(
        &self,
        main: bool,
        key: B256,
        pau: Option<Address>,
        max: U256,
        slope: U256,
    ) -> TimelockOp {
        TimelockOp::AddRateLimitInit {
            state: self.sc(main).state,
            key: Key(key),
            pau,
            max_amount: Wad::from_raw(max),
            slope: Wad::from_raw(slope),
        }
    }

    fn set(
        &mut self,
        from: &str,
        main: bool,
        p: &str,
        key: B256,
        max: U256,
        slope: U256,
    ) -> Result<Returns, Revert> {
        let cfg = self.sc(main).configurator;
        let pau = self.fx.a(&format!("{p}_proxy"));
        self.tx(
            from,
            Call::Configurator(
                cfg,
                ConfiguratorCall::SetRateLimit {
                    pau,
                    key: Key(key),
                    max_amount: Wad::from_raw(max),
                    slope: Wad::from_raw(slope),
                },
            ),
        )
    }

    fn data(&self, p: &str, key: B256) -> laniakea_chain::state::RateLimitData {
        self.fx
            .e
            .state()
            .rate_limit_data(self.fx.a(&format!("{p}_rl")), key)
    }

    fn last_events(&self, n: usize) -> Vec<EventKind> {
        let log = self.fx.e.log();
        log[log.len() - n..]
            .iter()
            .map(|e| e.kind.clone())
            .collect()
    }
}

fn mint_key() -> B256 {
    limit_id(names::USDS_MINT)
}

fn w(x: u64) -> U256 {
    U256::from(x) * WAD
}

/// Generator scope, mint key with a scope-wide init of 1,000 / 1 per s, first set at the init.
fn with_first_set() -> Cx {
    let mut cx = Cx::new();
    let op = cx.init_op(false, mint_key(), None, w(1000), w(1));
    cx.through_timelock(false, op);
    cx.set("gov_gen", false, "gen", mint_key(), w(1000), w(1))
        .unwrap();
    cx
}

// ---- SORL boundaries ------------------------------------------------------------------------

#[test]
fn raise_of_exactly_max_change_exactly_hop_after_the_last_raise_passes() {
    let mut cx = with_first_set();
    cx.fx.warp(HOP);
    assert_eq!(
        code(cx.set(
            "gov_gen",
            false,
            "gen",
            mint_key(),
            w(1250),
            w(1) * U256::from(5) / U256::from(4)
        )),
        "ok"
    );
    let d = cx.data("gen", mint_key());
    assert_eq!(d.max_amount.raw(), w(1250));
    assert_eq!(d.slope.raw(), w(1) * U256::from(5) / U256::from(4));
}

#[test]
fn raise_one_wei_above_max_change_fails_naming_the_bound() {
    let mut cx = with_first_set();
    cx.fx.warp(HOP);
    let r = cx.set(
        "gov_gen",
        false,
        "gen",
        mint_key(),
        w(1250) + U256::from(1),
        w(1),
    );
    assert_eq!(code(r), "Configurator/sorl-max-amount-exceeded");
    let r = cx.set(
        "gov_gen",
        false,
        "gen",
        mint_key(),
        w(1000),
        w(1) * U256::from(5) / U256::from(4) + U256::from(1),
    );
    assert_eq!(code(r), "Configurator/sorl-slope-exceeded");
    assert_eq!(
        cx.data("gen", mint_key()).max_amount.raw(),
        w(1000),
        "nothing changed"
    );
}

#[test]
fn raise_one_second_before_hop_fails_too_early() {
    let mut cx = with_first_set();
    let first = cx.fx.now();
    cx.fx.warp(HOP - 1);
    match cx.set("gov_gen", false, "gen", mint_key(), w(1001), w(1)) {
        Err(Revert::Configurator(
            laniakea_chain::families::configurator::ConfiguratorRevert::SorlTooEarly {
                last_raise,
                earliest,
                ..
            },
        )) => {
            assert_eq!(last_raise, first);
            assert_eq!(earliest, Timestamp(first.0 + HOP));
        }
        other => panic!("expected sorl-too-early, got {other:?}"),
    }
    cx.fx.warp(1);
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(1001), w(1))),
        "ok"
    );
}

#[test]
fn lowering_is_never_blocked() {
    let mut cx = with_first_set();
    // Right after the first set, again in the same second, down to zero.
    for (max, slope) in [(900u64, 1u64), (800, 0), (1, 0), (0, 0)] {
        assert_eq!(
            code(cx.set("gov_gen", false, "gen", mint_key(), w(max), w(slope))),
            "ok"
        );
        assert_eq!(cx.data("gen", mint_key()).max_amount.raw(), w(max));
    }
}

#[test]
fn lowering_keeps_the_used_amount_and_never_refills() {
    let mut cx = with_first_set();
    cx.fx.mint(w(600)).unwrap();
    cx.set("gov_gen", false, "gen", mint_key(), w(900), U256::ZERO)
        .unwrap();
    assert_eq!(
        cx.fx.current(mint_key()),
        w(400),
        "current kept, not refilled to 900"
    );
    cx.set("gov_gen", false, "gen", mint_key(), w(100), U256::ZERO)
        .unwrap();
    assert_eq!(cx.fx.current(mint_key()), w(100), "capped by the new max");
}

#[test]
fn raise_after_a_lowering_is_measured_from_the_last_raise() {
    let mut cx = with_first_set();
    let first = cx.fx.now();
    cx.fx.warp(HOP / 2);
    cx.set("gov_gen", false, "gen", mint_key(), w(800), w(1))
        .unwrap();
    // hop after the lowering would be later; hop after the last raise (the first set) is what counts
    cx.fx.warp(HOP / 2 - 1);
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(900), w(1))),
        "Configurator/sorl-too-early"
    );
    cx.fx.warp(1);
    assert_eq!(cx.fx.now().0, first.0 + HOP);
    // the bound is relative to the current (lowered) value: 800 × 1.25 = 1000
    assert_eq!(
        code(cx.set(
            "gov_gen",
            false,
            "gen",
            mint_key(),
            w(1000) + U256::from(1),
            w(1)
        )),
        "Configurator/sorl-max-amount-exceeded"
    );
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(1000), w(1))),
        "ok"
    );
}

#[test]
fn first_set_is_bounded_by_the_init() {
    let mut cx = Cx::new();
    let op = cx.init_op(false, mint_key(), None, w(1000), w(1));
    cx.through_timelock(false, op);
    assert_eq!(
        code(cx.set(
            "gov_gen",
            false,
            "gen",
            mint_key(),
            w(1000) + U256::from(1),
            w(1)
        )),
        "Configurator/above-init"
    );
    assert_eq!(
        code(cx.set(
            "gov_gen",
            false,
            "gen",
            mint_key(),
            w(1000),
            w(1) + U256::from(1)
        )),
        "Configurator/above-init"
    );
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(500), w(1))),
        "ok"
    );
    assert_eq!(cx.fx.current(mint_key()), w(500), "a first set is full");
}

#[test]
fn remove_and_re_set_is_no_shortcut_around_hop() {
    let mut cx = with_first_set();
    let cfg = cx.gen.configurator;
    let pau = cx.fx.a("gen_proxy");
    cx.set("gov_gen", false, "gen", mint_key(), w(10), w(0))
        .unwrap();
    cx.tx(
        "gov_gen",
        Call::Configurator(
            cfg,
            ConfiguratorCall::RemoveRateLimit {
                pau,
                key: Key(mint_key()),
            },
        ),
    )
    .unwrap();
    assert_eq!(
        code(cx.fx.mint(U256::from(1))),
        "RateLimits/zero-maxAmount",
        "removed = closed"
    );
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(1000), w(1))),
        "Configurator/sorl-too-early"
    );
    cx.fx.warp(HOP);
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(1000), w(1))),
        "ok"
    );
}

// ---- the 30-day ramp ------------------------------------------------------------------------

/// Raises maxAmount and slope by the maximum at every hop for 30 days; every step equals the
/// closed form `x_{k+1} = ⌊x_k · 5 / 4⌋` (25%, floor per step), computed here in u128.
#[test]
fn thirty_day_ramp_matches_the_closed_form_floor_per_step() {
    let mut cx = Cx::new();
    let (m0, s0): (u128, u128) = (1_000_000_000_000_000_003, 11_574_074_074_074); // odd values so the floor bites
    let op = cx.init_op(false, mint_key(), None, U256::from(m0), U256::from(s0));
    cx.through_timelock(false, op);
    cx.set(
        "gov_gen",
        false,
        "gen",
        mint_key(),
        U256::from(m0),
        U256::from(s0),
    )
    .unwrap();
    let (mut m, mut s) = (m0, s0);
    let steps = 30 * 86_400 / HOP;
    assert_eq!(steps, 40);
    for step in 1..=steps {
        cx.fx.warp(HOP);
        m = m * 5 / 4;
        s = s * 5 / 4;
        let over = cx.set(
            "gov_gen",
            false,
            "gen",
            mint_key(),
            U256::from(m + 1),
            U256::from(s),
        );
        assert_eq!(
            code(over),
            "Configurator/sorl-max-amount-exceeded",
            "step {step}"
        );
        let r = cx.set(
            "gov_gen",
            false,
            "gen",
            mint_key(),
            U256::from(m),
            U256::from(s),
        );
        assert_eq!(code(r), "ok", "step {step}");
        let d = cx.data("gen", mint_key());
        assert_eq!(
            (d.max_amount.raw(), d.slope.raw()),
            (U256::from(m), U256::from(s)),
            "step {step}"
        );
    }
    // the floor per step bites: strictly below ⌊m0 · 5^40 / 4^40⌋ (one exact division)
    let exact = U256::from(m0) * U256::from(5u8).pow(U256::from(40u8))
        / U256::from(4u8).pow(U256::from(40u8));
    assert!(U256::from(m) < exact);
}

// ---- authorisation matrix -------------------------------------------------------------------

#[test]
fn non_accordant_govops_is_refused() {
    let mut cx = with_first_set();
    assert_eq!(
        code(cx.set("gov_other", false, "gen", mint_key(), w(1), w(0))),
        "Configurator/not-accordant"
    );
    assert_eq!(
        code(cx.set("gov_main", false, "gen", mint_key(), w(1), w(0))),
        "Configurator/not-accordant"
    );
}

#[test]
fn govops_of_one_scope_has_no_power_in_the_other() {
    let mut cx = Cx::new();
    let op = cx.init_op(true, mint_key(), None, w(1000), w(1));
    cx.through_timelock(true, op);
    assert_eq!(
        code(cx.set("gov_main", true, "p1", mint_key(), w(10), w(0))),
        "ok"
    );
    // gov_gen through the Mainnet configurator: not accordant there
    assert_eq!(
        code(cx.set("gov_gen", true, "p1", mint_key(), w(10), w(0))),
        "Configurator/not-accordant"
    );
    // the Generator PAU through the Mainnet configurator: wrong scope
    assert_eq!(
        code(cx.set("gov_gen", true, "gen", mint_key(), w(10), w(0))),
        "Configurator/pau-not-in-scope"
    );
    // the Prime PAU through the Generator configurator: wrong scope
    assert_eq!(
        code(cx.set("gov_main", false, "p1", mint_key(), w(10), w(0))),
        "Configurator/pau-not-in-scope"
    );
    // a PAU cannot be registered in two scopes
    let p1 = pau(&cx.fx, "p1");
    let op = TimelockOp::RegisterPau {
        state: cx.gen.state,
        pau: p1.proxy,
        controller: p1.controller,
        rate_limits: p1.rate_limits,
    };
    cx.schedule(false, op.clone(), 0).unwrap();
    cx.fx.warp(DELAY);
    assert_eq!(
        code(cx.execute(false, op, 0)),
        "BEAMState/managed-elsewhere"
    );
}

#[test]
fn missing_init_and_another_paus_restricted_init_are_refused_distinctly() {
    let mut cx = Cx::new();
    assert_eq!(
        code(cx.set("gov_main", true, "p1", mint_key(), w(1), w(0))),
        "Configurator/no-init"
    );
    let p1 = cx.fx.a("p1_proxy");
    let op = cx.init_op(true, mint_key(), Some(p1), w(1000), w(1));
    cx.through_timelock(true, op);
    assert_eq!(
        code(cx.set("gov_main", true, "p2", mint_key(), w(1), w(0))),
        "Configurator/init-for-other-pau"
    );
    assert_eq!(
        code(cx.set("gov_main", true, "p1", mint_key(), w(1), w(0))),
        "ok"
    );
}

#[test]
fn an_addition_executed_before_the_delay_is_refused_and_passes_exactly_at_it() {
    let mut cx = Cx::new();
    let op = cx.init_op(false, mint_key(), None, w(1000), w(1));
    cx.schedule(false, op.clone(), 0).unwrap();
    cx.fx.warp(DELAY - 1);
    assert_eq!(
        code(cx.execute(false, op.clone(), 0)),
        "BEAMTimeLock/operation-not-ready"
    );
    cx.fx.warp(1);
    assert_eq!(code(cx.execute(false, op.clone(), 0)), "ok");
    assert_eq!(
        code(cx.execute(false, op, 0)),
        "BEAMTimeLock/unknown-operation",
        "runs once"
    );
}

#[test]
fn additions_directly_on_the_state_after_bootstrap_are_refused() {
    let mut cx = Cx::new();
    let op = cx.init_op(false, mint_key(), None, w(1000), w(1));
    let st = cx.gen.state;
    assert_eq!(
        code(cx.tx(
            "admin",
            Call::BeamState(
                st,
                BeamStateCall::Bootstrap {
                    operation: Box::new(op)
                }
            )
        )),
        "BEAMState/only-timelock"
    );
}

#[test]
fn execution_while_paused_is_refused_and_pause_is_instant() {
    let mut cx = Cx::new();
    let op = cx.init_op(false, mint_key(), None, w(1000), w(1));
    cx.schedule(false, op.clone(), 0).unwrap();
    cx.fx.warp(DELAY);
    let tl = cx.gen.timelock;
    assert_eq!(
        code(cx.tx("gov_gen", Call::BeamTimeLock(tl, BeamTimeLockCall::Pause))),
        "AccessControl/unauthorized-account"
    );
    cx.tx("admin", Call::BeamTimeLock(tl, BeamTimeLockCall::Pause))
        .unwrap();
    assert_eq!(
        code(cx.execute(false, op.clone(), 0)),
        "BEAMTimeLock/paused"
    );
    assert_eq!(
        code(cx.schedule(false, op.clone(), 1)),
        "BEAMTimeLock/paused"
    );
    cx.tx("admin", Call::BeamTimeLock(tl, BeamTimeLockCall::Unpause))
        .unwrap();
    assert_eq!(code(cx.execute(false, op, 0)), "ok");
}

#[test]
fn role_or_limit_changes_directly_on_a_managed_pau_are_refused_for_everyone_but_its_configurator() {
    let mut cx = with_first_set();
    let rl = cx.fx.a("gen_rl");
    let ctrl = cx.fx.a("gen_ctrl");
    let proxy = cx.fx.a("gen_proxy");
    let someone = cx.fx.a("alice");
    let grant = AccessCall::GrantRole {
        role: Role(B256::ZERO),
        account: someone,
    };
    // the deployer still holds ADMIN on them, and is refused all the same
    assert!(cx.fx.e.state().has_role(rl, B256::ZERO, cx.fx.a("admin")));
    for (from, call) in [
        (
            "admin",
            Call::RateLimits(rl, RateLimitsCall::Access(grant.clone())),
        ),
        (
            "admin",
            Call::RateLimits(
                rl,
                RateLimitsCall::SetMaxSlope {
                    key: Key(mint_key()),
                    max_amount: Wad::from_raw(w(5)),
                    slope: Wad::from_raw(U256::ZERO),
                },
            ),
        ),
        (
            "admin",
            Call::RateLimits(
                rl,
                RateLimitsCall::SetUnlimited {
                    key: Key(mint_key()),
                },
            ),
        ),
        (
            "gov_gen",
            Call::RateLimits(rl, RateLimitsCall::Access(grant.clone())),
        ),
        (
            "admin",
            Call::Controller(
                ctrl,
                ControllerCall::Access(AccessCall::GrantRole {
                    role: Role(laniakea_chain::roles::relayer_role()),
                    account: someone,
                }),
            ),
        ),
        (
            "admin",
            Call::AlmProxy(
                proxy,
                AccessCall::RevokeRole {
                    role: Role(laniakea_chain::roles::controller_role()),
                    account: ctrl,
                },
            ),
        ),
        (
            "admin",
            Call::Controller(
                ctrl,
                ControllerCall::SetMaxExchangeRate {
                    vault: someone,
                    shares: Wad::from_raw(WAD),
                    max_expected_assets: Wad::from_raw(WAD),
                },
            ),
        ),
    ] {
        assert_eq!(code(cx.tx(from, call)), "Configurator/managed-contract");
    }
    assert_eq!(cx.data("gen", mint_key()).max_amount.raw(), w(1000));
}

#[test]
fn removals_and_revocations_take_effect_in_the_same_transaction() {
    let mut cx = with_first_set();
    let st = cx.gen.state;
    let (pau, gov) = (cx.fx.a("gen_proxy"), cx.fx.a("gov_gen"));
    // init deletion: the next first set of another key has no init; an existing limit stays
    cx.tx(
        "admin",
        Call::BeamState(
            st,
            BeamStateCall::RemoveInit {
                key: Key(mint_key()),
                pau: None,
            },
        ),
    )
    .unwrap();
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(10), w(0))),
        "Configurator/no-init"
    );
    // cBEAM revocation
    let op = cx.init_op(false, mint_key(), None, w(1000), w(1));
    cx.schedule(false, op.clone(), 0).unwrap_err(); // the executed one keeps its id
    cx.schedule(false, op.clone(), 2).unwrap();
    cx.fx.warp(DELAY);
    cx.execute(false, op, 2).unwrap();
    cx.tx(
        "admin",
        Call::BeamState(st, BeamStateCall::RevokeCbeam { pau, govops: gov }),
    )
    .unwrap();
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(10), w(0))),
        "Configurator/not-accordant"
    );
    // unregistering: out of scope at once, and the contracts are no longer managed
    cx.tx(
        "admin",
        Call::BeamState(st, BeamStateCall::UnregisterPau { pau }),
    )
    .unwrap();
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(10), w(0))),
        "Configurator/pau-not-in-scope"
    );
    cx.fx.set_limit(mint_key(), w(7), U256::ZERO);
    // removals are aBEAM's only
    assert_eq!(
        code(cx.tx(
            "gov_gen",
            Call::BeamState(st, BeamStateCall::UnregisterPau { pau })
        )),
        "AccessControl/unauthorized-account"
    );
}

#[test]
fn relayer_and_freezer_are_set_by_the_configurator() {
    let mut cx = with_first_set();
    let cfg = cx.gen.configurator;
    let pau = cx.fx.a("gen_proxy");
    let relayer = cx.fx.a("relayer");
    cx.tx(
        "gov_gen",
        Call::Configurator(
            cfg,
            ConfiguratorCall::SetRelayer {
                pau,
                relayer,
                enabled: false,
            },
        ),
    )
    .unwrap();
    assert_eq!(code(cx.fx.mint(w(1))), "AccessControl/unauthorized-account");
    match &cx.last_events(1)[0] {
        EventKind::Configurator(e) => {
            let j = serde_json::to_value(e).unwrap();
            assert_eq!(
                (j["old_enabled"].as_bool(), j["new_enabled"].as_bool()),
                (Some(true), Some(false))
            );
        }
        other => panic!("{other:?}"),
    }
    cx.tx(
        "gov_gen",
        Call::Configurator(
            cfg,
            ConfiguratorCall::SetRelayer {
                pau,
                relayer,
                enabled: true,
            },
        ),
    )
    .unwrap();
    assert_eq!(code(cx.fx.mint(w(1))), "ok");
    let freezer = cx.fx.a("freezer");
    cx.tx(
        "gov_gen",
        Call::Configurator(
            cfg,
            ConfiguratorCall::SetFreezer {
                pau,
                freezer,
                enabled: false,
            },
        ),
    )
    .unwrap();
    let ctrl = cx.fx.a("gen_ctrl");
    assert_eq!(
        code(cx.tx(
            "freezer",
            Call::Controller(ctrl, ControllerCall::RemoveRelayer { relayer })
        )),
        "AccessControl/unauthorized-account"
    );
}

#[test]
fn controller_actions_need_an_approval() {
    let mut cx = Cx::new();
    let cfg = cx.gen.configurator;
    let pau = cx.fx.a("gen_proxy");
    let vault = cx.fx.a("susds");
    let action = ControllerAction::SetMaxExchangeRate {
        vault,
        shares: Wad::from_raw(WAD),
        max_expected_assets: Wad::from_raw(w(2)),
    };
    let call = Call::Configurator(cfg, ConfiguratorCall::CallControllerAction { pau, action });
    assert_eq!(
        code(cx.tx("gov_gen", call.clone())),
        "Configurator/action-not-approved"
    );
    let op = TimelockOp::AddControllerAction {
        state: cx.gen.state,
        pau: Some(pau),
        function: ControllerFunction::SetMaxExchangeRate,
        target: vault,
    };
    cx.through_timelock(false, op);
    assert_eq!(code(cx.tx("gov_gen", call)), "ok");
    let j = serde_json::to_value(&cx.last_events(1)[0]).unwrap();
    assert_eq!(j["event"], "ControllerActionCalled");
    assert_eq!(j["old_max_exchange_rate_e36"], "1.1");
    assert_eq!(j["new_max_exchange_rate_e36"], "2");
}

// ---- bad input ------------------------------------------------------------------------------

#[test]
fn bad_input_is_refused_with_stable_codes_and_changes_nothing() {
    let mut cx = Cx::new();
    let st = cx.gen.state;
    let before = cx.fx.e.digest();
    let tx_before = cx.fx.e.tx_count();
    let cases = [
        (
            TimelockOp::SetHop {
                state: st,
                hop_s: 0,
            },
            "BEAMState/zero-hop",
        ),
        (
            TimelockOp::SetMaxChange {
                state: st,
                max_change_bps: 10_001,
                allow_above_100_pct: false,
            },
            "BEAMState/max-change-above-100pct",
        ),
        (
            cx.init_op(false, mint_key(), None, w(1), w(86_400) + U256::from(1)),
            "BEAMState/nonsense-init-slope",
        ),
        (
            cx.init_op(false, mint_key(), None, U256::ZERO, U256::ZERO),
            "BEAMState/zero-init",
        ),
        (
            TimelockOp::SetDelay { delay_s: 0 },
            "BEAMTimeLock/zero-delay",
        ),
    ];
    for (op, want) in cases {
        assert_eq!(code(cx.schedule(false, op, 0)), want);
    }
    // nothing but the nonces and the tx count moved: same digest as an engine that only counted
    assert_eq!(cx.fx.e.tx_count(), tx_before + 5);
    assert_ne!(
        cx.fx.e.digest(),
        before,
        "tx count and nonces are in the digest"
    );
    let tl = cx.gen.timelock;
    let queue = cx
        .fx
        .e
        .view(
            tl,
            &Query::BeamTimeLock(laniakea_chain::families::beam_timelock::BeamTimeLockView::Queue),
        )
        .unwrap();
    assert_eq!(
        serde_json::to_value(&queue).unwrap()["operations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // the boundary values pass
    assert_eq!(
        code(cx.schedule(
            false,
            cx.init_op(false, mint_key(), None, w(1), w(86_400)),
            0
        )),
        "ok"
    );
    assert_eq!(
        code(cx.schedule(
            false,
            TimelockOp::SetMaxChange {
                state: st,
                max_change_bps: 10_000,
                allow_above_100_pct: false
            },
            0
        )),
        "ok"
    );
    assert_eq!(
        code(cx.schedule(
            false,
            TimelockOp::SetMaxChange {
                state: st,
                max_change_bps: 20_000,
                allow_above_100_pct: true
            },
            0
        )),
        "ok"
    );
    // the same operation twice
    assert_eq!(
        code(cx.schedule(
            false,
            TimelockOp::SetHop {
                state: st,
                hop_s: 3600
            },
            0
        )),
        "ok"
    );
    assert_eq!(
        code(cx.schedule(
            false,
            TimelockOp::SetHop {
                state: st,
                hop_s: 3600
            },
            0
        )),
        "BEAMTimeLock/operation-already-scheduled"
    );
    assert_eq!(
        code(cx.schedule(
            false,
            TimelockOp::SetHop {
                state: st,
                hop_s: 3600
            },
            1
        )),
        "ok",
        "another salt is another operation"
    );
    // deploy-time checks
    let tl2 = cx.gen.timelock;
    for (d, want) in [
        (
            BeamStateDeploy {
                timelock: tl2,
                hop_s: 0,
                max_change_bps: 2500,
                allow_above_100_pct: false,
            },
            "BEAMState/zero-hop",
        ),
        (
            BeamStateDeploy {
                timelock: tl2,
                hop_s: 1,
                max_change_bps: 10_001,
                allow_above_100_pct: false,
            },
            "BEAMState/max-change-above-100pct",
        ),
    ] {
        assert_eq!(
            code(cx.tx("admin", Call::Deploy(Deploy::BeamState(d)))),
            want
        );
    }
}

#[test]
fn parameter_changes_go_through_the_timelock_with_old_and_new_values() {
    let mut cx = with_first_set();
    let st = cx.gen.state;
    cx.through_timelock(
        false,
        TimelockOp::SetHop {
            state: st,
            hop_s: 3600,
        },
    );
    let ev = serde_json::to_value(&cx.last_events(2)[0]).unwrap();
    assert_eq!(
        (
            ev["event"].as_str(),
            ev["old_hop_s"].as_u64(),
            ev["new_hop_s"].as_u64()
        ),
        (Some("HopSet"), Some(HOP), Some(3600))
    );
    cx.through_timelock(
        false,
        TimelockOp::SetMaxChange {
            state: st,
            max_change_bps: 5000,
            allow_above_100_pct: false,
        },
    );
    // raise by 50% an hour after... the delays above already passed more than an hour
    assert_eq!(
        code(cx.set("gov_gen", false, "gen", mint_key(), w(1500), w(1))),
        "ok"
    );
    let ev = serde_json::to_value(&cx.last_events(2)[1]).unwrap();
    assert_eq!(ev["event"], "RateLimitConfigured");
    assert_eq!(ev["change"], "raise");
    assert_eq!(ev["old_max_amount_wad"], "1000");
    assert_eq!(ev["new_max_amount_wad"], "1500");
    cx.through_timelock(false, TimelockOp::SetDelay { delay_s: 86_400 });
    let ev = serde_json::to_value(&cx.last_events(2)[0]).unwrap();
    assert_eq!(
        (ev["old_delay_s"].as_u64(), ev["new_delay_s"].as_u64()),
        (Some(DELAY), Some(86_400))
    );
}

#[test]
fn the_listing_view_shows_headroom_init_last_raise_and_next_raise() {
    let mut cx = with_first_set();
    let first = cx.fx.now();
    cx.fx.mint(w(300)).unwrap();
    let cfg = cx.gen.configurator;
    let pau = cx.fx.a("gen_proxy");
    let a = cx
        .fx
        .e
        .view(
            cfg,
            &Query::Configurator(
                laniakea_chain::families::configurator::ConfiguratorView::RateLimits { pau },
            ),
        )
        .unwrap();
    let j = serde_json::to_value(&a).unwrap();
    let l = j["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == mint_key().to_string())
        .unwrap()
        .clone();
    assert_eq!(l["headroom_wad"], "700");
    assert_eq!(l["init"]["max_amount_wad"], "1000");
    assert_eq!(l["last_raise"].as_u64(), Some(first.0));
    assert_eq!(l["earliest_next_raise"].as_u64(), Some(first.0 + HOP));
    // keys set before registration are listed too (no init, no raise yet)
    let dep = address_key(limit_id(names::DEPOSIT_4626), cx.fx.a("susds"));
    assert!(j["limits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["key"] == dep.to_string() && l["init"].is_null()));
}

#[test]
fn digest_covers_the_configurator_unit_and_is_deterministic() {
    let mut a = with_first_set();
    let mut b = with_first_set();
    assert_eq!(
        a.fx.e.digest(),
        b.fx.e.digest(),
        "same transactions, same digest"
    );
    let (st, pau, gov, other) = (
        a.gen.state,
        a.fx.a("gen_proxy"),
        a.fx.a("gov_gen"),
        a.fx.a("gov_other"),
    );
    // same sender, same tx count, same nonces: the only difference is one cBEAM entry
    a.tx(
        "admin",
        Call::BeamState(st, BeamStateCall::RevokeCbeam { pau, govops: gov }),
    )
    .unwrap();
    let r = b.tx(
        "admin",
        Call::BeamState(st, BeamStateCall::RevokeCbeam { pau, govops: other }),
    );
    assert_eq!(code(r), "BEAMState/no-such-entry");
    assert_ne!(
        a.fx.e.digest(),
        b.fx.e.digest(),
        "the accordant GovOps are in the digest"
    );
}

mod adversarial {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Whatever a GovOps tries, in whatever order and timing: every accepted change that
        /// raises a value comes ≥ hop after the previous raise and within ⌊old·1.25⌋; a refused
        /// one changes nothing; a lowering is never refused.
        #[test]
        fn no_sequence_of_calls_beats_sorl(
            calls in proptest::collection::vec((0u64..2 * HOP, 0u64..3000, 0u64..3), 1..40)
        ) {
            let mut cx = with_first_set();
            let mut last_raise = cx.fx.now();
            for (dt, max_units, slope_units) in calls {
                cx.fx.warp(dt);
                let old = cx.data("gen", mint_key());
                let (max, slope) = (w(max_units), w(slope_units));
                let raises = max > old.max_amount.raw() || slope > old.slope.raw();
                let r = cx.set("gov_gen", false, "gen", mint_key(), max, slope);
                let new = cx.data("gen", mint_key());
                match r {
                    Ok(_) => {
                        prop_assert_eq!((new.max_amount.raw(), new.slope.raw()), (max, slope));
                        if raises {
                            prop_assert!(cx.fx.now().0 >= last_raise.0 + HOP);
                            prop_assert!(max <= old.max_amount.raw() * U256::from(5u8) / U256::from(4u8));
                            prop_assert!(slope <= old.slope.raw() * U256::from(5u8) / U256::from(4u8));
                            last_raise = cx.fx.now();
                        }
                    }
                    Err(e) => {
                        prop_assert!(raises, "a lowering was refused: {}", e.code());
                        prop_assert_eq!(new, old);
                    }
                }
            }
        }
    }
}

/// Regression: the Configurator Unit's events once grew every log entry from 200 to 264 bytes
/// (the event enum is as large as its largest variant); large payloads are boxed.
#[test]
fn configurator_events_do_not_grow_the_log_entry() {
    use laniakea_chain::families::{beam_state, beam_timelock, configurator, rate_limits};
    let limit = std::mem::size_of::<rate_limits::RateLimitsEvent>();
    assert!(std::mem::size_of::<beam_timelock::BeamTimeLockEvent>() <= limit);
    assert!(std::mem::size_of::<beam_state::BeamStateEvent>() <= limit);
    assert!(std::mem::size_of::<configurator::ConfiguratorEvent>() <= limit);
}

/// An approved executor is an addition like any other: `approveExecutor` through the timelock
/// (refused before the delay, and for a PAU the scope does not hold); once executed, the executor
/// — and only it, and only for that key and PAU — has the Configurator write the limit outside
/// SORL, reported with old and new values; revocation is instant.
#[test]
fn an_executor_is_approved_through_the_timelock_for_one_key_and_revoked_instantly() {
    let mut cx = Cx::new();
    let (p1, p2, bot) = (
        cx.fx.a("p1_proxy"),
        cx.fx.a("p2_proxy"),
        cx.fx.a("gov_other"),
    );
    let state = cx.main.state;
    let approve = |pau| TimelockOp::ApproveExecutor {
        state,
        pau,
        key: Key(mint_key()),
        executor: bot,
    };
    let cfg = cx.main.configurator;
    let write = |pau, key, max: u64| {
        Call::Configurator(
            cfg,
            ConfiguratorCall::ExecutorSetRateLimitData {
                pau,
                key: Key(key),
                max_amount: Wad::from_raw(w(max)),
                slope: Wad::ZERO,
                last_amount: Wad::from_raw(w(max)),
                last_updated: Timestamp(0),
            },
        )
    };
    assert_eq!(
        code(cx.tx("gov_other", write(p1, mint_key(), 7))),
        "Configurator/executor-not-approved"
    );
    cx.schedule(true, approve(p1), 0).unwrap();
    cx.fx.warp(DELAY - 1);
    assert_eq!(
        code(cx.execute(true, approve(p1), 0)),
        "BEAMTimeLock/operation-not-ready"
    );
    cx.fx.warp(1);
    cx.execute(true, approve(p1), 0).unwrap();
    // a PAU outside the scope cannot get an executor
    let gen_proxy = cx.fx.a("gen_proxy");
    cx.schedule(true, approve(gen_proxy), 1).unwrap();
    cx.fx.warp(DELAY);
    assert_eq!(
        code(cx.execute(true, approve(gen_proxy), 1)),
        "BEAMState/pau-not-registered"
    );
    // approved: p1's mint key, no init and no SORL needed (×7 000 000 in one step)
    cx.tx("gov_other", write(p1, mint_key(), 7)).unwrap();
    cx.tx("gov_other", write(p1, mint_key(), 7_000_000))
        .unwrap();
    assert_eq!(cx.data("p1", mint_key()).max_amount.raw(), w(7_000_000));
    match &cx.last_events(2)[..] {
        [EventKind::RateLimits(_), EventKind::Configurator(e)] => {
            let j = serde_json::to_value(e).unwrap();
            assert_eq!(j["event"], "RateLimitSetByExecutor");
            assert_eq!(j["change"], "raise");
            assert_eq!(j["old_max_amount_wad"], "7");
            assert_eq!(j["new_max_amount_wad"], "7000000");
            assert_eq!(j["executor"], serde_json::json!(bot));
        }
        other => panic!("{other:?}"),
    }
    // not for another key, another PAU, or another caller
    let transfer = address_key(limit_id(names::ASSET_TRANSFER), p1);
    for (from, pau, key) in [
        ("gov_other", p1, transfer),
        ("gov_other", p2, mint_key()),
        ("gov_main", p1, mint_key()),
        ("admin", p1, mint_key()),
    ] {
        assert_eq!(
            code(cx.tx(from, write(pau, key, 1))),
            "Configurator/executor-not-approved",
            "{from}"
        );
    }
    // revocation by the state's admin: instant, and only the admin may
    let revoke = Call::BeamState(
        state,
        BeamStateCall::RevokeExecutor {
            pau: p1,
            key: Key(mint_key()),
            executor: bot,
        },
    );
    assert_eq!(
        code(cx.tx("gov_main", revoke.clone())),
        "AccessControl/unauthorized-account"
    );
    cx.tx("admin", revoke.clone()).unwrap();
    assert_eq!(
        code(cx.tx("gov_other", write(p1, mint_key(), 1))),
        "Configurator/executor-not-approved"
    );
    assert_eq!(code(cx.tx("admin", revoke)), "BEAMState/no-such-entry");
}
