//! Embeds every `migrations/NNNN_name.sql` file of the workspace, in version order, so the binary
//! carries its schema and a new migration needs no code change.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = manifest.join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(u32, String, PathBuf)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read migrations folder {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .map(|path| {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let (number, name) = stem
                .split_once('_')
                .unwrap_or_else(|| panic!("migration {stem} must be named NNNN_name.sql"));
            let version: u32 = number
                .parse()
                .unwrap_or_else(|_| panic!("migration {stem} must start with a number"));
            println!("cargo:rerun-if-changed={}", path.display());
            (version, name.to_string(), path)
        })
        .collect();
    files.sort();
    for (i, (version, name, _)) in files.iter().enumerate() {
        assert_eq!(
            *version as usize,
            i + 1,
            "migration {version}_{name}: versions must run 1, 2, 3 … without gaps"
        );
    }
    let mut out = String::from(
        "/// (version, name, SQL), in order.\npub static MIGRATIONS: &[Migration] = &[\n",
    );
    for (version, name, path) in &files {
        let path = path.canonicalize().expect("migration path resolves");
        writeln!(
            out,
            "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({path:?}) }},"
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("migrations.rs");
    fs::write(dest, out).expect("write generated migrations list");
}
