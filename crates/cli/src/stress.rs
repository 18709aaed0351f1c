//! `laniakea stress` (many seeded variants of a scenario in parallel, distributions per metric,
//! SVG histograms) and `laniakea calibrate` (the closed-form SORL ramp and worst-case harm,
//! checked against stress runs of the same setting).
//!
//! Contract: arguments and the scenario's `[stress]` table are validated in full before any run
//! starts; progress goes to standard error (a bar on a terminal, nothing otherwise); reports go
//! to standard output (tables with grouped amounts, or exact JSON with `--json`) and to the
//! files asked for (`--csv`, `--runs-csv`, `--plots`). Presentation only: every figure comes from
//! `laniakea_stress`.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use laniakea_stress::batch::{run_batch, Run, RunReport};
use laniakea_stress::calibrate::{calibrate, CalibrateInput, Calibration, Headroom0};
use laniakea_stress::check::check;
use laniakea_stress::report::{self, Header};
use laniakea_stress::scenario::StressTable;
use laniakea_stress::simrun::SimStress;
use laniakea_stress::stats::summarise;
use laniakea_stress::{model, svg};
use laniakea_units::human::{self, Align, Table};
use laniakea_units::{parse_decimal, Wad};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// `laniakea stress` arguments.
#[derive(clap::Args)]
pub struct StressArgs {
    /// The scenario file (TOML) with a `[stress]` table (see docs/stress.md).
    #[arg(long)]
    scenario: PathBuf,
    /// How many variants to run.
    #[arg(long, default_value_t = 100)]
    runs: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// The master seed; run i gets seed keccak256(master ‖ i).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run one variant with this run seed (a worst seed from a report) and print it.
    #[arg(long)]
    replay: Option<u64>,
    /// Print the report as exact JSON.
    #[arg(long)]
    json: bool,
    /// Write the per-metric summary as CSV to this file.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write one CSV row per run (seed, digest, every metric) to this file.
    #[arg(long)]
    runs_csv: Option<PathBuf>,
    /// Write one SVG histogram per metric into this directory (created if missing).
    #[arg(long)]
    plots: Option<PathBuf>,
    /// Model sim: days per run (default: the scenario's `days`).
    #[arg(long)]
    days: Option<u32>,
    /// With --replay SEED (model sim): write that variant as a scenario file, which
    /// `laniakea run --scenario FILE --seed SEED` replays to the same digest.
    #[arg(long)]
    write_variant: Option<PathBuf>,
    /// Check the SPEC §8 invariants after every engine transaction (slower).
    #[arg(long)]
    check_invariants: bool,
    /// Measure: run the batch with 1 job, then with --jobs (default: all cores); print runs/s
    /// per core and the scaling.
    #[arg(long)]
    bench: bool,
}

/// The scenario's run model.
enum Model {
    Relayer(Box<StressTable>),
    Sim(Box<SimStress>),
}

impl Model {
    fn name(&self) -> &'static str {
        match self {
            Model::Relayer(_) => "relayer-compromise",
            Model::Sim(_) => "sim",
        }
    }
    fn run(&self, seed: u64, check: bool) -> Result<RunReport, String> {
        match self {
            Model::Relayer(t) => model::relayer_compromise(t, seed, check),
            Model::Sim(s) => s.run(seed),
        }
    }
}

fn load(path: &PathBuf, days: Option<u32>) -> anyhow::Result<Model> {
    let t = StressTable::load(path).map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))?;
    if t.model == "sim" {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {p}"))?;
        let s =
            SimStress::parse(&text, &p, days).map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))?;
        return Ok(Model::Sim(Box::new(s)));
    }
    if days.is_some() {
        anyhow::bail!("invalid --days: model relayer-compromise has no days");
    }
    Ok(Model::Relayer(Box::new(t)))
}

fn bar(runs: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let b = ProgressBar::new(runs);
    if let Ok(st) = ProgressStyle::with_template("{bar:40} {pos}/{len} runs ({per_sec}, eta {eta})")
    {
        b.set_style(st);
    }
    Some(b)
}

fn batch(t: &Model, a: &StressArgs, jobs: Option<usize>, show: bool) -> anyhow::Result<Vec<Run>> {
    let pb = if show { bar(a.runs) } else { None };
    let progress = |n: u64| {
        if let Some(b) = &pb {
            b.set_position(n);
        }
    };
    let check = a.check_invariants;
    let runs = run_batch(a.runs, a.seed, jobs, |seed| t.run(seed, check), &progress)
        .context("cannot start the worker threads")?;
    if let Some(b) = pb {
        b.finish_and_clear();
    }
    Ok(runs)
}

pub fn stress(a: StressArgs) -> anyhow::Result<ExitCode> {
    if a.runs == 0 {
        anyhow::bail!("invalid --runs 0: run at least one variant");
    }
    if a.jobs == Some(0) {
        anyhow::bail!("invalid --jobs 0: use at least one thread");
    }
    let t = load(&a.scenario, a.days)?;
    if let Some(out) = &a.write_variant {
        let (Some(seed), Model::Sim(s)) = (a.replay, &t) else {
            anyhow::bail!(
                "invalid --write-variant: it needs --replay SEED and a scenario of model sim"
            );
        };
        let text = s
            .variant_toml(seed)
            .map_err(|e| anyhow::anyhow!("cannot write the variant: {e}"))?;
        std::fs::write(out, text)
            .with_context(|| format!("cannot write --write-variant {}", out.display()))?;
        eprintln!(
            "replay: laniakea run --scenario {} --seed {seed} --days {}",
            out.display(),
            s.days
        );
    }
    if let Some(seed) = a.replay {
        let r = t
            .run(seed, a.check_invariants)
            .map_err(|e| anyhow::anyhow!("run with seed {seed} failed: {e}"))?;
        if a.json {
            let m: serde_json::Map<String, serde_json::Value> = r
                .metrics
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.v.to_string())))
                .collect();
            outln!(
                "{}",
                serde_json::json!({"seed": seed, "digest": r.digest, "metrics": m})
            );
        } else {
            outln!("run seed {seed}");
            if let Some(d) = r.digest {
                outln!("digest {d}");
            }
            for (k, v) in &r.metrics {
                outln!("{k}: {}", report::show(v.unit, v.v));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.bench {
        return bench(&t, &a);
    }
    let runs = batch(&t, &a, a.jobs, true)?;
    let sums = summarise(&runs);
    let header = Header {
        scenario: a.scenario.display().to_string(),
        model: t.name().to_string(),
        runs: a.runs,
        master_seed: a.seed,
        failed: runs.iter().filter(|r| r.result.is_err()).count() as u64,
    };
    if let Some(p) = &a.csv {
        std::fs::write(p, report::csv_summary(&sums)?)
            .with_context(|| format!("cannot write --csv {}", p.display()))?;
    }
    if let Some(p) = &a.runs_csv {
        let names: Vec<String> = sums.iter().map(|s| s.metric.clone()).collect();
        std::fs::write(p, report::csv_runs(&runs, &names)?)
            .with_context(|| format!("cannot write --runs-csv {}", p.display()))?;
    }
    if let Some(dir) = &a.plots {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create --plots {}", dir.display()))?;
        for s in &sums {
            let p = dir.join(svg::file_name(&s.metric));
            std::fs::write(&p, svg::histogram_svg(s, 30))
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
    }
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report::json(&header, &sums, &runs))?
        );
    } else {
        out!("{}", report::human(&header, &sums, &runs));
    }
    Ok(ExitCode::SUCCESS)
}

/// CPU seconds this process has used (user + system, all threads), from `/proc/self/stat`
/// (Linux; clock ticks of 1/100 s); `None` elsewhere. On a busy machine wall time measures the
/// neighbours; CPU time measures the work.
fn cpu_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the command name (which may hold spaces) start after the last ')'
    let rest = text.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn bench(t: &Model, a: &StressArgs) -> anyhow::Result<ExitCode> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = a.jobs.unwrap_or(cores);
    let time = |j: usize| -> anyhow::Result<(f64, Option<f64>, Vec<Run>)> {
        let (start, c0) = (Instant::now(), cpu_s());
        let r = batch(t, a, Some(j), false)?;
        let cpu = c0.and_then(|c0| cpu_s().map(|c1| c1 - c0));
        Ok((start.elapsed().as_secs_f64(), cpu, r))
    };
    let (t1, c1, r1) = time(1)?;
    let (tj, cj, rj) = time(jobs)?;
    let same = r1 == rj;
    let rate = |secs: f64| a.runs as f64 / secs.max(1e-9);
    let cpu = |c: Option<f64>| {
        c.map_or("cpu time unavailable".to_string(), |c| {
            format!("{c:.2} CPU s, {:.1} runs per CPU s", rate(c))
        })
    };
    outln!(
        "stress bench: {} runs of {} (model {}), {cores} cores",
        human::count(a.runs),
        a.scenario.display(),
        t.name()
    );
    outln!(
        "1 job:   {t1:.3} s wall, {:.1} runs/s; {}",
        rate(t1),
        cpu(c1)
    );
    outln!(
        "{jobs} jobs: {tj:.3} s wall, {:.1} runs/s, {:.1} runs/s per core, wall scaling ×{:.2}; {}",
        rate(tj),
        rate(tj) / jobs as f64,
        t1 / tj.max(1e-9),
        cpu(cj)
    );
    outln!("results identical for 1 and {jobs} jobs: {same}");
    Ok(if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// `laniakea calibrate` arguments.
#[derive(clap::Args)]
pub struct CalibrateArgs {
    /// Target rate limit per day [USDS, exact decimal].
    #[arg(long, default_value = "100000000")]
    target: String,
    /// Raises in the bootstrap ramp (one per cadence).
    #[arg(long, default_value_t = 30)]
    steps: u32,
    /// Peacetime raise cadence [s].
    #[arg(long, default_value_t = 86_400)]
    cadence_s: u64,
    /// SORL hop [s].
    #[arg(long, default_value_t = 64_800)]
    hop_s: u64,
    /// SORL maxChange [bps].
    #[arg(long, default_value_t = 2500)]
    max_change_bps: u64,
    /// Time from compromise to freeze [s].
    #[arg(long, default_value_t = 86_400)]
    freeze_s: u64,
    /// Use this initial rate limit [USDS] instead of the smallest that reaches the target.
    #[arg(long)]
    irl: Option<String>,
    /// Headroom at the compromise: `zero` (published model: a fresh limit accumulating from
    /// zero) or `full` (the engine's first set refills to full).
    #[arg(long, default_value = "zero", value_parser = ["zero", "full"])]
    headroom0: String,
    /// Print the longest freeze time whose worst-case harm stays within this [USDS].
    #[arg(long)]
    harm_budget: Option<String>,
    /// Published harm model: theft weight.
    #[arg(long, default_value_t = 3)]
    theft_multiplier: u64,
    /// Published harm model: operational surfaces per initialisation surface.
    #[arg(long, default_value_t = 3)]
    surface_ratio: u64,
    /// Published harm model: loss per operational cycle [bps].
    #[arg(long, default_value_t = 100)]
    damage_bps: u64,
    /// Published harm model: operational cycles per freeze time.
    #[arg(long, default_value_t = 2)]
    cycles: u64,
    /// Check the closed form against this many engine stress runs of the same setting.
    #[arg(long, default_value_t = 0)]
    check_runs: u64,
    /// Worker threads for --check-runs (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Master seed for --check-runs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print exact JSON.
    #[arg(long)]
    json: bool,
}

fn usds_arg(flag: &str, text: &str) -> anyhow::Result<Wad> {
    parse_decimal(text, 18)
        .map(Wad::from_raw)
        .map_err(|e| anyhow::anyhow!("invalid {flag} '{text}': {e}"))
}

fn amt(w: Wad) -> String {
    human::amount(w.raw(), 18)
}

fn dur(s: u64) -> String {
    format!(
        "{}h{:02}m{:02}s",
        human::count(s / 3600),
        s / 60 % 60,
        s % 60
    )
}

fn ratio(w: Wad) -> String {
    human::amount(w.raw(), 18)
}

pub fn calibrate_cmd(a: CalibrateArgs) -> anyhow::Result<ExitCode> {
    if a.jobs == Some(0) {
        anyhow::bail!("invalid --jobs 0: use at least one thread");
    }
    let input = CalibrateInput {
        target_per_day_wad: usds_arg("--target", &a.target)?,
        bootstrap_steps: a.steps,
        cadence_s: a.cadence_s,
        hop_s: a.hop_s,
        max_change_bps: a.max_change_bps,
        freeze_s: a.freeze_s,
        irl_wad: a.irl.as_deref().map(|t| usds_arg("--irl", t)).transpose()?,
        headroom0: if a.headroom0 == "full" {
            Headroom0::Full
        } else {
            Headroom0::Zero
        },
        harm_budget_wad: a
            .harm_budget
            .as_deref()
            .map(|t| usds_arg("--harm-budget", t))
            .transpose()?,
        theft_multiplier: a.theft_multiplier,
        surface_ratio: a.surface_ratio,
        damage_bps: a.damage_bps,
        type2_cycles: a.cycles,
    };
    let c = calibrate(&input).map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))?;
    let checked = if a.check_runs > 0 {
        let pb = bar(a.check_runs);
        let progress = |n: u64| {
            if let Some(b) = &pb {
                b.set_position(n);
            }
        };
        let r = check(&c, a.check_runs, a.seed, a.jobs, &progress)
            .context("cannot start the worker threads")?;
        if let Some(b) = pb {
            b.finish_and_clear();
        }
        Some(r)
    } else {
        None
    };
    if a.json {
        let mut v = serde_json::to_value(&c)?;
        if let Some(r) = &checked {
            v["check"] = serde_json::to_value(r)?;
            v["check"]["max_observed_wad"] = serde_json::json!(r.max_observed_wad.to_string());
            v["check"]["closed_form_worst_wad"] =
                serde_json::json!(r.closed_form_worst_wad.to_string());
        }
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        out!("{}", render(&c));
        if let Some(r) = &checked {
            outln!();
            outln!(
                "check against {} engine runs (master seed {}): max observed loss {}, closed-form worst {}; runs above the closed form: {}; greedy run reaches it exactly: {}; failed runs: {}",
                human::count(r.runs),
                r.master_seed,
                human::amount(r.max_observed_wad, 18),
                human::amount(r.closed_form_worst_wad, 18),
                r.above_closed_form,
                r.greedy_reaches_closed_form,
                r.failed
            );
        }
    }
    Ok(match &checked {
        Some(r) if r.above_closed_form > 0 || r.failed > 0 || !r.greedy_reaches_closed_form => {
            ExitCode::from(3)
        }
        _ => ExitCode::SUCCESS,
    })
}

fn render(c: &Calibration) -> String {
    let i = &c.input;
    let mut o = String::new();
    o.push_str(&format!(
        "calibrate: target {} USDS/day in {} raises (cadence {}), SORL hop {}, maxChange {} bps, freeze after {}, headroom at compromise: {}\n\n",
        amt(i.target_per_day_wad),
        i.bootstrap_steps,
        dur(i.cadence_s),
        dur(i.hop_s),
        i.max_change_bps,
        dur(i.freeze_s),
        if i.headroom0 == Headroom0::Full { "full" } else { "zero" },
    ));
    o.push_str(&format!(
        "initial rate limit (IRL)  {} USDS, slope {} USDS/s\ntarget reached at step    {}\nworst-case harm           {} USDS ({} × the final maxAmount)\n",
        amt(c.irl_wad),
        amt(c.initial_slope_wad_per_s),
        c.target_reached_step,
        amt(c.worst_harm_wad),
        ratio(c.worst_harm_per_limit_wad),
    ));
    if let Some(t) = c.max_freeze_s_for_budget {
        o.push_str(&format!("longest freeze in budget  {}\n", dur(t)));
    } else if i.harm_budget_wad.is_some() {
        o.push_str("longest freeze in budget  none (the headroom alone exceeds it)\n");
    }
    let p = &c.published;
    o.push_str(&format!(
        "\npublished harm model at {} bps (per attack surface): (1+SORL)^{} = {}, IRL {} USDS, accumulation {}, type 1 {} USDS, type 2 marginal {} USDS, total {} USDS\nharm-minimising maxChange: {} bps ({} % over whole percents)\n\n",
        p.max_change_bps,
        i.bootstrap_steps,
        ratio(p.growth_wad),
        amt(p.irl_wad),
        ratio(p.accumulation_wad),
        amt(p.type1_wad),
        amt(p.type2_wad),
        amt(p.total_wad),
        c.optimal_max_change_bps,
        c.optimal_max_change_pct,
    ));
    let mut t = Table::new(&[
        ("step", Align::Right),
        ("at", Align::Right),
        ("maxAmount [USDS]", Align::Right),
        ("slope [USDS/s]", Align::Right),
        ("per day [USDS]", Align::Right),
        ("worst-case harm [USDS]", Align::Right),
    ]);
    for r in &c.ramp {
        t.row(vec![
            r.step.to_string(),
            dur(r.at_s),
            amt(r.max_amount_wad),
            amt(r.slope_wad_per_s),
            amt(r.per_day_wad),
            amt(r.harm_wad),
        ]);
    }
    o.push_str(&t.render());
    o
}
