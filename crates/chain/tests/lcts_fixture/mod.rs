//! Shared LCTS fixture: the PAU deployment of `examples/pau-basic.jsonl` plus srUSDS, a Holding
//! System, a SubscribeQueue and a RedeemQueue, and the lpha-lcts beacon holding LPHA_LCTS.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use crate::common::Fx;
use alloy_primitives::Address;
use laniakea_chain::call::*;
use laniakea_chain::families::holding_system::{
    lpha_lcts_role, HoldingInfo, HoldingSystemAnswer, HoldingSystemCall, HoldingSystemDeploy,
    HoldingSystemView, Side,
};
use laniakea_chain::families::lcts_queue::{
    Generation, LctsQueueAnswer, LctsQueueCall, LctsQueueDeploy, LctsQueueView, PositionInfo,
    QueueInfo,
};
use laniakea_chain::{Revert, Value};
use laniakea_units::{Apr, Timestamp, Wad, U256, WAD};

pub struct L {
    pub fx: Fx,
    pub admin: Address,
    pub beacon: Address,
    pub susds: Address,
    pub srusds: Address,
    pub hs: Address,
    pub sq: Address,
    pub rq: Address,
}

pub fn w(s: &str) -> Wad {
    Wad::parse(s).unwrap()
}

pub fn user(i: u64) -> Address {
    Address::left_padding_from(&(0x5000_0000u64 + i).to_be_bytes())
}

fn addr(r: Returns) -> Address {
    match r.get("address") {
        Some(Value::Address(a)) => *a,
        other => panic!("no address: {other:?}"),
    }
}

impl L {
    /// Premium `premium` (APR decimal string).
    pub fn new(premium: &str) -> L {
        let mut fx = Fx::new();
        let admin = fx.a("admin");
        let beacon = Address::repeat_byte(0xbe);
        let susds = fx.a("susds");
        let srusds = addr(
            fx.tx(
                "admin",
                Call::Deploy(Deploy::Erc20(Erc20Deploy {
                    symbol: "srUSDS".into(),
                })),
            )
            .unwrap(),
        );
        let hs = addr(
            fx.tx(
                "admin",
                Call::Deploy(Deploy::HoldingSystem(HoldingSystemDeploy {
                    susds,
                    srusds,
                    premium_apr: Apr::parse(premium).unwrap(),
                })),
            )
            .unwrap(),
        );
        fx.tx("admin", Call::Erc20(srusds, Erc20Call::Rely { usr: hs }))
            .unwrap();
        let mut q = |side| {
            addr(
                fx.tx(
                    "admin",
                    Call::Deploy(Deploy::LctsQueue(LctsQueueDeploy { side, holding: hs })),
                )
                .unwrap(),
            )
        };
        let sq = q(Side::Subscribe);
        let rq = q(Side::Redeem);
        let mut l = L {
            fx,
            admin,
            beacon,
            susds,
            srusds,
            hs,
            sq,
            rq,
        };
        for c in [sq, rq] {
            l.grant(c, beacon);
        }
        l.tx(
            admin,
            Call::HoldingSystem(
                hs,
                HoldingSystemCall::Access(AccessCall::GrantRole {
                    role: Role(lpha_lcts_role()),
                    account: beacon,
                }),
            ),
        )
        .unwrap();
        l
    }

    fn grant(&mut self, queue: Address, who: Address) {
        self.tx(
            self.admin,
            Call::LctsQueue(
                queue,
                LctsQueueCall::Access(AccessCall::GrantRole {
                    role: Role(lpha_lcts_role()),
                    account: who,
                }),
            ),
        )
        .unwrap();
    }

    /// One transaction by `from` at the current time; the SPEC §8 invariants must hold after it.
    pub fn tx(&mut self, from: Address, call: Call) -> Result<Returns, Revert> {
        let r = self
            .fx
            .e
            .execute(Tx {
                from,
                at: self.fx.e.now(),
                call,
            })
            .unwrap();
        let problems = self.fx.e.invariant_violations();
        assert!(problems.is_empty(), "invariants violated: {problems:?}");
        r.outcome
    }

    pub fn warp(&mut self, secs: u64) {
        let t = Timestamp(self.fx.e.now().0 + secs);
        self.fx.e.warp(t).unwrap();
    }

    pub fn q(
        &mut self,
        queue: Address,
        from: Address,
        c: LctsQueueCall,
    ) -> Result<Returns, Revert> {
        self.tx(from, Call::LctsQueue(queue, c))
    }

    pub fn h(&mut self, from: Address, c: HoldingSystemCall) -> Result<Returns, Revert> {
        let hs = self.hs;
        self.tx(from, Call::HoldingSystem(hs, c))
    }

    /// Gives `who` `amount` of `token` (admin-minted: sUSDS shares or any test token) and lets
    /// both queues pull it.
    pub fn fund(&mut self, token: Address, who: Address, amount: Wad) {
        self.tx(
            self.admin,
            Call::Erc20(token, Erc20Call::Mint { to: who, amount }),
        )
        .unwrap_or_else(|_| {
            // sUSDS takes ERC-20 calls through its own family
            self.tx(
                self.admin,
                Call::Savings(
                    token,
                    SavingsCall::Token(Erc20Call::Mint { to: who, amount }),
                ),
            )
            .unwrap()
        });
        for q in [self.sq, self.rq] {
            self.approve(token, who, q);
        }
    }

    pub fn approve(&mut self, token: Address, who: Address, spender: Address) {
        let amount = Wad::from_raw(U256::MAX);
        let call = if token == self.susds {
            Call::Savings(
                token,
                SavingsCall::Token(Erc20Call::Approve { spender, amount }),
            )
        } else {
            Call::Erc20(token, Erc20Call::Approve { spender, amount })
        };
        self.tx(who, call).unwrap();
    }

    /// Funds the Holding System with admin-minted sUSDS (a pre-funding account's transfer).
    pub fn prefund(&mut self, amount: Wad) {
        let pre = Address::repeat_byte(0x9f);
        self.fund(self.susds, pre, amount);
        let hs = self.hs;
        self.tx(
            pre,
            Call::Savings(
                self.susds,
                SavingsCall::Token(Erc20Call::Transfer { to: hs, amount }),
            ),
        )
        .unwrap();
    }

    pub fn enter(&mut self, queue: Address, who: Address, amount: Wad) -> Result<Returns, Revert> {
        self.q(queue, who, LctsQueueCall::Enter { amount })
    }

    pub fn lock(&mut self, queue: Address) -> Result<Returns, Revert> {
        let b = self.beacon;
        self.q(queue, b, LctsQueueCall::Lock)
    }

    pub fn settle(&mut self, queue: Address, capacity: Wad) -> Result<Returns, Revert> {
        let b = self.beacon;
        self.q(queue, b, LctsQueueCall::Settle { capacity })
    }

    pub fn bal(&self, token: Address, who: Address) -> Wad {
        Wad::from_raw(self.fx.e.state().balance_of(token, who))
    }

    pub fn supply(&self, token: Address) -> Wad {
        Wad::from_raw(self.fx.e.state().total_supply(token).unwrap())
    }

    pub fn queue(&self, queue: Address) -> QueueInfo {
        match self
            .fx
            .e
            .view(queue, &Query::LctsQueue(LctsQueueView::Queue))
            .unwrap()
        {
            Answer::LctsQueue(LctsQueueAnswer::Queue(q)) => *q,
            other => panic!("{other:?}"),
        }
    }

    pub fn generation(&self, queue: Address, id: u64) -> Option<Generation> {
        match self
            .fx
            .e
            .view(queue, &Query::LctsQueue(LctsQueueView::Generation { id }))
        {
            Ok(Answer::LctsQueue(LctsQueueAnswer::Generation(g))) => Some(g),
            Err(e) => {
                assert_eq!(e.code(), "LCTS/no-generation");
                None
            }
            other => panic!("{other:?}"),
        }
    }

    pub fn position(&self, queue: Address, u: Address) -> Option<PositionInfo> {
        match self.fx.e.view(
            queue,
            &Query::LctsQueue(LctsQueueView::Position { user: u }),
        ) {
            Ok(Answer::LctsQueue(LctsQueueAnswer::Position(p))) => Some(p),
            Err(e) => {
                assert_eq!(e.code(), "LCTS/no-position");
                None
            }
            other => panic!("{other:?}"),
        }
    }

    pub fn positions(&self, queue: Address) -> Vec<PositionInfo> {
        match self
            .fx
            .e
            .view(queue, &Query::LctsQueue(LctsQueueView::Positions))
            .unwrap()
        {
            Answer::LctsQueue(LctsQueueAnswer::Positions { positions }) => positions,
            other => panic!("{other:?}"),
        }
    }

    pub fn holding(&self) -> HoldingInfo {
        match self
            .fx
            .e
            .view(self.hs, &Query::HoldingSystem(HoldingSystemView::Info))
            .unwrap()
        {
            Answer::HoldingSystem(HoldingSystemAnswer::Info(i)) => *i,
            other => panic!("{other:?}"),
        }
    }

    pub fn xr(&self) -> Wad {
        self.holding().exchange_rate_wad
    }
}

pub fn ret(r: &Returns, name: &str) -> Wad {
    match r.get(name) {
        Some(Value::Wad(w)) => *w,
        other => panic!("no wad {name}: {other:?}"),
    }
}

pub fn one() -> Wad {
    Wad::from_raw(WAD)
}
