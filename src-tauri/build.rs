//! tauri-build reads ../tauri.conf.json (the package root), embeds the capabilities declared
//! there under app.security.capabilities, and generates `allow-<command>` / `deny-<command>`
//! permissions for the app's own commands. Declaring the app manifest means app commands are
//! denied unless a capability allows them, instead of being open to every window.
//!
//! The command names are read from src/commands.rs (every `#[tauri::command]` function), so a
//! new command cannot be forgotten here.

fn command_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut marked = false;
    for line in source.lines().map(str::trim) {
        if line == "#[tauri::command]" {
            marked = true;
        } else if marked {
            let name = line
                .trim_start_matches("pub ")
                .trim_start_matches("async ")
                .strip_prefix("fn ")
                .and_then(|rest| rest.split(['(', '<']).next());
            if let Some(name) = name {
                names.push(name.to_string());
            }
            marked = false;
        }
    }
    names
}

fn main() -> std::process::ExitCode {
    match generate() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn generate() -> Result<(), String> {
    let path = "src-tauri/src/commands.rs";
    println!("cargo:rerun-if-changed={path}");
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {path} for the command list: {e}"))?;
    let names = command_names(&source);
    // The manifest wants 'static names; a build script is short-lived, so leaking is fine.
    let names: &'static [&'static str] =
        Vec::leak(names.into_iter().map(|n| &*String::leak(n)).collect());
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(names));
    tauri_build::try_build(attributes).map_err(|error| format!("tauri-build failed: {error:#}"))
}
