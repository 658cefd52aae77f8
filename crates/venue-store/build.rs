//! Embeds every `migrations/console/NNNN_name.sql` file of the workspace (the console store's;
//! the hub's migrations live beside it, one folder per database), in version order, so the binary
//! carries its schema and a new migration needs no code change. A misnamed or missing migration
//! fails the build with a message naming it.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn main() -> std::process::ExitCode {
    match generate() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn generate() -> Result<(), Box<dyn Error>> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let dir = manifest.join("../../migrations/console");
    println!("cargo:rerun-if-changed={}", dir.display());
    let entries = fs::read_dir(&dir)
        .map_err(|e| format!("cannot read migrations folder {}: {e}", dir.display()))?;
    let mut files: Vec<(u32, String, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "sql") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let (number, name) = stem
            .split_once('_')
            .ok_or_else(|| format!("migration {stem} must be named NNNN_name.sql"))?;
        let version: u32 = number
            .parse()
            .map_err(|_| format!("migration {stem} must start with a number"))?;
        println!("cargo:rerun-if-changed={}", path.display());
        files.push((version, name.to_string(), path));
    }
    files.sort();
    for (i, (version, name, _)) in files.iter().enumerate() {
        if *version as usize != i + 1 {
            return Err(format!(
                "migration {version}_{name}: versions must run 1, 2, 3 … without gaps"
            )
            .into());
        }
    }
    let mut out = String::from(
        "/// (version, name, SQL), in order.\npub static MIGRATIONS: &[Migration] = &[\n",
    );
    for (version, name, path) in &files {
        let path = path.canonicalize()?;
        writeln!(
            out,
            "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({path:?}) }},"
        )?;
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR")?).join("migrations.rs");
    fs::write(dest, out)?;
    Ok(())
}
