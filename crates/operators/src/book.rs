//! The thin adapter between the operators and `laniakea_settlement::ledger::Ledger`: one
//! Prime's book of obligations, payments, penalties and forgiveness, rebuilt from scratch from
//! what is on the chain (payments) and in the Synome (statements, forgiveness) — so it is never
//! stored and never drifts.
//!
//! Contract: the only place the operators touch the `Ledger` API. Events are applied in time
//! order; at one instant statements (posted at the lock) come first, then payments (a payment at
//! 16:00:00 is on time), then the crystallisation of penalties at an executed epoch's Moment of
//! Settlement (carried to the next executed epoch, due at its Moment of Settlement), then
//! forgiveness. Penalties are crystallised at every executed epoch's Moment of Settlement and at
//! every statement's posting instant (the `Ledger` requires it before posting), and at nothing
//! else, so the penalty records do not depend on when the book is rebuilt. A crystallised
//! penalty is carried whole into the next posted statement ([`Book::carried_into`]), never
//! paid on its own (the `Ledger`'s model, `docs/ledger.md`). References in records: a statement
//! obligation is `<prime>#<id>`, a penalty `<prime>#p<id>`.

use crate::reader::PaymentSeen;
use laniakea_settlement::calendar::Calendar;
use laniakea_settlement::ledger::{
    Escalation, Ledger, LedgerError, ObligationId, Payer, Penalty, PenaltyId, Thresholds,
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
    /// The penalties the statement carries (ids in this Prime's book) and their amounts.
    pub carried: Vec<(PenaltyId, Wad)>,
}

/// A forgiveness as read back from the Synome, resolved to a penalty obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedForgiveness {
    /// The forgiveness record (named in errors).
    pub record: alloy_primitives::B256,
    pub at: Timestamp,
    pub penalty: PenaltyId,
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
    /// A statement about to be posted at this instant: penalties are crystallised there too.
    pub posting: Option<Timestamp>,
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
    Crystallise,
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
            posting,
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
        if let Some(t) = posting.filter(|t| *t <= as_of) {
            evs.push((t, 0, Ev::Crystallise));
        }
        for s in statements.iter().filter(|s| s.posted_at <= as_of) {
            evs.push((s.posted_at, 0, Ev::Crystallise));
            evs.push((s.posted_at, 1, Ev::Statement(s)));
        }
        for p in payments
            .iter()
            .filter(|p| p.prime == prime && p.at <= as_of)
        {
            evs.push((p.at, 2, Ev::Payment(p)));
        }
        let mut e = calendar.first_epoch();
        while e.moment() <= as_of {
            if !calendar.is_skipped(e) {
                evs.push((e.moment(), 3, Ev::Crystallise));
            }
            match e.next() {
                Ok(n) => e = n,
                Err(_) => break,
            }
        }
        for f in forgiveness.iter().filter(|f| f.at <= as_of) {
            evs.push((f.at, 4, Ev::Forgive(f)));
        }
        evs.sort_by_key(|(t, order, _)| (*t, *order));
        let mut applied = Vec::new();
        for (t, _, ev) in evs {
            match ev {
                Ev::Statement(s) => {
                    ledger
                        .post_statement(
                            t,
                            s.epoch,
                            s.payer,
                            s.epoch.moment(),
                            s.amount_wad,
                            &s.carried,
                        )
                        .map_err(err(format!("statement of {}", s.epoch)))?;
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
                Ev::Crystallise => {
                    ledger
                        .crystallize_penalties(t)
                        .map_err(err(format!("penalties at {t}")))?;
                }
                Ev::Forgive(f) => {
                    ledger
                        .forgive(t, f.penalty, f.amount_wad, &f.rationale)
                        .map_err(err(format!(
                            "forgiveness record {} of penalty {}",
                            f.record, f.penalty
                        )))?;
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
        crate::refs::obligation_ref(&self.prime, id)
    }

    /// The stable reference of a penalty in records: `<prime>#p<id>`.
    pub fn penalty_ref(&self, id: PenaltyId) -> String {
        crate::refs::penalty_ref(&self.prime, id)
    }

    /// Parses a penalty reference of this book's Prime.
    pub fn parse_penalty_ref(prime: &str, r: &str) -> Option<PenaltyId> {
        crate::refs::parse_penalty_ref(prime, r)
    }

    /// Penalties crystallised so far.
    pub fn penalties(&self) -> impl Iterator<Item = &Penalty> {
        self.ledger.penalties.iter()
    }

    /// The penalties the next statement must carry (every open, not yet carried penalty), as
    /// statement lines.
    pub fn carried_into(&self) -> Vec<CarriedPenalty> {
        self.ledger
            .penalties_to_carry()
            .into_iter()
            .map(|(id, amount_wad)| CarriedPenalty {
                penalty_id: self.penalty_ref(id),
                amount_wad,
                owed_by: self.ledger.penalty(id).map_or(Payer::Prime, |p| p.payer),
            })
            .collect()
    }

    /// Open obligations of `payer` due at or before `due`.
    pub fn open_wad(&self, payer: Payer, due: Timestamp) -> Wad {
        Wad::from_raw(
            self.ledger
                .obligations
                .iter()
                .filter(|o| o.payer == payer && o.due <= due)
                .fold(alloy_primitives::U256::ZERO, |a, o| a + o.open_wad().raw()),
        )
    }

    pub fn escalation(&self, as_of: Timestamp) -> Escalation {
        self.ledger.escalation(as_of)
    }
}
