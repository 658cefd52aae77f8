//! The UI's TypeScript in ui/src/generated/ is what the Rust types generate now: a change to a
//! type the UI receives fails here until the output is regenerated and committed (and the UI
//! then typechecks against it). Regenerate with `make ui-types`, which runs this test with
//! VENUE_WRITE_UI_TYPES=1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/generated")
}

/// Every file under `dir`, by its path relative to `dir`, with its text.
fn files(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("under root");
                let text = std::fs::read_to_string(&path).expect("read");
                out.insert(relative.to_string_lossy().replace('\\', "/"), text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn the_committed_ui_types_are_what_the_rust_types_generate() {
    let fresh = tempfile::tempdir().expect("tempdir");
    venue_core::ui_types::write_all(fresh.path()).expect("generate");
    let generated = files(fresh.path());
    assert!(
        generated.contains_key("StatusReport.ts") && generated.contains_key("ErrorCode.ts"),
        "{:?}",
        generated.keys()
    );
    let committed_dir = committed_dir();
    if std::env::var_os("VENUE_WRITE_UI_TYPES").is_some() {
        if committed_dir.exists() {
            std::fs::remove_dir_all(&committed_dir).expect("clear the old output");
        }
        for (name, text) in &generated {
            let path = committed_dir.join(name);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
        }
        return;
    }
    let committed = files(&committed_dir);
    let stale: Vec<&String> = generated
        .iter()
        .filter(|(name, text)| committed.get(*name) != Some(*text))
        .map(|(name, _)| name)
        .chain(
            committed
                .keys()
                .filter(|name| !generated.contains_key(*name)),
        )
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/generated/ is stale ({} files differ: {stale:?}); regenerate it with `make ui-types` \
         (VENUE_WRITE_UI_TYPES=1 cargo test -p venue-core --features ts --test ui_types), \
         check the UI with `cd ui && npm run typecheck`, and commit the result",
        stale.len()
    );
}
