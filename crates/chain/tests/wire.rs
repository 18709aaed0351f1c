//! The transaction wire form (`laniakea_chain::wire`, issue 14 item 4): every transaction of every
//! shipped example script and of a fully scoped system build round-trips to an identical `Tx`;
//! bodies with random values round-trip too (property); bad input is a `WireError` naming the field.
#![allow(clippy::unwrap_used)]

use laniakea_chain::call::{Call, Tx};
use laniakea_chain::script::parse;
use laniakea_chain::system::{LegacyConfig, PrimeConfig, ScopesConfig, SystemConfig};
use laniakea_chain::wire::{decode_tx, encode_tx, WIRE_VERSION};
use laniakea_units::{Rad, Wad, U256};
use proptest::prelude::*;
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;

fn example_txs() -> Vec<(String, Tx)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "expected the shipped examples in {dir}");
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let script = parse(&text).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        out.extend(script.transactions().map(|t| (name.clone(), t.clone())));
    }
    // A fully scoped two-Prime system: every family the builder deploys, scopes included.
    let mut spark = PrimeConfig::new("spark");
    spark.legacy = Some(LegacyConfig {
        ilk: None,
        line: Rad::from_raw(U256::from(10_000u64) * laniakea_units::math::RAD),
        debt: Wad::from_raw(U256::from(1_000u64) * laniakea_units::WAD),
    });
    let cfg = SystemConfig {
        primes: vec![spark, PrimeConfig::new("grove")],
        scopes: Some(ScopesConfig::default()),
        ..SystemConfig::default()
    };
    let line = json!({"at": 1_767_225_600u64, "system": cfg});
    let script = parse(&line.to_string()).unwrap();
    out.extend(
        script
            .transactions()
            .map(|t| ("system".to_string(), t.clone())),
    );
    out
}

fn label(c: &Call) -> String {
    match c {
        Call::Deploy(d) => format!("deploy {}", d.kind()),
        _ => "call".to_string(),
    }
}

#[test]
fn every_example_and_system_transaction_round_trips_exactly() {
    let txs = example_txs();
    let mut kinds = BTreeSet::new();
    let mut fns = BTreeSet::new();
    for (file, tx) in &txs {
        let wire = encode_tx(tx).unwrap_or_else(|e| panic!("{file}: {tx:?}: {e}"));
        assert_eq!(wire["v"], json!(WIRE_VERSION));
        // Through text, as the journal stores it.
        let text = wire.to_string();
        let back = decode_tx(&serde_json::from_str::<Json>(&text).unwrap())
            .unwrap_or_else(|e| panic!("{file}: {text}: {e}"));
        assert_eq!(&back, tx, "{file}: {text}");
        kinds.insert(wire["kind"].as_str().unwrap().to_string());
        if let Some(f) = wire["call"]["fn"].as_str() {
            fns.insert(format!("{}.{f}", wire["kind"].as_str().unwrap()));
        } else {
            fns.insert(label(&tx.call));
        }
    }
    // The corpus reaches every deployable family and many functions (a shrinking corpus would
    // silently weaken this test).
    let deployable: BTreeSet<String> = laniakea_chain::families::LABELS
        .iter()
        .filter(|l| **l != "ilk-vault-buffer" && **l != "buffer")
        .map(|l| l.to_string())
        .collect();
    let missing: Vec<_> = deployable.difference(&kinds).collect();
    assert!(missing.is_empty(), "no transaction of kinds {missing:?}");
    assert!(
        fns.len() >= 40,
        "only {} distinct functions: {fns:?}",
        fns.len()
    );
}

/// Replaces every decimal amount and every address in a call body with a random one.
fn perturb(v: &mut Json, amounts: &[u64], addrs: &[[u8; 20]], i: &mut usize) {
    match v {
        Json::String(s) if s.starts_with("0x") && s.len() == 42 => {
            *s = alloy_primitives::Address::from(addrs[*i % addrs.len()]).to_string();
            *i += 1;
        }
        Json::String(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            let a = amounts[*i % amounts.len()];
            *s = format!("{}.{:03}", a / 1000, a % 1000);
            *i += 1;
        }
        Json::Number(n) if n.is_u64() => {
            *v = json!(amounts[*i % amounts.len()] % 1_000_000);
            *i += 1;
        }
        Json::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k != "v" && k != "kind" && k != "fn" {
                    perturb(x, amounts, addrs, i);
                }
            }
        }
        Json::Array(a) => a.iter_mut().for_each(|x| perturb(x, amounts, addrs, i)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any wire value that decodes re-encodes to a value that decodes to the same transaction.
    #[test]
    fn perturbed_transactions_round_trip(
        pick in 0usize..10_000,
        amounts in proptest::collection::vec(any::<u64>(), 1..8),
        addrs in proptest::collection::vec(any::<[u8; 20]>(), 1..4),
    ) {
        let txs = example_txs();
        let (_, tx) = &txs[pick % txs.len()];
        let mut wire = encode_tx(tx).unwrap();
        let mut i = 0;
        perturb(&mut wire, &amounts, &addrs, &mut i);
        if let Ok(t) = decode_tx(&wire) {
            let again = encode_tx(&t).unwrap();
            prop_assert_eq!(decode_tx(&again).unwrap(), t);
        }
    }
}

#[test]
fn bad_wire_values_are_refused_naming_the_field() {
    let (_, tx) = example_txs()
        .into_iter()
        .find(|(_, t)| !matches!(t.call, Call::Deploy(_)))
        .unwrap();
    let good = encode_tx(&tx).unwrap();
    let field = |mutate: &dyn Fn(&mut Json)| {
        let mut w = good.clone();
        mutate(&mut w);
        decode_tx(&w).unwrap_err().field
    };
    assert_eq!(field(&|w| w["v"] = json!(2)), "v");
    assert_eq!(field(&|w| w["from"] = json!("0x12")), "from");
    assert_eq!(field(&|w| w["at"] = json!(-1)), "at");
    assert_eq!(field(&|w| w["kind"] = json!("nope")), "kind");
    assert_eq!(field(&|w| w["call"]["fn"] = json!("nope")), "call.fn");
    assert_eq!(field(&|w| w["extra"] = json!(1)), "extra");
    assert_eq!(
        field(&|w| {
            w.as_object_mut().unwrap().remove("to");
        }),
        "to"
    );
}
