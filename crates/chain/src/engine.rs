//! The engine: applies transactions all-or-nothing, keeps the event log, answers views.
//!
//! Contract: block time never decreases ([`EngineError::TimeWentBackwards`], nothing applied);
//! every applied transaction gets the next tx index and bumps the sender's nonce, whether it
//! commits or reverts; a revert leaves state and log exactly as before; committed events are
//! appended in order. Same transactions in the same order ⇒ same state digest, on any machine.

use crate::call::*;
use crate::contracts::*;
use crate::error::{CallResult, EngineError, Revert};
use crate::event::{Event, EventKind};
use crate::roles::ADMIN_ROLE;
use crate::state::{RateLimitData, State};
use alloy_primitives::{Address, B256, U256};
use laniakea_units::{Rad, Ray, Timestamp, Wad, RAY};
use std::ops::Range;

/// The result of one applied transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub tx_index: u64,
    pub block_time: Timestamp,
    pub from: Address,
    pub outcome: Result<Returns, Revert>,
    /// The slice of the log this transaction appended (empty on revert).
    pub events: Range<usize>,
}

impl Receipt {
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }
}

#[derive(Debug, Default)]
pub struct Engine {
    state: State,
    log: Vec<Event>,
    tx_count: u64,
}

impl Engine {
    /// A fresh, empty chain at block time `genesis`.
    pub fn new(genesis: Timestamp) -> Engine {
        let mut e = Engine::default();
        e.state.now = genesis;
        e
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn now(&self) -> Timestamp {
        self.state.now
    }

    pub fn tx_count(&self) -> u64 {
        self.tx_count
    }

    /// The whole log.
    pub fn log(&self) -> &[Event] {
        &self.log
    }

    /// Events with `seq ≥ cursor`, in order (an off-chain reader's resume point).
    pub fn events_since(&self, cursor: u64) -> &[Event] {
        let start = usize::try_from(cursor)
            .unwrap_or(usize::MAX)
            .min(self.log.len());
        &self.log[start..]
    }

    /// Applies one transaction.
    pub fn execute(&mut self, tx: Tx) -> Result<Receipt, EngineError> {
        if tx.at < self.state.now {
            return Err(EngineError::TimeWentBackwards {
                current: self.state.now,
                requested: tx.at,
            });
        }
        self.state.now = tx.at;
        let tx_index = self.tx_count;
        self.tx_count += 1;
        let nonce = {
            let n = self.state.nonces.entry(tx.from).or_insert(0);
            let v = *n;
            *n += 1;
            v
        };
        self.state.begin();
        let outcome = dispatch(&mut self.state, tx.from, nonce, tx.call);
        let start = self.log.len();
        match &outcome {
            Ok(_) => {
                for (contract, kind) in self.state.commit() {
                    let seq = self.log.len() as u64;
                    self.log.push(Event {
                        seq,
                        block_time: tx.at,
                        tx_index,
                        contract,
                        kind,
                    });
                }
            }
            Err(_) => self.state.rollback(),
        }
        Ok(Receipt {
            tx_index,
            block_time: tx.at,
            from: tx.from,
            outcome,
            events: start..self.log.len(),
        })
    }

    /// Moves block time forward without a transaction (an empty block).
    pub fn warp(&mut self, to: Timestamp) -> Result<(), EngineError> {
        if to < self.state.now {
            return Err(EngineError::TimeWentBackwards {
                current: self.state.now,
                requested: to,
            });
        }
        self.state.now = to;
        Ok(())
    }

    /// A read-only query against contract `to` at the current block time.
    pub fn view(&self, to: Address, v: &View) -> CallResult<Returns> {
        view(&self.state, to, v)
    }

    /// keccak-256 of the canonical state (see [`crate::digest`]).
    pub fn digest(&self) -> B256 {
        crate::digest::state_digest(&self.state, self.tx_count)
    }
}

fn wad(name: &'static str, v: U256) -> Returns {
    Returns::one(name, Value::Wad(Wad(v)))
}

fn deploy(s: &mut State, from: Address, nonce: u64, d: Deploy) -> CallResult<Returns> {
    let addr = from.create(nonce);
    let contract = match &d {
        Deploy::Erc20 { symbol } => Contract::Erc20(Erc20 {
            symbol: Symbol::new(symbol).unwrap_or_default(),
            total_supply: U256::ZERO,
        }),
        Deploy::Savings {
            symbol,
            usds,
            join,
            vow,
        } => {
            s.erc20(*usds)?;
            s.get::<Join>(*join)?;
            Contract::Savings(Savings {
                token: Erc20 {
                    symbol: Symbol::new(symbol).unwrap_or_default(),
                    total_supply: U256::ZERO,
                },
                asset: *usds,
                join: *join,
                vow: *vow,
                chi: RAY,
                rho: s.now,
                ssr: RAY,
            })
        }
        Deploy::Vat => {
            if let Some(existing) = s.vat {
                return Err(Revert::WrongContractKind {
                    contract: existing,
                    expected: "a single vat",
                    actual: "vat",
                });
            }
            s.vat = Some(addr);
            Contract::Vat(Vat::default())
        }
        Deploy::Jug { vat, vow } => {
            s.get::<Vat>(*vat)?;
            Contract::Jug(Jug {
                vat: *vat,
                vow: *vow,
                base: U256::ZERO,
                ilks: Default::default(),
            })
        }
        Deploy::Join { vat, usds } => {
            s.get::<Vat>(*vat)?;
            s.erc20(*usds)?;
            Contract::Join(Join {
                vat: *vat,
                usds: *usds,
            })
        }
        Deploy::IlkVault {
            ilk,
            jug,
            join,
            usds,
        } => {
            let vat = s.get::<Jug>(*jug)?.vat;
            if s.get::<Vat>(vat)?
                .ilks
                .get(&ilk.0)
                .is_none_or(|i| i.rate.is_zero())
            {
                return Err(Revert::IlkNotInit(ilk.0));
            }
            s.get::<Join>(*join)?;
            s.erc20(*usds)?;
            let buffer = addr.create(1);
            s.insert_contract(buffer, Contract::Buffer(Buffer { vault: addr }));
            s.set_role(buffer, ADMIN_ROLE, from, true);
            s.emit(
                buffer,
                EventKind::Deployed {
                    kind: "buffer",
                    deployer: from,
                },
            );
            Contract::IlkVault(IlkVault {
                ilk: ilk.0,
                vat,
                jug: *jug,
                join: *join,
                usds: *usds,
                buffer,
                drawn_wad: U256::ZERO,
                wiped_wad: U256::ZERO,
            })
        }
        Deploy::RateLimits => Contract::RateLimits(RateLimits),
        Deploy::AlmProxy => Contract::AlmProxy(AlmProxy),
        Deploy::Controller {
            proxy,
            rate_limits,
            ilk_vault,
        } => {
            s.get::<AlmProxy>(*proxy)?;
            s.get::<RateLimits>(*rate_limits)?;
            let v = s.get::<IlkVault>(*ilk_vault)?;
            Contract::Controller(Controller {
                proxy: *proxy,
                rate_limits: *rate_limits,
                ilk_vault: *ilk_vault,
                buffer: v.buffer,
                usds: v.usds,
                max_exchange_rates: Default::default(),
            })
        }
    };
    s.insert_contract(addr, contract);
    s.set_role(addr, ADMIN_ROLE, from, true);
    s.emit(
        addr,
        EventKind::Deployed {
            kind: d.kind(),
            deployer: from,
        },
    );
    if let Deploy::IlkVault {
        ilk, join, usds, ..
    } = &d
    {
        let buffer = s.get::<IlkVault>(addr)?.buffer;
        s.vat_lock_vault_ink(ilk.0, addr)?;
        // dss-allocator: the vault approves the join to burn on wipe; the buffer lets the vault pull.
        s.erc20_approve(*usds, addr, *join, U256::MAX)?;
        s.erc20_approve(*usds, buffer, addr, U256::MAX)?;
    }
    Ok(Returns::one("address", Value::Address(addr)))
}

fn access(s: &mut State, to: Address, from: Address, c: AccessCall) -> CallResult<Returns> {
    match c {
        AccessCall::GrantRole { role, account } => s.grant_role(to, from, role.0, account)?,
        AccessCall::RevokeRole { role, account } => s.revoke_role(to, from, role.0, account)?,
    }
    Ok(Returns::none())
}

fn erc20_call(s: &mut State, to: Address, from: Address, c: Erc20Call) -> CallResult<Returns> {
    match c {
        Erc20Call::Transfer { to: dst, amount } => s.erc20_move(to, from, dst, amount.0)?,
        Erc20Call::TransferFrom {
            from: src,
            to: dst,
            amount,
        } => s.erc20_transfer_from(to, from, src, dst, amount.0)?,
        Erc20Call::Approve { spender, amount } => s.erc20_approve(to, from, spender, amount.0)?,
        Erc20Call::Mint { to: dst, amount } => s.erc20_mint(to, from, dst, amount.0)?,
        Erc20Call::Burn { from: src, amount } => s.erc20_burn(to, from, src, amount.0)?,
        Erc20Call::Rely { usr } => s.rely(to, from, usr)?,
        Erc20Call::Deny { usr } => s.deny(to, from, usr)?,
    }
    Ok(Returns::one("success", Value::Bool(true)))
}

fn dispatch(s: &mut State, from: Address, nonce: u64, call: Call) -> CallResult<Returns> {
    match call {
        Call::Deploy(d) => deploy(s, from, nonce, d),
        Call::Erc20(to, c) => {
            s.get::<Erc20>(to)?;
            erc20_call(s, to, from, c)
        }
        Call::Savings(to, c) => {
            s.get::<Savings>(to)?;
            match c {
                SavingsCall::Drip => Ok(Returns::one("chi", Value::Ray(Ray(s.savings_drip(to)?)))),
                SavingsCall::Deposit { assets, receiver } => Ok(wad(
                    "shares",
                    s.vault_deposit(to, from, assets.0, receiver)?,
                )),
                SavingsCall::Mint { shares, receiver } => {
                    Ok(wad("assets", s.vault_mint(to, from, shares.0, receiver)?))
                }
                SavingsCall::Withdraw {
                    assets,
                    receiver,
                    owner,
                } => Ok(wad(
                    "shares",
                    s.vault_withdraw(to, from, assets.0, receiver, owner)?,
                )),
                SavingsCall::Redeem {
                    shares,
                    receiver,
                    owner,
                } => Ok(wad(
                    "assets",
                    s.vault_redeem(to, from, shares.0, receiver, owner)?,
                )),
                SavingsCall::FileSsr { ssr } => {
                    s.savings_file_ssr(to, from, ssr.0)?;
                    Ok(Returns::none())
                }
                SavingsCall::Token(t) => erc20_call(s, to, from, t),
            }
        }
        Call::Vat(to, c) => {
            s.get::<Vat>(to)?;
            match c {
                VatCall::Init { ilk } => s.vat_init(to, from, ilk.0)?,
                VatCall::FileLine { data } => s.vat_file(to, from, None, "Line", data.0)?,
                VatCall::FileIlkLine { ilk, data } => {
                    s.vat_file(to, from, Some(ilk.0), "line", data.0)?
                }
                VatCall::FileDust { ilk, data } => {
                    s.vat_file(to, from, Some(ilk.0), "dust", data.0)?
                }
                VatCall::FileSpot { ilk, data } => {
                    s.vat_file(to, from, Some(ilk.0), "spot", data.0)?
                }
                VatCall::Rely { usr } => s.rely(to, from, usr)?,
                VatCall::Deny { usr } => s.deny(to, from, usr)?,
            }
            Ok(Returns::none())
        }
        Call::Jug(to, c) => {
            s.get::<Jug>(to)?;
            match c {
                JugCall::Init { ilk } => s.jug_init(to, from, ilk.0)?,
                JugCall::Drip { ilk } => {
                    return Ok(Returns::one(
                        "rate",
                        Value::Ray(Ray(s.jug_drip(to, ilk.0)?)),
                    ))
                }
                JugCall::FileDuty { ilk, data } => s.jug_file(to, from, Some(ilk.0), data.0)?,
                JugCall::FileBase { data } => s.jug_file(to, from, None, data.0)?,
                JugCall::Rely { usr } => s.rely(to, from, usr)?,
            }
            Ok(Returns::none())
        }
        Call::Join(to, c) => {
            s.get::<Join>(to)?;
            match c {
                JoinCall::Join { usr, wad } => s.join_join(to, from, usr, wad.0)?,
                JoinCall::Exit { usr, wad } => s.join_exit(to, from, usr, wad.0)?,
            }
            Ok(Returns::none())
        }
        Call::IlkVault(to, c) => {
            s.get::<IlkVault>(to)?;
            match c {
                IlkVaultCall::Draw { wad } => s.ilk_vault_draw(to, from, wad.0)?,
                IlkVaultCall::Wipe { wad } => s.ilk_vault_wipe(to, from, wad.0)?,
                IlkVaultCall::Rely { usr } => s.rely(to, from, usr)?,
                IlkVaultCall::Deny { usr } => s.deny(to, from, usr)?,
            }
            Ok(Returns::none())
        }
        Call::Buffer(
            to,
            BufferCall::Approve {
                asset,
                spender,
                amount,
            },
        ) => {
            s.buffer_approve(to, from, asset, spender, amount.0)?;
            Ok(Returns::none())
        }
        Call::RateLimits(to, c) => {
            s.get::<RateLimits>(to)?;
            match c {
                RateLimitsCall::Set {
                    key,
                    max_amount,
                    slope,
                    last_amount,
                    last_updated,
                } => s.rl_set(
                    to,
                    from,
                    key.0,
                    RateLimitData {
                        max_amount: max_amount.0,
                        slope: slope.0,
                        last_amount: last_amount.0,
                        last_updated,
                    },
                )?,
                RateLimitsCall::SetMaxSlope {
                    key,
                    max_amount,
                    slope,
                } => s.rl_set_max_slope(to, from, key.0, max_amount.0, slope.0)?,
                RateLimitsCall::SetUnlimited { key } => s.rl_set_unlimited(to, from, key.0)?,
                RateLimitsCall::Decrease { key, amount } => {
                    return Ok(wad("newLimit", s.rl_decrease(to, from, key.0, amount.0)?))
                }
                RateLimitsCall::Increase { key, amount } => {
                    return Ok(wad("newLimit", s.rl_increase(to, from, key.0, amount.0)?))
                }
                RateLimitsCall::Access(a) => return access(s, to, from, a),
            }
            Ok(Returns::none())
        }
        Call::AlmProxy(to, c) => {
            s.get::<AlmProxy>(to)?;
            access(s, to, from, c)
        }
        Call::Controller(to, c) => {
            s.get::<Controller>(to)?;
            match c {
                ControllerCall::MintUsds { amount } => {
                    s.controller_mint_usds(to, from, amount.0)?
                }
                ControllerCall::BurnUsds { amount } => {
                    s.controller_burn_usds(to, from, amount.0)?
                }
                ControllerCall::Deposit4626 {
                    vault,
                    assets,
                    min_shares_out,
                } => {
                    return Ok(wad(
                        "shares",
                        s.controller_deposit_4626(to, from, vault, assets.0, min_shares_out.0)?,
                    ))
                }
                ControllerCall::Withdraw4626 {
                    vault,
                    assets,
                    max_shares_in,
                } => {
                    return Ok(wad(
                        "shares",
                        s.controller_withdraw_4626(to, from, vault, assets.0, max_shares_in.0)?,
                    ))
                }
                ControllerCall::Redeem4626 {
                    vault,
                    shares,
                    min_assets_out,
                } => {
                    return Ok(wad(
                        "assets",
                        s.controller_redeem_4626(to, from, vault, shares.0, min_assets_out.0)?,
                    ))
                }
                ControllerCall::TransferAsset {
                    asset,
                    to: dst,
                    amount,
                } => s.controller_transfer_asset(to, from, asset, dst, amount.0)?,
                ControllerCall::RemoveRelayer { relayer } => {
                    s.controller_remove_relayer(to, from, relayer)?
                }
                ControllerCall::SetMaxExchangeRate {
                    vault,
                    shares,
                    max_expected_assets,
                } => s.controller_set_max_exchange_rate(
                    to,
                    from,
                    vault,
                    shares.0,
                    max_expected_assets.0,
                )?,
                ControllerCall::Access(a) => return access(s, to, from, a),
            }
            Ok(Returns::none())
        }
    }
}

fn view(s: &State, to: Address, v: &View) -> CallResult<Returns> {
    Ok(match v {
        View::BalanceOf { account } => {
            s.erc20(to)?;
            wad("balance", s.balance_of(to, *account))
        }
        View::TotalSupply => wad("totalSupply", s.total_supply(to)?),
        View::Allowance { owner, spender } => {
            s.erc20(to)?;
            wad("allowance", s.allowance(to, *owner, *spender))
        }
        View::TotalAssets => wad("totalAssets", s.vault_total_assets(to)?),
        View::Chi => Returns::one("chi", Value::Ray(Ray(s.savings_chi(to)?))),
        View::ConvertToAssets { shares } => wad("assets", s.vault_convert_to_assets(to, shares.0)?),
        View::ConvertToShares { assets } => wad("shares", s.vault_convert_to_shares(to, assets.0)?),
        View::PreviewDeposit { assets } => wad("shares", s.vault_preview_deposit(to, assets.0)?),
        View::PreviewMint { shares } => wad("assets", s.vault_preview_mint(to, shares.0)?),
        View::PreviewWithdraw { assets } => wad("shares", s.vault_preview_withdraw(to, assets.0)?),
        View::PreviewRedeem { shares } => wad("assets", s.vault_preview_redeem(to, shares.0)?),
        View::MaxWithdraw { owner } => wad("maxAssets", s.vault_max_withdraw(to, *owner)?),
        View::MaxRedeem { owner } => wad("maxShares", s.vault_max_redeem(to, *owner)?),
        View::CurrentRateLimit { key } => {
            s.get::<RateLimits>(to)?;
            wad("currentRateLimit", s.current_rate_limit(to, key.0)?)
        }
        View::RateLimitData { key } => {
            s.get::<RateLimits>(to)?;
            let d = s.rate_limit_data(to, key.0);
            Returns(vec![
                ("maxAmount", Value::Wad(Wad(d.max_amount))),
                ("slope", Value::Wad(Wad(d.slope))),
                ("lastAmount", Value::Wad(Wad(d.last_amount))),
                ("lastUpdated", Value::Time(d.last_updated)),
            ])
        }
        View::HasRole { role, account } => {
            s.contract(to)?;
            Returns::one("hasRole", Value::Bool(s.has_role(to, role.0, *account)))
        }
        View::IlkInfo { ilk } => {
            let i = s
                .get::<Vat>(to)?
                .ilks
                .get(&ilk.0)
                .copied()
                .unwrap_or_default();
            Returns(vec![
                ("Art", Value::Wad(Wad(i.art_total))),
                ("rate", Value::Ray(Ray(i.rate))),
                ("spot", Value::Ray(Ray(i.spot))),
                ("line", Value::Rad(Rad(i.line))),
                ("dust", Value::Rad(Rad(i.dust))),
            ])
        }
        View::UrnInfo { ilk, urn } => {
            s.get::<Vat>(to)?;
            let u = s.urn(ilk.0, *urn);
            Returns(vec![
                ("ink", Value::Wad(Wad(u.ink))),
                ("art", Value::Wad(Wad(u.art))),
            ])
        }
        View::Debt => {
            let v = s.get::<Vat>(to)?;
            Returns(vec![
                ("debt", Value::Rad(Rad(v.debt))),
                ("vice", Value::Rad(Rad(v.vice))),
            ])
        }
        View::Dai { account } => {
            s.get::<Vat>(to)?;
            Returns::one("dai", Value::Rad(Rad(s.dai(*account))))
        }
    })
}
