//! The thin adapter between the operators and `laniakea_settlement::ledger::Ledger`: one
//! Prime's book of obligations, payments, penalties and forgiveness, rebuilt from scratch from
//! what is on the chain (payments) and in the Synome (statements, forgiveness) — so it is never
//! stored and never drifts.
//!
//! Contract: the only place the operators touch the `Ledger` API. Events are applied in time
//! order; at one instant statements (posted at the lock) come first, then payments (a payment at
//! 16:00:00 is on time), then the crystallisation of penalties at an executed epoch's Moment of
//! Settlement (carried to the next executed epoch, due at its Moment of Settlement), then
//! forgiveness. Carried penalties: with today's `Ledger` a crystallised penalty is its own
//! obligation (owed once, matched oldest first), so [`Book::carried_into`] returns nothing and
//! statements show no `carried_penalties`; when the `Ledger` carries penalties into the next
//! statement's obligation instead, this module is the one to change.

use crate::reader::PaymentSeen;
use laniakea_settlement::calendar::Calendar;
use laniakea_settlement::ledger::{
    Escalation, Ledger, LedgerError, Obligation, ObligationId, ObligationKind, Payer, Thresholds,
};
use laniakea_settlement::statement::CarriedPenalty;
use laniakea_settlement::EpochId;
use laniakea_units::{Timestamp, Wad};

/// A posted statement's obligation, as read back from the Synome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedStatement {
    pub epoch: EpochId,
    pub posted_at: Timestamp,
    pub payer: Payer,
    pub amount_wad: Wad,
}

/// A forgiveness as read back from the Synome, resolved to a penalty obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedForgiveness {
    pub at: Timestamp,
    pub penalty: ObligationId,
    pub amount_wad: Wad,
    pub rationale: String,
}

/// What a book is rebuilt from: statements and forgiveness from the Synome, payments from the
/// chain.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    pub statements: &'a [PostedStatement],
    pub payments: &'a [PaymentSeen],
    pub forgiveness: &'a [PostedForgiveness],
}

/// What applying a payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub payment: PaymentSeen,
    pub parts: Vec<(ObligationId, Wad)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{prime}: {what}: {source}")]
pub struct BookError {
    pub prime: String,
    pub what: String,
    #[source]
    pub source: LedgerError,
}

/// One Prime's book.
#[derive(Debug, Clone)]
pub struct Book {
    pub prime: String,
    pub ledger: Ledger,
    pub applied: Vec<Applied>,
}

enum Ev<'a> {
    Statement(&'a PostedStatement),
    Payment(&'a PaymentSeen),
    Crystallise { carry: EpochId },
    Forgive(&'a PostedForgiveness),
}

impl Book {
    /// Rebuilds the book as of `as_of` from its statements, payments and forgiveness.
    pub fn rebuild(
        prime: &str,
        penalty_rate_per_hour_wad: Wad,
        thresholds: Thresholds,
        calendar: &Calendar,
        src: Sources<'_>,
        as_of: Timestamp,
    ) -> Result<Book, BookError> {
        let Sources {
            statements,
            payments,
            forgiveness,
        } = src;
        let err = |what: String| {
            move |source| BookError {
                prime: prime.to_string(),
                what,
                source,
            }
        };
        let mut ledger = Ledger::new(prime, penalty_rate_per_hour_wad, thresholds)
            .map_err(err("penalty rate".into()))?;
        let mut evs: Vec<(Timestamp, u8, Ev)> = Vec::new();
        for s in statements.iter().filter(|s| s.posted_at <= as_of) {
            evs.push((s.posted_at, 0, Ev::Statement(s)));
        }
        for p in payments
            .iter()
            .filter(|p| p.prime == prime && p.at <= as_of)
        {
            evs.push((p.at, 1, Ev::Payment(p)));
        }
        let mut e = calendar.first_epoch();
        while e.moment() <= as_of {
            if !calendar.is_skipped(e) {
                let carry = e.next().ok().and_then(|n| calendar.next_executed(n).ok());
                if let Some(carry) = carry {
                    evs.push((e.moment(), 2, Ev::Crystallise { carry }));
                }
            }
            match e.next() {
                Ok(n) => e = n,
                Err(_) => break,
            }
        }
        for f in forgiveness.iter().filter(|f| f.at <= as_of) {
            evs.push((f.at, 3, Ev::Forgive(f)));
        }
        evs.sort_by_key(|(t, order, _)| (*t, *order));
        let mut applied = Vec::new();
        for (t, _, ev) in evs {
            match ev {
                Ev::Statement(s) => {
                    if !s.amount_wad.is_zero() {
                        ledger
                            .add_obligation(t, s.epoch, s.payer, s.epoch.moment(), s.amount_wad)
                            .map_err(err(format!("statement of {}", s.epoch)))?;
                    }
                }
                Ev::Payment(p) => {
                    let parts = ledger.pay(t, p.payer, p.amount_wad).map_err(err(format!(
                        "payment {} (log seq {})",
                        p.tx_ref(),
                        p.seq
                    )))?;
                    applied.push(Applied {
                        payment: p.clone(),
                        parts,
                    });
                }
                Ev::Crystallise { carry } => {
                    ledger
                        .crystallize_penalties(t, carry, carry.moment())
                        .map_err(err(format!("penalties at {t}")))?;
                }
                Ev::Forgive(f) => {
                    ledger
                        .forgive(t, f.penalty, f.amount_wad, &f.rationale)
                        .map_err(err(format!("forgiveness of obligation {}", f.penalty)))?;
                }
            }
        }
        Ok(Book {
            prime: prime.to_string(),
            ledger,
            applied,
        })
    }

    /// The stable reference of an obligation in records: `<prime>#<id>`.
    pub fn obligation_ref(&self, id: ObligationId) -> String {
        format!("{}#{id}", self.prime)
    }

    /// Penalty obligations booked so far.
    pub fn penalties(&self) -> impl Iterator<Item = &Obligation> {
        self.ledger
            .obligations
            .iter()
            .filter(|o| matches!(o.kind, ObligationKind::Penalty { .. }))
    }

    /// Penalties carried into `epoch`'s statement (none with today's `Ledger`: see the module
    /// contract).
    pub fn carried_into(&self, _epoch: EpochId) -> Vec<CarriedPenalty> {
        Vec::new()
    }

    /// Open obligations of `payer` due at or before `due`.
    pub fn open_wad(&self, payer: Payer, due: Timestamp) -> Wad {
        Wad(self
            .ledger
            .obligations
            .iter()
            .filter(|o| o.payer == payer && o.due <= due)
            .fold(alloy_primitives::U256::ZERO, |a, o| a + o.open_wad().0))
    }

    pub fn escalation(&self, as_of: Timestamp) -> Escalation {
        self.ledger.escalation(as_of)
    }
}
