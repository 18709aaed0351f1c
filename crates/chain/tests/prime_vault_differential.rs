//! Differential test (issue 10): the Prime vault's conversions, previews and max functions
//! against an independent, straightforward model of the OpenZeppelin ERC-4626 formulas written
//! here (512-bit products, explicit rounding), over random states — including first-deposit
//! inflation by donation, decimals offset 0 and > 0, draws and write-downs. The model keeps its
//! own state (supply, idle, drawn, written down) from the operations; it never reads the vault.

#![allow(clippy::unwrap_used)]
mod gen;
use alloy_primitives::{Address, U512};
use gen::*;
use laniakea_chain::call::*;
use laniakea_chain::families::prime_vault::PrimeVaultView;
use laniakea_chain::system::{PrimeConfig, SystemConfig};
use laniakea_units::{Wad, U256};
use proptest::prelude::*;

/// OpenZeppelin `Math.mulDiv(x, y, d, rounding)`; `None` if the result exceeds 256 bits.
fn oz_mul_div(x: U256, y: U256, d: U256, ceil: bool) -> Option<U256> {
    let p = U512::from(x) * U512::from(y);
    let d = U512::from(d);
    let mut q = p / d;
    if ceil && !(p % d).is_zero() {
        q += U512::from(1u8);
    }
    if q > U512::from(U256::MAX) {
        None
    } else {
        Some(U256::from(q))
    }
}

#[derive(Debug, Clone)]
struct Model {
    offset: u8,
    supply: U256,
    idle: U256,
    drawn: U256,
    written_down: U256,
}

impl Model {
    fn total_assets(&self) -> U256 {
        self.idle + self.drawn - self.written_down
    }
    fn virtual_supply(&self) -> U256 {
        self.supply + U256::from(10u8).pow(U256::from(self.offset))
    }
    fn to_shares(&self, assets: U256, ceil: bool) -> Option<U256> {
        oz_mul_div(
            assets,
            self.virtual_supply(),
            self.total_assets() + U256::from(1u8),
            ceil,
        )
    }
    fn to_assets(&self, shares: U256, ceil: bool) -> Option<U256> {
        oz_mul_div(
            shares,
            self.total_assets() + U256::from(1u8),
            self.virtual_supply(),
            ceil,
        )
    }
    fn max_withdraw(&self) -> U256 {
        self.to_assets(self.supply, false).unwrap().min(self.idle)
    }
    fn max_redeem(&self) -> U256 {
        self.supply.min(self.to_shares(self.idle, false).unwrap())
    }
}

#[derive(Debug, Clone)]
enum Op {
    Deposit(U256),
    Mint(U256),
    Withdraw(u16),
    Redeem(u16),
    Draw(u16),
    Repay(u16),
    WriteDown(u16),
    Donate(U256),
}

fn amount() -> impl Strategy<Value = U256> {
    prop_oneof![
        (1u64..1_000).prop_map(U256::from),
        (1u64..1_000_000).prop_map(|x| U256::from(x) * U256::from(10u64).pow(U256::from(12u8))),
        (1u64..10_000_000).prop_map(wad),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => amount().prop_map(Op::Deposit),
        1 => amount().prop_map(Op::Mint),
        2 => (0u16..=10_000).prop_map(Op::Withdraw),
        1 => (0u16..=10_000).prop_map(Op::Redeem),
        2 => (0u16..=10_000).prop_map(Op::Draw),
        1 => (0u16..=10_000).prop_map(Op::Repay),
        1 => (0u16..=10_000).prop_map(Op::WriteDown),
        1 => amount().prop_map(Op::Donate),
    ]
}

fn frac(x: U256, bps: u16) -> U256 {
    x * U256::from(bps) / U256::from(10_000u16)
}

/// A view's single amount, through the typed seam.
fn view(x: &Sys, v: PrimeVaultView) -> U256 {
    let to = x.a("grove_pv");
    let a = laniakea_chain::Chain::view(&x.e, to, &Query::PrimeVault(v)).unwrap();
    let j = serde_json::to_value(&a).unwrap();
    let s = j
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_str()
        .unwrap();
    Wad::parse(s).unwrap().raw()
}

fn direct(x: &mut Sys, from: &str, c: PrimeVaultCall) -> Result<Returns, laniakea_chain::Revert> {
    x.vault(from, "grove", c)
}

fn setup(offset: u8) -> Sys {
    let mut grove = PrimeConfig::new("grove");
    grove.decimals_offset = offset;
    let cfg = SystemConfig {
        primes: vec![grove],
        ..SystemConfig::default()
    };
    let mut x = Sys::new(&cfg);
    x.mint(wad(500_000_000)).unwrap();
    let (usds, pv) = (x.a("usds"), x.a("grove_pv"));
    x.tx(
        "gen_proxy",
        Call::Erc20(
            usds,
            Erc20Call::Approve {
                spender: pv,
                amount: Wad::from_raw(U256::MAX),
            },
        ),
    )
    .unwrap();
    x.tx(
        "grove_proxy",
        Call::Erc20(
            usds,
            Erc20Call::Approve {
                spender: pv,
                amount: Wad::from_raw(U256::MAX),
            },
        ),
    )
    .unwrap();
    x
}

fn compare(x: &Sys, m: &Model, probes: &[U256]) -> Result<(), TestCaseError> {
    let gen: Address = x.a("gen_proxy");
    prop_assert_eq!(view(x, PrimeVaultView::TotalAssets), m.total_assets());
    prop_assert_eq!(x.e.state().total_supply(x.a("grove_pv")).unwrap(), m.supply);
    prop_assert_eq!(x.idle("grove"), m.idle);
    prop_assert_eq!(
        view(x, PrimeVaultView::MaxWithdraw { owner: gen }),
        m.max_withdraw()
    );
    prop_assert_eq!(
        view(x, PrimeVaultView::MaxRedeem { owner: gen }),
        m.max_redeem()
    );
    for &p in probes {
        let w = Wad::from_raw(p);
        prop_assert_eq!(
            view(x, PrimeVaultView::ConvertToShares { assets: w }),
            m.to_shares(p, false).unwrap()
        );
        prop_assert_eq!(
            view(x, PrimeVaultView::ConvertToAssets { shares: w }),
            m.to_assets(p, false).unwrap()
        );
        prop_assert_eq!(
            view(x, PrimeVaultView::PreviewDeposit { assets: w }),
            m.to_shares(p, false).unwrap()
        );
        prop_assert_eq!(
            view(x, PrimeVaultView::PreviewMint { shares: w }),
            m.to_assets(p, true).unwrap()
        );
        prop_assert_eq!(
            view(x, PrimeVaultView::PreviewWithdraw { assets: w }),
            m.to_shares(p, true).unwrap()
        );
        prop_assert_eq!(
            view(x, PrimeVaultView::PreviewRedeem { shares: w }),
            m.to_assets(p, false).unwrap()
        );
    }
    Ok(())
}

fn run(offset: u8, ops: Vec<Op>, probes: Vec<U256>) -> Result<(), TestCaseError> {
    let mut x = setup(offset);
    let gen = x.a("gen_proxy");
    let mut m = Model {
        offset,
        supply: U256::ZERO,
        idle: U256::ZERO,
        drawn: U256::ZERO,
        written_down: U256::ZERO,
    };
    let mut probes = probes;
    probes.extend([U256::ZERO, U256::from(1u8), wad(1)]);
    for op in ops {
        match op {
            Op::Deposit(a) => {
                let s = m.to_shares(a, false).unwrap();
                let r = direct(
                    &mut x,
                    "gen_proxy",
                    PrimeVaultCall::Deposit {
                        assets: Wad::from_raw(a),
                        receiver: gen,
                    },
                )
                .unwrap();
                prop_assert_eq!(r.get("shares"), Some(&Value::Wad(Wad::from_raw(s))));
                m.supply += s;
                m.idle += a;
            }
            Op::Mint(s) => {
                let a = m.to_assets(s, true).unwrap();
                if a > x.bal("usds", "gen_proxy") {
                    let r = direct(
                        &mut x,
                        "gen_proxy",
                        PrimeVaultCall::Mint {
                            shares: Wad::from_raw(s),
                            receiver: gen,
                        },
                    );
                    prop_assert_eq!(code(r), "ERC20/insufficient-balance");
                    continue;
                }
                let r = direct(
                    &mut x,
                    "gen_proxy",
                    PrimeVaultCall::Mint {
                        shares: Wad::from_raw(s),
                        receiver: gen,
                    },
                )
                .unwrap();
                prop_assert_eq!(r.get("assets"), Some(&Value::Wad(Wad::from_raw(a))));
                m.supply += s;
                m.idle += a;
            }
            Op::Withdraw(bps) => {
                let max = m.max_withdraw();
                let over = direct(
                    &mut x,
                    "gen_proxy",
                    PrimeVaultCall::Withdraw {
                        assets: Wad::from_raw(max + U256::from(1u8)),
                        receiver: gen,
                        owner: gen,
                    },
                );
                prop_assert_eq!(code(over), "ERC4626/exceeded-max-withdraw");
                let a = frac(max, bps);
                let s = m.to_shares(a, true).unwrap();
                let r = direct(
                    &mut x,
                    "gen_proxy",
                    PrimeVaultCall::Withdraw {
                        assets: Wad::from_raw(a),
                        receiver: gen,
                        owner: gen,
                    },
                )
                .unwrap();
                prop_assert_eq!(r.get("shares"), Some(&Value::Wad(Wad::from_raw(s))));
                m.supply -= s;
                m.idle -= a;
            }
            Op::Redeem(bps) => {
                let max = m.max_redeem();
                let over = direct(
                    &mut x,
                    "gen_proxy",
                    PrimeVaultCall::Redeem {
                        shares: Wad::from_raw(max + U256::from(1u8)),
                        receiver: gen,
                        owner: gen,
                    },
                );
                prop_assert_eq!(code(over), "ERC4626/exceeded-max-redeem");
                let s = frac(max, bps);
                let a = m.to_assets(s, false).unwrap();
                prop_assert!(a <= m.idle, "a redeem within maxRedeem pays from idle");
                let r = direct(
                    &mut x,
                    "gen_proxy",
                    PrimeVaultCall::Redeem {
                        shares: Wad::from_raw(s),
                        receiver: gen,
                        owner: gen,
                    },
                )
                .unwrap();
                prop_assert_eq!(r.get("assets"), Some(&Value::Wad(Wad::from_raw(a))));
                m.supply -= s;
                m.idle -= a;
            }
            Op::Draw(bps) => {
                let d = frac(m.idle, bps);
                direct(
                    &mut x,
                    "grove_proxy",
                    PrimeVaultCall::Draw {
                        amount: Wad::from_raw(d),
                    },
                )
                .unwrap();
                m.idle -= d;
                m.drawn += d;
            }
            Op::Repay(bps) => {
                let r = frac(m.drawn - m.written_down, bps);
                direct(
                    &mut x,
                    "grove_proxy",
                    PrimeVaultCall::Repay {
                        amount: Wad::from_raw(r),
                    },
                )
                .unwrap();
                m.idle += r;
                m.drawn -= r;
            }
            Op::WriteDown(bps) => {
                let w = frac(m.drawn - m.written_down, bps);
                direct(
                    &mut x,
                    "admin",
                    PrimeVaultCall::WriteDown {
                        amount: Wad::from_raw(w),
                    },
                )
                .unwrap();
                m.written_down += w;
            }
            Op::Donate(a) => {
                let (usds, pv) = (x.a("usds"), x.a("grove_pv"));
                x.tx(
                    "gen_proxy",
                    Call::Erc20(
                        usds,
                        Erc20Call::Transfer {
                            to: pv,
                            amount: Wad::from_raw(a),
                        },
                    ),
                )
                .unwrap();
                m.idle += a;
            }
        }
        compare(&x, &m, &probes)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn conversions_previews_and_max_match_openzeppelin_offset_0(
        ops in proptest::collection::vec(op(), 1..25),
        probes in proptest::collection::vec(amount(), 0..4),
    ) {
        run(0, ops, probes)?;
    }

    #[test]
    fn conversions_previews_and_max_match_openzeppelin_offset_above_0(
        offset in 1u8..=18,
        ops in proptest::collection::vec(op(), 1..25),
        probes in proptest::collection::vec(amount(), 0..4),
    ) {
        run(offset, ops, probes)?;
    }

    /// The classic inflation attack: 1 wei first deposit, a large donation, then a deposit.
    #[test]
    fn donation_inflation_cases_match_openzeppelin(
        offset in prop_oneof![Just(0u8), 1u8..=18],
        donation in amount(),
        victim in amount(),
        ops in proptest::collection::vec(op(), 0..8),
    ) {
        let mut all = vec![Op::Deposit(U256::from(1u8)), Op::Donate(donation), Op::Deposit(victim)];
        all.extend(ops);
        run(offset, all, vec![victim, donation])?;
    }
}

#[test]
fn offset_protects_against_inflation_as_openzeppelin_documents() {
    // Offset 0: 1 wei deposit, donate 1,000 USDS, a 1,000 USDS deposit gets 0 shares at
    // (1e21·2)/(1e21+2) → 1 share; with offset 6 it gets ~1e6 times more.
    let shares = |offset: u8| {
        let mut x = setup(offset);
        let gen = x.a("gen_proxy");
        let (usds, pv) = (x.a("usds"), x.a("grove_pv"));
        direct(
            &mut x,
            "gen_proxy",
            PrimeVaultCall::Deposit {
                assets: Wad::from_raw(U256::from(1u8)),
                receiver: gen,
            },
        )
        .unwrap();
        x.tx(
            "gen_proxy",
            Call::Erc20(
                usds,
                Erc20Call::Transfer {
                    to: pv,
                    amount: Wad::from_raw(wad(1_000)),
                },
            ),
        )
        .unwrap();
        let r = direct(
            &mut x,
            "gen_proxy",
            PrimeVaultCall::Deposit {
                assets: Wad::from_raw(wad(1_000)),
                receiver: gen,
            },
        )
        .unwrap();
        match r.get("shares") {
            Some(Value::Wad(w)) => w.raw(),
            _ => panic!(),
        }
    };
    assert_eq!(shares(0), U256::from(1u8));
    assert!(shares(6) >= U256::from(1_000_000u64));
}
