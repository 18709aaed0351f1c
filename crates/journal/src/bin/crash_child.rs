//! Test helper for `tests/crash.rs`: opens the journal at `argv[1]`, resumes the workload where
//! the journal stops and submits up to `argv[2]` transactions, printing each journaled count.
//! The test SIGKILLs it at random moments.

use laniakea_journal::testkit::{genesis, workload_tx};
use laniakea_journal::JournaledChain;
use std::io::Write;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(total)) = (args.get(1), args.get(2)) else {
        return Err("usage: laniakea-journal-crash-child <db> <total>".into());
    };
    let total: u64 = total.parse()?;
    let mut chain = JournaledChain::open_sqlite(Path::new(path), genesis())?;
    let mut out = std::io::stdout().lock();
    while chain.len() < total {
        let i = chain.len();
        let tx = workload_tx(&chain, i);
        chain.try_submit_tagged(tx, &format!("w#{i}"))?;
        writeln!(out, "{}", chain.len())?;
    }
    Ok(())
}
