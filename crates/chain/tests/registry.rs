//! Every registered family, its labels, revert codes, event names and digest tags: unique across
//! the engine, and stable (each family's names are pinned in `src/families/<module>/NAMES`; a
//! rename or removal fails here, an addition must be written there on purpose).
//!
//! A new family's first run prints the exact `NAMES` content to create in its folder.

use laniakea_chain::digest::CORE_TAGS;
use laniakea_chain::families::{
    FamilyNames, CORE_EVENT_NAMES, CORE_REVERT_CODES, FAMILY_NAMES, LABELS,
};
use std::collections::BTreeMap;

fn names_file(f: &FamilyNames) -> String {
    let mut out = format!("label {}\n", f.label);
    for c in f.revert_codes {
        out.push_str(&format!("revert {c}\n"));
    }
    for e in f.event_names {
        out.push_str(&format!("event {e}\n"));
    }
    for t in f.ledger_tags {
        out.push_str(&format!("digest-tag {t}\n"));
    }
    out
}

#[test]
fn every_family_is_registered_once_with_a_folder() {
    assert_eq!(FAMILY_NAMES.len(), LABELS.len());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/families");
    for f in FAMILY_NAMES {
        let folder = format!("{dir}/{}", f.module);
        assert!(
            std::path::Path::new(&format!("{folder}/mod.rs")).exists(),
            "family {} has no folder {folder}/mod.rs",
            f.label
        );
    }
    let mut seen = BTreeMap::new();
    for f in FAMILY_NAMES {
        assert!(
            seen.insert(f.label, f.module).is_none(),
            "label '{}' is used by two families",
            f.label
        );
    }
}

#[test]
fn names_are_unique_across_families_and_core() {
    let mut codes: BTreeMap<&str, &str> = CORE_REVERT_CODES.iter().map(|c| (*c, "core")).collect();
    let mut events: BTreeMap<&str, &str> = CORE_EVENT_NAMES.iter().map(|e| (*e, "core")).collect();
    let mut tags: BTreeMap<u8, &str> = CORE_TAGS.iter().map(|t| (*t, "core")).collect();
    for f in FAMILY_NAMES {
        for c in f.revert_codes {
            assert!(
                c.contains('/'),
                "revert code '{c}' of {} is not Scope/reason",
                f.label
            );
            if let Some(other) = codes.insert(c, f.label) {
                panic!("revert code '{c}' is used by {other} and {}", f.label);
            }
        }
        for e in f.event_names {
            if let Some(other) = events.insert(e, f.label) {
                panic!("event name '{e}' is used by {other} and {}", f.label);
            }
        }
        for t in f.ledger_tags {
            if let Some(other) = tags.insert(*t, f.label) {
                panic!("digest tag {t} is used by {other} and {}", f.label);
            }
        }
    }
}

#[test]
fn names_are_stable() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/families");
    let mut problems = Vec::new();
    for f in FAMILY_NAMES {
        let path = format!("{dir}/{}/NAMES", f.module);
        let want = names_file(f);
        match std::fs::read_to_string(&path) {
            Ok(have) if have == want => {}
            Ok(have) => problems.push(format!(
                "{path} pins\n{have}but the code now has\n{want}(a rename or removal breaks \
                 scripts, logs and operators; if an addition is intended, update the file)"
            )),
            Err(_) => problems.push(format!("create {path} with:\n{want}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Runs an example script; returns the engine after it.
fn run_example(name: &str) -> laniakea_chain::Engine {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/").to_string() + name;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let script = laniakea_chain::script::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut engine = laniakea_chain::Engine::new(script.genesis());
    let out = script.run_on(&mut engine);
    assert!(
        out.unmet_expectations.is_empty(),
        "{name}: {:?}",
        out.unmet_expectations
    );
    assert_eq!(out.digest, engine.digest());
    engine
}

/// Engine-wide rule (`digest.rs`): a family with no instance in a state leaves the digest as it
/// would be if the family were not registered at all, whatever ledger sections it declares — so
/// adding a family never changes existing digests or golden files.
#[test]
fn a_family_without_instances_does_not_change_the_digest() {
    use laniakea_chain::digest::{state_digest_over, V1_TAGS};
    use laniakea_chain::families::LEDGER_TAGS;
    for example in [
        "pau-basic.jsonl",
        "configurator-onboarding.jsonl",
        "srusds.jsonl",
        "generator-migration.jsonl",
    ] {
        let e = run_example(example);
        let present: std::collections::BTreeSet<&str> =
            e.state().contracts().map(|(_, c)| c.kind()).collect();
        let full = e.digest();
        let mut absent = Vec::new();
        for (label, tags) in LEDGER_TAGS {
            if present.contains(label) || tags.iter().all(|t| V1_TAGS.contains(t)) {
                continue;
            }
            absent.push(*label);
            let without = state_digest_over(e.state(), e.tx_count(), |l| l != *label);
            assert_eq!(
                without, full,
                "{example}: family '{label}' has no instance but its empty ledger sections {tags:?} \
                 change the digest (a section must be `Enc::tag(t, n)` + n entries only)"
            );
        }
        // And all of them at once.
        let without_all = state_digest_over(e.state(), e.tx_count(), |l| !absent.contains(&l));
        assert_eq!(without_all, full, "{example}: {absent:?}");
    }
}

/// The digest of `examples/pau-basic.jsonl` is the one the CLI golden output pins: families
/// added since (Generator, Prime vaults, Configurator Unit, LCTS, …) did not change it.
#[test]
fn the_pau_basic_golden_digest_is_unchanged() {
    let golden = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cli/tests/golden/pau-basic.out.jsonl"
    );
    let text = std::fs::read_to_string(golden).unwrap();
    let pinned = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["summary"]["state_digest"].as_str().map(str::to_string))
        .next_back()
        .expect("the golden output pins a state digest");
    assert_eq!(run_example("pau-basic.jsonl").digest().to_string(), pinned);
}

/// Bytes per stored event: every event in the log pays for the largest variant.
#[test]
fn an_event_stays_small() {
    let size = std::mem::size_of::<laniakea_chain::Event>();
    assert!(
        size <= 200,
        "laniakea_chain::Event is {size} bytes (limit 200): a family's event variant grew every \
         stored event (this once slowed the whole engine). Box the large payload, e.g. \
         `values: Box<LimitValues>` as ConfiguratorEvent::RateLimitConfigured does — the JSON \
         (serde) form is unchanged by a Box."
    );
}
