//! Migration of a Prime from its legacy ilk to the Generator ilk (SPEC §4.11, issue 10 item 4),
//! the Generator's book and debt locations (item 6) and the liquidity buffer (item 7).

#![allow(clippy::unwrap_used)]
mod gen;
use gen::*;
use laniakea_chain::rate_limits::{address_key, limit_id, names};
use laniakea_chain::system::Limit;
use laniakea_units::{Wad, U256};

const LEGACY: &str = "ALLOCATOR-SPARK-A";

fn spark() -> String {
    "spark".to_string()
}

fn planned(tranches: &[u64]) -> Sys {
    let mut x = Sys::new(&two_primes());
    let at = x.e.now().0 + 3_600;
    x.reg(GeneratorCall::SetMigrationPlan {
        prime: spark(),
        plan: plan(at, tranches),
    })
    .unwrap();
    x
}

fn started(tranches: &[u64]) -> Sys {
    let mut x = planned(tranches);
    x.warp(3_600);
    x.reg(GeneratorCall::StartMigration { prime: spark() })
        .unwrap();
    x
}

#[test]
fn three_tranches_then_completion_moves_all_debt_and_keeps_total_debt() {
    let mut x = planned(&[400, 300, 300]);
    let debt_before = x.vat_debt();
    assert_eq!(
        code(x.reg(GeneratorCall::StartMigration { prime: spark() })),
        "Migration/before-cutover"
    );
    x.warp(3_600);
    x.reg(GeneratorCall::StartMigration { prime: spark() })
        .unwrap();
    // cutover closes the legacy ilk for new debt
    assert_eq!(x.ilk_line(LEGACY), wad(1_000) * ray());
    let mut moved = 0u64;
    for t in [400u64, 300, 300] {
        x.reg(GeneratorCall::ExecuteTranche { prime: spark() })
            .unwrap();
        moved += t;
        assert_eq!(
            x.vat_debt(),
            debt_before,
            "a tranche leaves total debt unchanged"
        );
        assert_eq!(x.ilk_art(LEGACY), wad(1_000 - moved));
        assert_eq!(x.ilk_art("GEN-USDS-A"), wad(moved));
        assert_eq!(x.ilk_line(LEGACY), wad(1_000 - moved) * ray());
        let loc = x.gview(GeneratorView::DebtLocations);
        let s = &loc["primes"][1];
        assert_eq!(s["prime"], "spark");
        assert_eq!(s["legacy_debt_wad"], (1_000 - moved).to_string());
        assert_eq!(s["vault_principal_wad"], moved.to_string());
        assert_eq!(s["total_wad"], "1000");
        assert_eq!(s["migration"], "dual-run");
    }
    assert_eq!(
        code(x.reg(GeneratorCall::ExecuteTranche { prime: spark() })),
        "Migration/no-tranche-left"
    );
    assert_eq!(x.gview(GeneratorView::CompatibilitySet)["ilks"][0], LEGACY);
    x.reg(GeneratorCall::CompleteMigration { prime: spark() })
        .unwrap();
    assert_eq!(x.ilk_line(LEGACY), U256::ZERO);
    assert_eq!(x.ilk_art(LEGACY), U256::ZERO);
    let mint =
        x.e.state()
            .rate_limit_data(x.a("spark_rl"), limit_id(names::USDS_MINT));
    assert!(
        mint.max_amount.is_zero(),
        "the Prime's mint key is disabled"
    );
    assert_eq!(
        x.gview(GeneratorView::CompatibilitySet)["ilks"],
        serde_json::json!([])
    );
    // after completion the legacy ilk mints nothing
    assert_eq!(
        code(x.prime_ctrl(
            "spark",
            laniakea_chain::call::ControllerCall::MintUsds {
                amount: Wad::from_raw(wad(1))
            }
        )),
        "RateLimits/zero-maxAmount"
    );
    assert_eq!(
        code(x.reg(GeneratorCall::RollbackMigration { prime: spark() })),
        "Migration/wrong-status"
    );
}

#[test]
fn the_book_values_vault_shares_idle_and_receivables_against_ilk_debt() {
    let mut x = started(&[400, 600]);
    x.reg(GeneratorCall::ExecuteTranche { prime: spark() })
        .unwrap();
    x.mint(wad(50)).unwrap();
    x.reg(GeneratorCall::SetReceivables {
        amount: Wad::from_raw(wad(7)),
    })
    .unwrap();
    let b = x.gview(GeneratorView::Book);
    assert_eq!(b["vault_shares_value_wad"], "400");
    assert_eq!(b["idle_usds_wad"], "50");
    assert_eq!(b["receivables_wad"], "7");
    assert_eq!(b["total_assets_wad"], "457");
    assert_eq!(b["ilk_debt_wad"], "450");
    assert_eq!(b["surplus_wad"], "7");
    assert_eq!(b["shortfall_wad"], "0");
    // a write-down shows as a shortfall at once
    x.vault(
        "admin",
        "spark",
        PrimeVaultCall::WriteDown {
            amount: Wad::from_raw(wad(100)),
        },
    )
    .unwrap();
    let b = x.gview(GeneratorView::Book);
    assert_eq!(b["shortfall_wad"], "93");
    let spark_row = b["vaults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["prime"] == "spark")
        .cloned()
        .unwrap();
    assert_eq!(spark_row["value_wad"], "300");
}

#[test]
fn rollback_restores_the_pre_migration_positions_and_limits() {
    let mut x = Sys::new(&two_primes());
    let at = x.e.now().0 + 60;
    let mut p = plan(at, &[300, 300, 400]);
    p.min_idle_bps = 1_000;
    p.draw_limit = Some(Limit::whole(5_000, 1));
    let draw_key = address_key(limit_id(names::VAULT_DRAW), x.a("spark_pv"));
    let rl = x.a("spark_rl");
    let keys_before = (
        x.e.state().rate_limit_data(rl, draw_key),
        x.e.state().rate_limit_data(rl, limit_id(names::USDS_MINT)),
    );
    x.reg(GeneratorCall::SetMigrationPlan {
        prime: spark(),
        plan: p,
    })
    .unwrap();
    x.warp(60);
    let (debt, line, art) = (x.vat_debt(), x.ilk_line(LEGACY), x.ilk_art(LEGACY));
    let usds_spark = x.bal("usds", "spark_proxy");
    x.reg(GeneratorCall::StartMigration { prime: spark() })
        .unwrap();
    assert_eq!(
        x.e.state().rate_limit_data(rl, draw_key).max_amount.raw(),
        wad(5_000)
    );
    // the Generator pre-funds idle so the min_idle policy lets tranches through
    x.mint(wad(200)).unwrap();
    x.deposit("spark", wad(200)).unwrap();
    x.reg(GeneratorCall::ExecuteTranche { prime: spark() })
        .unwrap();
    x.reg(GeneratorCall::ExecuteTranche { prime: spark() })
        .unwrap();
    x.warp(10);
    let r = x
        .reg(GeneratorCall::RollbackMigration { prime: spark() })
        .unwrap();
    assert_eq!(
        r.get("amount"),
        Some(&laniakea_chain::Value::Wad(Wad::from_raw(wad(600))))
    );
    assert_eq!(x.ilk_art(LEGACY), art);
    assert_eq!(x.ilk_line(LEGACY), line);
    assert_eq!(
        x.ilk_art("GEN-USDS-A"),
        wad(200),
        "only the pre-funding remains"
    );
    assert_eq!(x.vat_debt(), debt + wad(200) * ray());
    assert_eq!(x.bal("usds", "spark_proxy"), usds_spark);
    let pos = x.e.state().prime_vault_position(x.a("spark_pv")).unwrap();
    assert_eq!(pos.drawn_wad.raw(), U256::ZERO);
    assert_eq!(pos.min_idle_bps, 0);
    assert_eq!(x.shares("spark"), wad(200));
    assert_eq!(
        (
            x.e.state().rate_limit_data(rl, draw_key),
            x.e.state().rate_limit_data(rl, limit_id(names::USDS_MINT)),
        ),
        keys_before
    );
    assert_eq!(
        x.gview(GeneratorView::Migration { prime: spark() })["status"],
        "rolled-back"
    );
    assert_eq!(x.gview(GeneratorView::CompatibilitySet)["ilks"][0], LEGACY);
}

#[test]
fn a_tranche_larger_than_the_remaining_legacy_debt_is_refused_and_nothing_changes() {
    let mut x = started(&[600, 600]);
    x.reg(GeneratorCall::ExecuteTranche { prime: spark() })
        .unwrap();
    let before = (
        x.ilk_art(LEGACY),
        x.ilk_art("GEN-USDS-A"),
        x.bal("usds", "gen_proxy"),
    );
    let e = x
        .reg(GeneratorCall::ExecuteTranche { prime: spark() })
        .unwrap_err();
    assert_eq!(e.code(), "Migration/tranche-exceeds-legacy-debt");
    assert!(
        e.to_string().contains(&wad(600).to_string())
            && e.to_string().contains(&wad(400).to_string()),
        "{e}"
    );
    assert_eq!(
        (
            x.ilk_art(LEGACY),
            x.ilk_art("GEN-USDS-A"),
            x.bal("usds", "gen_proxy")
        ),
        before
    );
    assert_eq!(
        x.gview(GeneratorView::Migration { prime: spark() })["tranches_done"],
        1
    );
}

#[test]
fn plans_with_a_cutover_in_the_past_or_in_a_processing_window_are_refused() {
    let mut x = Sys::new(&two_primes());
    let now = x.e.now().0; // 00:00 UTC
    let e = x
        .reg(GeneratorCall::SetMigrationPlan {
            prime: spark(),
            plan: plan(now - 1, &[1]),
        })
        .unwrap_err();
    assert_eq!(e.code(), "Migration/cutover-in-past");
    assert!(e.to_string().contains(&(now - 1).to_string()));
    for at in [now + 13 * 3600, now + 16 * 3600 - 1] {
        assert_eq!(
            code(x.reg(GeneratorCall::SetMigrationPlan {
                prime: spark(),
                plan: plan(at, &[1])
            })),
            "Migration/cutover-in-processing-window"
        );
    }
    assert_eq!(
        code(x.reg(GeneratorCall::SetMigrationPlan {
            prime: spark(),
            plan: plan(now + 16 * 3600, &[1])
        })),
        "ok"
    );
    assert_eq!(
        code(x.reg(GeneratorCall::SetMigrationPlan {
            prime: "grove".into(),
            plan: plan(now + 60, &[1])
        })),
        "Migration/no-legacy-ilk"
    );
    assert_eq!(
        code(x.reg(GeneratorCall::SetMigrationPlan {
            prime: "keel".into(),
            plan: plan(now + 60, &[1])
        })),
        "Generator/unknown-prime"
    );
    assert_eq!(
        code(x.reg(GeneratorCall::SetMigrationPlan {
            prime: spark(),
            plan: plan(now + 60, &[1, 0])
        })),
        "Migration/zero-tranche"
    );
}

#[test]
fn migration_steps_refuse_to_run_inside_the_processing_window() {
    let mut x = started(&[500, 500]);
    // now 01:00; move to 13:00 (the lock) and 15:59:59
    x.warp(12 * 3600);
    let e = x
        .reg(GeneratorCall::ExecuteTranche { prime: spark() })
        .unwrap_err();
    assert_eq!(e.code(), "Migration/in-processing-window");
    assert!(e.to_string().contains("executeTranche"));
    x.warp(3 * 3600 - 1);
    assert_eq!(
        code(x.reg(GeneratorCall::RollbackMigration { prime: spark() })),
        "Migration/in-processing-window"
    );
    x.warp(1); // 16:00: the window is over
    assert_eq!(
        code(x.reg(GeneratorCall::ExecuteTranche { prime: spark() })),
        "ok"
    );
}

#[test]
fn completion_needs_zero_legacy_debt_and_steps_need_their_status() {
    let mut x = planned(&[500]);
    assert_eq!(
        code(x.reg(GeneratorCall::ExecuteTranche { prime: spark() })),
        "Migration/wrong-status"
    );
    x.warp(3_600);
    x.reg(GeneratorCall::StartMigration { prime: spark() })
        .unwrap();
    x.reg(GeneratorCall::ExecuteTranche { prime: spark() })
        .unwrap();
    let e = x
        .reg(GeneratorCall::CompleteMigration { prime: spark() })
        .unwrap_err();
    assert_eq!(e.code(), "Migration/legacy-debt-remaining");
    assert!(e.to_string().contains(&wad(500).to_string()));
    // governance only
    let to = x.a("generator");
    assert_eq!(
        code(x.tx(
            "gen_relayer",
            laniakea_chain::call::Call::GeneratorRegistry(
                to,
                GeneratorCall::CompleteMigration { prime: spark() }
            )
        )),
        "AccessControl/unauthorized-account"
    );
}

#[test]
fn liquidity_buffer_follows_the_schedule_after_cutover() {
    let mut x = Sys::new(&two_primes());
    x.reg(GeneratorCall::SetLiquidityBuffer {
        min_idle: Wad::from_raw(wad(100)),
    })
    .unwrap();
    let at = x.e.now().0 + 3_600;
    let mut p = plan(at, &[500]);
    p.buffer_schedule = vec![Wad::from_raw(wad(500)), Wad::from_raw(wad(300))];
    x.reg(GeneratorCall::SetMigrationPlan {
        prime: spark(),
        plan: p,
    })
    .unwrap();
    let b = x.gview(GeneratorView::LiquidityBuffer);
    assert_eq!(
        b["required_wad"], "100",
        "the schedule counts from the cutover only"
    );
    assert_eq!(b["holds"], false);
    assert_eq!(b["shortfall_wad"], "100");
    x.warp(3_600);
    x.reg(GeneratorCall::StartMigration { prime: spark() })
        .unwrap();
    x.mint(wad(500)).unwrap();
    let b = x.gview(GeneratorView::LiquidityBuffer);
    assert_eq!(b["epoch"], "2026-01-01");
    assert_eq!(b["required_wad"], "500");
    assert_eq!(b["holds"], true);
    assert_eq!(b["headroom_wad"], "0");
    // the next epoch starts at 16:00
    x.warp(15 * 3600 - 1);
    assert_eq!(
        x.gview(GeneratorView::LiquidityBuffer)["required_wad"],
        "500"
    );
    x.warp(1);
    let b = x.gview(GeneratorView::LiquidityBuffer);
    assert_eq!(b["epoch"], "2026-01-02");
    assert_eq!(b["required_wad"], "300");
    assert_eq!(b["headroom_wad"], "200");
    x.warp(86_400);
    assert_eq!(
        x.gview(GeneratorView::LiquidityBuffer)["required_wad"],
        "100"
    );
}

#[test]
fn the_shipped_migration_example_meets_every_expectation() {
    let text = include_str!("../../../examples/generator-migration.jsonl");
    let out = laniakea_chain::script::parse(text).unwrap().run();
    assert!(
        out.unmet_expectations.is_empty(),
        "{:?}",
        out.unmet_expectations
    );
    let last = out.lines.last().unwrap();
    assert_eq!(
        last["summary"]["invariant_violations"],
        serde_json::json!([])
    );
    // two Primes migrated: the compatibility set is empty at the end, all debt sits in vaults
    let compat: Vec<_> = out
        .lines
        .iter()
        .filter(|l| l["fn"] == "compatibilitySet")
        .collect();
    assert_eq!(
        compat.first().unwrap()["returns"]["ilks"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        compat.last().unwrap()["returns"]["ilks"],
        serde_json::json!([])
    );
    let locs = out
        .lines
        .iter()
        .rev()
        .find(|l| l["fn"] == "debtLocations")
        .unwrap();
    for p in locs["returns"]["primes"].as_array().unwrap() {
        assert_eq!(p["legacy_debt_wad"], "0");
        assert_eq!(p["migration"], "completed");
    }
    let rolled = out
        .lines
        .iter()
        .filter(|l| l["fn"] == "rollbackMigration")
        .count();
    assert_eq!(rolled, 1);
}

#[test]
fn an_instant_beyond_the_calendar_is_a_typed_revert_not_a_panic() {
    let mut x = Sys::new(&two_primes());
    let end = laniakea_units::time::MAX_TIME.0;
    let e = x
        .reg(GeneratorCall::SetMigrationPlan {
            prime: spark(),
            plan: plan(end, &[1]),
        })
        .unwrap_err();
    assert_eq!(e.code(), "Generator/time-out-of-range");
    let now = x.e.now().0;
    x.warp(end - now);
    let to = x.a("generator");
    let r = laniakea_chain::Chain::view(
        &x.e,
        to,
        &laniakea_chain::Query::GeneratorRegistry(GeneratorView::LiquidityBuffer),
    );
    assert_eq!(r.unwrap_err().code(), "Generator/time-out-of-range");
}

/// The managed keys a migration writes, read from the state: the Prime's draw, repay and mint
/// keys and the Generator's withdraw key on the Prime's vault.
fn migration_keys(x: &Sys) -> Vec<laniakea_chain::rate_limits::RateLimitData> {
    let st = x.e.state();
    let (spark_rl, gen_rl) = (x.a("spark_rl"), x.a("gen_rl"));
    vec![
        st.rate_limit_data(spark_rl, x.draw_key("spark")),
        st.rate_limit_data(spark_rl, x.repay_key("spark")),
        st.rate_limit_data(spark_rl, limit_id(names::USDS_MINT)),
        st.rate_limit_data(gen_rl, x.vault_key(names::WITHDRAW_4626, "spark")),
    ]
}

/// The `RateLimitSetByExecutor` events logged since `from` (the Configurator's report of each
/// write it made for an executor).
fn executor_writes(x: &Sys, from: usize) -> Vec<serde_json::Value> {
    x.e.log()[from..]
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .filter(|e| e["event"] == "RateLimitSetByExecutor")
        .collect()
}

/// A migration with a plan draw limit on the builder's system: scopes on (the default) or off.
fn scoped_or_not(scoped: bool, tranches: &[u64]) -> Sys {
    let mut cfg = two_primes();
    if !scoped {
        cfg.scopes = None;
    }
    let mut x = Sys::new(&cfg);
    let at = x.e.now().0 + 3_600;
    let mut p = plan(at, tranches);
    p.draw_limit = Some(Limit::whole(5_000, 1));
    x.reg(GeneratorCall::SetMigrationPlan {
        prime: spark(),
        plan: p,
    })
    .unwrap();
    x.warp(3_600);
    x
}

/// The system builder deploys both Configurator scopes, so the Mainnet scope manages the
/// Primes' PAUs and the Generator scope the Generator's: the registry writes their rate limits
/// only as the approved executor the builder registered (through the bootstrap) for exactly the
/// keys migration needs. Start (with a plan draw limit), completion and rollback all work, every
/// write is reported by the Configurator with the executor and old/new values, and each step
/// leaves the limits exactly where the same step leaves them on an unscoped system
/// (differential: the scopes change who writes, never what).
#[test]
fn on_a_scoped_system_migration_writes_the_managed_limits_as_an_approved_executor() {
    for tranches in [&[1_000u64][..], &[400, 600][..]] {
        let (mut s, mut u) = (
            scoped_or_not(true, tranches),
            scoped_or_not(false, tranches),
        );
        assert!(s.e.state().managing_configurator(s.a("spark_rl")).is_some());
        assert!(u.e.state().managing_configurator(u.a("spark_rl")).is_none());
        let before = migration_keys(&s);
        assert_eq!(before, migration_keys(&u));
        let step = |s: &mut Sys, u: &mut Sys, c: GeneratorCall, writes: usize| {
            let (from, from_u) = (s.e.log().len(), u.e.log().len());
            s.reg(c.clone()).unwrap();
            u.reg(c).unwrap();
            assert_eq!(migration_keys(s), migration_keys(u), "{from}");
            let w = executor_writes(s, from);
            assert_eq!(w.len(), writes, "one report per managed write");
            for e in &w {
                assert_eq!(e["executor"], serde_json::json!(s.a("generator")));
            }
            assert!(executor_writes(u, from_u).is_empty());
            w
        };
        let w = step(
            &mut s,
            &mut u,
            GeneratorCall::StartMigration { prime: spark() },
            1,
        );
        assert_eq!(w[0]["key"], serde_json::json!(s.draw_key("spark")));
        assert_eq!(w[0]["change"], "lower", "unlimited → the plan's draw limit");
        assert_eq!(w[0]["new_max_amount_wad"], "5000");
        step(
            &mut s,
            &mut u,
            GeneratorCall::ExecuteTranche { prime: spark() },
            0,
        );
        if tranches.len() == 1 {
            // completion: the legacy mint key closes, the draw key is restored
            let w = step(
                &mut s,
                &mut u,
                GeneratorCall::CompleteMigration { prime: spark() },
                2,
            );
            assert_eq!(w[0]["key"], serde_json::json!(limit_id(names::USDS_MINT)));
            assert_eq!(w[0]["old_max_amount_wad"], "1000");
            assert_eq!(w[0]["new_max_amount_wad"], "0");
            assert_eq!(s.ilk_line(LEGACY), U256::ZERO);
            assert!(migration_keys(&s)[2].max_amount.is_zero());
            assert_eq!(migration_keys(&s)[0], before[0]);
        } else {
            // rollback: three keys opened and restored, then draw and mint restored (8 writes)
            step(
                &mut s,
                &mut u,
                GeneratorCall::RollbackMigration { prime: spark() },
                8,
            );
            assert_eq!(
                s.ilk_art(LEGACY),
                wad(1_000),
                "the debt is back on the legacy ilk"
            );
            let after = migration_keys(&s);
            assert_eq!(after[0].max_amount, before[0].max_amount);
            assert_eq!(after[2].max_amount, before[2].max_amount);
        }
        assert_eq!(s.vat_debt(), u.vat_debt());
    }
}

/// Nobody but an approved executor writes a managed limit, and only its own keys: governance
/// (`admin`, which still holds ADMIN on the RateLimits), the scope's own GovOps and the registry
/// on a key it is not approved for are refused with their own codes; a revocation (instant, by
/// the state's admin) takes effect in the same transaction, after which the registry's
/// completion is refused and changes nothing.
#[test]
fn only_an_approved_executor_writes_a_managed_limit_and_revocation_is_instant() {
    use laniakea_chain::call::{Call, Key, RateLimitsCall};
    use laniakea_chain::families::beam_state::BeamStateCall;
    use laniakea_chain::families::configurator::ConfiguratorCall;
    let mut x = scoped_or_not(true, &[1_000]);
    x.reg(GeneratorCall::StartMigration { prime: spark() })
        .unwrap();
    x.reg(GeneratorCall::ExecuteTranche { prime: spark() })
        .unwrap();
    let (main_cfg, spark_proxy) = (x.a("main_cfg"), x.a("spark_proxy"));
    let write = |key| {
        Call::Configurator(
            main_cfg,
            ConfiguratorCall::ExecutorSetRateLimitData {
                pau: spark_proxy,
                key: Key(key),
                max_amount: Wad::from_raw(wad(1)),
                slope: Wad::ZERO,
                last_amount: Wad::ZERO,
                last_updated: laniakea_units::Timestamp(0),
            },
        )
    };
    let mint = limit_id(names::USDS_MINT);
    let transfer = laniakea_chain::rate_limits::address_pair_key(
        limit_id(names::ASSET_TRANSFER),
        x.a("usds"),
        x.a("gen_proxy"),
    );
    let before = migration_keys(&x);
    for who in ["admin", "main_govops", "spark_relayer"] {
        assert_eq!(
            code(x.tx(who, write(mint))),
            "Configurator/executor-not-approved",
            "{who}"
        );
    }
    assert_eq!(
        code(x.tx("generator", write(transfer))),
        "Configurator/executor-not-approved",
        "the registry, on a key migration does not need"
    );
    // Directly on the RateLimits: the managed-contract guard, even for the registry's ADMIN.
    let direct = Call::RateLimits(
        x.a("spark_rl"),
        RateLimitsCall::SetMaxSlope {
            key: Key(mint),
            max_amount: Wad::ZERO,
            slope: Wad::ZERO,
        },
    );
    assert_eq!(
        code(x.tx("generator", direct.clone())),
        "Configurator/managed-contract"
    );
    assert_eq!(code(x.tx("admin", direct)), "Configurator/managed-contract");
    // Bad data from an approved executor: the full setter's rule, nothing written.
    let mut bad = write(mint);
    if let Call::Configurator(_, ConfiguratorCall::ExecutorSetRateLimitData { last_amount, .. }) =
        &mut bad
    {
        *last_amount = Wad::from_raw(wad(2));
    }
    assert_eq!(
        code(x.tx("generator", bad)),
        "RateLimits/invalid-lastAmount"
    );
    assert_eq!(
        migration_keys(&x),
        before,
        "nothing refused changed a limit"
    );
    // Revocation is instant: the very next completion is refused, nothing changes.
    let main_state = x.a("main_state");
    x.tx(
        "admin",
        Call::BeamState(
            main_state,
            BeamStateCall::RevokeExecutor {
                pau: spark_proxy,
                key: Key(mint),
                executor: x.a("generator"),
            },
        ),
    )
    .unwrap();
    assert_eq!(
        code(x.reg(GeneratorCall::CompleteMigration { prime: spark() })),
        "Configurator/executor-not-approved"
    );
    assert_eq!(migration_keys(&x), before);
    assert_eq!(
        x.ilk_line(LEGACY),
        U256::ZERO,
        "debt 0: the line followed it down"
    );
    assert_eq!(
        x.gview(GeneratorView::Migration { prime: spark() })["status"],
        "dual-run"
    );
}
