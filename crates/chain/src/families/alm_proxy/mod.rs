//! spark `ALMProxy`: holds the PAU's funds; stateless besides roles. Its only transactions are
//! `grantRole`/`revokeRole`; the controller moves funds *as* the proxy.

use crate::call::{AccessCall, Returns};
use crate::digest::Enc;
use crate::error::CallResult;
use crate::families::Family;
use crate::journal::NoLedger;
use crate::state::State;
use alloy_primitives::Address;
use serde::Deserialize;

/// spark `ALMProxy`: holds the PAU's funds; stateless besides roles.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlmProxy;

/// `deploy: {"kind": "alm-proxy"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlmProxyDeploy {}

impl Family for AlmProxy {
    const LABEL: &'static str = "alm-proxy";
    type Call = AccessCall;
    type Deploy = AlmProxyDeploy;
    type View = crate::families::NoViews;
    type Answer = crate::families::NoViews;
    type Revert = crate::families::Nothing;
    type Event = crate::families::Nothing;
    type Ledger = NoLedger;

    fn deploy(_: &mut State, _: Address, _: Address, _: &AlmProxyDeploy) -> CallResult<Self> {
        Ok(AlmProxy)
    }

    fn call(s: &mut State, to: Address, from: Address, c: AccessCall) -> CallResult<Returns> {
        crate::roles::access(s, to, from, c)
    }

    fn view(_: &State, _: Address, v: &crate::families::NoViews) -> CallResult<Self::Answer> {
        match *v {}
    }

    fn encode(&self, _e: &mut Enc) {}
}
