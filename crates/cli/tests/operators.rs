//! The settlement operator's exported inputs file through the `laniakea settle` binary (same
//! input digests as the posted statements), and `laniakea runbook` on the operator's Synome.
#![allow(clippy::unwrap_used)]

#[path = "../../operators/tests/common/mod.rs"]
mod common;

use common::*;
use laniakea_operators::governance::all_of;
use laniakea_settlement::EpochId;
use laniakea_synome::Kind;
use laniakea_units::Timestamp;
use serde_json::json;
use std::process::Command;

fn laniakea(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_laniakea"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn exported_inputs_reproduce_posted_statements_through_the_cli_and_the_runbook_shows_them() {
    let mut s = Sys::new();
    let mut db = Db::new();
    db.params(
        Timestamp(START - 2 * 86_400),
        json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.12", "penalty_rate_per_hour_wad": "0.001"}),
    );
    s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
    s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
    s.draw("grove", at("2026-01-01T07:00:00Z"), wad(500_000));
    s.deposit_susds("grove", at("2026-01-01T08:00:00Z"), wad(400_000));
    s.draw("keel", at("2026-01-01T09:30:00Z"), wad(3));
    let mut op = s.operator(&db);
    let epoch = EpochId::parse("2026-01-01").unwrap();
    s.warp(epoch.lock());
    op.post_statements(&s.e, &mut db.syn, epoch).unwrap();
    let file = op.inputs_file(&s.e, &mut db.syn, epoch).unwrap();
    let path = db.dir.path().join("inputs.json");
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();

    let (code, out, err) = laniakea(&["settle", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let result: serde_json::Value = serde_json::from_str(&out).unwrap();
    let posted = all_of(&mut db.syn, Kind::SettlementStatement, Some(epoch)).unwrap();
    assert_eq!(posted.len(), 3);
    for st in result["statements"].as_array().unwrap() {
        let rec = posted
            .iter()
            .find(|r| r.content.subject == format!("prime:{}", st["prime"].as_str().unwrap()))
            .unwrap();
        assert_eq!(rec.content.payload["input_digest"], st["input_digest"]);
        assert_eq!(rec.content.payload["statement"], *st);
    }

    let base = [
        "runbook",
        "--db",
        &db.path,
        "--epoch",
        "2026-01-01",
        "--at",
        "2026-01-01T14:00:00Z",
        "--deployment-start",
        "2026-01-01T00:00:00Z",
        "--prime",
        "spark",
        "--prime",
        "grove",
        "--prime",
        "keel",
    ];
    let (code, out, err) = laniakea(&base);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(
            "Processing Window runbook for epoch 2026-01-01 as of 2026-01-01 14:00 UTC"
        ),
        "{out}"
    );
    assert!(out.contains("3 of 3 statements posted"), "{out}");
    let mut with_json = base.to_vec();
    with_json.push("--json");
    let (code, out, err) = laniakea(&with_json);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["steps"][2]["step"], "post");
    assert_eq!(j["steps"][2]["status"], "done");
    assert_eq!(j["steps"][3]["status"], "pending");
    assert_eq!(j["as_of"], json!(1_767_276_000u64));
    // Bad input names the flag.
    let mut bad = base.to_vec();
    bad[4] = "2026-13-01";
    let (code, _, err) = laniakea(&bad);
    assert_eq!(code, 1);
    assert!(err.contains("invalid --epoch"), "{err}");
}

/// Every statement of a multi-epoch run — a skipped weekend, a late Prime payment (a penalty
/// the Prime owes) and a late Generator payment (a penalty the Generator owes, carried with
/// `owed_by: generator`) — is reproduced by `laniakea settle` from its exported inputs file.
#[test]
fn every_statement_of_a_multi_epoch_run_is_reproduced_by_laniakea_settle() {
    use laniakea_settlement::Direction;
    let mut s = Sys::new();
    let mut db = Db::new();
    db.params(
        Timestamp(START - 2 * 86_400),
        json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.12", "penalty_rate_per_hour_wad": "0.001"}),
    );
    s.draw("gen", at("2026-01-01T01:00:00Z"), wad(10_000));
    s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
    s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
    s.draw("grove", at("2026-01-01T07:00:00Z"), wad(500_000));
    s.deposit_susds("grove", at("2026-01-01T08:00:00Z"), wad(500_000));
    s.fund_vault("keel", at("2026-01-01T09:00:00Z"), wad(100_000));
    s.vault_draw("keel", at("2026-01-01T09:30:00Z"), wad(50_000));
    s.deploy_out("keel", at("2026-01-01T09:30:00Z"), wad(49_000));
    db.skip(at("2026-01-01T10:00:00Z"), "2026-01-03");
    db.skip(at("2026-01-01T10:00:00Z"), "2026-01-04");
    let mut op = s.operator(&db);
    let e = |d: &str| EpochId::parse(d).unwrap();
    let epochs = ["2026-01-01", "2026-01-02", "2026-01-05"];
    for (i, d) in epochs.iter().enumerate() {
        s.warp(e(d).lock());
        let (result, _) = op.post_statements(&s.e, &mut db.syn, e(d)).unwrap();
        // Day 1: spark pays 2 h late and the Generator pays grove 3 h late; later days on time.
        let late = i == 0;
        let pay_at = if late { "T18:00:00Z" } else { "T14:00:00Z" };
        for st in &result.statements {
            if st.direction == Direction::PrimePaysGenerator {
                s.pay_generator(&st.prime, at(&format!("{d}{pay_at}")), st.amount_due_wad);
            }
        }
        s.warp(at(&format!(
            "{d}{}",
            if late { "T19:00:00Z" } else { "T14:30:00Z" }
        )));
        op.pay_generator_side(&mut s.e, &mut db.syn, e(d)).unwrap();
        s.warp(at(&format!("{d}T20:00:00Z")));
        op.record_receipts(&s.e, &mut db.syn).unwrap();
        op.record_penalties(&mut s.e, &mut db.syn).unwrap();
    }
    let mut generator_owed = 0;
    for d in epochs {
        let file = op.inputs_file(&s.e, &mut db.syn, e(d)).unwrap();
        let path = db.dir.path().join(format!("inputs-{d}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
        let (code, out, err) = laniakea(&["settle", path.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{err}");
        let result: serde_json::Value = serde_json::from_str(&out).unwrap();
        let posted = all_of(&mut db.syn, Kind::SettlementStatement, Some(e(d))).unwrap();
        let statements = result["statements"].as_array().unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(posted.len(), 3);
        for st in statements {
            let rec = posted
                .iter()
                .find(|r| r.content.subject == format!("prime:{}", st["prime"].as_str().unwrap()))
                .unwrap();
            assert_eq!(
                rec.content.payload["input_digest"], st["input_digest"],
                "{d}"
            );
            assert_eq!(rec.content.payload["statement"], *st, "{d}");
            generator_owed += st["carried_penalties"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["owed_by"] == "generator")
                .count();
        }
    }
    assert_eq!(
        generator_owed, 1,
        "grove's penalty on the Generator's late payment"
    );
    // The checker's own recomputation agrees, the Generator-owed line included.
    let checker = laniakea_operators::checker::Checker {
        deployment_start: Timestamp(START),
        deployment: s.deployment(),
        writer: db.checker.clone(),
    };
    for d in epochs {
        let f = checker.check(&s.e, &mut db.syn, e(d)).unwrap();
        let ok = f
            .iter()
            .filter(|x| {
                x.check == "statement" && x.status == laniakea_operators::checker::Status::Ok
            })
            .count();
        assert_eq!(ok, 3, "{d}: {f:?}");
    }
}
