//! Shared fixture for the Generator / Prime-vault tests: a system from the builder plus typed
//! helpers to drive it.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use alloy_primitives::{Address, B256};
use laniakea_chain::call::*;
pub use laniakea_chain::families::prime_vault::PrimeVaultCall;
use laniakea_chain::rate_limits::{address_key, limit_id, names};
use laniakea_chain::system::{build, LegacyConfig, Limit, PrimeConfig, System, SystemConfig};
use laniakea_chain::{Engine, Revert};
use laniakea_units::{Rad, Timestamp, Wad, RAY, U256, WAD};

pub const GENESIS: Timestamp = Timestamp(1_767_225_600);

pub fn wad(x: u64) -> U256 {
    U256::from(x) * WAD
}

pub struct Sys {
    pub e: Engine,
    pub s: System,
}

/// Two Primes (`spark` with a legacy ilk and 1,000 USDS of legacy debt; `grove` without), with
/// the builder's default Configurator scopes.
pub fn two_primes() -> SystemConfig {
    let mut spark = PrimeConfig::new("spark");
    spark.legacy = Some(LegacyConfig {
        ilk: None,
        line: Rad::from_raw(U256::from(10_000u64) * laniakea_units::math::RAD),
        debt: Wad::from_raw(wad(1_000)),
    });
    SystemConfig {
        primes: vec![spark, PrimeConfig::new("grove")],
        ..SystemConfig::default()
    }
}

impl Sys {
    pub fn new(cfg: &SystemConfig) -> Sys {
        let (e, s) = build(cfg, GENESIS).unwrap();
        assert!(e.invariant_violations().is_empty());
        Sys { e, s }
    }
    pub fn a(&self, name: &str) -> Address {
        self.s.addr(name)
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
        let problems = self.e.invariant_violations();
        assert!(problems.is_empty(), "invariants violated: {problems:?}");
        r.outcome
    }
    pub fn gen(&mut self, c: ControllerCall) -> Result<Returns, Revert> {
        let to = self.a("gen_ctrl");
        self.tx("gen_relayer", Call::Controller(to, c))
    }
    pub fn prime_ctrl(&mut self, prime: &str, c: ControllerCall) -> Result<Returns, Revert> {
        let to = self.a(&format!("{prime}_ctrl"));
        self.tx(&format!("{prime}_relayer"), Call::Controller(to, c))
    }
    pub fn vault(&mut self, from: &str, prime: &str, c: PrimeVaultCall) -> Result<Returns, Revert> {
        let to = self.a(&format!("{prime}_pv"));
        self.tx(from, Call::PrimeVault(to, c))
    }
    pub fn mint(&mut self, amount: U256) -> Result<Returns, Revert> {
        self.gen(ControllerCall::MintUsds {
            amount: Wad::from_raw(amount),
        })
    }
    pub fn deposit(&mut self, prime: &str, assets: U256) -> Result<Returns, Revert> {
        let vault = self.a(&format!("{prime}_pv"));
        self.gen(ControllerCall::Deposit4626 {
            vault,
            assets: Wad::from_raw(assets),
            min_shares_out: Wad::from_raw(U256::ZERO),
        })
    }
    pub fn withdraw(&mut self, prime: &str, assets: U256) -> Result<Returns, Revert> {
        let vault = self.a(&format!("{prime}_pv"));
        self.gen(ControllerCall::Withdraw4626 {
            vault,
            assets: Wad::from_raw(assets),
            max_shares_in: Wad::from_raw(U256::MAX),
        })
    }
    pub fn redeem(&mut self, prime: &str, shares: U256) -> Result<Returns, Revert> {
        let vault = self.a(&format!("{prime}_pv"));
        self.gen(ControllerCall::Redeem4626 {
            vault,
            shares: Wad::from_raw(shares),
            min_assets_out: Wad::from_raw(U256::ZERO),
        })
    }
    pub fn draw(&mut self, prime: &str, amount: U256) -> Result<Returns, Revert> {
        let vault = self.a(&format!("{prime}_pv"));
        self.prime_ctrl(
            prime,
            ControllerCall::DrawPrimeVault {
                vault,
                amount: Wad::from_raw(amount),
            },
        )
    }
    pub fn repay(&mut self, prime: &str, amount: U256) -> Result<Returns, Revert> {
        let vault = self.a(&format!("{prime}_pv"));
        self.prime_ctrl(
            prime,
            ControllerCall::RepayPrimeVault {
                vault,
                amount: Wad::from_raw(amount),
            },
        )
    }
    pub fn bal(&self, token: &str, who: &str) -> U256 {
        self.e.state().balance_of(self.a(token), self.a(who))
    }
    pub fn idle(&self, prime: &str) -> U256 {
        self.bal("usds", &format!("{prime}_pv"))
    }
    pub fn total_assets(&self, prime: &str) -> U256 {
        self.e
            .state()
            .pv_total_assets(self.a(&format!("{prime}_pv")))
            .unwrap()
    }
    pub fn shares(&self, prime: &str) -> U256 {
        self.bal(&format!("{prime}_pv"), "gen_proxy")
    }
    /// Sets `<pau>_rl`'s `key` as governance can on this system: directly as `admin` when no
    /// Configurator scope manages it, else as the scope's GovOps through its Configurator
    /// (`setRateLimit`: init- and SORL-checked, so a first set or a lowering).
    pub fn set_limit(&mut self, rl: &str, key: B256, limit: Limit) {
        let to = self.a(rl);
        let Some(cfg) = self.e.state().managing_configurator(to) else {
            self.tx(
                "admin",
                Call::RateLimits(
                    to,
                    RateLimitsCall::SetMaxSlope {
                        key: Key(key),
                        max_amount: limit.max_amount,
                        slope: limit.slope,
                    },
                ),
            )
            .unwrap();
            return;
        };
        let govops = if cfg == self.a("gen_cfg") {
            "gen_govops"
        } else {
            "main_govops"
        };
        let pau = self.a(&rl.replace("_rl", "_proxy"));
        self.tx(
            govops,
            Call::Configurator(
                cfg,
                laniakea_chain::families::configurator::ConfiguratorCall::SetRateLimit {
                    pau,
                    key: Key(key),
                    max_amount: limit.max_amount,
                    slope: limit.slope,
                },
            ),
        )
        .unwrap();
    }
    pub fn vault_key(&self, name: &str, prime: &str) -> B256 {
        address_key(limit_id(name), self.a(&format!("{prime}_pv")))
    }
    pub fn draw_key(&self, prime: &str) -> B256 {
        self.vault_key(names::VAULT_DRAW, prime)
    }
    pub fn repay_key(&self, prime: &str) -> B256 {
        self.vault_key(names::VAULT_REPAY, prime)
    }
    /// Σ over ilks of Art·rate [rad] (total system debt).
    pub fn vat_debt(&self) -> U256 {
        let vat = self.a("vat");
        self.e
            .state()
            .get::<laniakea_chain::contracts::Vat>(vat)
            .unwrap()
            .debt
            .raw()
    }
}

pub fn code(r: Result<Returns, Revert>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

pub fn ray() -> U256 {
    RAY
}

pub use laniakea_chain::families::generator::{GeneratorCall, GeneratorView, MigrationPlan};

impl Sys {
    pub fn reg(&mut self, c: GeneratorCall) -> Result<Returns, Revert> {
        let to = self.a("generator");
        self.tx("admin", Call::GeneratorRegistry(to, c))
    }
    pub fn gview(&self, v: GeneratorView) -> serde_json::Value {
        let to = self.a("generator");
        let a = laniakea_chain::Chain::view(&self.e, to, &Query::GeneratorRegistry(v)).unwrap();
        serde_json::to_value(a).unwrap()
    }
    /// Legacy ilk `Art` [wad] (rate is RAY in the standard configuration).
    pub fn ilk_art(&self, ilk: &str) -> U256 {
        let vat = self.a("vat");
        let id = laniakea_chain::mcd::ilk_id(ilk).unwrap();
        self.e
            .state()
            .get::<laniakea_chain::contracts::Vat>(vat)
            .unwrap()
            .ilks
            .get(&id)
            .map(|i| i.art_total.raw())
            .unwrap_or_default()
    }
    pub fn ilk_line(&self, ilk: &str) -> U256 {
        let vat = self.a("vat");
        let id = laniakea_chain::mcd::ilk_id(ilk).unwrap();
        self.e
            .state()
            .get::<laniakea_chain::contracts::Vat>(vat)
            .unwrap()
            .ilks
            .get(&id)
            .map(|i| i.line.raw())
            .unwrap_or_default()
    }
}

pub fn plan(cutover_at: u64, tranches: &[u64]) -> MigrationPlan {
    MigrationPlan {
        cutover_at: Timestamp(cutover_at),
        tranches: tranches.iter().map(|t| Wad::from_raw(wad(*t))).collect(),
        min_idle_bps: 0,
        draw_limit: None,
        buffer_schedule: Vec::new(),
    }
}
