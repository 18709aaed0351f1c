//! `laniakea run`: the main job — a scenario run day by day on the embedded engine with every
//! operator, the Synome written to a SQLite file, a progress bar, and a final summary.
//!
//! Contract: arguments and the scenario are validated in full before anything is created; the
//! default scenario is the shipped `scenarios/default.toml` (embedded in the binary). Progress
//! goes to standard error (a bar on a terminal, one plain line per day otherwise); the summary
//! goes to standard output (tables, or the exact JSON with `--json`). Presentation only: every
//! figure comes from `laniakea_sim::Summary`.

use crate::ops;
use anyhow::Context;
use laniakea_journal::{Genesis, JournaledChain};
use laniakea_sim::{world, RunOptions, Scenario, Summary};
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::Synome;
use laniakea_units::human::{amount, count, utc, Align, Table};
use laniakea_units::Wad;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// `laniakea run` arguments.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The scenario file (TOML, see docs/scenarios.md); default: the shipped default scenario.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// How many days to run (default: the scenario's `days`).
    #[arg(long)]
    days: Option<u32>,
    /// The seed of the actors' behaviour (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// The run's SQLite file (its Synome).
    #[arg(long, default_value = "laniakea-run.db")]
    db: PathBuf,
    /// Print the summary as exact JSON.
    #[arg(long)]
    json: bool,
    /// Run without any file (chain and Synome in memory; not resumable): for measuring.
    #[arg(long, conflicts_with = "db")]
    memory: bool,
    /// Print where the time went (wall clock per step kind, peak memory) to standard error.
    #[arg(long)]
    timings: bool,
}

fn wad(w: Wad) -> String {
    amount(w.raw(), 18)
}

/// Reads and validates the scenario, then the options.
fn load(args: &RunArgs) -> anyhow::Result<(Scenario, RunOptions)> {
    let (name, text) = match &args.scenario {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read scenario {}", p.display()))?,
        ),
        None => (
            "scenarios/default.toml (built in)".to_string(),
            laniakea_sim::DEFAULT_SCENARIO.to_string(),
        ),
    };
    let s = Scenario::parse(&name, &text)?;
    let days = args.days.unwrap_or(s.days);
    if days == 0 || days > laniakea_sim::scenario::MAX_DAYS {
        anyhow::bail!(
            "invalid --days {days}: must be 1 to {}",
            laniakea_sim::scenario::MAX_DAYS
        );
    }
    let opts = RunOptions {
        days,
        seed: args.seed.unwrap_or(s.seed),
    };
    Ok((s, opts))
}

/// The run's arguments as stored in the database (`run_meta`): a resume must match them.
fn meta_of(text_digest: &str, opts: &RunOptions) -> [(&'static str, String); 3] {
    [
        ("scenario_digest", text_digest.to_string()),
        ("seed", opts.seed.to_string()),
        ("days", opts.days.to_string()),
    ]
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let (s, opts) = load(&args)?;
    let started = std::time::Instant::now();
    let genesis = world::genesis_script(&s)?;
    if args.memory {
        let mut chain = JournaledChain::in_memory(Genesis::Script {
            text: genesis.clone(),
        })
        .map_err(|e| anyhow::anyhow!("genesis: {e} [{}]", e.code()))?;
        let book = world::address_book(&genesis)?;
        let mut syn = Synome::new(SqliteStore::create(":memory:").context("in-memory Synome")?);
        let summary = drive(
            &s,
            &opts,
            &mut chain,
            &book,
            &mut syn,
            args.timings,
            started,
        )?;
        print_summary(&summary, "memory", args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let db = args.db.display().to_string();
    // The scenario's identity: its canonical TOML form (comments and layout do not count).
    let canonical = toml::to_string(&s).context("scenario cannot be re-serialised")?;
    let digest = alloy_primitives::keccak256(canonical.as_bytes()).to_string();
    // A file that is some other SQLite database (a Synome store, say) is refused before the
    // journal adds its tables to it.
    match JournaledChain::foreign_sqlite_tables(&args.db) {
        Ok(None) => {}
        Ok(Some(tables)) => anyhow::bail!(
            "--db {db}: not a run database (it holds tables {} but no chain_genesis): `laniakea run` starts only in a new file or resumes its own; choose another --db",
            tables.join(", ")
        ),
        Err(e) => anyhow::bail!("--db {db}: {e} [{}]", e.code()),
    }
    // Files this open may create: removed again if it fails, so a refused start leaves nothing.
    let created: Vec<PathBuf> = ["", "-wal", "-shm", ".lock"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", args.db.display())))
        .filter(|p| !p.exists())
        .collect();
    let opened = JournaledChain::open_sqlite(
        &args.db,
        Genesis::Script {
            text: genesis.clone(),
        },
    );
    if opened.is_err() {
        for p in &created {
            let _ = std::fs::remove_file(p);
        }
    }
    let mut chain = opened
        .map_err(|e| match e {
            laniakea_journal::JournalError::GenesisMismatch { .. } => anyhow::anyhow!(
                "--db {db}: {e} [{}] (a run database resumes only with the scenario it was started with)",
                e.code()
            ),
            _ => anyhow::anyhow!("--db {db}: {e} [{}]", e.code()),
        })?;
    let meta = meta_of(&digest, &opts);
    for (k, v) in &meta {
        if let Some(stored) = chain.meta_get(k) {
            if &stored != v {
                anyhow::bail!(
                    "--db {db} holds a run started with another {k} ({stored}, now {v}): resume with the same scenario, --seed and --days, or choose another --db"
                );
            }
        }
    }
    // Resuming needs every run argument stored. A start killed before its run_meta was written
    // (older builds wrote one key at a time) has no journal rows yet: it starts afresh.
    let missing: Vec<&str> = meta
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| chain.meta_get(k).is_none())
        .collect();
    let resuming = missing.is_empty();
    if !resuming && !chain.is_empty() {
        anyhow::bail!(
            "--db {db}: run_meta.{} is missing although the journal holds {} rows: not a database written by `laniakea run`",
            missing[0],
            chain.len()
        );
    }
    if !resuming {
        let start = world::genesis_time(&s).0.to_string();
        let mut entries: Vec<(&str, &str)> = vec![
            (ops::META_DEPLOYMENT_START, start.as_str()),
            ("scenario", s.name.as_str()),
        ];
        entries.extend(meta.iter().map(|(k, v)| (*k, v.as_str())));
        chain
            .meta_set_many(&entries)
            .map_err(|e| anyhow::anyhow!("--db {db}: {e} [{}]", e.code()))?;
    }
    let book = world::address_book(&genesis)?;
    let store = SqliteStore::create(&db)
        .with_context(|| format!("cannot open the run's Synome in {db}"))?;
    let mut syn = Synome::new(store);
    if resuming {
        eprintln!(
            "resuming the run in {db} from {}",
            utc(laniakea_chain::Chain::now(&chain))
        );
    }
    let summary = drive(
        &s,
        &opts,
        &mut chain,
        &book,
        &mut syn,
        args.timings,
        started,
    )?;
    print_summary(&summary, &db, args.json)?;
    Ok(ExitCode::SUCCESS)
}

fn print_summary(summary: &Summary, db: &str, json: bool) -> anyhow::Result<()> {
    if json {
        outln!("{}", serde_json::to_string_pretty(summary)?);
    } else {
        out!("{}", render(summary, db));
    }
    Ok(())
}

/// Peak resident memory of this process [KiB] (Linux `VmHWM`; `None` elsewhere).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn drive<C: laniakea_sim::SimChain>(
    s: &Scenario,
    opts: &RunOptions,
    chain: &mut C,
    book: &world::AddressBook,
    syn: &mut Synome<SqliteStore>,
    timings: bool,
    started: std::time::Instant,
) -> anyhow::Result<Summary> {
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};
    let mut spent: BTreeMap<&'static str, (Duration, u64)> = BTreeMap::new();
    let mut step_start = Instant::now();
    let loop_start = Instant::now();
    let mut on_step = |kind: &'static str, begin: bool| {
        if !timings {
            return;
        }
        if begin {
            step_start = Instant::now();
        } else {
            let e = spent.entry(kind).or_default();
            e.0 += step_start.elapsed();
            e.1 += 1;
        }
    };
    let tty = std::io::stderr().is_terminal();
    let bar = if tty {
        let b = indicatif::ProgressBar::new(u64::from(opts.days));
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} days {msg}")
        {
            b.set_style(style.progress_chars("=> "));
        }
        b.set_prefix(format!("run '{}' seed {}", s.name, opts.seed));
        Some(b)
    } else {
        None
    };
    let summary = laniakea_sim::run_observed(
        s,
        opts,
        chain,
        book,
        syn,
        &mut |d, _, _| {
            let what = if d.settled {
                "settled"
            } else {
                "no settlement"
            };
            match &bar {
                Some(b) => {
                    b.set_message(format!("{} {what}", d.epoch));
                    b.inc(1);
                }
                None => eprintln!("day {}/{} {} {what}", d.index + 1, d.days, d.epoch),
            }
            Ok(())
        },
        &mut on_step,
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if timings {
        let total = started.elapsed();
        let mut t = Table::new(&[
            ("step", Align::Left),
            ("count", Align::Right),
            ("seconds", Align::Right),
            ("share", Align::Right),
        ]);
        let mut rows: Vec<_> = spent.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1 .0));
        let whole = total.as_secs_f64().max(1e-9);
        for (k, (d, n)) in rows {
            t.row(vec![
                k.to_string(),
                count(*n),
                format!("{:.3}", d.as_secs_f64()),
                format!("{:.1}%", 100.0 * d.as_secs_f64() / whole),
            ]);
        }
        eprintln!(
            "timings: total {:.3} s (setup and genesis {:.3} s, days {:.3} s), peak memory {} MiB\n{}",
            total.as_secs_f64(),
            (total - loop_start.elapsed()).as_secs_f64(),
            loop_start.elapsed().as_secs_f64(),
            peak_rss_kib().map_or("?".to_string(), |k| count(k / 1024)),
            t.render()
        );
    }
    Ok(summary?)
}

/// The summary as a person reads it.
pub fn render(s: &Summary, db: &str) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "laniakea run — scenario '{}', seed {}, {} days: {} → {} ({} settled, {} skipped by record, {} missed)\n\n",
        s.scenario,
        s.seed,
        s.days,
        s.first_epoch,
        s.last_epoch,
        s.executed_epochs,
        s.skipped_epochs.len(),
        s.missed_epochs.len()
    ));
    o.push_str("Primes (USDS; obligations = what each Prime owed the Generator)\n");
    let mut t = Table::new(&[
        ("prime", Align::Left),
        ("statements", Align::Right),
        ("obligations", Align::Right),
        ("paid on time", Align::Right),
        ("paid late", Align::Right),
        ("late epochs", Align::Left),
        ("open", Align::Right),
        ("penalties", Align::Right),
        ("forgiven", Align::Right),
        ("owed by Generator", Align::Right),
        ("debt: legacy", Align::Right),
        ("debt: vault", Align::Right),
        ("migration", Align::Left),
    ]);
    for p in &s.primes {
        t.row(vec![
            p.prime.clone(),
            count(p.statements),
            wad(p.obligations_wad),
            wad(p.paid_on_time_wad),
            wad(p.paid_late_wad),
            if p.late_epochs.is_empty() {
                "-".into()
            } else {
                p.late_epochs
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            },
            wad(p.open_wad),
            wad(p.penalties_wad),
            wad(p.forgiven_wad),
            wad(p.owed_by_generator_wad),
            wad(p.legacy_debt_wad),
            wad(p.vault_principal_wad),
            p.migration.clone(),
        ]);
    }
    o.push_str(&t.render());
    let b = &s.generator_book;
    o.push_str("\nGenerator book (USDS)\n");
    let mut t = Table::new(&[("item", Align::Left), ("amount", Align::Right)]);
    t.row(vec![
        "Prime-vault shares (at convertToAssets)".into(),
        wad(b.vault_shares_value_wad),
    ]);
    t.row(vec!["idle USDS".into(), wad(b.idle_usds_wad)]);
    t.row(vec!["receivables".into(), wad(b.receivables_wad)]);
    t.row(vec!["total assets".into(), wad(b.total_assets_wad)]);
    t.row(vec!["Generator ilk debt".into(), wad(b.ilk_debt_wad)]);
    t.row(vec!["surplus".into(), wad(b.surplus_wad)]);
    t.row(vec!["shortfall".into(), wad(b.shortfall_wad)]);
    if let Some(lb) = &s.liquidity_buffer {
        t.row(vec![
            format!("liquidity buffer required ({})", lb.epoch),
            wad(lb.required_wad),
        ]);
        t.row(vec![
            "liquidity buffer holds".into(),
            if lb.holds { "yes".into() } else { "NO".into() },
        ]);
    }
    o.push_str(&t.render());
    if let Some(r) = &s.srusds {
        o.push_str("\nsrUSDS\n");
        let mut t = Table::new(&[("item", Align::Left), ("value", Align::Right)]);
        t.row(vec![
            "exchange rate (sUSDS per srUSDS)".into(),
            wad(r.exchange_rate_wad),
        ]);
        t.row(vec![
            "Holding System sUSDS (backing)".into(),
            wad(r.holding_susds_wad),
        ]);
        t.row(vec!["srUSDS supply".into(), wad(r.srusds_supply_wad)]);
        t.row(vec![
            "backing ratio".into(),
            r.backing_ratio_wad.map_or("-".into(), wad),
        ]);
        t.row(vec![
            "backed".into(),
            if r.backed { "yes".into() } else { "NO".into() },
        ]);
        t.row(vec![
            "waiting to subscribe (sUSDS)".into(),
            wad(r.subscribe_waiting_susds_wad),
        ]);
        t.row(vec![
            "waiting to redeem (srUSDS)".into(),
            wad(r.redeem_waiting_srusds_wad),
        ]);
        t.row(vec![
            "lpha-lcts settlement records".into(),
            count(r.lcts_settlement_records),
        ]);
        o.push_str(&t.render());
    }
    o.push_str("\nMigration\n");
    let mut t = Table::new(&[("prime", Align::Left), ("status", Align::Left)]);
    for (p, m) in &s.migrations {
        t.row(vec![p.clone(), m.clone()]);
    }
    o.push_str(&t.render());
    o.push_str(&format!(
        "temporary compatibility set: {}\n",
        if s.compatibility_set.is_empty() {
            "empty (every Prime is funded through the Generator)".to_string()
        } else {
            s.compatibility_set.join(", ")
        }
    ));
    o.push_str(&format!(
        "\nlpla-checker: {} verification reports\n",
        count(s.verification_reports)
    ));
    let mut t = Table::new(&[
        ("check", Align::Left),
        ("finding", Align::Left),
        ("count", Align::Right),
    ]);
    for (k, n) in &s.checker_findings {
        let (c, f) = k.split_once('/').unwrap_or((k.as_str(), ""));
        t.row(vec![c.to_string(), f.to_string(), count(*n)]);
    }
    o.push_str(&t.render());
    if !s.compromises.is_empty() {
        o.push_str("\nRelayer compromises (USDS moved out before the freezer acted)\n");
        let mut t = Table::new(&[
            ("prime", Align::Left),
            ("from", Align::Left),
            ("frozen at", Align::Left),
            ("moved", Align::Right),
            ("bound (limit × time)", Align::Right),
            ("within", Align::Left),
        ]);
        for c in &s.compromises {
            t.row(vec![
                c.prime.clone(),
                utc(c.from),
                utc(c.frozen_at),
                wad(c.moved_wad),
                wad(c.bound_wad),
                if c.within_bound {
                    "yes".into()
                } else {
                    "NO".into()
                },
            ]);
        }
        o.push_str(&t.render());
    }
    if !s.incidents_recorded.is_empty() {
        o.push_str("\nIncident records: ");
        o.push_str(
            &s.incidents_recorded
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        o.push('\n');
    }
    o.push_str(&format!(
        "\nstate digest  {}\nSynome head   {} ({} records in {db})\n",
        s.state_digest,
        s.synome_head,
        count(s.synome_records)
    ));
    o
}
