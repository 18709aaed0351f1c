//! The MCD subset: Vat, Jug, the USDS join and dss-allocator style ilk vaults with buffers.
//!
//! Contract (SPEC §4.3): `frob` checks, in order, the ceiling (only when drawing: `Art·rate ≤
//! line` and `debt ≤ Line`), safety (only when drawing), then dust (`art == 0 || art·rate ≥ dust`,
//! on every frob). `draw(wad)` adds `divup(wad·RAY, rate)` normalised debt; `wipe(wad)` removes
//! `floor(wad·RAY/rate)`: rounding always favours the system. Jug `drip` raises `rate` by
//! `rpow(base + duty, now − rho)` (half-up at each step) and books the fee to the vow. Changing
//! `duty` needs `rho == now` (accrue before mutate). Vat invariants (SPEC §8.1) are checked by
//! [`crate::invariants`].

use crate::contracts::{Buffer, IlkVault, Jug, JugIlk, Vat};
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::state::{State, Urn};
use alloy_primitives::{Address, B256, U256};
use laniakea_units::{math, Rad, Ray, Wad, RAY, WAD};
use std::sync::Arc;

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
    fn the_vat(&self) -> CallResult<Address> {
        self.vat.ok_or(Revert::NoContract(Address::ZERO))
    }

    // ---- Vat --------------------------------------------------------------------------------

    pub(crate) fn vat_init(&mut self, vat: Address, caller: Address, ilk: B256) -> CallResult<()> {
        self.require_ward(vat, caller)?;
        let v = self.get_mut::<Vat>(vat)?;
        let entry = Arc::make_mut(&mut v.ilks).entry(ilk).or_default();
        if !entry.rate.is_zero() {
            return Err(Revert::IlkAlreadyInit(ilk));
        }
        entry.rate = RAY;
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
            (None, "Line") => v.line_total = data,
            (Some(i), w @ ("spot" | "line" | "dust")) => {
                let il = Arc::make_mut(&mut v.ilks)
                    .get_mut(&i)
                    .filter(|x| !x.rate.is_zero())
                    .ok_or(Revert::IlkNotInit(i))?;
                match w {
                    "spot" => il.spot = data,
                    "line" => il.line = data,
                    _ => il.dust = data,
                }
            }
            (_, w) => return Err(Revert::UnknownParameter(w)),
        }
        let ev = if what == "spot" {
            EventKind::FileRay {
                what,
                ilk,
                data_ray: Ray(data),
            }
        } else {
            EventKind::FileRad {
                what,
                ilk,
                data_rad: Rad(data),
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
            .filter(|x| !x.rate.is_zero())
            .ok_or(Revert::IlkNotInit(ilk))?;
        let mut urn = self.urn(ilk, urn_addr);
        urn.ink = math::add(urn.ink, dink)?;
        urn.art = math::sub(math::add(urn.art, dart_up)?, dart_down)?;
        let art_total = math::sub(math::add(il.art_total, dart_up)?, dart_down)?;
        let dtab_up = math::mul(il.rate, dart_up)?;
        let dtab_down = math::mul(il.rate, dart_down)?;
        let debt = math::sub(math::add(vat.debt, dtab_up)?, dtab_down)?;
        let tab = math::mul(il.rate, urn.art)?;
        if !dart_up.is_zero() {
            let ilk_debt = math::mul(art_total, il.rate)?;
            if ilk_debt > il.line {
                return Err(Revert::CeilingExceeded {
                    debt: ilk_debt,
                    line: il.line,
                });
            }
            if debt > vat.line_total {
                return Err(Revert::CeilingExceeded {
                    debt,
                    line: vat.line_total,
                });
            }
            let value = math::mul(urn.ink, il.spot)?;
            if tab > value {
                return Err(Revert::NotSafe { tab, value });
            }
        }
        if !urn.art.is_zero() && tab < il.dust {
            return Err(Revert::Dust { tab, dust: il.dust });
        }
        let dai = self.dai(urn_addr);
        let new_dai = if dtab_down.is_zero() {
            math::add(dai, dtab_up)?
        } else {
            dai.checked_sub(dtab_down).ok_or(Revert::InsufficientDai {
                account: urn_addr,
                balance: dai,
                needed: dtab_down,
            })?
        };
        let v = self.get_mut::<Vat>(vat_addr)?;
        v.debt = debt;
        if let Some(x) = Arc::make_mut(&mut v.ilks).get_mut(&ilk) {
            x.art_total = art_total;
        }
        self.set_urn(ilk, urn_addr, urn);
        self.set_dai(urn_addr, new_dai);
        self.emit(
            vat_addr,
            EventKind::Frob {
                ilk,
                urn: urn_addr,
                dink_wad: Wad(dink),
                dart_up_wad: Wad(dart_up),
                dart_down_wad: Wad(dart_down),
            },
        );
        Ok(())
    }

    /// Vat `fold(i, u, rate)` for a non-negative rate delta.
    pub(crate) fn vat_fold(&mut self, ilk: B256, u: Address, delta: U256) -> CallResult<()> {
        let vat_addr = self.the_vat()?;
        let vat = self.get::<Vat>(vat_addr)?;
        let il = *vat.ilks.get(&ilk).ok_or(Revert::IlkNotInit(ilk))?;
        let rad = math::mul(il.art_total, delta)?;
        let debt = math::add(vat.debt, rad)?;
        let rate = math::add(il.rate, delta)?;
        let dai = math::add(self.dai(u), rad)?;
        let v = self.get_mut::<Vat>(vat_addr)?;
        v.debt = debt;
        if let Some(x) = Arc::make_mut(&mut v.ilks).get_mut(&ilk) {
            x.rate = rate;
        }
        self.set_dai(u, dai);
        self.emit(
            vat_addr,
            EventKind::Fold {
                ilk,
                u,
                rate_delta_ray: Ray(delta),
                rad: Rad(rad),
            },
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
        let vice = math::add(vat.vice, rad)?;
        let debt = math::add(vat.debt, rad)?;
        let sin = math::add(self.sin(u), rad)?;
        let dai = math::add(self.dai(v), rad)?;
        let x = self.get_mut::<Vat>(vat_addr)?;
        x.vice = vice;
        x.debt = debt;
        self.set_sin(u, sin);
        self.set_dai(v, dai);
        self.emit(
            vat_addr,
            EventKind::Suck {
                u,
                v,
                rad: Rad(rad),
            },
        );
        Ok(())
    }

    /// Vat `move(src, dst, rad)`.
    pub(crate) fn vat_move(&mut self, src: Address, dst: Address, rad: U256) -> CallResult<()> {
        let bal = self.dai(src);
        let left = bal.checked_sub(rad).ok_or(Revert::InsufficientDai {
            account: src,
            balance: bal,
            needed: rad,
        })?;
        self.set_dai(src, left);
        let to = math::add(self.dai(dst), rad)?;
        self.set_dai(dst, to);
        Ok(())
    }

    // ---- Join -------------------------------------------------------------------------------

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
        self.emit(join, EventKind::Exit { usr, wad: Wad(wad) });
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
        self.emit(join, EventKind::Join { usr, wad: Wad(wad) });
        Ok(())
    }

    // ---- Jug --------------------------------------------------------------------------------

    pub(crate) fn jug_init(&mut self, jug: Address, caller: Address, ilk: B256) -> CallResult<()> {
        self.require_ward(jug, caller)?;
        let now = self.now;
        let j = self.get_mut::<Jug>(jug)?;
        let e = Arc::make_mut(&mut j.ilks).entry(ilk).or_default();
        if !e.duty.is_zero() {
            return Err(Revert::IlkAlreadyInit(ilk));
        }
        *e = JugIlk {
            duty: RAY,
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
                    .ok_or(Revert::IlkNotInit(i))?;
                if e.rho != now {
                    return Err(Revert::JugRhoNotUpdated { rho: e.rho, now });
                }
                e.duty = data;
            }
            None => j.base = data,
        }
        let what = if ilk.is_some() { "duty" } else { "base" };
        self.emit(
            jug,
            EventKind::FileRay {
                what,
                ilk,
                data_ray: Ray(data),
            },
        );
        Ok(())
    }

    /// `drip(ilk)`: accrue the stability fee; returns the new `rate` [ray].
    pub(crate) fn jug_drip(&mut self, jug: Address, ilk: B256) -> CallResult<U256> {
        let now = self.now;
        let j = self.get::<Jug>(jug)?;
        let ji = *j.ilks.get(&ilk).ok_or(Revert::IlkNotInit(ilk))?;
        let (vat_addr, vow, base) = (j.vat, j.vow, j.base);
        self.require_ward(vat_addr, jug)?;
        let prev = self
            .get::<Vat>(vat_addr)?
            .ilks
            .get(&ilk)
            .map(|i| i.rate)
            .ok_or(Revert::IlkNotInit(ilk))?;
        let elapsed = now.since(ji.rho).unwrap_or(0);
        let factor = math::rpow(math::add(base, ji.duty)?, elapsed, RAY)?;
        let rate = math::mul_div_floor(factor, prev, RAY)?;
        let delta = math::sub(rate, prev)?;
        self.vat_fold(ilk, vow, delta)?;
        if let Some(e) = Arc::make_mut(&mut self.get_mut::<Jug>(jug)?.ilks).get_mut(&ilk) {
            e.rho = now;
        }
        self.emit(
            jug,
            EventKind::JugDrip {
                ilk,
                rate_ray: Ray(rate),
            },
        );
        Ok(rate)
    }

    // ---- ilk vault ----------------------------------------------------------------------------

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
        let drawn = math::add(v.drawn_wad, wad)?;
        self.get_mut::<IlkVault>(vault)?.drawn_wad = drawn;
        self.emit(
            vault,
            EventKind::Draw {
                sender: caller,
                wad: Wad(wad),
                dart_wad: Wad(dart),
            },
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
        let wiped = math::add(v.wiped_wad, wad)?;
        self.get_mut::<IlkVault>(vault)?.wiped_wad = wiped;
        self.emit(
            vault,
            EventKind::Wipe {
                sender: caller,
                wad: Wad(wad),
                dart_wad: Wad(dart),
            },
        );
        Ok(())
    }

    /// Buffer `approve(asset, spender, amount)`: wards only.
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

    /// Locks the ilk vault's fixed ink in its urn (deployment step).
    pub(crate) fn vat_lock_vault_ink(&mut self, ilk: B256, vault: Address) -> CallResult<()> {
        let u = self.urn(ilk, vault);
        self.set_urn(
            ilk,
            vault,
            Urn {
                ink: math::add(u.ink, ilk_vault_ink())?,
                art: u.art,
            },
        );
        Ok(())
    }
}
