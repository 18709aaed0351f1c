//! A small demonstration Synome: genesis, role grants, the example epoch's statements (computed
//! from `examples/settlement-inputs.json`), a payment receipt, a late penalty and a Core Council
//! forgiveness — all signed with DEMO keys (deterministic, public, labelled as such).

use laniakea_settlement::inputs;
use laniakea_synome::{Kind, Provenance, Role, Signer, Store, Synome, Writer};
use laniakea_units::Timestamp;
use serde_json::json;

const INPUTS: &str = include_str!("../../../examples/settlement-inputs.json");

pub fn write<S: Store>(db: &mut Synome<S>) -> anyhow::Result<usize> {
    let epoch = inputs::parse(INPUTS)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .compute()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut council = Writer::new(db, Signer::demo("core-council"), Role::CoreCouncil)?;
    let mut operator = Writer::new(db, Signer::demo("settlement-operator"), Role::Operator)?;
    let mut checker = Writer::new(db, Signer::demo("lpla-checker"), Role::Checker)?;
    let lock = epoch.lock;
    let mut recs = Vec::new();
    if db.auth()?.council.is_none() {
        recs.push(council.record(
            Kind::Genesis,
            None,
            "global",
            Timestamp(lock.0 - 86_400 * 5),
            Provenance::GovernanceDirected,
            json!({"core_council": council.signer.address(), "deployment": "laniakea demo"}),
            None,
        )?);
    }
    for (role, w) in [("operator", &operator), ("checker", &checker)] {
        recs.push(council.record(
            Kind::RoleGrant,
            None,
            "global",
            Timestamp(lock.0 - 86_400 * 5),
            Provenance::GovernanceDirected,
            json!({"role": role, "address": w.signer.address()}),
            None,
        )?);
    }
    recs.push(council.record(
        Kind::Skip,
        Some(laniakea_settlement::EpochId::parse("2026-01-03")?),
        "global",
        Timestamp(lock.0 - 86_400 * 3),
        Provenance::GovernanceDirected,
        json!({"epoch": "2026-01-03", "reason": "weekend"}),
        None,
    )?);
    recs.push(council.record(
        Kind::Skip,
        Some(laniakea_settlement::EpochId::parse("2026-01-04")?),
        "global",
        Timestamp(lock.0 - 86_400 * 3),
        Provenance::GovernanceDirected,
        json!({"epoch": "2026-01-04", "reason": "weekend"}),
        None,
    )?);
    for s in &epoch.statements {
        recs.push(operator.record(
            Kind::SettlementStatement,
            Some(epoch.epoch),
            &format!("prime:{}", s.prime),
            Timestamp(lock.0 + 600),
            Provenance::SystemDerived,
            json!({"prime": s.prime, "total_wad": s.total_wad.to_string(), "direction": serde_json::to_value(s.direction)?, "input_digest": s.input_digest, "statement": serde_json::to_value(s)?}),
            None,
        )?);
    }
    let due = epoch.due.0;
    recs.push(operator.record(Kind::PaymentReceipt, Some(epoch.epoch), "prime:spark", Timestamp(due + 7200), Provenance::SystemDerived, json!({"prime": "spark", "payer": "prime", "tx": "demo-tx-1", "amount_wad": epoch.statements[0].amount_due_wad, "paid_at": due + 7200, "obligation": format!("{}/spark/1", epoch.epoch)}), None)?);
    let penalty = operator.record(Kind::PenaltyEvent, Some(epoch.epoch), "prime:spark", Timestamp(due + 7200), Provenance::SystemDerived, json!({"prime": "spark", "obligation": format!("{}/spark/1", epoch.epoch), "amount_wad": "1.011219178082191780", "from": due, "to": due + 7200}), None)?;
    let pid = penalty.id;
    recs.push(penalty);
    recs.push(council.record(Kind::Forgiveness, Some(epoch.epoch), "prime:spark", Timestamp(due + 86_400), Provenance::GovernanceDirected, json!({"penalty": pid, "amount_wad": "0.5", "rationale": "first week of daily settlement: operator runbook incident"}), None)?);
    recs.push(checker.record(Kind::VerificationReport, Some(epoch.epoch), "global", Timestamp(due + 60), Provenance::SystemDerived, json!({"findings": epoch.statements.iter().map(|s| json!({"check": "statement-recomputed", "status": "ok", "subject": format!("prime:{}", s.prime)})).collect::<Vec<_>>()}), None)?);
    let n = recs.len();
    db.append_batch(&recs)?;
    Ok(n)
}
