//! WebKitGTK settings for a window that stays open all day on a front-desk PC, applied before
//! the first web process starts. Measured with `venue-bench app` (README): without them the
//! web process alone held about 250 MB and woke the CPU for compositing while idle.

/// Software painting: the console is text, tables and a few canvases, which WebKit paints fast
/// without the GPU compositor, and the compositor costs memory (and idle CPU under a software
/// GL) and is where the blank-window driver bugs of WebKitGTK live. Someone who wants it back
/// sets WEBKIT_DISABLE_COMPOSITING_MODE=0. Must run before any thread starts (it edits the
/// environment the web processes inherit).
pub fn prefer_software_painting() {
    #[cfg(target_os = "linux")]
    {
        if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
            std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
        }
        if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some_and(|v| v != "0") {
            skip_gl_in_this_process();
        }
    }
}

/// Without the compositor this process never draws with GL, yet GTK probes GLX when it opens
/// the display and WebKit (2.50) opens an EGL display to find the render device and to check
/// DMA-BUF import before it starts a web process. Each loads the Mesa driver and its libLLVM
/// (about 20 MB resident, and half a second before the web process starts on two cores).
/// These three, together, skip all of it; the web process still opens its own EGL display.
/// Any of them already set is left as it is.
#[cfg(target_os = "linux")]
fn skip_gl_in_this_process() {
    for (name, value) in [
        ("GDK_GL", "disable"),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
        // Read instead of asking EGL for the device; only opened for GPU buffer sharing, which
        // the two settings above turn off.
        ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/nonexistent"),
    ] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// Asks WebKit's web processes to give memory back (caches, JS garbage) once they pass a modest
/// budget, instead of the default budget of the machine's RAM up to 3 GB. Call on the main
/// thread before the first webview is created.
#[cfg(target_os = "linux")]
pub fn limit_web_process_memory() {
    use webkit2gtk::{MemoryPressureSettings, WebsiteDataManager};
    let mut settings = MemoryPressureSettings::new();
    // MB: pressure handling starts at half of it and turns aggressive at three quarters;
    // nothing is ever killed (kill threshold 0).
    // WebKit checks conservative < strict as each is set (defaults 0.33 and 0.5): strict first.
    settings.set_memory_limit(WEB_PROCESS_MEMORY_MB);
    settings.set_strict_threshold(0.75);
    settings.set_conservative_threshold(0.5);
    settings.set_kill_threshold(0.0);
    WebsiteDataManager::set_memory_pressure_settings(&mut settings);
}

#[cfg(not(target_os = "linux"))]
pub fn limit_web_process_memory() {}

/// The web process's budget in MB (see [`limit_web_process_memory`]).
#[cfg(target_os = "linux")]
const WEB_PROCESS_MEMORY_MB: u32 = 160;
