//! Adversarial tests (h17attack) of the day loop: extreme seeds, more days than the scenario
//! declares, and the parser on a scenario moved across a year end.
#![allow(clippy::unwrap_used)]

use laniakea_sim::scenario::Scenario;
use laniakea_sim::{run_in_memory, RunOptions};

fn text(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../scenarios/{name}")),
    )
    .unwrap()
}

#[test]
fn extreme_seeds_run_and_differ() {
    let s = Scenario::parse("configurator.toml", &text("configurator.toml")).unwrap();
    let a = run_in_memory(&s, &RunOptions { days: 2, seed: 0 })
        .unwrap()
        .0;
    let b = run_in_memory(
        &s,
        &RunOptions {
            days: 2,
            seed: u64::MAX,
        },
    )
    .unwrap()
    .0;
    let a2 = run_in_memory(&s, &RunOptions { days: 2, seed: 0 })
        .unwrap()
        .0;
    assert_eq!(a.state_digest, a2.state_digest);
    assert_eq!(a.synome_head, a2.synome_head);
    assert_ne!(a.state_digest, b.state_digest);
}

#[test]
fn running_past_the_scenarios_own_days_is_clean() {
    // configurator.toml declares 10 days; --days 12 runs two more quiet days.
    let s = Scenario::parse("configurator.toml", &text("configurator.toml")).unwrap();
    let r = run_in_memory(&s, &RunOptions { days: 12, seed: 1 });
    let sum = r.unwrap().0;
    assert_eq!(sum.days, 12);
}

#[test]
fn the_parser_never_panics_on_truncations_of_a_real_scenario() {
    let t = text("short.toml");
    let mut cut = 0;
    while cut < t.len() {
        if t.is_char_boundary(cut) {
            let r = std::panic::catch_unwind(|| Scenario::parse("short.toml", &t[..cut]));
            assert!(r.is_ok(), "panicked at a cut of {cut} bytes");
        }
        cut += 37;
    }
}
