//! `laniakea`: the command-line front end.
//!
//! Contract: arguments are parsed and validated first (clap), then inputs are read and
//! validated in full before anything runs. Exit codes: 0 success; 1 invalid input (the message
//! names the input, line and field); 3 a `--check` expectation was not met; 2 usage (clap).

use anyhow::Context;
use clap::{Parser, Subcommand};
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
                if !parsed.primes.iter().any(|x| &x.prime == p) {
                    anyhow::bail!(
                        "invalid --prime: '{p}' is not a Prime in {}",
                        inputs.display()
                    );
                }
                parsed.primes.retain(|x| &x.prime == p);
                parsed.tags.retain(|t| &t.prime == p);
            }
            let result = parsed
                .compute()
                .map_err(|e| anyhow::anyhow!("cannot compute {}: {e}", inputs.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else {
                print!("{}", si::render_table(&result));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
