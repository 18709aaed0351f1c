//! The Jug: stability fees.
//!
//! Contract: `drip` raises the ilk's `rate` by `rpow(base + duty, now − rho)` (half-up at each
//! step) and books the fee to the vow through the Vat's `fold`. Changing `duty` needs
//! `rho == now` (accrue before mutate).

use crate::call::{Ilk, Returns, Value};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::vat::Vat;
use crate::families::Family;
use crate::journal::NoLedger;
use crate::state::State;
use alloy_primitives::{Address, B256, U256};
use laniakea_units::{math, Ray, Timestamp, RAY};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Jug {
    pub vat: Address,
    pub vow: Address,
    /// global base rate per second, added to every ilk's duty
    pub base: Ray,
    pub ilks: Arc<BTreeMap<B256, JugIlk>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JugIlk {
    /// stability fee per second
    pub duty: Ray,
    pub rho: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct JugDeploy {
    pub vat: Address,
    pub vow: Address,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum JugCall {
    #[serde(rename = "init")]
    Init { ilk: Ilk },
    #[serde(rename = "drip")]
    Drip { ilk: Ilk },
    /// `file(ilk, "duty", ray)`: needs `rho == now` (drip in an earlier tx at the same time).
    #[serde(rename = "fileDuty")]
    FileDuty { ilk: Ilk, data: Ray },
    /// `file("base", ray)`.
    #[serde(rename = "fileBase")]
    FileBase { data: Ray },
    #[serde(rename = "rely")]
    Rely { usr: Address },
}

impl Family for Jug {
    const LABEL: &'static str = "jug";
    type Call = JugCall;
    type Deploy = JugDeploy;
    type View = crate::families::NoViews;
    type Answer = crate::families::NoViews;
    type Revert = JugRevert;
    type Event = JugEvent;
    type Ledger = NoLedger;

    fn deploy(s: &mut State, _: Address, _: Address, d: &JugDeploy) -> CallResult<Self> {
        s.get::<Vat>(d.vat)?;
        Ok(Jug {
            vat: d.vat,
            vow: d.vow,
            base: Ray::ZERO,
            ilks: Default::default(),
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: JugCall) -> CallResult<Returns> {
        match c {
            JugCall::Init { ilk } => s.jug_init(to, from, ilk.0)?,
            JugCall::Drip { ilk } => {
                return Ok(Returns::one(
                    "rate",
                    Value::Ray(Ray::from_raw(s.jug_drip(to, ilk.0)?)),
                ))
            }
            JugCall::FileDuty { ilk, data } => s.jug_file(to, from, Some(ilk.0), data.raw())?,
            JugCall::FileBase { data } => s.jug_file(to, from, None, data.raw())?,
            JugCall::Rely { usr } => s.rely(to, from, usr)?,
        }
        Ok(Returns::none())
    }

    fn view(_: &State, _: Address, v: &crate::families::NoViews) -> CallResult<Self::Answer> {
        match *v {}
    }

    fn encode(&self, e: &mut Enc) {
        e.a(self.vat);
        e.a(self.vow);
        e.u(self.base.raw());
        e.n(self.ilks.len() as u64);
        for (id, i) in self.ilks.iter() {
            e.b(*id);
            e.u(i.duty.raw());
            e.n(i.rho.0);
        }
    }
}

impl State {
    pub(crate) fn jug_init(&mut self, jug: Address, caller: Address, ilk: B256) -> CallResult<()> {
        self.require_ward(jug, caller)?;
        let now = self.now;
        let j = self.get_mut::<Jug>(jug)?;
        let e = Arc::make_mut(&mut j.ilks).entry(ilk).or_default();
        if !e.duty.raw().is_zero() {
            return Err(Revert::Vat(crate::families::vat::VatRevert::IlkAlreadyInit(ilk)));
        }
        *e = JugIlk {
            duty: Ray::from_raw(RAY),
            rho: now,
        };
        self.emit(jug, EventKind::Init { ilk });
        Ok(())
    }

    /// `file(ilk, "duty", ray)` (needs `rho == now`) or `file("base", ray)`.
    pub(crate) fn jug_file(
        &mut self,
        jug: Address,
        caller: Address,
        ilk: Option<B256>,
        data: U256,
    ) -> CallResult<()> {
        self.require_ward(jug, caller)?;
        let now = self.now;
        let j = self.get_mut::<Jug>(jug)?;
        match ilk {
            Some(i) => {
                let e = Arc::make_mut(&mut j.ilks)
                    .get_mut(&i)
                    .ok_or(Revert::Vat(crate::families::vat::VatRevert::IlkNotInit(i)))?;
                if e.rho != now {
                    return Err(Revert::Jug(JugRevert::JugRhoNotUpdated { rho: e.rho, now }));
                }
                e.duty = Ray::from_raw(data);
            }
            None => j.base = Ray::from_raw(data),
        }
        let what = if ilk.is_some() { "duty" } else { "base" };
        self.emit(
            jug,
            EventKind::FileRay {
                what,
                ilk,
                data_ray: Ray::from_raw(data),
            },
        );
        Ok(())
    }

    /// `drip(ilk)`: accrue the stability fee; returns the new `rate` [ray].
    pub(crate) fn jug_drip(&mut self, jug: Address, ilk: B256) -> CallResult<U256> {
        let now = self.now;
        let j = self.get::<Jug>(jug)?;
        let ji = *j.ilks.get(&ilk).ok_or(Revert::Vat(crate::families::vat::VatRevert::IlkNotInit(ilk)))?;
        let (vat_addr, vow, base) = (j.vat, j.vow, j.base.raw());
        self.require_ward(vat_addr, jug)?;
        let prev = self
            .get::<Vat>(vat_addr)?
            .ilks
            .get(&ilk)
            .map(|i| i.rate.raw())
            .ok_or(Revert::Vat(crate::families::vat::VatRevert::IlkNotInit(ilk)))?;
        let elapsed = now.since(ji.rho);
        assert!(
            elapsed.is_some(),
            "jug rho {} is after now {now}: block time went backwards",
            ji.rho
        );
        let elapsed = elapsed.unwrap_or_default();
        let factor = math::rpow(math::add(base, ji.duty.raw())?, elapsed, RAY)?;
        let rate = math::mul_div_floor(factor, prev, RAY)?;
        let delta = math::sub(rate, prev)?;
        self.vat_fold(ilk, vow, delta)?;
        if let Some(e) = Arc::make_mut(&mut self.get_mut::<Jug>(jug)?.ilks).get_mut(&ilk) {
            e.rho = now;
        }
        self.emit(
            jug,
            EventKind::Jug(JugEvent::JugDrip {
                ilk,
                rate_ray: Ray::from_raw(rate),
            }),
        );
        Ok(rate)
    }

}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum JugRevert {
    #[error("duty can only change right after a drip (rho {rho}, now {now})")]
    #[strum(serialize = "Jug/rho-not-updated")]
    JugRhoNotUpdated { rho: Timestamp, now: Timestamp },
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum JugEvent {
    JugDrip {
        ilk: B256,
        rate_ray: Ray,
    },
}
