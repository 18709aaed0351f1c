//! The seeded plan of one day: every actor action, governance action, incident step and
//! operator step, each at its instant, in the order they run.
//!
//! Contract: [`day_plan`] is a pure function of (scenario, seed, day) — it never reads the
//! chain or the Synome — so a resumed run plans exactly what the first attempt planned. Random
//! draws come from ChaCha8 seeded with `keccak256(seed ‖ day ‖ stream)` (one stream per actor and
//! purpose), so adding an actor does not shift another's draws. Amounts are whole-token
//! intents; the executor clamps them to what the chain allows at execution time. Each step has
//! a tag `<day>/<actor>/<what>` unique within the run.

use crate::scenario::{time_of_day_s, Incident, Scenario, BPS};
use alloy_primitives::keccak256;
use laniakea_units::{EpochId, Timestamp, Wad, U256, WAD};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// The PRNG of one stream.
pub fn rng(seed: u64, day: EpochId, stream: &str) -> ChaCha8Rng {
    let mut bytes = Vec::with_capacity(32 + stream.len());
    bytes.extend_from_slice(&seed.to_be_bytes());
    bytes.extend_from_slice(&day.day_number().to_be_bytes());
    bytes.extend_from_slice(stream.as_bytes());
    ChaCha8Rng::from_seed(keccak256(&bytes).0)
}

/// `true` with probability `bps`/10 000.
pub fn roll(r: &mut ChaCha8Rng, bps: u32) -> bool {
    (r.next_u32() % BPS) < bps
}

/// A whole-token amount uniform in `[lo, hi]` (whole tokens; fractions of the bounds dropped).
pub fn amount_in(r: &mut ChaCha8Rng, range: &[Wad; 2]) -> Wad {
    let (lo, hi) = (range[0].raw() / WAD, range[1].raw() / WAD);
    let span = hi.saturating_sub(lo).saturating_add(U256::from(1u8));
    let x: U256 = (U256::from(r.next_u64()) << 64) | U256::from(r.next_u64());
    Wad::from_raw((lo + x % span).saturating_mul(WAD))
}

/// A number uniform in `[lo, hi]`.
pub fn u32_in(r: &mut ChaCha8Rng, lo: u32, hi: u32) -> u32 {
    lo + r.next_u32() % (hi - lo + 1)
}

/// Seconds after midnight uniform in `[from_s, to_s)`.
fn second_in(r: &mut ChaCha8Rng, from_s: u64, to_s: u64) -> u64 {
    from_s + r.next_u64() % (to_s - from_s)
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    // governance (Core Council / admin / GovOps)
    ParameterSet { change: usize },
    LctsInputs { epoch: EpochId },
    Skip { epoch: EpochId, reason: String },
    RateLimit { change: usize },
    MigrationPlanRecord { migration: usize },
    Cutover { migration: usize },
    Tranche { migration: usize, n: u32 },
    Complete { migration: usize },
    Forgive { prime: String, epoch: EpochId },
    // actors
    GeneratorMorning,
    PrimeDraw { prime: String, amount: Wad },
    PrimeRepay { prime: String, amount: Wad },
    PrimeTopUp { prime: String },
    PrimePay { prime: String, epoch: EpochId },
    UserSubscribe { user: u32, amount: Wad },
    UserRedeem { user: u32, share_bps: u32 },
    UserClaim { user: u32 },
    // incidents
    CompromiseDrain { prime: String },
    Freeze { prime: String },
    CliffPause { prime: String, pause_hours: u32 },
    CliffDraw { prime: String },
    CliffGeneratorWithdraw { prime: String },
    // operators
    LctsLock,
    PostStatements { epoch: EpochId },
    RecordPenalties,
    PayGeneratorSide { epoch: EpochId },
    RecordReceipts,
    LctsSettle,
    CheckerReport { epoch: EpochId },
    PrimeReports { epoch: EpochId },
    Checkpoint,
}

impl Act {
    /// A short name of the step's kind (for progress and timing displays).
    pub fn kind(&self) -> &'static str {
        match self {
            Act::ParameterSet { .. }
            | Act::LctsInputs { .. }
            | Act::Skip { .. }
            | Act::RateLimit { .. }
            | Act::Forgive { .. } => "governance",
            Act::MigrationPlanRecord { .. }
            | Act::Cutover { .. }
            | Act::Tranche { .. }
            | Act::Complete { .. } => "migration",
            Act::GeneratorMorning => "generator",
            Act::PrimeDraw { .. } | Act::PrimeRepay { .. } | Act::PrimeTopUp { .. } => {
                "prime actions"
            }
            Act::PrimePay { .. } => "prime payments",
            Act::UserSubscribe { .. } | Act::UserRedeem { .. } | Act::UserClaim { .. } => {
                "lcts users"
            }
            Act::CompromiseDrain { .. }
            | Act::Freeze { .. }
            | Act::CliffPause { .. }
            | Act::CliffDraw { .. }
            | Act::CliffGeneratorWithdraw { .. } => "incidents",
            Act::LctsLock | Act::LctsSettle => "lpha-lcts",
            Act::PostStatements { .. } => "operator: statements",
            Act::RecordPenalties => "operator: penalties",
            Act::PayGeneratorSide { .. } => "operator: generator payments",
            Act::RecordReceipts => "operator: receipts",
            Act::CheckerReport { .. } => "lpla-checker",
            Act::PrimeReports { .. } => "lpha-report",
            Act::Checkpoint => "checkpoint",
        }
    }
}

impl Act {
    /// Whether the loop moves the chain's clock to the step's instant before it runs. Actor
    /// steps do not: their transactions carry their own block time, and a step that submits
    /// nothing leaves no trace (a journaled clock move costs a durable commit). Their reads
    /// (balances, a rate limit's current amount) then see the chain's latest block time.
    pub fn moves_clock(&self) -> bool {
        !matches!(
            self,
            Act::PrimeDraw { .. }
                | Act::PrimeRepay { .. }
                | Act::PrimeTopUp { .. }
                | Act::PrimePay { .. }
                | Act::UserSubscribe { .. }
                | Act::UserRedeem { .. }
                | Act::UserClaim { .. }
        )
    }
}

/// One step of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: Timestamp,
    pub tag: String,
    pub act: Act,
}

/// The run's calendar facts a plan needs.
pub struct Calendar {
    pub documented: BTreeMap<EpochId, String>,
    pub undocumented: Vec<EpochId>,
    pub last: EpochId,
}

impl Calendar {
    pub fn new(s: &Scenario, days: u32) -> Calendar {
        let undocumented = s
            .incidents
            .iter()
            .filter_map(|i| match i {
                Incident::SkippedDay(x) if !x.documented => Some(x.epoch),
                _ => None,
            })
            .collect();
        Calendar {
            documented: s.documented_skips(days),
            undocumented,
            last: s.end(days).unwrap_or(s.start),
        }
    }
    /// Settled on its own day (neither skipped by a record nor missed).
    pub fn settles_on_time(&self, e: EpochId) -> bool {
        !self.documented.contains_key(&e) && !self.undocumented.contains(&e)
    }
}

fn at(day: EpochId, s: u64) -> Timestamp {
    Timestamp(day.day_number() * 86_400 + s)
}

/// When a Prime pays its obligation of executed epoch `e` (`None`: it does not, for that
/// epoch; its next payment covers it).
pub fn payment_time(s: &Scenario, seed: u64, e: EpochId, prime: &str) -> Option<Timestamp> {
    for i in &s.incidents {
        match i {
            Incident::MissedPayment(x) if x.epoch == e && x.prime == prime => return None,
            Incident::LatePayment(x) if x.epoch == e && x.prime == prime => {
                return Some(Timestamp(e.moment().0 + u64::from(x.hours_late) * 3600));
            }
            _ => {}
        }
    }
    let b = &s.primes.iter().find(|p| p.name == prime)?.behaviour;
    let mut r = rng(seed, e, &format!("{prime}/pay"));
    if roll(&mut r, b.pay_on_time_bps) {
        // 13:10 to 15:50: after the statements, before the due time.
        Some(at(e, second_in(&mut r, 13 * 3600 + 600, 15 * 3600 + 3000)))
    } else {
        let h = u32_in(&mut r, b.late_hours[0], b.late_hours[1]);
        Some(Timestamp(e.moment().0 + u64::from(h) * 3600))
    }
}

/// The compromise of `prime` on `day`, if any: (start, freeze) instants.
pub fn compromise(s: &Scenario, day: EpochId, prime: &str) -> Option<(Timestamp, Timestamp)> {
    s.incidents.iter().find_map(|i| match i {
        Incident::RelayerCompromise(x) if x.epoch == day && x.prime == prime => {
            let t = time_of_day_s(&x.at)?;
            Some((
                at(day, t),
                at(day, t + u64::from(x.freeze_after_minutes) * 60),
            ))
        }
        _ => None,
    })
}

/// The relayer account name `prime` acts with at `t` (a new one after a compromise's freeze).
pub fn relayer_at(s: &Scenario, prime: &str, t: Timestamp) -> String {
    let replaced = s.incidents.iter().any(|i| match i {
        Incident::RelayerCompromise(x) if x.prime == prime => {
            compromise(s, x.epoch, prime).is_some_and(|(_, f)| f <= t)
        }
        _ => false,
    });
    if replaced {
        format!("{prime}_relayer2")
    } else {
        format!("{prime}_relayer")
    }
}

/// Whether `prime`'s funding goes through its vault at `t` (the cutover has happened).
pub fn on_vault(s: &Scenario, prime: &str, t: Timestamp) -> bool {
    s.migrations
        .iter()
        .any(|m| m.prime == prime && m.cutover_at().is_some_and(|c| c <= t))
}

/// Whether `prime`'s legacy ilk is frozen for the migration at `t` (plan recorded, cutover not
/// yet): the Prime neither draws nor repays, so the plan's tranches match the debt exactly.
pub fn migration_freeze(s: &Scenario, prime: &str, t: Timestamp) -> bool {
    s.migrations.iter().any(|m| {
        m.prime == prime && at(m.plan_epoch, 0) <= t && m.cutover_at().is_some_and(|c| t < c)
    })
}

/// Every step of `day`, in execution order.
pub fn day_plan(s: &Scenario, seed: u64, cal: &Calendar, day: EpochId) -> Vec<Step> {
    let mut v: Vec<(Timestamp, u32, String, Act)> = Vec::new();
    let d = day.to_string();
    let mut push = |t: Timestamp, order: u32, tag: String, act: Act| v.push((t, order, tag, act));
    // Governance at 10:00: parameter sets, skips for tomorrow, rate limits, migration plans.
    for (i, c) in s.governance.changes.iter().enumerate() {
        if c.epoch == day {
            push(
                at(day, 36_000),
                10,
                format!("{d}/council/params#{i}"),
                Act::ParameterSet { change: i },
            );
        }
    }
    if let Ok(next) = day.next() {
        if next <= cal.last {
            if let Some(reason) = cal.documented.get(&next) {
                push(
                    at(day, 36_000),
                    11,
                    format!("{d}/council/skip-{next}"),
                    Act::Skip {
                        epoch: next,
                        reason: reason.clone(),
                    },
                );
            }
        }
    }
    let lcts_inputs_missing = s
        .incidents
        .iter()
        .any(|i| matches!(i, Incident::MissingLctsInputs(x) if x.epoch == day));
    // srUSDS runs on every day not skipped by a record: a missed settlement (the settlement
    // operator's failure) does not stop lpha-lcts, so every epoch with statements has its one
    // LCTS record (SPEC §8 inv. 8).
    let lcts_runs = !cal.documented.contains_key(&day);
    if s.lcts.is_some() && lcts_runs && !lcts_inputs_missing {
        push(
            at(day, 36_000),
            10,
            format!("{d}/council/lcts-inputs"),
            Act::LctsInputs { epoch: day },
        );
    }
    for (i, r) in s.governance.rate_limits.iter().enumerate() {
        if r.epoch == day {
            push(
                at(day, 36_060),
                12,
                format!("{d}/gov/rate-limit#{i}"),
                Act::RateLimit { change: i },
            );
        }
    }
    for (i, m) in s.migrations.iter().enumerate() {
        let Some(cut) = m.cutover_at() else { continue };
        let cut_day = EpochId::date_of(cut).unwrap_or(day);
        let sod = cut.0 % 86_400;
        if m.plan_epoch == day {
            push(
                at(day, crate::scenario::MIGRATION_PLAN_SOD),
                13,
                format!("{d}/council/migration-plan#{i}"),
                Act::MigrationPlanRecord { migration: i },
            );
        }
        if cut_day == day {
            push(
                cut,
                14,
                format!("{d}/gov/cutover#{i}"),
                Act::Cutover { migration: i },
            );
        }
        let k = day.day_number().saturating_sub(cut_day.day_number());
        if day >= cut_day && k < u64::from(m.tranches) {
            push(
                at(day, sod + 60),
                15,
                format!("{d}/gov/tranche#{i}.{k}"),
                Act::Tranche {
                    migration: i,
                    n: k as u32,
                },
            );
        }
        if day >= cut_day && k == u64::from(m.dual_run_days) {
            push(
                at(day, sod + 120),
                16,
                format!("{d}/gov/complete#{i}"),
                Act::Complete { migration: i },
            );
        }
    }
    // The Generator tops up its buffer and the vaults at 09:00.
    push(
        at(day, 32_400),
        5,
        format!("{d}/gen/morning"),
        Act::GeneratorMorning,
    );
    // Prime behaviour in the Active Window (01:00–12:00).
    for p in &s.primes {
        let n = &p.name;
        let b = &p.behaviour;
        let mut r = rng(seed, day, &format!("{n}/morning"));
        let draw = roll(&mut r, b.draw_bps)
            .then(|| (amount_in(&mut r, &b.draw), second_in(&mut r, 3_600, 43_200)));
        let repay = roll(&mut r, b.repay_bps).then(|| {
            (
                amount_in(&mut r, &b.repay),
                second_in(&mut r, 3_600, 43_200),
            )
        });
        let busy = compromise(s, day, n);
        let ok = |t: u64| busy.is_none_or(|(a, f)| at(day, t) < a || at(day, t) > f);
        if let Some((amount, t)) = draw {
            if ok(t) {
                push(
                    at(day, t),
                    20,
                    format!("{d}/{n}/draw"),
                    Act::PrimeDraw {
                        prime: n.clone(),
                        amount,
                    },
                );
            }
        }
        if let Some((amount, t)) = repay {
            if ok(t) {
                push(
                    at(day, t),
                    21,
                    format!("{d}/{n}/repay"),
                    Act::PrimeRepay {
                        prime: n.clone(),
                        amount,
                    },
                );
            }
        }
        push(
            at(day, 45_000),
            25,
            format!("{d}/{n}/topup"),
            Act::PrimeTopUp { prime: n.clone() },
        );
        // Payments of today's and the two previous epochs that fall on this day.
        let mut e = day;
        for _ in 0..3 {
            if e >= s.start && cal.settles_on_time(e) {
                if let Some(t) = payment_time(s, seed, e, n) {
                    if EpochId::date_of(t).ok() == Some(day) {
                        push(
                            t,
                            40,
                            format!("{d}/{n}/pay-{e}"),
                            Act::PrimePay {
                                prime: n.clone(),
                                epoch: e,
                            },
                        );
                    }
                }
            }
            match e.prev() {
                Ok(x) => e = x,
                Err(_) => break,
            }
        }
    }
    // LCTS users in the Active Window.
    if let Some(l) = &s.lcts {
        for u in 0..l.users {
            let mut r = rng(seed, day, &format!("u{u}"));
            if roll(&mut r, l.subscribe_bps) {
                let (amount, t) = (
                    amount_in(&mut r, &l.subscribe),
                    second_in(&mut r, 3_600, 43_200),
                );
                push(
                    at(day, t),
                    30,
                    format!("{d}/u{u}/subscribe"),
                    Act::UserSubscribe { user: u, amount },
                );
            }
            if roll(&mut r, l.redeem_bps) {
                let (share, t) = (
                    u32_in(&mut r, l.redeem_share_bps[0], l.redeem_share_bps[1]),
                    second_in(&mut r, 3_600, 43_200),
                );
                push(
                    at(day, t),
                    31,
                    format!("{d}/u{u}/redeem"),
                    Act::UserRedeem {
                        user: u,
                        share_bps: share,
                    },
                );
            }
            if roll(&mut r, l.claim_bps) {
                let t = second_in(&mut r, 3_600, 43_200);
                push(
                    at(day, t),
                    32,
                    format!("{d}/u{u}/claim"),
                    Act::UserClaim { user: u },
                );
            }
        }
    }
    // Incidents.
    for i in &s.incidents {
        match i {
            Incident::RelayerCompromise(x) if x.epoch == day => {
                if let Some((a, f)) = compromise(s, day, &x.prime) {
                    let mut t = a;
                    let mut k = 0;
                    while t < f {
                        push(
                            t,
                            50,
                            format!("{d}/{}/drain#{k}", x.prime),
                            Act::CompromiseDrain {
                                prime: x.prime.clone(),
                            },
                        );
                        t = Timestamp(t.0 + 300);
                        k += 1;
                    }
                    push(
                        f,
                        51,
                        format!("{d}/{}/freeze", x.prime),
                        Act::Freeze {
                            prime: x.prime.clone(),
                        },
                    );
                }
            }
            Incident::LiquidityCliff(x) if x.epoch == day => {
                push(
                    at(day, 39_600),
                    52,
                    format!("{d}/{}/cliff-pause", x.prime),
                    Act::CliffPause {
                        prime: x.prime.clone(),
                        pause_hours: x.pause_hours,
                    },
                );
                push(
                    at(day, 39_900),
                    53,
                    format!("{d}/{}/cliff-draw", x.prime),
                    Act::CliffDraw {
                        prime: x.prime.clone(),
                    },
                );
                push(
                    at(day, 40_200),
                    54,
                    format!("{d}/{}/cliff-withdraw", x.prime),
                    Act::CliffGeneratorWithdraw {
                        prime: x.prime.clone(),
                    },
                );
            }
            _ => {}
        }
    }
    // Operators: catch up a missed settlement of yesterday, then today's Processing Window.
    let lock = day.lock().0;
    let missed: Vec<EpochId> = day
        .prev()
        .ok()
        .filter(|y| cal.undocumented.contains(y))
        .into_iter()
        .collect();
    let settles = cal.settles_on_time(day);
    let lcts_runs = !cal.documented.contains_key(&day);
    if lcts_runs && s.lcts.is_some() {
        push(Timestamp(lock), 60, format!("{d}/lcts/lock"), Act::LctsLock);
    }
    for y in &missed {
        push(
            Timestamp(lock),
            61,
            format!("{d}/op/statements-{y}"),
            Act::PostStatements { epoch: *y },
        );
    }
    if settles {
        push(
            Timestamp(lock),
            62,
            format!("{d}/op/statements"),
            Act::PostStatements { epoch: day },
        );
    }
    if settles || !missed.is_empty() {
        push(
            Timestamp(lock),
            63,
            format!("{d}/op/penalties-lock"),
            Act::RecordPenalties,
        );
        for i in &s.incidents {
            if let Incident::LatePayment(x) = i {
                if x.forgive && x.epoch < day && settles {
                    push(
                        Timestamp(lock + 60),
                        64,
                        format!("{d}/council/forgive-{}-{}", x.prime, x.epoch),
                        Act::Forgive {
                            prime: x.prime.clone(),
                            epoch: x.epoch,
                        },
                    );
                }
            }
        }
        push(
            Timestamp(lock + 5_400),
            70,
            format!("{d}/op/generator-pays"),
            Act::PayGeneratorSide { epoch: day },
        );
    }
    let moment = day.moment().0;
    if lcts_runs && s.lcts.is_some() {
        push(
            Timestamp(moment),
            80,
            format!("{d}/lcts/settle"),
            Act::LctsSettle,
        );
    }
    push(
        Timestamp(moment),
        81,
        format!("{d}/op/receipts"),
        Act::RecordReceipts,
    );
    push(
        Timestamp(moment),
        82,
        format!("{d}/op/penalties"),
        Act::RecordPenalties,
    );
    for y in &missed {
        push(
            Timestamp(moment + 1_800),
            90,
            format!("{d}/checker/{y}"),
            Act::CheckerReport { epoch: *y },
        );
    }
    if !cal.undocumented.contains(&day) {
        push(
            Timestamp(moment + 1_800),
            91,
            format!("{d}/checker"),
            Act::CheckerReport { epoch: day },
        );
    }
    for y in &missed {
        push(
            Timestamp(moment + 3_600),
            92,
            format!("{d}/report/{y}"),
            Act::PrimeReports { epoch: *y },
        );
    }
    if settles {
        push(
            Timestamp(moment + 3_600),
            93,
            format!("{d}/report"),
            Act::PrimeReports { epoch: day },
        );
    }
    if day == cal.last {
        push(
            Timestamp(moment + 25_000),
            95,
            format!("{d}/op/receipts-close"),
            Act::RecordReceipts,
        );
        push(
            Timestamp(moment + 25_000),
            96,
            format!("{d}/op/penalties-close"),
            Act::RecordPenalties,
        );
    }
    push(
        Timestamp(moment + 25_200),
        99,
        format!("{d}/op/checkpoint"),
        Act::Checkpoint,
    );
    v.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| a.2.cmp(&b.2)));
    v.into_iter()
        .map(|(at, _, tag, act)| Step { at, tag, act })
        .collect()
}
