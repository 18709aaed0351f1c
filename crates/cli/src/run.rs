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
    let db = args.db.display().to_string();
    let genesis = world::genesis_script(&s)?;
    // The scenario's identity: its canonical TOML form (comments and layout do not count).
    let canonical = toml::to_string(&s).context("scenario cannot be re-serialised")?;
    let digest = alloy_primitives::keccak256(canonical.as_bytes()).to_string();
    let mut chain = JournaledChain::open_sqlite(&args.db, Genesis::Script { text: genesis.clone() }).map_err(|e| {
        anyhow::anyhow!("--db {db}: {e} [{}] (a run database resumes only with the scenario it was started with)", e.code())
    })?;
    let resuming = chain.meta_get("scenario_digest").is_some();
    for (k, v) in meta_of(&digest, &opts) {
        match chain.meta_get(k) {
            Some(stored) if stored != v => anyhow::bail!(
                "--db {db} holds a run started with another {k} ({stored}, now {v}): resume with the same scenario, --seed and --days, or choose another --db"
            ),
            Some(_) => {}
            None if resuming => anyhow::bail!("--db {db}: run_meta.{k} is missing: not a database written by `laniakea run`"),
            None => {}
        }
    }
    if !resuming {
        chain
            .meta_set(
                ops::META_DEPLOYMENT_START,
                &world::genesis_time(&s).0.to_string(),
            )
            .and_then(|_| chain.meta_set("scenario", &s.name))
            .map_err(|e| anyhow::anyhow!("--db {db}: {e}"))?;
        for (k, v) in meta_of(&digest, &opts) {
            chain
                .meta_set(k, &v)
                .map_err(|e| anyhow::anyhow!("--db {db}: {e}"))?;
        }
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
    let summary = drive(&s, &opts, &mut chain, &book, &mut syn)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        out!("{}", render(&summary, &db));
    }
    Ok(ExitCode::SUCCESS)
}

fn drive<C: laniakea_sim::SimChain>(
    s: &Scenario,
    opts: &RunOptions,
    chain: &mut C,
    book: &world::AddressBook,
    syn: &mut Synome<SqliteStore>,
) -> anyhow::Result<Summary> {
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
    let summary = laniakea_sim::run(s, opts, chain, book, syn, &mut |d, _, _| {
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
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
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
