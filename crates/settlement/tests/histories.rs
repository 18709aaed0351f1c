//! Bulk histories: binary and JSON-lines formats agree, and bad records are named.
#![allow(clippy::unwrap_used)]

use laniakea_settlement::histories::{
    apply, parse_binary, parse_json_lines, write_binary, Record, Series,
};
use laniakea_settlement::inputs;
use laniakea_settlement::BalanceHistory;
use laniakea_units::{Timestamp, U256, WAD};

fn rec(prime: &str, series: Series, changes: &[(u64, u64)]) -> Record {
    Record {
        prime: prime.into(),
        series,
        history: BalanceHistory::new(
            U256::from(7u8) * WAD,
            changes
                .iter()
                .map(|(t, v)| (Timestamp(*t), U256::from(*v) * WAD))
                .collect(),
        )
        .unwrap(),
    }
}

#[test]
fn binary_roundtrip_and_json_lines_agree() {
    let recs = vec![
        rec("spark", Series::DebtVault, &[(10, 5), (20, 6)]),
        rec("grove", Series::IdleUsds, &[(15, 1)]),
    ];
    let bin = write_binary(&recs).unwrap();
    assert_eq!(parse_binary(&bin).unwrap(), recs);
    let jl = "{\"prime\":\"spark\",\"series\":\"debt_vault\",\"initial\":\"7\",\"changes\":[[10,\"5\"],[20,\"6\"]]}\n{\"prime\":\"grove\",\"series\":\"idle_usds\",\"initial\":\"7\",\"changes\":[[15,\"1\"]]}\n";
    assert_eq!(parse_json_lines(jl).unwrap(), recs);
}

#[test]
fn truncated_or_bad_binary_is_refused_with_the_record() {
    let bin = write_binary(&[rec("spark", Series::DebtVault, &[(10, 5), (20, 6)])]).unwrap();
    let e = parse_binary(&bin[..bin.len() - 1]).unwrap_err();
    assert!(e.field().unwrap().starts_with("record 0"), "{e}");
    assert!(e.message.contains("truncated"));
    assert!(parse_binary(b"NOPE").is_err());
    let mut bad_series = bin.clone();
    bad_series[6 + 2 + 5] = 9;
    assert!(parse_binary(&bad_series)
        .unwrap_err()
        .message
        .contains("unknown series"));
    let unsorted =
        "{\"prime\":\"spark\",\"series\":\"debt_vault\",\"changes\":[[20,\"5\"],[10,\"6\"]]}\n";
    assert_eq!(
        parse_json_lines(unsorted).unwrap_err().field(),
        Some("line 1.changes")
    );
    let dup = "{\"prime\":\"a\",\"series\":\"debt_vault\"}\n{\"prime\":\"a\",\"series\":\"debt_vault\"}\n";
    assert!(parse_json_lines(dup).unwrap_err().message.contains("twice"));
}

#[test]
fn applied_histories_replace_the_series_and_add_primes() {
    let mut inp = inputs::parse(include_str!("../../../examples/settlement-inputs.json")).unwrap();
    let before = inp.compute().unwrap();
    apply(
        &mut inp,
        vec![
            rec("newprime", Series::DebtLegacy, &[]),
            rec("spark", Series::DebtVault, &[]),
        ],
    );
    let after = inp.compute().unwrap();
    assert_eq!(after.statements.len(), 3);
    assert_ne!(
        after.statements[0].debt_vault_wad_s,
        before.statements[0].debt_vault_wad_s
    );
}
