//! Boundary pairs: for every limit and check, exactly at the limit passes and one wei over
//! fails with the right error (SPEC §4; spark's test style).

#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use laniakea_chain::call::*;
use laniakea_units::{Rad, Ray, Wad, RAY, U256, WAD};

const ONE: U256 = U256::from_limbs([1, 0, 0, 0]);

#[test]
fn mint_rate_limit_exact_passes_one_wei_over_reverts() {
    let mut f = Fx::new();
    let cur = f.current(f.mint_key());
    assert_eq!(cur, wad(1_000_000));
    assert_eq!(code(f.mint(cur + ONE)), "RateLimits/rate-limit-exceeded");
    assert_eq!(code(f.mint(cur)), "ok");
    assert_eq!(code(f.mint(ONE)), "RateLimits/rate-limit-exceeded");
}

#[test]
fn rate_limit_refills_by_slope_times_elapsed() {
    let mut f = Fx::new();
    f.mint(wad(1_000_000)).unwrap();
    f.warp(7); // slope 10 USDS/s → 70 USDS
    assert_eq!(f.current(f.mint_key()), wad(70));
    assert_eq!(
        code(f.mint(wad(70) + ONE)),
        "RateLimits/rate-limit-exceeded"
    );
    assert_eq!(code(f.mint(wad(70))), "ok");
}

#[test]
fn rate_limit_refill_caps_at_max() {
    let mut f = Fx::new();
    f.mint(wad(10)).unwrap();
    f.warp(1_000_000);
    assert_eq!(f.current(f.mint_key()), wad(1_000_000));
}

#[test]
fn burn_increases_mint_limit_up_to_max() {
    let mut f = Fx::new();
    f.mint(wad(600_000)).unwrap();
    assert_eq!(f.current(f.mint_key()), wad(400_000));
    f.ctrl(
        "relayer",
        ControllerCall::BurnUsds {
            amount: Wad::from_raw(wad(100_000)),
        },
    )
    .unwrap();
    assert_eq!(f.current(f.mint_key()), wad(500_000));
    f.ctrl(
        "relayer",
        ControllerCall::BurnUsds {
            amount: Wad::from_raw(wad(500_000)),
        },
    )
    .unwrap();
    assert_eq!(
        f.current(f.mint_key()),
        wad(1_000_000),
        "increase is capped at maxAmount"
    );
}

#[test]
fn unconfigured_key_is_a_closed_door() {
    let mut f = Fx::new();
    f.mint(wad(10)).unwrap();
    let r = f.ctrl(
        "relayer",
        ControllerCall::TransferAsset {
            asset: f.a("usds"),
            to: f.a("alice"),
            amount: Wad::from_raw(ONE),
        },
    );
    assert_eq!(code(r), "RateLimits/zero-maxAmount");
}

#[test]
fn transfer_limit_exact_passes_one_wei_over_reverts() {
    let mut f = Fx::new();
    f.mint(wad(5000)).unwrap();
    let (usds, surplus) = (f.a("usds"), f.a("surplus"));
    let t = |a| ControllerCall::TransferAsset {
        asset: usds,
        to: surplus,
        amount: Wad::from_raw(a),
    };
    assert_eq!(
        code(f.ctrl("relayer", t(wad(1000) + ONE))),
        "RateLimits/rate-limit-exceeded"
    );
    assert_eq!(code(f.ctrl("relayer", t(wad(1000)))), "ok");
    assert_eq!(f.bal("usds", "surplus"), wad(1000));
}

#[test]
fn unlimited_key_never_writes() {
    let mut f = Fx::new();
    f.mint(wad(1000)).unwrap();
    f.deposit(wad(1000), U256::ZERO).unwrap();
    let before = f.e.state().rate_limit_data(f.a("gen_rl"), f.withdraw_key());
    f.withdraw(wad(500), U256::MAX).unwrap();
    let after = f.e.state().rate_limit_data(f.a("gen_rl"), f.withdraw_key());
    assert_eq!(before, after);
    assert_eq!(after.max_amount.raw(), U256::MAX);
    assert_eq!(f.current(f.withdraw_key()), U256::MAX);
}

#[test]
fn rate_limit_setter_checks_last_amount_and_last_updated() {
    let mut f = Fx::new();
    let now = f.now();
    let k = Key(f.mint_key());
    let set = |last: U256, upd| RateLimitsCall::Set {
        key: k,
        max_amount: Wad::from_raw(wad(10)),
        slope: Wad::from_raw(U256::ZERO),
        last_amount: Wad::from_raw(last),
        last_updated: upd,
    };
    assert_eq!(
        code(f.rl("admin", set(wad(10) + ONE, now))),
        "RateLimits/invalid-lastAmount"
    );
    assert_eq!(
        code(f.rl("admin", set(wad(10), laniakea_units::Timestamp(now.0 + 1)))),
        "RateLimits/invalid-lastUpdated"
    );
    assert_eq!(code(f.rl("admin", set(wad(10), now))), "ok");
    assert_eq!(
        code(f.rl("relayer", set(wad(10), now))),
        "AccessControl/unauthorized-account"
    );
}

#[test]
fn ilk_ceiling_exact_passes_one_wei_over_reverts() {
    let mut f = Fx::new();
    let (vat, vault) = (f.a("vat"), f.a("gen_vault"));
    // line = 100 USDS of debt (rad). The admin is a ward of the vault and draws directly.
    f.tx(
        "admin",
        Call::Vat(
            vat,
            VatCall::FileIlkLine {
                ilk: Ilk(laniakea_chain::mcd::ilk_id("GEN-USDS-A").unwrap()),
                data: Rad::from_raw(U256::from(100u8) * laniakea_units::RAD),
            },
        ),
    )
    .unwrap();
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Draw {
                    wad: Wad::from_raw(wad(100) + ONE)
                }
            )
        )),
        "Vat/ceiling-exceeded"
    );
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Draw {
                    wad: Wad::from_raw(wad(100))
                }
            )
        )),
        "ok"
    );
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Draw {
                    wad: Wad::from_raw(ONE)
                }
            )
        )),
        "Vat/ceiling-exceeded"
    );
}

#[test]
fn global_ceiling_is_checked_too() {
    let mut f = Fx::new();
    let (vat, vault) = (f.a("vat"), f.a("gen_vault"));
    f.tx(
        "admin",
        Call::Vat(
            vat,
            VatCall::FileLine {
                data: Rad::from_raw(U256::from(50u8) * laniakea_units::RAD),
            },
        ),
    )
    .unwrap();
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Draw {
                    wad: Wad::from_raw(wad(50) + ONE)
                }
            )
        )),
        "Vat/ceiling-exceeded"
    );
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Draw {
                    wad: Wad::from_raw(wad(50))
                }
            )
        )),
        "ok"
    );
}

#[test]
fn dust_applies_on_draw_and_on_repayment() {
    let mut f = Fx::new();
    let (vat, vault, usds) = (f.a("vat"), f.a("gen_vault"), f.a("usds"));
    let ilk = Ilk(laniakea_chain::mcd::ilk_id("GEN-USDS-A").unwrap());
    f.tx(
        "admin",
        Call::Vat(
            vat,
            VatCall::FileDust {
                ilk,
                data: Rad::from_raw(U256::from(10u8) * laniakea_units::RAD),
            },
        ),
    )
    .unwrap();
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Draw {
                    wad: Wad::from_raw(wad(10) - ONE)
                }
            )
        )),
        "Vat/dust"
    );
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Draw {
                    wad: Wad::from_raw(wad(10))
                }
            )
        )),
        "ok"
    );
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Draw {
                    wad: Wad::from_raw(wad(5))
                }
            )
        )),
        "ok"
    );
    // 15 drawn: wiping 5 + 1 wei leaves 10 − 1 wei < dust.
    let _ = usds;
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Wipe {
                    wad: Wad::from_raw(wad(5) + ONE)
                }
            )
        )),
        "Vat/dust"
    );
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Wipe {
                    wad: Wad::from_raw(wad(5))
                }
            )
        )),
        "ok"
    );
    assert_eq!(
        code(f.tx(
            "admin",
            Call::IlkVault(
                vault,
                IlkVaultCall::Wipe {
                    wad: Wad::from_raw(wad(10))
                }
            )
        )),
        "ok",
        "repaying to zero is always allowed"
    );
}

#[test]
fn erc4626_direct_depositor_max_withdraw_boundary() {
    let mut f = Fx::new();
    let susds = f.a("susds");
    let alice = f.a("alice");
    // Alice gets USDS from the PAU and deposits directly.
    f.mint(wad(1000)).unwrap();
    let usds = f.a("usds");
    f.set_limit(f.transfer_key("alice"), wad(1000), U256::ZERO);
    f.ctrl(
        "relayer",
        ControllerCall::TransferAsset {
            asset: usds,
            to: alice,
            amount: Wad::from_raw(wad(1000)),
        },
    )
    .unwrap();
    f.tx(
        "alice",
        Call::Erc20(
            usds,
            Erc20Call::Approve {
                spender: susds,
                amount: Wad::from_raw(U256::MAX),
            },
        ),
    )
    .unwrap();
    f.tx(
        "alice",
        Call::Savings(
            susds,
            SavingsCall::Deposit {
                assets: Wad::from_raw(wad(1000)),
                receiver: alice,
            },
        ),
    )
    .unwrap();
    f.warp(86_400 * 30);
    let maxw = f.e.state().vault_max_withdraw(susds, alice).unwrap();
    let w = |a| {
        Call::Savings(
            susds,
            SavingsCall::Withdraw {
                assets: Wad::from_raw(a),
                receiver: alice,
                owner: alice,
            },
        )
    };
    assert_eq!(
        code(f.tx("alice", w(maxw + ONE))),
        "ERC4626/exceeded-max-withdraw"
    );
    assert_eq!(code(f.tx("alice", w(maxw))), "ok");
    assert!(
        f.bal("usds", "alice") > wad(1000),
        "30 days of SSR accrued to the depositor"
    );
}

#[test]
fn erc4626_withdraw_exactly_max_passes_and_redeem_boundary() {
    let mut f = Fx::new();
    f.mint(wad(1000)).unwrap();
    f.deposit(wad(1000), U256::ZERO).unwrap();
    f.warp(86_400 * 30);
    let susds = f.a("susds");
    let proxy = f.a("gen_proxy");
    let maxw = f.e.state().vault_max_withdraw(susds, proxy).unwrap();
    assert!(maxw > wad(1000), "sUSDS accrued");
    assert_eq!(
        code(f.withdraw(maxw + ONE, U256::MAX)),
        "ERC4626/exceeded-max-withdraw"
    );
    assert_eq!(code(f.withdraw(maxw, U256::MAX)), "ok");
    // Redeem: exactly the balance passes, one more share fails.
    let mut g = Fx::new();
    g.mint(wad(1000)).unwrap();
    g.deposit(wad(1000), U256::ZERO).unwrap();
    let shares = g.bal("susds", "gen_proxy");
    assert_eq!(
        code(g.redeem(shares + ONE, U256::ZERO)),
        "ERC4626/exceeded-max-redeem"
    );
    assert_eq!(code(g.redeem(shares, U256::ZERO)), "ok");
}

#[test]
fn slippage_guards_exact_pass_one_wei_past_reverts() {
    let mut f = Fx::new();
    f.mint(wad(10_000)).unwrap();
    f.warp(86_400);
    let susds = f.a("susds");
    let shares = f.e.state().vault_preview_deposit(susds, wad(1000)).unwrap();
    assert!(shares < wad(1000));
    assert_eq!(
        code(f.deposit(wad(1000), shares + ONE)),
        "Controller/min-shares-out-not-met"
    );
    assert_eq!(code(f.deposit(wad(1000), shares)), "ok");

    let burn = f.e.state().vault_preview_withdraw(susds, wad(500)).unwrap();
    assert_eq!(
        code(f.withdraw(wad(500), burn - ONE)),
        "Controller/shares-burned-too-high"
    );
    assert_eq!(code(f.withdraw(wad(500), burn)), "ok");

    let out = f.e.state().vault_preview_redeem(susds, wad(100)).unwrap();
    assert_eq!(
        code(f.redeem(wad(100), out + ONE)),
        "Controller/min-assets-out-not-met"
    );
    assert_eq!(code(f.redeem(wad(100), out)), "ok");
}

#[test]
fn exchange_rate_guard_at_and_just_below_the_rate() {
    let mut f = Fx::new();
    f.mint(wad(10_000)).unwrap();
    let susds = f.a("susds");
    // chi = RAY at setup time: 1 share = 1 asset, rate = 1e36 exactly.
    let set = |assets| ControllerCall::SetMaxExchangeRate {
        vault: susds,
        shares: Wad::from_raw(WAD),
        max_expected_assets: Wad::from_raw(assets),
    };
    f.ctrl("admin", set(WAD - ONE)).unwrap();
    assert_eq!(
        code(f.deposit(wad(1), U256::ZERO)),
        "Controller/exchange-rate-too-high"
    );
    f.ctrl("admin", set(WAD)).unwrap();
    assert_eq!(code(f.deposit(wad(1), U256::ZERO)), "ok");
    // A vault with no max rate is closed.
    f.ctrl("admin", set(U256::ZERO)).unwrap();
    assert_eq!(
        code(f.deposit(wad(1), U256::ZERO)),
        "Controller/exchange-rate-too-high"
    );
}

#[test]
fn deposit_limit_exact_passes_and_withdraw_restores_it() {
    let mut f = Fx::new();
    f.mint(wad(1_000_000)).unwrap();
    assert_eq!(
        code(f.deposit(wad(500_000) + ONE, U256::ZERO)),
        "RateLimits/rate-limit-exceeded"
    );
    assert_eq!(code(f.deposit(wad(500_000), U256::ZERO)), "ok");
    assert_eq!(f.current(f.deposit_key()), U256::ZERO);
    f.withdraw(wad(200_000), U256::MAX).unwrap();
    assert_eq!(
        f.current(f.deposit_key()),
        wad(200_000),
        "withdraw increases the deposit key by the assets"
    );
    let got = ret_wad(&f.redeem(wad(100_000), U256::ZERO).unwrap(), "assets");
    assert_eq!(
        f.current(f.deposit_key()),
        wad(200_000) + got,
        "redeem increases it by assets received"
    );
}

#[test]
fn roles_are_checked_before_rate_limits_and_freezer_removes_relayer() {
    let mut f = Fx::new();
    assert_eq!(
        code(f.ctrl(
            "alice",
            ControllerCall::MintUsds {
                amount: Wad::from_raw(wad(1))
            }
        )),
        "AccessControl/unauthorized-account"
    );
    // Freezer cannot grant roles.
    let relayer = f.a("relayer");
    let alice = f.a("alice");
    assert_eq!(
        code(f.ctrl(
            "freezer",
            ControllerCall::Access(AccessCall::GrantRole {
                role: Role(laniakea_chain::roles::relayer_role()),
                account: alice
            })
        )),
        "AccessControl/unauthorized-account"
    );
    assert_eq!(
        code(f.ctrl("alice", ControllerCall::RemoveRelayer { relayer })),
        "AccessControl/unauthorized-account"
    );
    assert_eq!(
        code(f.ctrl("freezer", ControllerCall::RemoveRelayer { relayer })),
        "ok"
    );
    // Even a request far over the limit fails on the role first.
    assert_eq!(
        code(f.mint(U256::MAX)),
        "AccessControl/unauthorized-account"
    );
}

#[test]
fn ssr_change_needs_fresh_chi() {
    let mut f = Fx::new();
    let susds = f.a("susds");
    f.warp(1);
    let ssr = Ray::from_raw(RAY + U256::from(1u8));
    assert_eq!(
        code(f.tx("admin", Call::Savings(susds, SavingsCall::FileSsr { ssr }))),
        "SUsds/chi-not-up-to-date"
    );
    f.tx("admin", Call::Savings(susds, SavingsCall::Drip))
        .unwrap();
    assert_eq!(
        code(f.tx("admin", Call::Savings(susds, SavingsCall::FileSsr { ssr }))),
        "ok"
    );
    assert_eq!(
        code(f.tx(
            "admin",
            Call::Savings(
                susds,
                SavingsCall::FileSsr {
                    ssr: Ray::from_raw(RAY - U256::from(1u8))
                }
            )
        )),
        "SUsds/wrong-ssr-value"
    );
}

#[test]
fn jug_duty_change_needs_drip_and_drip_compounds_with_rpow() {
    let mut f = Fx::new();
    let jug = f.a("jug");
    let ilk = Ilk(laniakea_chain::mcd::ilk_id("GEN-USDS-A").unwrap());
    let duty = Ray::from_raw(RAY + U256::from(1_000_000_000_000_000_000u64)); // 1e-9 per second
    f.warp(10);
    assert_eq!(
        code(f.tx(
            "admin",
            Call::Jug(jug, JugCall::FileDuty { ilk, data: duty })
        )),
        "Jug/rho-not-updated"
    );
    f.tx("admin", Call::Jug(jug, JugCall::Drip { ilk }))
        .unwrap();
    assert_eq!(
        code(f.tx(
            "admin",
            Call::Jug(jug, JugCall::FileDuty { ilk, data: duty })
        )),
        "ok"
    );
    f.tx(
        "admin",
        Call::IlkVault(
            f.a("gen_vault"),
            IlkVaultCall::Draw {
                wad: Wad::from_raw(wad(1000)),
            },
        ),
    )
    .unwrap();
    f.warp(3600);
    let r = f
        .tx("admin", Call::Jug(jug, JugCall::Drip { ilk }))
        .unwrap();
    let expected = laniakea_units::rpow(duty.raw(), 3600, RAY).unwrap();
    assert_eq!(r.get("rate"), Some(&Value::Ray(Ray::from_raw(expected))));
    // The fee went to the vow as internal dai: Art·(rate − RAY).
    let art = f.e.state().urn(ilk.0, f.a("gen_vault")).art.raw();
    assert_eq!(f.e.state().dai(f.a("vow")).raw(), art * (expected - RAY));
}

#[test]
fn revert_rolls_back_every_effect() {
    // A deposit that moves tokens, decreases a rate limit and mints shares, then fails its
    // slippage check, must leave no trace: same digest as a run where the relayer's tx failed
    // before touching anything.
    let mut a = Fx::new();
    let mut b = Fx::new();
    a.mint(wad(1000)).unwrap();
    b.mint(wad(1000)).unwrap();
    let log_len = a.e.log().len();
    assert_eq!(
        code(a.deposit(wad(100), U256::MAX)),
        "Controller/min-shares-out-not-met"
    );
    assert_eq!(
        code(b.deposit(wad(600_000), U256::ZERO)),
        "RateLimits/rate-limit-exceeded"
    );
    assert_eq!(a.e.log().len(), log_len, "no events from a reverted tx");
    assert_eq!(a.e.digest(), b.e.digest());
    assert_eq!(a.bal("usds", "gen_proxy"), wad(1000));
}

#[test]
fn time_never_goes_backwards() {
    let mut f = Fx::new();
    let now = f.now();
    let before = f.e.digest();
    let tx = Tx {
        from: f.a("relayer"),
        at: laniakea_units::Timestamp(now.0 - 1),
        call: Call::Controller(
            f.a("gen_ctrl"),
            ControllerCall::MintUsds {
                amount: Wad::from_raw(ONE),
            },
        ),
    };
    assert!(matches!(
        f.e.execute(tx),
        Err(laniakea_chain::EngineError::TimeWentBackwards { .. })
    ));
    assert_eq!(f.e.digest(), before);
}

#[test]
fn erc20_allowance_and_balance_checks() {
    let mut f = Fx::new();
    f.mint(wad(10)).unwrap();
    let (usds, alice, proxy) = (f.a("usds"), f.a("alice"), f.a("gen_proxy"));
    f.set_limit(f.transfer_key("alice"), wad(10), U256::ZERO);
    f.ctrl(
        "relayer",
        ControllerCall::TransferAsset {
            asset: usds,
            to: alice,
            amount: Wad::from_raw(wad(10)),
        },
    )
    .unwrap();
    let t = |a| {
        Call::Erc20(
            usds,
            Erc20Call::Transfer {
                to: proxy,
                amount: Wad::from_raw(a),
            },
        )
    };
    assert_eq!(
        code(f.tx("alice", t(wad(10) + ONE))),
        "ERC20/insufficient-balance"
    );
    f.tx(
        "alice",
        Call::Erc20(
            usds,
            Erc20Call::Approve {
                spender: f.a("surplus"),
                amount: Wad::from_raw(wad(3)),
            },
        ),
    )
    .unwrap();
    let tf = |a| {
        Call::Erc20(
            usds,
            Erc20Call::TransferFrom {
                from: alice,
                to: proxy,
                amount: Wad::from_raw(a),
            },
        )
    };
    assert_eq!(
        code(f.tx("surplus", tf(wad(3) + ONE))),
        "ERC20/insufficient-allowance"
    );
    assert_eq!(code(f.tx("surplus", tf(wad(3)))), "ok");
    assert_eq!(
        code(f.tx(
            "alice",
            Call::Erc20(
                usds,
                Erc20Call::Mint {
                    to: alice,
                    amount: Wad::from_raw(ONE)
                }
            )
        )),
        "Auth/not-authorized"
    );
    assert_eq!(code(f.tx("alice", t(wad(7)))), "ok");
}

#[test]
fn draw_rounds_up_and_wipe_rounds_down_when_rate_above_ray() {
    let mut f = Fx::new();
    let (jug, vault) = (f.a("jug"), f.a("gen_vault"));
    let ilk = Ilk(laniakea_chain::mcd::ilk_id("GEN-USDS-A").unwrap());
    f.tx("admin", Call::Jug(jug, JugCall::Drip { ilk }))
        .unwrap();
    f.tx(
        "admin",
        Call::Jug(
            jug,
            JugCall::FileDuty {
                ilk,
                data: Ray::from_raw(RAY + U256::from(3_170_979_198u64)),
            },
        ),
    )
    .unwrap();
    f.warp(12_345);
    f.tx(
        "admin",
        Call::IlkVault(
            vault,
            IlkVaultCall::Draw {
                wad: Wad::from_raw(wad(1) + U256::from(7u8)),
            },
        ),
    )
    .unwrap();
    let rate =
        f.e.state()
            .get::<laniakea_chain::contracts::Vat>(f.a("vat"))
            .unwrap()
            .ilks[&ilk.0]
            .rate
            .raw();
    assert!(rate > RAY);
    let art = f.e.state().urn(ilk.0, vault).art.raw();
    let owed = art * rate;
    assert!(
        owed >= (wad(1) + U256::from(7u8)) * RAY,
        "debt covers what was minted"
    );
    assert!(
        owed < (wad(1) + U256::from(7u8)) * RAY + rate,
        "by less than one unit of art"
    );
    // Wipe the same amount: removes floor(wad·RAY/rate) ≤ the art added; debt never negative.
    f.tx(
        "admin",
        Call::IlkVault(
            vault,
            IlkVaultCall::Wipe {
                wad: Wad::from_raw(wad(1) + U256::from(7u8)),
            },
        ),
    )
    .unwrap();
    let left = f.e.state().urn(ilk.0, vault).art.raw();
    assert!(
        left <= U256::from(1u8),
        "at most one wei of art left from rounding: {left}"
    );
}
