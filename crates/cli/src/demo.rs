//! A small demonstration Synome: genesis (marked DEMO), role grants, the example epoch's
//! statements (computed from `examples/settlement-inputs.json`), a payment receipt, a late
//! penalty, a Core Council forgiveness, a verification report and a checkpoint — all signed with
//! DEMO keys (deterministic, public, labelled as such). Writes only into an empty store.

use laniakea_settlement::{inputs, EpochId};
use laniakea_synome::{Draft, Kind, Provenance, Role, Signer, Store, Synome, Writer};
use laniakea_units::Timestamp;
use serde_json::json;

const INPUTS: &str = include_str!("../../../examples/settlement-inputs.json");

fn demo(label: &str, role: Role) -> Writer {
    Writer::new(Signer::demo(label), role)
}

pub fn write<S: Store>(db: &mut Synome<S>) -> anyhow::Result<usize> {
    let epoch = inputs::parse(INPUTS)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .compute()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let n = db.store().count()?;
    if n > 0 {
        anyhow::bail!(
            "{} already holds {n} records: `synome demo` writes a fresh DEMO Synome into an empty store only",
            db.store().describe()
        );
    }
    let council = demo("core-council", Role::CoreCouncil);
    let operator = demo("settlement-operator", Role::Operator);
    let checker = demo("lpla-checker", Role::Checker);
    let lock = epoch.lock;
    let gov = Provenance::GovernanceDirected;
    let sys = Provenance::SystemDerived;
    let global = |kind, at, p, prov| Draft::new(kind, "global", Timestamp(at), prov, p);
    let mut tip = db.tip()?;
    let mut recs = Vec::new();
    let mut setup = Vec::new();
    setup.push(global(
        Kind::Genesis,
        lock.0 - 86_400 * 5,
        json!({"core_council": council.signer.address(), "deployment": "laniakea demo", "demo_key": "core-council"}),
        gov,
    ));
    for (role, w) in [("operator", &operator), ("checker", &checker)] {
        setup.push(global(
            Kind::RoleGrant,
            lock.0 - 86_400 * 5,
            json!({"role": role, "address": w.signer.address(), "demo_key": w.signer.label()}),
            gov,
        ));
    }
    for day in ["2026-01-03", "2026-01-04"] {
        setup.push(
            global(
                Kind::Skip,
                lock.0 - 86_400 * 3,
                json!({"epoch": day, "reason": "weekend"}),
                gov,
            )
            .epoch(EpochId::parse(day)?),
        );
    }
    recs.extend(council.seal(&mut tip, setup)?);
    let mut ops = Vec::new();
    for s in &epoch.statements {
        ops.push(Draft::new(
            Kind::SettlementStatement,
            &format!("prime:{}", s.prime),
            Timestamp(lock.0 + 600),
            sys,
            json!({"prime": s.prime, "total_wad": s.total_wad.to_string(), "direction": serde_json::to_value(s.direction)?, "input_digest": s.input_digest, "statement": serde_json::to_value(s)?}),
        ).epoch(epoch.epoch));
    }
    let due = epoch.due.0;
    ops.push(Draft::new(Kind::PaymentReceipt, "prime:spark", Timestamp(due + 7200), sys, json!({"prime": "spark", "payer": "prime", "tx": "demo-tx-1", "amount_wad": epoch.statements[0].amount_due_wad, "paid_at": due + 7200, "obligation": format!("{}/spark/1", epoch.epoch)})).epoch(epoch.epoch));
    ops.push(Draft::new(Kind::PenaltyEvent, "prime:spark", Timestamp(due + 7200), sys, json!({"prime": "spark", "obligation": format!("{}/spark/1", epoch.epoch), "amount_wad": "1.011219178082191780", "from": due, "to": due + 7200})).epoch(epoch.epoch));
    let ops = operator.seal(&mut tip, ops)?;
    let penalty = ops.last().map(|r| r.id).unwrap_or_default();
    recs.extend(ops);
    recs.push(checker.seal_one(&mut tip, Draft::new(Kind::VerificationReport, "global", Timestamp(due + 60), sys, json!({"findings": epoch.statements.iter().map(|s| json!({"check": "statement-recomputed", "status": "ok", "subject": format!("prime:{}", s.prime)})).collect::<Vec<_>>()})).epoch(epoch.epoch))?);
    recs.push(council.seal_one(&mut tip, Draft::new(Kind::Forgiveness, "prime:spark", Timestamp(due + 86_400), gov, json!({"penalty": penalty, "amount_wad": "0.5", "rationale": "first week of daily settlement: operator runbook incident"})).epoch(epoch.epoch))?);
    let position = tip.position;
    recs.push(
        operator.seal_one(
            &mut tip,
            Draft::new(
                Kind::Checkpoint,
                "global",
                Timestamp(due + 86_400),
                sys,
                json!({"epoch": epoch.epoch.to_string(), "position": position}),
            )
            .epoch(epoch.epoch),
        )?,
    );
    let out = db.append_batch(&recs)?;
    Ok(out
        .iter()
        .filter(|a| matches!(a, laniakea_synome::Appended::Stored { .. }))
        .count())
}
