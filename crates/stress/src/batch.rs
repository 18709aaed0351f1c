//! A stress batch: N variants of one scenario, each with its own derived seed, run in parallel,
//! then gathered per metric.
//!
//! Contract: run `i` gets `seed_i = derive_seed(master, i)` (keccak-256 of the two numbers: no
//! run's draws depend on another's, or on how many threads there are); results are kept in run
//! order, so the batch — and every figure computed from it — is the same for any `jobs`. The run
//! function must be deterministic in its seed; it reports exact integer metrics (wei, seconds,
//! counts). A run that fails is kept as a failure with its seed (replayable), never dropped.

use alloy_primitives::{keccak256, B256};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// `seed_i = first 8 bytes of keccak256(master ‖ i)` (big-endian u64s), top bit cleared: 63
/// bits, so a seed fits a TOML integer (a variant written as a scenario file keeps its seed).
pub fn derive_seed(master: u64, index: u64) -> u64 {
    let mut buf = [0u8; 16];
    buf[..8].copy_from_slice(&master.to_be_bytes());
    buf[8..].copy_from_slice(&index.to_be_bytes());
    let h = keccak256(buf);
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    u64::from_be_bytes(b) >> 1
}

/// The unit a metric is counted in (how a report prints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    /// wei of an 18-decimal token
    Wad,
    Seconds,
    Count,
    /// basis points (ratios)
    Bps,
}

/// One metric value of one run (exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value {
    pub unit: Unit,
    pub v: alloy_primitives::U256,
}

/// What one run reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunReport {
    /// metric name → value (name order is the report's order)
    pub metrics: BTreeMap<String, Value>,
    /// the engine's final state digest (replay check)
    pub digest: Option<B256>,
}

/// One run of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub index: u64,
    pub seed: u64,
    pub result: Result<RunReport, String>,
}

/// Runs `runs` variants on `jobs` threads (`None`: all cores). `progress` is called once per
/// finished run with the count so far (from any thread; for a progress bar only).
pub fn run_batch<F>(
    runs: u64,
    master_seed: u64,
    jobs: Option<usize>,
    run: F,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Run>, rayon::ThreadPoolBuildError>
where
    F: Fn(u64) -> Result<RunReport, String> + Sync,
{
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(j) = jobs {
        b = b.num_threads(j.max(1));
    }
    let pool = b.build()?;
    let done = AtomicU64::new(0);
    let mut out: Vec<Run> = pool.install(|| {
        (0..runs)
            .into_par_iter()
            .map(|index| {
                let seed = derive_seed(master_seed, index);
                let result = run(seed);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                Run {
                    index,
                    seed,
                    result,
                }
            })
            .collect()
    });
    out.sort_by_key(|r| r.index);
    Ok(out)
}
