//! The ledger's penalty model (docs/ledger.md, SPEC §5.4, §8 invariant 9) over random
//! sequences of statements (both directions, carrying and netting every open penalty, as the
//! settlement operator does), payments, crystallisations at random instants and Core Council
//! forgiveness before and after a penalty is carried:
//!
//! (a) the Prime's total penalty — and every statement, payment match and penalty per source —
//!     is the same whatever extra crystallisations run in between;
//! (b) no penalty is owed twice: what each payer owes equals an independent model that keeps
//!     no penalty records at all, only per-obligation sums;
//! (c) invariant 9 holds after every step.
#![allow(clippy::unwrap_used)]

use alloy_primitives::U512;
use laniakea_settlement::ledger::{Ledger, Payer, Thresholds};
use laniakea_settlement::EpochId;
use laniakea_units::{Timestamp, Wad, U256, WAD};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

const JAN1: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY: u64 = 86_400;
const MOMENT: u64 = 16 * 3600;

#[derive(Debug, Clone)]
enum Op {
    Wait(u64),
    /// To the next 13:00 lock (the operator posts there).
    ToLock,
    /// A statement whose own lines are `amount` owed by the Generator (`true`) or the Prime.
    Statement(bool, u128),
    /// Pays `permille` of what the payer has open on statements.
    Pay(bool, u16),
    /// Forgives `permille` of the not-yet-carried penalty of one source obligation.
    ForgiveBefore(usize, u16),
    /// Forgives `permille` of what can be forgiven of the penalties one statement carried.
    ForgiveAfter(usize, u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop_oneof![Just(0u64), Just(1), 0u64..2 * DAY].prop_map(Op::Wait),
        2 => Just(Op::ToLock),
        3 => (prop::bool::weighted(0.25), prop_oneof![Just(1u128), 1u128..10u128.pow(24)]).prop_map(|(g, a)| Op::Statement(g, a)),
        3 => (prop::bool::weighted(0.25), 1u16..=1000).prop_map(|(g, p)| Op::Pay(g, p)),
        1 => (any::<usize>(), 1u16..=1000).prop_map(|(i, p)| Op::ForgiveBefore(i, p)),
        1 => (any::<usize>(), 1u16..=1000).prop_map(|(i, p)| Op::ForgiveAfter(i, p)),
    ]
}

fn payer(gen: bool) -> Payer {
    if gen {
        Payer::Generator
    } else {
        Payer::Prime
    }
}

/// The independent model: statements with their unpaid history; per source obligation only
/// the cumulative penalty booked, carried and forgiven. No penalty records.
#[derive(Debug, Clone)]
struct MStatement {
    payer: Payer,
    due: u64,
    amount: U256,
    paid: U256,
    /// Penalty forgiven after this statement carried it.
    forgiven: U256,
    unpaid: Vec<(u64, U256)>,
    /// Cumulative penalty booked on this statement (`⌊∫ unpaid·rate/3600⌋` at the last
    /// crystallisation), carried onwards, forgiven before being carried.
    booked: U256,
    carried_on: U256,
    forgiven_before: U256,
    /// Penalty of the same payer carried into this statement (forgivable after carrying).
    carried_in_same: U256,
}

impl MStatement {
    fn open(&self) -> U256 {
        self.amount - self.paid - self.forgiven
    }
    fn pending_penalty(&self) -> U256 {
        self.booked - self.carried_on - self.forgiven_before
    }
    fn integral(&self, to: u64) -> U512 {
        let mut acc = U512::ZERO;
        for (k, (from, v)) in self.unpaid.iter().enumerate() {
            let end = self.unpaid.get(k + 1).map_or(u64::MAX, |p| p.0);
            let (lo, hi) = ((*from).max(self.due), end.min(to));
            if hi > lo {
                acc += U512::from(*v) * U512::from(hi - lo);
            }
        }
        acc
    }
}

struct Model {
    rate: U256,
    s: Vec<MStatement>,
}

impl Model {
    fn crystallise(&mut self, now: u64) {
        let den = U512::from(3600u32) * U512::from(WAD);
        for o in &mut self.s {
            if now > o.due {
                let t = o.integral(now) * U512::from(self.rate) / den;
                o.booked = U256::from_limbs(t.as_limbs()[..4].try_into().unwrap());
            }
        }
    }
    fn owed(&self, p: Payer) -> U256 {
        self.s
            .iter()
            .filter(|o| o.payer == p)
            .map(|o| o.open() + o.pending_penalty())
            .fold(U256::ZERO, |a, b| a + b)
    }
}

/// What a run ends with, for comparing schedules, and what it exercised.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    total_penalty: String,
    penalty_per_source: Vec<Wad>,
    statements: Vec<(Payer, Wad, Wad, Wad)>,
    payments: Vec<Vec<(u64, Wad)>>,
    owed: (Wad, Wad),
}

#[derive(Debug, Default)]
struct Seen {
    carried: usize,
    netted: usize,
    forgiven_before: usize,
    forgiven_after: usize,
    late_carried: usize,
}

/// Runs `ops`; `extra` lists (op index, permille) where an extra crystallisation runs before
/// that op (inside a `Wait`, at that fraction of it).
fn run(
    rate: U256,
    ops: &[Op],
    extra: &[(usize, u16)],
    seen: &mut Seen,
) -> Result<Outcome, TestCaseError> {
    let mut l = Ledger::new("p", Wad::from_raw(rate), Thresholds::default()).unwrap();
    let mut m = Model {
        rate,
        s: Vec::new(),
    };
    let mut now = JAN1 + 13 * 3600;
    let check = |l: &Ledger, m: &Model| -> Result<(), TestCaseError> {
        l.check_invariant_9().map_err(TestCaseError::fail)?;
        for p in [Payer::Prime, Payer::Generator] {
            prop_assert_eq!(l.owed(p).unwrap().raw(), m.owed(p), "{:?} owes", p);
        }
        Ok(())
    };
    let mut extra = extra.to_vec();
    extra.sort();
    for (i, op) in ops.iter().enumerate() {
        for &(_, permille) in extra.iter().filter(|(k, _)| *k == i) {
            if let Op::Wait(dt) = op {
                let at = now + dt * u64::from(permille) / 1000;
                l.crystallize_penalties(Timestamp(at)).unwrap();
                m.crystallise(at);
            } else {
                l.crystallize_penalties(Timestamp(now)).unwrap();
                m.crystallise(now);
            }
            check(&l, &m)?;
        }
        match op {
            Op::Wait(dt) => now += dt,
            Op::ToLock => {
                let d = if now % DAY < 13 * 3600 {
                    now / DAY
                } else {
                    now / DAY + 1
                };
                now = d * DAY + 13 * 3600;
            }
            Op::Statement(gen, a) => {
                // Epoch: the next 16:00 at or after now.
                let d = if now % DAY <= MOMENT {
                    now / DAY
                } else {
                    now / DAY + 1
                };
                let e = EpochId::parse(
                    &jiff::Timestamp::from_second((d * DAY) as i64)
                        .unwrap()
                        .to_string()[..10],
                )
                .unwrap();
                l.crystallize_penalties(Timestamp(now)).unwrap();
                m.crystallise(now);
                let carried = l.penalties_to_carry();
                // Net the statement's own lines with every pending penalty, by direction.
                let (mut prime, mut generator) = (U256::ZERO, U256::ZERO);
                let mut add = |p: Payer, x: U256| match p {
                    Payer::Prime => prime += x,
                    Payer::Generator => generator += x,
                };
                add(payer(*gen), U256::from(*a));
                for o in &m.s {
                    add(o.payer, o.pending_penalty());
                }
                let (who, amount) = if prime >= generator {
                    (Payer::Prime, prime - generator)
                } else {
                    (Payer::Generator, generator - prime)
                };
                let carried_sum = carried.iter().fold(U256::ZERO, |x, (_, c)| x + c.raw());
                let pending_sum = m.s.iter().fold(U256::ZERO, |x, o| x + o.pending_penalty());
                prop_assert_eq!(carried_sum, pending_sum, "what is carried");
                l.post_statement(
                    Timestamp(now),
                    e,
                    who,
                    e.moment(),
                    Wad::from_raw(amount),
                    &carried,
                )
                .unwrap();
                let mut same = U256::ZERO;
                for o in &mut m.s {
                    let x = o.pending_penalty();
                    if !x.is_zero() {
                        seen.carried += 1;
                        if o.payer == who {
                            same += x
                        } else {
                            seen.netted += 1
                        }
                    }
                    o.carried_on += x;
                }
                m.s.push(MStatement {
                    payer: who,
                    due: e.moment().0,
                    amount,
                    paid: U256::ZERO,
                    forgiven: U256::ZERO,
                    unpaid: vec![(0, amount)],
                    booked: U256::ZERO,
                    carried_on: U256::ZERO,
                    forgiven_before: U256::ZERO,
                    carried_in_same: same,
                });
            }
            Op::Pay(gen, permille) => {
                let p = payer(*gen);
                let open =
                    m.s.iter()
                        .filter(|o| o.payer == p)
                        .fold(U256::ZERO, |x, o| x + o.open());
                let amount = open * U256::from(*permille) / U256::from(1000u16);
                if amount.is_zero() {
                    continue;
                }
                l.pay(Timestamp(now), p, Wad::from_raw(amount)).unwrap();
                let mut order: Vec<usize> = (0..m.s.len())
                    .filter(|k| m.s[*k].payer == p && !m.s[*k].open().is_zero())
                    .collect();
                order.sort_by_key(|k| (m.s[*k].due, *k));
                let mut left = amount;
                for k in order {
                    let take = left.min(m.s[k].open());
                    if take.is_zero() {
                        break;
                    }
                    if now > m.s[k].due && !m.s[k].carried_in_same.is_zero() {
                        seen.late_carried += 1;
                    }
                    m.s[k].paid += take;
                    left -= take;
                    let o = m.s[k].open();
                    m.s[k].unpaid.push((now, o));
                }
            }
            Op::ForgiveBefore(k, permille) => {
                // The Council forgives from a figure crystallised at its instant.
                l.crystallize_penalties(Timestamp(now)).unwrap();
                m.crystallise(now);
                let cands: Vec<usize> = (0..m.s.len())
                    .filter(|j| !m.s[*j].pending_penalty().is_zero())
                    .collect();
                if cands.is_empty() {
                    continue;
                }
                let j = cands[k % cands.len()];
                let x = (m.s[j].pending_penalty() * U256::from(*permille) / U256::from(1000u16))
                    .max(U256::from(1u8));
                // Spread over that source's open records, oldest first.
                let mut left = x;
                let recs: Vec<(u64, Wad)> = l
                    .penalties
                    .iter()
                    .filter(|p| p.source == j as u64 + 1 && p.carried_into.is_none())
                    .map(|p| (p.id, p.open_wad()))
                    .collect();
                for (id, open) in recs {
                    let take = left.min(open.raw());
                    if !take.is_zero() {
                        l.forgive(
                            Timestamp(now),
                            id,
                            Wad::from_raw(take),
                            "Core Council: incident",
                        )
                        .unwrap();
                        left -= take;
                    }
                }
                prop_assert!(left.is_zero());
                m.s[j].forgiven_before += x;
                seen.forgiven_before += 1;
            }
            Op::ForgiveAfter(k, permille) => {
                let forgivable = |o: &MStatement| (o.carried_in_same - o.forgiven).min(o.open());
                let cands: Vec<usize> = (0..m.s.len())
                    .filter(|j| !forgivable(&m.s[*j]).is_zero())
                    .collect();
                if cands.is_empty() {
                    continue;
                }
                let j = cands[k % cands.len()];
                let x = (forgivable(&m.s[j]) * U256::from(*permille) / U256::from(1000u16))
                    .max(U256::from(1u8));
                let mut left = x;
                let recs: Vec<u64> = l
                    .penalties
                    .iter()
                    .filter(|p| p.carried_into.is_some_and(|c| c.statement == j as u64 + 1))
                    .map(|p| p.id)
                    .collect();
                for id in recs {
                    let take = left.min(l.forgivable(id).unwrap().raw());
                    if !take.is_zero() {
                        l.forgive(
                            Timestamp(now),
                            id,
                            Wad::from_raw(take),
                            "Core Council: second look",
                        )
                        .unwrap();
                        left -= take;
                    }
                }
                prop_assert!(left.is_zero());
                let o = &mut m.s[j];
                o.forgiven += x;
                let open = o.open();
                o.unpaid.push((now, open));
                seen.forgiven_after += 1;
            }
        }
        check(&l, &m)?;
    }
    // The end: everything accrued so far is booked.
    l.crystallize_penalties(Timestamp(now + DAY)).unwrap();
    m.crystallise(now + DAY);
    check(&l, &m)?;
    Ok(Outcome {
        total_penalty: l.totals().unwrap().penalties_wad.to_string(),
        penalty_per_source: (1..=l.obligations.len() as u64)
            .map(|id| l.penalty_booked(id).unwrap())
            .collect(),
        statements: l
            .obligations
            .iter()
            .map(|o| (o.payer, o.amount_wad, o.paid_wad, o.forgiven_wad))
            .collect(),
        payments: l.payments.iter().map(|p| p.applied.clone()).collect(),
        owed: (
            l.owed(Payer::Prime).unwrap(),
            l.owed(Payer::Generator).unwrap(),
        ),
    })
}

fn inputs() -> impl Strategy<Value = (U256, Vec<Op>, Vec<(usize, u16)>)> {
    (
        prop_oneof![
            Just(WAD),
            Just(U256::from(1u8)),
            (1u64..=10u64.pow(16)).prop_map(U256::from)
        ],
        proptest::collection::vec(op(), 1..120),
    )
        .prop_flat_map(|(rate, ops)| {
            let n = ops.len();
            let extra = proptest::collection::vec((0..n, 0u16..=1000), 0..30);
            (Just(rate), Just(ops), extra)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// (a) extra crystallisations change nothing; (b) each payer owes what the model says, so
    /// no penalty is owed twice; (c) invariant 9 after every step (both runs).
    #[test]
    fn penalties_are_independent_of_the_crystallisation_schedule_and_owed_once((rate, ops, extra) in inputs()) {
        let mut seen = Seen::default();
        let base = run(rate, &ops, &[], &mut seen)?;
        let scheduled = run(rate, &ops, &extra, &mut seen)?;
        prop_assert_eq!(base, scheduled, "extra crystallisations at {:?}", extra);
    }
}

/// The generator above reaches what the properties are about: carried penalties, penalties
/// netted against a statement paid the other way, late carried penalties, forgiveness before
/// and after carrying.
#[test]
fn the_schedule_generator_exercises_carrying_netting_and_forgiveness() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = Seen::default();
    for _ in 0..100 {
        let (rate, ops, extra) = inputs().new_tree(&mut runner).unwrap().current();
        run(rate, &ops, &extra, &mut seen).unwrap();
    }
    assert!(
        seen.carried > 1000
            && seen.netted > 200
            && seen.late_carried > 200
            && seen.forgiven_before > 50
            && seen.forgiven_after > 100,
        "{seen:?}"
    );
}
