//! The relayer-compromise scenario on the real engine: a PAU built by the system builder, one
//! rate-limited key (a Prime's `LIMIT_VAULT_DRAW⊕vault`), a compromised relayer draining it by a
//! given pattern until the freezer removes it, and the exact bound the loss must stay within.
//!
//! Contract: [`run`] builds a fresh system (Mainnet Configurator scope on, so a compromised
//! executor holding the cBEAM can raise under SORL), sets the key's state at the compromise
//! (`headroom₀` by an honest draw), lets the attacker act, freezes (FREEZER `removeRelayer`, and
//! the aBEAM revokes the cBEAM when the attacker held it) and reports the loss (the Prime proxy's
//! USDS gained) beside [`crate::calibrate::worst_loss`]'s bound. Everything is a transaction on
//! the engine; the SPEC §8 invariants are checked after every one. A bad setup is an
//! [`AttackError`] naming the field; the engine never panics on attacker input.

use crate::calibrate::{worst_loss, CalibrateError, KeyState, Raises};
use alloy_primitives::{B256, U256};
use laniakea_chain::call::{Call, ControllerCall, Key, Tx};
use laniakea_chain::families::beam_state::BeamStateCall;
use laniakea_chain::families::configurator::ConfiguratorCall;
use laniakea_chain::families::rate_limits::{RateLimitsAnswer, RateLimitsView};
use laniakea_chain::families::token::{TokenAnswer, TokenView};
use laniakea_chain::rate_limits::{address_key, limit_id, names};
use laniakea_chain::system::{build, Limit, PrimeConfig, ScopesConfig, System, SystemConfig};
use laniakea_chain::{Answer, Engine, Query};
use laniakea_units::{Rad, Timestamp, Wad, RAD, WAD};

/// The engine's genesis for these runs (2026-01-01 00:00 UTC).
pub const GENESIS: Timestamp = Timestamp(1_767_225_600);
/// The largest bound a run accepts (the Generator's line must cover it): 10^14 USDS.
pub fn max_funds() -> U256 {
    U256::from(10u64).pow(U256::from(14u8)) * WAD
}

/// The key's state and the attacker's powers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    pub max_amount: U256,
    /// per second
    pub slope: U256,
    /// `getCurrentRateLimit` at the compromise (≤ maxAmount)
    pub headroom0: U256,
    /// seconds from the compromise to the freeze
    pub freeze_s: u64,
    /// the attacker also holds the cBEAM and raises under SORL whenever allowed
    pub raises: bool,
    pub hop_s: u64,
    pub max_change_bps: u64,
}

/// How the attacker drains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// The fastest the engine allows: a full drain whenever the limit could have refilled to
    /// its max (every `⌊max/slope⌋` s, at least every second), at every raise instant and at
    /// the freeze instant, raising at every allowed instant.
    Greedy,
    /// Drains at these offsets (seconds after the compromise, ≤ freeze), each of this share of
    /// the current limit [bps, ≤ 10000]; raises (if allowed at all) at these offsets, each
    /// asking for this share of the SORL bound's increase [bps].
    Random {
        drains: Vec<(u64, u16)>,
        raises: Vec<(u64, u16)>,
    },
}

/// What one attack did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// USDS the compromised relayer moved out [wei]
    pub loss: U256,
    /// `worst_loss` for this setup [wei]
    pub bound: U256,
    /// successful draws
    pub draws: u64,
    /// successful raises
    pub raises: u64,
    /// the engine's state digest at the end
    pub digest: B256,
    /// a draw after the freeze was refused
    pub frozen: bool,
}

/// Why a run could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttackError {
    #[error("attack setup: `{field}` {rule}")]
    Setup { field: &'static str, rule: String },
    #[error(transparent)]
    Bound(#[from] CalibrateError),
    #[error("attack: the system did not build: {0}")]
    Build(String),
    /// A setup transaction the scenario needs reverted (a scenario bug, reported, not panicked).
    #[error("attack: setup transaction `{what}` reverted {code}")]
    SetupReverted { what: &'static str, code: String },
}

impl AttackError {
    pub fn code(&self) -> &'static str {
        match self {
            AttackError::Setup { .. } => "Attack/bad-setup",
            AttackError::Bound(e) => e.code(),
            AttackError::Build(_) => "Attack/build",
            AttackError::SetupReverted { .. } => "Attack/setup-reverted",
        }
    }
}

fn setup_err(field: &'static str, rule: impl Into<String>) -> AttackError {
    AttackError::Setup {
        field,
        rule: rule.into(),
    }
}

impl Setup {
    pub fn validate(&self) -> Result<(), AttackError> {
        if self.max_amount.is_zero() || self.max_amount == U256::MAX {
            return Err(setup_err("max_amount", "must be finite and above zero"));
        }
        if self.headroom0 > self.max_amount {
            return Err(setup_err("headroom0", "must not exceed max_amount"));
        }
        if self.hop_s == 0 {
            return Err(setup_err("hop_s", "must be at least 1"));
        }
        if self.freeze_s > 366 * 86_400 {
            return Err(setup_err("freeze_s", "must be at most a year"));
        }
        Ok(())
    }

    /// The exact bound on the loss ([`worst_loss`]).
    pub fn bound(&self) -> Result<U256, CalibrateError> {
        let raises = if self.raises {
            Raises::Sorl {
                first_in_s: self.hop_s,
                hop_s: self.hop_s,
                max_change_bps: self.max_change_bps,
            }
        } else {
            Raises::None
        };
        worst_loss(
            KeyState {
                max_amount: self.max_amount,
                slope: self.slope,
                headroom: self.headroom0,
            },
            raises,
            self.freeze_s,
        )
    }
}

struct World {
    e: Engine,
    sys: System,
    key: B256,
    check: bool,
}

impl World {
    fn send(&mut self, from: &str, call: Call) -> Result<(), String> {
        let tx = Tx {
            from: self.sys.addr(from),
            at: self.e.now(),
            call,
        };
        let r = self.e.execute(tx).map_err(|e| format!("engine: {e}"))?;
        if self.check {
            let v = self.e.invariant_violations();
            assert!(v.is_empty(), "SPEC §8 invariants violated: {v:?}");
        }
        r.outcome.map(|_| ()).map_err(|r| r.code().to_string())
    }

    fn at(&mut self, t: Timestamp) {
        // time only moves forward here: offsets are sorted and ≥ the current time
        let _ = self.e.warp(t.max(self.e.now()));
    }

    fn current(&self) -> U256 {
        let q = Query::RateLimits(RateLimitsView::CurrentRateLimit { key: Key(self.key) });
        match self.e.view(self.sys.addr("spark_rl"), &q) {
            Ok(Answer::RateLimits(RateLimitsAnswer::Current { current_rate_limit })) => {
                current_rate_limit.raw()
            }
            _ => U256::ZERO,
        }
    }

    fn data(&self) -> (U256, U256) {
        let q = Query::RateLimits(RateLimitsView::RateLimitData { key: Key(self.key) });
        match self.e.view(self.sys.addr("spark_rl"), &q) {
            Ok(Answer::RateLimits(RateLimitsAnswer::Data {
                max_amount, slope, ..
            })) => (max_amount.raw(), slope.raw()),
            _ => (U256::ZERO, U256::ZERO),
        }
    }

    fn usds_of(&self, who: &str) -> U256 {
        let q = Query::Erc20(TokenView::BalanceOf {
            account: self.sys.addr(who),
        });
        match self.e.view(self.sys.addr("usds"), &q) {
            Ok(Answer::Erc20(TokenAnswer::Balance { balance })) => balance.raw(),
            _ => U256::ZERO,
        }
    }

    fn draw(&mut self, from: &str, amount: U256) -> Result<(), String> {
        let vault = self.sys.addr("spark_pv");
        let ctrl = self.sys.addr("spark_ctrl");
        self.send(
            from,
            Call::Controller(
                ctrl,
                ControllerCall::DrawPrimeVault {
                    vault,
                    amount: Wad::from_raw(amount),
                },
            ),
        )
    }

    fn set_limit(&mut self, max_amount: U256, slope: U256) -> Result<(), String> {
        let cfg = self.sys.addr("main_cfg");
        let pau = self.sys.addr("spark_proxy");
        self.send(
            "main_govops",
            Call::Configurator(
                cfg,
                ConfiguratorCall::SetRateLimit {
                    pau,
                    key: Key(self.key),
                    max_amount: Wad::from_raw(max_amount),
                    slope: Wad::from_raw(slope),
                },
            ),
        )
    }
}

fn reverted(what: &'static str) -> impl Fn(String) -> AttackError {
    move |code| AttackError::SetupReverted { what, code }
}

/// Runs one attack; `check_invariants` checks SPEC §8 after every transaction (panics on a
/// violation: that is an engine bug, not an input error).
pub fn run(
    setup: &Setup,
    pattern: &Pattern,
    check_invariants: bool,
) -> Result<Outcome, AttackError> {
    setup.validate()?;
    let bound = setup.bound()?;
    if bound > max_funds() {
        return Err(setup_err(
            "max_amount/slope/freeze_s",
            "give a bound above 10^14 USDS (the scenario's line)",
        ));
    }
    let mut spark = PrimeConfig::new("spark");
    spark.draw_limit = Limit {
        max_amount: Wad::from_raw(setup.max_amount),
        slope: Wad::from_raw(setup.slope),
    };
    let line = Rad::from_raw(U256::from(10u64).pow(U256::from(15u8)) * RAD);
    let mut cfg = SystemConfig {
        vat_line: line,
        primes: vec![spark],
        scopes: Some(ScopesConfig {
            hop_s: setup.hop_s,
            max_change_bps: setup.max_change_bps,
            ..ScopesConfig::default()
        }),
        ..SystemConfig::default()
    };
    cfg.generator.line = line;
    let (e, sys) = build(&cfg, GENESIS).map_err(|e| AttackError::Build(e.to_string()))?;
    let pv = sys.addr("spark_pv");
    let key = address_key(limit_id(names::VAULT_DRAW), pv);
    let mut w = World {
        e,
        sys,
        key,
        check: check_invariants,
    };
    // Fund the vault with exactly the bound (+ the honest draw): the worst pattern can reach it.
    let honest = setup.max_amount - setup.headroom0;
    let funds = bound + honest;
    let gen_ctrl = w.sys.addr("gen_ctrl");
    if !funds.is_zero() {
        w.send(
            "gen_relayer",
            Call::Controller(
                gen_ctrl,
                ControllerCall::MintUsds {
                    amount: Wad::from_raw(funds),
                },
            ),
        )
        .map_err(reverted("mintUSDS"))?;
        w.send(
            "gen_relayer",
            Call::Controller(
                gen_ctrl,
                ControllerCall::Deposit4626 {
                    vault: pv,
                    assets: Wad::from_raw(funds),
                    min_shares_out: Wad::ZERO,
                },
            ),
        )
        .map_err(reverted("depositERC4626"))?;
    }
    // The honest GovOps' first set through the Configurator (a raise at t0: the attacker's
    // next raise waits one hop), then the honest relayer's use leaves headroom₀.
    w.set_limit(setup.max_amount, setup.slope)
        .map_err(reverted("setRateLimit (first set)"))?;
    if !honest.is_zero() {
        w.draw("spark_relayer", honest)
            .map_err(reverted("drawPrimeVault (honest)"))?;
    }
    let t0 = w.e.now();
    let before = w.usds_of("spark_proxy");
    let end = Timestamp(t0.0 + setup.freeze_s);
    let (mut draws, mut raises) = (0u64, 0u64);
    let mut try_draw = |w: &mut World, share_bps: u16| {
        let cur = w.current();
        let amount = cur * U256::from(share_bps.min(10_000)) / U256::from(10_000u16);
        if !amount.is_zero() && w.draw("spark_relayer", amount).is_ok() {
            draws += 1;
        }
    };
    match pattern {
        Pattern::Greedy => {
            let mut next_raise = if setup.raises {
                t0.0.saturating_add(setup.hop_s)
            } else {
                u64::MAX
            };
            let mut t = t0.0;
            loop {
                w.at(Timestamp(t));
                try_draw(&mut w, 10_000);
                if t == end.0 {
                    break;
                }
                if t == next_raise {
                    let (m, s) = w.data();
                    let bps = setup.max_change_bps;
                    if w.set_limit(
                        crate::calibrate::raise(m, bps),
                        crate::calibrate::raise(s, bps),
                    )
                    .is_ok()
                    {
                        raises += 1;
                    }
                    next_raise = next_raise.saturating_add(setup.hop_s);
                }
                let (m, s) = w.data();
                let gap = if s.is_zero() {
                    u64::MAX
                } else {
                    u64::try_from(m / s).unwrap_or(u64::MAX).max(1)
                };
                t = t.saturating_add(gap).min(next_raise).min(end.0);
            }
        }
        Pattern::Random {
            drains,
            raises: raise_plan,
        } => {
            let mut events: Vec<(u64, bool, u16)> = drains
                .iter()
                .map(|&(o, b)| (o.min(setup.freeze_s), true, b))
                .chain(
                    raise_plan
                        .iter()
                        .filter(|_| setup.raises)
                        .map(|&(o, b)| (o.min(setup.freeze_s), false, b)),
                )
                .collect();
            events.sort();
            for (o, is_draw, bps) in events {
                w.at(Timestamp(t0.0 + o));
                if is_draw {
                    try_draw(&mut w, bps);
                } else {
                    let (m, s) = w.data();
                    let step = |v: U256| {
                        let up = crate::calibrate::raise(v, setup.max_change_bps) - v;
                        v + up * U256::from(bps.min(10_000)) / U256::from(10_000u16)
                    };
                    // may be refused (too early): that is the engine's SORL at work
                    if w.set_limit(step(m), step(s)).is_ok() {
                        raises += 1;
                    }
                }
            }
        }
    }
    // The freeze, at t0 + freeze_s (after the attacker's transactions of that second).
    w.at(end);
    let ctrl = w.sys.addr("spark_ctrl");
    let relayer = w.sys.addr("spark_relayer");
    w.send(
        "freezer",
        Call::Controller(ctrl, ControllerCall::RemoveRelayer { relayer }),
    )
    .map_err(reverted("removeRelayer"))?;
    if setup.raises {
        let state = w.sys.addr("main_state");
        let pau = w.sys.addr("spark_proxy");
        let govops = w.sys.addr("main_govops");
        w.send(
            "admin",
            Call::BeamState(state, BeamStateCall::RevokeCbeam { pau, govops }),
        )
        .map_err(reverted("revokeCbeam"))?;
    }
    let loss = w.usds_of("spark_proxy") - before;
    // After the freeze the relayer is powerless.
    w.at(Timestamp(end.0 + 1));
    let frozen = w.draw("spark_relayer", U256::from(1u8)).is_err();
    Ok(Outcome {
        loss,
        bound,
        draws,
        raises,
        digest: w.e.digest(),
        frozen,
    })
}
