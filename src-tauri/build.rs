//! tauri-build reads ../tauri.conf.json (the package root), embeds the capabilities declared
//! there under app.security.capabilities, and generates `allow-status` / `deny-status`
//! permissions for the app's own command. Declaring the app manifest means app commands are
//! denied unless a capability allows them, instead of being open to every window.

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(&["status"]));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
