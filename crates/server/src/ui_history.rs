//! The engine state over time, for the dashboard's charts: the Generator book, where each
//! Prime's debt sits, and the srUSDS Holding System with its queues, sampled once per epoch at
//! the Moment of Settlement.
//!
//! Contract: a [`Sample`] is read only through the chain seam's typed views
//! ([`laniakea_chain::Chain::view`]) and serialised untouched, so every amount is the engine's
//! exact decimal string with its unit in the field name, as in `laniakea book --json` and
//! `laniakea lcts --json`. Whoever moves a chain through time (a journal replay, the day loop,
//! a test) calls [`ChainHistory::observe`] at each epoch's 16:00; a server that only has the
//! final state holds one sample. A contract not deployed yet at a sample's time (its view
//! reverts) leaves that part of the sample empty, never guessed.

use crate::deployment::Deployment;
use laniakea_chain::families::generator::{Book, DebtLocation, GeneratorAnswer, GeneratorView};
use laniakea_chain::families::holding_system::{
    HoldingInfo, HoldingSystemAnswer, HoldingSystemView,
};
use laniakea_chain::families::lcts_queue::{LctsQueueAnswer, LctsQueueView, QueueInfo};
use laniakea_chain::{Answer, Chain, Query};
use laniakea_units::{EpochId, Timestamp, Wad};
use serde::Serialize;

/// The engine state at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// The epoch whose Moment of Settlement this sample follows (the date of `at` otherwise).
    pub epoch: EpochId,
    /// The chain's block time when sampled [Unix s].
    pub at: Timestamp,
    /// The Generator's book (absent without a Generator registry).
    pub book: Option<Book>,
    /// Per Prime: legacy-ilk debt vs vault principal.
    pub debt_locations: Vec<DebtLocation>,
    /// Legacy ilks still in the temporary compatibility set.
    pub compatibility_set: Vec<String>,
    /// The srUSDS Holding System (absent without one).
    pub holding_system: Option<HoldingInfo>,
    /// sUSDS waiting in the SubscribeQueue's current generation [wad].
    pub subscribe_waiting_wad: Option<Wad>,
    /// srUSDS waiting in the RedeemQueue's current generation [wad].
    pub redeem_waiting_wad: Option<Wad>,
}

/// Samples in time order, at most one per epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChainHistory {
    pub samples: Vec<Sample>,
}

impl ChainHistory {
    /// One sample of `chain` now (the final state of a run: a history of one point).
    pub fn of_final_state(chain: &dyn Chain, dep: &Deployment) -> ChainHistory {
        let mut h = ChainHistory::default();
        if let Ok(epoch) = EpochId::date_of(chain.now()) {
            h.observe(chain, dep, epoch);
        }
        h
    }

    /// Samples `chain` as `epoch`'s state; a later sample of the same epoch replaces the
    /// earlier one, and a sample older than the last is ignored (time never goes back).
    pub fn observe(&mut self, chain: &dyn Chain, dep: &Deployment, epoch: EpochId) {
        let s = sample(chain, dep, epoch);
        match self.samples.last() {
            Some(last) if last.at > s.at => {}
            Some(last) if last.epoch == s.epoch => {
                let n = self.samples.len();
                self.samples[n - 1] = s;
            }
            _ => self.samples.push(s),
        }
    }

    pub fn latest(&self) -> Option<&Sample> {
        self.samples.last()
    }
}

fn generator(
    chain: &dyn Chain,
    reg: Option<&alloy_primitives::Address>,
    v: GeneratorView,
) -> Option<GeneratorAnswer> {
    match chain.view(*reg?, &Query::GeneratorRegistry(v)) {
        Ok(Answer::GeneratorRegistry(a)) => Some(a),
        _ => None,
    }
}

fn waiting(chain: &dyn Chain, queue: Option<alloy_primitives::Address>) -> Option<Wad> {
    match chain.view(queue?, &Query::LctsQueue(LctsQueueView::Queue)) {
        Ok(Answer::LctsQueue(LctsQueueAnswer::Queue(q))) => {
            let q: QueueInfo = *q;
            Some(q.generation.map_or(Wad::ZERO, |g| g.total_underlying_wad))
        }
        _ => None,
    }
}

/// Reads one sample through the seam.
pub fn sample(chain: &dyn Chain, dep: &Deployment, epoch: EpochId) -> Sample {
    let reg = dep.of("generator").first();
    let book = match generator(chain, reg, GeneratorView::Book) {
        Some(GeneratorAnswer::Book(b)) => Some(b),
        _ => None,
    };
    let debt_locations = match generator(chain, reg, GeneratorView::DebtLocations) {
        Some(GeneratorAnswer::DebtLocations { primes }) => primes,
        _ => Vec::new(),
    };
    let compatibility_set = match generator(chain, reg, GeneratorView::CompatibilitySet) {
        Some(GeneratorAnswer::CompatibilitySet { ilks }) => ilks,
        _ => Vec::new(),
    };
    let holding_system = dep.of("holding-system").first().and_then(|h| {
        match chain.view(*h, &Query::HoldingSystem(HoldingSystemView::Info)) {
            Ok(Answer::HoldingSystem(HoldingSystemAnswer::Info(i))) => Some(*i),
            _ => None,
        }
    });
    let (subscribe_waiting_wad, redeem_waiting_wad) = match &holding_system {
        Some(h) => (
            waiting(chain, h.subscribe_queue),
            waiting(chain, h.redeem_queue),
        ),
        None => (None, None),
    };
    Sample {
        epoch,
        at: chain.now(),
        book,
        debt_locations,
        compatibility_set,
        holding_system,
        subscribe_waiting_wad,
        redeem_waiting_wad,
    }
}
