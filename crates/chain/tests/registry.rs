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
