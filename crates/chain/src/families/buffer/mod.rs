//! dss-allocator style buffer: holds USDS, approves spenders (wards only). Created by its ilk
//! vault, never deployed directly.

use crate::call::Returns;
use crate::digest::Enc;
use crate::error::CallResult;
use crate::families::{Family, NotDeployable};
use crate::journal::NoLedger;
use crate::state::State;
use alloy_primitives::{Address, U256};
use laniakea_units::Wad;
use serde::Deserialize;

/// dss-allocator style buffer: holds USDS, approves spenders (wards only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buffer {
    pub vault: Address,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum BufferCall {
    #[serde(rename = "approve")]
    Approve {
        asset: Address,
        spender: Address,
        amount: Wad,
    },
}

impl Family for Buffer {
    const LABEL: &'static str = "buffer";
    type Call = BufferCall;
    type Deploy = NotDeployable;
    type View = crate::families::NoViews;
    type Answer = crate::families::NoViews;
    type Revert = crate::families::Nothing;
    type Event = crate::families::Nothing;
    type Ledger = NoLedger;

    fn deploy(_: &mut State, _: Address, _: Address, d: &NotDeployable) -> CallResult<Self> {
        match *d {}
    }

    fn call(s: &mut State, to: Address, from: Address, c: BufferCall) -> CallResult<Returns> {
        match c {
            BufferCall::Approve {
                asset,
                spender,
                amount,
            } => s.buffer_approve(to, from, asset, spender, amount.raw())?,
        }
        Ok(Returns::none())
    }

    fn view(_: &State, _: Address, v: &crate::families::NoViews) -> CallResult<Self::Answer> {
        match *v {}
    }

    fn encode(&self, e: &mut Enc) {
        e.a(self.vault);
    }
}

impl State {
    pub(crate) fn buffer_approve(
        &mut self,
        buffer: Address,
        caller: Address,
        asset: Address,
        spender: Address,
        amount: U256,
    ) -> CallResult<()> {
        self.require_ward(buffer, caller)?;
        self.get::<Buffer>(buffer)?;
        self.erc20_approve(asset, buffer, spender, amount)
    }

}
