//! A Prime's settlement ledger: obligations, payments, penalties, escalation, forgiveness
//! (SPEC §5.4).
//!
//! Contract:
//! - A payment settles the *oldest* open obligation of its payer first (by due time, then id);
//!   paying more than is open is refused (nothing recorded), never silently kept.
//! - A payment at the due instant is on time; from the next second the unpaid remainder accrues
//!   a penalty continuously: `⌊Σ unpaid·rate_per_hour·seconds / 3600⌋` over each interval between
//!   partial payments. The exact integral `∫ unpaid dt` [wad·s] since the due time is kept and
//!   only the cumulative total is floored (SPEC §5.4 "floored at the end"): a crystallisation
//!   books `⌊cumulative⌋ − already booked`, so for a given history of what is unpaid any
//!   schedule of crystallisations books the same penalty on that obligation, to the wei, as one
//!   crystallisation at the end. Crystallised penalties become penalty obligations of the same
//!   payer, owed to the counterparty and carried into a later statement; being open obligations,
//!   they take part in oldest-first matching, so *when* they are crystallised can change which
//!   obligation a later payment settles, and with it other obligations' penalties (test
//!   `review_total_penalty_of_a_prime_is_independent_of_when_penalties_are_crystallised`).
//! - Forgiveness (Core Council) names a penalty obligation and an amount ≤ its open part; the
//!   penalty record itself is never changed.
//! - Invariant 9: `Σ payments + open + forgiven = Σ obligations + Σ penalties`, checked by
//!   [`Ledger::check_invariant_9`] from the records alone.
//! - Events are applied in non-decreasing time; an earlier one is refused.

use crate::calendar::{EpochId, Window};
use crate::integral::BalanceHistory;
use alloy_primitives::U256;
use laniakea_units::{math, Timestamp, Wad, WadSeconds, WAD};
use serde::Serialize;
use thiserror::Error;

pub type ObligationId = u64;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    #[error(
        "payment of {amount} by {payer:?} exceeds the open obligations of that payer ({open})"
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
    #[error("obligation {0} is not a penalty; only penalties can be forgiven")]
    NotAPenalty(ObligationId),
    #[error("forgiving {amount} of penalty {id} exceeds its open amount {open}")]
    ForgiveTooMuch {
        id: ObligationId,
        amount: Wad,
        open: Wad,
    },
    #[error("forgiveness needs a rationale")]
    NoRationale,
    #[error("a zero amount is not a payment or forgiveness")]
    ZeroAmount,
    #[error("penalty rate {0} per hour is above 100% per hour")]
    RateTooHigh(Wad),
    #[error("arithmetic overflow")]
    Overflow,
}

/// Who owes an obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payer {
    Prime,
    Generator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ObligationKind {
    Statement,
    /// Penalty on `source` booked for `[from, to)`: `⌊cumulative at to⌋ − ⌊cumulative at from⌋`,
    /// so it includes any sub-wei remainder accrued before `from` and not yet booked.
    Penalty {
        source: ObligationId,
        from: Timestamp,
        to: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub id: ObligationId,
    pub epoch: EpochId,
    pub kind: ObligationKind,
    pub payer: Payer,
    pub due: Timestamp,
    pub amount_wad: Wad,
    pub paid_wad: Wad,
    pub forgiven_wad: Wad,
    /// Penalty has been crystallised up to here (starts at `due`).
    #[serde(skip)]
    accrued_until: Timestamp,
    /// Exact `∫ unpaid dt` over `[due, accrued_until)` [wad·s]: the penalty's numerator, kept
    /// unrounded so only the cumulative total is ever floored.
    #[serde(skip)]
    penalty_integral: WadSeconds,
    /// Σ of the penalty obligations booked on this obligation so far [wad].
    #[serde(skip)]
    penalty_booked: U256,
    /// Unpaid amount over time (changes at each payment/forgiveness).
    #[serde(skip)]
    unpaid: BalanceHistory,
}

impl Obligation {
    pub fn open_wad(&self) -> Wad {
        Wad(self.amount_wad.0 - self.paid_wad.0 - self.forgiven_wad.0)
    }
    fn set_unpaid(&mut self, at: Timestamp) {
        let open = self.open_wad().0;
        self.unpaid.set_from(at, open);
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
    /// How it was matched, oldest obligation first.
    pub applied: Vec<(ObligationId, Wad)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forgiveness {
    pub at: Timestamp,
    pub penalty: ObligationId,
    pub amount_wad: Wad,
    pub rationale: String,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub obligations_wad: Wad,
    pub penalties_wad: Wad,
    pub payments_wad: Wad,
    pub open_wad: Wad,
    pub forgiven_wad: Wad,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pub prime: String,
    pub penalty_rate_per_hour_wad: Wad,
    pub thresholds: Thresholds,
    pub obligations: Vec<Obligation>,
    pub payments: Vec<Payment>,
    pub forgiveness: Vec<Forgiveness>,
    latest: Timestamp,
}

impl Ledger {
    pub fn new(
        prime: impl Into<String>,
        penalty_rate_per_hour_wad: Wad,
        thresholds: Thresholds,
    ) -> Result<Ledger, LedgerError> {
        if penalty_rate_per_hour_wad.0 > WAD {
            return Err(LedgerError::RateTooHigh(penalty_rate_per_hour_wad));
        }
        Ok(Ledger {
            prime: prime.into(),
            penalty_rate_per_hour_wad,
            thresholds,
            obligations: Vec::new(),
            payments: Vec::new(),
            forgiveness: Vec::new(),
            latest: Timestamp(0),
        })
    }

    fn advance(&mut self, at: Timestamp) -> Result<(), LedgerError> {
        if at < self.latest {
            return Err(LedgerError::OutOfOrder {
                at,
                latest: self.latest,
            });
        }
        self.latest = at;
        Ok(())
    }

    fn push(
        &mut self,
        epoch: EpochId,
        kind: ObligationKind,
        payer: Payer,
        due: Timestamp,
        amount: Wad,
    ) -> ObligationId {
        let id = self.obligations.len() as ObligationId + 1;
        self.obligations.push(Obligation {
            id,
            epoch,
            kind,
            payer,
            due,
            amount_wad: amount,
            paid_wad: Wad::ZERO,
            forgiven_wad: Wad::ZERO,
            accrued_until: due,
            penalty_integral: WadSeconds::ZERO,
            penalty_booked: U256::ZERO,
            unpaid: BalanceHistory::constant(amount.0),
        });
        id
    }

    /// Records a statement's obligation (posted at `posted_at`, due at `due`).
    pub fn add_obligation(
        &mut self,
        posted_at: Timestamp,
        epoch: EpochId,
        payer: Payer,
        due: Timestamp,
        amount: Wad,
    ) -> Result<ObligationId, LedgerError> {
        self.advance(posted_at)?;
        Ok(self.push(epoch, ObligationKind::Statement, payer, due, amount))
    }

    pub fn obligation(&self, id: ObligationId) -> Result<&Obligation, LedgerError> {
        self.obligations
            .get((id as usize).wrapping_sub(1))
            .ok_or(LedgerError::UnknownObligation(id))
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

    /// Applies a payment to the payer's oldest open obligations. Refused whole if it exceeds
    /// what is open.
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
        let open = order
            .iter()
            .try_fold(U256::ZERO, |a, i| {
                math::add(a, self.obligations[*i].open_wad().0)
            })
            .map_err(|_| LedgerError::Overflow)?;
        if amount.0 > open {
            return Err(LedgerError::Overpayment {
                payer,
                amount,
                open: Wad(open),
            });
        }
        self.advance(at)?;
        let mut left = amount.0;
        let mut applied = Vec::new();
        for i in order {
            if left.is_zero() {
                break;
            }
            let o = &mut self.obligations[i];
            let take = left.min(o.open_wad().0);
            o.paid_wad = Wad(o.paid_wad.0 + take);
            o.set_unpaid(at);
            left -= take;
            applied.push((o.id, Wad(take)));
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
        let total = math::mul_div_floor(integral.raw(), self.penalty_rate_per_hour_wad.0, den)
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
        Ok(Wad(self.accrual(o, as_of)?.new_penalty))
    }

    /// Turns every penalty accrued up to `as_of` into penalty obligations owed in `carry_epoch`
    /// (due at `carry_due`). Returns the new penalty obligations' ids. Idempotent per instant;
    /// the total booked does not depend on how often this is called.
    pub fn crystallize_penalties(
        &mut self,
        as_of: Timestamp,
        carry_epoch: EpochId,
        carry_due: Timestamp,
    ) -> Result<Vec<ObligationId>, LedgerError> {
        if as_of < self.latest {
            return Err(LedgerError::OutOfOrder {
                at: as_of,
                latest: self.latest,
            });
        }
        // Compute every penalty first, then apply: an error leaves the ledger untouched.
        let mut due_now = Vec::new();
        for o in &self.obligations {
            if as_of > o.due {
                due_now.push((
                    o.id,
                    o.accrued_until.max(o.due),
                    o.payer,
                    self.accrual(o, as_of)?,
                ));
            }
        }
        self.latest = as_of;
        let mut created = Vec::new();
        for (id, from, payer, a) in due_now {
            let o = &mut self.obligations[(id - 1) as usize];
            o.accrued_until = as_of;
            o.penalty_integral = a.integral;
            o.penalty_booked = a.total;
            if !a.new_penalty.is_zero() {
                created.push(self.push(
                    carry_epoch,
                    ObligationKind::Penalty {
                        source: id,
                        from,
                        to: as_of,
                    },
                    payer,
                    carry_due,
                    Wad(a.new_penalty),
                ));
            }
        }
        Ok(created)
    }

    /// Core Council forgiveness of (part of) a penalty obligation.
    pub fn forgive(
        &mut self,
        at: Timestamp,
        penalty: ObligationId,
        amount: Wad,
        rationale: &str,
    ) -> Result<(), LedgerError> {
        if rationale.trim().is_empty() {
            return Err(LedgerError::NoRationale);
        }
        if amount.is_zero() {
            return Err(LedgerError::ZeroAmount);
        }
        let o = self.obligation(penalty)?;
        if !matches!(o.kind, ObligationKind::Penalty { .. }) {
            return Err(LedgerError::NotAPenalty(penalty));
        }
        if amount > o.open_wad() {
            return Err(LedgerError::ForgiveTooMuch {
                id: penalty,
                amount,
                open: o.open_wad(),
            });
        }
        self.advance(at)?;
        let o = &mut self.obligations[(penalty - 1) as usize];
        o.forgiven_wad = Wad(o.forgiven_wad.0 + amount.0);
        o.set_unpaid(at);
        self.forgiveness.push(Forgiveness {
            at,
            penalty,
            amount_wad: amount,
            rationale: rationale.to_string(),
        });
        Ok(())
    }

    /// The escalation state from the oldest overdue open obligation.
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

    /// Open penalties of a payer, for the next statement's carried-penalty lines.
    pub fn open_penalties(&self, payer: Payer) -> Vec<(ObligationId, Wad)> {
        self.obligations
            .iter()
            .filter(|o| {
                o.payer == payer
                    && matches!(o.kind, ObligationKind::Penalty { .. })
                    && !o.open_wad().is_zero()
            })
            .map(|o| (o.id, o.open_wad()))
            .collect()
    }

    /// Sums recomputed from the records (payments and forgiveness as recorded, not as applied).
    pub fn totals(&self) -> Result<Totals, LedgerError> {
        let add = |a: &mut Wad, b: Wad| -> Result<(), LedgerError> {
            a.0 = math::add(a.0, b.0).map_err(|_| LedgerError::Overflow)?;
            Ok(())
        };
        let mut t = Totals {
            obligations_wad: Wad::ZERO,
            penalties_wad: Wad::ZERO,
            payments_wad: Wad::ZERO,
            open_wad: Wad::ZERO,
            forgiven_wad: Wad::ZERO,
        };
        for o in &self.obligations {
            match o.kind {
                ObligationKind::Statement => add(&mut t.obligations_wad, o.amount_wad)?,
                ObligationKind::Penalty { .. } => add(&mut t.penalties_wad, o.amount_wad)?,
            }
            add(&mut t.open_wad, o.open_wad())?;
        }
        for p in &self.payments {
            add(&mut t.payments_wad, p.amount_wad)?;
        }
        for f in &self.forgiveness {
            add(&mut t.forgiven_wad, f.amount_wad)?;
        }
        Ok(t)
    }

    /// SPEC §8.9: `Σ payments + open + forgiven = Σ obligations + Σ penalties`.
    pub fn check_invariant_9(&self) -> Result<(), String> {
        let t = self.totals().map_err(|e| e.to_string())?;
        let lhs = t
            .payments_wad
            .0
            .checked_add(t.open_wad.0)
            .and_then(|x| x.checked_add(t.forgiven_wad.0));
        let rhs = t.obligations_wad.0.checked_add(t.penalties_wad.0);
        if lhs.is_some() && lhs == rhs {
            Ok(())
        } else {
            Err(format!("invariant 9 broken for {}: payments {} + open {} + forgiven {} != obligations {} + penalties {}", self.prime, t.payments_wad, t.open_wad, t.forgiven_wad, t.obligations_wad, t.penalties_wad))
        }
    }
}
