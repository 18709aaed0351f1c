//! The shipped Configurator scripts pass `laniakea exec --check` (issue 11), and `laniakea limits`
//! lists a scope's rate limits and timelock queue (human table and `--json`).

#![allow(clippy::unwrap_used)]
mod common;
use common::laniakea;

#[test]
fn configurator_story_scripts_pass_check() {
    for f in [
        "examples/configurator-onboarding.jsonl",
        "examples/configurator-emergency.jsonl",
    ] {
        let (code, out, err) = laniakea(&["exec", f, "--check"]);
        assert_eq!(code, 0, "{f}: {err}");
        assert!(
            out.lines().all(|l| !l.contains("\"expect_met\":false")),
            "{f}"
        );
    }
}

#[test]
fn limits_lists_headroom_init_raises_and_the_timelock_queue() {
    let (code, out, err) = laniakea(&[
        "limits",
        "examples/configurator-onboarding.jsonl",
        "--configurator",
        "main_cfg",
    ]);
    assert_eq!(code, 0, "{err}");
    for want in [
        "PAU spark_proxy (controller spark_ctrl), accordant GovOps: spark_govops",
        "LIMIT_USDS_MINT",
        "2,441,406.25",         // max after the ramp
        "953,125",              // headroom
        "1,000,000",            // init
        "2026-01-18 01:00 UTC", // last raise
        "2026-01-18 19:00 UTC", // earliest next raise = last raise + 18 h
        "grantCbeam alice on spark_proxy",
        "2026-02-01 01:00 UTC", // ready time: scheduled + 14 days
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let (code, out, _) = laniakea(&[
        "limits",
        "examples/configurator-onboarding.jsonl",
        "--configurator",
        "main_cfg",
        "--pau",
        "spark_proxy",
        "--json",
    ]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let limits = j["paus"][0]["rate_limits"]["limits"].as_array().unwrap();
    let mint = limits
        .iter()
        .find(|l| l["key"] == "0xcb0537d5e5dba65a8edbac12555995860e5b8e1b70996011edb1ca8173e56d3c")
        .unwrap();
    assert_eq!(mint["max_amount_wad"], "2441406.25");
    assert_eq!(mint["headroom_wad"], "953125");
    assert_eq!(
        mint["earliest_next_raise"].as_u64().unwrap(),
        mint["last_raise"].as_u64().unwrap() + 64_800
    );
    let ops = j["timelock_queue"]["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["operation"]["op"], "grantCbeam");
    assert_eq!(
        ops[0]["ready_at"].as_u64().unwrap(),
        j["now"].as_u64().unwrap() + 14 * 86_400
    );
}

#[test]
fn limits_refuses_an_unknown_configurator_or_pau() {
    let (code, _, err) = laniakea(&[
        "limits",
        "examples/configurator-emergency.jsonl",
        "--configurator",
        "nope",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid --configurator 'nope'"), "{err}");
    let (code, _, err) = laniakea(&[
        "limits",
        "examples/configurator-emergency.jsonl",
        "--configurator",
        "gen_rl",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid --configurator 'gen_rl'"), "{err}");
    let (code, _, err) = laniakea(&[
        "limits",
        "examples/configurator-emergency.jsonl",
        "--configurator",
        "gen_cfg",
        "--pau",
        "alice",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid --pau 'alice'"), "{err}");
}

/// On a system from the builder (scopes on by default) `limits` shows the Generator registry as
/// the approved executor of exactly the keys its migration writes on each Prime's PAU.
#[test]
fn limits_lists_the_registrys_approved_executors_on_a_built_system() {
    let (code, out, err) = laniakea(&[
        "limits",
        "examples/generator-migration.jsonl",
        "--configurator",
        "main_cfg",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("approved executors (outside SORL): generator for "),
        "{out}"
    );
    let (code, out, _) = laniakea(&[
        "limits",
        "examples/generator-migration.jsonl",
        "--configurator",
        "main_cfg",
        "--pau",
        "spark_proxy",
        "--json",
    ]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let x = j["paus"][0]["executors"].as_array().unwrap();
    // LIMIT_VAULT_DRAW⊕vault, LIMIT_VAULT_REPAY⊕vault, LIMIT_USDS_MINT
    assert_eq!(x.len(), 3, "{x:?}");
    assert!(x.iter().all(|e| e["executor"] == x[0]["executor"]));
    assert!(x
        .iter()
        .any(|e| e["key"] == "0xcb0537d5e5dba65a8edbac12555995860e5b8e1b70996011edb1ca8173e56d3c"));
}
