//! Transaction scripts: JSON lines that deploy, call and query the engine (`docs/scripts.md`).
//!
//! Contract: [`parse`] validates the *whole* script before anything runs — JSON syntax, known
//! fields, names, addresses, functions, amounts, non-decreasing block times — and reports the
//! first problem with its line number and field. [`run`] then executes on a fresh engine and
//! returns one JSON value per transaction or view line (a revert is a result, not an error),
//! plus an optional final summary line. Same script ⇒ byte-identical output.
//!
//! Layout: [`parse`] (`parse.rs`: grammar, name resolution, whole-script validation; each
//! family parses its own calls, views and deploy arguments through the registry), running and
//! output (`run.rs`), shared error/serde helpers (`parse_util.rs`).

mod parse;
pub mod parse_util;
mod run;

use crate::call::*;
use alloy_primitives::{keccak256, Address};
use laniakea_units::Timestamp;
use std::collections::BTreeMap;

pub use parse::parse;
pub use parse_util::ScriptError;
pub use run::RunOutput;

impl Script {
    /// Every declared name (accounts, deployments, derived names) → its address.
    pub fn names_map(&self) -> BTreeMap<String, Address> {
        self.names.iter().map(|(a, n)| (n.clone(), *a)).collect()
    }

    /// The script's transactions in order (views and summaries left out).
    pub fn transactions(&self) -> impl Iterator<Item = &Tx> {
        self.steps.iter().filter_map(|s| match s {
            Step::Tx { tx, .. } => Some(tx),
            _ => None,
        })
    }
}

/// Address of a named test account: the last 20 bytes of `keccak256("laniakea:account:" ‖ name)`.
pub fn account_address(name: &str) -> Address {
    Address::from_slice(&keccak256(format!("laniakea:account:{name}").as_bytes())[12..])
}

#[derive(Debug, Clone)]
enum Step {
    Tx {
        line: usize,
        tx: Tx,
        to_name: String,
        func: String,
        alias: Option<String>,
        expect: Option<String>,
    },
    View {
        line: usize,
        to: Address,
        to_name: String,
        func: String,
        view: Query,
    },
    Summary {
        line: usize,
        balances: Vec<(String, Address, String, Address)>,
    },
}

/// A validated script, ready to run.
#[derive(Debug, Clone)]
pub struct Script {
    steps: Vec<Step>,
    names: BTreeMap<Address, String>,
    genesis: Timestamp,
}
