//! The Vat (MCD core accounting subset): ilks, urns, internal dai and sin.
//!
//! Contract (SPEC §4.3): `frob` checks, in order, the ceiling (only when drawing: `Art·rate ≤
//! line` and `debt ≤ Line`), safety (only when drawing), then dust (`art == 0 || art·rate ≥ dust`,
//! on every frob). One Vat per engine: a second deployment reverts `Engine/second-vat`, an action
//! that needs the Vat before it exists reverts `Engine/no-vat`. Vat invariants (SPEC §8.1) are
//! checked in [`Family::check`] / [`Family::check_ledger`].

use crate::call::{Returns};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::Family;
use crate::journal::JournaledMap;
use crate::state::State;
use alloy_primitives::{Address, B256, U256};
use laniakea_units::{math, Rad, Ray, Wad, RAY, WAD};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Vat globals (urns, dai and sin live in [`VatLedger`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vat {
    /// total debt
    pub debt: Rad,
    /// total unbacked debt
    pub vice: Rad,
    /// global ceiling (`Line`)
    pub line_total: Rad,
    /// shared until written (`Arc::make_mut`), so journalling the Vat does not copy the ilks
    pub ilks: Arc<BTreeMap<B256, Ilk>>,
}

/// An MCD collateral type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ilk {
    /// total normalised debt (`Art`)
    pub art_total: Wad,
    /// accumulated rate
    pub rate: Ray,
    /// price with safety margin
    pub spot: Ray,
    /// debt ceiling
    pub line: Rad,
    /// urn debt floor
    pub dust: Rad,
}

/// A Vat urn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Urn {
    /// locked collateral
    pub ink: Wad,
    /// normalised debt
    pub art: Wad,
}

crate::ledger! {
    /// The Vat's mappings.
    pub struct VatLedger {
        /// (ilk, urn) → Urn
        pub urns: JournaledMap<(B256, Address), Urn>,
        /// internal dai
        pub dai: JournaledMap<Address, Rad>,
        /// internal unbacked debt
        pub sin: JournaledMap<Address, Rad>,
        /// `()` → the single Vat of this engine, once deployed (not in the digest: derived).
        pub the_vat: JournaledMap<(), Address>,
    }
}

/// `deploy: {"kind": "vat"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct VatDeploy {}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum VatCall {
    #[serde(rename = "init")]
    Init { ilk: crate::call::Ilk },
    /// `file("Line", rad)`.
    #[serde(rename = "fileLine")]
    FileLine { data: Rad },
    /// `file(ilk, "line", rad)`.
    #[serde(rename = "fileIlkLine")]
    FileIlkLine { ilk: crate::call::Ilk, data: Rad },
    /// `file(ilk, "dust", rad)`.
    #[serde(rename = "fileDust")]
    FileDust { ilk: crate::call::Ilk, data: Rad },
    /// `file(ilk, "spot", ray)`.
    #[serde(rename = "fileSpot")]
    FileSpot { ilk: crate::call::Ilk, data: Ray },
    #[serde(rename = "rely")]
    Rely { usr: Address },
    #[serde(rename = "deny")]
    Deny { usr: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum VatView {
    #[serde(rename = "ilk")]
    IlkInfo { ilk: crate::call::Ilk },
    #[serde(rename = "urn")]
    UrnInfo { ilk: crate::call::Ilk, urn: Address },
    #[serde(rename = "debt")]
    Debt,
    #[serde(rename = "dai")]
    Dai { account: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum VatAnswer {
    Ilk {
        #[serde(rename = "Art")]
        art_total: Wad,
        rate: Ray,
        spot: Ray,
        line: Rad,
        dust: Rad,
    },
    Urn {
        ink: Wad,
        art: Wad,
    },
    Debt {
        debt: Rad,
        vice: Rad,
    },
    Dai {
        dai: Rad,
    },
}

const TAG_URNS: u8 = 5;
const TAG_DAI: u8 = 6;
const TAG_SIN: u8 = 7;

impl Family for Vat {
    const LABEL: &'static str = "vat";
    type Call = VatCall;
    type Deploy = VatDeploy;
    type View = VatView;
    type Answer = VatAnswer;
    type Revert = VatRevert;
    type Event = VatEvent;
    type Ledger = VatLedger;
    const LEDGER_TAGS: &'static [u8] = &[TAG_URNS, TAG_DAI, TAG_SIN];

    fn deploy(s: &mut State, _: Address, addr: Address, _: &VatDeploy) -> CallResult<Self> {
        if let Some(existing) = s.ledgers.vat.the_vat.get_ref(&()) {
            return Err(Revert::Vat(VatRevert::SecondVat { existing: *existing }));
        }
        s.ledgers.vat.the_vat.insert((), addr);
        Ok(Vat::default())
    }

    fn call(s: &mut State, to: Address, from: Address, c: VatCall) -> CallResult<Returns> {
        match c {
            VatCall::Init { ilk } => s.vat_init(to, from, ilk.0)?,
            VatCall::FileLine { data } => s.vat_file(to, from, None, "Line", data.raw())?,
            VatCall::FileIlkLine { ilk, data } => s.vat_file(to, from, Some(ilk.0), "line", data.raw())?,
            VatCall::FileDust { ilk, data } => s.vat_file(to, from, Some(ilk.0), "dust", data.raw())?,
            VatCall::FileSpot { ilk, data } => s.vat_file(to, from, Some(ilk.0), "spot", data.raw())?,
            VatCall::Rely { usr } => s.rely(to, from, usr)?,
            VatCall::Deny { usr } => s.deny(to, from, usr)?,
        }
        Ok(Returns::none())
    }

    fn view(s: &State, to: Address, v: &VatView) -> CallResult<VatAnswer> {
        let vat = s.get::<Vat>(to)?;
        Ok(match v {
            VatView::IlkInfo { ilk } => {
                let i = vat.ilks.get(&ilk.0).copied().unwrap_or_default();
                VatAnswer::Ilk {
                    art_total: Wad::from_raw(i.art_total.raw()),
                    rate: Ray::from_raw(i.rate.raw()),
                    spot: Ray::from_raw(i.spot.raw()),
                    line: Rad::from_raw(i.line.raw()),
                    dust: Rad::from_raw(i.dust.raw()),
                }
            }
            VatView::UrnInfo { ilk, urn } => {
                let u = s.urn(ilk.0, *urn);
                VatAnswer::Urn {
                    ink: Wad::from_raw(u.ink.raw()),
                    art: Wad::from_raw(u.art.raw()),
                }
            }
            VatView::Debt => VatAnswer::Debt {
                debt: Rad::from_raw(vat.debt.raw()),
                vice: Rad::from_raw(vat.vice.raw()),
            },
            VatView::Dai { account } => VatAnswer::Dai {
                dai: s.dai(*account),
            },
        })
    }

    fn encode(&self, e: &mut Enc) {
        e.u(self.debt.raw());
        e.u(self.vice.raw());
        e.u(self.line_total.raw());
        e.n(self.ilks.len() as u64);
        for (id, i) in self.ilks.iter() {
            e.b(*id);
            e.u(i.art_total.raw());
            e.u(i.rate.raw());
            e.u(i.spot.raw());
            e.u(i.line.raw());
            e.u(i.dust.raw());
        }
    }

    fn encode_ledger(l: &VatLedger, tag: u8, e: &mut Enc) {
        match tag {
            TAG_URNS => {
                e.tag(TAG_URNS, l.urns.len());
                for ((i, u), urn) in l.urns.iter() {
                    e.b(*i);
                    e.a(*u);
                    e.u(urn.ink.raw());
                    e.u(urn.art.raw());
                }
            }
            TAG_DAI | TAG_SIN => {
                let map = if tag == TAG_DAI { &l.dai } else { &l.sin };
                e.tag(tag, map.len());
                for (a, v) in map.iter() {
                    e.a(*a);
                    e.u(v.raw());
                }
            }
            _ => unreachable!("vat ledger has no digest tag {tag}"),
        }
    }

    /// SPEC §8.1: `debt = Σ Art·rate + vice`, `Σ dai = debt`, `Σ sin = vice`.
    fn check(&self, s: &State, _addr: Address, out: &mut Vec<String>) {
        let mut owed = Some(self.vice.raw());
        for i in self.ilks.values() {
            owed = owed.and_then(|o| {
                i.art_total.raw()
                    .checked_mul(i.rate.raw())
                    .and_then(|x| o.checked_add(x))
            });
        }
        if owed != Some(self.debt.raw()) {
            out.push(format!(
                "inv1: vat debt {} != sum Art*rate + vice {owed:?}",
                self.debt.raw()
            ));
        }
        let l = &s.ledgers.vat;
        let dai = l.dai.values().try_fold(U256::ZERO, |a, b| a.checked_add(b.raw()));
        if dai != Some(self.debt.raw()) {
            out.push(format!("inv1: sum dai {dai:?} != debt {}", self.debt.raw()));
        }
        let sin = l.sin.values().try_fold(U256::ZERO, |a, b| a.checked_add(b.raw()));
        if sin != Some(self.vice.raw()) {
            out.push(format!("inv1: sum sin {sin:?} != vice {}", self.vice.raw()));
        }
    }
}

/// Ink locked by an ilk vault at deployment (dss-allocator locks a fixed, non-binding amount):
/// 10^12 wad. With `spot` = 1 ray the collateral bound is 10^12 USDS, far above any ceiling.
pub fn ilk_vault_ink() -> U256 {
    U256::from(1_000_000_000_000u64) * WAD
}

/// An ilk name as the bytes32 MCD uses (ASCII, right-padded with zeros).
pub fn ilk_id(name: &str) -> Option<B256> {
    if name.is_empty() || name.len() > 32 || !name.is_ascii() {
        return None;
    }
    let mut b = [0u8; 32];
    b[..name.len()].copy_from_slice(name.as_bytes());
    Some(B256::from(b))
}

/// The ASCII name of an ilk id (trailing zero bytes dropped).
pub fn ilk_name(id: B256) -> String {
    let bytes: Vec<u8> = id.iter().copied().take_while(|b| *b != 0).collect();
    String::from_utf8(bytes).unwrap_or_else(|_| id.to_string())
}

impl State {
    /// The single Vat's address.
    pub fn vat_address(&self) -> Option<Address> {
        self.ledgers.vat.the_vat.get_ref(&()).copied()
    }

    pub fn urn(&self, ilk: B256, who: Address) -> Urn {
        self.ledgers.vat.urns.get(&(ilk, who))
    }

    pub(crate) fn set_urn(&mut self, ilk: B256, who: Address, u: Urn) {
        self.ledgers.vat.urns.set((ilk, who), u);
    }

    /// Internal dai [rad].
    pub fn dai(&self, who: Address) -> Rad {
        self.ledgers.vat.dai.get(&who)
    }

    pub(crate) fn set_dai(&mut self, who: Address, v: Rad) {
        self.ledgers.vat.dai.set(who, v);
    }

    /// Internal unbacked debt [rad].
    pub fn sin(&self, who: Address) -> Rad {
        self.ledgers.vat.sin.get(&who)
    }

    pub(crate) fn set_sin(&mut self, who: Address, v: Rad) {
        self.ledgers.vat.sin.set(who, v);
    }

    fn the_vat(&self) -> CallResult<Address> {
        self.vat_address().ok_or(Revert::Vat(VatRevert::NoVat))
    }

    // ---- Vat --------------------------------------------------------------------------------

    pub(crate) fn vat_init(&mut self, vat: Address, caller: Address, ilk: B256) -> CallResult<()> {
        self.require_ward(vat, caller)?;
        let v = self.get_mut::<Vat>(vat)?;
        let entry = Arc::make_mut(&mut v.ilks).entry(ilk).or_default();
        if !entry.rate.raw().is_zero() {
            return Err(Revert::Vat(VatRevert::IlkAlreadyInit(ilk)));
        }
        entry.rate = Ray::from_raw(RAY);
        self.emit(vat, EventKind::Init { ilk });
        Ok(())
    }

    /// `file(what, data)` on the Vat: `Line` [rad]; per ilk `spot` [ray], `line` [rad], `dust` [rad].
    pub(crate) fn vat_file(
        &mut self,
        vat: Address,
        caller: Address,
        ilk: Option<B256>,
        what: &'static str,
        data: U256,
    ) -> CallResult<()> {
        self.require_ward(vat, caller)?;
        let v = self.get_mut::<Vat>(vat)?;
        match (ilk, what) {
            (None, "Line") => v.line_total = Rad::from_raw(data),
            (Some(i), w @ ("spot" | "line" | "dust")) => {
                let il = Arc::make_mut(&mut v.ilks)
                    .get_mut(&i)
                    .filter(|x| !x.rate.raw().is_zero())
                    .ok_or(Revert::Vat(VatRevert::IlkNotInit(i)))?;
                match w {
                    "spot" => il.spot = Ray::from_raw(data),
                    "line" => il.line = Rad::from_raw(data),
                    _ => il.dust = Rad::from_raw(data),
                }
            }
            (_, w) => return Err(Revert::UnknownParameter(w)),
        }
        let ev = if what == "spot" {
            EventKind::FileRay {
                what,
                ilk,
                data_ray: Ray::from_raw(data),
            }
        } else {
            EventKind::FileRad {
                what,
                ilk,
                data_rad: Rad::from_raw(data),
            }
        };
        self.emit(vat, ev);
        Ok(())
    }

    /// `frob(i, u, u, u, dink, dart)` with `dart = dart_up − dart_down` (one of them zero).
    pub(crate) fn vat_frob(
        &mut self,
        ilk: B256,
        urn_addr: Address,
        dink: U256,
        dart_up: U256,
        dart_down: U256,
    ) -> CallResult<()> {
        let vat_addr = self.the_vat()?;
        let vat = self.get::<Vat>(vat_addr)?;
        let il = *vat
            .ilks
            .get(&ilk)
            .filter(|x| !x.rate.raw().is_zero())
            .ok_or(Revert::Vat(VatRevert::IlkNotInit(ilk)))?;
        let mut urn = self.urn(ilk, urn_addr);
        urn.ink = Wad::from_raw(math::add(urn.ink.raw(), dink)?);
        urn.art = Wad::from_raw(math::sub(math::add(urn.art.raw(), dart_up)?, dart_down)?);
        let art_total = math::sub(math::add(il.art_total.raw(), dart_up)?, dart_down)?;
        let dtab_up = math::mul(il.rate.raw(), dart_up)?;
        let dtab_down = math::mul(il.rate.raw(), dart_down)?;
        let debt = math::sub(math::add(vat.debt.raw(), dtab_up)?, dtab_down)?;
        let tab = math::mul(il.rate.raw(), urn.art.raw())?;
        if !dart_up.is_zero() {
            let ilk_debt = math::mul(art_total, il.rate.raw())?;
            if ilk_debt > il.line.raw() {
                return Err(Revert::Vat(VatRevert::CeilingExceeded {
                    debt: ilk_debt,
                    line: il.line.raw(),
                }));
            }
            if debt > vat.line_total.raw() {
                return Err(Revert::Vat(VatRevert::CeilingExceeded {
                    debt,
                    line: vat.line_total.raw(),
                }));
            }
            let value = math::mul(urn.ink.raw(), il.spot.raw())?;
            if tab > value {
                return Err(Revert::Vat(VatRevert::NotSafe { tab, value }));
            }
        }
        if !urn.art.raw().is_zero() && tab < il.dust.raw() {
            return Err(Revert::Vat(VatRevert::Dust { tab, dust: il.dust.raw() }));
        }
        let dai = self.dai(urn_addr).raw();
        let new_dai = if dtab_down.is_zero() {
            math::add(dai, dtab_up)?
        } else {
            dai.checked_sub(dtab_down).ok_or(Revert::Vat(VatRevert::InsufficientDai {
                account: urn_addr,
                balance: dai,
                needed: dtab_down,
            }))?
        };
        let v = self.get_mut::<Vat>(vat_addr)?;
        v.debt = Rad::from_raw(debt);
        if let Some(x) = Arc::make_mut(&mut v.ilks).get_mut(&ilk) {
            x.art_total = Wad::from_raw(art_total);
        }
        self.set_urn(ilk, urn_addr, urn);
        self.set_dai(urn_addr, Rad::from_raw(new_dai));
        self.emit(
            vat_addr,
            EventKind::Vat(VatEvent::Frob {
                ilk,
                urn: urn_addr,
                dink_wad: Wad::from_raw(dink),
                dart_up_wad: Wad::from_raw(dart_up),
                dart_down_wad: Wad::from_raw(dart_down),
            }),
        );
        Ok(())
    }

    /// Vat `fold(i, u, rate)` for a non-negative rate delta.
    pub(crate) fn vat_fold(&mut self, ilk: B256, u: Address, delta: U256) -> CallResult<()> {
        let vat_addr = self.the_vat()?;
        let vat = self.get::<Vat>(vat_addr)?;
        let il = *vat.ilks.get(&ilk).ok_or(Revert::Vat(VatRevert::IlkNotInit(ilk)))?;
        let rad = math::mul(il.art_total.raw(), delta)?;
        let debt = math::add(vat.debt.raw(), rad)?;
        let rate = math::add(il.rate.raw(), delta)?;
        let dai = math::add(self.dai(u).raw(), rad)?;
        let v = self.get_mut::<Vat>(vat_addr)?;
        v.debt = Rad::from_raw(debt);
        if let Some(x) = Arc::make_mut(&mut v.ilks).get_mut(&ilk) {
            x.rate = Ray::from_raw(rate);
        }
        self.set_dai(u, Rad::from_raw(dai));
        self.emit(
            vat_addr,
            EventKind::Vat(VatEvent::Fold {
                ilk,
                u,
                rate_delta_ray: Ray::from_raw(delta),
                rad: Rad::from_raw(rad),
            }),
        );
        Ok(())
    }

    /// Vat `suck(u, v, rad)`: mint unbacked dai to `v`, booking `sin` to `u`. Caller must be a ward.
    pub(crate) fn vat_suck(
        &mut self,
        caller: Address,
        u: Address,
        v: Address,
        rad: U256,
    ) -> CallResult<()> {
        let vat_addr = self.the_vat()?;
        self.require_ward(vat_addr, caller)?;
        let vat = self.get::<Vat>(vat_addr)?;
        let vice = math::add(vat.vice.raw(), rad)?;
        let debt = math::add(vat.debt.raw(), rad)?;
        let sin = math::add(self.sin(u).raw(), rad)?;
        let dai = math::add(self.dai(v).raw(), rad)?;
        let x = self.get_mut::<Vat>(vat_addr)?;
        x.vice = Rad::from_raw(vice);
        x.debt = Rad::from_raw(debt);
        self.set_sin(u, Rad::from_raw(sin));
        self.set_dai(v, Rad::from_raw(dai));
        self.emit(
            vat_addr,
            EventKind::Vat(VatEvent::Suck {
                u,
                v,
                rad: Rad::from_raw(rad),
            }),
        );
        Ok(())
    }

    /// Vat `move(src, dst, rad)`.
    pub(crate) fn vat_move(&mut self, src: Address, dst: Address, rad: U256) -> CallResult<()> {
        let bal = self.dai(src).raw();
        let left = bal.checked_sub(rad).ok_or(Revert::Vat(VatRevert::InsufficientDai {
            account: src,
            balance: bal,
            needed: rad,
        }))?;
        self.set_dai(src, Rad::from_raw(left));
        let to = math::add(self.dai(dst).raw(), rad)?;
        self.set_dai(dst, Rad::from_raw(to));
        Ok(())
    }

    /// Locks the ilk vault's fixed ink in its urn (deployment step).
    pub(crate) fn vat_lock_vault_ink(&mut self, ilk: B256, vault: Address) -> CallResult<()> {
        let u = self.urn(ilk, vault);
        self.set_urn(
            ilk,
            vault,
            Urn {
                ink: Wad::from_raw(math::add(u.ink.raw(), ilk_vault_ink())?),
                art: u.art,
            },
        );
        Ok(())
    }
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum VatRevert {
    #[error("a Vat already exists at {existing}; an engine has exactly one")]
    #[strum(serialize = "Engine/second-vat")]
    SecondVat { existing: Address },
    #[error("no Vat has been deployed yet")]
    #[strum(serialize = "Engine/no-vat")]
    NoVat,
    #[error("ilk {0} is not initialised")]
    #[strum(serialize = "Vat/ilk-not-init")]
    IlkNotInit(B256),
    #[error("ilk {0} is already initialised")]
    #[strum(serialize = "Vat/ilk-already-init")]
    IlkAlreadyInit(B256),
    #[error("debt {debt} rad would exceed the ceiling {line} rad")]
    #[strum(serialize = "Vat/ceiling-exceeded")]
    CeilingExceeded { debt: U256, line: U256 },
    #[error("urn debt {tab} rad would exceed its collateral value {value} rad")]
    #[strum(serialize = "Vat/not-safe")]
    NotSafe { tab: U256, value: U256 },
    #[error("urn debt {tab} rad is below dust {dust} rad and not zero")]
    #[strum(serialize = "Vat/dust")]
    Dust { tab: U256, dust: U256 },
    #[error("internal dai of {account} is {balance} rad, needs {needed} rad")]
    #[strum(serialize = "Vat/insufficient-dai")]
    InsufficientDai {
        account: Address,
        balance: U256,
        needed: U256,
    },
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum VatEvent {
    /// Vat `frob`: signed changes as (increase, decrease) pairs of non-negative values.
    Frob {
        ilk: B256,
        urn: Address,
        dink_wad: Wad,
        dart_up_wad: Wad,
        dart_down_wad: Wad,
    },
    Fold {
        ilk: B256,
        u: Address,
        rate_delta_ray: Ray,
        rad: Rad,
    },
    Suck {
        u: Address,
        v: Address,
        rad: Rad,
    },
}
