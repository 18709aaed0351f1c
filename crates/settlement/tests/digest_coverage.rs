//! Digest coverage (issue 9): mutating any single input field of a valid inputs file, if it
//! changes any output, changes the epoch input digest — and the digest of the part that changed
//! (a statement's `input_digest`, the `distributions_input_digest`).
#![allow(clippy::unwrap_used)]

use laniakea_settlement::inputs::{parse, EpochResult};
use laniakea_units::time::parse_rfc3339;
use laniakea_units::{EpochId, Wad};
use proptest::prelude::*;
use serde_json::{json, Value};

const JAN1: u64 = 1_767_225_600;
const DAY: u64 = 86_400;

fn rfc3339(t: u64) -> String {
    jiff::Timestamp::from_second(t as i64).unwrap().to_string()
}

/// A time as Unix seconds or RFC 3339 text (both forms must be covered).
fn time(lo: u64, hi: u64) -> impl Strategy<Value = Value> {
    (lo..hi, any::<bool>()).prop_map(|(t, text)| if text { json!(rfc3339(t)) } else { json!(t) })
}

fn amount() -> impl Strategy<Value = String> {
    (0u64..2_000_000, 0u32..1000).prop_map(|(i, f)| {
        if f % 3 == 0 {
            i.to_string()
        } else {
            format!("{i}.{f:03}")
        }
    })
}

fn rate() -> impl Strategy<Value = String> {
    (0u32..200).prop_map(|r| format!("0.{r:03}"))
}

fn history() -> impl Strategy<Value = Value> {
    (
        amount(),
        proptest::collection::btree_map(JAN1..JAN1 + 8 * DAY, amount(), 0..4),
    )
        .prop_map(|(initial, changes)| {
            let changes: Vec<Value> = changes
                .into_iter()
                .enumerate()
                .map(|(k, (at, balance))| {
                    let at = if k % 2 == 0 {
                        json!(at)
                    } else {
                        json!(rfc3339(at))
                    };
                    json!({"at": at, "balance": balance})
                })
                .collect();
            json!({"initial": initial, "changes": changes})
        })
}

fn prime(name: &'static str) -> impl Strategy<Value = Value> {
    (
        (any::<bool>(), history(), history(), history(), history()),
        (
            proptest::collection::vec(history(), 1..3),
            history(),
            amount(),
            rate(),
            proptest::collection::vec(amount(), 0..3),
        ),
    )
        .prop_map(
            move |((gov, legacy, vault, idle, susds), (sky, osrc, profit, osrc_rate, pens))| {
                let idle_usds: Vec<Value> = std::iter::once(idle)
                    .map(|b| json!({"location": "alm-proxy", "balance": b}))
                    .collect();
                let sky_direct: Vec<Value> = sky
                    .into_iter()
                    .enumerate()
                    .map(|(k, e)| {
                        json!({"allocation": format!("{name}-sd-{k}"), "exposure": e, "actual_profit": profit})
                    })
                    .collect();
                let carried: Vec<Value> = pens
                    .into_iter()
                    .enumerate()
                    .map(|(k, a)| json!({"penalty_id": format!("{name}/penalty-{k}"), "amount": a}))
                    .collect();
                json!({
                    "prime": name,
                    "provenance": if gov { "governance-directed" } else { "system-derived" },
                    "debt_legacy": legacy,
                    "debt_vault": vault,
                    "idle_usds": idle_usds,
                    "idle_susds_value": susds,
                    "sky_direct": sky_direct,
                    "osrc_allocation": osrc,
                    "osrc_rate_apr": osrc_rate,
                    "carried_penalties": carried,
                })
            },
        )
}

fn tag(k: usize) -> impl Strategy<Value = Value> {
    (any::<bool>(), 0u8..5, any::<bool>(), 0u64..7, history()).prop_map(
        move |(susds, tier, grove, from_day, balance)| {
            json!({
                "address": format!("0x{:040x}", 0xa0 + k),
                "asset": if susds { "sUSDS" } else { "USDS" },
                "tier": tier,
                "prime": if grove { "grove" } else { "spark" },
                "tagged_from": EpochId::date_of(laniakea_units::Timestamp(JAN1 + from_day * DAY)).unwrap().to_string(),
                "balance": balance,
            })
        },
    )
}

fn inputs() -> impl Strategy<Value = Value> {
    (
        (time(JAN1, JAN1 + 36 * 3600), 3u64..7, any::<u8>(), any::<bool>()),
        (rate(), rate(), proptest::option::of(proptest::array::uniform5(0u32..100))),
        (prime("spark"), prime("grove")),
        (tag(1), tag(2), 0usize..3),
    )
        .prop_map(
            |((start, epoch_day, skip_mask, monthly), (base, ssr, tiers), (a, b), (t1, t2, ntags))| {
                // Skips: any of Jan 2..Jan 6 except the epoch itself.
                let skips: Vec<String> = (1..6u64)
                    .filter(|d| *d != epoch_day && skip_mask >> d & 1 == 1)
                    .map(|d| EpochId::date_of(laniakea_units::Timestamp(JAN1 + d * DAY)).unwrap().to_string())
                    .collect();
                let tags: Vec<Value> = [t1, t2].into_iter().take(ntags).collect();
                let mut v = json!({
                    "deployment_start": start,
                    "skips": skips,
                    "epoch": EpochId::date_of(laniakea_units::Timestamp(JAN1 + epoch_day * DAY)).unwrap().to_string(),
                    "convention": if monthly { "monthly/12" } else { "actual/365" },
                    "rates": {"base_rate_apr": base, "ssr_apr": ssr},
                    "primes": [a, b],
                    "tags": tags,
                });
                if let Some(t) = tiers {
                    v["tiers_bps"] = json!(t);
                }
                v
            },
        )
}

/// Every variant of one leaf value that is still plausible input.
fn leaf_variants(v: &Value) -> Vec<Value> {
    match v {
        Value::Number(n) => {
            let n = n.as_u64().unwrap();
            let mut out = vec![json!(n + 1)];
            if n > 0 {
                out.push(json!(n - 1));
            }
            if n > DAY {
                // A time: also a day either way (moves the first epoch, hence the seq).
                out.extend([json!(n + DAY), json!(n - DAY)]);
            }
            out
        }
        Value::String(s) => {
            let swaps = [
                ("actual/365", "monthly/12"),
                ("system-derived", "governance-directed"),
                ("USDS", "sUSDS"),
            ];
            for (a, b) in swaps {
                if s == a {
                    return vec![json!(b)];
                }
                if s == b {
                    return vec![json!(a)];
                }
            }
            if let Ok(w) = Wad::parse(s) {
                let mut out = vec![json!(Wad::from_raw(
                    w.raw() + laniakea_units::U256::from(1u8)
                )
                .to_string())];
                if !w.is_zero() {
                    out.push(json!("0"));
                }
                return out;
            }
            if let Ok(e) = EpochId::parse(s) {
                return [e.next(), e.prev()]
                    .into_iter()
                    .filter_map(Result::ok)
                    .map(|e| json!(e.to_string()))
                    .collect();
            }
            if let Ok(t) = parse_rfc3339(s) {
                return [t.0 + 1, t.0 - 1, t.0 + DAY, t.0 - DAY]
                    .into_iter()
                    .map(|t| json!(rfc3339(t)))
                    .collect();
            }
            if s.starts_with("0x") && s.len() == 42 {
                let flipped = if s.ends_with('f') { "e" } else { "f" };
                return vec![json!(format!("{}{flipped}", &s[..41]))];
            }
            // A name: renamed, and (for the two Primes) swapped, which moves a tag to the
            // other Prime.
            let mut out = vec![json!(format!("{s}x"))];
            match s.as_str() {
                "spark" => out.push(json!("grove")),
                "grove" => out.push(json!("spark")),
                _ => {}
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Every single-field mutation of `v`: each leaf changed, each array element removed, the
/// first two elements of each array swapped.
fn mutations(v: &Value, out: &mut Vec<(String, Value)>, path: &str, root: &Value) {
    let set = |new: Value| -> Value {
        let mut r = root.clone();
        *r.pointer_mut(path).unwrap() = new;
        r
    };
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                mutations(x, out, &format!("{path}/{k}"), root);
            }
        }
        Value::Array(a) => {
            for i in 0..a.len() {
                let mut b = a.clone();
                b.remove(i);
                out.push((format!("{path} without [{i}]"), set(Value::Array(b))));
                mutations(&a[i], out, &format!("{path}/{i}"), root);
            }
            if a.len() >= 2 {
                let mut b = a.clone();
                b.swap(0, 1);
                out.push((format!("{path} swapped"), set(Value::Array(b))));
            }
        }
        leaf => {
            for n in leaf_variants(leaf) {
                out.push((format!("{path} = {n}"), set(n)));
            }
        }
    }
}

fn run(v: &Value) -> Option<EpochResult> {
    parse(&v.to_string()).ok()?.compute().ok()
}

/// The output without its digests.
fn figures(r: &EpochResult) -> Value {
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
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn any_field_that_changes_an_output_changes_the_digest(base in inputs()) {
        let r0 = run(&base).expect("the generator makes valid inputs");
        let f0 = figures(&r0);
        let mut muts = Vec::new();
        mutations(&base, &mut muts, "", &base);
        let mut changed = 0;
        for (what, m) in muts {
            let Some(r) = run(&m) else { continue };
            let f = figures(&r);
            if f == f0 {
                continue;
            }
            changed += 1;
            prop_assert_ne!(r.epoch_input_digest, r0.epoch_input_digest, "epoch digest blind to {}", what);
            if f["distributions"] != f0["distributions"] {
                prop_assert_ne!(r.distributions_input_digest, r0.distributions_input_digest, "distributions digest blind to {}", what);
            }
            if r.statements.len() == r0.statements.len() {
                for (i, (s, s0)) in r.statements.iter().zip(&r0.statements).enumerate() {
                    if f["statements"][i] != f0["statements"][i] {
                        prop_assert_ne!(s.input_digest, s0.input_digest, "statement {} digest blind to {}", i, what);
                    }
                }
            }
        }
        prop_assert!(changed > 0, "no mutation changed any output: the test would assert nothing");
    }
}
