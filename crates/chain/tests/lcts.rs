//! SPEC §4.9 rule by rule: LCTS queues, the Holding System, the exchange rate, and the bad
//! inputs each contract refuses (typed code, nothing changes).
#![allow(clippy::unwrap_used)]

mod common;
mod lcts_fixture;

use alloy_primitives::Address;
use laniakea_chain::call::*;
use laniakea_chain::families::holding_system::HoldingSystemCall;
use laniakea_chain::families::lcts_queue::{GenerationStatus, LctsQueueCall, QueueStatus};
use laniakea_chain::rate_limits::{address_pair_key, limit_id, names};
use laniakea_settlement::capacity::{compute, CapacityInputs, Fallback, NettingLimit};
use laniakea_settlement::EpochId;
use laniakea_units::{Apr, Ray, Wad, U256, WAD};
use lcts_fixture::*;

fn code(r: Result<Returns, laniakea_chain::Revert>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// Everything a user action could change in the LCTS part of the state.
fn snapshot(l: &L) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        l.queue(l.sq),
        l.queue(l.rq),
        l.positions(l.sq),
        l.positions(l.rq),
        l.holding(),
        (0..5).map(|u| l.bal(l.susds, user(u))).collect::<Vec<_>>(),
        (0..5).map(|u| l.bal(l.srusds, user(u))).collect::<Vec<_>>(),
        (
            l.bal(l.susds, l.sq),
            l.bal(l.srusds, l.sq),
            l.bal(l.susds, l.rq),
            l.bal(l.srusds, l.rq)
        ),
    )
}

fn subscribed(l: &mut L, who: Address, amount: &str) {
    l.fund(l.susds, who, w(amount));
    assert_eq!(code(l.enter(l.sq, who, w(amount))), "ok");
}

#[test]
fn first_entry_creates_a_generation_with_shares_equal_to_the_amount() {
    let mut l = L::new("0");
    assert_eq!(l.queue(l.sq).status, QueueStatus::Dormant);
    l.fund(l.susds, user(1), w("100"));
    let r = l.enter(l.sq, user(1), w("100")).unwrap();
    assert_eq!(ret(&r, "shares"), w("100"));
    let q = l.queue(l.sq);
    assert_eq!(
        (q.status, q.current_generation),
        (QueueStatus::Active, Some(1))
    );
    let g = q.generation.unwrap();
    assert_eq!(
        (g.total_shares_wad, g.total_underlying_wad),
        (w("100"), w("100"))
    );
    assert_eq!(l.bal(l.susds, l.sq), w("100"));
}

#[test]
fn later_entries_get_shares_pro_rata_to_the_remaining_underlying_floored() {
    let mut l = L::new("0");
    l.prefund(w("1000"));
    subscribed(&mut l, user(1), "300");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("100")).unwrap(); // 200 left for 300 shares
    l.fund(l.susds, user(2), w("1"));
    let r = l.enter(l.sq, user(2), w("1")).unwrap();
    assert_eq!(ret(&r, "shares"), w("1.5"));
    // an inexact ratio floors: 1 wei for 1.5 shares/wei → 1 wei of shares
    l.fund(l.susds, user(3), Wad::from_raw(U256::from(1u8)));
    let r = l
        .enter(l.sq, user(3), Wad::from_raw(U256::from(1u8)))
        .unwrap();
    assert_eq!(ret(&r, "shares"), Wad::from_raw(U256::from(1u8)));
}

#[test]
fn entering_while_locked_fails_and_changes_nothing() {
    let mut l = L::new("0");
    subscribed(&mut l, user(1), "100");
    l.fund(l.susds, user(2), w("50"));
    l.lock(l.sq).unwrap();
    let before = snapshot(&l);
    assert_eq!(
        code(l.enter(l.sq, user(2), w("50"))),
        "LCTS/generation-locked"
    );
    assert_eq!(
        code(l.enter(l.sq, user(1), w("1"))),
        "LCTS/generation-locked"
    );
    // nor claim, nor exit, in the LOCKED generation
    assert_eq!(
        code(l.q(l.sq, user(1), LctsQueueCall::Claim)),
        "LCTS/generation-locked"
    );
    assert_eq!(
        code(l.q(l.sq, user(1), LctsQueueCall::Exit)),
        "LCTS/generation-locked"
    );
    assert_eq!(snapshot(&l), before);
}

#[test]
fn zero_capacity_leaves_everything_but_the_status_unchanged() {
    let mut l = L::new("0");
    l.prefund(w("10"));
    subscribed(&mut l, user(1), "100");
    subscribed(&mut l, user(2), "50");
    l.lock(l.sq).unwrap();
    let before = snapshot(&l);
    let g_before = l.queue(l.sq).generation.unwrap();
    assert_eq!(g_before.status, GenerationStatus::Locked);
    let r = l.settle(l.sq, Wad::ZERO).unwrap();
    assert_eq!(
        (ret(&r, "converted"), ret(&r, "output")),
        (Wad::ZERO, Wad::ZERO)
    );
    let mut g_after = l.queue(l.sq).generation.unwrap();
    assert_eq!(g_after.status, GenerationStatus::Active);
    g_after.status = GenerationStatus::Locked;
    assert_eq!(g_after, g_before);
    // back to ACTIVE: only the status words differ in the whole snapshot
    assert_eq!(
        snapshot(&l)
            .replace("Active", "Locked")
            .replace("ACTIVE", "LOCKED"),
        before
            .replace("Active", "Locked")
            .replace("ACTIVE", "LOCKED")
    );
}

#[test]
fn a_generation_takes_three_settlements_to_drain_and_pays_rewards_pro_rata() {
    let mut l = L::new("0");
    l.prefund(w("1000"));
    subscribed(&mut l, user(1), "150");
    subscribed(&mut l, user(2), "100");
    for (i, converted, remaining) in [(1, "100", "150"), (2, "100", "50"), (3, "50", "0")] {
        l.lock(l.sq).unwrap();
        let r = l.settle(l.sq, w("100")).unwrap();
        assert_eq!(
            ret(&r, "converted"),
            w(converted),
            "settlement {i}: min(capacity, queue)"
        );
        assert_eq!(
            ret(&r, "output"),
            w(converted),
            "rate 1: one srUSDS per sUSDS"
        );
        let g = l.generation(l.sq, 1).unwrap();
        assert_eq!(g.total_underlying_wad, w(remaining), "settlement {i}");
        if i < 3 {
            assert_eq!(g.status, GenerationStatus::Active);
            assert_eq!(l.queue(l.sq).status, QueueStatus::Active);
        } else {
            assert_eq!(g.status, GenerationStatus::Finalized);
            assert_eq!(l.queue(l.sq).status, QueueStatus::Dormant);
        }
    }
    // 250 srUSDS minted; 3/5 to user 1, 2/5 to user 2
    assert_eq!(l.supply(l.srusds), w("250"));
    let p1 = l.position(l.sq, user(1)).unwrap();
    assert_eq!(p1.generation_status, GenerationStatus::Finalized);
    assert_eq!(p1.claimable_reward_wad, w("150"));
    assert_eq!(
        ret(&l.q(l.sq, user(1), LctsQueueCall::Claim).unwrap(), "reward"),
        w("150")
    );
    assert_eq!(l.bal(l.srusds, user(1)), w("150"));
    assert!(
        l.position(l.sq, user(1)).is_none(),
        "a finalized position is settled by its claim"
    );
    let r = l.q(l.sq, user(2), LctsQueueCall::Exit).unwrap();
    assert_eq!(
        (ret(&r, "underlying"), ret(&r, "reward")),
        (Wad::ZERO, w("100"))
    );
    // the Holding System now holds the 300 sUSDS (plus the 1000 prefunded)
    assert_eq!(l.bal(l.susds, l.hs), w("1250"));
}

#[test]
fn finalized_generations_can_be_claimed_during_the_next_lock_and_entering_settles_them_first() {
    let mut l = L::new("0");
    subscribed(&mut l, user(1), "100");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("100")).unwrap(); // generation 1 FINALIZED
    subscribed(&mut l, user(2), "40"); // generation 2
    assert_eq!(l.queue(l.sq).current_generation, Some(2));
    l.lock(l.sq).unwrap();
    // user 1's position is in FINALIZED generation 1: claimable during generation 2's lock
    let g1 = l.generation(l.sq, 1).unwrap();
    assert_eq!(
        ret(&l.q(l.sq, user(1), LctsQueueCall::Claim).unwrap(), "reward"),
        w("100")
    );
    assert_eq!(
        l.generation(l.sq, 1).unwrap(),
        g1,
        "finalized generation unchanged by the claim"
    );
    l.settle(l.sq, Wad::ZERO).unwrap();
    // entering with a FINALIZED position settles it first (user 3: settle, then enter gen 2)
    subscribed(&mut l, user(3), "10");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("50")).unwrap(); // gen 2 (50) FINALIZED
    l.fund(l.susds, user(3), w("5"));
    l.enter(l.sq, user(3), w("5")).unwrap();
    assert_eq!(
        l.bal(l.srusds, user(3)),
        w("10"),
        "gen 2 rewards paid on re-entry"
    );
    let p = l.position(l.sq, user(3)).unwrap();
    assert_eq!((p.generation, p.shares_wad), (3, w("5")));
}

#[test]
fn last_exit_makes_the_queue_dormant_and_returns_the_underlying() {
    let mut l = L::new("0");
    subscribed(&mut l, user(1), "100");
    subscribed(&mut l, user(2), "50");
    let r = l.q(l.sq, user(1), LctsQueueCall::Exit).unwrap();
    assert_eq!(ret(&r, "underlying"), w("100"));
    assert_eq!(l.queue(l.sq).status, QueueStatus::Active);
    l.q(l.sq, user(2), LctsQueueCall::Exit).unwrap();
    assert_eq!(l.queue(l.sq).status, QueueStatus::Dormant);
    assert_eq!(l.bal(l.susds, user(2)), w("50"));
    assert_eq!(l.bal(l.susds, l.sq), Wad::ZERO);
    // lock on a DORMANT queue is a no-op; settle outside the lock reverts
    assert_eq!(code(l.lock(l.sq)), "ok");
    assert_eq!(l.queue(l.sq).status, QueueStatus::Dormant);
    assert_eq!(code(l.settle(l.sq, w("1"))), "LCTS/not-locked");
}

#[test]
fn exit_after_a_partial_settlement_returns_the_share_of_underlying_and_rewards() {
    let mut l = L::new("0");
    l.prefund(w("1000"));
    subscribed(&mut l, user(1), "300");
    subscribed(&mut l, user(2), "100");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("200")).unwrap(); // half converted
    let r = l.q(l.sq, user(1), LctsQueueCall::Exit).unwrap();
    assert_eq!(
        (ret(&r, "underlying"), ret(&r, "reward")),
        (w("150"), w("150"))
    );
    let p2 = l.position(l.sq, user(2)).unwrap();
    assert_eq!(
        (p2.exit_underlying_wad, p2.claimable_reward_wad),
        (w("50"), w("50"))
    );
}

#[test]
fn claims_pay_only_new_rewards_and_never_another_users() {
    let mut l = L::new("0");
    l.prefund(w("1000"));
    subscribed(&mut l, user(1), "100");
    subscribed(&mut l, user(2), "100");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("50")).unwrap();
    assert_eq!(
        ret(&l.q(l.sq, user(1), LctsQueueCall::Claim).unwrap(), "reward"),
        w("25")
    );
    assert_eq!(
        ret(&l.q(l.sq, user(1), LctsQueueCall::Claim).unwrap(), "reward"),
        Wad::ZERO
    );
    assert_eq!(
        l.position(l.sq, user(2)).unwrap().claimable_reward_wad,
        w("25")
    );
    assert_eq!(
        code(l.q(l.sq, user(3), LctsQueueCall::Claim)),
        "LCTS/no-position"
    );
    assert_eq!(
        code(l.q(l.sq, user(3), LctsQueueCall::Exit)),
        "LCTS/no-position"
    );
}

#[test]
fn redeem_queue_pays_susds_at_the_current_exchange_rate() {
    let mut l = L::new("0.1");
    l.prefund(w("1000"));
    // user 1 buys 100 srUSDS at par
    subscribed(&mut l, user(1), "100");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("100")).unwrap();
    l.q(l.sq, user(1), LctsQueueCall::Claim).unwrap();
    assert_eq!(l.bal(l.srusds, user(1)), w("100"));
    // a year later the premium has raised the rate to 1.1 (backing 1100 covers it)
    l.approve(l.srusds, user(1), l.rq);
    l.enter(l.rq, user(1), w("100")).unwrap();
    l.warp(31_536_000);
    l.lock(l.rq).unwrap();
    let r = l.settle(l.rq, w("100")).unwrap();
    assert_eq!(l.xr(), w("1.1"));
    assert_eq!(
        (ret(&r, "converted"), ret(&r, "output")),
        (w("100"), w("110"))
    );
    l.q(l.rq, user(1), LctsQueueCall::Claim).unwrap();
    assert_eq!(l.bal(l.susds, user(1)), w("110"));
    assert_eq!(l.supply(l.srusds), Wad::ZERO, "redeemed srUSDS is burned");
    assert_eq!(l.bal(l.susds, l.hs), w("990"));
}

#[test]
fn exchange_rate_rises_only_as_far_as_the_holding_system_covers() {
    let mut l = L::new("0.5");
    subscribed(&mut l, user(1), "100"); // no prefunding: backing = exactly what was paid in
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("100")).unwrap();
    l.warp(31_536_000);
    let b = l.beacon;
    l.h(b, HoldingSystemCall::UpdateExchangeRate).unwrap();
    assert_eq!(
        l.xr(),
        one(),
        "a 50% premium is capped by 100 sUSDS backing 100 srUSDS"
    );
    // 0.1 sUSDS more: the day's premium (1 + 0.5/365) is capped at 100.1/100
    l.prefund(w("0.1"));
    l.warp(86_400);
    l.h(b, HoldingSystemCall::UpdateExchangeRate).unwrap();
    assert_eq!(l.xr(), w("1.001"));
    assert!(l.holding().backed);
    assert_eq!(l.holding().backing_ratio_wad, Some(one()));
    // with ample backing the full premium of the day applies: 1.001·(1 + 0.5·86400/31536000)
    l.prefund(w("100"));
    l.warp(86_400);
    l.h(b, HoldingSystemCall::UpdateExchangeRate).unwrap();
    let expected = w("1.001").raw()
        + w("1.001").raw() * U256::from(86_400u64) / U256::from(2u64 * 31_536_000u64);
    assert_eq!(l.xr().raw(), expected);
}

#[test]
fn haircut_lowers_the_rate_at_once_records_the_reason_and_the_loss() {
    let mut l = L::new("0");
    subscribed(&mut l, user(1), "100");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("100")).unwrap();
    let sink = Address::repeat_byte(0x55);
    let admin = l.admin;
    // a loss of 30 sUSDS with only a 20% haircut leaves the backing short: recorded, open
    let r = l
        .h(
            admin,
            HoldingSystemCall::Haircut {
                fraction: w("0.2"),
                reason: "loss on Prime X".into(),
                loss: w("30"),
                to: Some(sink),
            },
        )
        .unwrap();
    assert_eq!(ret(&r, "exchangeRate"), w("0.8"));
    let ev = l.fx.e.log().last().unwrap();
    let j = serde_json::to_value(ev).unwrap();
    assert_eq!(j["event"], "SrusdsHaircut");
    assert_eq!(j["reason"], "loss on Prime X");
    assert_eq!(j["loss_susds_wad"], "30");
    assert_eq!(j["backed"], false);
    assert!(l.holding().haircut_open && !l.holding().backed);
    assert_eq!(l.bal(l.susds, sink), w("30"));
    // a second haircut brings the rate within the backing and closes it
    l.h(
        admin,
        HoldingSystemCall::Haircut {
            fraction: w("0.125"),
            reason: "true-up".into(),
            loss: Wad::ZERO,
            to: None,
        },
    )
    .unwrap();
    assert_eq!(l.xr(), w("0.7"));
    assert!(l.holding().backed && !l.holding().haircut_open);
}

#[test]
fn premium_changes_only_with_the_rate_up_to_date() {
    let mut l = L::new("0.01");
    let (admin, b) = (l.admin, l.beacon);
    l.warp(10);
    let p = Apr::parse("0.02").unwrap();
    assert_eq!(
        code(l.h(admin, HoldingSystemCall::FilePremium { premium_apr: p })),
        "Holding/rate-not-updated"
    );
    l.h(b, HoldingSystemCall::UpdateExchangeRate).unwrap();
    assert_eq!(
        code(l.h(admin, HoldingSystemCall::FilePremium { premium_apr: p })),
        "ok"
    );
    let big = Apr::parse("1.01").unwrap();
    assert_eq!(
        code(l.h(admin, HoldingSystemCall::FilePremium { premium_apr: big })),
        "Holding/premium-above-100-percent"
    );
    assert_eq!(
        code(l.h(b, HoldingSystemCall::FilePremium { premium_apr: p })),
        "Auth/not-authorized"
    );
    assert_eq!(
        code(l.h(admin, HoldingSystemCall::UpdateExchangeRate)),
        "AccessControl/unauthorized-account"
    );
}

#[test]
fn usds_entering_the_subscribe_queue_is_converted_to_susds_at_the_vaults_current_rate() {
    let mut l = L::new("0");
    // sUSDS at chi = 1.25: accrue, then give alice USDS through the Generator's configured key
    let (admin, susds) = (l.admin, l.susds);
    l.tx(admin, Call::Savings(susds, SavingsCall::Drip))
        .unwrap();
    let ssr = Ray::from_raw(U256::from(1_000_000_007_075_835_619_725_814_915u128)); // ≈ +25%/yr
    l.tx(admin, Call::Savings(susds, SavingsCall::FileSsr { ssr }))
        .unwrap();
    l.warp(31_536_000);
    l.tx(admin, Call::Savings(susds, SavingsCall::Drip))
        .unwrap();
    let alice = l.fx.a("alice");
    let usds = l.fx.a("usds");
    let key = address_pair_key(limit_id(names::ASSET_TRANSFER), usds, alice);
    l.fx.set_limit(key, U256::from(1000u64) * WAD, U256::ZERO);
    l.fx.mint(U256::from(1000u64) * WAD).unwrap();
    l.fx.ctrl(
        "relayer",
        ControllerCall::TransferAsset {
            asset: usds,
            to: alice,
            amount: w("500.000000000000000001"),
        },
    )
    .unwrap();
    let chi = match l
        .fx
        .e
        .view(
            susds,
            &Query::Savings(laniakea_chain::families::savings::SavingsView::Chi),
        )
        .unwrap()
    {
        Answer::Savings(laniakea_chain::families::savings::SavingsAnswer::Chi { chi }) => chi,
        other => panic!("{other:?}"),
    };
    assert!(
        chi.raw() > U256::from(10u8).pow(U256::from(27u8)),
        "sUSDS has accrued"
    );
    l.tx(
        alice,
        Call::Erc20(
            usds,
            Erc20Call::Approve {
                spender: l.sq,
                amount: Wad::from_raw(U256::MAX),
            },
        ),
    )
    .unwrap();
    let r = l
        .q(l.sq, alice, LctsQueueCall::EnterUsds { amount: w("500") })
        .unwrap();
    let expected = laniakea_units::mul_div_floor(
        U256::from(500u64) * WAD,
        U256::from(10u8).pow(U256::from(27u8)),
        chi.raw(),
    )
    .unwrap();
    assert_eq!(ret(&r, "shares").raw(), expected);
    assert_eq!(l.bal(susds, l.sq).raw(), expected);
    // 1 wei of USDS is worth 0 sUSDS at chi > 1: a dust entry, refused
    let before = snapshot(&l);
    assert_eq!(
        code(l.q(
            l.sq,
            alice,
            LctsQueueCall::EnterUsds {
                amount: Wad::from_raw(U256::from(1u8))
            }
        )),
        "LCTS/dust-amount"
    );
    assert_eq!(snapshot(&l), before);
    assert_eq!(l.bal(usds, alice), Wad::from_raw(U256::from(1u8)));
    // USDS cannot enter the redeem queue
    assert_eq!(
        code(l.q(l.rq, alice, LctsQueueCall::EnterUsds { amount: w("1") })),
        "LCTS/usds-only-to-subscribe"
    );
}

#[test]
fn holding_system_is_funded_by_the_generators_configured_transfer() {
    let mut l = L::new("0");
    let (susds, hs) = (l.susds, l.hs);
    l.fx.mint(U256::from(1000u64) * WAD).unwrap();
    l.fx.deposit(U256::from(1000u64) * WAD, U256::ZERO).unwrap();
    let key = address_pair_key(limit_id(names::ASSET_TRANSFER), susds, hs);
    let to_holding = ControllerCall::TransferAsset {
        asset: susds,
        to: hs,
        amount: w("400"),
    };
    assert_eq!(
        common::code(l.fx.ctrl("relayer", to_holding.clone())),
        "RateLimits/zero-maxAmount"
    );
    l.fx.set_limit(key, U256::from(400u64) * WAD, U256::ZERO);
    l.fx.ctrl("relayer", to_holding).unwrap();
    assert_eq!(l.holding().holding_susds_wad, w("400"));
}

#[test]
fn value_netting_subscribe_100m_against_redeem_30m_at_rate_1_converts_30m_each_way() {
    let mut l = L::new("0");
    // 30M srUSDS outstanding (bought earlier at par), all of it queued for redemption
    subscribed(&mut l, user(9), "30000000");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("30000000")).unwrap();
    l.q(l.sq, user(9), LctsQueueCall::Claim).unwrap();
    l.approve(l.srusds, user(9), l.rq);
    l.enter(l.rq, user(9), w("30000000")).unwrap();
    subscribed(&mut l, user(1), "100000000");
    l.lock(l.sq).unwrap();
    l.lock(l.rq).unwrap();
    let (h0, supply0) = (l.holding().holding_susds_wad, l.supply(l.srusds));
    let inputs = CapacityInputs {
        epoch: EpochId::parse("2026-01-02").unwrap(),
        subscribe_queue_susds_wad: l.queue(l.sq).generation.unwrap().total_underlying_wad,
        redeem_queue_srusds_wad: l.queue(l.rq).generation.unwrap().total_underlying_wad,
        exchange_rate_wad: l.xr(),
        holding_susds_wad: h0,
        susds_chi_ray: Ray::from_raw(U256::from(10u8).pow(U256::from(27u8))),
        governance: None,
        previous_governance: None,
    };
    let rec = compute(&inputs).unwrap();
    assert_eq!(rec.fallback, Fallback::NettingOnly);
    assert_eq!(rec.netting.limit, NettingLimit::RedeemSide);
    let rs = l
        .settle(l.sq, rec.subscribe.settle_capacity_susds_wad)
        .unwrap();
    let rr = l
        .settle(l.rq, rec.redeem.settle_capacity_srusds_wad)
        .unwrap();
    assert_eq!(
        (ret(&rs, "converted"), ret(&rs, "output")),
        (w("30000000"), w("30000000"))
    );
    assert_eq!(
        (ret(&rr, "converted"), ret(&rr, "output")),
        (w("30000000"), w("30000000"))
    );
    assert_eq!(
        l.queue(l.sq).generation.unwrap().total_underlying_wad,
        w("70000000")
    );
    assert_eq!(l.queue(l.rq).status, QueueStatus::Dormant);
    assert_eq!(
        (l.holding().holding_susds_wad, l.supply(l.srusds)),
        (h0, supply0),
        "the Holding System's net position is untouched"
    );
}

#[test]
fn bad_inputs_revert_with_typed_codes_and_change_nothing() {
    let mut l = L::new("0");
    subscribed(&mut l, user(1), "100");
    l.fund(l.susds, user(2), w("10"));
    let admin = l.admin;
    let before = snapshot(&l);
    let cases: Vec<(Address, Call, &str)> = vec![
        (
            user(2),
            Call::LctsQueue(l.sq, LctsQueueCall::Enter { amount: Wad::ZERO }),
            "LCTS/zero-amount",
        ),
        (
            user(2),
            Call::LctsQueue(l.sq, LctsQueueCall::EnterUsds { amount: Wad::ZERO }),
            "LCTS/zero-amount",
        ),
        (
            user(3),
            Call::LctsQueue(l.sq, LctsQueueCall::Claim),
            "LCTS/no-position",
        ),
        (
            user(3),
            Call::LctsQueue(l.rq, LctsQueueCall::Exit),
            "LCTS/no-position",
        ),
        (
            l.beacon,
            Call::LctsQueue(l.sq, LctsQueueCall::Settle { capacity: w("1") }),
            "LCTS/not-locked",
        ),
        (
            user(1),
            Call::LctsQueue(l.sq, LctsQueueCall::Lock),
            "AccessControl/unauthorized-account",
        ),
        (
            admin,
            Call::LctsQueue(l.sq, LctsQueueCall::Settle { capacity: w("1") }),
            "AccessControl/unauthorized-account",
        ),
        (
            user(2),
            Call::LctsQueue(l.sq, LctsQueueCall::Enter { amount: w("11") }),
            "ERC20/insufficient-balance",
        ),
        (
            admin,
            Call::HoldingSystem(
                l.hs,
                HoldingSystemCall::Haircut {
                    fraction: w("1.000000000000000001"),
                    reason: "x".into(),
                    loss: Wad::ZERO,
                    to: None,
                },
            ),
            "Holding/haircut-above-100-percent",
        ),
        (
            admin,
            Call::HoldingSystem(
                l.hs,
                HoldingSystemCall::Haircut {
                    fraction: Wad::ZERO,
                    reason: "x".into(),
                    loss: Wad::ZERO,
                    to: None,
                },
            ),
            "Holding/zero-haircut",
        ),
        (
            admin,
            Call::HoldingSystem(
                l.hs,
                HoldingSystemCall::Haircut {
                    fraction: w("0.1"),
                    reason: " ".into(),
                    loss: Wad::ZERO,
                    to: None,
                },
            ),
            "Holding/reason-missing",
        ),
        (
            admin,
            Call::HoldingSystem(
                l.hs,
                HoldingSystemCall::Haircut {
                    fraction: w("0.1"),
                    reason: "x".into(),
                    loss: w("1"),
                    to: None,
                },
            ),
            "Holding/loss-without-recipient",
        ),
        (
            user(1),
            Call::HoldingSystem(
                l.hs,
                HoldingSystemCall::Haircut {
                    fraction: w("0.1"),
                    reason: "x".into(),
                    loss: Wad::ZERO,
                    to: None,
                },
            ),
            "Auth/not-authorized",
        ),
    ];
    for (from, call, expected) in cases {
        assert_eq!(code(l.tx(from, call.clone())), expected, "{call:?}");
        assert_eq!(snapshot(&l), before, "{call:?} changed the state");
    }
    // settle by a non-lpha-lcts sender inside the lock
    l.lock(l.sq).unwrap();
    let before = snapshot(&l);
    assert_eq!(
        code(l.tx(
            admin,
            Call::LctsQueue(l.sq, LctsQueueCall::Settle { capacity: w("1") })
        )),
        "AccessControl/unauthorized-account"
    );
    assert_eq!(code(l.lock(l.sq)), "LCTS/not-active");
    assert_eq!(snapshot(&l), before);
}

#[test]
fn settle_is_refused_when_the_holding_system_cannot_pay_and_changes_nothing() {
    let mut l = L::new("0");
    subscribed(&mut l, user(1), "100");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("100")).unwrap();
    l.q(l.sq, user(1), LctsQueueCall::Claim).unwrap();
    let admin = l.admin;
    let sink = Address::repeat_byte(0x56);
    l.h(
        admin,
        HoldingSystemCall::Haircut {
            fraction: w("0.01"),
            reason: "loss".into(),
            loss: w("50"),
            to: Some(sink),
        },
    )
    .unwrap();
    l.approve(l.srusds, user(1), l.rq);
    l.enter(l.rq, user(1), w("100")).unwrap();
    l.lock(l.rq).unwrap();
    let before = snapshot(&l);
    assert_eq!(code(l.settle(l.rq, w("100"))), "Holding/insufficient-susds");
    assert_eq!(snapshot(&l), before);
}

#[test]
fn an_open_haircut_closes_at_the_first_rate_update_that_finds_the_backing_whole() {
    let mut l = L::new("0.1");
    subscribed(&mut l, user(1), "100");
    l.lock(l.sq).unwrap();
    l.settle(l.sq, w("100")).unwrap();
    let (admin, b) = (l.admin, l.beacon);
    l.h(
        admin,
        HoldingSystemCall::Haircut {
            fraction: w("0.1"),
            reason: "loss".into(),
            loss: w("20"),
            to: Some(Address::repeat_byte(0x57)),
        },
    )
    .unwrap();
    assert!(l.holding().haircut_open, "0.9 × 100 srUSDS > 80 sUSDS");
    // while open, a settlement's update does not raise the rate and keeps it open
    l.warp(86_400);
    l.h(b, HoldingSystemCall::UpdateExchangeRate).unwrap();
    assert_eq!(l.xr(), w("0.9"));
    assert!(l.holding().haircut_open);
    // the Generator tops the Holding System up: the next update finds it whole and closes it
    l.prefund(w("20"));
    l.warp(86_400);
    l.h(b, HoldingSystemCall::UpdateExchangeRate).unwrap();
    let h = l.holding();
    assert!(h.backed && !h.haircut_open, "{h:?}");
    assert!(l.xr() > w("0.9"), "the premium raise resumes");
}
