//! Shared fixture: a small system built by the system builder (`laniakea_chain::system`, one
//! `{"system": …}` script line) at 2026-01-01 00:00 UTC — the Generator (ilk, PAU, registry)
//! and three Primes, each with a legacy ilk (`ALLOCATOR-<PRIME>-A`), its own PAU and its Prime
//! vault (`<prime>_pv`, `min_idle_bps` 1000) — plus a few admin lines (mint, sUSDS and an
//! external-strategy key), plus a DEMO Synome on SQLite in a temp dir with the Core Council,
//! operator, govops, checker and reporter keys.
#![allow(dead_code, clippy::unwrap_used)]

use alloy_primitives::Address;
use laniakea_chain::call::*;
use laniakea_chain::{script, Chain, Engine, Receipt};
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::{Draft, Kind, Provenance, Role, Signer, Synome, Writer};
use laniakea_units::{EpochId, Timestamp, Wad, U256, WAD};
use serde_json::json;

pub const START: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
pub const PRIMES: [&str; 3] = ["spark", "grove", "keel"];

pub fn setup_script() -> String {
    setup_script_for(&PRIMES)
}

/// The setup script for any list of Primes (each `ALLOCATOR-<NAME>-A`).
pub fn setup_script_for(primes: &[&str]) -> String {
    use laniakea_chain::system::{LegacyConfig, Limit, PrimeConfig, SystemConfig};
    // This fixture sets limits beyond the builder's as admin script lines (below), which a
    // Configurator-managed PAU refuses (`Configurator/managed-contract`): it is built without
    // scopes. Scoped systems are covered by the guard tests and by the simulator's scenarios.
    let mut cfg = SystemConfig {
        scopes: None,
        ..SystemConfig::default()
    };
    // Generator → Prime payments/distributions (and holding/surplus): 1M, refilled at 100/s.
    cfg.generator.transfer_limit = Limit::whole(1_000_000, 100);
    for p in primes {
        let mut pc = PrimeConfig::new(p);
        // Prime → Generator payments.
        pc.transfer_limit = Limit::whole(1_000_000, 100);
        pc.min_idle_bps = 1_000; // 10% of a vault stays idle on draws
        pc.legacy = Some(LegacyConfig {
            ilk: None,
            line: laniakea_units::Rad::from_raw(
                U256::from(10_000_000_000u64) * laniakea_units::math::RAD,
            ),
            debt: Wad::ZERO,
        });
        cfg.primes.push(pc);
    }
    let mut l: Vec<String> = vec![
        json!({"accounts": ["stranger"]}).to_string(),
        json!({"at": START, "system": cfg}).to_string(),
    ];
    // Beyond the builder: the Primes (and the Generator) mint on their legacy ilks, hold sUSDS,
    // and deploy funds to an external strategy (`stranger`).
    for p in primes.iter().copied().chain(["gen"]) {
        l.push(format!(r#"{{"from": "admin", "to": "{p}_rl", "fn": "setUnlimitedRateLimitData", "args": {{"key": "LIMIT_USDS_MINT"}}}}"#));
        l.push(format!(r#"{{"from": "admin", "to": "{p}_rl", "fn": "setUnlimitedRateLimitData", "args": {{"key": {{"name": "LIMIT_4626_DEPOSIT", "address": "@susds"}}}}}}"#));
        l.push(format!(r#"{{"from": "admin", "to": "{p}_rl", "fn": "setUnlimitedRateLimitData", "args": {{"key": {{"name": "LIMIT_4626_WITHDRAW", "address": "@susds"}}}}}}"#));
        l.push(format!(r#"{{"from": "admin", "to": "{p}_ctrl", "fn": "setMaxExchangeRate", "args": {{"vault": "@susds", "shares": "1", "max_expected_assets": "2"}}}}"#));
        l.push(format!(r#"{{"from": "admin", "to": "{p}_rl", "fn": "setUnlimitedRateLimitData", "args": {{"key": {{"name": "LIMIT_ASSET_TRANSFER", "address": "@usds", "address2": "@stranger"}}}}}}"#));
    }
    l.join("\n")
}

pub struct Sys {
    pub e: Engine,
    pub s: script::Script,
    pub primes: Vec<String>,
}

pub fn wad(x: u64) -> Wad {
    Wad::from_raw(U256::from(x) * WAD)
}

pub fn at(rfc: &str) -> Timestamp {
    laniakea_units::time::parse_rfc3339(rfc).unwrap()
}

impl Sys {
    pub fn new() -> Sys {
        Sys::with_primes(&PRIMES)
    }
    pub fn with_primes(primes: &[&str]) -> Sys {
        let s = script::parse(&setup_script_for(primes)).expect("setup parses");
        let mut e = Engine::new(s.genesis());
        e.set_check_invariants(true);
        let out = s.run_on(&mut e);
        for l in &out.lines {
            assert_eq!(l["status"], "ok", "setup line failed: {l}");
        }
        Sys {
            e,
            s,
            primes: primes.iter().map(|p| p.to_string()).collect(),
        }
    }
    pub fn a(&self, name: &str) -> Address {
        self.s
            .address(name)
            .unwrap_or_else(|| panic!("no name {name}"))
    }
    pub fn tx(&self, from: &str, at: Timestamp, call: Call) -> Tx {
        Tx {
            from: self.a(from),
            at,
            call,
        }
    }
    pub fn ctrl(&self, pau: &str, c: ControllerCall) -> Call {
        Call::Controller(self.a(&format!("{pau}_ctrl")), c)
    }
    /// Submits and requires success.
    pub fn run(&mut self, tx: Tx) -> Receipt {
        let r = self.e.submit(tx.clone()).unwrap();
        assert!(r.is_ok(), "{tx:?} reverted: {:?}", r.outcome);
        r
    }
    pub fn relayer(p: &str) -> String {
        if p == "gen" {
            "gen_relayer".into()
        } else {
            format!("{p}_relayer")
        }
    }
    /// The Prime draws `amount` of legacy-ilk debt into its ALMProxy.
    pub fn draw(&mut self, p: &str, t: Timestamp, amount: Wad) {
        let tx = self.tx(
            &Sys::relayer(p),
            t,
            self.ctrl(p, ControllerCall::MintUsds { amount }),
        );
        self.run(tx);
    }
    pub fn wipe(&mut self, p: &str, t: Timestamp, amount: Wad) {
        let tx = self.tx(
            &Sys::relayer(p),
            t,
            self.ctrl(p, ControllerCall::BurnUsds { amount }),
        );
        self.run(tx);
    }
    pub fn deposit_susds(&mut self, p: &str, t: Timestamp, assets: Wad) {
        let vault = self.a("susds");
        let tx = self.tx(
            &Sys::relayer(p),
            t,
            self.ctrl(
                p,
                ControllerCall::Deposit4626 {
                    vault,
                    assets,
                    min_shares_out: Wad::ZERO,
                },
            ),
        );
        self.run(tx);
    }
    /// A payment Prime → Generator (USDS from the Prime's ALMProxy to the Generator's).
    pub fn pay_generator_tx(&self, p: &str, t: Timestamp, amount: Wad) -> Tx {
        let asset = self.a("usds");
        let to = self.a("gen_proxy");
        self.tx(
            &Sys::relayer(p),
            t,
            self.ctrl(p, ControllerCall::TransferAsset { asset, to, amount }),
        )
    }
}

pub struct Db {
    pub dir: tempfile::TempDir,
    pub path: String,
    pub syn: Synome<SqliteStore>,
    pub council: Writer,
    pub operator: Writer,
    pub govops: Writer,
    pub checker: Writer,
    pub reporter: Writer,
}

fn demo(label: &str, role: Role) -> Writer {
    Writer::new(Signer::demo(label), role)
}

impl Db {
    pub fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("synome.db").to_str().unwrap().to_string();
        SqliteStore::create(&path).unwrap();
        let mut syn = Synome::new(SqliteStore::open(&path).unwrap());
        let council = demo("core-council", Role::CoreCouncil);
        let operator = demo("settlement-operator", Role::Operator);
        let govops = demo("govops", Role::GovOps);
        let checker = demo("lpla-checker", Role::Checker);
        let reporter = demo("lpha-report", Role::Reporter);
        let gov = Provenance::GovernanceDirected;
        let t = Timestamp(START - 3 * 86_400);
        let mut drafts = vec![Draft::new(
            Kind::Genesis,
            "global",
            t,
            gov,
            json!({"core_council": council.signer.address(), "deployment": "laniakea operators test", "demo_key": "core-council"}),
        )];
        for (role, w) in [
            ("operator", &operator),
            ("govops", &govops),
            ("checker", &checker),
            ("reporter", &reporter),
        ] {
            drafts.push(Draft::new(
                Kind::RoleGrant,
                "global",
                t,
                gov,
                json!({"role": role, "address": w.signer.address(), "demo_key": w.signer.label()}),
            ));
        }
        syn.write(&council, drafts).unwrap();
        Db {
            dir,
            path,
            syn,
            council,
            operator,
            govops,
            checker,
            reporter,
        }
    }
    /// A Core Council parameter set published at `at`.
    pub fn params(&mut self, at: Timestamp, payload: serde_json::Value) {
        let d = Draft::new(
            Kind::ParameterSet,
            "global",
            at,
            Provenance::GovernanceDirected,
            payload,
        );
        self.syn.write(&self.council, vec![d]).unwrap();
    }
    pub fn skip(&mut self, at: Timestamp, epoch: &str) {
        let d = Draft::new(
            Kind::Skip,
            "global",
            at,
            Provenance::GovernanceDirected,
            json!({"epoch": epoch, "reason": "weekend"}),
        )
        .epoch(EpochId::parse(epoch).unwrap());
        self.syn.write(&self.council, vec![d]).unwrap();
    }
}

impl Sys {
    pub fn deployment(&self) -> laniakea_operators::reader::Deployment {
        laniakea_operators::reader::Deployment {
            vat: self.a("vat"),
            usds: self.a("usds"),
            susds: self.a("susds"),
            generator_proxy: self.a("gen_proxy"),
            generator_registry: Some(self.a("generator")),
            generator_mint_buffer: Some(self.a("gen_vault.buffer")),
            primes: self
                .primes
                .iter()
                .map(|p| laniakea_operators::reader::PrimeAccounts {
                    prime: p.to_string(),
                    legacy_ilk: format!("ALLOCATOR-{}-A", p.to_uppercase()),
                    alm_proxy: self.a(&format!("{p}_proxy")),
                    rate_limits: self.a(&format!("{p}_rl")),
                    prime_vault: Some(self.a(&format!("{p}_pv"))),
                })
                .collect(),
        }
    }
    /// Moves the chain's clock (an empty block at `t`).
    pub fn warp(&mut self, t: Timestamp) {
        self.e.warp(t).unwrap();
    }
}

impl Sys {
    /// The Prime deploys `amount` of USDS out of its PAU (no longer idle).
    pub fn deploy_out(&mut self, p: &str, t: Timestamp, amount: Wad) {
        let (asset, to) = (self.a("usds"), self.a("stranger"));
        let tx = self.tx(
            &Sys::relayer(p),
            t,
            self.ctrl(p, ControllerCall::TransferAsset { asset, to, amount }),
        );
        self.run(tx);
    }
    pub fn pay_generator(&mut self, p: &str, t: Timestamp, amount: Wad) {
        let tx = self.pay_generator_tx(p, t, amount);
        self.run(tx);
    }
    pub fn operator(&self, db: &Db) -> laniakea_operators::settlement::SettlementOperator {
        laniakea_operators::settlement::SettlementOperator::new(
            laniakea_operators::settlement::OperatorConfig {
                deployment_start: Timestamp(START),
                deployment: self.deployment(),
                generator_controller: self.a("gen_ctrl"),
                generator_relayer: self.a("gen_relayer"),
                guard: laniakea_operators::Guard {
                    reallocation_threshold_wad: wad(1_000_000),
                },
                restriction: Some(laniakea_operators::settlement::Restriction::Admin {
                    govops: self.a("admin"),
                }),
            },
            db.operator.clone(),
            db.govops.clone(),
        )
        .unwrap()
    }
}

impl Sys {
    /// The Generator mints `amount` and deposits it into the Prime's vault.
    pub fn fund_vault(&mut self, p: &str, t: Timestamp, amount: Wad) {
        self.draw("gen", t, amount);
        let vault = self.a(&format!("{p}_pv"));
        let tx = self.tx(
            "gen_relayer",
            t,
            self.ctrl(
                "gen",
                ControllerCall::Deposit4626 {
                    vault,
                    assets: amount,
                    min_shares_out: Wad::ZERO,
                },
            ),
        );
        self.run(tx);
    }
    /// The Prime draws `amount` from its vault into its ALMProxy.
    pub fn vault_draw(&mut self, p: &str, t: Timestamp, amount: Wad) {
        let vault = self.a(&format!("{p}_pv"));
        let tx = self.tx(
            &Sys::relayer(p),
            t,
            self.ctrl(p, ControllerCall::DrawPrimeVault { vault, amount }),
        );
        self.run(tx);
    }
    pub fn vault_repay(&mut self, p: &str, t: Timestamp, amount: Wad) {
        let vault = self.a(&format!("{p}_pv"));
        let tx = self.tx(
            &Sys::relayer(p),
            t,
            self.ctrl(p, ControllerCall::RepayPrimeVault { vault, amount }),
        );
        self.run(tx);
    }
}

impl Sys {
    /// The Generator withdraws `assets` from the Prime's vault (into its ALMProxy).
    pub fn vault_withdraw(&mut self, p: &str, t: Timestamp, assets: Wad) {
        let vault = self.a(&format!("{p}_pv"));
        let tx = self.tx(
            "gen_relayer",
            t,
            self.ctrl(
                "gen",
                ControllerCall::Withdraw4626 {
                    vault,
                    assets,
                    max_shares_in: Wad::MAX,
                },
            ),
        );
        self.run(tx);
    }
    /// The Generator sends `amount` of USDS to `to` (a configured transfer key).
    pub fn gen_send(&mut self, to: &str, t: Timestamp, amount: Wad) {
        let (asset, to) = (self.a("usds"), self.a(to));
        let tx = self.tx(
            "gen_relayer",
            t,
            self.ctrl("gen", ControllerCall::TransferAsset { asset, to, amount }),
        );
        self.run(tx);
    }
    /// A plain USDS transfer from an account (not through any PAU).
    pub fn usds_transfer(&mut self, from: &str, to: &str, t: Timestamp, amount: Wad) {
        let (usds, to) = (self.a("usds"), self.a(to));
        let tx = self.tx(
            from,
            t,
            Call::Erc20(usds, Erc20Call::Transfer { to, amount }),
        );
        self.run(tx);
    }
}
