//! The USDS join adapter between Vat `dai` [rad] and the USDS token [wad].
//!
//! Contract: `exit(usr, wad)` moves `wad·RAY` internal dai of the caller to the join and mints
//! `wad` USDS to `usr` (the join must be a ward of USDS); `join(usr, wad)` burns `wad` USDS of
//! the caller (spending its allowance to the join) and credits `wad·RAY` internal dai to `usr`.

use crate::call::Returns;
use crate::digest::Enc;
use crate::error::CallResult;
use crate::event::EventKind;
use crate::families::vat::Vat;
use crate::families::Family;
use crate::journal::NoLedger;
use crate::state::State;
use alloy_primitives::{Address, U256};
use laniakea_units::{math, Wad, RAY};
use serde::Deserialize;

/// USDS join adapter between Vat `dai` [rad] and the USDS token [wad].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    pub vat: Address,
    pub usds: Address,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct JoinDeploy {
    pub vat: Address,
    pub usds: Address,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum JoinCall {
    #[serde(rename = "join")]
    Join { usr: Address, wad: Wad },
    #[serde(rename = "exit")]
    Exit { usr: Address, wad: Wad },
}

impl Family for Join {
    const LABEL: &'static str = "join";
    type Call = JoinCall;
    type Deploy = JoinDeploy;
    type View = crate::families::NoViews;
    type Answer = crate::families::NoViews;
    type Revert = crate::families::Nothing;
    type Event = JoinEvent;
    type Ledger = NoLedger;

    fn deploy(s: &mut State, _: Address, _: Address, d: &JoinDeploy) -> CallResult<Self> {
        s.get::<Vat>(d.vat)?;
        s.erc20(d.usds)?;
        Ok(Join {
            vat: d.vat,
            usds: d.usds,
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: JoinCall) -> CallResult<Returns> {
        match c {
            JoinCall::Join { usr, wad } => s.join_join(to, from, usr, wad.raw())?,
            JoinCall::Exit { usr, wad } => s.join_exit(to, from, usr, wad.raw())?,
        }
        Ok(Returns::none())
    }

    fn view(_: &State, _: Address, v: &crate::families::NoViews) -> CallResult<Self::Answer> {
        match *v {}
    }

    fn encode(&self, e: &mut Enc) {
        e.a(self.vat);
        e.a(self.usds);
    }

    /// SPEC §8.1: USDS `supply·RAY ≤ dai[join]` (no mint without debt).
    fn check(&self, s: &State, addr: Address, out: &mut Vec<String>) {
        if let Ok(supply) = s.total_supply(self.usds) {
            let backing = s.dai(addr).raw();
            if supply.checked_mul(RAY).is_none_or(|x| x > backing) {
                out.push(format!(
                    "inv1: USDS supply {supply} exceeds join backing {backing} rad"
                ));
            }
        }
    }
}

impl State {
    /// `exit(usr, wad)`: `caller`'s internal dai → `wad` USDS minted to `usr`.
    pub(crate) fn join_exit(
        &mut self,
        join: Address,
        caller: Address,
        usr: Address,
        wad: U256,
    ) -> CallResult<()> {
        let j = self.get::<crate::contracts::Join>(join)?.clone();
        self.vat_move(caller, join, math::mul(wad, RAY)?)?;
        self.require_ward(j.usds, join)?;
        self.erc20_mint_unchecked(j.usds, usr, wad)?;
        self.emit(join, EventKind::Join(JoinEvent::Exit { usr, wad: Wad::from_raw(wad) }));
        Ok(())
    }

    /// `join(usr, wad)`: burns `wad` USDS of `caller` (spending its allowance to the join) and
    /// credits `wad·RAY` internal dai to `usr`.
    pub(crate) fn join_join(
        &mut self,
        join: Address,
        caller: Address,
        usr: Address,
        wad: U256,
    ) -> CallResult<()> {
        let j = self.get::<crate::contracts::Join>(join)?.clone();
        self.vat_move(join, usr, math::mul(wad, RAY)?)?;
        self.erc20_burn(j.usds, join, caller, wad)?;
        self.emit(join, EventKind::Join(JoinEvent::Join { usr, wad: Wad::from_raw(wad) }));
        Ok(())
    }

}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum JoinEvent {
    Join {
        usr: Address,
        wad: Wad,
    },
    Exit {
        usr: Address,
        wad: Wad,
    },
}
