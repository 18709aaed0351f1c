//! The engine: applies transactions all-or-nothing, keeps the event log, answers views.
//!
//! Contract: block time never decreases ([`EngineError::TimeWentBackwards`], nothing applied);
//! every applied transaction gets the next tx index and bumps the sender's nonce, whether it
//! commits or reverts; a revert leaves state and log exactly as before; committed events are
//! appended in order. Same transactions in the same order ⇒ same state digest, on any machine.

use crate::call::*;
use crate::contracts::*;
use crate::error::{CallResult, EngineError, Revert};
use crate::event::Event;
use crate::state::State;
use alloy_primitives::{Address, B256, U256};
use laniakea_units::{Rad, Ray, Timestamp, Wad};
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
        let outcome = crate::families::dispatch(&mut self.state, tx.from, nonce, tx.call);
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
