//! Issue 7 items 6 and 7: behaviour aligned with the Solidity contracts and typed errors for
//! inputs that used to be accepted silently.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use laniakea_chain::call::*;
use laniakea_chain::script::parse;
use laniakea_chain::EventKind;
use laniakea_units::{Wad, U256};

const HEAD: &str = "{\"accounts\": [\"admin\", \"bob\"]}\n{\"at\": 100, \"from\": \"admin\", \"deploy\": {\"kind\": \"erc20\", \"symbol\": \"USDS\"}, \"as\": \"usds\"}\n";

fn error_of(script: &str) -> (usize, String, String) {
    let e = parse(script).unwrap_err();
    (e.line, e.field, e.message)
}

#[test]
fn susds_drip_in_the_same_second_emits_drip_with_zero_diff() {
    let mut f = Fx::new();
    f.warp(3600);
    let susds = f.a("susds");
    let drip = |f: &mut Fx| {
        let tx = Tx {
            from: f.a("admin"),
            at: f.e.now(),
            call: Call::Savings(susds, SavingsCall::Drip),
        };
        let r = f.e.execute(tx).unwrap();
        assert!(r.is_ok());
        f.e.log()[r.events].to_vec()
    };
    let first = drip(&mut f);
    let chi = first
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Savings(laniakea_chain::families::savings::SavingsEvent::Drip {
                chi_ray,
                ..
            }) => Some(*chi_ray),
            _ => None,
        })
        .expect("the first drip of the hour emits Drip");
    let second = drip(&mut f);
    assert_eq!(second.len(), 1, "only Drip: {second:?}");
    assert_eq!(
        second[0].kind,
        EventKind::Savings(laniakea_chain::families::savings::SavingsEvent::Drip {
            chi_ray: chi,
            diff_wad: Wad::from_raw(U256::ZERO),
        })
    );
}

#[test]
fn a_view_line_refuses_at_and_expect() {
    let (line, field, msg) = error_of(&format!(
        "{HEAD}{{\"at\": 200, \"view\": \"usds\", \"fn\": \"totalSupply\"}}\n"
    ));
    assert_eq!((line, field.as_str()), (3, "at"), "{msg}");
    let (_, field, _) = error_of(&format!(
        "{HEAD}{{\"view\": \"usds\", \"fn\": \"totalSupply\", \"expect\": \"ok\"}}\n"
    ));
    assert_eq!(field, "expect");
}

#[test]
fn an_amount_ending_in_a_dot_is_refused() {
    let (line, field, _) = error_of(&format!("{HEAD}{{\"from\": \"admin\", \"to\": \"usds\", \"fn\": \"mint\", \"args\": {{\"to\": \"@bob\", \"amount\": \"1.\"}}}}\n"));
    assert_eq!((line, field.as_str()), (3, "args.amount"));
    assert!(parse(&format!("{HEAD}{{\"from\": \"admin\", \"to\": \"usds\", \"fn\": \"mint\", \"args\": {{\"to\": \"@bob\", \"amount\": \"1.0\"}}}}\n")).is_ok());
}

#[test]
fn expect_must_name_a_known_outcome() {
    let line = |expect: &str| {
        format!("{HEAD}{{\"from\": \"admin\", \"to\": \"usds\", \"fn\": \"transfer\", \"args\": {{\"to\": \"@bob\", \"amount\": \"1\"}}, \"expect\": \"{expect}\"}}\n")
    };
    let (l, field, msg) = error_of(&line("ERC20/insufficent-balance"));
    assert_eq!((l, field.as_str()), (3, "expect"));
    assert!(msg.contains("insufficent"), "{msg}");
    for ok in [
        "ok",
        "rejected",
        "ERC20/insufficient-balance",
        "Math/overflow",
    ] {
        assert!(parse(&line(ok)).is_ok(), "{ok}");
    }
}

#[test]
fn second_vat_and_bad_symbol_are_typed_reverts() {
    let mut f = Fx::new();
    let deploy = |f: &mut Fx, d: Deploy| {
        let tx = Tx {
            from: f.a("admin"),
            at: f.e.now(),
            call: Call::Deploy(d),
        };
        f.e.execute(tx).unwrap().outcome
    };
    let r = deploy(&mut f, Deploy::Vat(VatDeploy {}));
    assert_eq!(r.unwrap_err().code(), "Engine/second-vat");
    let r = deploy(
        &mut f,
        Deploy::Erc20(Erc20Deploy {
            symbol: "NOT A SYMBOL".into(),
        }),
    );
    assert_eq!(r.unwrap_err().code(), "Token/invalid-symbol");
}
