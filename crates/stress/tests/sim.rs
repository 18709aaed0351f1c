//! Model `sim`: variants of the day loop with drawn incidents; the batch does not depend on the
//! number of jobs, a variant is a valid scenario, and it is a pure function of its seed.

#![allow(clippy::unwrap_used)]

use laniakea_stress::batch::run_batch;
use laniakea_stress::simrun::SimStress;
use laniakea_stress::stats::summarise;

fn stress(days: u32) -> SimStress {
    let base = include_str!("../../../scenarios/short.toml");
    let text = format!(
        "{base}\n[stress]\nmodel = \"sim\"\n[stress.faults]\nlate_payment_bps = 3000\nlateness_s = {{ uniform = [1, 169200] }}\nrelayer_compromise_bps = 10000\ncompromise_at_s = {{ uniform = [0, 400000] }}\ntime_to_freeze_s = {{ uniform = [1, 90000] }}\nliquidity_cliff_bps = 10000\ncliff_pause_hours = {{ uniform = [0, 100] }}\nmissing_lcts_inputs_bps = 5000\n"
    );
    SimStress::parse(&text, "short+stress", Some(days)).unwrap()
}

#[test]
fn variants_are_valid_scenarios_and_pure_in_their_seed() {
    let s = stress(26);
    for seed in 0..200u64 {
        let v = s.variant(seed);
        v.validate().unwrap();
        assert_eq!(v, s.variant(seed));
        assert!(v.incidents.len() >= s.base.incidents.len());
    }
    // the draws do add incidents of every kind over a few seeds
    let kinds: std::collections::BTreeSet<&str> = (0..50u64)
        .flat_map(|seed| {
            let v = s.variant(seed);
            v.incidents[s.base.incidents.len()..]
                .iter()
                .map(|i| i.name())
                .collect::<Vec<_>>()
        })
        .collect();
    for k in [
        "late-payment",
        "relayer-compromise",
        "liquidity-cliff",
        "missing-lcts-inputs",
    ] {
        assert!(kinds.contains(k), "{k}: {kinds:?}");
    }
}

#[test]
fn a_sim_batch_is_the_same_for_one_and_two_jobs() {
    let s = stress(4);
    let f = |seed| s.run(seed);
    let one = run_batch(4, 9, Some(1), f, &|_| {}).unwrap();
    let two = run_batch(4, 9, Some(2), f, &|_| {}).unwrap();
    assert!(
        one.iter().all(|r| r.result.is_ok()),
        "{:?}",
        one.iter().find(|r| r.result.is_err())
    );
    assert_eq!(one, two);
    assert_eq!(summarise(&one), summarise(&two));
}
