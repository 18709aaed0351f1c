//! Independent review of the settlement maths after the issue-9 audit (SPEC §3, §5.2–5.4, §8.9).
//!
//! A reference written from the SPEC text alone (calendar, exact integrals, the five-step lines
//! and distributions with one 512-bit product and one floor each; the ledger's oldest-first
//! matching and continuous penalty) is compared with the library to the wei over random inputs
//! files; boundary instants (12:59:59 / 13:00:00 / 16:00:00 / 16:00:01) get specific
//! assertions; every figure of the output is checked to be covered by a digest.
#![allow(clippy::unwrap_used)]

use alloy_primitives::U512;
use laniakea_settlement::inputs::{parse, EpochResult};
use laniakea_settlement::ledger::{Ledger, LedgerError, Payer, Thresholds};
use laniakea_settlement::{EpochId, SignedWad};
use laniakea_units::{Timestamp, Wad, U256, WAD};
use proptest::prelude::*;
use serde_json::{json, Value};

const JAN1: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY: u64 = 86_400;
const LOCK: u64 = 13 * 3600;
const MOMENT: u64 = 16 * 3600;
const YEAR: u64 = 31_536_000;

fn big(x: U256) -> U512 {
    U512::from(x)
}
fn dec(x: U512) -> String {
    // Wei as an exact decimal USDS string (the output's machine form).
    let s = x.to_string();
    let (i, f) = if s.len() > 18 {
        (s[..s.len() - 18].to_string(), s[s.len() - 18..].to_string())
    } else {
        ("0".to_string(), format!("{s:0>18}"))
    };
    let f = f.trim_end_matches('0');
    if f.is_empty() {
        i
    } else {
        format!("{i}.{f}")
    }
}
fn date(day: u64) -> String {
    jiff::Timestamp::from_second((JAN1 + day * DAY) as i64)
        .unwrap()
        .to_string()[..10]
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Random inputs files and the reference.

#[derive(Debug, Clone)]
struct Hist {
    initial: u128,
    /// (seconds after JAN1, balance), strictly increasing.
    changes: Vec<(u64, u128)>,
}

impl Hist {
    fn json(&self) -> Value {
        json!({
            "initial": dec(U512::from(self.initial)),
            "changes": self.changes.iter().map(|(t, b)| json!({"at": JAN1 + t, "balance": dec(U512::from(*b))})).collect::<Vec<_>>(),
        })
    }
    /// ∫ balance dt over [a, b) (absolute seconds), second by second in spirit: each piece
    /// is balance × overlap.
    fn integral(&self, a: u64, b: u64) -> U512 {
        let mut pieces = vec![(0u64, self.initial)];
        pieces.extend(self.changes.iter().map(|(t, v)| (JAN1 + t, *v)));
        let mut acc = U512::ZERO;
        for (k, (from, v)) in pieces.iter().enumerate() {
            let to = pieces.get(k + 1).map_or(u64::MAX, |p| p.0);
            let lo = (*from).max(a);
            let hi = to.min(b);
            if hi > lo {
                acc += U512::from(*v) * U512::from(hi - lo);
            }
        }
        acc
    }
}

fn hist() -> impl Strategy<Value = Hist> {
    let bal = prop_oneof![
        Just(0u128),
        Just(1u128),
        0u128..10u128.pow(24),
        0u128..10u128.pow(33),
    ];
    (
        bal.clone(),
        proptest::collection::btree_map(
            prop_oneof![
                0u64..12 * DAY,
                // On the lock boundaries: 12:59:59 and 13:00:00 of some day.
                (0u64..12).prop_map(|d| d * DAY + LOCK - 1),
                (0u64..12).prop_map(|d| d * DAY + LOCK),
            ],
            bal,
            0..5,
        ),
    )
        .prop_map(|(initial, m)| Hist {
            initial,
            changes: m.into_iter().collect(),
        })
}

#[derive(Debug, Clone)]
struct PrimeIn {
    legacy: Hist,
    vault: Hist,
    idle: Vec<Hist>,
    susds: Hist,
    sky: Vec<(Hist, u128)>,
    osrc: Hist,
    osrc_rate: u64,
    penalties: Vec<u128>,
}

fn rate() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1_000_000_000_000_000_000),
        0u64..=1_000_000_000_000_000_000,
        (0u64..200).prop_map(|r| r * 1_000_000_000_000_000),
    ]
}

fn prime_in() -> impl Strategy<Value = PrimeIn> {
    (
        hist(),
        hist(),
        proptest::collection::vec(hist(), 0..3),
        hist(),
        proptest::collection::vec((hist(), 0u128..10u128.pow(24)), 0..3),
        hist(),
        rate(),
        proptest::collection::vec(0u128..10u128.pow(24), 0..3),
    )
        .prop_map(
            |(legacy, vault, idle, susds, sky, osrc, osrc_rate, penalties)| PrimeIn {
                legacy,
                vault,
                idle,
                susds,
                sky,
                osrc,
                osrc_rate,
                penalties,
            },
        )
}

#[derive(Debug, Clone)]
struct TagIn {
    addr: u8,
    susds: bool,
    tier: u8,
    prime: usize,
    tagged_from_day: u64,
    balance: Hist,
}

#[derive(Debug, Clone)]
struct FileIn {
    /// Seconds after JAN1.
    start: u64,
    skips: Vec<u64>,
    epoch_day: u64,
    monthly: bool,
    base: u64,
    ssr: u64,
    tiers: [u32; 5],
    primes: Vec<PrimeIn>,
    tags: Vec<TagIn>,
}

impl FileIn {
    fn json(&self) -> Value {
        let names = ["spark", "grove", "keel"];
        let primes: Vec<Value> = self
            .primes
            .iter()
            .enumerate()
            .map(|(k, p)| {
                json!({
                    "prime": names[k],
                    "debt_legacy": p.legacy.json(),
                    "debt_vault": p.vault.json(),
                    "idle_usds": p.idle.iter().enumerate().map(|(i, h)| json!({"location": format!("loc{i}"), "balance": h.json()})).collect::<Vec<_>>(),
                    "idle_susds_value": p.susds.json(),
                    "sky_direct": p.sky.iter().enumerate().map(|(i, (h, pr))| json!({"allocation": format!("a{i}"), "exposure": h.json(), "actual_profit": dec(U512::from(*pr))})).collect::<Vec<_>>(),
                    "osrc_allocation": p.osrc.json(),
                    "osrc_rate_apr": dec(U512::from(p.osrc_rate)),
                    "carried_penalties": p.penalties.iter().enumerate().map(|(i, a)| json!({"penalty_id": format!("{}-{i}", names[k]), "amount": dec(U512::from(*a))})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let tags: Vec<Value> = self
            .tags
            .iter()
            .map(|t| {
                json!({
                    "address": format!("0x{:040x}", t.addr),
                    "asset": if t.susds { "sUSDS" } else { "USDS" },
                    "tier": t.tier,
                    "prime": names[t.prime],
                    "tagged_from": date(t.tagged_from_day),
                    "balance": t.balance.json(),
                })
            })
            .collect();
        json!({
            "deployment_start": JAN1 + self.start,
            "skips": self.skips.iter().map(|d| date(*d)).collect::<Vec<_>>(),
            "epoch": date(self.epoch_day),
            "convention": if self.monthly { "monthly/12" } else { "actual/365" },
            "rates": {"base_rate_apr": dec(U512::from(self.base)), "ssr_apr": dec(U512::from(self.ssr))},
            "tiers_bps": self.tiers,
            "primes": primes,
            "tags": tags,
        })
    }
}

fn file_in() -> impl Strategy<Value = FileIn> {
    (
        prop_oneof![
            0u64..3 * DAY,
            (0u64..3).prop_map(|d| d * DAY + LOCK - 1),
            (0u64..3).prop_map(|d| d * DAY + LOCK),
            (0u64..3).prop_map(|d| d * DAY + LOCK + 1),
        ],
        proptest::collection::btree_set(2u64..11, 0..5),
        2u64..11,
        prop_oneof![4 => Just(false), 1 => Just(true)],
        rate(),
        rate(),
        proptest::array::uniform5(prop_oneof![Just(0u32), 0u32..=10_000]),
        proptest::collection::vec(prime_in(), 0..3),
        proptest::collection::vec(
            (0u8..6, any::<bool>(), 0u8..5, 0usize..3, 0u64..11, hist()),
            0..4,
        ),
    )
        .prop_map(
            |(start, skips, epoch_day, monthly, base, ssr, tiers, primes, tags)| {
                let n = primes.len();
                let mut seen = std::collections::BTreeSet::new();
                let tags = tags
                    .into_iter()
                    .filter(|t| n > 0 && seen.insert(t.0))
                    .map(|(addr, susds, tier, p, tagged_from_day, balance)| TagIn {
                        addr,
                        susds,
                        tier,
                        prime: p % n.max(1),
                        tagged_from_day,
                        balance,
                    })
                    .collect();
                FileIn {
                    start,
                    skips: skips.into_iter().collect(),
                    epoch_day,
                    monthly,
                    base,
                    ssr,
                    tiers,
                    primes,
                    tags,
                }
            },
        )
}

/// What the SPEC says the outcome is: the error's field, or the figures.
#[derive(Debug, PartialEq)]
enum Expected {
    Refused(&'static str),
    Figures(Value),
}

fn floor_div(n: U512, d: U512) -> U512 {
    n / d
}

fn reference(f: &FileIn) -> Expected {
    // SPEC §3: the first epoch is the first whose 13:00 lock is after the start.
    let start = JAN1 + f.start;
    let first = if start % DAY < LOCK {
        start / DAY
    } else {
        start / DAY + 1
    };
    let day = |d: u64| (JAN1 / DAY) + d;
    if f.skips.iter().any(|s| day(*s) < first) {
        return Expected::Refused("skips");
    }
    let e = day(f.epoch_day);
    if e < first || f.skips.contains(&f.epoch_day) {
        return Expected::Refused("epoch");
    }
    // Window: from the previous executed epoch's lock (or the start) to this lock.
    let mut ws = start;
    let mut d = e;
    while d > first {
        d -= 1;
        if !f.skips.iter().any(|s| day(*s) == d) {
            ws = d * DAY + LOCK;
            break;
        }
    }
    let we = e * DAY + LOCK;
    let t = we - ws;
    let seq = e - first + 1;
    let den = if f.monthly {
        U512::from(12u8) * U512::from(t) * big(WAD)
    } else {
        U512::from(YEAR) * big(WAD)
    };
    let base = U512::from(f.base);
    let ssr = U512::from(f.ssr);
    let mut statements = Vec::new();
    for p in &f.primes {
        let s_legacy = p.legacy.integral(ws, we);
        let s_vault = p.vault.integral(ws, we);
        let s_debt = s_legacy + s_vault;
        let s_idle = p
            .idle
            .iter()
            .fold(U512::ZERO, |a, h| a + h.integral(ws, we));
        let s_susds = p.susds.integral(ws, we);
        let s_osrc = p.osrc.integral(ws, we);
        let fee = floor_div(s_debt * base, den);
        let idle = floor_div(s_idle * base, den);
        // P is signed; floor toward −∞.
        let (p_neg, p_mag) = if ssr >= base {
            (false, floor_div(s_susds * (ssr - base), den))
        } else {
            let n = s_susds * (base - ssr);
            (true, n.div_ceil(den))
        };
        let d_sum = p.sky.iter().fold(U512::ZERO, |a, (h, profit)| {
            let owed = floor_div(h.integral(ws, we) * base, den);
            a + owed.saturating_sub(U512::from(*profit))
        });
        let r = floor_div(s_osrc * U512::from(p.osrc_rate), den);
        let carried = p
            .penalties
            .iter()
            .fold(U512::ZERO, |a, x| a + U512::from(*x));
        // total = F − I − P − D + R + carried, as a signed number.
        let pos = fee + r + carried + if p_neg { p_mag } else { U512::ZERO };
        let neg = idle + d_sum + if p_neg { U512::ZERO } else { p_mag };
        let signed = |pos: U512, neg: U512| {
            if pos >= neg {
                dec(pos - neg)
            } else {
                format!("-{}", dec(neg - pos))
            }
        };
        let net_pos = fee + if p_neg { p_mag } else { U512::ZERO };
        let direction = if pos > neg {
            "prime-pays-generator"
        } else if pos < neg {
            "generator-pays-prime"
        } else {
            "nothing"
        };
        statements.push(json!({
            "seq": seq,
            "window_start": ws,
            "window_end": we,
            "window_s": t,
            "debt_wad_s": dec(s_debt),
            "idle_usds_wad_s": dec(s_idle),
            "idle_susds_value_wad_s": dec(s_susds),
            "osrc_allocation_wad_s": dec(s_osrc),
            "max_debt_fees_wad": dec(fee),
            "idle_usds_reimbursement_wad": dec(idle),
            "susds_spread_profit_wad": if p_neg && !p_mag.is_zero() { format!("-{}", dec(p_mag)) } else { dec(p_mag) },
            "sky_direct_reimbursement_wad": dec(d_sum),
            "net_wad": signed(net_pos, idle + d_sum + if p_neg { U512::ZERO } else { p_mag }),
            "osrc_premium_wad": dec(r),
            "carried_penalties_wad": dec(carried),
            "total_wad": signed(pos, neg),
            "direction": direction,
        }));
    }
    // SPEC §5.3: S·tier/Y from the epoch after the tag's epoch; one floor.
    let distributions: Vec<Value> = f
        .tags
        .iter()
        .map(|tg| {
            let s = tg.balance.integral(ws, we);
            let bps = f.tiers[tg.tier as usize];
            let eligible = e > day(tg.tagged_from_day);
            let reward = if eligible {
                s * U512::from(bps) / (U512::from(YEAR) * U512::from(10_000u32))
            } else {
                U512::ZERO
            };
            json!({"balance_wad_s": dec(s), "tier_bps": bps, "eligible": eligible, "reward_wad": dec(reward)})
        })
        .collect();
    Expected::Figures(json!({
        "seq": seq, "lock": e * DAY + LOCK, "due": e * DAY + MOMENT,
        "window_start": ws, "window_end": we,
        "statements": statements, "distributions": distributions,
    }))
}

/// The library's outcome in the reference's shape.
fn actual(f: &FileIn) -> Result<(Expected, EpochResult), String> {
    let text = f.json().to_string();
    let parsed = match parse(&text) {
        Ok(p) => p,
        Err(e) => {
            let field = e.field().unwrap_or("?").to_string();
            let f = if field.starts_with("skips") {
                "skips"
            } else if field == "epoch" {
                "epoch"
            } else {
                return Err(format!("unexpected refusal: {e}"));
            };
            return Ok((Expected::Refused(f), dummy()));
        }
    };
    let r = parsed.compute().map_err(|e| format!("compute: {e}"))?;
    let v = serde_json::to_value(&r).unwrap();
    let keys = [
        "seq",
        "window_start",
        "window_end",
        "window_s",
        "debt_wad_s",
        "idle_usds_wad_s",
        "idle_susds_value_wad_s",
        "osrc_allocation_wad_s",
        "max_debt_fees_wad",
        "idle_usds_reimbursement_wad",
        "susds_spread_profit_wad",
        "sky_direct_reimbursement_wad",
        "net_wad",
        "osrc_premium_wad",
        "carried_penalties_wad",
        "total_wad",
        "direction",
    ];
    let statements: Vec<Value> = v["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            Value::Object(
                keys.iter()
                    .map(|k| (k.to_string(), s[*k].clone()))
                    .collect(),
            )
        })
        .collect();
    let distributions: Vec<Value> = v["distributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| json!({"balance_wad_s": d["balance_wad_s"], "tier_bps": d["tier_bps"], "eligible": d["eligible"], "reward_wad": d["reward_wad"]}))
        .collect();
    Ok((
        Expected::Figures(json!({
            "seq": v["seq"], "lock": v["lock"], "due": v["due"],
            "window_start": v["window_start"], "window_end": v["window_end"],
            "statements": statements, "distributions": distributions,
        })),
        r,
    ))
}

fn dummy() -> EpochResult {
    parse(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/settlement-inputs.json"
        ))
        .unwrap(),
    )
    .unwrap()
    .compute()
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Every figure of `laniakea settle` (window, seq, integrals, F, I, P, D, N, R, carried,
    /// total, direction, distributions) equals the SPEC reference to the wei, and refusals
    /// happen exactly where the SPEC's calendar says the epoch does not exist.
    #[test]
    fn review_settle_figures_match_a_reference_written_from_the_spec(f in file_in()) {
        let (got, _) = actual(&f).map_err(TestCaseError::fail)?;
        prop_assert_eq!(got, reference(&f), "inputs {}", f.json());
    }
}

// ---------------------------------------------------------------------------------------------
// Digest coverage, from the outside: two inputs files with any different output figure have
// different digests; the same figures from a re-encoded file have the same digests.

fn strip_digests(r: &EpochResult) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    let m = v.as_object_mut().unwrap();
    m.remove("epoch_input_digest");
    m.remove("distributions_input_digest");
    for s in m["statements"].as_array_mut().unwrap() {
        s.as_object_mut().unwrap().remove("input_digest");
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Pairs of random files: whenever any output figure differs, the epoch digest differs; a
    /// statement whose figures differ has a different statement digest; different distributions
    /// have a different distributions digest.
    #[test]
    fn review_any_two_files_with_different_figures_have_different_digests(a in file_in(), b in file_in()) {
        let (Ok((Expected::Figures(_), ra)), Ok((Expected::Figures(_), rb))) = (actual(&a), actual(&b)) else {
            return Ok(());
        };
        let (fa, fb) = (strip_digests(&ra), strip_digests(&rb));
        if fa != fb {
            prop_assert_ne!(ra.epoch_input_digest, rb.epoch_input_digest);
        }
        if fa["distributions"] != fb["distributions"] {
            prop_assert_ne!(ra.distributions_input_digest, rb.distributions_input_digest);
        }
        for (sa, sb) in ra.statements.iter().zip(&rb.statements) {
            if serde_json::to_value(sa).unwrap().as_object().unwrap().iter().filter(|(k, _)| *k != "input_digest").collect::<Vec<_>>()
                != serde_json::to_value(sb).unwrap().as_object().unwrap().iter().filter(|(k, _)| *k != "input_digest").collect::<Vec<_>>() {
                prop_assert_ne!(sa.input_digest, sb.input_digest);
            }
        }
    }

    /// Re-encoding a file (times as RFC 3339 instead of seconds, keys reordered, amounts with
    /// trailing zeros) changes no figure and no digest.
    #[test]
    fn review_reencoding_a_file_changes_no_digest(f in file_in()) {
        let Ok((Expected::Figures(_), r0)) = actual(&f) else { return Ok(()) };
        let mut v = f.json();
        reencode(&mut v);
        let r1 = parse(&v.to_string()).unwrap().compute().unwrap();
        prop_assert_eq!(r1.epoch_input_digest, r0.epoch_input_digest);
        prop_assert_eq!(strip_digests(&r1), strip_digests(&r0));
    }
}

fn reencode(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if (k == "at" || k == "deployment_start") && x.is_u64() {
                    let t = x.as_u64().unwrap();
                    *x = json!(jiff::Timestamp::from_second(t as i64).unwrap().to_string());
                } else {
                    reencode(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(reencode),
        Value::String(s) => {
            if s.chars().all(|c| c.is_ascii_digit() || c == '.') && !s.is_empty() && s.contains('.')
            {
                s.push_str("000");
            } else if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
                s.push_str(".0");
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Boundary instants.

fn file(start: u64, epoch: &str, debt_changes: Value) -> String {
    json!({
        "deployment_start": start,
        "epoch": epoch,
        "rates": {"base_rate_apr": "0.0365", "ssr_apr": "0"},
        "primes": [{"prime": "spark", "debt_vault": {"initial": "0", "changes": debt_changes}}],
    })
    .to_string()
}

/// SPEC §3: the first epoch is the first whose lock is after the deployment start. A start at
/// 12:59:59 gives a first epoch that same day with a one-second window; at 13:00:00 the first
/// epoch is the next day and that day is "before the first epoch".
#[test]
fn review_start_at_12_59_59_measures_one_second_and_at_13_00_00_moves_to_the_next_day() {
    let r = parse(&file(JAN1 + LOCK - 1, "2026-01-01", json!([])))
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!((r.seq, r.window_end.0 - r.window_start.0), (1, 1));
    let e = parse(&file(JAN1 + LOCK, "2026-01-01", json!([]))).unwrap_err();
    assert_eq!(e.field(), Some("epoch"), "{e}");
    let r = parse(&file(JAN1 + LOCK, "2026-01-02", json!([])))
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(
        (r.seq, r.window_start.0, r.window_end.0),
        (1, JAN1 + LOCK, JAN1 + DAY + LOCK)
    );
}

/// SPEC §3: windows are `[previous lock, lock)`. A balance change at 12:59:59 counts one second
/// in this epoch; one at 13:00:00 counts nothing here and whole in the next epoch (balances held
/// 13:00–16:00 belong to the next epoch).
#[test]
fn review_change_at_12_59_59_counts_here_and_at_13_00_00_counts_in_the_next_epoch() {
    let one = "1";
    let at = |t: u64| json!([{"at": t, "balance": one}]);
    let debt = |start: u64, epoch: &str, ch: Value| {
        parse(&file(start, epoch, ch))
            .unwrap()
            .compute()
            .unwrap()
            .statements[0]
            .debt_wad_s
            .raw()
    };
    let lock2 = JAN1 + DAY + LOCK;
    assert_eq!(debt(JAN1, "2026-01-02", at(lock2 - 1)), WAD);
    assert_eq!(debt(JAN1, "2026-01-02", at(lock2)), U256::ZERO);
    // In the next epoch the 13:00:00 change counts for the whole day (86,400 s), the 12:59:59
    // one for 86,401 s over the two epochs together.
    assert_eq!(debt(JAN1, "2026-01-03", at(lock2)), WAD * U256::from(DAY));
    assert_eq!(
        debt(JAN1, "2026-01-03", at(lock2 - 1)),
        WAD * U256::from(DAY)
    );
    // 13:00–16:00 (the Processing Window) is measured by the next epoch.
    assert_eq!(
        debt(JAN1, "2026-01-03", at(JAN1 + DAY + MOMENT)),
        WAD * U256::from(DAY - 3 * 3600)
    );
}

/// SPEC §3 / §5.4: paid at 16:00:00 is on time (no penalty, `Current`); paid at 16:00:01 is
/// one second late and accrues `⌊amount·rate·1/3600⌋`.
#[test]
fn review_payment_at_16_00_00_is_on_time_and_at_16_00_01_accrues_one_second() {
    let e = EpochId::parse("2026-01-05").unwrap();
    let due = e.moment();
    let amount = Wad::from_raw(U256::from(3600u32) * WAD); // 3600 USDS
    let rate = Wad::from_raw(WAD / U256::from(100u8)); // 1% per hour
    for (late_s, want) in [(0u64, U256::ZERO), (1, WAD / U256::from(100u8))] {
        let mut l = Ledger::new("p", rate, Thresholds::default()).unwrap();
        let id = l
            .post_statement(e.lock(), e, Payer::Prime, due, amount, &[])
            .unwrap();
        let at = Timestamp(due.0 + late_s);
        assert_eq!(
            serde_json::to_value(l.escalation(at)).unwrap()["state"],
            json!(if late_s == 0 { "current" } else { "late" })
        );
        l.pay(at, Payer::Prime, amount).unwrap();
        l.crystallize_penalties(Timestamp(due.0 + DAY)).unwrap();
        assert_eq!(penalty_on(&l, id), want, "paid {late_s} s after 16:00");
        l.check_invariant_9().unwrap();
    }
}

fn penalty_on(l: &Ledger, source: u64) -> U256 {
    l.penalties
        .iter()
        .filter(|p| p.source == source)
        .fold(U256::ZERO, |a, p| a + p.amount_wad.raw())
}

// ---------------------------------------------------------------------------------------------
// The ledger against an independent model over long random sequences (SPEC §5.4, §8.9).

/// A statement obligation in the model.
#[derive(Debug, Clone)]
struct MOb {
    due: u64,
    payer: Payer,
    amount: U256,
    paid: U256,
    /// Carried penalty forgiven after carrying.
    forgiven: U256,
    /// (from, unpaid) steps.
    unpaid: Vec<(u64, U256)>,
    booked: U256,
}

/// A crystallised penalty in the model: owed, not payable, until a statement carries it.
#[derive(Debug, Clone)]
struct MPen {
    source: usize,
    payer: Payer,
    amount: U256,
    forgiven_before: U256,
    /// (statement index, amount carried).
    carried: Option<(usize, U256)>,
    forgiven_after: U256,
}

impl MOb {
    fn open(&self) -> U256 {
        self.amount - self.paid - self.forgiven
    }
    fn integral_since_due(&self, to: u64) -> U512 {
        let mut acc = U512::ZERO;
        for (k, (from, v)) in self.unpaid.iter().enumerate() {
            let end = self.unpaid.get(k + 1).map_or(u64::MAX, |p| p.0);
            let lo = (*from).max(self.due);
            let hi = end.min(to);
            if hi > lo {
                acc += big(*v) * U512::from(hi - lo);
            }
        }
        acc
    }
}

impl MPen {
    fn open(&self) -> U256 {
        if self.carried.is_some() {
            U256::ZERO
        } else {
            self.amount - self.forgiven_before
        }
    }
}

#[derive(Debug, Clone)]
enum LOp {
    Wait(u64),
    /// To the next 16:00 (±1 s).
    ToMoment(i8),
    Statement(bool, u128),
    Pay(bool, u16),
    Crystallise,
    Forgive(usize, u16),
}

fn lop() -> impl Strategy<Value = LOp> {
    prop_oneof![
        3 => prop_oneof![Just(0u64), Just(1), 0u64..3 * DAY].prop_map(LOp::Wait),
        1 => (-1i8..=1).prop_map(LOp::ToMoment),
        2 => (any::<bool>(), prop_oneof![Just(1u128), 1u128..10u128.pow(27)]).prop_map(|(g, a)| LOp::Statement(g, a)),
        3 => (any::<bool>(), 1u16..=1000).prop_map(|(g, p)| LOp::Pay(g, p)),
        2 => Just(LOp::Crystallise),
        1 => (any::<usize>(), 1u16..=1000).prop_map(|(i, p)| LOp::Forgive(i, p)),
    ]
}

/// The model's crystallisation at `now`: `⌊∫ unpaid·rate / 3600⌋ − booked` per late statement.
fn model_crystallise(m: &mut [MOb], pens: &mut Vec<MPen>, now: u64, rate: U256) {
    let den = U512::from(3600u32) * big(WAD);
    for (i, o) in m.iter_mut().enumerate() {
        if now > o.due {
            let total = o.integral_since_due(now) * big(rate) / den;
            let total = U256::from_limbs(total.as_limbs()[..4].try_into().unwrap());
            let new = total - o.booked;
            o.booked = total;
            if !new.is_zero() {
                pens.push(MPen {
                    source: i,
                    payer: o.payer,
                    amount: new,
                    forgiven_before: U256::ZERO,
                    carried: None,
                    forgiven_after: U256::ZERO,
                });
            }
        }
    }
}

/// Adds `amount` signed by `payer` to the pair (Prime-side, Generator-side).
fn side(acc: &mut (U256, U256), payer: Payer, amount: U256) {
    match payer {
        Payer::Prime => acc.0 += amount,
        Payer::Generator => acc.1 += amount,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Oldest-first matching over statements only, continuous penalties floored once on the
    /// cumulative total, every open penalty carried by the next statement (netted when it is
    /// owed the other way), partial forgiveness before and after carrying: the ledger agrees
    /// with the model statement by statement and penalty by penalty, each payer owes what the
    /// model says, and invariant 9 holds after every step.
    #[test]
    fn review_ledger_matches_an_independent_model_and_keeps_invariant_9(
        rate in prop_oneof![Just(1_000_000_000_000_000_000u64), 1u64..=1_000_000_000_000_000_000u64].prop_map(U256::from),
        ops in proptest::collection::vec(lop(), 1..200),
    ) {
        let mut l = Ledger::new("p", Wad::from_raw(rate), Thresholds::default()).unwrap();
        let mut m: Vec<MOb> = Vec::new();
        let mut pens: Vec<MPen> = Vec::new();
        let mut now = JAN1 + 14 * 3600;
        let epoch_of = |t: u64| -> EpochId {
            // The next 16:00 at or after t.
            let d = if t % DAY <= MOMENT { t / DAY } else { t / DAY + 1 };
            EpochId::parse(&date(d - JAN1 / DAY)).unwrap()
        };
        // Signed sums as (Prime-side, Generator-side) pairs.
        let (mut pay_total, mut forgive_total, mut own_total) = ((U256::ZERO, U256::ZERO), (U256::ZERO, U256::ZERO), (U256::ZERO, U256::ZERO));
        for op in ops {
            match op {
                LOp::Wait(dt) => now += dt,
                LOp::ToMoment(k) => {
                    let d = if now % DAY < MOMENT { now / DAY } else { now / DAY + 1 };
                    now = (d * DAY + MOMENT).saturating_add_signed(i64::from(k)).max(now);
                }
                LOp::Statement(gen, a) => {
                    // The operator: crystallise as of posting, carry every open penalty, net.
                    let e = epoch_of(now);
                    l.crystallize_penalties(Timestamp(now)).unwrap();
                    model_crystallise(&mut m, &mut pens, now, rate);
                    let own_payer = if gen { Payer::Generator } else { Payer::Prime };
                    let mut total = (U256::ZERO, U256::ZERO);
                    side(&mut total, own_payer, U256::from(a));
                    side(&mut own_total, own_payer, U256::from(a));
                    let carried: Vec<(u64, Wad)> = pens.iter().enumerate().filter(|(_, p)| !p.open().is_zero()).map(|(k, p)| (k as u64 + 1, Wad::from_raw(p.open()))).collect();
                    for (k, c) in &carried {
                        side(&mut total, pens[*k as usize - 1].payer, c.raw());
                    }
                    let (payer, amount) = if total.0 >= total.1 { (Payer::Prime, total.0 - total.1) } else { (Payer::Generator, total.1 - total.0) };
                    l.post_statement(Timestamp(now), e, payer, e.moment(), Wad::from_raw(amount), &carried).unwrap();
                    let idx = m.len();
                    for (k, c) in &carried {
                        pens[*k as usize - 1].carried = Some((idx, c.raw()));
                    }
                    m.push(MOb { due: e.moment().0, payer, amount, paid: U256::ZERO, forgiven: U256::ZERO, unpaid: vec![(0, amount)], booked: U256::ZERO });
                    // Carrying again is refused and changes nothing.
                    if let Some(c) = carried.first() {
                        let before = l.clone();
                        let again = l.post_statement(Timestamp(now), e, payer, e.moment(), c.1, &[*c]);
                        let refused = matches!(again, Err(LedgerError::AlreadyCarried { .. }));
                        prop_assert!(refused, "carried twice: {:?}", again);
                        prop_assert_eq!(&l, &before);
                    }
                }
                LOp::Pay(gen, permille) => {
                    let payer = if gen { Payer::Generator } else { Payer::Prime };
                    let open: U256 = m.iter().filter(|o| o.payer == payer).map(MOb::open).fold(U256::ZERO, |a, b| a + b);
                    let amount = open * U256::from(permille) / U256::from(1000u16);
                    if amount.is_zero() {
                        prop_assert!(l.pay(Timestamp(now), payer, Wad::from_raw(open + U256::from(1u8))).is_err(), "overpayment refused");
                        continue;
                    }
                    l.pay(Timestamp(now), payer, Wad::from_raw(amount)).unwrap();
                    side(&mut pay_total, payer, amount);
                    let mut order: Vec<usize> = (0..m.len()).filter(|i| m[*i].payer == payer && !m[*i].open().is_zero()).collect();
                    order.sort_by_key(|i| (m[*i].due, *i));
                    let mut left = amount;
                    for i in order {
                        let take = left.min(m[i].open());
                        if take.is_zero() { break; }
                        m[i].paid += take;
                        left -= take;
                        let open = m[i].open();
                        m[i].unpaid.push((now, open));
                    }
                }
                LOp::Crystallise => {
                    l.crystallize_penalties(Timestamp(now)).unwrap();
                    model_crystallise(&mut m, &mut pens, now, rate);
                }
                LOp::Forgive(k, permille) => {
                    // Forgivable: the open part before carrying; after, what was carried and
                    // not yet forgiven, at most what is open on the carrying statement (paid
                    // the same way; nothing when it was netted the other way).
                    let forgivable = |p: &MPen| match p.carried {
                        None => p.open(),
                        Some((s, c)) if m[s].payer == p.payer => (c - p.forgiven_after).min(m[s].open()),
                        Some(_) => U256::ZERO,
                    };
                    let cands: Vec<usize> = (0..pens.len()).filter(|i| !forgivable(&pens[*i]).is_zero()).collect();
                    if cands.is_empty() {
                        continue;
                    }
                    let i = cands[k % cands.len()];
                    let f = forgivable(&pens[i]);
                    let amount = (f * U256::from(permille) / U256::from(1000u16)).max(U256::from(1u8));
                    prop_assert!(l.forgive(Timestamp(now), i as u64 + 1, Wad::from_raw(f + U256::from(1u8)), "Core Council: test").is_err(), "forgiving more than forgivable refused");
                    l.forgive(Timestamp(now), i as u64 + 1, Wad::from_raw(amount), "Core Council: test").unwrap();
                    side(&mut forgive_total, pens[i].payer, amount);
                    match pens[i].carried {
                        None => pens[i].forgiven_before += amount,
                        Some((s, _)) => {
                            pens[i].forgiven_after += amount;
                            m[s].forgiven += amount;
                            let open = m[s].open();
                            m[s].unpaid.push((now, open));
                        }
                    }
                }
            }
            prop_assert_eq!(l.obligations.len(), m.len());
            for (o, mo) in l.obligations.iter().zip(&m) {
                prop_assert_eq!(o.amount_wad.raw(), mo.amount, "obligation {}", o.id);
                prop_assert_eq!(o.paid_wad.raw(), mo.paid, "obligation {}", o.id);
                prop_assert_eq!(o.forgiven_wad.raw(), mo.forgiven, "obligation {}", o.id);
                prop_assert_eq!(o.due.0, mo.due);
                prop_assert_eq!(o.payer, mo.payer);
            }
            prop_assert_eq!(l.penalties.len(), pens.len());
            for (p, mp) in l.penalties.iter().zip(&pens) {
                prop_assert_eq!(p.amount_wad.raw(), mp.amount, "penalty {}", p.id);
                prop_assert_eq!(p.source, mp.source as u64 + 1, "penalty {}", p.id);
                prop_assert_eq!(p.open_wad().raw(), mp.open(), "penalty {}", p.id);
                prop_assert_eq!(p.forgiven_wad().raw(), mp.forgiven_before + mp.forgiven_after, "penalty {}", p.id);
                prop_assert_eq!(p.carried_into.map(|c| (c.statement, c.amount_wad.raw())), mp.carried.map(|(s, c)| (s as u64 + 1, c)), "penalty {}", p.id);
            }
            // What each payer owes: open statements plus open penalties not yet carried.
            for payer in [Payer::Prime, Payer::Generator] {
                let owed = m.iter().filter(|o| o.payer == payer).map(MOb::open).chain(pens.iter().filter(|p| p.payer == payer).map(MPen::open)).fold(U256::ZERO, |a, b| a + b);
                prop_assert_eq!(l.owed(payer).unwrap().raw(), owed, "{:?} owes", payer);
            }
            l.check_invariant_9().map_err(TestCaseError::fail)?;
            // Invariant 9 from the model's own sums, signed: payments + open + forgiven =
            // statements' own parts + penalties, compared as (Prime side + Generator side of
            // the other term) on both sides.
            let mut open = (U256::ZERO, U256::ZERO);
            for o in &m { side(&mut open, o.payer, o.open()); }
            for p in &pens { side(&mut open, p.payer, p.open()); }
            let mut penalties = (U256::ZERO, U256::ZERO);
            for p in &pens { side(&mut penalties, p.payer, p.amount); }
            prop_assert_eq!(
                pay_total.0 + open.0 + forgive_total.0 + own_total.1 + penalties.1,
                own_total.0 + penalties.0 + pay_total.1 + open.1 + forgive_total.1
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs that mean something else than they say.

fn example() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/settlement-inputs.json"
    ))
    .unwrap()
}

/// A key given twice is refused (serde's derive), naming the key — not silently last-wins.
#[test]
fn review_settlement_inputs_with_a_key_twice_are_refused() {
    let dup = example().replacen("\"epoch\":", "\"epoch\": \"2026-01-06\", \"epoch\":", 1);
    let e = parse(&dup).unwrap_err();
    assert!(e.to_string().contains("duplicate field `epoch`"), "{e}");
    let dup = example().replacen(
        "\"osrc_rate_apr\": \"0.01\"",
        "\"osrc_rate_apr\": \"0.01\", \"osrc_rate_apr\": \"0.5\"",
        1,
    );
    assert!(parse(&dup)
        .unwrap_err()
        .to_string()
        .contains("duplicate field `osrc_rate_apr`"));
}

/// docs/settlement-inputs.md: times are Unix seconds or RFC 3339 strings. Strings that are not
/// RFC 3339 (ISO 8601 basic format, minutes without seconds, a space for `T`, a `+hhmm`
/// offset, a comma fraction) and a leap second `:60` (Unix seconds have none; it was silently
/// read as `:59`, moving a balance change by a second) are refused with the time rule.
#[test]
fn review_times_that_are_not_rfc_3339_are_refused_not_reinterpreted() {
    for t in [
        "20260101T000000Z",
        "2026-01-01T00:00Z",
        "2026-01-01T00Z",
        "2026-01-01 00:00:00Z",
        "2026-01-01T00:00:00+0100",
        "2026-01-01T00:00:00,0Z",
        "2026-01-01T12:59:60Z",
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00Z[UTC]",
    ] {
        let text = example().replacen(
            "\"deployment_start\": \"2026-01-01T00:00:00Z\"",
            &format!("\"deployment_start\": \"{t}\""),
            1,
        );
        let e = parse(&text).map(|_| ()).unwrap_err();
        assert_eq!(e.field(), Some("deployment_start"), "{t}: {e}");
        assert!(e.to_string().contains("RFC 3339"), "{t}: {e}");
        if t.contains(":60") {
            assert!(e.to_string().contains("leap second"), "{t}: {e}");
        }
    }
    // The RFC 3339 forms are accepted: Z, z, t, numeric offsets, a zero fraction.
    for (t, s) in [
        ("2026-01-01T00:00:00Z", JAN1),
        ("2026-01-01t00:00:00z", JAN1),
        ("2026-01-01T01:00:00+01:00", JAN1),
        ("2025-12-31T23:00:00-01:00", JAN1),
        ("2026-01-01T00:00:00.000Z", JAN1),
    ] {
        let text = example().replacen(
            "\"deployment_start\": \"2026-01-01T00:00:00Z\"",
            &format!("\"deployment_start\": \"{t}\""),
            1,
        );
        assert_eq!(parse(&text).unwrap().calendar.start().0, s, "{t}");
    }
}

/// The random files above mostly compute (not refused), with statements whose lines are not
/// all zero, so the comparison with the reference asserts something.
#[test]
fn review_generator_exercises_statements_and_refusals() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut computed, mut refused, mut nonzero_f, mut negative_p, mut with_dist) = (0, 0, 0, 0, 0);
    for _ in 0..300 {
        let f = file_in().new_tree(&mut runner).unwrap().current();
        match actual(&f).unwrap() {
            (Expected::Refused(_), _) => refused += 1,
            (Expected::Figures(_), r) => {
                computed += 1;
                nonzero_f += r
                    .statements
                    .iter()
                    .filter(|s| !s.max_debt_fees_wad.is_zero())
                    .count();
                negative_p += r
                    .statements
                    .iter()
                    .filter(|s| s.susds_spread_profit_wad.is_negative())
                    .count();
                with_dist += r
                    .distributions
                    .iter()
                    .filter(|d| !d.reward_wad.is_zero())
                    .count();
            }
        }
    }
    assert!(
        computed > 150 && refused > 10,
        "computed {computed}, refused {refused}"
    );
    assert!(
        nonzero_f > 100 && negative_p > 20 && with_dist > 20,
        "{nonzero_f} {negative_p} {with_dist}"
    );
}

/// Issue 9 asks that penalties not depend on how often they are computed; the ledger docs say
/// "any schedule of crystallisations books the same total". Per obligation that holds for a
/// given history of what is unpaid (tested above and in `properties.rs`). Across a Prime's
/// obligations it did not: a crystallised penalty was an open obligation that the next payment
/// could be matched to, so crystallising earlier changed which statement a payment settles and
/// hence which later statement runs late. Here statement A (100, due day 1) is paid at day 2
/// 15:00 together with statement B (due day 2): crystallising at day 2's lock turned 21 of A's
/// penalty into an obligation that absorbed 21 of the payment (tie at day 2 16:00, lower id),
/// so B was 21 short at its due time and accrued its own penalty; crystallising only at the end
/// booked none on B (27.41 vs 23 USDS).
///
/// Set-up adjusted to the ledger's API (docs/ledger.md): a penalty is no longer payable on its
/// own but carried into the next statement, and a statement may only be posted once every
/// penalty accrued up to its posting instant is crystallised, so the crystallisation at day 2's
/// lock happens in both runs; "early" adds an extra crystallisation at day 2 05:00. B carries
/// A's 21 of penalty (121 in all). Paid in full at 15:00 (221), the Prime's total penalty is 23
/// (A's 23 hours) whatever the schedule; paid 200 (the original payment), B's carried 21 is
/// left unpaid from day 2 16:00 to day 3 13:00 and accrues 4.41 more, again in both runs.
#[test]
fn review_total_penalty_of_a_prime_is_independent_of_when_penalties_are_crystallised() {
    let d1 = EpochId::parse("2026-01-05").unwrap();
    let d2 = d1.next().unwrap();
    let d3 = d2.next().unwrap();
    let usds = |x: u64| Wad::from_raw(U256::from(x) * WAD);
    let rate = Wad::from_raw(WAD / U256::from(100u8)); // 1% per hour
    let run = |early: bool, pay_all: bool| {
        let mut l = Ledger::new("p", rate, Thresholds::default()).unwrap();
        l.post_statement(d1.lock(), d1, Payer::Prime, d1.moment(), usds(100), &[])
            .unwrap();
        if early {
            l.crystallize_penalties(Timestamp(d2.lock().0 - 8 * 3600))
                .unwrap();
        }
        // The operator at day 2's lock: crystallise, carry every open penalty into B.
        l.crystallize_penalties(d2.lock()).unwrap();
        let carried = l.penalties_to_carry();
        let carried_wad = carried.iter().fold(U256::ZERO, |a, (_, c)| a + c.raw());
        assert_eq!(carried_wad, usds(21).raw());
        l.post_statement(
            d2.lock(),
            d2,
            Payer::Prime,
            d2.moment(),
            Wad::from_raw(usds(100).raw() + carried_wad),
            &carried,
        )
        .unwrap();
        let pay = if pay_all {
            l.owed(Payer::Prime).unwrap()
        } else {
            usds(200)
        };
        l.pay(Timestamp(d2.lock().0 + 2 * 3600), Payer::Prime, pay)
            .unwrap();
        l.crystallize_penalties(d3.lock()).unwrap();
        l.check_invariant_9().unwrap();
        l.totals().unwrap().penalties_wad
    };
    let penalty = |x: &str| SignedWad::positive(Wad::parse(x).unwrap().raw());
    assert_eq!(run(true, true), run(false, true));
    assert_eq!(run(false, true), penalty("23"));
    assert_eq!(run(true, false), run(false, false));
    assert_eq!(run(false, false), penalty("27.41"));
}

#[derive(Debug, Clone)]
enum HOp {
    Add(u64, u64, [u64; 4], bool),
    Pay(u64, [u64; 4], bool),
    Cryst(u64),
    /// A statement carrying every open penalty.
    Carry(u64, u64, [u64; 4], bool),
    Forgive(u64, u64, [u64; 4], String),
}

fn hop() -> impl Strategy<Value = HOp> {
    let t = prop_oneof![
        Just(0u64),
        Just(u64::MAX),
        any::<u64>(),
        JAN1..JAN1 + 10 * DAY
    ];
    let a = prop_oneof![
        Just([u64::MAX; 4]),
        Just([0u64; 4]),
        Just([1, 0, 0, 0]),
        any::<[u64; 4]>()
    ];
    prop_oneof![
        (t.clone(), t.clone(), a.clone(), any::<bool>())
            .prop_map(|(p, d, a, g)| HOp::Add(p, d, a, g)),
        (t.clone(), a.clone(), any::<bool>()).prop_map(|(p, a, g)| HOp::Pay(p, a, g)),
        t.clone().prop_map(HOp::Cryst),
        (t.clone(), t.clone(), a.clone(), any::<bool>())
            .prop_map(|(p, d, a, g)| HOp::Carry(p, d, a, g)),
        (
            t,
            0u64..20,
            a,
            prop_oneof![
                Just(String::new()),
                Just(" ".to_string()),
                Just("ok".to_string())
            ]
        )
            .prop_map(|(p, id, a, r)| HOp::Forgive(p, id, a, r)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Hostile ledger events (2^256−1 amounts, times 0 and 2^64−1, unknown ids, empty
    /// rationales, out-of-order instants) never panic; a refused event changes nothing; an
    /// accepted one keeps invariant 9.
    #[test]
    fn review_hostile_ledger_events_never_panic_or_leave_partial_state(
        rate in prop_oneof![Just(WAD), Just(U256::ZERO), Just(U256::from(1u8))],
        ops in proptest::collection::vec(hop(), 1..40),
    ) {
        let mut l = Ledger::new("p", Wad::from_raw(rate), Thresholds::default()).unwrap();
        let e = EpochId::parse("2026-01-05").unwrap();
        for op in ops {
            let before = l.clone();
            let r = match op {
                HOp::Add(p, d, a, g) => l.post_statement(Timestamp(p), e, if g { Payer::Generator } else { Payer::Prime }, Timestamp(d), Wad::from_raw(U256::from_limbs(a)), &[]).map(|_| ()),
                HOp::Pay(p, a, g) => l.pay(Timestamp(p), if g { Payer::Generator } else { Payer::Prime }, Wad::from_raw(U256::from_limbs(a))).map(|_| ()),
                HOp::Cryst(p) => l.crystallize_penalties(Timestamp(p)).map(|_| ()),
                HOp::Carry(p, d, a, g) => {
                    let c = l.penalties_to_carry();
                    l.post_statement(Timestamp(p), e, if g { Payer::Generator } else { Payer::Prime }, Timestamp(d), Wad::from_raw(U256::from_limbs(a)), &c).map(|_| ())
                }
                HOp::Forgive(p, id, a, r) => l.forgive(Timestamp(p), id, Wad::from_raw(U256::from_limbs(a)), &r),
            };
            let _ = l.escalation(Timestamp(u64::MAX));
            for o in &l.obligations {
                let _ = l.penalty_accrued(o.id, Timestamp(u64::MAX));
            }
            match r {
                Err(_) => prop_assert_eq!(&l, &before, "a refused event changed the ledger"),
                Ok(()) => {
                    if l.totals().is_ok() {
                        l.check_invariant_9().map_err(TestCaseError::fail)?;
                    }
                }
            }
        }
    }
}

/// docs/settlement-inputs.md: `--prime` keeps that Prime's statement (same figures, same
/// statement digest as the full run) and only its tags; the epoch digest covers that output.
#[test]
fn review_prime_filter_keeps_the_statement_and_its_digest() {
    let full = parse(&example()).unwrap().compute().unwrap();
    let mut p = parse(&example()).unwrap();
    p.retain_prime("grove").unwrap();
    let one = p.compute().unwrap();
    assert_eq!(one.statements.len(), 1);
    assert_eq!(one.statements[0], full.statements[1]);
    assert!(one.distributions.iter().all(|d| d.prime == "grove"));
    assert_ne!(one.epoch_input_digest, full.epoch_input_digest);
}

/// SPEC §5.2: the monthly convention (rate/12 on the time-weighted average over the period)
/// exists "for reconciliation with monthly statements". `settle` applies it to an epoch's
/// window, so each daily statement charges rate/12 on that day's average — a month's interest
/// for one day — and 31 daily statements of January sum to 31 × the monthly statement for
/// January (1,000,000 USDS at 12%: 310,000 vs 10,000). Reconciliation needs the period to be
/// the month (e.g. refuse `monthly/12` unless the window is a calendar month, or compute it per
/// month from the epochs' integrals); which one is for the lead.
#[test]
#[ignore = "SPEC §5.2 question: monthly/12 applied per epoch window charges a month per epoch; reconciling needs a monthly period"]
fn review_monthly_convention_over_daily_epochs_reconciles_with_one_monthly_statement() {
    let f = |skips: Vec<String>, epoch: &str| {
        json!({
            "deployment_start": JAN1 + LOCK,
            "skips": skips,
            "epoch": epoch,
            "convention": "monthly/12",
            "rates": {"base_rate_apr": "0.12", "ssr_apr": "0"},
            "primes": [{"prime": "spark", "debt_vault": {"initial": "1000000"}}],
        })
        .to_string()
    };
    // One statement over [Jan 1 13:00, Feb 1 13:00): January's 31 days, skips in between.
    let month = parse(&f((1..31).map(date).collect(), "2026-02-01"))
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(month.window_end.0 - month.window_start.0, 31 * DAY);
    let monthly = month.statements[0].max_debt_fees_wad.raw();
    assert_eq!(monthly, U256::from(10_000u32) * WAD);
    // The same 31 days as daily epochs.
    let daily: U256 = (1..=31)
        .map(|d| {
            parse(&f(vec![], &date(d)))
                .unwrap()
                .compute()
                .unwrap()
                .statements[0]
                .max_debt_fees_wad
                .raw()
        })
        .fold(U256::ZERO, |a, b| a + b);
    assert_eq!(daily, monthly);
}

/// SPEC §5.4: a penalty "is added to the next epoch's obligation". The ledger booked it as its
/// own penalty obligation, and `open_penalties` feeds the next statement's `carried_penalties`,
/// whose total includes it; posting that total left the penalty owed twice (as the penalty
/// obligation and inside the statement), and invariant 9 — an identity over the ledger's own
/// records — still held, so it could not catch this. The test shows the Prime owing 2 (penalty
/// obligation) + 2.5 (statement: 0.5 fees + 2 carried) = 4.5 instead of 2.5.
///
/// Set-up adjusted to the ledger's API (docs/ledger.md): the statement is posted with the
/// penalties it carries (`post_statement(…, carried)`), which closes them as carried into it.
#[test]
fn review_a_carried_penalty_is_owed_once_after_the_next_statement_is_posted() {
    let d1 = EpochId::parse("2026-01-05").unwrap();
    let d2 = d1.next().unwrap();
    let usds = |x: u64| Wad::from_raw(U256::from(x) * WAD);
    let mut l = Ledger::new(
        "p",
        Wad::from_raw(WAD / U256::from(100u8)),
        Thresholds::default(),
    )
    .unwrap();
    l.post_statement(d1.lock(), d1, Payer::Prime, d1.moment(), usds(100), &[])
        .unwrap();
    l.pay(Timestamp(d1.moment().0 + 2 * 3600), Payer::Prime, usds(100))
        .unwrap();
    l.crystallize_penalties(d2.lock()).unwrap();
    let carried: U256 = l
        .open_penalties(Payer::Prime)
        .iter()
        .map(|(_, a)| a.raw())
        .fold(U256::ZERO, |a, b| a + b);
    assert_eq!(carried, U256::from(2u8) * WAD); // 100 · 1%/h · 2 h
                                                // The next statement: 0.5 of fees plus the carried penalty.
    let total = WAD / U256::from(2u8) + carried;
    let carry = l.penalties_to_carry();
    l.post_statement(
        d2.lock(),
        d2,
        Payer::Prime,
        d2.moment(),
        Wad::from_raw(total),
        &carry,
    )
    .unwrap();
    l.check_invariant_9().unwrap();
    assert_eq!(
        l.totals().unwrap().open_wad,
        SignedWad::positive(total),
        "the carried penalty is owed once"
    );
    assert_eq!(l.owed(Payer::Prime).unwrap().raw(), total);
}

/// SPEC §5.4 / invariant 9: a penalty is carried once. Carrying it into a second statement is
/// refused with the statement and epoch that carried it, and changes nothing; so is carrying
/// one penalty twice in one statement, at another amount than its open amount, an unknown
/// penalty, or leaving an open penalty out; and a statement cannot be posted while penalty
/// accrued up to its posting instant is not crystallised.
#[test]
fn review_a_penalty_carried_twice_is_refused_naming_where_it_went() {
    let d1 = EpochId::parse("2026-01-05").unwrap();
    let d2 = d1.next().unwrap();
    let d3 = d2.next().unwrap();
    let usds = |x: u64| Wad::from_raw(U256::from(x) * WAD);
    let mut l = Ledger::new(
        "p",
        Wad::from_raw(WAD / U256::from(100u8)),
        Thresholds::default(),
    )
    .unwrap();
    let a = l
        .post_statement(d1.lock(), d1, Payer::Prime, d1.moment(), usds(100), &[])
        .unwrap();
    l.pay(Timestamp(d1.moment().0 + 2 * 3600), Payer::Prime, usds(100))
        .unwrap();
    // Not crystallised as of the posting instant: refused, naming the obligation.
    assert_eq!(
        l.post_statement(d2.lock(), d2, Payer::Prime, d2.moment(), usds(1), &[]),
        Err(LedgerError::NotCrystallised {
            obligation: a,
            pending: usds(2),
            as_of: d2.lock()
        })
    );
    let pen = l.crystallize_penalties(d2.lock()).unwrap();
    assert_eq!(pen.len(), 1);
    let p = pen[0];
    let before = l.clone();
    for (carried, err) in [
        (
            vec![],
            LedgerError::PenaltyNotCarried {
                penalty: p,
                open: usds(2),
            },
        ),
        (
            vec![(p, usds(2)), (p, usds(2))],
            LedgerError::CarriedTwice { penalty: p },
        ),
        (
            vec![(p, usds(1))],
            LedgerError::CarriedAmountMismatch {
                penalty: p,
                carried: usds(1),
                open: usds(2),
            },
        ),
        (vec![(7, usds(2))], LedgerError::UnknownPenalty(7)),
    ] {
        assert_eq!(
            l.post_statement(d2.lock(), d2, Payer::Prime, d2.moment(), usds(3), &carried),
            Err(err)
        );
        assert_eq!(l, before, "a refused statement changes nothing");
    }
    let b = l
        .post_statement(
            d2.lock(),
            d2,
            Payer::Prime,
            d2.moment(),
            usds(3),
            &[(p, usds(2))],
        )
        .unwrap();
    l.pay(d2.moment(), Payer::Prime, usds(3)).unwrap();
    let before = l.clone();
    assert_eq!(
        l.post_statement(
            d3.lock(),
            d3,
            Payer::Prime,
            d3.moment(),
            usds(3),
            &[(p, usds(2))]
        ),
        Err(LedgerError::AlreadyCarried {
            penalty: p,
            statement: b,
            epoch: d2
        })
    );
    assert_eq!(l, before);
    l.check_invariant_9().unwrap();
    assert_eq!(l.owed(Payer::Prime).unwrap(), Wad::ZERO);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// SPEC §3 from the outside: the epoch that measures an instant is the executed epoch whose
    /// window contains it; the instant is in the Processing Window iff it is in 13:00–16:00 of an
    /// executed epoch (16:00:00 itself is Active); windows of consecutive executed epochs tile.
    #[test]
    fn review_calendar_phase_and_measuring_epoch_agree_with_the_windows(
        start in prop_oneof![0u64..2 * DAY, (0u64..2).prop_map(|d| d * DAY + LOCK), (0u64..2).prop_map(|d| d * DAY + LOCK - 1)],
        skips in proptest::collection::btree_set(2u64..12, 0..6),
        probes in proptest::collection::vec(prop_oneof![
            0u64..14 * DAY,
            (2u64..12).prop_map(|d| d * DAY + LOCK - 1),
            (2u64..12).prop_map(|d| d * DAY + LOCK),
            (2u64..12).prop_map(|d| d * DAY + MOMENT - 1),
            (2u64..12).prop_map(|d| d * DAY + MOMENT),
        ], 1..20),
    ) {
        use laniakea_settlement::{Calendar, Phase};
        let ids: Vec<EpochId> = skips.iter().map(|d| EpochId::parse(&date(*d)).unwrap()).collect();
        let cal = Calendar::new(Timestamp(JAN1 + start), ids).unwrap();
        // Executed epochs and their windows up to day 20.
        let mut windows = Vec::new();
        let mut d = cal.first_epoch();
        while d <= EpochId::parse(&date(20)).unwrap() {
            if !cal.is_skipped(d) {
                windows.push((d, cal.window(d).unwrap()));
            }
            d = d.next().unwrap();
        }
        prop_assert_eq!(windows[0].1.start.0, JAN1 + start);
        for w in windows.windows(2) {
            prop_assert_eq!(w[0].1.end, w[1].1.start, "windows tile");
        }
        for p in probes {
            let t = Timestamp(JAN1 + p);
            if t.0 < JAN1 + start || t.0 >= windows.last().unwrap().1.end.0 {
                continue;
            }
            let want = windows.iter().find(|(_, w)| w.contains(t)).unwrap().0;
            prop_assert_eq!(cal.measuring_epoch(t).unwrap(), want);
            let day = EpochId::parse(&date((t.0 - JAN1) / DAY)).unwrap();
            let s = t.0 % DAY;
            let locked = (LOCK..MOMENT).contains(&s) && day >= cal.first_epoch() && !cal.is_skipped(day);
            match cal.phase(t).unwrap() {
                Phase::Processing { epoch, measuring } => {
                    prop_assert!(locked, "{} is not in a Processing Window", t.0);
                    prop_assert_eq!(epoch, day);
                    prop_assert_eq!(measuring, want);
                }
                Phase::Active { measuring } => {
                    prop_assert!(!locked, "{} is in a Processing Window", t.0);
                    prop_assert_eq!(measuring, want);
                }
            }
        }
    }
}

/// Huge values at the range ends: the largest amount over the longest window (1970 → 9999) is
/// an overflow error naming the Prime and the series, not a panic or a wrapped figure; key order
/// in the file changes nothing.
#[test]
fn review_largest_amount_over_the_longest_window_is_a_named_overflow() {
    let max = "115792089237316195423570985008687907853269984665640564039457.584007913129639935";
    let text = json!({
        "deployment_start": 0,
        "epoch": "9999-12-31",
        "rates": {"base_rate_apr": "1", "ssr_apr": "1"},
        "primes": [{"prime": "spark", "debt_legacy": {"initial": max}}],
        "tags": [],
    })
    .to_string();
    let e = parse(&text).unwrap().compute().unwrap_err();
    assert_eq!(e.field(), Some("primes[0]"), "{e}");
    assert!(e.to_string().contains("debt_legacy"), "{e}");
    assert!(e.to_string().contains("overflow"), "{e}");
    // One second of the largest amount is fine: F = ⌊max·1/Y⌋.
    let text = json!({
        "deployment_start": 253_402_261_199u64, // 9999-12-31T12:59:59Z
        "epoch": "9999-12-31",
        "rates": {"base_rate_apr": "1", "ssr_apr": "1"},
        "primes": [{"prime": "spark", "debt_legacy": {"initial": max}}],
    })
    .to_string();
    let r = parse(&text).unwrap().compute().unwrap();
    assert_eq!(
        r.statements[0].max_debt_fees_wad.raw(),
        U256::MAX / U256::from(YEAR)
    );
    // Keys in another order: same figures, same digests.
    let reordered = r#"{"primes": [{"debt_legacy": {"initial": "MAX"}, "prime": "spark"}],
        "rates": {"ssr_apr": "1", "base_rate_apr": "1"}, "epoch": "9999-12-31",
        "deployment_start": 253402261199}"#
        .replace("MAX", max);
    let r2 = parse(&reordered).unwrap().compute().unwrap();
    assert_eq!(r2.epoch_input_digest, r.epoch_input_digest);
}
