//! A batch's report in three forms: a human table (grouped amounts), JSON (exact machine forms:
//! wei as decimal strings, seeds as numbers) and CSV (one row per metric, or one row per run).
//!
//! Contract: presentation only; every figure comes from [`crate::stats`]. The JSON and CSV keep
//! base units (wei for `wad` metrics) as ungrouped decimal strings so nothing is rounded.

use crate::batch::{Run, Unit};
use crate::stats::Summary;
use alloy_primitives::U256;
use laniakea_units::human::{self, Align, Table};
use serde::Serialize;
use serde_json::{json, Value as Json};

/// A value as a person reads it: USDS grouped with every decimal, seconds as h/m/s, counts.
pub fn show(unit: Unit, v: U256) -> String {
    match unit {
        Unit::Wad => human::amount(v, 18),
        Unit::Seconds => {
            let s = u64::try_from(v).unwrap_or(u64::MAX);
            format!(
                "{}h{:02}m{:02}s",
                human::count(s / 3600),
                s / 60 % 60,
                s % 60
            )
        }
        Unit::Count => human::group_decimal(&v.to_string()),
        Unit::Bps => {
            let b = u64::try_from(v).unwrap_or(u64::MAX);
            format!("{}.{:02}%", b / 100, b % 100)
        }
    }
}

/// The batch header every form carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    pub scenario: String,
    pub model: String,
    pub runs: u64,
    pub master_seed: u64,
    pub failed: u64,
}

/// The human table.
pub fn human(h: &Header, sums: &[Summary], runs: &[Run]) -> String {
    let mut out = format!(
        "stress: {} (model {}), {} runs, master seed {}, {} failed\n\n",
        h.scenario,
        h.model,
        human::count(h.runs),
        h.master_seed,
        human::count(h.failed)
    );
    let mut t = Table::new(&[
        ("metric", Align::Left),
        ("n", Align::Right),
        ("mean", Align::Right),
        ("p50", Align::Right),
        ("p95", Align::Right),
        ("p99", Align::Right),
        ("max", Align::Right),
        ("worst seed", Align::Right),
    ]);
    for s in sums {
        t.row(vec![
            s.metric.clone(),
            human::count(s.n),
            show(s.unit, s.mean),
            show(s.unit, s.p50),
            show(s.unit, s.p95),
            show(s.unit, s.p99),
            show(s.unit, s.max),
            s.worst_seed.to_string(),
        ]);
    }
    out.push_str(&t.render());
    for r in runs.iter().filter(|r| r.result.is_err()).take(5) {
        if let Err(e) = &r.result {
            out.push_str(&format!("run {} (seed {}) failed: {e}\n", r.index, r.seed));
        }
    }
    out
}

/// The JSON report.
pub fn json(h: &Header, sums: &[Summary], runs: &[Run]) -> Json {
    let failures: Vec<Json> = runs
        .iter()
        .filter_map(|r| match &r.result {
            Err(e) => Some(json!({"run": r.index, "seed": r.seed, "error": e})),
            Ok(_) => None,
        })
        .collect();
    json!({
        "header": h,
        "metrics": sums.iter().map(|s| json!({
            "metric": s.metric, "unit": s.unit, "n": s.n,
            "min": s.min.to_string(), "mean": s.mean.to_string(), "p50": s.p50.to_string(),
            "p95": s.p95.to_string(), "p99": s.p99.to_string(), "max": s.max.to_string(),
            "worst_seed": s.worst_seed, "worst_run": s.worst_run,
        })).collect::<Vec<_>>(),
        "failures": failures,
    })
}

/// One CSV row per metric (`metric,unit,n,min,mean,p50,p95,p99,max,worst_seed,worst_run`).
pub fn csv_summary(sums: &[Summary]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "metric",
        "unit",
        "n",
        "min",
        "mean",
        "p50",
        "p95",
        "p99",
        "max",
        "worst_seed",
        "worst_run",
    ])?;
    for s in sums {
        let unit = serde_json::to_value(s.unit)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        w.write_record([
            s.metric.clone(),
            unit,
            s.n.to_string(),
            s.min.to_string(),
            s.mean.to_string(),
            s.p50.to_string(),
            s.p95.to_string(),
            s.p99.to_string(),
            s.max.to_string(),
            s.worst_seed.to_string(),
            s.worst_run.to_string(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One CSV row per run (`run,seed,status,digest,<metric>…`), metrics in name order.
pub fn csv_runs(runs: &[Run], metrics: &[String]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = vec![
        "run".to_string(),
        "seed".into(),
        "status".into(),
        "digest".into(),
    ];
    head.extend(metrics.iter().cloned());
    w.write_record(&head)?;
    for r in runs {
        let mut row = vec![r.index.to_string(), r.seed.to_string()];
        match &r.result {
            Ok(rep) => {
                row.push("ok".into());
                row.push(rep.digest.map(|d| d.to_string()).unwrap_or_default());
                for m in metrics {
                    row.push(
                        rep.metrics
                            .get(m)
                            .map(|v| v.v.to_string())
                            .unwrap_or_default(),
                    );
                }
            }
            Err(e) => {
                row.push(format!("failed: {e}"));
                row.push(String::new());
                row.extend(metrics.iter().map(|_| String::new()));
            }
        }
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
