//! Interoperability: a record hashed and signed by an independent Ethereum implementation
//! (eth_account; see vectors/make_eip191_vector.py for how eip191.json was produced) matches
//! this crate's canonical form, id and signature, and verifies here.
#![allow(clippy::unwrap_used)]

use laniakea_synome::{recover, Content, Kind, Provenance, Role, Sig, Signer};
use laniakea_units::EpochId;
use laniakea_units::Timestamp;
use serde_json::{json, Value};

const VECTOR: &str = include_str!("vectors/eip191.json");

#[test]
fn eth_account_vector_matches_and_verifies() {
    let v: Value = serde_json::from_str(VECTOR).unwrap();
    let signer = Signer::demo("interop-vector");
    assert!(signer.is_demo());
    assert_eq!(
        signer.address(),
        v["address"]
            .as_str()
            .unwrap()
            .parse::<alloy_primitives::Address>()
            .unwrap()
    );
    let content = Content {
        synome: alloy_primitives::B256::repeat_byte(0x22),
        kind: Kind::PaymentReceipt,
        schema_version: 1,
        epoch: Some(EpochId::parse("2026-01-05").unwrap()),
        subject: "prime:spark".into(),
        author: signer.address(),
        role: Role::Operator,
        created_at: Timestamp(1_767_628_800),
        provenance: Provenance::SystemDerived,
        payload: json!({"prime": "spark", "payer": "prime", "tx": "0x5e1f", "amount_wad": "505.609589041095890411", "paid_at": 1767628000, "obligation": "2026-01-05/spark/1"}),
        prev: Default::default(),
        store_prev: alloy_primitives::B256::repeat_byte(0x11),
        supersedes: None,
    };
    assert_eq!(
        content.canonical().unwrap(),
        v["canonical"].as_str().unwrap(),
        "canonical JSON agrees with an independent canonicaliser"
    );
    let id = content.id().unwrap();
    assert_eq!(id.to_string(), v["id"].as_str().unwrap());
    let theirs = Sig::from_hex(v["signature"].as_str().unwrap()).unwrap();
    assert_eq!(
        recover(id, &theirs),
        Some(signer.address()),
        "their signature verifies here"
    );
    let ours = content.sign(&signer).unwrap();
    assert_eq!(
        ours.signature, theirs,
        "RFC 6979: the same key signs the same id identically"
    );
}
