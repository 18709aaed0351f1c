//! laniakea-stress: risk stress runs and rate-limit calibration (issue 16).
//!
//! Contract: many seeded variants of one scenario, in parallel and in memory, gathered into
//! exact per-metric distributions ([`batch`], [`stats`], [`report`], [`svg`]); the fault
//! distributions a scenario declares in its `[stress]` table ([`scenario`]); the engine-level
//! relayer-compromise scenario and its exact loss bound ([`attack`], [`model`]); and the
//! closed-form SORL calibration ([`calibrate`]). No floats in any amount; a run depends only on
//! its seed, never on the number of threads. See `docs/stress.md`.

pub mod attack;
pub mod batch;
pub mod calibrate;
pub mod check;
pub mod model;
pub mod report;
pub mod scenario;
pub mod simrun;
pub mod stats;
pub mod svg;
