//! Property tests over random transaction sequences: SPEC §8 invariants 1, 2 and 4 after every
//! transaction (the fixture asserts 1, 2 and the state part of 4 on every tx), the flow part of
//! invariant 4 against a reference model of the rate limits, and rounding directions.

#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use laniakea_chain::call::*;
use laniakea_chain::rate_limits::current_amount;
use laniakea_units::{Ray, Wad, RAY, U256};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Mint(u64),
    Burn(u64),
    Deposit(u64),
    Withdraw(u64),
    Redeem(u64),
    Transfer(u64),
    Warp(u32),
}

fn op() -> impl Strategy<Value = Op> {
    // Amounts in milli-USDS with odd wei offsets to exercise rounding.
    prop_oneof![
        (0u64..2_000_000_000).prop_map(Op::Mint),
        (0u64..500_000_000).prop_map(Op::Burn),
        (0u64..700_000_000).prop_map(Op::Deposit),
        (0u64..300_000_000).prop_map(Op::Withdraw),
        (0u64..300_000_000).prop_map(Op::Redeem),
        (0u64..1_500_000).prop_map(Op::Transfer),
        (0u32..200_000).prop_map(Op::Warp),
    ]
}

fn milli(x: u64) -> U256 {
    U256::from(x) * U256::from(1_000_000_000_000_000u64) + U256::from(x % 7)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold_and_no_flow_exceeds_its_limit(ops in proptest::collection::vec(op(), 1..60)) {
        let mut f = Fx::new();
        let rl = f.a("gen_rl");
        for o in ops {
            // Reference model: the key this op decreases, and the amount it asks for.
            let (key, asked) = match &o {
                Op::Mint(x) => (Some(f.mint_key()), Some(milli(*x))),
                Op::Deposit(x) => (Some(f.deposit_key()), Some(milli(*x))),
                Op::Withdraw(x) => (Some(f.withdraw_key()), Some(milli(*x))),
                Op::Transfer(x) => (Some(f.transfer_key("surplus")), Some(milli(*x))),
                _ => (None, None),
            };
            let before = key.map(|k| f.e.state().rate_limit_data(rl, k));
            let r = match o {
                Op::Mint(x) => f.mint(milli(x)),
                Op::Burn(x) => f.ctrl("relayer", ControllerCall::BurnUsds { amount: Wad::from_raw(milli(x)) }),
                Op::Deposit(x) => f.deposit(milli(x), U256::ZERO),
                Op::Withdraw(x) => f.withdraw(milli(x), U256::MAX),
                Op::Redeem(x) => f.redeem(milli(x), U256::ZERO),
                Op::Transfer(x) => {
                    let (usds, to) = (f.a("usds"), f.a("surplus"));
                    f.ctrl("relayer", ControllerCall::TransferAsset { asset: usds, to, amount: Wad::from_raw(milli(x)) })
                }
                Op::Warp(s) => { f.warp(s as u64); Ok(Returns::none()) }
            };
            if let (Some(d), Some(amount)) = (before, asked) {
                let available = current_amount(&d, f.now()).unwrap();
                if r.is_ok() {
                    prop_assert!(d.max_amount.raw() > U256::ZERO, "flow on an unconfigured key");
                    prop_assert!(amount <= available, "flow {amount} exceeded limit {available}");
                } else if amount > available {
                    let c = code(r.clone());
                    prop_assert!(c == "RateLimits/rate-limit-exceeded" || c.starts_with("ERC4626/") || c.starts_with("ERC20/"), "unexpected {c}");
                }
            }
        }
    }

    #[test]
    fn deposit_then_redeem_never_returns_more(assets in 1u64..1_000_000_000, wait in 0u64..10_000_000, extra in 0u64..1_000_000) {
        let mut f = Fx::new();
        f.mint(wad(1_000_000)).unwrap();
        // Seed the vault so chi > RAY and rounding matters.
        f.deposit(wad(1000), U256::ZERO).unwrap();
        f.warp(wait);
        let a = milli(assets % 400_000_000) + U256::from(extra);
        let before = f.bal("usds", "gen_proxy");
        let shares = ret_wad(&f.deposit(a, U256::ZERO).unwrap(), "shares");
        let got = ret_wad(&f.redeem(shares, U256::ZERO).unwrap(), "assets");
        prop_assert!(got <= a, "redeem returned {got} > deposited {a}");
        prop_assert!(f.bal("usds", "gen_proxy") <= before);
    }

    #[test]
    fn draw_then_wipe_never_profits_the_caller(amount in 1u64..1_000_000_000_000, duty_bp in 0u64..2_000, wait in 0u64..5_000_000) {
        let mut f = Fx::new();
        let (jug, vault, ilk) = (f.a("jug"), f.a("gen_vault"), Ilk(laniakea_chain::mcd::ilk_id("GEN-USDS-A").unwrap()));
        // duty ≈ duty_bp·1e-12 per second above RAY.
        f.tx("admin", Call::Jug(jug, JugCall::FileDuty { ilk, data: Ray::from_raw(RAY + U256::from(duty_bp) * U256::from(1_000_000_000_000_000u64)) })).unwrap();
        f.warp(wait);
        let wad_amt = U256::from(amount) * U256::from(1_000_003u64);
        let art0 = f.e.state().urn(ilk.0, vault).art;
        f.tx("admin", Call::IlkVault(vault, IlkVaultCall::Draw { wad: Wad::from_raw(wad_amt) })).unwrap();
        f.tx("admin", Call::IlkVault(vault, IlkVaultCall::Wipe { wad: Wad::from_raw(wad_amt) })).unwrap();
        let art1 = f.e.state().urn(ilk.0, vault).art;
        prop_assert!(art1 >= art0, "draw+wipe reduced debt: {art0} -> {art1}");
        prop_assert_eq!(f.bal("usds", "gen_vault.buffer"), U256::ZERO);
    }
}
