//! The settlement operator over several epochs of a small system (Generator + spark, grove,
//! keel on legacy ilks): a skipped weekend, a balance change inside the window, a negative net
//! (the Generator pays), a late partial payment with a penalty, an escalation, a partial
//! forgiveness; every step re-run is a no-op; a fresh operator resumes; every statement is
//! reproduced from its exported inputs file.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use laniakea_operators::governance::all_of;
use laniakea_operators::settlement::SettlementOperator;
use laniakea_settlement::inputs;
use laniakea_settlement::ledger::Payer;
use laniakea_settlement::{Direction, EpochId};
use laniakea_synome::{Draft, Kind, Provenance};
use laniakea_units::{Timestamp, Wad, U256, WAD};
use serde_json::json;
use std::collections::BTreeMap;

const PENALTY_PER_HOUR: &str = "0.001"; // 0.1% per hour

fn e(s: &str) -> EpochId {
    EpochId::parse(s).unwrap()
}

struct Run {
    s: Sys,
    db: Db,
    op: SettlementOperator,
    /// epoch → prime → (direction, amount due)
    due: BTreeMap<String, BTreeMap<String, (Direction, Wad)>>,
    /// Replace the operator by a fresh one before every step (a restart after each step).
    restart: bool,
}

impl Run {
    fn new() -> Run {
        let mut s = Sys::new();
        let mut db = Db::new();
        db.params(
            Timestamp(START - 2 * 86_400),
            json!({"effective_epoch": "2025-12-30", "base_rate_apr": "0.05", "ssr_apr": "0.12", "penalty_rate_per_hour_wad": PENALTY_PER_HOUR}),
        );
        // The Generator's liquidity buffer floor: 5 000 USDS from the first Moment of Settlement.
        db.params(
            Timestamp(START - 2 * 86_400),
            json!({"effective_epoch": "2026-01-01", "generator_buffer_min_wad": "5000"}),
        );
        // The Generator holds some USDS to pay Primes with (above its 5 000 buffer floor).
        s.draw("gen", at("2026-01-01T01:00:00Z"), wad(10_000));
        let op = s.operator(&db);
        Run {
            s,
            db,
            op,
            due: BTreeMap::new(),
            restart: false,
        }
    }
    /// Lock: statements posted; checks idempotence of the step.
    fn lock(&mut self, epoch: &str) {
        self.s.warp(e(epoch).lock());
        let (result, out) = self
            .op
            .post_statements(&self.s.e, &mut self.db.syn, e(epoch))
            .unwrap();
        assert_eq!(out.written, 3, "{epoch}: one statement per Prime");
        let (_, again) = self
            .op
            .post_statements(&self.s.e, &mut self.db.syn, e(epoch))
            .unwrap();
        assert_eq!((again.written, again.already), (0, 3));
        let m = result
            .statements
            .iter()
            .map(|st| (st.prime.clone(), (st.direction, st.amount_due_wad)))
            .collect();
        self.due.insert(epoch.to_string(), m);
    }
    /// A restart point: with `restart`, the next step runs on a fresh operator.
    fn maybe_restart(&mut self) {
        if self.restart {
            self.op = self.s.operator(&self.db);
        }
    }
    fn pay_gen(&mut self, epoch: &str) -> usize {
        self.maybe_restart();
        self.op
            .pay_generator_side(&mut self.s.e, &mut self.db.syn, e(epoch))
            .unwrap()
            .written
    }
    fn amount(&self, epoch: &str, prime: &str) -> Wad {
        self.due[epoch][prime].1
    }
    fn settle(&mut self, at_: Timestamp) {
        self.s.warp(at_);
        self.op
            .record_receipts(&self.s.e, &mut self.db.syn)
            .unwrap();
        self.op
            .record_penalties(&mut self.s.e, &mut self.db.syn)
            .unwrap();
        // Re-running is a no-op.
        assert_eq!(
            self.op
                .record_receipts(&self.s.e, &mut self.db.syn)
                .unwrap()
                .written,
            0
        );
        assert_eq!(
            self.op
                .record_penalties(&mut self.s.e, &mut self.db.syn)
                .unwrap()
                .written,
            0
        );
    }
    fn records(&mut self, kind: Kind) -> Vec<laniakea_synome::SignedRecord> {
        all_of(&mut self.db.syn, kind, None).unwrap()
    }
}

fn scenario() -> Run {
    scenario_with(false)
}

fn scenario_with(restart: bool) -> Run {
    let mut r = Run::new();
    r.restart = restart;
    // Epoch 2026-01-01 (Thu): window [00:00, 13:00).
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
    r.s.draw("grove", at("2026-01-01T06:00:00Z"), wad(500_000));
    r.s.deposit_susds("grove", at("2026-01-01T06:00:00Z"), wad(500_000));
    r.s.draw("keel", at("2026-01-01T08:00:00Z"), wad(200_000));
    r.s.deploy_out("keel", at("2026-01-01T08:00:00Z"), wad(190_000));
    // spark also borrows from its Prime vault (funded by the Generator) and repays part.
    r.s.fund_vault("spark", at("2026-01-01T08:00:00Z"), wad(500_000));
    r.s.vault_draw("spark", at("2026-01-01T08:00:00Z"), wad(400_000));
    r.s.deploy_out("spark", at("2026-01-01T08:00:00Z"), wad(350_000));
    r.s.vault_repay("spark", at("2026-01-01T10:00:00Z"), wad(50_000));
    // Governance tags the external strategy's address for keel (tier 4, USDS): it earns from
    // the next epoch on.
    let stranger = r.s.a("stranger");
    r.db.syn
        .write(
            &r.db.council,
            vec![Draft::new(
                Kind::TaggedAddress,
                "prime:keel",
                at("2026-01-01T09:00:00Z"),
                Provenance::GovernanceDirected,
                json!({"prime": "keel", "address": stranger, "asset": "USDS", "tier": 4}),
            )],
        )
        .unwrap();
    // A balance change inside the Processing Window belongs to the next epoch.
    r.s.draw("spark", at("2026-01-01T12:59:59Z"), wad(1));
    r.s.wipe("spark", at("2026-01-01T13:00:00Z"), wad(1));
    r.lock("2026-01-01");
    assert_eq!(
        r.due["2026-01-01"]["grove"].0,
        Direction::GeneratorPaysPrime,
        "sUSDS spread above the Base Rate: negative net"
    );
    assert_eq!(
        r.due["2026-01-01"]["spark"].0,
        Direction::PrimePaysGenerator
    );
    let (a_spark, a_keel) = (
        r.amount("2026-01-01", "spark"),
        r.amount("2026-01-01", "keel"),
    );
    r.s.pay_generator("spark", at("2026-01-01T14:00:00Z"), a_spark);
    r.s.warp(at("2026-01-01T14:30:00Z"));
    assert_eq!(r.pay_gen("2026-01-01"), 1);
    assert_eq!(r.pay_gen("2026-01-01"), 0, "already paid on chain");
    r.s.pay_generator("keel", at("2026-01-01T16:00:00Z"), a_keel); // at 16:00:00 exactly: on time
    r.settle(at("2026-01-01T16:00:00Z"));

    // Epoch 2026-01-02 (Fri): spark pays half on time and half two hours late; keel pays
    // nothing until Monday (escalation); governance skips the weekend before Saturday's lock.
    // Fault: the Generator sends 8 000 USDS out at 09:00, below its 5 000 buffer floor, and
    // refills at 11:00.
    r.s.gen_send("surplus", at("2026-01-02T09:00:00Z"), wad(8_000));
    r.s.draw("gen", at("2026-01-02T11:00:00Z"), wad(10_000));
    r.db.skip(at("2026-01-02T10:00:00Z"), "2026-01-03");
    r.db.skip(at("2026-01-02T10:00:00Z"), "2026-01-04");
    r.lock("2026-01-02");
    let a2 = r.amount("2026-01-02", "spark");
    let half = Wad::from_raw(a2.raw() / U256::from(2u8));
    r.s.pay_generator("spark", at("2026-01-02T15:00:00Z"), half);
    r.s.warp(at("2026-01-02T15:10:00Z"));
    r.pay_gen("2026-01-02");
    r.settle(at("2026-01-02T16:00:00Z"));
    r.s.pay_generator(
        "spark",
        at("2026-01-02T18:00:00Z"),
        Wad::from_raw(a2.raw() - half.raw()),
    );
    r.settle(at("2026-01-02T18:00:00Z"));

    // Epoch 2026-01-05 (Mon): window [Fri 13:00, Mon 13:00). Fault: on Saturday the
    // Generator withdraws 120 000 from spark's vault, leaving 30 000 idle of 380 000 (< 10%).
    r.s.vault_withdraw("spark", at("2026-01-03T10:00:00Z"), wad(120_000));
    // GovOps reports grove's idle USDS at a custodian and spark's Sky Direct allocation.
    let govops = r.db.govops.clone();
    r.db.syn
        .write(
            &govops,
            vec![
                Draft::new(
                    Kind::IdleLocationReport,
                    "prime:grove",
                    at("2026-01-05T12:00:00Z"),
                    Provenance::SystemDerived,
                    json!({"prime": "grove", "location": "custodian", "balances": [
                        {"at": at("2026-01-02T12:00:00Z"), "balance_wad": wad(5_000)},
                        {"at": at("2026-01-04T00:00:00Z"), "balance_wad": wad(7_000)}]}),
                ),
                Draft::new(
                    Kind::SkyDirectReport,
                    "prime:spark",
                    at("2026-01-05T12:00:00Z"),
                    Provenance::SystemDerived,
                    json!({"prime": "spark", "allocation": "treasuries", "exposure": [
                        {"at": at("2026-01-02T12:00:00Z"), "balance_wad": wad(100_000)}],
                        "actual_profit_wad": wad(10)}),
                )
                .epoch(e("2026-01-05")),
            ],
        )
        .unwrap();
    r.lock("2026-01-05");
    for p in ["spark", "grove"] {
        let a = r.amount("2026-01-05", p);
        if r.due["2026-01-05"][p].0 == Direction::PrimePaysGenerator {
            r.s.pay_generator(p, at("2026-01-05T14:00:00Z"), a);
        }
    }
    r.s.warp(at("2026-01-05T14:10:00Z"));
    r.pay_gen("2026-01-05");
    r.settle(at("2026-01-05T16:00:00Z"));
    let keel_owes =
        Wad::from_raw(r.amount("2026-01-02", "keel").raw() + r.amount("2026-01-05", "keel").raw());
    r.s.pay_generator("keel", at("2026-01-05T17:00:00Z"), keel_owes);
    r.settle(at("2026-01-05T17:00:00Z"));
    // Fault: USDS reaches the Generator from an address that is no Prime's ALMProxy.
    r.s.usds_transfer("stranger", "gen_proxy", at("2026-01-05T17:30:00Z"), wad(25));
    r.settle(at("2026-01-05T17:30:00Z"));
    r
}

#[test]
fn several_epochs_with_a_skipped_weekend_a_late_payment_and_a_negative_net() {
    let mut r = scenario();
    // Exactly one statement per Prime per executed epoch; none for the skipped weekend.
    let statements = r.records(Kind::SettlementStatement);
    let mut per: BTreeMap<(String, String), usize> = BTreeMap::new();
    for st in &statements {
        *per.entry((
            st.content.epoch.unwrap().to_string(),
            st.content.subject.clone(),
        ))
        .or_default() += 1;
    }
    assert_eq!(per.len(), 9);
    assert!(per.values().all(|n| *n == 1));
    assert!(per
        .keys()
        .all(|(ep, _)| ep != "2026-01-03" && ep != "2026-01-04"));

    // Debt by location: spark's vault principal (400k drawn at 08:00, 50k repaid at 10:00)
    // is in its first statement's inputs next to its legacy-ilk debt.
    let file =
        r.op.inputs_file(&r.s.e, &mut r.db.syn, e("2026-01-01"))
            .unwrap();
    let spark_in = file["primes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["prime"] == "spark")
        .unwrap()
        .clone();
    assert_eq!(
        spark_in["debt_vault"],
        json!({"initial": Wad::ZERO, "changes": [
            {"at": at("2026-01-01T08:00:00Z").0, "balance": wad(400_000)},
            {"at": at("2026-01-01T10:00:00Z").0, "balance": wad(350_000)},
        ]})
    );
    let monday =
        r.op.inputs_file(&r.s.e, &mut r.db.syn, e("2026-01-05"))
            .unwrap();
    assert_eq!(
        monday["primes"][1]["idle_usds"][1],
        json!({"location": "custodian", "balance": {"initial": wad(5_000), "changes": [
            {"at": at("2026-01-04T00:00:00Z").0, "balance": wad(7_000)}]}})
    );
    assert_eq!(
        monday["primes"][0]["sky_direct"],
        json!([{"allocation": "treasuries", "exposure": {"initial": wad(100_000), "changes": []}, "actual_profit": wad(10)}])
    );
    assert_eq!(monday["tags"][0]["tier"], 4);
    assert_eq!(
        file["primes"][1]["debt_vault"],
        json!({"initial": Wad::ZERO, "changes": []}),
        "grove has no vault debt"
    );

    // spark's late half: 2 h × half × 0.1%/h, crystallised at Monday's Moment of Settlement
    // (the next executed one) and owed in the following epoch.
    let penalties = r.records(Kind::PenaltyEvent);
    let spark: Vec<_> = penalties
        .iter()
        .filter(|p| p.content.subject == "prime:spark")
        .collect();
    assert_eq!(spark.len(), 1, "{spark:?}");
    let a2 = r.amount("2026-01-02", "spark");
    let half_rest = a2.raw() - a2.raw() / U256::from(2u8);
    let rate = U256::from(WAD) / U256::from(1000u32);
    let expected = half_rest * U256::from(2u8) * rate / WAD;
    assert_eq!(
        spark[0].content.payload["amount_wad"],
        json!(Wad::from_raw(expected))
    );
    // Crystallised when Monday's statement is posted (at its lock) and carried by it.
    assert_eq!(
        spark[0].content.payload["to"],
        json!(e("2026-01-05").lock())
    );
    assert_eq!(spark[0].content.epoch, Some(e("2026-01-05")));
    let monday: Vec<_> = all_of(
        &mut r.db.syn,
        Kind::SettlementStatement,
        Some(e("2026-01-05")),
    )
    .unwrap()
    .into_iter()
    .filter(|x| x.content.subject == "prime:spark")
    .collect();
    assert_eq!(
        monday[0].content.payload["statement"]["carried_penalties"],
        json!([{"penalty_id": "spark#p1", "amount_wad": Wad::from_raw(expected)}])
    );

    // keel: 72 h late at Monday 16:00 → a restriction escalation record.
    let esc = r.records(Kind::Escalation);
    assert_eq!(esc.len(), 1, "{esc:?}");
    assert_eq!(esc[0].content.payload["prime"], "keel");
    assert_eq!(esc[0].content.payload["state"], "restricted");
    assert_eq!(esc[0].content.payload["late_s"], 72 * 3600);
    // ... which set keel's vault draw limit to 0 through its GovOps (the admin path: no
    // Configurator scope in this system).
    assert!(esc[0].content.payload["restriction"]
        .as_str()
        .unwrap()
        .starts_with("tx:"));
    assert_eq!(draw_limit(&r, "keel"), (Wad::ZERO, Wad::ZERO));
    assert_eq!(draw_limit(&r, "spark"), (Wad::MAX, Wad::ZERO));

    // Receipts: every payment seen, matched to obligations; grove's came from the Generator.
    let receipts = r.records(Kind::PaymentReceipt);
    assert!(receipts.iter().any(
        |x| x.content.payload["prime"] == "grove" && x.content.payload["payer"] == "generator"
    ));
    let spark_receipts: Vec<_> = receipts
        .iter()
        .filter(|x| x.content.payload["prime"] == "spark")
        .collect();
    assert_eq!(
        spark_receipts.len(),
        4,
        "epoch 1, epoch 2 in two parts, epoch 3"
    );
    assert!(spark_receipts
        .iter()
        .all(|x| x.content.payload["obligation"]
            .as_str()
            .unwrap()
            .starts_with("spark#")));

    // Invariant 9 on every Prime's book.
    let books = r.op.books(&r.s.e, &mut r.db.syn, r.s.e.now()).unwrap();
    for b in books.values() {
        b.ledger.check_invariant_9().unwrap();
    }
    assert!(books["spark"]
        .open_wad(Payer::Prime, e("2026-01-05").moment())
        .is_zero());
    // The Synome verifies.
    assert!(r.db.syn.verify(&[]).unwrap().is_ok());
}

#[test]
fn every_statement_is_reproduced_from_its_exported_inputs_file() {
    let mut r = scenario();
    for ep in ["2026-01-01", "2026-01-02", "2026-01-05"] {
        let file = r.op.inputs_file(&r.s.e, &mut r.db.syn, e(ep)).unwrap();
        let result = inputs::parse(&file.to_string()).unwrap().compute().unwrap();
        let posted = all_of(&mut r.db.syn, Kind::SettlementStatement, Some(e(ep))).unwrap();
        assert_eq!(posted.len(), 3);
        for st in &result.statements {
            let rec = posted
                .iter()
                .find(|x| x.content.subject == format!("prime:{}", st.prime))
                .unwrap();
            assert_eq!(
                rec.content.payload["input_digest"],
                json!(st.input_digest),
                "{ep} {}",
                st.prime
            );
            assert_eq!(
                rec.content.payload["statement"],
                serde_json::to_value(st).unwrap()
            );
        }
        // Distributions: the posted records are the eligible, non-zero lines of the file.
        let posted: Vec<_> = all_of(&mut r.db.syn, Kind::Distribution, Some(e(ep)))
            .unwrap()
            .into_iter()
            .map(|x| x.content.payload)
            .collect();
        let lines: Vec<_> = result
            .distributions
            .iter()
            .filter(|l| l.eligible && !l.reward_wad.is_zero())
            .map(|l| json!({"prime": l.prime, "address": l.address, "tier": l.tier, "reward_wad": l.reward_wad}))
            .collect();
        assert_eq!(posted, lines, "{ep}");
        assert_eq!(
            lines.is_empty(),
            ep == "2026-01-01",
            "the tag earns from epoch 2"
        );
    }
    // The Monday window starts at Friday's lock (the weekend is measured by Monday).
    let file =
        r.op.inputs_file(&r.s.e, &mut r.db.syn, e("2026-01-05"))
            .unwrap();
    assert_eq!(file["skips"], json!(["2026-01-03", "2026-01-04"]));
    let parsed = inputs::parse(&file.to_string()).unwrap();
    assert_eq!(parsed.window.start, e("2026-01-02").lock());
    assert_eq!(parsed.window.end, e("2026-01-05").lock());
}

#[test]
fn a_fresh_operator_resumes_without_duplicating_anything() {
    let mut r = scenario();
    let before = laniakea_synome::Store::count(r.db.syn.store()).unwrap();
    let mut fresh = r.s.operator(&r.db);
    for ep in ["2026-01-01", "2026-01-02", "2026-01-05"] {
        let (_, out) = fresh.post_statements(&r.s.e, &mut r.db.syn, e(ep)).unwrap();
        assert_eq!(out.written, 0);
        assert_eq!(
            fresh
                .pay_generator_side(&mut r.s.e, &mut r.db.syn, e(ep))
                .unwrap()
                .written,
            0
        );
    }
    assert_eq!(
        fresh
            .record_receipts(&r.s.e, &mut r.db.syn)
            .unwrap()
            .written,
        0
    );
    assert_eq!(
        fresh
            .record_penalties(&mut r.s.e, &mut r.db.syn)
            .unwrap()
            .written,
        0
    );
    let after = laniakea_synome::Store::count(r.db.syn.store()).unwrap();
    assert_eq!(before, after);
}

#[test]
fn a_partial_forgiveness_reduces_what_is_open_and_the_penalty_record_stays() {
    let mut r = Run::new();
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
    r.lock("2026-01-01");
    let a = r.amount("2026-01-01", "spark");
    r.s.pay_generator("spark", at("2026-01-01T19:00:00Z"), a); // three hours late
    r.lock("2026-01-02"); // carries the penalty
    r.s.warp(at("2026-01-02T13:10:00Z"));
    r.op.record_receipts(&r.s.e, &mut r.db.syn).unwrap();
    r.op.record_penalties(&mut r.s.e, &mut r.db.syn).unwrap();
    let pen = r
        .records(Kind::PenaltyEvent)
        .into_iter()
        .find(|p| p.content.subject == "prime:spark")
        .unwrap();
    let amount: Wad = serde_json::from_value(pen.content.payload["amount_wad"].clone()).unwrap();
    let part = Wad::from_raw(amount.raw() / U256::from(2u8));
    let d = Draft::new(
        Kind::Forgiveness,
        "prime:spark",
        at("2026-01-02T13:30:00Z"),
        Provenance::GovernanceDirected,
        json!({"penalty": pen.id, "amount_wad": part, "rationale": "first late payment under daily settlement"}),
    )
    .epoch(e("2026-01-02"));
    r.db.syn.write(&r.db.council, vec![d]).unwrap();
    let due_before = r.amount("2026-01-02", "spark");
    let books =
        r.op.books(&r.s.e, &mut r.db.syn, at("2026-01-02T13:30:00Z"))
            .unwrap();
    let b = &books["spark"];
    let p = b.penalties().next().unwrap();
    assert_eq!(p.forgiven_wad(), part);
    // Forgiven after the carry: it reduces what is open on the statement that carried it.
    assert_eq!(
        b.open_wad(Payer::Prime, e("2026-01-02").moment()),
        Wad::from_raw(due_before.raw() - part.raw())
    );
    b.ledger.check_invariant_9().unwrap();
    assert_eq!(r.db.syn.get(pen.id).unwrap().unwrap().content, pen.content);
}

#[test]
fn a_statement_already_posted_with_other_inputs_is_not_posted_twice() {
    let mut r = Run::new();
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(1_000));
    r.lock("2026-01-01");
    // A restarted operator misconfigured with another deployment start computes other inputs
    // (another sequence number and window): it must refuse, not post a second statement.
    let mut other = r.s.operator(&r.db);
    other.config.deployment_start = Timestamp(START - 86_400);
    let err = other
        .post_statements(&r.s.e, &mut r.db.syn, e("2026-01-01"))
        .err()
        .unwrap();
    assert_eq!(err.code(), "operator/statement-mismatch", "{err}");
}

#[test]
fn the_operator_refuses_to_compute_before_the_lock() {
    let mut r = Run::new();
    r.s.warp(at("2026-01-01T12:59:59Z"));
    let err =
        r.op.post_statements(&r.s.e, &mut r.db.syn, e("2026-01-01"))
            .err()
            .unwrap();
    assert_eq!(err.code(), "operator/too-early");
    assert_eq!(
        all_of(&mut r.db.syn, Kind::SettlementStatement, None)
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn statements_of_a_skipped_epoch_are_refused() {
    let mut r = Run::new();
    r.db.skip(at("2026-01-01T10:00:00Z"), "2026-01-01");
    r.s.warp(at("2026-01-01T13:00:00Z"));
    let err =
        r.op.post_statements(&r.s.e, &mut r.db.syn, e("2026-01-01"))
            .err()
            .unwrap();
    assert_eq!(err.code(), "operator/epoch", "{err}");
}

fn primes() -> Vec<String> {
    PRIMES.iter().map(|p| p.to_string()).collect()
}

#[test]
fn the_runbook_derives_each_steps_status_from_the_synome_and_the_chain_time() {
    use laniakea_operators::runbook::{render, runbook, Status, Step};
    let mut r = scenario();
    let rb = runbook(
        &mut r.db.syn,
        Timestamp(START),
        &primes(),
        e("2026-01-01"),
        at("2026-01-01T16:30:00Z"),
    )
    .unwrap();
    let st = |s: Step| rb.steps.iter().find(|l| l.step == s).unwrap().status;
    assert_eq!(st(Step::Lock), Status::Done);
    assert_eq!(st(Step::Compute), Status::Done);
    assert_eq!(st(Step::Post), Status::Done);
    assert_eq!(st(Step::Pay), Status::Done);
    assert_eq!(
        st(Step::Verify),
        Status::Pending,
        "no checker report yet, before 16:30"
    );
    assert_eq!(st(Step::Settle), Status::Done);
    assert_eq!(st(Step::Report), Status::Pending, "before 17:00");
    let steps: Vec<Step> = rb.steps.iter().map(|l| l.step).collect();
    assert_eq!(
        steps,
        [
            Step::Lock,
            Step::Compute,
            Step::Post,
            Step::Pay,
            Step::Verify,
            Step::Settle,
            Step::Report
        ]
    );
    // Epoch 2026-01-02: keel did not pay by 16:00 → pay is overdue then.
    let rb2 = runbook(
        &mut r.db.syn,
        Timestamp(START),
        &primes(),
        e("2026-01-02"),
        at("2026-01-02T16:30:00Z"),
    )
    .unwrap();
    assert_eq!(
        rb2.steps
            .iter()
            .find(|l| l.step == Step::Pay)
            .unwrap()
            .status,
        Status::Overdue
    );
    // The skipped weekend: every step skipped, naming the skip record.
    let sat = runbook(
        &mut r.db.syn,
        Timestamp(START),
        &primes(),
        e("2026-01-03"),
        at("2026-01-03T14:00:00Z"),
    )
    .unwrap();
    assert!(sat.skipped);
    assert!(sat
        .steps
        .iter()
        .all(|l| l.status == Status::Skipped && l.evidence.starts_with("skip record 0x")));
    // A future epoch: all pending.
    let tue = runbook(
        &mut r.db.syn,
        Timestamp(START),
        &primes(),
        e("2026-01-06"),
        at("2026-01-05T17:00:00Z"),
    )
    .unwrap();
    assert!(tue.steps.iter().all(|l| l.status == Status::Pending));
    // Only the listed Primes count.
    let one = runbook(
        &mut r.db.syn,
        Timestamp(START),
        &["spark".to_string()],
        e("2026-01-01"),
        at("2026-01-01T16:30:00Z"),
    )
    .unwrap();
    assert_eq!(one.steps[2].evidence, "1 of 1 statements posted");
    // Human and machine forms.
    let text = render(&rb);
    assert!(
        text.starts_with(
            "Processing Window runbook for epoch 2026-01-01 as of 2026-01-01 16:30 UTC"
        ),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("verify") && l.contains("2026-01-01 16:30 UTC")),
        "{text}"
    );
    // After the deadline the missing report is overdue; once written, done.
    let late = runbook(
        &mut r.db.syn,
        Timestamp(START),
        &primes(),
        e("2026-01-01"),
        at("2026-01-01T16:31:00Z"),
    )
    .unwrap();
    assert_eq!(
        late.steps
            .iter()
            .find(|l| l.step == Step::Verify)
            .unwrap()
            .status,
        Status::Overdue
    );
    checker(&r)
        .report(&r.s.e, &mut r.db.syn, e("2026-01-01"))
        .unwrap();
    let now = r.s.e.now();
    let done = runbook(
        &mut r.db.syn,
        Timestamp(START),
        &primes(),
        e("2026-01-01"),
        now,
    )
    .unwrap();
    assert_eq!(
        done.steps
            .iter()
            .find(|l| l.step == Step::Verify)
            .unwrap()
            .status,
        Status::Done
    );
    assert!(text.contains("lpla-checker"), "{text}");
    let j = serde_json::to_value(&rb).unwrap();
    assert_eq!(j["steps"][0]["step"], "lock");
    assert_eq!(j["steps"][0]["status"], "done");
    assert_eq!(j["steps"][0]["deadline"], json!(e("2026-01-01").lock()));
}

#[test]
fn an_operator_restarted_after_every_step_gives_the_same_records_and_chain() {
    let mut whole = scenario_with(false);
    let mut restarted = scenario_with(true);
    let export = |r: &mut Run| {
        let mut out = Vec::new();
        r.db.syn.export_jsonl(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    assert_eq!(export(&mut whole), export(&mut restarted));
    assert_eq!(whole.s.e.digest(), restarted.s.e.digest());
}

#[test]
fn a_record_signed_but_not_stored_is_written_once_on_restart() {
    let mut r = Run::new();
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(1_000));
    r.s.warp(e("2026-01-01").lock());
    // The operator signs the statements, then dies before storing them.
    let inputs =
        r.op.build_inputs(&r.s.e, &mut r.db.syn, e("2026-01-01"))
            .unwrap();
    let mut tip = r.db.syn.tip().unwrap();
    let result = inputs.compute().unwrap();
    let drafts: Vec<Draft> = result
        .statements
        .iter()
        .map(|s| {
            Draft::new(
                Kind::SettlementStatement,
                &format!("prime:{}", s.prime),
                e("2026-01-01").lock(),
                Provenance::SystemDerived,
                json!({}),
            )
        })
        .collect();
    let _signed_but_lost = r.db.operator.seal(&mut tip, drafts).unwrap();
    // Restarted: it posts each statement exactly once.
    let mut fresh = r.s.operator(&r.db);
    let (_, out) = fresh
        .post_statements(&r.s.e, &mut r.db.syn, e("2026-01-01"))
        .unwrap();
    assert_eq!(out.written, 3);
    assert_eq!(
        all_of(&mut r.db.syn, Kind::SettlementStatement, None)
            .unwrap()
            .len(),
        3
    );
}

fn checker(r: &Run) -> laniakea_operators::checker::Checker {
    laniakea_operators::checker::Checker {
        deployment_start: Timestamp(START),
        deployment: r.s.deployment(),
        writer: r.db.checker.clone(),
    }
}

fn flagged(fs: &[laniakea_operators::checker::Finding]) -> Vec<(String, String, String)> {
    fs.iter()
        .filter(|f| f.status != laniakea_operators::checker::Status::Ok)
        .map(|f| {
            let s: &'static str = f.status.into();
            (f.check.to_string(), s.to_string(), f.subject.clone())
        })
        .collect()
}

#[test]
fn the_checker_flags_exactly_the_injected_faults() {
    let mut r = scenario();
    let c = checker(&r);
    let t = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    let f1 = c.check(&r.s.e, &mut r.db.syn, e("2026-01-01")).unwrap();
    // Every statement recomputed bit for bit by the checker's own (backward) reading.
    assert_eq!(
        f1.iter()
            .filter(
                |f| f.check == "statement" && f.status == laniakea_operators::checker::Status::Ok
            )
            .count(),
        3,
        "{f1:?}"
    );
    // The only fault of the first epoch: spark's wipe at 13:00:00, inside the window.
    assert_eq!(
        flagged(&f1),
        vec![t("window-mutations", "unexpected-mutation", "chain")],
        "{f1:?}"
    );
    let f2 = c.check(&r.s.e, &mut r.db.syn, e("2026-01-02")).unwrap();
    assert_eq!(
        flagged(&f2),
        vec![
            t("payment", "late", "prime:spark"),
            t("payment", "late", "prime:keel"),
            t("generator-buffer", "buffer-breach", "generator"),
        ],
        "{f2:?}"
    );
    let breach = f2.iter().find(|f| f.check == "generator-buffer").unwrap();
    // 10 000 + the payments of epoch 1 (spark, keel in; grove out) − 8 000 sent at 09:00.
    let idle = wad(10_000).raw()
        + r.amount("2026-01-01", "spark").raw()
        + r.amount("2026-01-01", "keel").raw()
        - r.amount("2026-01-01", "grove").raw()
        - wad(8_000).raw();
    assert_eq!(
        breach.evidence,
        format!(
            "idle USDS {} < floor 5000 at {}",
            Wad::from_raw(idle),
            at("2026-01-02T09:00:00Z").0
        )
    );
    let f3 = c.check(&r.s.e, &mut r.db.syn, e("2026-01-03")).unwrap();
    assert!(flagged(&f3).is_empty(), "{f3:?}");
    assert_eq!(f3[0].check, "skip");
    let f5 = c.check(&r.s.e, &mut r.db.syn, e("2026-01-05")).unwrap();
    assert_eq!(
        flagged(&f5),
        vec![
            t("payment", "late", "prime:keel"),
            t("payments-in", "unknown-payer", "generator"),
            t("vault-min-idle", "min-idle-breach", "prime:spark"),
        ],
        "{f5:?}"
    );
    let find = |check: &str| {
        f5.iter()
            .find(|f| f.check == check)
            .unwrap()
            .evidence
            .clone()
    };
    assert_eq!(
        find("vault-min-idle"),
        format!(
            "idle 30000 < 1000 bps of total assets 380000 = 38000 at {}",
            at("2026-01-03T10:00:00Z").0
        )
    );
    assert!(find("payments-in").contains(&format!("{} USDS from {}", wad(25), r.s.a("stranger"))));
    // keel's escalation was due (72 h late at Monday's Moment of Settlement) and is recorded.
    let esc: Vec<_> = f5.iter().filter(|f| f.check == "escalation").collect();
    assert_eq!(esc.len(), 1, "{esc:?}");
    assert_eq!(
        (esc[0].status, esc[0].subject.as_str()),
        (laniakea_operators::checker::Status::Ok, "prime:keel")
    );
    // keel's tag earns from epoch 2: its distributions are recomputed by the checker.
    for f in [&f2, &f5] {
        let d: Vec<_> = f.iter().filter(|x| x.check == "distributions").collect();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].status, d[0].subject.as_str()),
            (laniakea_operators::checker::Status::Ok, "prime:keel")
        );
    }
    // Every payment of every epoch has its receipts, one by one.
    for f in [&f1, &f2, &f5] {
        assert!(f.iter().any(|x| x.check == "receipts"));
    }
    // One report per epoch, written once.
    assert!(c.report(&r.s.e, &mut r.db.syn, e("2026-01-02")).unwrap());
    assert!(!c.report(&r.s.e, &mut r.db.syn, e("2026-01-02")).unwrap());
    let reports = all_of(&mut r.db.syn, Kind::VerificationReport, None).unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].content.payload["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "late")
            .count(),
        2
    );
}

#[test]
fn the_checker_flags_a_missed_settlement_and_a_tampered_statement() {
    let mut r = Run::new();
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(1_000));
    // No statements and no skip for 2026-01-01: a missed settlement.
    r.s.warp(at("2026-01-01T17:00:00Z"));
    let c = checker(&r);
    let f = c.check(&r.s.e, &mut r.db.syn, e("2026-01-01")).unwrap();
    let fl = flagged(&f);
    assert!(
        fl.contains(&("skip".into(), "missing".into(), "epoch:2026-01-01".into())),
        "{fl:?}"
    );
    assert_eq!(
        fl.iter()
            .filter(|x| x.0 == "posting" && x.1 == "missing")
            .count(),
        3,
        "{fl:?}"
    );
    // 2026-01-02: the operator's statement for spark is replaced by one with another figure.
    r.s.warp(e("2026-01-02").lock());
    let inputs =
        r.op.build_inputs(&r.s.e, &mut r.db.syn, e("2026-01-02"))
            .unwrap();
    let result = inputs.compute().unwrap();
    let mut drafts = Vec::new();
    for st in &result.statements {
        let mut j = serde_json::to_value(st).unwrap();
        if st.prime == "spark" {
            j["max_debt_fees_wad"] = json!("1");
        }
        drafts.push(Draft::new(
            Kind::SettlementStatement,
            &format!("prime:{}", st.prime),
            e("2026-01-02").lock(),
            Provenance::SystemDerived,
            json!({"prime": st.prime, "total_wad": st.total_wad.to_string(), "direction": st.direction, "input_digest": st.input_digest, "statement": j}),
        ).epoch(e("2026-01-02")));
    }
    r.db.syn.write(&r.db.operator, drafts).unwrap();
    let f = c.check(&r.s.e, &mut r.db.syn, e("2026-01-02")).unwrap();
    let m: Vec<_> = f
        .iter()
        .filter(|x| x.status == laniakea_operators::checker::Status::Mismatch)
        .collect();
    assert_eq!(m.len(), 1, "{f:?}");
    assert_eq!(m[0].subject, "prime:spark");
    assert!(
        m[0].evidence.contains("max_debt_fees_wad"),
        "{}",
        m[0].evidence
    );
}

#[test]
fn lpha_report_writes_one_summary_per_prime_and_epoch() {
    let mut r = scenario();
    let rep = laniakea_operators::report::Reporter {
        deployment: r.s.deployment(),
        writer: r.db.reporter.clone(),
    };
    let s1 = rep
        .summary(&r.s.e, &mut r.db.syn, "spark", e("2026-01-01"))
        .unwrap();
    assert_eq!(
        s1["drawn_wad"],
        json!(wad(1_000_001)),
        "the 13:00:00 wipe belongs to the next window"
    );
    assert_eq!(s1["repaid_wad"], json!(Wad::ZERO));
    assert_eq!(s1["debt_legacy_wad"], json!(wad(1_000_001)));
    assert_eq!(
        s1["debt_vault_wad"],
        json!(wad(350_000)),
        "400k drawn, 50k repaid"
    );
    assert_eq!(s1["timeliness"], "on-time");
    assert_eq!(s1["headroom_mint_wad"], "unlimited");
    assert_eq!(
        s1["headroom_payment_wad"],
        json!(wad(1_000_000)),
        "refilled to its maximum"
    );
    let s2 = rep
        .summary(&r.s.e, &mut r.db.syn, "spark", e("2026-01-02"))
        .unwrap();
    assert_eq!(s2["timeliness"], "late");
    assert_eq!(s2["repaid_wad"], json!(wad(1)));
    let a2 = r.amount("2026-01-02", "spark");
    assert_eq!(
        s2["paid_on_time_wad"],
        json!(Wad::from_raw(a2.raw() / U256::from(2u8)))
    );
    assert_eq!(
        s2["paid_late_wad"],
        json!(Wad::from_raw(a2.raw() - a2.raw() / U256::from(2u8)))
    );
    let g = rep
        .summary(&r.s.e, &mut r.db.syn, "grove", e("2026-01-01"))
        .unwrap();
    assert_eq!(g["direction"], "generator-pays-prime");
    assert_eq!(g["timeliness"], "on-time");
    let k = rep
        .summary(&r.s.e, &mut r.db.syn, "keel", e("2026-01-02"))
        .unwrap();
    assert_eq!(k["timeliness"], "late");
    assert_eq!(
        rep.report(&r.s.e, &mut r.db.syn, e("2026-01-02")).unwrap(),
        3
    );
    assert_eq!(
        rep.report(&r.s.e, &mut r.db.syn, e("2026-01-02")).unwrap(),
        0,
        "idempotent"
    );
    let recs = all_of(&mut r.db.syn, Kind::PrimeReport, Some(e("2026-01-02"))).unwrap();
    assert_eq!(recs.len(), 3);
    assert!(r.db.syn.verify(&[]).unwrap().is_ok());
}

#[test]
fn the_checker_recomputes_penalties_and_flags_unbooked_ones() {
    let mut r = Run::new();
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
    r.lock("2026-01-01");
    let a = r.amount("2026-01-01", "spark");
    r.s.pay_generator("spark", at("2026-01-01T19:00:00Z"), a); // three hours late
    r.lock("2026-01-02");
    // Receipts recorded, penalties NOT yet recorded at Friday's Moment of Settlement.
    r.s.warp(at("2026-01-02T16:00:00Z"));
    r.op.record_receipts(&r.s.e, &mut r.db.syn).unwrap();
    let c = checker(&r);
    let f = c.check(&r.s.e, &mut r.db.syn, e("2026-01-02")).unwrap();
    let pen: Vec<_> = f
        .iter()
        .filter(|x| x.check == "penalties" && x.subject == "prime:spark")
        .collect();
    assert_eq!(pen.len(), 1);
    assert_eq!(
        pen[0].status,
        laniakea_operators::checker::Status::Missing,
        "{pen:?}"
    );
    // Once the operator books them, the checker's own figure agrees.
    r.op.record_penalties(&mut r.s.e, &mut r.db.syn).unwrap();
    let f = c.check(&r.s.e, &mut r.db.syn, e("2026-01-02")).unwrap();
    let pen: Vec<_> = f
        .iter()
        .filter(|x| x.check == "penalties" && x.subject == "prime:spark")
        .collect();
    assert_eq!(
        pen[0].status,
        laniakea_operators::checker::Status::Ok,
        "{pen:?}"
    );
    let rate = U256::from(WAD) / U256::from(1000u32);
    assert!(
        pen[0]
            .evidence
            .starts_with(&Wad::from_raw(a.raw() * U256::from(3u8) * rate / WAD).to_string()),
        "{}",
        pen[0].evidence
    );
}

/// `LIMIT_VAULT_DRAW⊕<prime>_pv` on the Prime's RateLimits: (max, slope).
fn draw_limit(r: &Run, p: &str) -> (Wad, Wad) {
    use laniakea_chain::families::rate_limits::{RateLimitsAnswer, RateLimitsView};
    use laniakea_chain::rate_limits::{address_key, limit_id, names};

    let key = address_key(limit_id(names::VAULT_DRAW), r.s.a(&format!("{p}_pv")));
    match r
        .s
        .e
        .view(
            r.s.a(&format!("{p}_rl")),
            &laniakea_chain::Query::RateLimits(RateLimitsView::RateLimitData {
                key: laniakea_chain::call::Key(key),
            }),
        )
        .unwrap()
    {
        laniakea_chain::Answer::RateLimits(RateLimitsAnswer::Data {
            max_amount, slope, ..
        }) => (max_amount, slope),
        a => panic!("{a:?}"),
    }
}

/// Changes of the Prime's vault draw limit to zero in the log.
fn zeroing_events(r: &Run, p: &str) -> usize {
    use laniakea_chain::families::rate_limits::RateLimitsEvent;
    use laniakea_chain::rate_limits::{address_key, limit_id, names};

    let rl = r.s.a(&format!("{p}_rl"));
    let draw = address_key(limit_id(names::VAULT_DRAW), r.s.a(&format!("{p}_pv")));
    r.s.e
        .events_since(0)
        .iter()
        .filter(|e| {
            e.contract == rl
                && matches!(&e.kind, laniakea_chain::EventKind::RateLimits(RateLimitsEvent::RateLimitDataSet { key, max_amount_wad, .. }) if max_amount_wad.is_zero() && *key == draw)
        })
        .count()
}

#[test]
fn escalation_restricts_the_vault_draw_limit_after_24h_and_flags_review_after_72h() {
    let mut r = Run::new();
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
    r.s.fund_vault("spark", at("2026-01-01T07:00:00Z"), wad(100_000));
    r.lock("2026-01-01");
    // spark does not pay. 22 h late: nothing yet.
    r.s.warp(at("2026-01-02T14:00:00Z"));
    r.op.record_penalties(&mut r.s.e, &mut r.db.syn).unwrap();
    assert!(r.records(Kind::Escalation).is_empty());
    assert_eq!(draw_limit(&r, "spark"), (Wad::MAX, Wad::ZERO));
    // 46 h late, inside the next day's Processing Window: the restriction is an emergency
    // removal, so the guard lets it through.
    r.s.warp(at("2026-01-03T14:00:00Z"));
    r.op.record_penalties(&mut r.s.e, &mut r.db.syn).unwrap();
    assert_eq!(draw_limit(&r, "spark"), (Wad::ZERO, Wad::ZERO));
    assert!(
        all_of(&mut r.db.syn, Kind::GuardRefusal, None)
            .unwrap()
            .is_empty(),
        "no guard refusal"
    );
    let esc = r.records(Kind::Escalation);
    assert_eq!(esc.len(), 1, "{esc:?}");
    assert_eq!(esc[0].content.payload["state"], "restricted");
    assert_eq!(esc[0].content.payload["late_s"], 46 * 3600);
    assert!(esc[0].content.payload["restriction"]
        .as_str()
        .unwrap()
        .starts_with("tx:"));
    // Idempotent: re-running submits nothing and writes nothing.
    assert_eq!(
        r.op.record_penalties(&mut r.s.e, &mut r.db.syn)
            .unwrap()
            .written,
        0
    );
    // The Prime can no longer draw from its vault.
    let vault = r.s.a("spark_pv");
    let tx = r.s.tx(
        "spark_relayer",
        at("2026-01-03T17:00:00Z"),
        r.s.ctrl(
            "spark",
            laniakea_chain::call::ControllerCall::DrawPrimeVault {
                vault,
                amount: wad(1),
            },
        ),
    );
    let rec = laniakea_chain::Chain::submit(&mut r.s.e, tx).unwrap();
    assert!(rec.outcome.is_err(), "a draw after the restriction reverts");
    assert_eq!(zeroing_events(&r, "spark"), 1);
    // > 72 h: the governance-review flag; the restriction is not submitted again.
    r.s.warp(at("2026-01-04T16:00:01Z"));
    let mut fresh = r.s.operator(&r.db);
    fresh.record_penalties(&mut r.s.e, &mut r.db.syn).unwrap();
    let esc = r.records(Kind::Escalation);
    let states: Vec<_> = esc
        .iter()
        .map(|x| x.content.payload["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states, ["restricted", "governance-review"]);
    assert_eq!(zeroing_events(&r, "spark"), 1);
}

#[test]
fn a_restriction_submitted_but_not_recorded_is_recorded_once_on_restart() {
    let run = |interrupt: bool| {
        let mut r = Run::new();
        r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
        r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
        r.lock("2026-01-01");
        r.s.warp(at("2026-01-02T17:00:00Z"));
        if interrupt {
            // The operator submitted the restriction, then died before writing the record.
            use laniakea_chain::rate_limits::{address_key, limit_id, names};
            let key = address_key(limit_id(names::VAULT_DRAW), r.s.a("spark_pv"));
            let tx = r.s.tx(
                "admin",
                at("2026-01-02T17:00:00Z"),
                laniakea_chain::Call::RateLimits(
                    r.s.a("spark_rl"),
                    laniakea_chain::call::RateLimitsCall::SetMaxSlope {
                        key: laniakea_chain::call::Key(key),
                        max_amount: Wad::ZERO,
                        slope: Wad::ZERO,
                    },
                ),
            );
            r.s.run(tx);
            r.op = r.s.operator(&r.db);
        }
        r.op.record_penalties(&mut r.s.e, &mut r.db.syn).unwrap();
        assert_eq!(zeroing_events(&r, "spark"), 1);
        let mut out = Vec::new();
        r.db.syn.export_jsonl(&mut out).unwrap();
        (String::from_utf8(out).unwrap(), r.s.e.digest())
    };
    assert_eq!(run(false), run(true));
}

#[test]
fn the_checker_flags_a_missing_escalation_and_an_unreceipted_payment() {
    use laniakea_operators::checker::Status;
    let mut r = Run::new();
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
    for ep in ["2026-01-01", "2026-01-02", "2026-01-03"] {
        r.lock(ep);
    }
    // spark pays part of its first obligation on day 3; nobody records receipts, penalties
    // or escalations.
    r.s.pay_generator("spark", at("2026-01-03T14:00:00Z"), wad(1));
    r.s.warp(at("2026-01-03T16:00:00Z"));
    let c = checker(&r);
    let f = c.check(&r.s.e, &mut r.db.syn, e("2026-01-03")).unwrap();
    let get = |check: &str| -> Vec<_> {
        f.iter()
            .filter(|x| x.check == check)
            .map(|x| (x.status, x.subject.clone(), x.evidence.clone()))
            .collect()
    };
    assert_eq!(
        get("escalation"),
        vec![(
            Status::Missing,
            "prime:spark".to_string(),
            format!(
                "the obligation of 2026-01-01 is {} s late at {}: no restricted record",
                48 * 3600,
                e("2026-01-03").moment().0
            )
        )]
    );
    let rec = get("receipts");
    assert_eq!(rec.len(), 1, "{rec:?}");
    assert_eq!(
        (rec[0].0, rec[0].1.as_str()),
        (Status::Missing, "prime:spark")
    );
    // Once the operator has run, both are in order.
    r.op.record_receipts(&r.s.e, &mut r.db.syn).unwrap();
    r.op.record_penalties(&mut r.s.e, &mut r.db.syn).unwrap();
    let f = c.check(&r.s.e, &mut r.db.syn, e("2026-01-03")).unwrap();
    for check in ["escalation", "receipts"] {
        let x: Vec<_> = f.iter().filter(|x| x.check == check).collect();
        assert_eq!(x.len(), 1, "{x:?}");
        assert_eq!(x[0].status, Status::Ok, "{x:?}");
    }
}

/// The store's record count and the chain digest: nothing half-written.
fn state(r: &mut Run) -> (u64, alloy_primitives::B256) {
    (
        laniakea_synome::Store::count(r.db.syn.store()).unwrap(),
        r.s.e.digest(),
    )
}

#[test]
fn two_base_rates_for_one_epoch_stop_the_operator_naming_both_records() {
    let mut r = Run::new();
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(1_000));
    r.lock("2026-01-01");
    for rate in ["0.06", "0.07"] {
        r.db.params(
            at("2026-01-01T17:00:00Z"),
            json!({"effective_epoch": "2026-01-02", "base_rate_apr": rate}),
        );
    }
    let sets = r.records(Kind::ParameterSet);
    // Published after 2026-01-01's window, both take effect at 2026-01-02 16:00: the
    // statement of 2026-01-03 is the first to use them.
    r.s.warp(e("2026-01-03").lock());
    let before = state(&mut r);
    let err =
        r.op.post_statements(&r.s.e, &mut r.db.syn, e("2026-01-03"))
            .err()
            .unwrap();
    assert_eq!(err.code(), "governance/contradictory-parameters");
    let msg = err.to_string();
    for rec in &sets[sets.len() - 2..] {
        assert!(msg.contains(&rec.id.to_string()), "{msg}");
    }
    assert!(msg.contains("base_rate_apr"), "{msg}");
    assert_eq!(state(&mut r), before, "nothing written");
}

#[test]
fn a_skip_written_after_the_lock_stops_the_operator_naming_the_record() {
    let mut r = Run::new();
    r.lock("2026-01-01");
    r.db.skip(at("2026-01-02T13:30:00Z"), "2026-01-02");
    let skip = r.records(Kind::Skip).pop().unwrap();
    r.s.warp(at("2026-01-02T13:40:00Z"));
    let before = state(&mut r);
    let err =
        r.op.post_statements(&r.s.e, &mut r.db.syn, e("2026-01-02"))
            .err()
            .unwrap();
    assert_eq!(err.code(), "governance/skip-after-lock");
    assert!(err.to_string().contains(&skip.id.to_string()), "{err}");
    assert_eq!(state(&mut r), before);
    // The checker does not honour it: the epoch without statements is a missed settlement.
    r.s.warp(at("2026-01-02T16:30:00Z"));
    let f = checker(&r)
        .check(&r.s.e, &mut r.db.syn, e("2026-01-02"))
        .unwrap();
    assert!(flagged(&f).contains(&(
        "skip".to_string(),
        "missing".to_string(),
        "epoch:2026-01-02".to_string()
    )));
}

/// spark pays its first statement three hours late; the penalty is booked; returns its record.
fn late_spark() -> (Run, laniakea_synome::SignedRecord) {
    let mut r = Run::new();
    r.s.draw("spark", at("2026-01-01T06:00:00Z"), wad(1_000_000));
    r.s.deploy_out("spark", at("2026-01-01T06:00:00Z"), wad(900_000));
    r.lock("2026-01-01");
    let a = r.amount("2026-01-01", "spark");
    r.s.pay_generator("spark", at("2026-01-01T19:00:00Z"), a);
    r.lock("2026-01-02");
    r.s.warp(at("2026-01-02T13:10:00Z"));
    r.op.record_receipts(&r.s.e, &mut r.db.syn).unwrap();
    r.op.record_penalties(&mut r.s.e, &mut r.db.syn).unwrap();
    let pen = r
        .records(Kind::PenaltyEvent)
        .into_iter()
        .find(|p| p.content.subject == "prime:spark")
        .unwrap();
    (r, pen)
}

/// A Core Council forgiveness of `penalty` (a record id): the Synome's answer to the write.
fn forgive(
    r: &mut Run,
    penalty: alloy_primitives::B256,
    amount: Wad,
) -> Result<(), laniakea_synome::SynomeError> {
    let d = Draft::new(
        Kind::Forgiveness,
        "prime:spark",
        at("2026-01-02T13:30:00Z"),
        Provenance::GovernanceDirected,
        json!({"penalty": penalty, "amount_wad": amount, "rationale": "test"}),
    );
    r.db.syn.write(&r.db.council, vec![d]).map(|_| ())
}

#[test]
fn a_forgiveness_naming_no_penalty_is_refused_naming_the_record() {
    let (mut r, _) = late_spark();
    // It names a statement, not a penalty event: the Synome refuses it at write time.
    let st = r.records(Kind::SettlementStatement).pop().unwrap();
    let before = state(&mut r);
    let err = forgive(&mut r, st.id, wad(1)).unwrap_err();
    assert_eq!(err.code(), "synome/wrong-reference-kind", "{err}");
    assert!(err.to_string().contains(&st.id.to_string()), "{err}");
    assert_eq!(state(&mut r), before, "nothing stored");
    // The operator goes on.
    r.s.warp(at("2026-01-02T14:00:00Z"));
    r.op.record_penalties(&mut r.s.e, &mut r.db.syn).unwrap();
}

#[test]
fn a_forgiveness_above_the_penalty_is_refused_naming_the_record() {
    let (mut r, pen) = late_spark();
    let amount: Wad = serde_json::from_value(pen.content.payload["amount_wad"].clone()).unwrap();
    let before = state(&mut r);
    let err = forgive(
        &mut r,
        pen.id,
        Wad::from_raw(amount.raw() + U256::from(1u8)),
    )
    .unwrap_err();
    assert_eq!(err.code(), "synome/forgiveness-exceeds-penalty", "{err}");
    assert!(err.to_string().contains(&pen.id.to_string()), "{err}");
    assert_eq!(state(&mut r), before, "nothing stored");
    // Exactly the penalty is accepted, and the book agrees (invariant 9).
    forgive(&mut r, pen.id, amount).unwrap();
    let books =
        r.op.books(&r.s.e, &mut r.db.syn, at("2026-01-02T13:30:00Z"))
            .unwrap();
    books["spark"].ledger.check_invariant_9().unwrap();
}
