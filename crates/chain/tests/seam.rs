//! The typed chain seam: an off-chain reader that uses only `laniakea_chain::Chain` (no engine
//! internals) can deploy, transact, read typed answers and resume the event log from a cursor.
#![allow(clippy::unwrap_used)]

use alloy_primitives::Address;
use laniakea_chain::call::*;
use laniakea_chain::families::token::{TokenAnswer, TokenView};
use laniakea_chain::{Chain, Engine};
use laniakea_units::{Timestamp, Wad, U256, WAD};

fn operator_flow(chain: &mut dyn Chain) {
    let admin = Address::repeat_byte(1);
    let bob = Address::repeat_byte(2);
    let at = chain.now();
    let r = chain
        .submit(Tx {
            from: admin,
            at,
            call: Call::Deploy(Deploy::Erc20(Erc20Deploy {
                symbol: "USDS".into(),
            })),
        })
        .unwrap();
    let token = match r.outcome.unwrap().get("address") {
        Some(Value::Address(a)) => *a,
        other => panic!("deploy returns an address, got {other:?}"),
    };
    let cursor = chain.events_since(0).len() as u64;
    let amount = Wad::from_raw(U256::from(5u8) * WAD);
    let r = chain
        .submit(Tx {
            from: admin,
            at: Timestamp(at.0 + 10),
            call: Call::Erc20(token, Erc20Call::Mint { to: bob, amount }),
        })
        .unwrap();
    assert!(r.is_ok());
    assert_eq!(chain.now(), Timestamp(at.0 + 10));
    let answer = chain
        .view(token, &Query::Erc20(TokenView::BalanceOf { account: bob }))
        .unwrap();
    assert_eq!(
        answer,
        Answer::Erc20(TokenAnswer::Balance { balance: amount })
    );
    let new = chain.events_since(cursor);
    assert_eq!(new.len(), 1, "only the mint's Transfer is after the cursor");
    assert_eq!(new[0].seq, cursor);
    assert_eq!(new[0].kind.name(), "Transfer");
    assert!(chain.events_since(cursor + 1).is_empty());
}

#[test]
fn the_engine_implements_the_seam() {
    let mut e = Engine::new(Timestamp(100));
    operator_flow(&mut e);
}

#[test]
fn a_query_to_the_wrong_kind_is_a_typed_revert() {
    let mut e = Engine::new(Timestamp(1));
    let admin = Address::repeat_byte(1);
    let r = e
        .submit(Tx {
            from: admin,
            at: Timestamp(1),
            call: Call::Deploy(Deploy::Vat(VatDeploy {})),
        })
        .unwrap();
    let vat = match r.outcome.unwrap().get("address") {
        Some(Value::Address(a)) => *a,
        _ => unreachable!(),
    };
    let err = Chain::view(&e, vat, &Query::Erc20(TokenView::TotalSupply)).unwrap_err();
    assert_eq!(err.code(), "Engine/wrong-contract-kind");
}
