//! Shared helpers: the shipped scenarios, a run on an in-memory Synome with a per-day hook, and
//! the store's record ids in order.
#![allow(dead_code, clippy::unwrap_used)]

use alloy_primitives::B256;
use laniakea_chain::Engine;
use laniakea_sim::{world, DayDone, RunOptions, Scenario, SimError, Summary};
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::{Query, Synome};

pub fn scenario_text(name: &str) -> String {
    let path = format!("{}/../../scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn scenario(name: &str) -> Scenario {
    Scenario::parse(name, &scenario_text(name)).unwrap()
}

pub struct Done {
    pub engine: Engine,
    pub syn: Synome<SqliteStore>,
    pub summary: Summary,
    pub book: world::AddressBook,
}

/// Runs on a fresh engine (invariants asserted after every transaction when `strict`) and an
/// in-memory Synome, calling `hook` after every day.
pub fn run_with(
    s: &Scenario,
    opts: RunOptions,
    strict: bool,
    hook: &mut dyn FnMut(&DayDone, &Engine, &mut Synome<SqliteStore>) -> Result<(), SimError>,
) -> Done {
    let g = world::genesis_script(s).unwrap();
    let (mut engine, book) = world::build_engine(&g).unwrap();
    engine.set_check_invariants(strict);
    let mut syn = Synome::new(SqliteStore::create(":memory:").unwrap());
    let summary = laniakea_sim::run(s, &opts, &mut engine, &book, &mut syn, hook).unwrap();
    Done {
        engine,
        syn,
        summary,
        book,
    }
}

/// Every record id of the store, in store order.
pub fn record_ids(syn: &mut Synome<SqliteStore>) -> Vec<B256> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (page, next) = syn
            .list(&Query {
                after,
                limit: 1000,
                ..Default::default()
            })
            .unwrap();
        out.extend(page.into_iter().map(|r| r.id));
        let Some(n) = next else { break };
        after = n;
    }
    out
}
