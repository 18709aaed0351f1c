//! Crash-resume (issue 14 item 4): a child process submits the workload and is SIGKILLed at
//! seeded-random moments, 6 times; after every kill the reopened journal is a prefix of the
//! uninterrupted run (same digest as that run after the same number of transactions) that
//! contains every transaction the child had reported done; finally the run completes to the
//! uninterrupted digest.
#![allow(clippy::unwrap_used)]

use laniakea_journal::testkit::{genesis, workload_tx};
use laniakea_journal::JournaledChain;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const TOTAL: u64 = 240;
const KILLS: usize = 6;

/// A fixed-seed generator (xorshift64*): the kill points are reproducible, the test asserts no
/// timing.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

#[test]
fn sigkill_at_random_moments_always_leaves_a_prefix_and_resumes_to_the_same_digest() {
    let mut reference = JournaledChain::in_memory(genesis()).unwrap();
    let mut refs = vec![reference.digest()];
    for i in 0..TOTAL {
        let tx = workload_tx(&reference, i);
        reference.try_submit_tagged(tx, &format!("w#{i}")).unwrap();
        refs.push(reference.digest());
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let child_bin = env!("CARGO_BIN_EXE_laniakea-journal-crash-child");
    let mut rng = Rng(0x5EED_1414);
    let mut journaled = 0u64;
    for kill in 0..KILLS {
        let mut child = Command::new(child_bin)
            .arg(&db)
            .arg(TOTAL.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Let it report a random number of new transactions, then kill it mid-stream (the next
        // submit is somewhere between execute and commit, or just before or after).
        let wait_for = 1 + rng.next(30);
        let mut reported = journaled;
        for _ in 0..wait_for {
            match lines.next() {
                Some(Ok(l)) => reported = l.parse().unwrap(),
                _ => break,
            }
        }
        std::thread::sleep(std::time::Duration::from_micros(rng.next(3_000)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let c = JournaledChain::open_sqlite(&db, genesis()).unwrap();
        let n = c.len();
        assert!(
            n >= reported,
            "kill {kill}: journal has {n} rows, child had reported {reported}"
        );
        assert!(
            n >= journaled,
            "kill {kill}: the journal shrank from {journaled} to {n}"
        );
        assert!(
            n < TOTAL,
            "kill {kill}: the child finished before the kill; lower the waits"
        );
        assert_eq!(
            c.digest(),
            refs[n as usize],
            "kill {kill}: after {n} transactions"
        );
        assert!(c.has_tag(&format!("w#{}", n - 1)) && !c.has_tag(&format!("w#{n}")));
        eprintln!("kill {kill}: journal at {n} (child had reported {reported})");
        journaled = n;
    }
    let status = Command::new(child_bin)
        .arg(&db)
        .arg(TOTAL.to_string())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let c = JournaledChain::open_sqlite(&db, genesis()).unwrap();
    assert_eq!((c.len(), c.digest()), (TOTAL, reference.digest()));
    assert_eq!(c.head(), reference.head());
}
