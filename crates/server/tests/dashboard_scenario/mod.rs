//! A short scenario for the dashboard's browser test: the standard system (Generator registry,
//! two Primes on legacy ilks) plus the srUSDS Holding System and its queues, run for four days
//! (2026-01-01 … 2026-01-04, the 3rd skipped by a skip record) with the real operators —
//! settlement operator, lpla-checker, lpha-report — writing a SQLite Synome.
//!
//! Chain: the whole history is one transaction script that grows as the days go (the Primes'
//! payments are appended once the statements say how much is due); it is re-run from genesis
//! on a fresh engine at each step, which is exact because the engine is deterministic and the
//! operators only read the chain (every obligation is paid by a Prime, so the Generator submits
//! nothing — asserted). Spark migrates to its Prime vault in three tranches and pays late once
//! (a penalty, half forgiven by the Core Council); the SubscribeQueue is locked and settled
//! daily. The engine state is sampled at each executed epoch's Moment of Settlement
//! (`ChainHistory`), as a journal replay would.
#![allow(dead_code, clippy::unwrap_used)]

use laniakea_chain::script::{self, Script};
use laniakea_chain::Engine;
use laniakea_operators::checker::Checker;
use laniakea_operators::reader::{Deployment, PrimeAccounts};
use laniakea_operators::report::Reporter;
use laniakea_operators::settlement::{OperatorConfig, SettlementOperator};
use laniakea_operators::Guard;
use laniakea_server::ui_history::ChainHistory;
use laniakea_settlement::{Direction, EpochId};
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::{Draft, Kind, Provenance, Role, Signer, Synome, Writer};
use laniakea_units::{Timestamp, Wad};
use serde_json::json;

pub const START: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
pub const PRIMES: [&str; 2] = ["spark", "grove"];
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

pub struct Scenario {
    /// Keeps the Synome file alive.
    pub dir: tempfile::TempDir,
    pub db_path: String,
    /// The chain at the end of the run (2026-01-04 17:00 UTC).
    pub engine: Engine,
    pub script: Script,
    pub history: ChainHistory,
}

fn writer(label: &str, role: Role) -> Writer {
    Writer::new(Signer::demo(label), role)
}

fn at(t: u64) -> Timestamp {
    Timestamp(t)
}

/// The script's first lines: the system, srUSDS, funding, spark's migration plan.
fn genesis_lines() -> Vec<String> {
    let mut l = vec![
        json!({"at": START, "system": {"primes": [
            {"name": "spark", "legacy": {"line": "10000000", "debt": "3000000"}},
            {"name": "grove", "legacy": {"line": "5000000", "debt": "1500000"}}]}})
        .to_string(),
        json!({"accounts": ["lpha_lcts", "alice", "prefunder"]}).to_string(),
    ];
    for s in [
        r#"{"from": "admin", "deploy": {"kind": "erc20", "symbol": "srUSDS"}, "as": "srusds"}"#,
        r#"{"from": "admin", "deploy": {"kind": "holding-system", "susds": "@susds", "srusds": "@srusds", "premium_apr": "0.05"}, "as": "hs"}"#,
        r#"{"from": "admin", "to": "srusds", "fn": "rely", "args": {"usr": "@hs"}}"#,
        r#"{"from": "admin", "deploy": {"kind": "lcts-queue", "side": "subscribe", "holding": "@hs"}, "as": "subscribe_q"}"#,
        r#"{"from": "admin", "deploy": {"kind": "lcts-queue", "side": "redeem", "holding": "@hs"}, "as": "redeem_q"}"#,
        r#"{"from": "admin", "to": "hs", "fn": "grantRole", "args": {"role": "LPHA_LCTS", "account": "@lpha_lcts"}}"#,
        r#"{"from": "admin", "to": "subscribe_q", "fn": "grantRole", "args": {"role": "LPHA_LCTS", "account": "@lpha_lcts"}}"#,
        r#"{"from": "admin", "to": "redeem_q", "fn": "grantRole", "args": {"role": "LPHA_LCTS", "account": "@lpha_lcts"}}"#,
        r#"{"from": "admin", "to": "susds", "fn": "mint", "args": {"to": "@alice", "amount": "2000000"}, "expect": "ok"}"#,
        r#"{"from": "admin", "to": "susds", "fn": "mint", "args": {"to": "@prefunder", "amount": "100000"}, "expect": "ok"}"#,
        r#"{"from": "prefunder", "to": "susds", "fn": "transfer", "args": {"to": "@hs", "amount": "100000"}, "expect": "ok"}"#,
        r#"{"from": "alice", "to": "susds", "fn": "approve", "args": {"spender": "@subscribe_q", "amount": "max"}, "expect": "ok"}"#,
        r#"{"at": 1767229200, "from": "admin", "to": "generator", "fn": "setMigrationPlan", "args": {"prime": "spark", "plan": {"cutover_at": 1767232800, "tranches": ["1000000", "1000000", "1000000"]}}, "expect": "ok"}"#,
    ] {
        l.push(s.to_string());
    }
    l
}

/// The growing script.
struct Run {
    lines: Vec<String>,
}

impl Run {
    fn push(&mut self, v: serde_json::Value) {
        self.lines.push(v.to_string());
    }

    /// The script so far, run from genesis; every line's expectation must hold.
    fn engine(&self) -> (Engine, Script) {
        let text = self.lines.join("\n");
        let script = script::parse(&text).unwrap_or_else(|e| panic!("scenario script: {e}"));
        let mut engine = Engine::new(Timestamp(START));
        let out = script.run_on(&mut engine);
        assert!(
            out.unmet_expectations.is_empty(),
            "scenario script: unmet expectations {:?}",
            out.unmet_expectations
        );
        (engine, script)
    }
}

fn deployment(s: &Script) -> Deployment {
    let a = |n: &str| {
        s.address(n)
            .unwrap_or_else(|| panic!("no {n} in the scenario"))
    };
    Deployment {
        vat: a("vat"),
        usds: a("usds"),
        susds: a("susds"),
        generator_proxy: a("gen_proxy"),
        generator_registry: s.address("generator"),
        generator_mint_buffer: s.address("gen_vault.buffer"),
        primes: PRIMES
            .iter()
            .map(|p| PrimeAccounts {
                prime: p.to_string(),
                legacy_ilk: format!("ALLOCATOR-{}-A", p.to_uppercase()),
                alm_proxy: a(&format!("{p}_proxy")),
                rate_limits: a(&format!("{p}_rl")),
                prime_vault: s.address(&format!("{p}_pv")),
            })
            .collect(),
    }
}

/// The Synome's genesis, role grants and governance inputs.
fn governance(syn: &mut Synome<SqliteStore>, council: &Writer, writers: &[(&str, &Writer)]) {
    let gov = Provenance::GovernanceDirected;
    let t0 = at(START - 3 * DAY);
    let mut drafts = vec![Draft::new(
        Kind::Genesis,
        "global",
        t0,
        gov,
        json!({"core_council": council.signer.address(), "deployment": "laniakea dashboard test", "demo_key": "core-council"}),
    )];
    for (role, w) in writers {
        drafts.push(Draft::new(
            Kind::RoleGrant,
            "global",
            t0,
            gov,
            json!({"role": role, "address": w.signer.address(), "demo_key": w.signer.label()}),
        ));
    }
    drafts.push(Draft::new(
        Kind::ParameterSet,
        "global",
        at(START - 2 * DAY),
        gov,
        json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.045",
               "penalty_rate_per_hour_wad": "0.001",
               "osrc": [{"prime": "spark", "allocation_wad": "20000000", "rate_apr": "0.02"},
                        {"prime": "grove", "allocation_wad": "8000000", "rate_apr": "0.02"}]}),
    ));
    drafts.push(
        Draft::new(
            Kind::MigrationPlan,
            "prime:spark",
            at(START - 2 * DAY),
            gov,
            json!({"prime": "spark", "legacy_ilk": "ALLOCATOR-SPARK-A", "cutover_epoch": "2026-01-01",
                   "tranches": [{"epoch": "2026-01-01", "amount_wad": "1000000"},
                                {"epoch": "2026-01-02", "amount_wad": "1000000"},
                                {"epoch": "2026-01-04", "amount_wad": "1000000"}],
                   "initial_min_idle_bps": 0, "rollback_steps": ["rollbackMigration spark"]}),
        )
        .epoch(EpochId::parse("2026-01-01").unwrap()),
    );
    drafts.push(
        Draft::new(
            Kind::Skip,
            "global",
            at(START + DAY),
            gov,
            json!({"epoch": "2026-01-03", "reason": "weekend"}),
        )
        .epoch(EpochId::parse("2026-01-03").unwrap()),
    );
    syn.write(council, drafts).unwrap();
}

pub fn build() -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("run.db").to_str().unwrap().to_string();
    SqliteStore::create(&db_path).unwrap();
    let mut syn = Synome::new(SqliteStore::open(&db_path).unwrap());
    let council = writer("core-council", Role::CoreCouncil);
    let operator = writer("settlement-operator", Role::Operator);
    let govops = writer("govops", Role::GovOps);
    let checker_w = writer("lpla-checker", Role::Checker);
    let reporter_w = writer("lpha-report", Role::Reporter);
    let lcts_w = writer("lpha-lcts", Role::LphaLcts);
    governance(
        &mut syn,
        &council,
        &[
            ("operator", &operator),
            ("govops", &govops),
            ("checker", &checker_w),
            ("reporter", &reporter_w),
            ("lpha-lcts", &lcts_w),
        ],
    );
    let sys = Provenance::SystemDerived;

    let mut run = Run {
        lines: genesis_lines(),
    };
    let (_, script) = run.engine();
    let dep = deployment(&script);
    let mut op = SettlementOperator::new(
        OperatorConfig {
            deployment_start: at(START),
            deployment: dep.clone(),
            generator_controller: script.address("gen_ctrl").unwrap(),
            generator_relayer: script.address("gen_relayer").unwrap(),
            guard: Guard {
                reallocation_threshold_wad: Wad::parse("1000000000").unwrap(),
            },
            // The scenario script is re-run from its lines each day: the operator submits
            // nothing of its own beyond what the script replays (no escalation restriction).
            restriction: None,
        },
        operator.clone(),
        govops.clone(),
    )
    .unwrap();
    let checker = Checker {
        deployment_start: at(START),
        deployment: dep.clone(),
        writer: checker_w,
    };
    let reporter = Reporter {
        deployment: dep.clone(),
        writer: reporter_w,
    };
    let mut history = ChainHistory::default();

    let days = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"];
    let mut late: Option<(String, String)> = None;
    for (i, day) in days.iter().enumerate() {
        let e = EpochId::parse(day).unwrap();
        let midnight = START + i as u64 * DAY;
        if let Some((prime, amount)) = late.take() {
            // Yesterday's late payment, at 17:00 of its due date.
            run.push(json!({"at": midnight - 7 * HOUR, "from": format!("{prime}_relayer"), "to": format!("{prime}_ctrl"), "fn": "transferAsset", "args": {"asset": "@usds", "to": "@gen_proxy", "amount": amount}, "expect": "ok"}));
        }
        // Active Window: migration tranches and an srUSDS subscription.
        match *day {
            "2026-01-01" => {
                run.push(json!({"at": midnight + HOUR * 3, "from": "admin", "to": "generator", "fn": "startMigration", "args": {"prime": "spark"}, "expect": "ok"}));
                run.push(json!({"from": "admin", "to": "generator", "fn": "executeTranche", "args": {"prime": "spark"}, "expect": "ok"}));
            }
            "2026-01-02" => {
                run.push(json!({"at": midnight + HOUR * 9, "from": "admin", "to": "generator", "fn": "executeTranche", "args": {"prime": "spark"}, "expect": "ok"}));
            }
            "2026-01-04" => {
                run.push(json!({"at": midnight + HOUR * 9, "from": "admin", "to": "generator", "fn": "executeTranche", "args": {"prime": "spark"}, "expect": "ok"}));
                run.push(json!({"from": "admin", "to": "generator", "fn": "completeMigration", "args": {"prime": "spark"}, "expect": "ok"}));
            }
            _ => {}
        }
        run.push(json!({"at": midnight + HOUR * 10, "from": "alice", "to": "subscribe_q", "fn": "enter", "args": {"amount": format!("{}", 100_000 * (i + 1))}, "expect": "ok"}));
        if *day == "2026-01-03" {
            continue; // skipped: no lock, no settlement
        }
        // 13:00: the queue locks; the operator posts the statements.
        run.push(json!({"at": e.lock().0, "from": "lpha_lcts", "to": "subscribe_q", "fn": "lock", "expect": "ok"}));
        let (engine, _) = run.engine();
        let (result, _) = op.post_statements(&engine, &mut syn, e).unwrap();
        // 14:00: the Primes pay what is due; spark pays late on 2026-01-02.
        for st in &result.statements {
            assert_eq!(
                st.direction,
                Direction::PrimePaysGenerator,
                "the scenario expects every Prime to owe (the Generator must submit nothing)"
            );
            let amount = st.amount_due_wad.to_string();
            if *day == "2026-01-02" && st.prime == "spark" {
                late = Some((st.prime.clone(), amount));
                continue;
            }
            run.push(json!({"at": e.lock().0 + HOUR, "from": format!("{}_relayer", st.prime), "to": format!("{}_ctrl", st.prime), "fn": "transferAsset", "args": {"asset": "@usds", "to": "@gen_proxy", "amount": amount}, "expect": "ok"}));
        }
        // 16:00: the queue settles at the updated exchange rate.
        run.push(json!({"at": e.moment().0, "from": "lpha_lcts", "to": "hs", "fn": "updateExchangeRate", "expect": "ok"}));
        run.push(json!({"from": "lpha_lcts", "to": "subscribe_q", "fn": "settle", "args": {"capacity": "150000"}, "expect": "ok"}));
        let (mut engine, script) = run.engine();
        let before = engine.tx_count();
        op.pay_generator_side(&mut engine, &mut syn, e).unwrap();
        assert_eq!(
            engine.tx_count(),
            before,
            "the Generator paid: the script would lose it"
        );
        op.record_receipts(&engine, &mut syn).unwrap();
        op.record_penalties(&mut engine, &mut syn).unwrap();
        checker.report(&engine, &mut syn, e).unwrap();
        reporter.report(&engine, &mut syn, e).unwrap();
        let sdep = laniakea_server::deployment::Deployment::discover(&engine, &script.names_map());
        history.observe(&engine, &sdep, e);
        // lpha-lcts's record of the settlement (rates from the Holding System's view, before
        // = the previous sample's).
        let rate_of = |s: Option<&laniakea_server::ui_history::Sample>| {
            s.and_then(|s| s.holding_system.as_ref())
                .map(|h| h.exchange_rate_wad)
        };
        let n = history.samples.len();
        let after = rate_of(history.latest()).unwrap();
        let before =
            rate_of(n.checked_sub(2).and_then(|i| history.samples.get(i))).unwrap_or(after);
        let d = Draft::new(
            Kind::LctsSettlement,
            "global",
            e.moment(),
            sys,
            json!({"holding": script.address("hs"), "subscribe_queue": script.address("subscribe_q"),
                   "redeem_queue": script.address("redeem_q"), "subscribe_generation": i + 1,
                   "redeem_generation": null, "fallback_used": "none", "governance_epoch": e,
                   "settled_at": e.moment(), "rate_before_wad": before, "rate_after_wad": after,
                   "subscribe_converted_susds_wad": "150000", "subscribe_output_srusds_wad": "0",
                   "redeem_converted_srusds_wad": "0", "redeem_output_susds_wad": "0",
                   "exchange_rate": {}, "capacity": {"subscribe_wad": "150000"}}),
        )
        .epoch(e);
        syn.write(&lcts_w, vec![d]).unwrap();
        let d = Draft::new(
            Kind::MigrationStep,
            "prime:spark",
            e.moment(),
            sys,
            json!({"prime": "spark", "step": "tranche", "amount_wad": "1000000"}),
        )
        .epoch(e);
        syn.write(&govops, vec![d]).unwrap();
    }
    // The Core Council forgives half of the first penalty.
    let (pens, _) = syn
        .list(&laniakea_synome::Query {
            kind: Some(Kind::PenaltyEvent),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let pen = pens.first().expect("the late payment was penalised");
    let amount: Wad = serde_json::from_value(pen.content.payload["amount_wad"].clone()).unwrap();
    let half = Wad::from_raw(amount.raw() / laniakea_units::U256::from(2u8));
    let last = EpochId::parse("2026-01-04").unwrap();
    let d = Draft::new(
        Kind::Forgiveness,
        &pen.content.subject,
        at(last.moment().0 + HOUR / 2),
        Provenance::GovernanceDirected,
        json!({"penalty": pen.id, "amount_wad": half, "rationale": "first late payment after the cutover"}),
    )
    .epoch(last);
    syn.write(&council, vec![d]).unwrap();
    let (mut engine, script) = run.engine();
    engine.warp(Timestamp(last.moment().0 + HOUR)).unwrap();
    Scenario {
        dir,
        db_path,
        engine,
        script,
        history,
    }
}
