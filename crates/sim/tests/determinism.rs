//! Same scenario + seed ⇒ the same state digest and the same Synome record hashes; another seed
//! changes them (SPEC §7, §9).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use laniakea_sim::RunOptions;

#[test]
fn same_seed_same_digest_and_records_other_seed_differs() {
    let s = scenario("short.toml");
    let opts = |seed| RunOptions { days: 9, seed };
    let mut a = run_with(&s, opts(7), false, &mut |_, _, _| Ok(()));
    let mut b = run_with(&s, opts(7), false, &mut |_, _, _| Ok(()));
    let mut c = run_with(&s, opts(8), false, &mut |_, _, _| Ok(()));
    let (ia, ib, ic) = (
        record_ids(&mut a.syn),
        record_ids(&mut b.syn),
        record_ids(&mut c.syn),
    );
    assert!(ia.len() > 100, "the run wrote its records ({})", ia.len());
    assert_eq!(a.summary.state_digest, b.summary.state_digest);
    assert_eq!(a.engine.digest(), b.engine.digest());
    assert_eq!(ia, ib, "every record hash is the same, in the same order");
    assert_eq!(a.summary.synome_head, b.summary.synome_head);
    assert_ne!(
        a.summary.state_digest, c.summary.state_digest,
        "another seed, another state"
    );
    assert_ne!(ia, ic, "another seed, other records");
}
