//! Hand-worked examples, with the arithmetic written out. Amounts in USDS; `e18` means ×10¹⁸ wei.
#![allow(clippy::unwrap_used)]

use laniakea_settlement::inputs;
use laniakea_settlement::ledger::{Escalation, Ledger, LedgerError, Payer, Thresholds};
use laniakea_settlement::{Direction, EpochId, SignedWad};
use laniakea_units::{Timestamp, Wad, WadSeconds};

const EXAMPLE: &str = include_str!("../../../examples/settlement-inputs.json");

fn w(s: &str) -> Wad {
    Wad::parse(s).unwrap()
}

#[test]
fn five_step_statement_over_a_skipped_weekend() {
    let r = inputs::parse(EXAMPLE).unwrap().compute().unwrap();
    // Epoch 2026-01-05 (Monday); Sat 3rd and Sun 4th are skipped, so the window runs from
    // Friday's lock 2026-01-02 13:00 (1767358800) to Monday's lock 13:00 (1767618000):
    // 3 days = 259,200 s. Sequence number: 5th day since the first epoch 2026-01-01.
    assert_eq!(
        (r.window_start.0, r.window_end.0),
        (1_767_358_800, 1_767_618_000)
    );
    assert_eq!(r.seq, 5);
    let s = &r.statements[0];
    assert_eq!(s.prime, "spark");
    // Debt: legacy 1,000,000 for 259,200 s; vault 0 until Sat 13:00 then 500,000 for 172,800 s
    // (the balance changes inside the window):
    //   S[debt] = 1,000,000·259,200 + 500,000·172,800 = 345,600,000,000 USDS·s.
    assert_eq!(s.debt_wad_s, WadSeconds::parse("345600000000").unwrap());
    // 1. F = 345,600,000,000·0.05/31,536,000 = 547.945205479452054794|52… → floor
    assert_eq!(s.max_debt_fees_wad, w("547.945205479452054794"));
    // 2. I = 100,000·259,200·0.05/31,536,000 = 41.095890410958904109|58… → floor
    assert_eq!(s.idle_usds_reimbursement_wad, w("41.095890410958904109"));
    // 3. P = 200,000·259,200·(0.04 − 0.05)/31,536,000 = −16.438356164383561643|83…
    //    floored toward −∞ → −16.438356164383561644 (the spread is negative: SSR < base).
    assert_eq!(
        s.susds_spread_profit_wad.to_string(),
        "-16.438356164383561644"
    );
    // 4. Sky Direct: base on exposure 300,000·259,200·0.05/31,536,000 = 123.287671232876712328|76…
    //    minus actual profit 100 → D = 23.287671232876712328.
    assert_eq!(s.sky_direct_reimbursement_wad, w("23.287671232876712328"));
    // 5. N = F − (I + P + D) = 547.945205479452054794 − (41.095890410958904109
    //    − 16.438356164383561644 + 23.287671232876712328) = 547.945205479452054794
    //    − 47.945205479452054793 = 500.000000000000000001 (exactly 500 before flooring;
    //    the per-line floors leave 1 wei).
    assert_eq!(s.net_wad.to_string(), "500.000000000000000001");
    // OSRC premium R = 50,000·259,200·0.01/31,536,000 = 4.109589041095890410|95… → floor
    assert_eq!(s.osrc_premium_wad, w("4.10958904109589041"));
    // Total = N + R + carried penalty 1.5 = 505.609589041095890411, paid by the Prime.
    assert_eq!(s.total_wad.to_string(), "505.609589041095890411");
    assert_eq!(s.direction, Direction::PrimePaysGenerator);
    assert_eq!(s.amount_due_wad, w("505.609589041095890411"));
}

#[test]
fn negative_net_means_the_generator_pays() {
    let r = inputs::parse(EXAMPLE).unwrap().compute().unwrap();
    let g = &r.statements[1];
    // grove: debt 10,000, idle 400,000 over 259,200 s at 5%:
    //   F = 10,000·259,200·0.05/31,536,000 = 4.109589041095890410|95…
    //   I = 400,000·259,200·0.05/31,536,000 = 164.383561643835616438|35…
    //   N = 4.109589041095890410 − 164.383561643835616438 = −160.273972602739726028
    assert_eq!(g.max_debt_fees_wad, w("4.10958904109589041"));
    assert_eq!(g.idle_usds_reimbursement_wad, w("164.383561643835616438"));
    assert_eq!(g.total_wad.to_string(), "-160.273972602739726028");
    assert_eq!(g.direction, Direction::GeneratorPaysPrime);
}

#[test]
fn distributions_by_tier_and_tag_epoch() {
    let r = inputs::parse(EXAMPLE).unwrap().compute().unwrap();
    // Tag a1, tier 4 (50 bps), 1,000,000 USDS over 259,200 s:
    //   1,000,000·259,200·0.005/31,536,000 = 41.095890410958904109|58… → floor.
    assert_eq!(r.distributions[0].reward_wad, w("41.095890410958904109"));
    assert!(r.distributions[0].eligible);
    // Tag b2 was recorded in this very epoch: it earns from the next one.
    assert!(!r.distributions[1].eligible);
    assert_eq!(r.distributions[1].reward_wad, Wad::ZERO);
}

#[test]
fn monthly_convention_for_reconciliation() {
    let text = EXAMPLE.replace("\"actual/365\"", "\"monthly/12\"");
    let r = inputs::parse(&text).unwrap().compute().unwrap();
    // Monthly: rate/12 on the time-weighted average debt over the window:
    //   average = 345,600,000,000 / 259,200 = 1,333,333.33…; F = avg·0.05/12
    //   = 345,600,000,000·0.05/(12·259,200) = 5,555.555555555555555555|5… → floor.
    assert_eq!(
        r.statements[0].max_debt_fees_wad,
        w("5555.555555555555555555")
    );
}

fn jan(day: u32, h: u64, s: u64) -> Timestamp {
    Timestamp(1_767_225_600 + (day as u64 - 1) * 86_400 + h * 3600 + s)
}

#[test]
fn partial_late_payment_accrues_on_the_remainder_then_partial_forgiveness() {
    // Obligation of 1,000 due 2026-01-05 16:00; penalty 0.1% per hour.
    let e5 = EpochId::parse("2026-01-05").unwrap();
    let due = jan(5, 16, 0);
    let mut l = Ledger::new("spark", w("0.001"), Thresholds::default()).unwrap();
    let o = l
        .post_statement(jan(5, 13, 30), e5, Payer::Prime, due, w("1000"), &[])
        .unwrap();
    // 400 at 16:00:00 exactly is on time.
    l.pay(due, Payer::Prime, w("400")).unwrap();
    assert_eq!(l.penalty_accrued(o, due).unwrap(), Wad::ZERO);
    // One second later, 600 is late: 600·1 s·0.001/3600 = 0.000166666666666666|67 → floor.
    assert_eq!(
        l.penalty_accrued(o, Timestamp(due.0 + 1)).unwrap(),
        w("0.000166666666666666")
    );
    // 300 more at 18:00; the last 300 at 21:00.
    l.pay(jan(5, 18, 0), Payer::Prime, w("300")).unwrap();
    l.pay(jan(5, 21, 0), Payer::Prime, w("300")).unwrap();
    // Penalty = 600·2 h·0.001 + 300·3 h·0.001 = 1.2 + 0.9 = 2.1 (exact, no flooring needed).
    assert_eq!(l.penalty_accrued(o, jan(5, 22, 0)).unwrap(), w("2.1"));
    let e6 = EpochId::parse("2026-01-06").unwrap();
    let pen = l.crystallize_penalties(jan(6, 13, 0)).unwrap();
    assert_eq!(pen.len(), 1);
    let p = l.penalty(pen[0]).unwrap().clone();
    assert_eq!((p.source, p.amount_wad), (o, w("2.1")));
    assert_eq!(l.open_penalties(Payer::Prime), vec![(pen[0], w("2.1"))]);
    // Core Council forgives 0.7 of it; the penalty record is unchanged.
    l.forgive(
        jan(6, 14, 0),
        pen[0],
        w("0.7"),
        "first-week onboarding incident",
    )
    .unwrap();
    assert_eq!(l.penalty(pen[0]).unwrap().amount_wad, w("2.1"));
    assert_eq!(l.penalty(pen[0]).unwrap().open_wad(), w("1.4"));
    // Invariant 9: payments 1,000 + open 1.4 + forgiven 0.7 = obligations 1,000 + penalties 2.1.
    let t = l.totals().unwrap();
    let sw = |x: &str| SignedWad::positive(w(x).raw());
    assert_eq!(
        (
            t.payments_wad,
            t.open_wad,
            t.forgiven_wad,
            t.obligations_wad,
            t.penalties_wad
        ),
        (sw("1000"), sw("1.4"), sw("0.7"), sw("1000"), sw("2.1"))
    );
    l.check_invariant_9().unwrap();
    // Forgiving more than is open is refused and changes nothing.
    assert!(l
        .forgive(jan(6, 14, 0), pen[0], w("1.5"), "too much")
        .is_err());
    // Forgiveness names a penalty record (its own id sequence); an unknown one is refused.
    assert!(l
        .forgive(jan(6, 14, 0), 99, w("1"), "no such penalty")
        .is_err());
    assert!(l.forgive(jan(6, 14, 0), pen[0], w("1"), " ").is_err());
    l.check_invariant_9().unwrap();
    // The next statement (0.5 of fees) carries the open 1.4: it is posted as 1.9 and the
    // penalty is closed as carried into it, so the Prime owes 1.9, not 3.3.
    assert_eq!(l.penalties_to_carry(), vec![(pen[0], w("1.4"))]);
    let s = l
        .post_statement(
            jan(6, 15, 0),
            e6,
            Payer::Prime,
            jan(6, 16, 0),
            w("1.9"),
            &[(pen[0], w("1.4"))],
        )
        .unwrap();
    assert_eq!(l.owed(Payer::Prime).unwrap(), w("1.9"));
    assert_eq!(
        l.penalty(pen[0]).unwrap().carried_into.unwrap().statement,
        s
    );
    // Forgiving 0.4 more after it was carried takes it off that statement: 1.5 owed; at most
    // the 1.4 carried can ever be forgiven after carrying (1.0 is left).
    l.forgive(jan(6, 15, 30), pen[0], w("0.4"), "second look")
        .unwrap();
    assert_eq!(l.obligation(s).unwrap().open_wad(), w("1.5"));
    assert_eq!(l.owed(Payer::Prime).unwrap(), w("1.5"));
    assert_eq!(l.forgivable(pen[0]).unwrap(), w("1"));
    assert_eq!(
        l.penalty(pen[0]).unwrap().amount_wad,
        w("2.1"),
        "the record never changes"
    );
    let t = l.totals().unwrap();
    assert_eq!(
        (
            t.payments_wad,
            t.open_wad,
            t.forgiven_wad,
            t.obligations_wad,
            t.penalties_wad
        ),
        (sw("1000"), sw("1.5"), sw("1.1"), sw("1000.5"), sw("2.1"))
    );
    l.check_invariant_9().unwrap();
}

#[test]
fn escalation_thresholds() {
    let e5 = EpochId::parse("2026-01-05").unwrap();
    let due = jan(5, 16, 0);
    let mut l = Ledger::new("keel", w("0.001"), Thresholds::default()).unwrap();
    let o = l
        .post_statement(jan(5, 13, 0), e5, Payer::Prime, due, w("10"), &[])
        .unwrap();
    assert_eq!(l.escalation(due), Escalation::Current);
    assert_eq!(
        l.escalation(Timestamp(due.0 + 1)),
        Escalation::Late {
            obligation: o,
            late_s: 1
        }
    );
    assert_eq!(
        l.escalation(Timestamp(due.0 + 86_400)),
        Escalation::Late {
            obligation: o,
            late_s: 86_400
        }
    );
    assert_eq!(
        l.escalation(Timestamp(due.0 + 86_401)),
        Escalation::Restricted {
            obligation: o,
            late_s: 86_401
        }
    );
    assert_eq!(
        l.escalation(Timestamp(due.0 + 3 * 86_400 + 1)),
        Escalation::GovernanceReview {
            obligation: o,
            late_s: 3 * 86_400 + 1
        }
    );
    l.pay(Timestamp(due.0 + 4 * 86_400), Payer::Prime, w("10"))
        .unwrap();
    assert_eq!(
        l.escalation(Timestamp(due.0 + 4 * 86_400)),
        Escalation::Current
    );
}

#[test]
fn payments_match_the_oldest_obligation_and_overpayment_is_refused() {
    // Penalty rate 0: this test is about matching only (with a rate, statement `a` would have
    // a penalty to crystallise and carry before `b` could be posted).
    let mut l = Ledger::new("obex", Wad::ZERO, Thresholds::default()).unwrap();
    let e5 = EpochId::parse("2026-01-05").unwrap();
    let e6 = EpochId::parse("2026-01-06").unwrap();
    let a = l
        .post_statement(jan(5, 13, 0), e5, Payer::Prime, jan(5, 16, 0), w("5"), &[])
        .unwrap();
    let b = l
        .post_statement(jan(6, 13, 0), e6, Payer::Prime, jan(6, 16, 0), w("7"), &[])
        .unwrap();
    let g = l
        .post_statement(
            jan(6, 13, 0),
            e6,
            Payer::Generator,
            jan(6, 16, 0),
            w("3"),
            &[],
        )
        .unwrap();
    assert_eq!(
        l.pay(jan(6, 14, 0), Payer::Prime, w("6")).unwrap(),
        vec![(a, w("5")), (b, w("1"))]
    );
    assert!(l
        .pay(jan(6, 14, 0), Payer::Prime, w("6.000000000000000001"))
        .is_err());
    assert_eq!(l.payments.len(), 1, "a refused payment records nothing");
    assert_eq!(
        l.pay(jan(6, 15, 0), Payer::Generator, w("3")).unwrap(),
        vec![(g, w("3"))]
    );
    assert!(
        l.pay(jan(6, 14, 59), Payer::Prime, w("1")).is_err(),
        "out of time order"
    );
    l.check_invariant_9().unwrap();
}

/// docs/ledger.md: a Prime's penalty carried into a statement the Generator pays is netted
/// (set-off): the Generator pays 8 instead of 10, the Prime owes nothing more, invariant 9
/// balances with amounts signed by direction, and the netted penalty cannot be forgiven
/// through the ledger.
#[test]
fn a_prime_penalty_nets_against_a_statement_the_generator_pays() {
    let e5 = EpochId::parse("2026-01-05").unwrap();
    let e6 = EpochId::parse("2026-01-06").unwrap();
    let mut l = Ledger::new("grove", w("0.01"), Thresholds::default()).unwrap();
    l.post_statement(
        jan(5, 13, 0),
        e5,
        Payer::Prime,
        jan(5, 16, 0),
        w("100"),
        &[],
    )
    .unwrap();
    l.pay(jan(5, 18, 0), Payer::Prime, w("100")).unwrap(); // 2 h late: 2 of penalty
    let pen = l.crystallize_penalties(jan(6, 13, 0)).unwrap();
    assert_eq!(
        l.carried_total().unwrap(),
        SignedWad::positive(w("2").raw())
    );
    // Own lines: the Generator owes 10; with the carried 2 the Generator pays 8.
    let s = l
        .post_statement(
            jan(6, 13, 0),
            e6,
            Payer::Generator,
            jan(6, 16, 0),
            w("8"),
            &[(pen[0], w("2"))],
        )
        .unwrap();
    assert_eq!(
        l.obligation(s).unwrap().own_part().unwrap(),
        SignedWad::negative(w("10").raw())
    );
    assert_eq!(
        (
            l.owed(Payer::Prime).unwrap(),
            l.owed(Payer::Generator).unwrap()
        ),
        (Wad::ZERO, w("8"))
    );
    l.check_invariant_9().unwrap();
    assert_eq!(
        l.forgive(jan(6, 14, 0), pen[0], w("1"), "netted"),
        Err(LedgerError::ForgiveSetOff {
            penalty: pen[0],
            statement: s
        })
    );
    l.pay(jan(6, 15, 0), Payer::Generator, w("8")).unwrap();
    let t = l.totals().unwrap();
    // payments +100 − 8 = obligations +100 − 10 + penalties 2.
    assert_eq!(t.payments_wad, SignedWad::positive(w("92").raw()));
    assert_eq!(t.obligations_wad, SignedWad::positive(w("90").raw()));
    assert_eq!(t.open_wad, SignedWad::ZERO);
    l.check_invariant_9().unwrap();
}

/// docs/ledger.md: forgiveness after a penalty was carried comes off what is still open on the
/// carrying statement, never below zero (a paid penalty would be a refund).
#[test]
fn forgiveness_after_carrying_is_limited_to_what_is_open_on_the_statement() {
    let e5 = EpochId::parse("2026-01-05").unwrap();
    let e6 = EpochId::parse("2026-01-06").unwrap();
    let mut l = Ledger::new("keel", w("0.01"), Thresholds::default()).unwrap();
    l.post_statement(
        jan(5, 13, 0),
        e5,
        Payer::Prime,
        jan(5, 16, 0),
        w("100"),
        &[],
    )
    .unwrap();
    l.pay(jan(5, 18, 0), Payer::Prime, w("100")).unwrap();
    let pen = l.crystallize_penalties(jan(6, 13, 0)).unwrap();
    let s = l
        .post_statement(
            jan(6, 13, 0),
            e6,
            Payer::Prime,
            jan(6, 16, 0),
            w("2.5"),
            &[(pen[0], w("2"))],
        )
        .unwrap();
    l.pay(jan(6, 14, 0), Payer::Prime, w("2")).unwrap();
    assert_eq!(l.forgivable(pen[0]).unwrap(), w("0.5"));
    assert_eq!(
        l.forgive(jan(6, 15, 0), pen[0], w("1"), "too late"),
        Err(LedgerError::ForgiveTooMuch {
            id: pen[0],
            amount: w("1"),
            open: w("0.5")
        })
    );
    l.forgive(jan(6, 15, 0), pen[0], w("0.5"), "incident")
        .unwrap();
    assert_eq!(l.obligation(s).unwrap().open_wad(), Wad::ZERO);
    assert_eq!(l.owed(Payer::Prime).unwrap(), Wad::ZERO);
    assert_eq!(l.escalation(jan(7, 0, 0)), Escalation::Current);
    l.check_invariant_9().unwrap();
}
