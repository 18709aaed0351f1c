//! `laniakea`: the command-line front end.
//!
//! Contract: arguments are parsed and validated first (clap), then inputs are read and
//! validated in full before anything runs. Exit codes: 0 success; 1 invalid input (the message
//! names the input, line and field); 3 a `--check` expectation was not met; 2 usage (clap);
//! `synome verify`: 4 a bad record or a missing `--checkpoint`, 5 an empty store.

/// `println!` for standard output that never panics: a closed pipe (`laniakea … | head`) ends
/// the process quietly with success, as ripgrep does; any other write error is reported.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            crate::output_failed(e)
        }
    }};
}

/// `print!` with the same rule as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            crate::output_failed(e)
        }
    }};
}

mod book;
mod demo;
mod lcts;
mod limits;
mod ops;
mod run;
mod serve;
mod settle;
mod stress;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "laniakea",
    version,
    about = "Laniakea capital stack: ledger engine, daily settlement, Synome"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The main job: run a scenario day by day on the embedded engine with every operator
    /// (settlement operator, lpla-checker, lpha-report), writing the Synome to a SQLite file;
    /// a progress bar, then a summary. With no arguments: the shipped default scenario
    /// (see docs/scenarios.md).
    Run(run::RunArgs),
    /// Risk stress runs: many seeded variants of a scenario in parallel, distributions per
    /// metric with the worst seed, CSV and SVG histograms (see docs/stress.md).
    Stress(stress::StressArgs),
    /// Rate-limit calibration: the SORL ramp from a target daily throughput and the worst-case
    /// harm of a compromised executor, checked against engine stress runs (see docs/stress.md).
    Calibrate(stress::CalibrateArgs),
    /// Run a transaction script (JSON lines) on a fresh engine; print one JSON line per result.
    Exec {
        /// The script file (see docs/scripts.md).
        script: PathBuf,
        /// Exit with code 3 if any line's "expect" is not met.
        #[arg(long)]
        check: bool,
    },
    /// Run a transaction script (or replay a run's database with --db), then print the
    /// Generator's book, where each Prime's debt sits, the temporary compatibility set and the
    /// liquidity buffer on its final state.
    Book {
        /// The script file (see docs/scripts.md).
        #[arg(required_unless_present = "db", conflicts_with = "db")]
        script: Option<PathBuf>,
        /// A run's database (`laniakea run --db`) instead of a script.
        #[arg(long)]
        db: Option<PathBuf>,
        /// The script name of the Generator registry.
        #[arg(long, default_value = "generator")]
        generator: String,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Compute every Prime's settlement statement and the distributions for one epoch from an
    /// inputs file (JSON; see docs/settlement-inputs.md). Prints a table, or JSON with --json.
    Settle {
        /// The inputs file.
        inputs: PathBuf,
        /// Bulk balance histories to merge in (.lnkh binary or .jsonl JSON lines).
        #[arg(long)]
        histories: Option<PathBuf>,
        /// Only this Prime's statement.
        #[arg(long)]
        prime: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The Processing Window runbook of an epoch: each step (lock, compute, post, pay, verify,
    /// settle, report) with owner, deadline and status derived from the Synome (see
    /// docs/operators.md). Prints a table, or JSON with --json.
    Runbook {
        #[command(flatten)]
        store: StoreArgs,
        /// The epoch (YYYY-MM-DD).
        #[arg(long)]
        epoch: String,
        /// The chain time to report the status at (RFC 3339 UTC or Unix seconds). Default on a
        /// run's database: its chain's current time.
        #[arg(long)]
        at: Option<String>,
        /// The deployment's start (RFC 3339 UTC or Unix seconds): the first epoch's window start.
        /// Default on a run's database: the run's deployment start.
        #[arg(long)]
        deployment_start: Option<String>,
        /// A Prime expected to settle (repeatable). Default on a run's database: every Prime
        /// registered with the Generator.
        #[arg(long = "prime")]
        primes: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Run a transaction script (or replay a run's database with --db), then list a
    /// Configurator scope: every rate limit of each PAU (headroom, init, last raise, earliest
    /// next raise) and the timelock queue.
    Limits {
        /// The script file (see docs/scripts.md).
        #[arg(required_unless_present = "db", conflicts_with = "db")]
        script: Option<PathBuf>,
        /// A run's database (`laniakea run --db`) instead of a script.
        #[arg(long)]
        db: Option<PathBuf>,
        /// The name of the Configurator whose scope to list. Without it (on a run's database
        /// only): every PAU's rate limits with their headroom.
        #[arg(long, required_unless_present = "db")]
        configurator: Option<String>,
        /// Only this PAU (its ALMProxy's script name).
        #[arg(long)]
        pau: Option<String>,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Run a transaction script (or replay a run's database with --db), then show the srUSDS
    /// Holding System and its LCTS queues: exchange rate, backing, generations, totals and every
    /// position's claimable amounts.
    Lcts {
        /// The script file (see docs/scripts.md).
        #[arg(required_unless_present = "db", conflicts_with = "db")]
        script: Option<PathBuf>,
        /// A run's database (`laniakea run --db`) instead of a script.
        #[arg(long)]
        db: Option<PathBuf>,
        /// The Holding System's name (or 0x address).
        #[arg(long)]
        holding: String,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// A run's settlement calendar: the next epochs, their measurement and Processing Windows,
    /// skips (from Synome skip records) and each epoch's status (executed, skipped, in progress,
    /// overdue, pending) from its runbook.
    Calendar {
        /// The run's database.
        #[arg(long)]
        db: PathBuf,
        /// The first epoch to list (YYYY-MM-DD; default: the chain's current date).
        #[arg(long)]
        from: Option<String>,
        /// How many epochs to list.
        #[arg(long, default_value_t = 7)]
        days: u32,
        #[arg(long)]
        json: bool,
    },
    /// The lpla-checker's verification of an epoch on a run's database: the stored reports'
    /// findings by code, or (--recompute) the checker re-run read-only now.
    Check {
        /// The run's database.
        #[arg(long)]
        db: PathBuf,
        /// The epoch (YYYY-MM-DD).
        #[arg(long)]
        epoch: String,
        /// Re-run the checker read-only and compare with the latest stored report.
        #[arg(long)]
        recompute: bool,
        #[arg(long)]
        json: bool,
    },
    /// The lpha-report Prime reports of an epoch stored in a run's database.
    Report {
        /// The run's database.
        #[arg(long)]
        db: PathBuf,
        /// The epoch (YYYY-MM-DD).
        #[arg(long)]
        epoch: String,
        /// Only this Prime.
        #[arg(long)]
        prime: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Migration status of a run's database: per Prime, legacy vs vault debt, the plan's phase
    /// and the temporary compatibility set (the Generator registry's views).
    Migration {
        /// The run's database.
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Serve the HTTP API (JSON, OpenAPI 3.1 at /api/v1/openapi.json) over a run's Synome and,
    /// with --script, the engine state; accepts signed records by POST (see docs/api.md).
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// A transaction script whose final state is the engine state served.
        #[arg(long)]
        script: Option<PathBuf>,
        /// The deployment's start (RFC 3339 UTC or Unix seconds); default: the chain's first
        /// block, else the genesis record's time.
        #[arg(long)]
        deployment_start: Option<String>,
        /// A Prime expected to settle (repeatable); default: the Primes registered on chain,
        /// else those with statements.
        #[arg(long = "prime")]
        primes: Vec<String>,
    },
    /// The Synome: signed settlement records (see docs/synome.md).
    Synome {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        cmd: Box<SynomeCmd>,
    },
}

#[derive(clap::Args)]
struct StoreArgs {
    /// SQLite file of the store (must exist: `synome init` or `synome demo` creates one).
    #[arg(long, default_value = "laniakea-synome.db", global = true)]
    db: PathBuf,
    /// Use PostgreSQL at this URL instead of SQLite (`?sslmode=require` for TLS).
    #[arg(long, global = true)]
    postgres: Option<String>,
    /// PostgreSQL schema holding the store (must exist unless running `init`/`demo`).
    #[arg(long, default_value = "public", global = true)]
    pg_schema: String,
}

/// The key a record is signed with.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct KeyArgs {
    /// Secret key file (0x-hex).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Environment variable holding the secret key (0x-hex).
    #[arg(long)]
    key_env: Option<String>,
    /// A DEMO key derived from a public label (demo Synomes only: not a secret).
    #[arg(long)]
    demo_key: Option<String>,
}

impl KeyArgs {
    fn signer(&self) -> anyhow::Result<laniakea_synome::Signer> {
        use laniakea_synome::Signer;
        Ok(match (&self.key_file, &self.key_env, &self.demo_key) {
            (Some(f), _, _) => Signer::from_file(f)?,
            (_, Some(v), _) => Signer::from_env(v)?,
            (_, _, Some(l)) => Signer::demo(l),
            _ => anyhow::bail!("invalid key: give --key-file, --key-env or --demo-key"),
        })
    }
}

#[derive(Subcommand)]
enum SynomeCmd {
    /// Create the store's schema (SQLite: the file too), or check an existing one is current.
    /// Explicit: no other command creates or migrates a store.
    #[command(alias = "migrate")]
    Init,
    /// Re-hash every record, check every signature, the author chains, the store chain,
    /// checkpoints, authorisation and encodings. Exit 4 on the first bad record (or a missing
    /// --checkpoint), 5 on an empty store.
    Verify {
        #[arg(long)]
        json: bool,
        /// A checkpoint id held outside the store (repeatable): the store must still hold it.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<String>,
    },
    /// Export every record (storage order) as JSON lines or CSV.
    Export {
        #[arg(long, value_parser = ["jsonl", "csv"], default_value = "jsonl")]
        format: String,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List records, filtered, one page at a time (JSON lines; the last line gives the cursor).
    List {
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        subject: Option<String>,
        #[arg(long)]
        epoch: Option<String>,
        /// created_at ≥ FROM (Unix seconds)
        #[arg(long)]
        from: Option<u64>,
        /// created_at < TO (Unix seconds)
        #[arg(long)]
        to: Option<u64>,
        /// Resume after this cursor (a store position).
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// One record by id.
    Get { id: String },
    /// The latest record of a kind for a subject.
    Latest { kind: String, subject: String },
    /// Every record about a subject, oldest first.
    History { subject: String },
    /// Sign a record with a key and append it (the chain heads are read from the store).
    Append {
        #[arg(long)]
        kind: String,
        /// generator, global or prime:<id>
        #[arg(long)]
        subject: String,
        #[arg(long)]
        epoch: Option<String>,
        /// The role to write in (core-council, operator, checker, reporter, lpha-lcts, govops).
        #[arg(long)]
        role: String,
        /// Chain time of the record (Unix seconds).
        #[arg(long)]
        created_at: u64,
        #[arg(long, default_value = "system-derived", value_parser = ["system-derived", "governance-directed"])]
        provenance: String,
        /// The payload JSON file (`-` for standard input).
        #[arg(long)]
        payload: PathBuf,
        #[arg(long)]
        supersedes: Option<String>,
        #[command(flatten)]
        key: KeyArgs,
        /// On a retryable refusal (another writer moved a chain head first), re-read the heads,
        /// re-sign and try again, up to this many times.
        #[arg(long, default_value_t = 0)]
        retries: u32,
    },
    /// Write a checkpoint pinning the store's current head for an epoch.
    Checkpoint {
        #[arg(long)]
        epoch: String,
        /// operator or core-council
        #[arg(long, default_value = "operator")]
        role: String,
        /// Chain time of the record (Unix seconds).
        #[arg(long)]
        created_at: u64,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Create a small DEMO Synome (genesis marked demo, role grants, the example epoch's
    /// statements, a receipt, a penalty, a forgiveness, a checkpoint) signed with DEMO keys.
    Demo,
}

fn open_store(a: &StoreArgs) -> anyhow::Result<Box<dyn laniakea_synome::Store>> {
    Ok(match &a.postgres {
        Some(url) => Box::new(
            laniakea_synome::postgres::PgStore::connect(url, &a.pg_schema)
                .map_err(|e| anyhow::anyhow!("cannot open --postgres store: {e}"))?,
        ),
        None => {
            let p = db_path(a)?;
            Box::new(
                laniakea_synome::sqlite::SqliteStore::open(p)
                    .map_err(|e| anyhow::anyhow!("cannot open --db {p}: {e}"))?,
            )
        }
    })
}

fn db_path(a: &StoreArgs) -> anyhow::Result<&str> {
    a.db.to_str()
        .ok_or_else(|| anyhow::anyhow!("--db path is not UTF-8"))
}

/// Creates (or checks) the store's schema: `init` and `demo` only.
fn init_store(a: &StoreArgs) -> anyhow::Result<Box<dyn laniakea_synome::Store>> {
    Ok(match &a.postgres {
        Some(url) => Box::new(
            laniakea_synome::postgres::PgStore::init(url, &a.pg_schema)
                .map_err(|e| anyhow::anyhow!("cannot initialise --postgres store: {e}"))?,
        ),
        None => {
            let p = db_path(a)?;
            Box::new(
                laniakea_synome::sqlite::SqliteStore::create(p)
                    .map_err(|e| anyhow::anyhow!("cannot initialise --db {p}: {e}"))?,
            )
        }
    })
}

fn parse_role(role: &str) -> anyhow::Result<laniakea_synome::Role> {
    use laniakea_synome::Role;
    Role::parse(role).ok_or_else(|| {
        anyhow::anyhow!(
            "invalid --role '{role}': one of {}",
            Role::ALL
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn parse_epoch(e: &str) -> anyhow::Result<laniakea_settlement::EpochId> {
    laniakea_settlement::EpochId::parse(e).map_err(|err| anyhow::anyhow!("invalid --epoch: {err}"))
}

fn parse_hash(flag: &str, s: &str) -> anyhow::Result<alloy_primitives::B256> {
    s.parse()
        .map_err(|_| anyhow::anyhow!("invalid {flag} '{s}': expected 0x + 64 hex digits"))
}

fn parse_kind(k: &str) -> anyhow::Result<laniakea_synome::Kind> {
    laniakea_synome::Kind::parse(k).ok_or_else(|| {
        anyhow::anyhow!(
            "invalid --kind '{k}': one of {}",
            laniakea_synome::Kind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Test hook: with this variable set, `synome append` aborts the process right after the
/// store committed and before the acknowledgement is printed (the kill-between-commit-and-ack
/// test in `crates/cli/tests/cli.rs`).
const ABORT_AFTER_COMMIT: &str = "LANIAKEA_TEST_ABORT_AFTER_COMMIT";

fn synome_cmd(store: StoreArgs, cmd: SynomeCmd) -> anyhow::Result<ExitCode> {
    use laniakea_synome::{Query, Synome};
    let mut db = Synome::new(match cmd {
        SynomeCmd::Init | SynomeCmd::Demo => init_store(&store)?,
        _ => open_store(&store)?,
    });
    match cmd {
        SynomeCmd::Init => {
            outln!(
                "initialised {} (schema version {}; {} records)",
                db.store().describe(),
                laniakea_synome::store::SCHEMA_VERSION,
                db.store().count()?
            );
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::Verify { json, checkpoints } => {
            let anchors = checkpoints
                .iter()
                .map(|c| parse_hash("--checkpoint", c))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let r = db.verify(&anchors)?;
            let empty = r.records == 0 && r.first_bad.is_none();
            if json {
                outln!("{}", serde_json::to_string(&r)?);
            } else if let Some(b) = &r.first_bad {
                outln!(
                    "BAD record at position {} id {} [{}]: {}\n({} records before it verified)",
                    b.seq,
                    b.id,
                    b.code,
                    b.reason,
                    r.records
                );
            } else if empty {
                outln!(
                    "EMPTY: {} is initialised but holds no records (no genesis)",
                    db.store().describe()
                );
            } else if !r.missing_anchors.is_empty() {
                outln!(
                    "NOT OK: {} records verified, but {} of the checkpoints named with --checkpoint {} not verified in this store",
                    group_thousands(r.records),
                    r.missing_anchors.len(),
                    if r.missing_anchors.len() == 1 { "is" } else { "are" }
                );
            } else {
                outln!(
                    "ok: {} records verified (hashes, signatures, encodings, author chains, store chain, authorisation, references){}",
                    group_thousands(r.records),
                    if r.demo { " — DEMO Synome: keys derived from public seeds" } else { "" }
                );
                if let Some(s) = &r.synome {
                    outln!("synome {s}");
                }
                if let Some((seq, id)) = &r.head {
                    outln!("head: position {} id {id}", group_thousands(*seq as u64));
                }
                match &r.last_checkpoint {
                    Some(c) => outln!(
                        "checkpoints: {} (last: epoch {} at position {} id {}); {} records after it are not pinned by a checkpoint",
                        r.checkpoints, c.epoch, c.seq, c.id, r.unpinned
                    ),
                    None => outln!(
                        "checkpoints: none; all {} records are unpinned (a truncated tail would go unnoticed)",
                        r.unpinned
                    ),
                }
            }
            if !r.missing_anchors.is_empty() && !json {
                for a in &r.missing_anchors {
                    // Say why: absent (truncated), present but another kind, or present but
                    // after the first bad record (never reached).
                    let kind = a
                        .parse()
                        .ok()
                        .and_then(|id| db.get(id).ok().flatten())
                        .map(|rec| rec.content.kind);
                    match kind {
                        Some(k) if k != laniakea_synome::Kind::Checkpoint => outln!(
                            "NOT A CHECKPOINT {a}: it is a {k} record, not a checkpoint"
                        ),
                        Some(_) if r.first_bad.is_some() => outln!(
                            "UNCHECKED checkpoint {a}: verification stopped at the bad record before it"
                        ),
                        _ => outln!("MISSING checkpoint {a}: the store was truncated before it"),
                    }
                }
            }
            Ok(if !r.is_ok() {
                ExitCode::from(4)
            } else if empty {
                ExitCode::from(5)
            } else {
                ExitCode::SUCCESS
            })
        }
        SynomeCmd::Export { format, out } => {
            let mut w: Box<dyn std::io::Write> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("cannot create {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(PipeAwareStdout)),
            };
            let n = if format == "csv" {
                db.export_csv(&mut w)?
            } else {
                db.export_jsonl(&mut w)?
            };
            w.flush()?;
            eprintln!("exported {} records", group_thousands(n));
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::List {
            kind,
            subject,
            epoch,
            from,
            to,
            after,
            limit,
        } => {
            let q = Query {
                kind: kind.as_deref().map(parse_kind).transpose()?,
                subject,
                epoch: epoch.as_deref().map(parse_epoch).transpose()?,
                from: from.map(laniakea_units::Timestamp),
                to: to.map(laniakea_units::Timestamp),
                after,
                limit,
            };
            let (recs, next) = db.list(&q)?;
            for r in &recs {
                outln!("{}", serde_json::to_string(&r.to_json())?);
            }
            outln!("{}", serde_json::json!({"next": next}));
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::Get { id } => {
            let id = parse_hash("id", &id)?;
            match db.get(id)? {
                Some(r) => outln!("{}", serde_json::to_string_pretty(&r.to_json())?),
                None => anyhow::bail!("no record {id}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::Latest { kind, subject } => {
            match db.latest(parse_kind(&kind)?, &subject)? {
                Some(r) => outln!("{}", serde_json::to_string_pretty(&r.to_json())?),
                None => anyhow::bail!("no {kind} record for {subject}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::History { subject } => {
            for r in db.history(&subject)? {
                outln!("{}", serde_json::to_string(&r.to_json())?);
            }
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::Append {
            kind,
            subject,
            epoch,
            role,
            created_at,
            provenance,
            payload,
            supersedes,
            key,
            retries,
        } => {
            use laniakea_synome::{Appended, Draft, Provenance, Writer};
            let signer = key.signer()?;
            let role = parse_role(&role)?;
            let text = if payload.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&payload)
                    .with_context(|| format!("cannot read --payload {}", payload.display()))?
            };
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("invalid --payload {}: not JSON: {e}", payload.display())
            })?;
            let provenance = Provenance::parse(&provenance)
                .ok_or_else(|| anyhow::anyhow!("invalid --provenance"))?;
            let mut draft = Draft::new(
                parse_kind(&kind)?,
                &subject,
                laniakea_units::Timestamp(created_at),
                provenance,
                value,
            );
            if let Some(e) = epoch.as_deref() {
                draft = draft.epoch(parse_epoch(e)?);
            }
            if let Some(s) = supersedes.as_deref() {
                draft = draft.supersedes(parse_hash("--supersedes", s)?);
            }
            eprintln!("signing as {signer}");
            let w = Writer::new(signer, role);
            let mut attempt = 0;
            let mut tip = db.tip_for(&[w.signer.address()])?;
            let mut r = w.seal_one(&mut tip, draft.clone())?;
            db.check_signer(r.id, &w.signer)?;
            loop {
                // A retry first re-sends the same signed record; only a lost race re-signs.
                match db.append(&r) {
                    Ok(outcome) => {
                        if std::env::var_os(ABORT_AFTER_COMMIT).is_some() {
                            std::process::abort();
                        }
                        let id = match outcome {
                            Appended::AlreadyStored { id } => id,
                            Appended::Stored { .. } => r.id,
                        };
                        outln!(
                            "{}",
                            serde_json::json!({"id": id.to_string(), "outcome": outcome, "retries": attempt})
                        );
                        return Ok(ExitCode::SUCCESS);
                    }
                    Err(e) if e.is_retryable() && attempt < retries => {
                        attempt += 1;
                        eprintln!("retrying ({attempt}/{retries}): {e}");
                        let mut tip = db.tip_for(&[w.signer.address()])?;
                        r = w.seal_one(&mut tip, draft.clone())?;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        SynomeCmd::Checkpoint {
            epoch,
            role,
            created_at,
            key,
        } => {
            let w = laniakea_synome::Writer::new(key.signer()?, parse_role(&role)?);
            let (id, outcome) = db.checkpoint(
                &w,
                parse_epoch(&epoch)?,
                laniakea_units::Timestamp(created_at),
            )?;
            outln!(
                "{}",
                serde_json::json!({"id": id.to_string(), "outcome": outcome})
            );
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::Demo => {
            let n = demo::write(&mut db)?;
            outln!("wrote {n} demo records to {} (a DEMO Synome: signed with keys derived from public seeds, not secrets)", db.store().describe());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `1234567` → `1,234,567` (human output only; `--json` keeps exact machine forms).
fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // A reader that closed the pipe early (`| head`) is not an error of ours.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Standard output as a writer for streaming exports, with the closed-pipe rule of [`outln!`]
/// (the library that writes into it would otherwise turn the closed pipe into a store error).
struct PipeAwareStdout;

impl std::io::Write for PipeAwareStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::io::stdout().lock().write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => output_failed(e),
            r => r,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match std::io::stdout().lock().flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => output_failed(e),
            r => r,
        }
    }
}

/// Standard output could not be written: a closed pipe ends the process with success (the reader
/// has what it wanted); anything else is an error (exit 1).
fn output_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to standard output: {e}");
    std::process::exit(1);
}

/// `laniakea runbook`: the epoch's Processing Window steps and their status.
fn run_runbook(
    store: &StoreArgs,
    epoch: &str,
    at: Option<&str>,
    deployment_start: Option<&str>,
    primes: &[String],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let time = |flag: &str, v: &str| -> anyhow::Result<laniakea_units::Timestamp> {
        match v.parse::<u64>() {
            Ok(s) => Ok(laniakea_units::Timestamp(s)),
            Err(_) => laniakea_units::time::parse_rfc3339(v)
                .map_err(|e| anyhow::anyhow!("invalid {flag} '{v}': {e}")),
        }
    };
    let epoch = parse_epoch(epoch)?;
    // Flags not given are derived from a run's database (`--db`).
    let derived = if at.is_none() || deployment_start.is_none() || primes.is_empty() {
        if store.postgres.is_some() {
            anyhow::bail!("give --at, --deployment-start and --prime with --postgres (only a run's SQLite database holds the chain to derive them from)");
        }
        Some(ops::runbook_defaults(&store.db)?)
    } else {
        None
    };
    let at = match (at, &derived) {
        (Some(v), _) => time("--at", v)?,
        (None, Some(d)) => d.at,
        (None, None) => unreachable!("derived when --at is absent"),
    };
    let start = match (deployment_start, &derived) {
        (Some(v), _) => time("--deployment-start", v)?,
        (None, Some(d)) => d.deployment_start,
        (None, None) => unreachable!("derived when --deployment-start is absent"),
    };
    let primes: Vec<String> = match (primes.is_empty(), &derived) {
        (false, _) => primes.to_vec(),
        (true, Some(d)) => d.primes.clone(),
        (true, None) => unreachable!("derived when --prime is absent"),
    };
    let primes = &primes[..];
    let mut syn = laniakea_synome::Synome::new(open_store(store)?);
    let rb = laniakea_operators::runbook::runbook(&mut syn, start, primes, epoch, at)
        .map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))?;
    let text = if json {
        format!("{}\n", serde_json::to_string_pretty(&rb)?)
    } else {
        laniakea_operators::runbook::render(&rb)
    };
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Cmd::Run(args) => run::run(args),
        Cmd::Stress(args) => stress::stress(args),
        Cmd::Calibrate(args) => stress::calibrate_cmd(args),
        Cmd::Runbook {
            store,
            epoch,
            at,
            deployment_start,
            primes,
            json,
        } => run_runbook(
            &store,
            &epoch,
            at.as_deref(),
            deployment_start.as_deref(),
            &primes,
            json,
        ),
        Cmd::Calendar {
            db,
            from,
            days,
            json,
        } => {
            ops::calendar(&db, from.as_deref(), days, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Check {
            db,
            epoch,
            recompute,
            json,
        } => {
            ops::check(&db, &epoch, recompute, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Report {
            db,
            epoch,
            prime,
            json,
        } => {
            ops::report(&db, &epoch, prime.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Migration { db, json } => {
            ops::migration(&db, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Exec { script, check } => {
            let text = std::fs::read_to_string(&script)
                .with_context(|| format!("cannot read script {}", script.display()))?;
            let parsed = laniakea_chain::script::parse(&text)
                .with_context(|| format!("invalid script {}", script.display()))?;
            let out = parsed.run();
            let mut stdout = String::new();
            for l in &out.lines {
                stdout.push_str(&serde_json::to_string(l)?);
                stdout.push('\n');
            }
            out!("{stdout}");
            if check && !out.unmet_expectations.is_empty() {
                for (line, exp, got) in &out.unmet_expectations {
                    eprintln!("expectation not met: line {line}: expected {exp}, got {got}");
                }
                return Ok(ExitCode::from(3));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Book {
            script,
            db,
            generator,
            json,
        } => {
            let v = match (&script, &db) {
                (Some(script), None) => {
                    let text = std::fs::read_to_string(script)
                        .with_context(|| format!("cannot read script {}", script.display()))?;
                    book::views(&text, &generator)
                        .with_context(|| format!("invalid script {}", script.display()))?
                }
                _ => {
                    let src = ops::Source::open(script.as_deref(), db.as_deref())?;
                    let at = src.address(&generator).with_context(|| {
                        format!(
                            "invalid --generator '{generator}': no such name in {}",
                            src.what()
                        )
                    })?;
                    book::views_on(src.engine(), at)?
                }
            };
            if json {
                outln!("{}", serde_json::to_string(&book::to_json(&v))?);
            } else {
                out!("{}", book::render(&v));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Settle {
            inputs,
            histories,
            prime,
            json,
        } => {
            use laniakea_settlement::{histories as h, inputs as si};
            let text = std::fs::read_to_string(&inputs)
                .with_context(|| format!("cannot read inputs {}", inputs.display()))?;
            let mut parsed = si::parse(&text)
                .map_err(|e| anyhow::anyhow!("invalid inputs {}: {e}", inputs.display()))?;
            if let Some(path) = histories {
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read histories {}", path.display()))?;
                let records = if bytes.starts_with(h::MAGIC) {
                    h::parse_binary(&bytes)
                } else {
                    h::parse_json_lines(std::str::from_utf8(&bytes).map_err(|_| {
                        anyhow::anyhow!(
                            "invalid histories {}: neither LNKH1 binary nor UTF-8 JSON lines",
                            path.display()
                        )
                    })?)
                }
                .map_err(|e| anyhow::anyhow!("invalid histories {}: {e}", path.display()))?;
                h::apply(&mut parsed, records);
            }
            if let Some(p) = &prime {
                parsed
                    .retain_prime(p)
                    .map_err(|e| anyhow::anyhow!("invalid --prime: {e} ({})", inputs.display()))?;
            }
            let result = parsed
                .compute()
                .map_err(|e| anyhow::anyhow!("cannot compute {}: {e}", inputs.display()))?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&result)?);
            } else {
                out!("{}", settle::render_table(&result));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Limits {
            script,
            db,
            configurator,
            pau,
            json,
        } => {
            match (&configurator, &db) {
                (None, Some(db)) if script.is_none() => {
                    if pau.is_some() {
                        anyhow::bail!("--pau needs --configurator");
                    }
                    ops::limits(db, json)?
                }
                _ => {
                    let src = ops::Source::open(script.as_deref(), db.as_deref())?;
                    let cfg = configurator.as_deref().unwrap_or_default();
                    limits::run(&src, cfg, pau.as_deref(), json)?
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Lcts {
            script,
            db,
            holding,
            json,
        } => {
            let src = ops::Source::open(script.as_deref(), db.as_deref())?;
            let addr = match src.address(&holding) {
                Some(a) => a,
                None => holding.parse().map_err(|_| {
                    anyhow::anyhow!(
                        "invalid --holding '{holding}': not a name in {} nor a 0x address",
                        src.what()
                    )
                })?,
            };
            let names = |a: alloy_primitives::Address| src.name_of(a);
            let r = lcts::report(src.engine(), &names, addr)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                out!("{}", lcts::render_table(&r, &names));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Synome { store, cmd } => synome_cmd(store, *cmd),
        Cmd::Serve {
            store,
            listen,
            script,
            deployment_start,
            primes,
        } => {
            serve::run(serve::ServeArgs {
                db: store.db,
                postgres: store.postgres,
                pg_schema: store.pg_schema,
                listen,
                script,
                deployment_start,
                primes,
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
