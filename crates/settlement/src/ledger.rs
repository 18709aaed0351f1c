//! A Prime's settlement ledger: statement obligations, payments, penalties, escalation,
//! forgiveness (SPEC §5.4, §8 invariant 9). The model is described in `docs/ledger.md`.
//!
//! Contract:
//! - **Obligations are statements.** [`Ledger::post_statement`] records one posted statement:
//!   its payer, due time, the amount payable (`|total|`) and the penalties it carries. Only
//!   statement obligations are payable: a payment settles the payer's *oldest* open statement
//!   first (by due time, then id); paying more than is open is refused (nothing recorded).
//! - **Penalties accrue on statements.** From the second after the due time the unpaid
//!   remainder of a statement accrues `⌊Σ unpaid·rate_per_hour·seconds / 3600⌋`. The exact
//!   integral `∫ unpaid dt` [wad·s] since the due time is kept and only the cumulative total is
//!   floored (SPEC §5.4 "floored at the end"): a crystallisation books `⌊cumulative⌋ − already
//!   booked` as a [`Penalty`] record, so any schedule of crystallisations books the same total on
//!   an obligation, to the wei, as one crystallisation at the end.
//! - **A penalty is not an obligation of its own.** SPEC §5.4: it "is owed to the counterparty
//!   and is added to the next epoch's obligation". A crystallised penalty is *open* (owed, not
//!   yet payable) until the next statement carries it; payments never match it, so when
//!   penalties are crystallised cannot change which statement a payment settles. Posting a
//!   statement closes each penalty it carries as "carried into statement X" — once: carrying a
//!   penalty twice, carrying an amount other than its open amount, or leaving an open penalty
//!   uncarried is refused. A statement may only be posted once every penalty accrued up to its
//!   posting instant is crystallised, so what it carries does not depend on the crystallisation
//!   schedule either.
//! - **Direction.** A statement's total nets its own lines with every carried penalty, signed by
//!   who owes it (Prime → Generator positive): its *own part* is `±amount − Σ ±carried`. A
//!   penalty carried into a statement paid the other way is settled by netting (set-off).
//! - **Forgiveness** (Core Council) names a penalty record, an amount and a rationale; the
//!   penalty record (`source`, `from`, `to`, `amount_wad`) is never changed. Before the penalty
//!   is carried, forgiveness reduces what is carried; after, it reduces what is still open on
//!   the statement that carried it (at most that statement's open amount: a paid penalty is a
//!   refund, not a forgiveness), and from then on that statement accrues penalty on the smaller
//!   remainder. A penalty settled by set-off cannot be forgiven through the ledger (it would
//!   re-open the counterparty's statement).
//! - **Invariant 9**, per Prime, with every amount signed by direction:
//!   `Σ payments + open + forgiven = Σ obligations + Σ penalties`, where *obligations* are the
//!   statements' own parts (net of what they carry) and *open* is what is still owed on
//!   statements plus the open, not yet carried penalties. Each penalty wei is counted once, as a
//!   penalty. [`Ledger::check_invariant_9`] recomputes it from the records (payments and
//!   forgiveness as recorded, not as applied) and checks that carried penalties and the
//!   statements that carry them agree one to one.
//! - Events are applied in non-decreasing time; an earlier one is refused. A refused event
//!   changes nothing.

use crate::amount::SignedWad;
use crate::calendar::{EpochId, Window};
use crate::integral::BalanceHistory;
use alloy_primitives::{U256, U512};
use laniakea_units::{math, Timestamp, Wad, WadSeconds, WAD};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

/// A statement obligation's id (1, 2, … in posting order).
pub type ObligationId = u64;
/// A penalty record's id (1, 2, … in crystallisation order; its own sequence).
pub type PenaltyId = u64;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    #[error(
        "payment of {amount} by {payer:?} exceeds the open statement obligations of that payer ({open}); penalties are paid through the statement that carries them"
    )]
    Overpayment {
        payer: Payer,
        amount: Wad,
        open: Wad,
    },
    #[error("event at {at} is before the ledger's latest event at {latest}; events must be in time order")]
    OutOfOrder { at: Timestamp, latest: Timestamp },
    #[error("no obligation {0}")]
    UnknownObligation(ObligationId),
    #[error("no penalty {0}")]
    UnknownPenalty(PenaltyId),
    #[error("forgiving {amount} of penalty {id} exceeds what can be forgiven of it ({open})")]
    ForgiveTooMuch {
        id: PenaltyId,
        amount: Wad,
        open: Wad,
    },
    #[error("penalty {penalty} was settled by netting against statement {statement} (paid the other way); forgiving it would re-open that statement: post the refund as an obligation instead")]
    ForgiveSetOff {
        penalty: PenaltyId,
        statement: ObligationId,
    },
    #[error("forgiveness needs a rationale")]
    NoRationale,
    #[error("a zero amount is not a payment or forgiveness")]
    ZeroAmount,
    #[error("penalty rate {0} per hour is above 100% per hour")]
    RateTooHigh(Wad),
    #[error("carried penalty {penalty} is listed twice in one statement: it would be owed twice")]
    CarriedTwice { penalty: PenaltyId },
    #[error("penalty {penalty} was already carried into statement {statement} (epoch {epoch}): it would be owed twice")]
    AlreadyCarried {
        penalty: PenaltyId,
        statement: ObligationId,
        epoch: EpochId,
    },
    #[error("penalty {penalty} is carried as {carried} but {open} of it is open; a penalty is carried whole, at its open amount")]
    CarriedAmountMismatch {
        penalty: PenaltyId,
        carried: Wad,
        open: Wad,
    },
    #[error("open penalty {penalty} ({open}) is not carried; SPEC §5.4 adds every open penalty to the next statement")]
    PenaltyNotCarried { penalty: PenaltyId, open: Wad },
    #[error("obligation {obligation} has {pending} of penalty accrued up to {as_of} and not crystallised; crystallise as of the posting instant before posting a statement")]
    NotCrystallised {
        obligation: ObligationId,
        pending: Wad,
        as_of: Timestamp,
    },
    #[error("arithmetic overflow")]
    Overflow,
}

/// Who owes an obligation or a penalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payer {
    #[default]
    Prime,
    Generator,
}

impl Payer {
    /// Whether the Prime owes it (serde's skip test for the default).
    pub fn is_prime(&self) -> bool {
        *self == Payer::Prime
    }
    /// `amount` signed by direction: Prime → Generator positive.
    pub fn signed(self, amount: Wad) -> SignedWad {
        match self {
            Payer::Prime => SignedWad::positive(amount.raw()),
            Payer::Generator => SignedWad::negative(amount.raw()),
        }
    }
}

/// One penalty carried into a statement, at its open amount when carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Carried {
    pub penalty: PenaltyId,
    /// Who owes the penalty: the same payer adds to the statement, the other one nets.
    pub payer: Payer,
    pub amount_wad: Wad,
}

/// A posted statement's obligation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub id: ObligationId,
    pub epoch: EpochId,
    pub payer: Payer,
    pub posted_at: Timestamp,
    pub due: Timestamp,
    /// What the statement makes payable (`|total|`), carried penalties included.
    pub amount_wad: Wad,
    /// The penalties this statement carries (part of `amount_wad`).
    pub carried: Vec<Carried>,
    pub paid_wad: Wad,
    /// Carried penalty forgiven after it was carried (reduces what is open here).
    pub forgiven_wad: Wad,
    /// Penalty has been crystallised up to here (starts at `due`).
    #[serde(skip)]
    accrued_until: Timestamp,
    /// Exact `∫ unpaid dt` over `[due, accrued_until)` [wad·s]: the penalty's numerator, kept
    /// unrounded so only the cumulative total is ever floored.
    #[serde(skip)]
    penalty_integral: WadSeconds,
    /// Σ of the penalty records booked on this obligation so far [wad].
    #[serde(skip)]
    penalty_booked: U256,
    /// Unpaid amount over time (changes at each payment/forgiveness).
    #[serde(skip)]
    unpaid: BalanceHistory,
}

impl Obligation {
    /// What is still owed on this statement.
    pub fn open_wad(&self) -> Wad {
        Wad::from_raw(self.amount_wad.raw() - self.paid_wad.raw() - self.forgiven_wad.raw())
    }
    /// The statement's own part (its lines, net of the penalties it carries), signed by
    /// direction (Prime → Generator positive).
    pub fn own_part(&self) -> Result<SignedWad, LedgerError> {
        self.carried
            .iter()
            .try_fold(self.payer.signed(self.amount_wad), |a, c| {
                a.checked_sub(c.payer.signed(c.amount_wad))
            })
            .ok_or(LedgerError::Overflow)
    }
    fn set_unpaid(&mut self, at: Timestamp) {
        let open = self.open_wad().raw();
        self.unpaid.set_from(at, open);
    }
}

/// Where a penalty went when a statement carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CarriedInto {
    pub statement: ObligationId,
    pub epoch: EpochId,
    pub at: Timestamp,
    /// The penalty's open amount when carried (`amount − forgiven before`).
    pub amount_wad: Wad,
}

/// A crystallised penalty on obligation `source` for `[from, to)`:
/// `⌊cumulative at to⌋ − ⌊cumulative at from⌋`, so it includes any sub-wei remainder accrued
/// before `from` and not yet booked. `source`, `from`, `to` and `amount_wad` never change;
/// the other fields record what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Penalty {
    pub id: PenaltyId,
    pub source: ObligationId,
    /// Who owes it (the source obligation's payer); owed to the counterparty.
    pub payer: Payer,
    pub from: Timestamp,
    pub to: Timestamp,
    pub amount_wad: Wad,
    /// Forgiven before it was carried.
    pub forgiven_before_carry_wad: Wad,
    /// The statement that carried it, once carried.
    pub carried_into: Option<CarriedInto>,
    /// Forgiven after it was carried (taken off the carrying statement's open amount).
    pub forgiven_after_carry_wad: Wad,
}

impl Penalty {
    /// Owed and not yet carried (zero once carried: it is then owed through the statement).
    pub fn open_wad(&self) -> Wad {
        match self.carried_into {
            Some(_) => Wad::ZERO,
            None => Wad::from_raw(self.amount_wad.raw() - self.forgiven_before_carry_wad.raw()),
        }
    }
    pub fn forgiven_wad(&self) -> Wad {
        Wad::from_raw(self.forgiven_before_carry_wad.raw() + self.forgiven_after_carry_wad.raw())
    }
}

/// What crystallising an obligation's penalty at some instant gives.
struct Accrual {
    /// Exact `∫ unpaid dt` over `[due, as_of)`.
    integral: WadSeconds,
    /// `⌊integral·rate / (3600·1e18)⌋`: everything booked once this accrual is.
    total: U256,
    /// `total − already booked`.
    new_penalty: U256,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub at: Timestamp,
    pub payer: Payer,
    pub amount_wad: Wad,
    /// How it was matched, oldest statement first.
    pub applied: Vec<(ObligationId, Wad)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forgiveness {
    pub at: Timestamp,
    pub penalty: PenaltyId,
    pub amount_wad: Wad,
    pub rationale: String,
    /// The statement whose open amount it reduced (forgiveness after the penalty was carried).
    pub on_statement: Option<ObligationId>,
}

/// Lateness thresholds (SPEC §5.4 defaults: 24 h restriction, 72 h governance review).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    pub restrict_after_s: u64,
    pub review_after_s: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            restrict_after_s: 24 * 3600,
            review_after_s: 72 * 3600,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Escalation {
    Current,
    Late {
        obligation: ObligationId,
        late_s: u64,
    },
    /// Alert plus restriction: the Prime's vault draw limit goes to 0 until paid.
    Restricted {
        obligation: ObligationId,
        late_s: u64,
    },
    GovernanceReview {
        obligation: ObligationId,
        late_s: u64,
    },
}

/// The terms of invariant 9, each signed by direction (Prime → Generator positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Σ statements' own parts (net of the penalties they carry).
    pub obligations_wad: SignedWad,
    /// Σ penalty records.
    pub penalties_wad: SignedWad,
    pub payments_wad: SignedWad,
    /// Open on statements + open penalties not yet carried.
    pub open_wad: SignedWad,
    pub forgiven_wad: SignedWad,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pub prime: String,
    pub penalty_rate_per_hour_wad: Wad,
    pub thresholds: Thresholds,
    /// Posted statements, in posting order (`id = index + 1`).
    pub obligations: Vec<Obligation>,
    /// Crystallised penalties, in crystallisation order (`id = index + 1`).
    pub penalties: Vec<Penalty>,
    pub payments: Vec<Payment>,
    pub forgiveness: Vec<Forgiveness>,
    latest: Timestamp,
}

fn add(a: U256, b: U256) -> Result<U256, LedgerError> {
    math::add(a, b).map_err(|_| LedgerError::Overflow)
}

fn add_signed(a: SignedWad, b: SignedWad) -> Result<SignedWad, LedgerError> {
    a.checked_add(b).ok_or(LedgerError::Overflow)
}

impl Ledger {
    pub fn new(
        prime: impl Into<String>,
        penalty_rate_per_hour_wad: Wad,
        thresholds: Thresholds,
    ) -> Result<Ledger, LedgerError> {
        if penalty_rate_per_hour_wad.raw() > WAD {
            return Err(LedgerError::RateTooHigh(penalty_rate_per_hour_wad));
        }
        Ok(Ledger {
            prime: prime.into(),
            penalty_rate_per_hour_wad,
            thresholds,
            obligations: Vec::new(),
            penalties: Vec::new(),
            payments: Vec::new(),
            forgiveness: Vec::new(),
            latest: Timestamp(0),
        })
    }

    fn check_order(&self, at: Timestamp) -> Result<(), LedgerError> {
        if at < self.latest {
            return Err(LedgerError::OutOfOrder {
                at,
                latest: self.latest,
            });
        }
        Ok(())
    }

    /// Records a posted statement: `amount` payable by `payer` at `due` (`|total|`), carrying
    /// `carried` — every open penalty as `(id, open amount)`, e.g. from
    /// [`Ledger::penalties_to_carry`]. Refused, with nothing recorded, if a penalty is unknown,
    /// listed twice, already carried, carried at another amount than its open amount, or left
    /// out while open, or if a penalty accrued up to `posted_at` is not yet crystallised.
    pub fn post_statement(
        &mut self,
        posted_at: Timestamp,
        epoch: EpochId,
        payer: Payer,
        due: Timestamp,
        amount: Wad,
        carried: &[(PenaltyId, Wad)],
    ) -> Result<ObligationId, LedgerError> {
        self.check_order(posted_at)?;
        for o in &self.obligations {
            let pending = self.accrual(o, posted_at)?.new_penalty;
            if !pending.is_zero() {
                return Err(LedgerError::NotCrystallised {
                    obligation: o.id,
                    pending: Wad::from_raw(pending),
                    as_of: posted_at,
                });
            }
        }
        let mut seen = BTreeSet::new();
        let mut lines = Vec::with_capacity(carried.len());
        for &(id, amount_wad) in carried {
            let p = self.penalty(id)?;
            if !seen.insert(id) {
                return Err(LedgerError::CarriedTwice { penalty: id });
            }
            if let Some(c) = p.carried_into {
                return Err(LedgerError::AlreadyCarried {
                    penalty: id,
                    statement: c.statement,
                    epoch: c.epoch,
                });
            }
            if amount_wad != p.open_wad() || amount_wad.is_zero() {
                return Err(LedgerError::CarriedAmountMismatch {
                    penalty: id,
                    carried: amount_wad,
                    open: p.open_wad(),
                });
            }
            lines.push(Carried {
                penalty: id,
                payer: p.payer,
                amount_wad,
            });
        }
        if let Some(p) = self
            .penalties
            .iter()
            .find(|p| !p.open_wad().is_zero() && !seen.contains(&p.id))
        {
            return Err(LedgerError::PenaltyNotCarried {
                penalty: p.id,
                open: p.open_wad(),
            });
        }
        let id = self.obligations.len() as ObligationId + 1;
        let obligation = Obligation {
            id,
            epoch,
            payer,
            posted_at,
            due,
            amount_wad: amount,
            carried: lines,
            paid_wad: Wad::ZERO,
            forgiven_wad: Wad::ZERO,
            accrued_until: due,
            penalty_integral: WadSeconds::ZERO,
            penalty_booked: U256::ZERO,
            unpaid: BalanceHistory::constant(amount.raw()),
        };
        // The own part must be representable (it is summed by invariant 9).
        obligation.own_part()?;
        for c in &obligation.carried {
            let p = &mut self.penalties[(c.penalty - 1) as usize];
            p.carried_into = Some(CarriedInto {
                statement: id,
                epoch,
                at: posted_at,
                amount_wad: c.amount_wad,
            });
        }
        self.obligations.push(obligation);
        self.latest = posted_at;
        Ok(id)
    }

    pub fn obligation(&self, id: ObligationId) -> Result<&Obligation, LedgerError> {
        self.obligations
            .get((id as usize).wrapping_sub(1))
            .ok_or(LedgerError::UnknownObligation(id))
    }

    pub fn penalty(&self, id: PenaltyId) -> Result<&Penalty, LedgerError> {
        self.penalties
            .get((id as usize).wrapping_sub(1))
            .ok_or(LedgerError::UnknownPenalty(id))
    }

    fn open_order(&self, payer: Payer) -> Vec<usize> {
        let mut v: Vec<usize> = (0..self.obligations.len())
            .filter(|i| {
                self.obligations[*i].payer == payer && !self.obligations[*i].open_wad().is_zero()
            })
            .collect();
        v.sort_by_key(|i| (self.obligations[*i].due, self.obligations[*i].id));
        v
    }

    /// Applies a payment to the payer's oldest open statements. Refused whole if it exceeds
    /// what is open on them (penalties not yet carried are not payable).
    pub fn pay(
        &mut self,
        at: Timestamp,
        payer: Payer,
        amount: Wad,
    ) -> Result<Vec<(ObligationId, Wad)>, LedgerError> {
        if amount.is_zero() {
            return Err(LedgerError::ZeroAmount);
        }
        let order = self.open_order(payer);
        let open = order.iter().try_fold(U256::ZERO, |a, i| {
            add(a, self.obligations[*i].open_wad().raw())
        })?;
        if amount.raw() > open {
            return Err(LedgerError::Overpayment {
                payer,
                amount,
                open: Wad::from_raw(open),
            });
        }
        self.check_order(at)?;
        self.latest = at;
        let mut left = amount.raw();
        let mut applied = Vec::new();
        for i in order {
            if left.is_zero() {
                break;
            }
            let o = &mut self.obligations[i];
            let take = left.min(o.open_wad().raw());
            o.paid_wad = Wad::from_raw(o.paid_wad.raw() + take);
            o.set_unpaid(at);
            left -= take;
            applied.push((o.id, Wad::from_raw(take)));
        }
        self.payments.push(Payment {
            at,
            payer,
            amount_wad: amount,
            applied: applied.clone(),
        });
        Ok(applied)
    }

    /// The exact penalty numerator of `o` up to `as_of` and the penalty not yet booked.
    fn accrual(&self, o: &Obligation, as_of: Timestamp) -> Result<Accrual, LedgerError> {
        let from = o.accrued_until.max(o.due);
        let integral = if as_of <= from {
            o.penalty_integral
        } else {
            let more = o
                .unpaid
                .integral(Window {
                    start: from,
                    end: as_of,
                })
                .map_err(|_| LedgerError::Overflow)?;
            o.penalty_integral
                .checked_add(more)
                .map_err(|_| LedgerError::Overflow)?
        };
        let den = U256::from(3600u32) * WAD;
        let total = math::mul_div_floor(integral.raw(), self.penalty_rate_per_hour_wad.raw(), den)
            .map_err(|_| LedgerError::Overflow)?;
        assert!(
            total >= o.penalty_booked,
            "penalty of obligation {} went down: {} booked, {} cumulative",
            o.id,
            o.penalty_booked,
            total
        );
        Ok(Accrual {
            integral,
            total,
            new_penalty: total - o.penalty_booked,
        })
    }

    /// Penalty accrued on obligation `id` up to `as_of` and not yet crystallised:
    /// `⌊∫ unpaid dt · rate_per_hour / (3600·1e18)⌋` over `[due, as_of)`, minus what earlier
    /// crystallisations booked. Zero at or before the due instant.
    pub fn penalty_accrued(&self, id: ObligationId, as_of: Timestamp) -> Result<Wad, LedgerError> {
        let o = self.obligation(id)?;
        Ok(Wad::from_raw(self.accrual(o, as_of)?.new_penalty))
    }

    /// Σ of the penalty records booked on obligation `source` [wad].
    pub fn penalty_booked(&self, source: ObligationId) -> Result<Wad, LedgerError> {
        Ok(Wad::from_raw(self.obligation(source)?.penalty_booked))
    }

    /// Books every penalty accrued up to `as_of` as penalty records (open, to be carried by the
    /// next statement). Returns the new records' ids. Idempotent per instant; the total booked
    /// does not depend on how often this is called.
    pub fn crystallize_penalties(
        &mut self,
        as_of: Timestamp,
    ) -> Result<Vec<PenaltyId>, LedgerError> {
        self.check_order(as_of)?;
        // Compute every penalty first, then apply: an error leaves the ledger untouched.
        let mut due_now = Vec::new();
        for o in &self.obligations {
            if as_of > o.due {
                due_now.push((o.id, o.accrued_until.max(o.due), self.accrual(o, as_of)?));
            }
        }
        self.latest = as_of;
        let mut created = Vec::new();
        for (id, from, a) in due_now {
            let o = &mut self.obligations[(id - 1) as usize];
            o.accrued_until = as_of;
            o.penalty_integral = a.integral;
            o.penalty_booked = a.total;
            let payer = o.payer;
            if !a.new_penalty.is_zero() {
                let pid = self.penalties.len() as PenaltyId + 1;
                self.penalties.push(Penalty {
                    id: pid,
                    source: id,
                    payer,
                    from,
                    to: as_of,
                    amount_wad: Wad::from_raw(a.new_penalty),
                    forgiven_before_carry_wad: Wad::ZERO,
                    carried_into: None,
                    forgiven_after_carry_wad: Wad::ZERO,
                });
                created.push(pid);
            }
        }
        Ok(created)
    }

    /// What of penalty `id` can still be forgiven: its open amount before it is carried; after,
    /// the carried amount not yet forgiven, at most what is open on the carrying statement.
    pub fn forgivable(&self, id: PenaltyId) -> Result<Wad, LedgerError> {
        let p = self.penalty(id)?;
        Ok(match p.carried_into {
            None => p.open_wad(),
            Some(c) => {
                let s = self.obligation(c.statement)?;
                if s.payer != p.payer {
                    Wad::ZERO
                } else {
                    Wad::from_raw(
                        (c.amount_wad.raw() - p.forgiven_after_carry_wad.raw())
                            .min(s.open_wad().raw()),
                    )
                }
            }
        })
    }

    /// Core Council forgiveness of (part of) penalty record `penalty`.
    pub fn forgive(
        &mut self,
        at: Timestamp,
        penalty: PenaltyId,
        amount: Wad,
        rationale: &str,
    ) -> Result<(), LedgerError> {
        if rationale.trim().is_empty() {
            return Err(LedgerError::NoRationale);
        }
        if amount.is_zero() {
            return Err(LedgerError::ZeroAmount);
        }
        let p = self.penalty(penalty)?;
        if let Some(c) = p.carried_into {
            if self.obligation(c.statement)?.payer != p.payer {
                return Err(LedgerError::ForgiveSetOff {
                    penalty,
                    statement: c.statement,
                });
            }
        }
        let open = self.forgivable(penalty)?;
        if amount > open {
            return Err(LedgerError::ForgiveTooMuch {
                id: penalty,
                amount,
                open,
            });
        }
        self.check_order(at)?;
        self.latest = at;
        let p = &mut self.penalties[(penalty - 1) as usize];
        let on_statement = match p.carried_into {
            None => {
                p.forgiven_before_carry_wad =
                    Wad::from_raw(p.forgiven_before_carry_wad.raw() + amount.raw());
                None
            }
            Some(c) => {
                p.forgiven_after_carry_wad =
                    Wad::from_raw(p.forgiven_after_carry_wad.raw() + amount.raw());
                let s = &mut self.obligations[(c.statement - 1) as usize];
                s.forgiven_wad = Wad::from_raw(s.forgiven_wad.raw() + amount.raw());
                s.set_unpaid(at);
                Some(c.statement)
            }
        };
        self.forgiveness.push(Forgiveness {
            at,
            penalty,
            amount_wad: amount,
            rationale: rationale.to_string(),
            on_statement,
        });
        Ok(())
    }

    /// The escalation state from the oldest overdue open statement.
    pub fn escalation(&self, as_of: Timestamp) -> Escalation {
        let oldest = self
            .obligations
            .iter()
            .filter(|o| !o.open_wad().is_zero() && as_of > o.due)
            .min_by_key(|o| (o.due, o.id));
        match oldest {
            None => Escalation::Current,
            Some(o) => {
                let late_s = as_of.0 - o.due.0;
                let obligation = o.id;
                if late_s > self.thresholds.review_after_s {
                    Escalation::GovernanceReview { obligation, late_s }
                } else if late_s > self.thresholds.restrict_after_s {
                    Escalation::Restricted { obligation, late_s }
                } else {
                    Escalation::Late { obligation, late_s }
                }
            }
        }
    }

    /// Open (not yet carried) penalties owed by `payer`, oldest first.
    pub fn open_penalties(&self, payer: Payer) -> Vec<(PenaltyId, Wad)> {
        self.penalties
            .iter()
            .filter(|p| p.payer == payer && !p.open_wad().is_zero())
            .map(|p| (p.id, p.open_wad()))
            .collect()
    }

    /// Every open penalty, both payers, oldest first: exactly what the next statement must
    /// carry (pass it to [`Ledger::post_statement`]). Its signed sum
    /// ([`Ledger::carried_total`]) is the statement's carried-penalties line.
    pub fn penalties_to_carry(&self) -> Vec<(PenaltyId, Wad)> {
        self.penalties
            .iter()
            .filter(|p| !p.open_wad().is_zero())
            .map(|p| (p.id, p.open_wad()))
            .collect()
    }

    /// Σ of the open penalties, signed by direction (Prime → Generator positive).
    pub fn carried_total(&self) -> Result<SignedWad, LedgerError> {
        self.penalties.iter().try_fold(SignedWad::ZERO, |a, p| {
            add_signed(a, p.payer.signed(p.open_wad()))
        })
    }

    /// What `payer` owes now: open on its statements plus its open penalties not yet carried.
    pub fn owed(&self, payer: Payer) -> Result<Wad, LedgerError> {
        let mut t = U256::ZERO;
        for o in self.obligations.iter().filter(|o| o.payer == payer) {
            t = add(t, o.open_wad().raw())?;
        }
        for p in self.penalties.iter().filter(|p| p.payer == payer) {
            t = add(t, p.open_wad().raw())?;
        }
        Ok(Wad::from_raw(t))
    }

    /// The terms of invariant 9, recomputed from the records (payments and forgiveness as
    /// recorded, not as applied).
    pub fn totals(&self) -> Result<Totals, LedgerError> {
        let mut t = Totals {
            obligations_wad: SignedWad::ZERO,
            penalties_wad: SignedWad::ZERO,
            payments_wad: SignedWad::ZERO,
            open_wad: SignedWad::ZERO,
            forgiven_wad: SignedWad::ZERO,
        };
        for o in &self.obligations {
            t.obligations_wad = add_signed(t.obligations_wad, o.own_part()?)?;
            t.open_wad = add_signed(t.open_wad, o.payer.signed(o.open_wad()))?;
        }
        for p in &self.penalties {
            t.penalties_wad = add_signed(t.penalties_wad, p.payer.signed(p.amount_wad))?;
            t.open_wad = add_signed(t.open_wad, p.payer.signed(p.open_wad()))?;
        }
        for p in &self.payments {
            t.payments_wad = add_signed(t.payments_wad, p.payer.signed(p.amount_wad))?;
        }
        for f in &self.forgiveness {
            let payer = self.penalty(f.penalty)?.payer;
            t.forgiven_wad = add_signed(t.forgiven_wad, payer.signed(f.amount_wad))?;
        }
        Ok(t)
    }

    /// SPEC §8.9: `Σ payments + open + forgiven = Σ obligations + Σ penalties` (signed; see the
    /// module doc), and every carried penalty is carried by exactly the statement it names.
    pub fn check_invariant_9(&self) -> Result<(), String> {
        let mut carriers = std::collections::BTreeMap::new();
        for o in &self.obligations {
            for c in &o.carried {
                if let Some(first) = carriers.insert(c.penalty, o.id) {
                    return Err(format!(
                        "invariant 9 broken for {}: penalty {} carried by statements {first} and {}",
                        self.prime, c.penalty, o.id
                    ));
                }
            }
        }
        for p in &self.penalties {
            let by = p.carried_into.map(|c| c.statement);
            if by != carriers.get(&p.id).copied() {
                return Err(format!(
                    "invariant 9 broken for {}: penalty {} says it is carried by {by:?}, statements say {:?}",
                    self.prime,
                    p.id,
                    carriers.get(&p.id)
                ));
            }
        }
        let t = self.totals().map_err(|e| e.to_string())?;
        // Compare in 512 bits: each side is a sum of up to three signed 256-bit terms, which can
        // leave the 256-bit range at the extremes even when the identity holds. A term moves to
        // the other side when negative, so both sides are sums of magnitudes and cannot overflow.
        let mut lhs = U512::ZERO;
        let mut rhs = U512::ZERO;
        for (term, on_left) in [
            (t.payments_wad, true),
            (t.open_wad, true),
            (t.forgiven_wad, true),
            (t.obligations_wad, false),
            (t.penalties_wad, false),
        ] {
            let m = U512::from(term.magnitude());
            if term.is_negative() != on_left {
                lhs += m;
            } else {
                rhs += m;
            }
        }
        if lhs == rhs {
            Ok(())
        } else {
            Err(format!("invariant 9 broken for {}: payments {} + open {} + forgiven {} != obligations {} + penalties {}", self.prime, t.payments_wad, t.open_wad, t.forgiven_wad, t.obligations_wad, t.penalties_wad))
        }
    }
}
