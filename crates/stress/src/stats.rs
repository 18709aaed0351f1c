//! Distribution summaries of a batch: per metric the mean, p50, p95, p99 and max (with the seed
//! of the worst run), and fixed-width histograms.
//!
//! Contract: exact integers throughout. Mean is `⌊Σ/n⌋`; percentiles are nearest-rank on the
//! sorted exact values (`p`-th = the `⌈p·n/100⌉`-th smallest); the worst run is the one with the
//! largest value, the lowest run index on ties. Runs that failed are counted apart, never in a
//! metric. Histogram bins split `[min, max]` into equal integer-width bins.

use crate::batch::{Run, Unit};
use alloy_primitives::U256;
use serde::Serialize;
use std::collections::BTreeMap;

/// One metric over a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub metric: String,
    pub unit: Unit,
    /// runs that reported this metric
    pub n: u64,
    pub min: U256,
    pub mean: U256,
    pub p50: U256,
    pub p95: U256,
    pub p99: U256,
    pub max: U256,
    /// the seed of the run with the max (replay it with `--seed`)
    pub worst_seed: u64,
    pub worst_run: u64,
    /// the values in run order (for histograms; not serialised)
    #[serde(skip)]
    pub values: Vec<U256>,
}

/// `p`-th percentile by nearest rank of an ascending slice (`p` in 1..=100, slice non-empty).
pub fn nearest_rank(sorted: &[U256], p: u64) -> U256 {
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).clamp(1, n.max(1));
    sorted
        .get(usize::try_from(rank - 1).unwrap_or(0))
        .copied()
        .unwrap_or_default()
}

/// One metric's values over a batch: (value, run seed, run index) in run order.
type Column = (Unit, Vec<(U256, u64, u64)>);

/// Every metric any run reported, in name order.
pub fn summarise(runs: &[Run]) -> Vec<Summary> {
    let mut by: BTreeMap<&str, Column> = BTreeMap::new();
    for r in runs {
        if let Ok(rep) = &r.result {
            for (name, v) in &rep.metrics {
                by.entry(name.as_str())
                    .or_insert((v.unit, Vec::new()))
                    .1
                    .push((v.v, r.seed, r.index));
            }
        }
    }
    by.into_iter()
        .map(|(name, (unit, vals))| {
            let values: Vec<U256> = vals.iter().map(|x| x.0).collect();
            let mut sorted = values.clone();
            sorted.sort();
            let sum = values.iter().fold(U256::ZERO, |a, v| a.saturating_add(*v));
            let n = values.len() as u64;
            let (max, worst_seed, worst_run) =
                vals.iter()
                    .fold((U256::ZERO, 0u64, u64::MAX), |best, &(v, s, i)| {
                        if best.2 == u64::MAX || v > best.0 || (v == best.0 && i < best.2) {
                            (v, s, i)
                        } else {
                            best
                        }
                    });
            Summary {
                metric: name.to_string(),
                unit,
                n,
                min: sorted.first().copied().unwrap_or_default(),
                mean: sum / U256::from(n.max(1)),
                p50: nearest_rank(&sorted, 50),
                p95: nearest_rank(&sorted, 95),
                p99: nearest_rank(&sorted, 99),
                max,
                worst_seed,
                worst_run,
                values,
            }
        })
        .collect()
}

/// `bins` equal integer-width bins over `[min, max]`: (lower edge, count) each.
pub fn histogram(values: &[U256], bins: usize) -> Vec<(U256, u64)> {
    let bins = bins.max(1);
    let (Some(lo), Some(hi)) = (values.iter().min(), values.iter().max()) else {
        return Vec::new();
    };
    let span = hi.saturating_sub(*lo).saturating_add(U256::from(1u8));
    let width = span.div_ceil(U256::from(bins)).max(U256::from(1u8));
    let mut out: Vec<(U256, u64)> = (0..bins)
        .map(|i| (lo.saturating_add(width.saturating_mul(U256::from(i))), 0))
        .collect();
    for v in values {
        let i = usize::try_from((*v - *lo) / width)
            .unwrap_or(bins - 1)
            .min(bins - 1);
        out[i].1 += 1;
    }
    // drop empty trailing bins past max (span not a multiple of the width)
    while out.len() > 1 && out.last().is_some_and(|b| b.0 > *hi) {
        out.pop();
    }
    out
}
