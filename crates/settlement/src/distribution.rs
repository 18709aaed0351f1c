//! Distributions by tier on tagged balances (SPEC §5.3): Generator → Prime.
//!
//! Contract: a tag (address, asset, tier 0–4, owning Prime, tagged-from epoch) earns
//! `⌊S[balance]·tier_bps / (Y·10,000)⌋` [wad] in every executed epoch *after* the one it was
//! recorded in. Tiers default to 0, 0, 10, 20, 50 bps (SPEC §11.11, no minimum balance). For an
//! sUSDS tag the history is its USDS value.

use crate::calendar::{EpochId, Window};
use crate::integral::{BalanceHistory, HistoryError};
use alloy_primitives::{Address, U256};
use laniakea_units::{math, Wad, SECONDS_PER_YEAR};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Asset {
    #[serde(rename = "USDS")]
    Usds,
    #[serde(rename = "sUSDS")]
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
    pub balance_wad_s: Wad,
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
                math::mul_div_floor(s, U256::from(bps), den)
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
                balance_wad_s: Wad(s),
                eligible,
                reward_wad: Wad(reward),
            })
        })
        .collect()
}
