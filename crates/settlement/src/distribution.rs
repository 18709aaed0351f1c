//! Distributions by tier on tagged balances (SPEC §5.3): Generator → Prime.
//!
//! Contract: a tag (address, asset, tier 0–4, owning Prime, tagged-from epoch) earns
//! `⌊S[balance]·tier_bps / (Y·10,000)⌋` [wad] in every executed epoch *after* the one it was
//! recorded in. Tiers default to 0, 0, 10, 20, 50 bps (SPEC §11.11, no minimum balance). For an
//! sUSDS tag the history is its USDS value. [`input_digest`] covers every input that can change a
//! distribution line (the tier table, every tag field, the epoch and its window).

use crate::calendar::{EpochId, Window};
use crate::digest::Encoder;
use crate::integral::{BalanceHistory, HistoryError};
use alloy_primitives::{Address, B256, U256};
use laniakea_units::{math, Wad, WadSeconds, SECONDS_PER_YEAR};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DistributionError {
    #[error("tier {0} is outside 0–4")]
    BadTier(u8),
    #[error("tier {tier}: {bps} bps is above 10,000 (100% APR)")]
    RateTooHigh { tier: usize, bps: u32 },
    #[error("tag {address}: {source}")]
    History {
        address: Address,
        source: HistoryError,
    },
    #[error("arithmetic overflow")]
    Overflow,
}

/// Annual reward rate per tier, in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierTable(pub [u32; 5]);

impl Default for TierTable {
    fn default() -> Self {
        TierTable([0, 0, 10, 20, 50])
    }
}

impl TierTable {
    pub fn validate(&self) -> Result<(), DistributionError> {
        for (tier, bps) in self.0.iter().enumerate() {
            if *bps > 10_000 {
                return Err(DistributionError::RateTooHigh { tier, bps: *bps });
            }
        }
        Ok(())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::Display,
)]
pub enum Asset {
    #[serde(rename = "USDS")]
    #[strum(serialize = "USDS")]
    Usds,
    #[serde(rename = "sUSDS")]
    #[strum(serialize = "sUSDS")]
    Susds,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub address: Address,
    pub asset: Asset,
    pub tier: u8,
    pub prime: String,
    /// The epoch the tag was recorded in; it earns from the next one.
    pub tagged_from: EpochId,
    pub balance: BalanceHistory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistributionLine {
    pub address: Address,
    pub asset: Asset,
    pub tier: u8,
    pub prime: String,
    pub tier_bps: u32,
    pub balance_wad_s: WadSeconds,
    /// `false` when the tag was recorded in this epoch or later (it earns nothing yet).
    pub eligible: bool,
    pub reward_wad: Wad,
}

/// Rewards of every tag for one executed epoch's window.
pub fn distributions(
    epoch: EpochId,
    window: Window,
    tiers: &TierTable,
    tags: &[Tag],
) -> Result<Vec<DistributionLine>, DistributionError> {
    tiers.validate()?;
    let den = U256::from(SECONDS_PER_YEAR) * U256::from(10_000u32);
    tags.iter()
        .map(|t| {
            let bps = *tiers
                .0
                .get(t.tier as usize)
                .ok_or(DistributionError::BadTier(t.tier))?;
            let eligible = epoch > t.tagged_from;
            let s = t
                .balance
                .integral(window)
                .map_err(|source| DistributionError::History {
                    address: t.address,
                    source,
                })?;
            let reward = if eligible {
                math::mul_div_floor(s.raw(), U256::from(bps), den)
                    .map_err(|_| DistributionError::Overflow)?
            } else {
                U256::ZERO
            };
            Ok(DistributionLine {
                address: t.address,
                asset: t.asset,
                tier: t.tier,
                prime: t.prime.clone(),
                tier_bps: bps,
                balance_wad_s: s,
                eligible,
                reward_wad: Wad::from_raw(reward),
            })
        })
        .collect()
}

/// keccak-256 over the canonical encoding ([`crate::digest`]) of every input of an epoch's
/// distributions: version tag `laniakea-distribution-inputs-v1`, epoch id, sequence number,
/// window start and end, the five tier rates (bps), the tag count, then per tag its address
/// (20 bytes), asset name, tier, owning Prime, tagged-from epoch and balance history.
pub fn input_digest(
    epoch: EpochId,
    seq: u64,
    window: Window,
    tiers: &TierTable,
    tags: &[Tag],
) -> B256 {
    let mut e = Encoder::new(b"laniakea-distribution-inputs-v1");
    e.epoch(epoch);
    e.n(seq);
    e.time(window.start);
    e.time(window.end);
    for bps in tiers.0 {
        e.n(u64::from(bps));
    }
    e.n(tags.len() as u64);
    for t in tags {
        e.address(t.address);
        e.str(t.asset.into());
        e.n(u64::from(t.tier));
        e.str(&t.prime);
        e.epoch(t.tagged_from);
        e.history(&t.balance);
    }
    e.finish()
}
