//! Replays what the fuzz targets must always survive, on stable Rust in `make test`: every
//! example in the vendors' public documentation (shared/fixtures, read as they are) through the
//! target of its vendor, and every input a fuzzing run ever crashed on (kept in
//! `regressions/<target>/`), through its target.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures");
const REGRESSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/regressions");

/// Which target reads each fixture folder's files.
const FIXTURE_TARGETS: &[(&str, &str)] = &[
    ("square", "square"),
    ("toast", "toast"),
    ("mews", "mews"),
    ("sensors", "sensors"),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.is_file());
    found.sort();
    found
}

#[test]
fn every_documented_vendor_example_goes_through_its_target() {
    let mut replayed = 0;
    for (folder, name) in FIXTURE_TARGETS {
        let target = venue_fuzz::target(name).expect("the fixture's target exists");
        let examples = files(&Path::new(FIXTURES).join(folder));
        assert!(
            !examples.is_empty(),
            "no fixtures in shared/fixtures/{folder}"
        );
        for file in examples {
            let bytes = std::fs::read(&file).expect("fixture is readable");
            if *name == "sensors" {
                // The sensors target's first byte picks the parser: try the body on each.
                for selector in 0..8u8 {
                    let mut input = vec![selector];
                    input.extend_from_slice(&bytes);
                    target(&input);
                }
            } else {
                target(&bytes);
            }
            replayed += 1;
        }
    }
    assert!(replayed >= 20, "only {replayed} fixtures replayed");
}

#[test]
fn every_kept_crash_input_stays_fixed() {
    for (name, target) in venue_fuzz::TARGETS {
        for file in files(&Path::new(REGRESSIONS).join(name)) {
            let bytes = std::fs::read(&file).expect("regression input is readable");
            eprintln!("replaying {}", file.display());
            target(&bytes);
        }
    }
}

#[test]
fn every_seed_goes_through_its_target() {
    // Hand-written seeds (e.g. a venue.toml with every section), where the vendors' examples
    // have none: each must be accepted whole, or the fuzzer would start from a refused input.
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let config = files(&seeds.join("config"));
    assert!(!config.is_empty(), "no config seeds");
    for file in config {
        let text = std::fs::read_to_string(&file).expect("seed is readable");
        if let Err(e) = venue_core::Config::parse(&text) {
            panic!("{} is refused: {e}", file.display());
        }
        venue_fuzz::config(text.as_bytes());
    }
}
