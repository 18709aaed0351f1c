//! The operators' chain reader: a Prime's balance histories and the payments seen on-chain,
//! rebuilt from the event log through the seam ([`Chain::events_since`]) and cross-checked
//! against views ([`Chain::view`]); nothing else of the chain is touched, so a JSON-RPC client can
//! stand in for the engine.
//!
//! Contract:
//! - [`ChainReader::sync`] folds every event after its cursor into per-Prime series: legacy-ilk
//!   debt `⌊Art·rate/RAY⌋` [wad] (Vat `Frob`/`Fold` of the Prime's ilk), Prime-vault debt
//!   `drawn − written down` [wad] (the vault's `PrimeDraw`/`PrimeRepay`/`WriteDown`), idle USDS in the Prime's
//!   ALMProxy (USDS `Transfer`s), idle sUSDS value `⌊shares·chi/RAY⌋` [wad] (sUSDS share
//!   `Transfer`s, re-valued at each `Drip`), and every USDS transfer between a Prime's ALMProxy and
//!   the Generator's (settlement payments, either way). Resumable: it reads each event once.
//! - [`ChainReader::verify`] compares the replayed balances with the views now; a difference is
//!   [`ReadError::LogViewMismatch`] naming the series (the log is incomplete or the deployment
//!   description is wrong), never silently used.
//! - [`ChainReader::window`] cuts a series to a measurement window in a canonical form
//!   (`initial` = the balance at the window's start, then the changes strictly inside it), so the
//!   same window gives the same inputs (and input digest) whenever it is read. It refuses a
//!   window that has not closed on the chain yet (its end is after the chain's time).

use alloy_primitives::{Address, B256, U256};
use laniakea_chain::families::prime_vault::{PrimeVaultAnswer, PrimeVaultEvent, PrimeVaultView};
use laniakea_chain::families::savings::{SavingsAnswer, SavingsView};
use laniakea_chain::families::token::{TokenAnswer, TokenEvent, TokenView};
use laniakea_chain::families::vat::{VatAnswer, VatEvent, VatView};
use laniakea_chain::{mcd, Answer, Chain, EventKind, Query};
use laniakea_settlement::ledger::Payer;
use laniakea_settlement::{BalanceHistory, Window};
use laniakea_units::{math, Timestamp, Wad, RAY};
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// Where one Prime's positions live on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrimeAccounts {
    pub prime: String,
    /// The Prime's legacy ilk (`ALLOCATOR-SPARK-A`); empty when the Prime has none.
    pub legacy_ilk: String,
    pub alm_proxy: Address,
    /// The Prime's vault (ERC-4626, SPEC §4.7), if deployed: its drawn principal is debt.
    pub prime_vault: Option<Address>,
    /// The Prime PAU's RateLimits (read by lpha-report for headroom).
    pub rate_limits: Address,
}

/// The addresses the operators read (from the deployment, not discovered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub vat: Address,
    pub usds: Address,
    pub susds: Address,
    pub generator_proxy: Address,
    /// The Generator registry (liquidity buffer, debt locations), if deployed.
    pub generator_registry: Option<Address>,
    /// The buffer of the Generator's ilk vault (its mints reach its ALMProxy from there), if
    /// known: USDS from it is no payment.
    pub generator_mint_buffer: Option<Address>,
    pub primes: Vec<PrimeAccounts>,
}

impl Deployment {
    /// The description of a system built by `laniakea_chain::system` (its fixed names): every
    /// Prime with its legacy ilk (if any), ALMProxy, RateLimits and Prime vault; the Generator's
    /// ALMProxy and registry.
    pub fn from_system(sys: &laniakea_chain::system::System) -> Deployment {
        Deployment {
            vat: sys.addr("vat"),
            usds: sys.addr("usds"),
            susds: sys.addr("susds"),
            generator_proxy: sys.addr("gen_proxy"),
            generator_registry: sys.get("generator"),
            generator_mint_buffer: sys.get("gen_vault.buffer"),
            primes: sys
                .config
                .primes
                .iter()
                .map(|p| PrimeAccounts {
                    prime: p.name.clone(),
                    legacy_ilk: p.legacy_ilk().unwrap_or_default(),
                    alm_proxy: sys.prime(&p.name, "proxy"),
                    rate_limits: sys.prime(&p.name, "rl"),
                    prime_vault: sys.get(&format!("{}_pv", p.name)),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadError {
    #[error("the deployment names Prime '{0}' twice, or an ilk/ALMProxy twice")]
    Duplicate(String),
    #[error("ilk name '{0}' is not 1–32 ASCII characters")]
    BadIlk(String),
    #[error("no Prime '{0}' in the deployment")]
    UnknownPrime(String),
    #[error("window [{start}, {end}) has not closed: the chain is at {now}")]
    WindowOpen {
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
    },
    #[error(
        "{series} of '{prime}': the event log gives {from_log} but the view gives {from_view}"
    )]
    LogViewMismatch {
        prime: String,
        series: &'static str,
        from_log: U256,
        from_view: U256,
    },
    #[error("view {what} failed: {reason}")]
    View { what: String, reason: String },
    #[error("Prime vault {0} is named by two Primes")]
    DuplicateVault(Address),
    #[error("arithmetic overflow replaying event {seq}")]
    Overflow { seq: u64 },
}

impl ReadError {
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Duplicate(_) => "reader/duplicate",
            ReadError::BadIlk(_) => "reader/bad-ilk",
            ReadError::UnknownPrime(_) => "reader/unknown-prime",
            ReadError::WindowOpen { .. } => "reader/window-open",
            ReadError::LogViewMismatch { .. } => "reader/log-view-mismatch",
            ReadError::View { .. } => "reader/view-failed",
            ReadError::DuplicateVault(_) => "reader/duplicate",
            ReadError::Overflow { .. } => "reader/overflow",
        }
    }
}

/// The Prime's legacy ilk id (`None` when the deployment names none: an empty name).
pub fn legacy_ilk_id(p: &PrimeAccounts) -> Result<Option<B256>, ReadError> {
    if p.legacy_ilk.is_empty() {
        return Ok(None);
    }
    mcd::ilk_id(&p.legacy_ilk)
        .map(Some)
        .ok_or_else(|| ReadError::BadIlk(p.legacy_ilk.clone()))
}

/// A step function of time, built change by change in time order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    changes: Vec<(Timestamp, U256)>,
    current: U256,
}

impl Series {
    fn set(&mut self, t: Timestamp, v: U256) {
        if v == self.current {
            return;
        }
        match self.changes.last_mut() {
            Some(last) if last.0 == t => last.1 = v,
            _ => self.changes.push((t, v)),
        }
        self.current = v;
        // Several changes in one block may return to the earlier value: drop the no-op.
        let n = self.changes.len();
        let before = if n >= 2 {
            self.changes[n - 2].1
        } else {
            U256::ZERO
        };
        if self.changes[n - 1].1 == before {
            self.changes.pop();
        }
    }
    pub fn current(&self) -> U256 {
        self.current
    }
    /// The balance at `t` (after every change at or before `t`).
    pub fn at(&self, t: Timestamp) -> U256 {
        self.changes
            .iter()
            .take_while(|(c, _)| *c <= t)
            .last()
            .map_or(U256::ZERO, |(_, v)| *v)
    }
    /// The canonical history of a window: the balance at its start, then the changes inside.
    pub fn window(&self, w: Window) -> BalanceHistory {
        let changes: Vec<(Timestamp, U256)> = self
            .changes
            .iter()
            .filter(|(t, _)| *t > w.start && *t < w.end)
            .copied()
            .collect();
        BalanceHistory::new(self.at(w.start), changes)
            .unwrap_or_else(|e| panic!("bug: a series is built in time order: {e}"))
    }
}

/// A USDS transfer between a Prime's ALMProxy and the Generator's: a settlement payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentSeen {
    /// The event's position in the log (unique: the payment's identity).
    pub seq: u64,
    pub tx_index: u64,
    pub at: Timestamp,
    pub prime: String,
    pub payer: Payer,
    pub amount_wad: Wad,
}

impl PaymentSeen {
    /// The payment's transaction reference in records (`tx:<index>`).
    pub fn tx_ref(&self) -> String {
        format!("tx:{}", self.tx_index)
    }
    /// The payment's reference in receipts (`tx:<index>/log:<seq>`, `crate::refs`).
    pub fn log_ref(&self) -> String {
        crate::refs::log_ref(self.tx_index, self.seq)
    }
}

#[derive(Debug, Clone, Default)]
struct PrimeState {
    debt_legacy: Series,
    /// Prime-vault principal: drawn − written down [wad].
    debt_vault: Series,
    vault_drawn: U256,
    vault_written_down: U256,
    idle_usds: Series,
    idle_susds_value: Series,
    susds_shares: U256,
}

/// A Prime's three chain-derived series for one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimeHistories {
    pub debt_legacy: BalanceHistory,
    /// Drawn Prime-vault principal less write-downs (empty without a vault).
    pub debt_vault: BalanceHistory,
    pub idle_usds: BalanceHistory,
    pub idle_susds_value: BalanceHistory,
}

/// Replays the event log into the operators' series (see the module contract).
#[derive(Debug, Clone)]
pub struct ChainReader {
    deployment: Deployment,
    cursor: u64,
    by_ilk: BTreeMap<B256, String>,
    by_proxy: BTreeMap<Address, String>,
    by_vault: BTreeMap<Address, String>,
    /// Per ilk: `Art` [wad] and `rate` [ray].
    ilks: BTreeMap<B256, (U256, U256)>,
    chi: U256,
    primes: BTreeMap<String, PrimeState>,
    payments: Vec<PaymentSeen>,
}

impl ChainReader {
    pub fn new(deployment: Deployment) -> Result<ChainReader, ReadError> {
        let mut by_ilk = BTreeMap::new();
        let mut by_proxy = BTreeMap::new();
        let mut by_vault = BTreeMap::new();
        let mut primes = BTreeMap::new();
        let mut ilks = BTreeMap::new();
        for p in &deployment.primes {
            let dup = by_proxy.insert(p.alm_proxy, p.prime.clone()).is_some()
                || primes
                    .insert(p.prime.clone(), PrimeState::default())
                    .is_some();
            if dup {
                return Err(ReadError::Duplicate(p.prime.clone()));
            }
            if let Some(ilk) = legacy_ilk_id(p)? {
                if by_ilk.insert(ilk, p.prime.clone()).is_some() {
                    return Err(ReadError::Duplicate(p.prime.clone()));
                }
                ilks.insert(ilk, (U256::ZERO, RAY));
            }
            if let Some(v) = p.prime_vault {
                if by_vault.insert(v, p.prime.clone()).is_some() {
                    return Err(ReadError::DuplicateVault(v));
                }
            }
        }
        Ok(ChainReader {
            deployment,
            cursor: 0,
            by_ilk,
            by_proxy,
            by_vault,
            ilks,
            chi: RAY,
            primes,
            payments: Vec::new(),
        })
    }

    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The next event position to read.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Folds every new event into the series.
    pub fn sync(&mut self, chain: &dyn Chain) -> Result<(), ReadError> {
        let d = &self.deployment;
        let (vat, usds, susds, gen) = (d.vat, d.usds, d.susds, d.generator_proxy);
        for ev in chain.events_since(self.cursor) {
            let t = ev.block_time;
            let overflow = |_| ReadError::Overflow { seq: ev.seq };
            match &ev.kind {
                EventKind::Vat(VatEvent::Frob {
                    ilk,
                    dart_up_wad,
                    dart_down_wad,
                    ..
                }) if ev.contract == vat => {
                    if let (Some(prime), Some((art, rate))) =
                        (self.by_ilk.get(ilk), self.ilks.get_mut(ilk))
                    {
                        *art = math::sub(
                            math::add(*art, dart_up_wad.raw()).map_err(overflow)?,
                            dart_down_wad.raw(),
                        )
                        .map_err(overflow)?;
                        let debt = math::mul_div_floor(*art, *rate, RAY).map_err(overflow)?;
                        if let Some(p) = self.primes.get_mut(prime) {
                            p.debt_legacy.set(t, debt);
                        }
                    }
                }
                EventKind::Vat(VatEvent::Fold {
                    ilk,
                    rate_delta_ray,
                    ..
                }) if ev.contract == vat => {
                    if let (Some(prime), Some((art, rate))) =
                        (self.by_ilk.get(ilk), self.ilks.get_mut(ilk))
                    {
                        *rate = math::add(*rate, rate_delta_ray.raw()).map_err(overflow)?;
                        let debt = math::mul_div_floor(*art, *rate, RAY).map_err(overflow)?;
                        if let Some(p) = self.primes.get_mut(prime) {
                            p.debt_legacy.set(t, debt);
                        }
                    }
                }
                EventKind::PrimeVault(
                    e @ (PrimeVaultEvent::PrimeDraw { .. }
                    | PrimeVaultEvent::PrimeRepay { .. }
                    | PrimeVaultEvent::WriteDown { .. }),
                ) => {
                    if let Some(p) = self
                        .by_vault
                        .get(&ev.contract)
                        .and_then(|prime| self.primes.get_mut(prime))
                    {
                        match e {
                            PrimeVaultEvent::PrimeDraw { drawn_wad, .. }
                            | PrimeVaultEvent::PrimeRepay { drawn_wad, .. } => {
                                p.vault_drawn = drawn_wad.raw()
                            }
                            PrimeVaultEvent::WriteDown {
                                written_down_wad, ..
                            } => p.vault_written_down = written_down_wad.raw(),
                            _ => {}
                        }
                        let v = math::sub(p.vault_drawn, p.vault_written_down).map_err(overflow)?;
                        p.debt_vault.set(t, v);
                    }
                }
                EventKind::Erc20(TokenEvent::Transfer {
                    from,
                    to,
                    value_wad,
                }) if ev.contract == usds => {
                    for (who, incoming) in [(from, false), (to, true)] {
                        if let Some(prime) = self.by_proxy.get(who) {
                            let p = self.primes.get_mut(prime).unwrap_or_else(|| unreachable!());
                            let cur = p.idle_usds.current();
                            let v = if incoming {
                                math::add(cur, value_wad.raw())
                            } else {
                                math::sub(cur, value_wad.raw())
                            }
                            .map_err(overflow)?;
                            p.idle_usds.set(t, v);
                        }
                    }
                    let payment = match (self.by_proxy.get(from), self.by_proxy.get(to)) {
                        (Some(prime), None) if *to == gen => Some((prime.clone(), Payer::Prime)),
                        (None, Some(prime)) if *from == gen => {
                            Some((prime.clone(), Payer::Generator))
                        }
                        _ => None,
                    };
                    if let Some((prime, payer)) = payment {
                        self.payments.push(PaymentSeen {
                            seq: ev.seq,
                            tx_index: ev.tx_index,
                            at: t,
                            prime,
                            payer,
                            amount_wad: *value_wad,
                        });
                    }
                }
                EventKind::Erc20(TokenEvent::Transfer {
                    from,
                    to,
                    value_wad,
                }) if ev.contract == susds => {
                    for (who, incoming) in [(from, false), (to, true)] {
                        if let Some(prime) = self.by_proxy.get(who) {
                            let p = self.primes.get_mut(prime).unwrap_or_else(|| unreachable!());
                            p.susds_shares = if incoming {
                                math::add(p.susds_shares, value_wad.raw())
                            } else {
                                math::sub(p.susds_shares, value_wad.raw())
                            }
                            .map_err(overflow)?;
                            let v = math::mul_div_floor(p.susds_shares, self.chi, RAY)
                                .map_err(overflow)?;
                            p.idle_susds_value.set(t, v);
                        }
                    }
                }
                EventKind::Savings(laniakea_chain::families::savings::SavingsEvent::Drip {
                    chi_ray,
                    ..
                }) if ev.contract == susds => {
                    self.chi = chi_ray.raw();
                    for p in self.primes.values_mut() {
                        let v =
                            math::mul_div_floor(p.susds_shares, self.chi, RAY).map_err(overflow)?;
                        p.idle_susds_value.set(t, v);
                    }
                }
                _ => {}
            }
            self.cursor = ev.seq + 1;
        }
        Ok(())
    }

    fn view(&self, chain: &dyn Chain, to: Address, q: Query) -> Result<Answer, ReadError> {
        chain.view(to, &q).map_err(|e| ReadError::View {
            what: format!("{q:?} at {to}"),
            reason: format!("{}: {e}", e.code()),
        })
    }

    /// Compares the replayed balances with the chain's views now.
    pub fn verify(&self, chain: &dyn Chain) -> Result<(), ReadError> {
        let d = &self.deployment;
        for p in &d.primes {
            let st = &self.primes[&p.prime];
            let unexpected = |a: Answer| ReadError::View {
                what: p.prime.clone(),
                reason: format!("unexpected answer {a:?}"),
            };
            let debt = match legacy_ilk_id(p)? {
                None => U256::ZERO,
                Some(ilk) => {
                    let ilk = laniakea_chain::call::Ilk(ilk);
                    match self.view(chain, d.vat, Query::Vat(VatView::IlkInfo { ilk }))? {
                        Answer::Vat(VatAnswer::Ilk {
                            art_total, rate, ..
                        }) => math::mul_div_floor(art_total.raw(), rate.raw(), RAY)
                            .map_err(|_| ReadError::Overflow { seq: self.cursor })?,
                        a => return Err(unexpected(a)),
                    }
                }
            };
            let vault = match p.prime_vault {
                None => U256::ZERO,
                Some(v) => {
                    match self.view(chain, v, Query::PrimeVault(PrimeVaultView::Position))? {
                        Answer::PrimeVault(PrimeVaultAnswer::Position(pos)) => {
                            pos.prime_debt_wad.raw()
                        }
                        a => return Err(unexpected(a)),
                    }
                }
            };
            let usds = match self.view(
                chain,
                d.usds,
                Query::Erc20(TokenView::BalanceOf {
                    account: p.alm_proxy,
                }),
            )? {
                Answer::Erc20(TokenAnswer::Balance { balance }) => balance.raw(),
                a => return Err(unexpected(a)),
            };
            let shares = match self.view(
                chain,
                d.susds,
                Query::Savings(SavingsView::Token(TokenView::BalanceOf {
                    account: p.alm_proxy,
                })),
            )? {
                Answer::Savings(SavingsAnswer::Token(TokenAnswer::Balance { balance })) => {
                    balance.raw()
                }
                a => return Err(unexpected(a)),
            };
            for (series, from_log, from_view) in [
                ("debt_legacy", st.debt_legacy.current(), debt),
                ("debt_vault", st.debt_vault.current(), vault),
                ("idle_usds", st.idle_usds.current(), usds),
                ("susds_shares", st.susds_shares, shares),
            ] {
                if from_log != from_view {
                    return Err(ReadError::LogViewMismatch {
                        prime: p.prime.clone(),
                        series,
                        from_log,
                        from_view,
                    });
                }
            }
        }
        Ok(())
    }

    /// A Prime's series cut to a closed window.
    pub fn window(
        &self,
        chain: &dyn Chain,
        prime: &str,
        w: Window,
    ) -> Result<PrimeHistories, ReadError> {
        let now = chain.now();
        if now < w.end {
            return Err(ReadError::WindowOpen {
                start: w.start,
                end: w.end,
                now,
            });
        }
        let p = self
            .primes
            .get(prime)
            .ok_or_else(|| ReadError::UnknownPrime(prime.to_string()))?;
        Ok(PrimeHistories {
            debt_legacy: p.debt_legacy.window(w),
            debt_vault: p.debt_vault.window(w),
            idle_usds: p.idle_usds.window(w),
            idle_susds_value: p.idle_susds_value.window(w),
        })
    }

    /// Any account's balance of USDS (or sUSDS shares, `susds`) cut to a closed window, from
    /// the whole log (a tagged address is not known when the reader is built), cross-checked
    /// against `balanceOf` now.
    pub fn holding(
        &self,
        chain: &dyn Chain,
        susds: bool,
        account: Address,
        w: Window,
    ) -> Result<BalanceHistory, ReadError> {
        let now = chain.now();
        if now < w.end {
            return Err(ReadError::WindowOpen {
                start: w.start,
                end: w.end,
                now,
            });
        }
        let token = if susds {
            self.deployment.susds
        } else {
            self.deployment.usds
        };
        let mut series = Series::default();
        for ev in chain.events_since(0) {
            if ev.contract != token {
                continue;
            }
            if let EventKind::Erc20(TokenEvent::Transfer {
                from,
                to,
                value_wad,
            }) = &ev.kind
            {
                let overflow = |_| ReadError::Overflow { seq: ev.seq };
                let cur = series.current();
                let v = if *to == account && *from != account {
                    math::add(cur, value_wad.raw()).map_err(overflow)?
                } else if *from == account && *to != account {
                    math::sub(cur, value_wad.raw()).map_err(overflow)?
                } else {
                    continue;
                };
                series.set(ev.block_time, v);
            }
        }
        let q = TokenView::BalanceOf { account };
        let view = if susds {
            match self.view(chain, token, Query::Savings(SavingsView::Token(q)))? {
                Answer::Savings(SavingsAnswer::Token(TokenAnswer::Balance { balance })) => {
                    balance.raw()
                }
                a => {
                    return Err(ReadError::View {
                        what: account.to_string(),
                        reason: format!("unexpected answer {a:?}"),
                    })
                }
            }
        } else {
            match self.view(chain, token, Query::Erc20(q))? {
                Answer::Erc20(TokenAnswer::Balance { balance }) => balance.raw(),
                a => {
                    return Err(ReadError::View {
                        what: account.to_string(),
                        reason: format!("unexpected answer {a:?}"),
                    })
                }
            }
        };
        if series.current() != view {
            return Err(ReadError::LogViewMismatch {
                prime: account.to_string(),
                series: "tagged balance",
                from_log: series.current(),
                from_view: view,
            });
        }
        Ok(series.window(w))
    }

    /// Every settlement payment seen so far, in log order.
    pub fn payments(&self) -> &[PaymentSeen] {
        &self.payments
    }
}
