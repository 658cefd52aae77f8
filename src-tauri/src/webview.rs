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
            #[allow(
                clippy::disallowed_methods,
                reason = "main calls this before any thread starts"
            )]
            std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
        }
        if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some_and(|v| v != "0") {
            skip_gl_in_this_process();
        }
    }
}

/// JavaScriptCore's optimising tiers (DFG, and FTL above it) pay off for long-running hot
/// loops; the console's scripts are short bursts of rendering after a change, which the
/// baseline JIT runs as fast here (the same cold-start phases in `venue-bench app`) while the
/// web process holds about 7 MB less. JavaScriptCore reads `JSC_*` options from the
/// environment, which the web process inherits from this one; `JSC_useDFGJIT=1` brings the
/// tiers back. Must run before any thread starts.
pub fn skip_optimising_script_tiers() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("JSC_useDFGJIT").is_none() {
        #[allow(
            clippy::disallowed_methods,
            reason = "main calls this before any thread starts"
        )]
        std::env::set_var("JSC_useDFGJIT", "0");
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
            #[allow(
                clippy::disallowed_methods,
                reason = "called from prefer_software_painting, before any thread starts"
            )]
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

/// Page settings for a console that draws text, tables and two small charts, on the window
/// just built (its canvases are made after sign-in, well after these land):
/// - no WebGL, no GPU for canvases: nothing on the page needs a GL context;
/// - no page cache (the single page never navigates back) and WebKit's document-viewer cache
///   model: no memory or disk cache of resources that come from the app itself.
#[cfg(target_os = "linux")]
pub fn light_page_settings(window: &tauri::WebviewWindow) {
    let applied = window.with_webview(|platform| {
        use webkit2gtk::glib::object::ObjectExt;
        use webkit2gtk::{
            CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
        };
        let view = platform.inner();
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        let Some(settings) = WebViewExt::settings(&view) else {
            tracing::warn!("the webview has no settings; page settings not applied");
            return;
        };
        settings.set_enable_webgl(false);
        settings.set_enable_page_cache(false);
        settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        // WebKitGTK 2.46 and later; older engines have no such property (and no GPU canvas).
        if settings.find_property(CANVAS_ACCELERATION).is_some() {
            settings.set_property(CANVAS_ACCELERATION, false);
        }
    });
    if let Err(error) = applied {
        tracing::warn!(%error, "could not reach the webview to apply its page settings");
    }
}

#[cfg(not(target_os = "linux"))]
pub fn light_page_settings(_window: &tauri::WebviewWindow) {}

#[cfg(target_os = "linux")]
const CANVAS_ACCELERATION: &str = "enable-2d-canvas-acceleration";

/// The web process's budget in MB (see [`limit_web_process_memory`]).
#[cfg(target_os = "linux")]
const WEB_PROCESS_MEMORY_MB: u32 = 160;
