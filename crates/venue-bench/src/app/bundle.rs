//! The `.deb` bundle: building it with the Tauri CLI and finding it.

use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `npm --prefix ui run build` then `cargo tauri build --bundles deb` in `root`; returns how
/// long both took.
pub fn build(root: &Path, logs: &Path) -> anyhow::Result<Duration> {
    if !root.join("tauri.conf.json").is_file() {
        bail!("no tauri.conf.json in {} (pass --root)", root.display());
    }
    let has_cli = Command::new("cargo")
        .args(["tauri", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_cli {
        bail!("cargo tauri not found: cargo install tauri-cli --version '^2' --locked");
    }
    if !root.join("ui/node_modules").is_dir() {
        bail!("ui/node_modules is missing: npm --prefix ui ci (or make ui) first");
    }
    let started = Instant::now();
    step(
        Command::new("npm")
            .args(["--prefix", "ui", "run", "build"])
            .current_dir(root),
        &logs.join("ui-build.log"),
        "npm --prefix ui run build",
    )?;
    eprintln!("app: building the .deb (cargo tauri build --bundles deb)…");
    step(
        Command::new("cargo")
            .args(["tauri", "build", "--bundles", "deb"])
            .current_dir(root),
        &logs.join("tauri-build.log"),
        "cargo tauri build --bundles deb",
    )?;
    Ok(started.elapsed())
}

fn step(command: &mut Command, log: &Path, what: &str) -> anyhow::Result<()> {
    let out =
        std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let status = command
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .status()
        .with_context(|| format!("cannot run {what}"))?;
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(25).collect();
        bail!(
            "{what} failed ({status}); last lines of {}:\n{}",
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(())
}

/// The newest .deb under target/release/bundle/deb.
pub fn find_deb(root: &Path) -> Option<PathBuf> {
    std::fs::read_dir(root.join("target/release/bundle/deb"))
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

/// Whether `deb` predates `binary` by more than a minute (the Tauri CLI touches the binary
/// again right after bundling it, so a fresh bundle is a few ms older than its binary).
pub fn stale(deb: &Path, binary: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(deb), modified(binary)) {
        (Some(deb), Some(binary)) => binary
            .duration_since(deb)
            .is_ok_and(|d| d > Duration::from_secs(60)),
        _ => false,
    }
}

/// The package's Installed-Size field (kB), when dpkg-deb is there to read it.
pub fn installed_size_kb(deb: &Path) -> Option<u64> {
    let output = Command::new("dpkg-deb")
        .args(["-f"])
        .arg(deb)
        .arg("Installed-Size")
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}
