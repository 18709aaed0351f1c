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
    }
}
