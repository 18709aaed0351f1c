//! dss-allocator style ilk vault: the only urn of its ilk, drawing USDS into its buffer.
//!
//! Contract: `draw(wad)` drips, adds `divup(wad·RAY, rate)` art and mints `wad` USDS to the
//! buffer; `wipe(wad)` takes `wad` USDS from the buffer, burns it and removes
//! `floor(wad·RAY/rate)` art: rounding always favours the system. Deploying a vault also deploys
//! its buffer at `CREATE(vault, 1)` and locks the vault's fixed ink.

use crate::call::{Ilk, Returns};
use crate::contracts::Contract;
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::buffer::Buffer;
use crate::families::join::Join;
use crate::families::jug::Jug;
use crate::families::vat::Vat;
use crate::families::Family;
use crate::journal::NoLedger;
use crate::roles::ADMIN_ROLE;
use crate::state::State;
use alloy_primitives::{Address, B256, U256};
use laniakea_units::{math, Wad, RAY};
use serde::Deserialize;

/// dss-allocator style ilk vault: the only urn of its ilk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IlkVault {
    pub ilk: B256,
    pub vat: Address,
    pub jug: Address,
    pub join: Address,
    pub usds: Address,
    /// where drawn USDS is minted and wiped USDS is taken from
    pub buffer: Address,
    /// cumulative USDS drawn
    pub drawn_wad: Wad,
    /// cumulative USDS wiped
    pub wiped_wad: Wad,
}

/// Deploys the vault and its buffer (at `CREATE(vault, 1)`); locks the vault's fixed ink.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct IlkVaultDeploy {
    pub ilk: Ilk,
    pub jug: Address,
    pub join: Address,
    pub usds: Address,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum IlkVaultCall {
    #[serde(rename = "draw")]
    Draw { wad: Wad },
    #[serde(rename = "wipe")]
    Wipe { wad: Wad },
    #[serde(rename = "rely")]
    Rely { usr: Address },
    #[serde(rename = "deny")]
    Deny { usr: Address },
}

impl Family for IlkVault {
    const LABEL: &'static str = "ilk-vault";
    type Call = IlkVaultCall;
    type Deploy = IlkVaultDeploy;
    type View = crate::families::NoViews;
    type Answer = crate::families::NoViews;
    type Revert = crate::families::Nothing;
    type Event = IlkVaultEvent;
    type Ledger = NoLedger;

    fn deploy(s: &mut State, from: Address, addr: Address, d: &IlkVaultDeploy) -> CallResult<Self> {
        let vat = s.get::<Jug>(d.jug)?.vat;
        if s.get::<Vat>(vat)?
            .ilks
            .get(&d.ilk.0)
            .is_none_or(|i| i.rate.raw().is_zero())
        {
            return Err(Revert::Vat(crate::families::vat::VatRevert::IlkNotInit(d.ilk.0)));
        }
        s.get::<Join>(d.join)?;
        s.erc20(d.usds)?;
        let buffer = addr.create(1);
        s.insert_contract(buffer, Contract::Buffer(Buffer { vault: addr }));
        s.set_role(buffer, ADMIN_ROLE, from, true);
        s.emit(
            buffer,
            EventKind::Deployed {
                kind: <Buffer as Family>::LABEL,
                deployer: from,
            },
        );
        Ok(IlkVault {
            ilk: d.ilk.0,
            vat,
            jug: d.jug,
            join: d.join,
            usds: d.usds,
            buffer,
            drawn_wad: Wad::ZERO,
            wiped_wad: Wad::ZERO,
        })
    }

    fn after_deploy(s: &mut State, _: Address, addr: Address, d: &IlkVaultDeploy) -> CallResult<()> {
        let buffer = s.get::<IlkVault>(addr)?.buffer;
        s.vat_lock_vault_ink(d.ilk.0, addr)?;
        // dss-allocator: the vault approves the join to burn on wipe; the buffer lets the vault pull.
        s.erc20_approve(d.usds, addr, d.join, U256::MAX)?;
        s.erc20_approve(d.usds, buffer, addr, U256::MAX)?;
        Ok(())
    }

    fn call(s: &mut State, to: Address, from: Address, c: IlkVaultCall) -> CallResult<Returns> {
        match c {
            IlkVaultCall::Draw { wad } => s.ilk_vault_draw(to, from, wad.raw())?,
            IlkVaultCall::Wipe { wad } => s.ilk_vault_wipe(to, from, wad.raw())?,
            IlkVaultCall::Rely { usr } => s.rely(to, from, usr)?,
            IlkVaultCall::Deny { usr } => s.deny(to, from, usr)?,
        }
        Ok(Returns::none())
    }

    fn view(_: &State, _: Address, v: &crate::families::NoViews) -> CallResult<Self::Answer> {
        match *v {}
    }

    fn encode(&self, e: &mut Enc) {
        e.b(self.ilk);
        e.a(self.vat);
        e.a(self.jug);
        e.a(self.join);
        e.a(self.usds);
        e.a(self.buffer);
        e.u(self.drawn_wad.raw());
        e.u(self.wiped_wad.raw());
    }

    fn script_names(alias: &str, addr: Address) -> Vec<(String, Address, &'static str)> {
        vec![(
            format!("{alias}.buffer"),
            addr.create(1),
            <Buffer as Family>::LABEL,
        )]
    }

    /// SPEC §8 inv. 2: `art·rate ≥ (USDS drawn − USDS wiped)·RAY`.
    fn check(&self, s: &State, addr: Address, out: &mut Vec<String>) {
        let rate = s
            .get::<Vat>(self.vat)
            .ok()
            .and_then(|x| x.ilks.get(&self.ilk).map(|i| i.rate.raw()));
        let urn = s.urn(self.ilk, addr);
        if let (Some(rate), Some(net)) = (rate, self.drawn_wad.raw().checked_sub(self.wiped_wad.raw())) {
            let tab = urn.art.raw().checked_mul(rate);
            let issued = net.checked_mul(RAY);
            if tab.is_none() || issued.is_none() || tab < issued {
                out.push(format!(
                    "inv2: ilk vault {addr}: debt {tab:?} rad < drawn-wiped {issued:?} rad"
                ));
            }
        }
    }
}

impl State {
    /// `draw(wad)`: drip, add `divup(wad·RAY, rate)` art, mint `wad` USDS to the buffer.
    pub(crate) fn ilk_vault_draw(
        &mut self,
        vault: Address,
        caller: Address,
        wad: U256,
    ) -> CallResult<()> {
        self.require_ward(vault, caller)?;
        let v = self.get::<IlkVault>(vault)?.clone();
        let rate = self.jug_drip(v.jug, v.ilk)?;
        let dart = math::div_up(math::mul(wad, RAY)?, rate)?;
        self.vat_frob(v.ilk, vault, U256::ZERO, dart, U256::ZERO)?;
        self.join_exit(v.join, vault, v.buffer, wad)?;
        let drawn = math::add(v.drawn_wad.raw(), wad)?;
        self.get_mut::<IlkVault>(vault)?.drawn_wad = Wad::from_raw(drawn);
        self.emit(
            vault,
            EventKind::IlkVault(IlkVaultEvent::Draw {
                sender: caller,
                wad: Wad::from_raw(wad),
                dart_wad: Wad::from_raw(dart),
            }),
        );
        Ok(())
    }

    /// `wipe(wad)`: take `wad` USDS from the buffer, burn it, remove `floor(wad·RAY/rate)` art.
    pub(crate) fn ilk_vault_wipe(
        &mut self,
        vault: Address,
        caller: Address,
        wad: U256,
    ) -> CallResult<()> {
        self.require_ward(vault, caller)?;
        let v = self.get::<IlkVault>(vault)?.clone();
        self.erc20_transfer_from(v.usds, vault, v.buffer, vault, wad)?;
        self.join_join(v.join, vault, vault, wad)?;
        let rate = self.jug_drip(v.jug, v.ilk)?;
        let dart = math::mul(wad, RAY)? / rate;
        self.vat_frob(v.ilk, vault, U256::ZERO, U256::ZERO, dart)?;
        let wiped = math::add(v.wiped_wad.raw(), wad)?;
        self.get_mut::<IlkVault>(vault)?.wiped_wad = Wad::from_raw(wiped);
        self.emit(
            vault,
            EventKind::IlkVault(IlkVaultEvent::Wipe {
                sender: caller,
                wad: Wad::from_raw(wad),
                dart_wad: Wad::from_raw(dart),
            }),
        );
        Ok(())
    }

}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum IlkVaultEvent {
    /// Ilk vault (dss-allocator style).
    Draw {
        sender: Address,
        wad: Wad,
        dart_wad: Wad,
    },
    Wipe {
        sender: Address,
        wad: Wad,
        dart_wad: Wad,
    },
}
