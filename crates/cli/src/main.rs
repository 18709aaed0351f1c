//! `laniakea`: the command-line front end.
//!
//! Contract: arguments are parsed and validated first (clap), then inputs are read and
//! validated in full before anything runs. Exit codes: 0 success; 1 invalid input (the message
//! names the input, line and field); 3 a `--check` expectation was not met; 2 usage (clap).

mod demo;
mod lcts;
mod settle;

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
    /// Run a transaction script (JSON lines) on a fresh engine; print one JSON line per result.
    Exec {
        /// The script file (see docs/scripts.md).
        script: PathBuf,
        /// Exit with code 3 if any line's "expect" is not met.
        #[arg(long)]
        check: bool,
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
    /// Run a transaction script, then show the srUSDS Holding System and its LCTS queues:
    /// exchange rate, backing, generations, totals and every position's claimable amounts.
    Lcts {
        /// The script file (see docs/scripts.md).
        script: PathBuf,
        /// The Holding System's script name (or 0x address).
        #[arg(long)]
        holding: String,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
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
    /// SQLite file (the default store; created if missing).
    #[arg(long, default_value = "laniakea-synome.db", global = true)]
    db: PathBuf,
    /// Use PostgreSQL at this URL instead of SQLite.
    #[arg(long, global = true)]
    postgres: Option<String>,
    /// PostgreSQL schema.
    #[arg(long, default_value = "public", global = true)]
    pg_schema: String,
}

#[derive(Subcommand)]
enum SynomeCmd {
    /// Re-hash every record, check every signature, chain and authorisation; exit 4 on the
    /// first bad record.
    Verify {
        #[arg(long)]
        json: bool,
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
        /// Resume after this cursor.
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
    /// Sign a record with a key and append it (the author's chain head is read from the store).
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
        /// Secret key file (0x-hex).
        #[arg(long, group = "key")]
        key_file: Option<PathBuf>,
        /// Environment variable holding the secret key (0x-hex).
        #[arg(long, group = "key")]
        key_env: Option<String>,
        /// A DEMO key derived from a public label (testing only: not a secret).
        #[arg(long, group = "key")]
        demo_key: Option<String>,
        /// On a retryable refusal (another writer extended this author's chain first), re-read
        /// the chain head, re-sign and try again, up to this many times.
        #[arg(long, default_value_t = 0)]
        retries: u32,
    },
    /// Write a small demonstration Synome (genesis, role grants, the example epoch's statements,
    /// a receipt, a penalty and a forgiveness) signed with DEMO keys.
    Demo,
}

fn open_store(a: &StoreArgs) -> anyhow::Result<Box<dyn laniakea_synome::Store>> {
    Ok(match &a.postgres {
        Some(url) => Box::new(
            laniakea_synome::postgres::PgStore::connect(url, &a.pg_schema)
                .map_err(|e| anyhow::anyhow!("cannot open --postgres store: {e}"))?,
        ),
        None => {
            let p =
                a.db.to_str()
                    .ok_or_else(|| anyhow::anyhow!("--db path is not UTF-8"))?;
            Box::new(
                laniakea_synome::sqlite::SqliteStore::open(p)
                    .map_err(|e| anyhow::anyhow!("cannot open --db {p}: {e}"))?,
            )
        }
    })
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

fn synome_cmd(store: StoreArgs, cmd: SynomeCmd) -> anyhow::Result<ExitCode> {
    use laniakea_synome::{Query, Synome};
    let mut db = Synome::new(open_store(&store)?);
    match cmd {
        SynomeCmd::Verify { json } => {
            let r = db.verify()?;
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                match &r.first_bad {
                    None => println!("ok: {} records verified (hashes, signatures, author chains, authorisation, references)", r.records),
                    Some(b) => println!("BAD record seq {} id {}: {}\n({} records before it verified)", b.seq, b.id, b.reason, r.records),
                }
            }
            Ok(if r.first_bad.is_some() {
                ExitCode::from(4)
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
                None => Box::new(std::io::BufWriter::new(std::io::stdout())),
            };
            let n = if format == "csv" {
                db.export_csv(&mut w)?
            } else {
                db.export_jsonl(&mut w)?
            };
            w.flush()?;
            eprintln!("exported {n} records");
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
                epoch: epoch
                    .as_deref()
                    .map(|e| {
                        laniakea_settlement::EpochId::parse(e)
                            .map_err(|e| anyhow::anyhow!("invalid --epoch: {e}"))
                    })
                    .transpose()?,
                from: from.map(laniakea_units::Timestamp),
                to: to.map(laniakea_units::Timestamp),
                after,
                limit,
            };
            let (recs, next) = db.list(&q)?;
            for r in &recs {
                println!("{}", serde_json::to_string(&r.to_json())?);
            }
            println!("{}", serde_json::json!({"next": next}));
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::Get { id } => {
            let id = id
                .parse()
                .map_err(|_| anyhow::anyhow!("invalid id '{id}': expected 0x + 64 hex digits"))?;
            match db.get(id)? {
                Some(r) => println!("{}", serde_json::to_string_pretty(&r.to_json())?),
                None => anyhow::bail!("no record {id}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::Latest { kind, subject } => {
            match db.latest(parse_kind(&kind)?, &subject)? {
                Some(r) => println!("{}", serde_json::to_string_pretty(&r.to_json())?),
                None => anyhow::bail!("no {kind} record for {subject}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        SynomeCmd::History { subject } => {
            for r in db.history(&subject)? {
                println!("{}", serde_json::to_string(&r.to_json())?);
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
            key_file,
            key_env,
            demo_key,
            retries,
        } => {
            use laniakea_synome::{Provenance, Role, Signer, Writer};
            let signer = match (key_file, key_env, demo_key) {
                (Some(f), _, _) => Signer::from_file(&f)?,
                (_, Some(v), _) => Signer::from_env(&v)?,
                (_, _, Some(l)) => Signer::demo(&l),
                _ => anyhow::bail!("invalid key: give --key-file, --key-env or --demo-key"),
            };
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!(
                    "invalid --role '{role}': one of {}",
                    Role::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let text = if payload.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&payload)
                    .with_context(|| format!("cannot read --payload {}", payload.display()))?
            };
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("invalid --payload {}: not JSON: {e}", payload.display())
            })?;
            let epoch = epoch
                .as_deref()
                .map(|e| {
                    laniakea_settlement::EpochId::parse(e)
                        .map_err(|e| anyhow::anyhow!("invalid --epoch: {e}"))
                })
                .transpose()?;
            let supersedes = supersedes
                .as_deref()
                .map(|s| {
                    s.parse().map_err(|_| {
                        anyhow::anyhow!("invalid --supersedes '{s}': expected 0x + 64 hex digits")
                    })
                })
                .transpose()?;
            let provenance = Provenance::parse(&provenance)
                .ok_or_else(|| anyhow::anyhow!("invalid --provenance"))?;
            eprintln!("signing as {signer}");
            let kind = parse_kind(&kind)?;
            let mut w = Writer::new(&mut db, signer, role)?;
            let mut attempt = 0;
            loop {
                let r = w.record(
                    kind,
                    epoch,
                    &subject,
                    laniakea_units::Timestamp(created_at),
                    provenance,
                    value.clone(),
                    supersedes,
                )?;
                match db.append(&r) {
                    Ok(outcome) => {
                        println!(
                            "{}",
                            serde_json::json!({"id": r.id.to_string(), "outcome": outcome, "retries": attempt})
                        );
                        return Ok(ExitCode::SUCCESS);
                    }
                    Err(e) if e.is_retryable() && attempt < retries => {
                        attempt += 1;
                        eprintln!("retrying ({attempt}/{retries}): {e}");
                        w.resync(&mut db)?;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        SynomeCmd::Demo => {
            let n = demo::write(&mut db)?;
            println!("wrote {n} demo records to {} (signed with DEMO keys derived from public seeds: not secrets)", db.store().describe());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
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
            print!("{stdout}");
            if check && !out.unmet_expectations.is_empty() {
                for (line, exp, got) in &out.unmet_expectations {
                    eprintln!("expectation not met: line {line}: expected {exp}, got {got}");
                }
                return Ok(ExitCode::from(3));
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
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else {
                print!("{}", settle::render_table(&result));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Lcts {
            script,
            holding,
            json,
        } => {
            let text = std::fs::read_to_string(&script)
                .with_context(|| format!("cannot read script {}", script.display()))?;
            let parsed = laniakea_chain::script::parse(&text)
                .with_context(|| format!("invalid script {}", script.display()))?;
            let addr = match parsed.address(&holding) {
                Some(a) => a,
                None => holding.parse().map_err(|_| {
                    anyhow::anyhow!(
                        "invalid --holding '{holding}': not a name in the script nor a 0x address"
                    )
                })?,
            };
            let mut engine = laniakea_chain::Engine::new(parsed.genesis());
            parsed.run_on(&mut engine);
            let r = lcts::report(&engine, &parsed, addr)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!("{}", lcts::render_table(&r, &parsed));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Synome { store, cmd } => synome_cmd(store, *cmd),
    }
}
