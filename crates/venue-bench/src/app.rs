//! `venue-bench app`: the desktop console's performance goals, measured on the release build
//! through the real window (Xvfb, tauri-driver, WebKitWebDriver) against the demo venue served
//! live by `venue sim`:
//!
//! 1. cold start to the first real numbers painted (goal ≤ 1 s): launch → sign-in screen painted,
//!    and sign-in submit → Today's occupancy shows a number from the store. Baselines from the
//!    same run: the `venue status --json` CLI answering cold (same core, no window) and, when
//!    WebKitGTK's MiniBrowser is installed, the same web engine opening a blank page;
//! 2. idle CPU after start (goal < 1% of a core) with the door traffic stopped, and again with it
//!    running, for the app and its WebKit processes; the baseline is `venue run` (the same live
//!    work without a window) on a twin demo data dir, sampled over the same seconds;
//! 3. memory of the app and its WebKit processes after minutes of demo traffic (goal ≤ 200 MB):
//!    PSS (shared libraries counted once) and RSS sums, peak and final;
//! 4. the size of the release binary and of the `.deb` bundle (`--bundle` builds it).
//!
//! Every process this starts runs in its own process group and is stopped, group and all, on
//! success, failure or Ctrl-C.

use crate::report::line;
use anyhow::{anyhow, bail, Context as _};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod bundle;
mod procfs;
mod supervise;
mod webdriver;

const SIGNIN_PIN: &str = "[data-testid=signin-pin]";
const SIGNIN_SUBMIT: &str = "[data-testid=signin-submit]";
const SIGNIN_ERROR: &str = "[data-testid=signin-error]";
const ERROR_CODE: &str = "[data-testid=error-code]";
const OCCUPANCY_NOW: &str = "[data-testid=occupancy-now]";
/// The demo's front-desk PIN.
const DEMO_PIN: &str = "1111";
/// The demo simulators' public test credentials, as a headless machine passes them.
const DEMO_SECRETS: [(&str, &str); 8] = [
    (
        "VENUE_SECRET_DEMO_SQUARE_ACCESS_TOKEN",
        "sim-square-access-token",
    ),
    ("VENUE_SECRET_DEMO_TOAST_CLIENT_ID", "sim-toast-client-id"),
    (
        "VENUE_SECRET_DEMO_TOAST_CLIENT_SECRET",
        "sim-toast-client-secret",
    ),
    ("VENUE_SECRET_MEWS_CLIENT_TOKEN", "sim-mews-client-token"),
    ("VENUE_SECRET_MEWS_ACCESS_TOKEN", "sim-mews-access-token"),
    ("VENUE_SECRET_SENSOR_FRONT_DOOR", "sim-sensor-pass"),
    ("VENUE_SECRET_SENSOR_BAR_DOOR", "sim-sensor-pass"),
    ("VENUE_SECRET_SENSOR_TERRACE_GATE", "sim-sensor-pass"),
];
/// The ports `venue sim` serves the demo's vendors on (the demo's venue.toml points there).
const SIM_PORTS: [u16; 3] = [8787, 8788, 8789];
/// After sign-in, before the idle window: the screens finish loading, the first polls land.
const SETTLE: Duration = Duration::from_secs(10);
const MEMORY_EVERY: Duration = Duration::from_secs(10);
const CPU_EVERY: Duration = Duration::from_secs(1);
/// During the traffic window, this many people walk in through the first door every 15 s, so
/// the numbers change at any hour (the simulator's own traffic follows opening hours).
const WALK_ENTRIES: u32 = 2;
const WALK_EVERY: Duration = Duration::from_secs(15);

pub struct Options {
    pub app: PathBuf,
    pub venue: PathBuf,
    pub runs: usize,
    pub idle_seconds: u64,
    pub traffic_seconds: u64,
    pub bundle: bool,
    pub driver_port: u16,
    pub control_port: u16,
    pub drop_caches: bool,
    pub root: PathBuf,
    pub logs: PathBuf,
    /// KEY=VALUE pairs added to the app's environment.
    pub app_env: Vec<String>,
}

pub fn run(options: Options) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Dropping the benchmark's future drops its supervisor, which stops every process it started.
    runtime.block_on(async {
        tokio::select! {
            result = bench(&options) => result,
            signal = interrupted() => Err(anyhow!(
                "interrupted by {signal}; stopped every process this run started"
            )),
        }
    })
}

async fn interrupted() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        _ => std::future::pending().await,
    }
}

/// The programs a run needs, found up front so a missing one fails before anything starts.
struct Tools {
    tauri_driver: PathBuf,
    webkit_driver: PathBuf,
    dbus_run_session: PathBuf,
    /// None when DISPLAY is set (the X server is already there).
    xvfb: Option<PathBuf>,
    /// WebKitGTK's own small browser, for the blank-page baseline (optional).
    minibrowser: Option<PathBuf>,
}

impl Tools {
    fn find() -> anyhow::Result<Self> {
        let need = |name: &str, install: &str| {
            supervise::which(name).with_context(|| format!("{name} not found: {install}"))
        };
        let xvfb = match std::env::var_os("DISPLAY") {
            Some(d) if !d.is_empty() => None,
            _ => Some(need("Xvfb", "apt-get install xvfb")?),
        };
        Ok(Tools {
            tauri_driver: need(
                "tauri-driver",
                "cargo install tauri-driver --locked --version '^2'",
            )?,
            webkit_driver: need("WebKitWebDriver", "apt-get install webkit2gtk-driver")?,
            dbus_run_session: need("dbus-run-session", "apt-get install dbus-x11")?,
            xvfb,
            minibrowser: [
                "/usr/lib/x86_64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu",
                "/usr/lib",
            ]
            .iter()
            .map(|lib| Path::new(lib).join("webkit2gtk-4.1/MiniBrowser"))
            .find(|p| p.is_file()),
        })
    }
}

fn require_binary(path: &Path, build: &str) -> anyhow::Result<PathBuf> {
    if !path.is_file() {
        bail!("{} not found: {build}", path.display());
    }
    path.canonicalize()
        .with_context(|| format!("cannot resolve {}", path.display()))
}

fn require_free_port(port: u16, what: &str) -> anyhow::Result<()> {
    std::net::TcpListener::bind(("127.0.0.1", port)).map(drop).with_context(|| {
        format!("port {port} ({what}) is in use; stop what listens there (another venue sim, e2e run or WebDriver)")
    })
}

async fn bench(options: &Options) -> anyhow::Result<()> {
    let extra_env = parse_env(&options.app_env)?;
    let tools = Tools::find()?;
    std::fs::create_dir_all(&options.logs)
        .with_context(|| format!("cannot create {}", options.logs.display()))?;
    let bundle_build = if options.bundle {
        Some(bundle::build(&options.root, &options.logs)?)
    } else {
        None
    };
    let app = require_binary(
        &options.app,
        "npm --prefix ui run build && cargo build --release -p venue-console",
    )?;
    let venue = require_binary(
        &options.venue,
        "cargo build --release -p venue-cli --features sim",
    )?;
    check_ports(options, &tools)?;
    let mut rig = Rig::start(options, &tools, &venue, extra_env).await?;
    let conditions = json!({
        "display": if rig.xvfb_pid.is_some() {
            format!("Xvfb {} started by this run (no GPU: WebKit renders in software)", rig.display)
        } else {
            format!("the X server at DISPLAY={}", rig.display)
        },
        "app_env": options.app_env,
        "webdriver": "the app runs under tauri-driver/WebKitWebDriver (automation on)",
    });
    let starts = cold_starts(&mut rig, &app, &venue, options).await?;
    report_cold_starts(&starts, options.drop_caches, &conditions)?;
    live(&mut rig, &app, &venue, options, &conditions).await?;
    report_sizes(&app, &venue, &options.root, bundle_build)?;
    rig.sup.stop_all();
    Ok(())
}

fn check_ports(options: &Options, tools: &Tools) -> anyhow::Result<()> {
    for port in SIM_PORTS {
        require_free_port(port, "a demo simulator")?;
    }
    require_free_port(options.control_port, "the simulator control")?;
    let [driver, native, blank] = driver_ports(options.driver_port);
    require_free_port(driver, "tauri-driver")?;
    require_free_port(native, "tauri-driver's WebKitWebDriver")?;
    if tools.minibrowser.is_some() {
        require_free_port(blank, "WebKitWebDriver for the blank-page baseline")?;
    }
    Ok(())
}

/// tauri-driver's port, its WebKitWebDriver's, and the blank-page baseline's WebKitWebDriver's.
fn driver_ports(first: u16) -> [u16; 3] {
    [first, first.wrapping_add(1), first.wrapping_add(2)]
}

/// MiniBrowser under its own WebKitWebDriver, for the blank-page baseline.
struct Blank {
    driver: webdriver::Driver,
    driver_pid: u32,
    minibrowser: PathBuf,
}

/// Everything a run starts: the display, the simulators, the WebDriver servers, the data.
struct Rig {
    // Fields drop in order: the processes stop before their data dir is removed.
    sup: supervise::Supervisor,
    _data: tempfile::TempDir,
    display: String,
    xvfb_pid: Option<u32>,
    app_dir: PathBuf,
    twin_dir: PathBuf,
    /// The app's environment (and `venue run`'s): display, data dir, the demo's secrets.
    env: Vec<(String, String)>,
    control: Control,
    driver: webdriver::Driver,
    driver_pid: u32,
    blank: Option<Blank>,
}

impl Rig {
    async fn start(
        options: &Options,
        tools: &Tools,
        venue: &Path,
        extra_env: Vec<(String, String)>,
    ) -> anyhow::Result<Rig> {
        let data = tempfile::tempdir().context("cannot make a temporary data dir")?;
        let mut sup = supervise::Supervisor::new(&options.logs);
        let display = match &tools.xvfb {
            None => std::env::var("DISPLAY").context("DISPLAY is not valid UTF-8")?,
            Some(xvfb) => supervise::start_xvfb(&mut sup, xvfb).await?,
        };
        let xvfb_pid = sup.pid_of("xvfb");
        // Two identical demo venues: the app's, and a twin for `venue run` (one store writer
        // each).
        let app_dir = data.path().join("app");
        let twin_dir = data.path().join("twin");
        for dir in [&app_dir, &twin_dir] {
            supervise::run_to_end(
                Command::new(venue)
                    .arg("--data-dir")
                    .arg(dir)
                    .args(["init", "--demo"]),
                "venue init --demo",
            )?;
        }
        let control = start_sim(&mut sup, venue, &app_dir, options.control_port).await?;
        let mut env = app_env(&display, &app_dir);
        env.extend(extra_env);
        let [driver_port, native_port, blank_port] = driver_ports(options.driver_port);
        let driver_pid = sup.spawn(
            "tauri-driver",
            Command::new(&tools.dbus_run_session)
                .arg("--")
                .arg(&tools.tauri_driver)
                .args(["--port", &driver_port.to_string()])
                .args(["--native-port", &native_port.to_string()])
                .arg("--native-driver")
                .arg(&tools.webkit_driver)
                .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        )?;
        let driver = webdriver::Driver::new(&format!("http://127.0.0.1:{driver_port}"))?;
        driver.wait_ready(&sup, driver_pid, "tauri-driver").await?;
        let blank = match &tools.minibrowser {
            Some(minibrowser) => {
                Some(start_blank(&mut sup, tools, &display, blank_port, minibrowser).await?)
            }
            None => None,
        };
        Ok(Rig {
            sup,
            _data: data,
            display,
            xvfb_pid,
            app_dir,
            twin_dir,
            env,
            control,
            driver,
            driver_pid,
            blank,
        })
    }

    fn env(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// `venue sim` with its control API on `control_port`.
async fn start_sim(
    sup: &mut supervise::Supervisor,
    venue: &Path,
    data_dir: &Path,
    control_port: u16,
) -> anyhow::Result<Control> {
    let pid = sup.spawn(
        "venue-sim",
        Command::new(venue).arg("--data-dir").arg(data_dir).args([
            "sim",
            "--control-port",
            &control_port.to_string(),
        ]),
    )?;
    supervise::wait_for_port(sup, pid, "venue-sim", control_port).await?;
    Control::new(format!("http://127.0.0.1:{control_port}"))
}

async fn start_blank(
    sup: &mut supervise::Supervisor,
    tools: &Tools,
    display: &str,
    port: u16,
    minibrowser: &Path,
) -> anyhow::Result<Blank> {
    let driver_pid = sup.spawn(
        "webkitwebdriver-blank",
        Command::new(&tools.dbus_run_session)
            .arg("--")
            .arg(&tools.webkit_driver)
            .arg(format!("--port={port}"))
            .env("DISPLAY", display)
            .env("NO_AT_BRIDGE", "1"),
    )?;
    let driver = webdriver::Driver::new(&format!("http://127.0.0.1:{port}"))?;
    driver
        .wait_ready(sup, driver_pid, "webkitwebdriver-blank")
        .await?;
    Ok(Blank {
        driver,
        driver_pid,
        minibrowser: minibrowser.to_path_buf(),
    })
}

/// The cold starts and, right after each, the baselines.
struct ColdStarts {
    starts: Vec<ColdStart>,
    cli: Vec<f64>,
    blanks: Vec<BlankStart>,
}

/// N cold starts, each a fresh app process on the same data dir, each followed by the CLI
/// and blank-page baselines (so the app's first launch meets the coldest page cache).
async fn cold_starts(
    rig: &mut Rig,
    app: &Path,
    venue: &Path,
    options: &Options,
) -> anyhow::Result<ColdStarts> {
    let mut runs = ColdStarts {
        starts: Vec::new(),
        cli: Vec::new(),
        blanks: Vec::new(),
    };
    for i in 0..options.runs {
        drop_caches_if(options.drop_caches)?;
        let start = cold_start(&mut rig.driver, app, rig.driver_pid)
            .await
            .with_context(|| {
                format!(
                    "cold start {} of {} (app output: {})",
                    i + 1,
                    options.runs,
                    rig.sup.log("tauri-driver").display()
                )
            })?;
        close_app(&mut rig.driver, start.app_pid).await?;
        let phases: Vec<String> = start
            .phases
            .iter()
            .map(|(name, v)| format!("{name} {v:.0}"))
            .collect();
        eprintln!(
            "app: cold start {}: sign-in painted {:.0} ms, submit → numbers {:.0} ms ({})",
            i + 1,
            start.signin_painted_ms,
            start.submit_to_numbers_ms,
            phases.join(", ")
        );
        runs.starts.push(start);
        drop_caches_if(options.drop_caches)?;
        runs.cli.push(cli_status_ms(venue, &rig.app_dir)?);
        if let Some(blank) = &mut rig.blank {
            drop_caches_if(options.drop_caches)?;
            runs.blanks.push(blank_page(blank).await?);
        }
    }
    Ok(runs)
}

/// One more start, signed in on Today; CPU with the door traffic stopped, then CPU and memory
/// with it running; `venue run` on the twin data dir as the baseline over the same windows.
async fn live(
    rig: &mut Rig,
    app: &Path,
    venue: &Path,
    options: &Options,
    conditions: &serde_json::Value,
) -> anyhow::Result<()> {
    // The blank engine first, alone: PSS splits a shared page between the processes mapping
    // it, so next to the app's WebKit processes the blank one would read some 50 MB lighter
    // than it is (and the app lighter next to it).
    let (blank_cpu, blank_memory) = match &mut rig.blank {
        Some(blank) => {
            let (cpu, memory) =
                blank_engine_idle(blank, Duration::from_secs(options.idle_seconds)).await?;
            (Some(cpu), Some(memory))
        }
        None => (None, None),
    };
    let app_pid = cold_start(&mut rig.driver, app, rig.driver_pid)
        .await
        .context("the start for the idle and traffic windows")?
        .app_pid;
    rig.control.post("/doors/traffic/stop").await?;
    let mut run = Command::new(venue);
    run.arg("--data-dir")
        .arg(&rig.twin_dir)
        .arg("run")
        .envs(rig.env());
    let twin_pid = rig.sup.spawn("venue-run-twin", &mut run)?;
    let poll_intervals = sensor_intervals(&rig.app_dir.join("venue.toml"));
    // Idle means the last counts from before the stop have reached the app: every door polled
    // once more (and what that changed shown) before the window opens.
    let last_poll = Duration::from_secs(poll_intervals.last().copied().unwrap_or(0) + 5);
    tokio::time::sleep(SETTLE.max(last_poll)).await;
    ensure_alive(app_pid, "the app")?;
    ensure_alive(twin_pid, "venue run (baseline)")?;
    let idle_window = Duration::from_secs(options.idle_seconds);
    let activity = page_activity(&rig.driver).await;
    let mut idle = observe(&Watch {
        app_pid,
        baseline_pid: twin_pid,
        xvfb_pid: rig.xvfb_pid,
        cpu_window: idle_window,
        window: idle_window,
        walk: None,
    })
    .await?;
    idle.cpu.blank_engine = blank_cpu;
    report_cpu(
        "app.idle_cpu_percent_of_one_core",
        "door traffic stopped (the PMS simulator still changes one stay per 30 s)",
        &idle.cpu,
        &poll_intervals,
        conditions,
        activity,
    )?;

    let doors = rig.control.doors().await?;
    let door = doors.first().map(String::as_str);
    let condition = match door {
        Some(d) => format!(
            "demo door traffic running, plus {WALK_ENTRIES} walk-ins through {d} every {} s",
            WALK_EVERY.as_secs()
        ),
        None => "demo door traffic running".to_string(),
    };
    let occupancy_before = occupancy(&rig.driver).await?;
    let activity = page_activity(&rig.driver).await;
    rig.control.post("/doors/traffic/start").await?;
    let traffic = observe(&Watch {
        app_pid,
        baseline_pid: twin_pid,
        xvfb_pid: rig.xvfb_pid,
        cpu_window: idle_window,
        window: Duration::from_secs(options.traffic_seconds),
        walk: door.map(|d| (&rig.control, d)),
    })
    .await?;
    let occupancy_after = occupancy(&rig.driver).await?;
    report_cpu(
        "app.traffic_cpu_percent_of_one_core",
        &condition,
        &traffic.cpu,
        &poll_intervals,
        conditions,
        activity,
    )?;
    report_memory(
        &traffic,
        &condition,
        occupancy_before,
        occupancy_after,
        blank_memory.as_ref(),
        conditions,
    )?;
    close_app(&mut rig.driver, app_pid).await
}

fn app_env(display: &str, data_dir: &Path) -> Vec<(String, String)> {
    let mut env = vec![
        ("DISPLAY".to_string(), display.to_string()),
        ("NO_AT_BRIDGE".to_string(), "1".to_string()),
        (
            "VENUE_DATA_DIR".to_string(),
            data_dir.to_string_lossy().into_owned(),
        ),
    ];
    env.extend(
        DEMO_SECRETS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    env
}

/// `KEY=VALUE` strings as pairs; fails naming the first one without a key or '='.
fn parse_env(pairs: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
            _ => Err(anyhow!("--app-env {pair:?}: expected KEY=VALUE")),
        })
        .collect()
}

/// The distinct `interval_seconds` values in venue.toml (how often the live work polls).
fn sensor_intervals(config: &Path) -> Vec<u64> {
    let mut values: Vec<u64> = std::fs::read_to_string(config)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("interval_seconds"))
        .filter_map(|rest| rest.trim().strip_prefix('='))
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    values.sort_unstable();
    values.dedup();
    values
}

fn drop_caches_if(enabled: bool) -> anyhow::Result<()> {
    if !enabled {
        return Ok(());
    }
    // SAFETY: sync(2) takes no arguments, touches no memory of ours and cannot fail.
    #[allow(unsafe_code)]
    unsafe {
        libc::sync()
    };
    std::fs::write("/proc/sys/vm/drop_caches", "3")
        .context("--drop-caches: cannot write /proc/sys/vm/drop_caches (needs root, not in a read-only /proc)")
}

fn ensure_alive(pid: u32, what: &str) -> anyhow::Result<()> {
    match procfs::read_stat(pid)? {
        Some(stat) if stat.state != 'Z' => Ok(()),
        _ => bail!("{what} (pid {pid}) exited during the benchmark"),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Cold start

struct ColdStart {
    app_pid: u32,
    /// POST /session: returns once the app's page has loaded.
    post_session_ms: f64,
    /// Launch (before POST /session) → the PIN input found in the page.
    signin_painted_ms: f64,
    /// Click on submit → the occupancy shows a number.
    submit_to_numbers_ms: f64,
    occupancy: i64,
    /// Median WebDriver round trip of the polls: the resolution of the two times above.
    poll_ms: f64,
    /// Where the time went, from the page's own clock: phase name → ms.
    phases: Vec<(String, f64)>,
}

impl ColdStart {
    fn to_numbers_ms(&self) -> f64 {
        self.signin_painted_ms + self.submit_to_numbers_ms
    }
}

async fn cold_start(
    driver: &mut webdriver::Driver,
    app: &Path,
    driver_pid: u32,
) -> anyhow::Result<ColdStart> {
    let application = app.to_str().context("the app's path is not UTF-8")?;
    let launched_epoch_ms = epoch_ms();
    let launched = Instant::now();
    driver
        .new_session(json!({"tauri:options": {"application": application}}))
        .await?;
    let post_session_ms = ms(launched.elapsed());
    let mut polls = Vec::new();
    let d: &webdriver::Driver = driver;
    let pin = poll(Duration::from_secs(30), &mut polls, move || {
        d.find(SIGNIN_PIN)
    })
    .await?
    .with_context(|| format!("{SIGNIN_PIN} did not appear within 30 s"))?;
    let signin_painted_ms = ms(launched.elapsed());
    let app_pid = find_app_pid(driver_pid, app).await?;

    driver.send_keys(&pin, DEMO_PIN).await?;
    let submit = driver
        .find(SIGNIN_SUBMIT)
        .await?
        .with_context(|| format!("no {SIGNIN_SUBMIT}"))?;
    let submitted = Instant::now();
    driver.click(&submit).await?;
    let deadline = submitted + Duration::from_secs(30);
    let occupancy = loop {
        let asked = Instant::now();
        let text = driver.text(OCCUPANCY_NOW).await?;
        polls.push(ms(asked.elapsed()));
        if let Some(n) = text.as_deref().and_then(parse_count) {
            break n;
        }
        if Instant::now() > deadline {
            bail!(
                "{OCCUPANCY_NOW} showed no number within 30 s of signing in (last: {text:?}){}",
                window_error(driver).await
            );
        }
        if polls.len() % 20 == 0 {
            let error = window_error(driver).await;
            if !error.is_empty() {
                bail!("after signing in{error}");
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let submit_to_numbers_ms = ms(submitted.elapsed());
    let phases = start_phases(driver, launched_epoch_ms).await?;
    Ok(ColdStart {
        app_pid,
        post_session_ms,
        signin_painted_ms,
        submit_to_numbers_ms,
        occupancy,
        poll_ms: median(&polls),
        phases,
    })
}

fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The page's navigation timing and the User Timing marks the UI sets along the start-up path
/// (ui/src/lib/timing.ts), as ms since the page's time origin, plus its origin in epoch ms.
const START_MARKS: &str = "const nav = performance.getEntriesByType('navigation')[0];\
    const at = {}; for (const m of performance.getEntriesByType('mark')) at[m.name] = m.startTime;\
    return { origin: performance.timeOrigin, response_end: nav ? nav.responseEnd : null,\
    dom_loaded: nav ? nav.domContentLoadedEventEnd : null, marks: at };";

/// The phases of one start, consecutive: launch → the page's navigation (process, window, web
/// process), → the HTML (the app's custom protocol), → the script ran ("boot"), → the venue
/// read (IPC; waits for the store to open), → the PIN screen, then submit → signed in (PIN
/// hashes checked), → Today's data shown (also split: → asked, → answered, → shown).
async fn start_phases(
    driver: &webdriver::Driver,
    launched_epoch_ms: f64,
) -> anyhow::Result<Vec<(String, f64)>> {
    let page = driver.execute(START_MARKS).await?;
    let number = |v: &serde_json::Value| v.as_f64();
    let origin = number(&page["origin"]).context("the page reported no performance.timeOrigin")?;
    let mark = |name: &str| number(&page["marks"][name]);
    let steps: [(&str, Option<f64>, Option<f64>); 10] = [
        (
            "launch_to_navigation",
            Some(launched_epoch_ms - origin),
            Some(0.0),
        ),
        (
            "navigation_to_html",
            Some(0.0),
            number(&page["response_end"]),
        ),
        (
            "html_to_script_ran",
            number(&page["response_end"]),
            mark("boot"),
        ),
        ("script_to_venue_read", mark("boot"), mark("venue-read")),
        (
            "venue_read_to_signin_shown",
            mark("venue-read"),
            mark("signin-shown"),
        ),
        (
            "submit_to_signed_in",
            mark("signin-submit"),
            mark("signed-in"),
        ),
        (
            "signed_in_to_today_data",
            mark("signed-in"),
            mark("today-data"),
        ),
        // The last phase again, in three: the console's first render up to Today's request,
        // the request (IPC and the core), and rendering the answer.
        (
            "signed_in_to_today_asked",
            mark("signed-in"),
            mark("today-asked"),
        ),
        (
            "today_asked_to_answered",
            mark("today-asked"),
            mark("today-answered"),
        ),
        (
            "today_answered_to_shown",
            mark("today-answered"),
            mark("today-data"),
        ),
    ];
    Ok(steps
        .into_iter()
        .filter_map(|(name, from, to)| Some((name.to_string(), to? - from?)))
        .collect())
}

/// Polls `check` every few ms until it yields Some or `timeout` passes, recording round trips.
async fn poll<T, F, Fut>(
    timeout: Duration,
    round_trips: &mut Vec<f64>,
    mut check: F,
) -> anyhow::Result<Option<T>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let asked = Instant::now();
        let found = check().await?;
        round_trips.push(ms(asked.elapsed()));
        if found.is_some() || Instant::now() > deadline {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// ": the window shows …" when it shows a sign-in error or an error banner, else "".
async fn window_error(driver: &mut webdriver::Driver) -> String {
    for css in [SIGNIN_ERROR, ERROR_CODE] {
        if let Ok(Some(text)) = driver.text(css).await {
            if !text.is_empty() {
                return format!(": the window shows {css}: {text}");
            }
        }
    }
    String::new()
}

/// A count as the UI prints it ("1,234", "17"); None for a placeholder ("—") or anything else.
fn parse_count(text: &str) -> Option<i64> {
    let digits: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '\u{202f}' | '\u{a0}'))
        .collect();
    let unsigned = digits.strip_prefix('-').unwrap_or(&digits);
    if unsigned.is_empty() || !unsigned.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The app's pid: the descendant of tauri-driver running the app binary.
async fn find_app_pid(driver_pid: u32, app: &Path) -> anyhow::Result<u32> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stats = procfs::all_stats();
        let found = procfs::descendants(driver_pid, &stats)
            .into_iter()
            .find(|pid| procfs::exe(*pid).is_some_and(|exe| exe == app));
        if let Some(pid) = found {
            return Ok(pid);
        }
        if Instant::now() > deadline {
            bail!(
                "no process running {} under tauri-driver (pid {driver_pid})",
                app.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Ends the WebDriver session and waits until the app and its WebKit processes are gone (the
/// app allows a single instance, and the next cold start must not share them); stragglers are
/// stopped.
async fn close_app(driver: &mut webdriver::Driver, app_pid: u32) -> anyhow::Result<()> {
    let tree = procfs::tree(app_pid);
    let closed = driver.delete_session().await;
    let killed = supervise::wait_gone_or_kill(&tree, Duration::from_secs(10)).await;
    if killed > 0 {
        eprintln!("app: {killed} process(es) of the app were still running 10 s after the session ended; stopped them");
    }
    closed
}

/// `venue status --json` from spawn to exit, checking it answered with a JSON object.
fn cli_status_ms(venue: &Path, data_dir: &Path) -> anyhow::Result<f64> {
    let started = Instant::now();
    let output = Command::new(venue)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["status", "--json"])
        .output()
        .context("cannot run venue status")?;
    let took = ms(started.elapsed());
    if !output.status.success() {
        bail!(
            "venue status --json failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    serde_json::from_slice::<serde_json::Value>(&output.stdout)
        .context("venue status --json did not print JSON")?;
    Ok(took)
}

struct BlankStart {
    post_session_ms: f64,
    painted_ms: f64,
}

impl Blank {
    /// Launches MiniBrowser on about:blank: times the launch, returns its pid.
    async fn open(&mut self) -> anyhow::Result<(BlankStart, u32)> {
        let binary = self
            .minibrowser
            .to_str()
            .context("MiniBrowser's path is not UTF-8")?;
        let launched = Instant::now();
        self.driver
            .new_session(json!({"webkitgtk:browserOptions": {
                "binary": binary, "args": ["--automation"]
            }}))
            .await
            .context("the blank-page baseline (MiniBrowser)")?;
        let post_session_ms = ms(launched.elapsed());
        let d = &self.driver;
        poll(Duration::from_secs(30), &mut Vec::new(), move || {
            d.find("body")
        })
        .await?
        .context("MiniBrowser's blank page has no body within 30 s")?;
        let painted_ms = ms(launched.elapsed());
        let pid = procfs::descendants(self.driver_pid, &procfs::all_stats())
            .into_iter()
            .find(|pid| procfs::exe(*pid).is_some_and(|exe| exe == self.minibrowser))
            .context("no MiniBrowser process under its WebKitWebDriver")?;
        let start = BlankStart {
            post_session_ms,
            painted_ms,
        };
        Ok((start, pid))
    }

    /// Ends the session; waits for MiniBrowser and its WebKit processes to be gone.
    async fn close(&mut self, pid: u32) -> anyhow::Result<()> {
        let tree = procfs::tree(pid);
        let closed = self.driver.delete_session().await;
        supervise::wait_gone_or_kill(&tree, Duration::from_secs(10)).await;
        closed
    }
}

/// The web engine at rest: MiniBrowser on about:blank, its CPU over `window` and the memory of
/// it and its WebKit processes at the end. Measured before the app's live start, with no other
/// WebKit process up: neither disturbs the other's CPU or shares pages with it in PSS.
async fn blank_engine_idle(
    blank: &mut Blank,
    window: Duration,
) -> anyhow::Result<(procfs::CpuShares, procfs::TreeMemory)> {
    let (_, pid) = blank.open().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut meter = procfs::CpuMeter::start(pid, "MiniBrowser");
    let started = Instant::now();
    tokio::time::sleep(window).await;
    meter.sample();
    let shares = meter.shares(started.elapsed().as_secs_f64());
    let memory = procfs::tree_memory(pid);
    blank.close(pid).await?;
    Ok((shares, memory))
}

/// The same web engine opening a blank page: MiniBrowser under WebKitWebDriver directly.
async fn blank_page(blank: &mut Blank) -> anyhow::Result<BlankStart> {
    let (start, pid) = blank.open().await?;
    blank.close(pid).await?;
    Ok(start)
}

/// Each phase's median over the runs that reported it, in start-up order.
fn median_phases(starts: &[ColdStart]) -> serde_json::Map<String, serde_json::Value> {
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in starts.iter().flat_map(|s| &s.phases) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let values: Vec<f64> = starts
                .iter()
                .flat_map(|s| &s.phases)
                .filter(|(n, _)| n == name)
                .map(|(_, v)| *v)
                .collect();
            (name.to_string(), json!(round(median(&values))))
        })
        .collect()
}

fn report_cold_starts(
    runs: &ColdStarts,
    dropped_caches: bool,
    conditions: &serde_json::Value,
) -> anyhow::Result<()> {
    let (starts, cli, blanks) = (&runs.starts, &runs.cli, &runs.blanks);
    let (Some(first), Some(cli_first)) = (starts.first(), cli.first()) else {
        bail!("no cold starts were measured (--runs 0?)");
    };
    let totals: Vec<f64> = starts.iter().map(ColdStart::to_numbers_ms).collect();
    let signin: Vec<f64> = starts.iter().map(|s| s.signin_painted_ms).collect();
    let numbers: Vec<f64> = starts.iter().map(|s| s.submit_to_numbers_ms).collect();
    let posts: Vec<f64> = starts.iter().map(|s| s.post_session_ms).collect();
    let polls: Vec<f64> = starts.iter().map(|s| s.poll_ms).collect();
    let blank_painted: Vec<f64> = blanks.iter().map(|b| b.painted_ms).collect();
    let cache = if dropped_caches {
        "the OS page cache was dropped before every launch"
    } else {
        "the OS page cache is warm after the first launch (and may be before it)"
    };
    let phases = median_phases(starts);
    let per_run = json!({
        "launch_to_signin_painted_ms": round_all(&signin),
        "post_session_ms": round_all(&posts),
        "submit_to_numbers_ms": round_all(&numbers),
        "occupancy_shown": starts.iter().map(|s| s.occupancy).collect::<Vec<_>>(),
        "cli_status_ms": round_all(cli),
        "blank_page_ms": round_all(&blank_painted),
    });
    let what = "launch → sign-in screen painted + sign-in submit → Today's occupancy number \
                painted (the time a person takes to type the PIN is not counted)";
    let baseline_is =
        "`venue status --json` (the CLI on the same core, no window) from spawn to exit";
    line(
        "app.cold_start_to_numbers_first_ms",
        first.to_numbers_ms(),
        "ms",
        *cli_first,
        first.to_numbers_ms() / cli_first.max(0.001),
        json!({"goal": 1000, "what": what, "baseline_is": baseline_is, "cache": cache,
               "resolution_ms": round(first.poll_ms)}),
    )?;
    let (total, cli_median) = (median(&totals), median(cli));
    line(
        "app.cold_start_to_numbers_median_ms",
        total,
        "ms",
        cli_median,
        total / cli_median.max(0.001),
        json!({"goal": 1000, "what": what, "baseline_is": baseline_is, "cache": cache,
               "runs": starts.len(), "resolution_ms": round(median(&polls)), "per_run": per_run,
               "phases_median_ms": phases, "conditions": conditions}),
    )?;
    let painted = median(&signin);
    let blank_median = median(&blank_painted);
    line(
        "app.launch_to_signin_painted_median_ms",
        painted,
        "ms",
        blank_median,
        if blanks.is_empty() {
            0.0
        } else {
            painted / blank_median.max(0.001)
        },
        json!({
            "first_ms": round(first.signin_painted_ms),
            "post_session_median_ms": round(median(&posts)),
            "what": "before POST /session (tauri-driver launches the app) → the PIN input found; POST /session itself returns once the page has loaded",
            "baseline_is": if blanks.is_empty() {
                "none: WebKitGTK's MiniBrowser is not installed (libwebkit2gtk-4.1-0)".to_string()
            } else {
                "WebKitGTK's MiniBrowser under WebKitWebDriver opening about:blank (same engine, no app), launch → <body> found".to_string()
            },
            "baseline_first_ms": blank_painted.first().map(|v| round(*v)),
            "baseline_post_session_median_ms": round(median(&blanks.iter().map(|b| b.post_session_ms).collect::<Vec<_>>())),
        }),
    )?;
    let after = median(&numbers);
    line(
        "app.signin_to_numbers_median_ms",
        after,
        "ms",
        cli_median,
        after / cli_median.max(0.001),
        json!({
            "first_ms": round(first.submit_to_numbers_ms),
            "what": "click on sign-in → [data-testid=occupancy-now] shows a number read from the store",
            "baseline_is": baseline_is,
        }),
    )?;
    eprintln!(
        "app: cold start to numbers: first {:.0} ms, median {:.0} ms of {} (goal ≤ 1000); `venue status` {:.0} ms median; blank MiniBrowser {}",
        first.to_numbers_ms(),
        total,
        starts.len(),
        cli_median,
        if blanks.is_empty() { "not measured".to_string() } else { format!("{blank_median:.0} ms median") }
    );
    Ok(())
}

/// What keeps the page busy while nothing changes: running animations (CSS and Web
/// Animations, by the class of their element) and skeleton placeholders still shown.
const PAGE_ACTIVITY: &str = "const running = document.getAnimations().filter((a) => a.playState === 'running');\
    return { running_animations: running.length,\
    animated_elements: [...new Set(running.map((a) => (a.effect && a.effect.target && a.effect.target.className) || '?'))].slice(0, 10),\
    skeletons: document.querySelectorAll('.skeleton').length,\
    canvases: document.querySelectorAll('canvas').length };";

/// The page's activity, or the error as a string (a diagnostic must not fail the run).
async fn page_activity(driver: &webdriver::Driver) -> serde_json::Value {
    match driver.execute(PAGE_ACTIVITY).await {
        Ok(value) => value,
        Err(e) => json!({"error": format!("{e:#}")}),
    }
}

async fn occupancy(driver: &webdriver::Driver) -> anyhow::Result<Option<i64>> {
    Ok(driver
        .text(OCCUPANCY_NOW)
        .await?
        .as_deref()
        .and_then(parse_count))
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. CPU and memory

struct CpuWindow {
    seconds: f64,
    /// Percent of one core by process: "app" for the app itself, else the process name.
    app: procfs::CpuShares,
    baseline: procfs::CpuShares,
    /// The X server this run started (drawing the window costs it too), when there is one.
    display_server: Option<f64>,
    /// MiniBrowser on about:blank and its WebKit processes, over a window as long.
    blank_engine: Option<procfs::CpuShares>,
    /// The app tree's percent of a core in each sampling interval (about a second).
    timeline: Vec<f64>,
}

struct Observed {
    cpu: CpuWindow,
    app_memory: Vec<procfs::TreeMemory>,
    baseline_memory: Vec<procfs::TreeMemory>,
    seconds: f64,
    walk_ins: u32,
}

/// What runs during an observation window, and what is measured.
struct Watch<'a> {
    app_pid: u32,
    baseline_pid: u32,
    xvfb_pid: Option<u32>,
    /// CPU is summed over the first `cpu_window`...
    cpu_window: Duration,
    /// ...memory read every 10 s over the whole window, from its start.
    window: Duration,
    /// People walking in through this door every `WALK_EVERY`, so that the numbers change.
    walk: Option<(&'a Control, &'a str)>,
}

async fn observe(w: &Watch<'_>) -> anyhow::Result<Observed> {
    let mut app_memory = vec![procfs::tree_memory(w.app_pid)];
    let mut baseline_memory = vec![procfs::tree_memory(w.baseline_pid)];
    let started = Instant::now();
    let mut app_cpu = procfs::CpuMeter::start(w.app_pid, "app");
    let mut baseline_cpu = procfs::CpuMeter::start(w.baseline_pid, "venue run");
    let mut xvfb_cpu = w.xvfb_pid.map(|pid| procfs::CpuMeter::start(pid, "Xvfb"));
    let hz = procfs::clock_ticks_per_second();
    let cpu_end = started + w.cpu_window;
    let end = started + w.window.max(w.cpu_window);
    let mut last_cpu = started;
    let mut next_cpu = Some((started + CPU_EVERY).min(cpu_end));
    let (mut next_memory, mut next_walk) = (started + MEMORY_EVERY, started);
    let (mut timeline, mut walk_ins) = (Vec::new(), 0);
    loop {
        let now = Instant::now();
        if let Some((control, door)) = w.walk.filter(|_| now >= next_walk) {
            control
                .post(&format!("/doors/{door}/walk?entries={WALK_ENTRIES}"))
                .await?;
            walk_ins += WALK_ENTRIES;
            next_walk += WALK_EVERY;
        }
        if next_cpu.is_some_and(|at| now >= at) {
            let ticks = app_cpu.sample();
            baseline_cpu.sample();
            if let Some(x) = &mut xvfb_cpu {
                x.sample();
            }
            let interval = now.duration_since(last_cpu).as_secs_f64();
            timeline.push(ticks as f64 / hz / interval.max(1e-3) * 100.0);
            last_cpu = now;
            next_cpu = (now < cpu_end).then(|| (now + CPU_EVERY).min(cpu_end));
        }
        if now >= next_memory {
            app_memory.push(procfs::tree_memory(w.app_pid));
            baseline_memory.push(procfs::tree_memory(w.baseline_pid));
            next_memory += MEMORY_EVERY;
        }
        ensure_alive(w.app_pid, "the app")?;
        if now >= end && next_cpu.is_none() {
            break;
        }
        let mut wake = next_memory.min(end);
        if let Some(at) = next_cpu {
            wake = wake.min(at);
        }
        if w.walk.is_some() {
            wake = wake.min(next_walk);
        }
        tokio::time::sleep_until(wake.max(now + Duration::from_millis(1)).into()).await;
    }
    let seconds = last_cpu.duration_since(started).as_secs_f64();
    Ok(Observed {
        cpu: CpuWindow {
            seconds,
            app: app_cpu.shares(seconds),
            baseline: baseline_cpu.shares(seconds),
            display_server: xvfb_cpu.map(|x| x.shares(seconds).total()),
            blank_engine: None,
            timeline,
        },
        app_memory,
        baseline_memory,
        seconds: started.elapsed().as_secs_f64(),
        walk_ins,
    })
}

fn report_cpu(
    name: &str,
    condition: &str,
    window: &CpuWindow,
    poll_intervals: &[u64],
    conditions: &serde_json::Value,
    page: serde_json::Value,
) -> anyhow::Result<()> {
    let app_own = window.app.get("app");
    let total = window.app.total();
    let web = total - app_own;
    let baseline = window.baseline.total();
    line(
        name,
        total,
        "%",
        baseline,
        total / baseline.max(0.001),
        json!({
            "goal": 1,
            "app_percent": round(app_own),
            "web_processes_percent": round(web),
            "by_process": window.app.rounded(),
            "display_server_percent": window.display_server.map(round),
            "display_server_is": "the Xvfb this run started, drawing the window (not in the value)",
            "blank_page_engine_percent": window.blank_engine.as_ref().map(|e| round(e.total())),
            "blank_page_engine_by_process": window.blank_engine.as_ref().map(procfs::CpuShares::rounded),
            "blank_page_engine_is": "WebKitGTK's MiniBrowser on about:blank under WebKitWebDriver, over a window as long before the app's live start, with no other WebKit process up: the web engine at rest (idle line only)",
            "per_interval_percent": window.timeline.iter().map(|v| (v * 10.0).round() / 10.0).collect::<Vec<_>>(),
            "busiest_interval_percent": round(window.timeline.iter().copied().fold(0.0, f64::max)),
            "seconds": round(window.seconds),
            "condition": condition,
            "what": "utime+stime of the app and every descendant (WebKitWebProcess, WebKitNetworkProcess, …) over the window, as percent of one core; signed in on Today",
            "baseline_is": "`venue run` on a twin demo data dir (the same live work without a window), same window",
            "interval_seconds_in_venue_toml": poll_intervals,
            "page_before_the_window": page,
            "conditions": conditions,
        }),
    )?;
    eprintln!(
        "app: {condition}: {total:.2}% of a core (app {app_own:.2}%, web {web:.2}%) over {:.0} s (goal < 1); `venue run` {baseline:.2}%",
        window.seconds
    );
    Ok(())
}

fn report_memory(
    traffic: &Observed,
    condition: &str,
    occupancy_before: Option<i64>,
    occupancy_after: Option<i64>,
    blank_engine: Option<&procfs::TreeMemory>,
    conditions: &serde_json::Value,
) -> anyhow::Result<()> {
    let mb = |kb: u64| kb as f64 / 1024.0;
    let peak = |samples: &[procfs::TreeMemory], f: fn(&procfs::TreeMemory) -> u64| {
        samples.iter().map(f).max().unwrap_or(0)
    };
    let (app, base) = (&traffic.app_memory, &traffic.baseline_memory);
    let (Some(last), Some(base_last)) = (app.last(), base.last()) else {
        bail!("no memory samples");
    };
    let common = json!({
        "traffic_seconds": round(traffic.seconds),
        "condition": condition,
        "walk_ins": traffic.walk_ins,
        "samples": app.len(),
        "occupancy_at_traffic_start": occupancy_before,
        "occupancy_at_end": occupancy_after,
        "baseline_is": "`venue run` on a twin demo data dir (the same live work without a window), same window",
        "conditions": conditions,
    });
    let pss_peak = peak(app, |m| m.pss_kb);
    line(
        "app.memory_pss_peak_mb",
        mb(pss_peak),
        "MB",
        mb(peak(base, |m| m.pss_kb)),
        pss_peak as f64 / peak(base, |m| m.pss_kb).max(1) as f64,
        json!({
            "goal": 200,
            "what": "PSS (from /proc/<pid>/smaps_rollup; shared pages split between the processes sharing them) summed over the app and its descendants, peak of samples every 10 s with demo traffic on",
            "final_mb": round(mb(last.pss_kb)),
            "app_own_final_mb": round(mb(last.app_pss_kb)),
            "app_own_peak_mb": round(mb(peak(app, |m| m.app_pss_kb))),
            "by_process_final_mb": last.by_process_mb(|p| p.pss_kb),
            "app_and_web_process_final_mb": round(mb(last.pss_kb_without_network_process())),
            "app_and_web_process_is": "the same PSS without WebKit's network process: the app and its web process, as the goal names them",
            "private_final_mb": round(mb(last.private_kb)),
            "private_by_process_final_mb": last.by_process_mb(|p| p.private_kb),
            "private_is": "USS: Private_Clean + Private_Dirty, the pages only the app's processes map (what closing it frees, whatever else runs)",
            "baseline_final_mb": round(mb(base_last.pss_kb)),
            "blank_page_engine_mb": blank_engine.map(|m| round(mb(m.pss_kb))),
            "blank_page_engine_by_process_mb": blank_engine.map(|m| m.by_process_mb(|p| p.pss_kb)),
            "blank_page_engine_private_mb": blank_engine.map(|m| round(mb(m.private_kb))),
            "blank_page_engine_without_network_process_mb": blank_engine.map(|m| round(mb(m.pss_kb_without_network_process()))),
            "blank_page_engine_is": "WebKitGTK's MiniBrowser on about:blank and its WebKit processes (the same engine with no page), PSS at the end of its idle window, measured alone (next to the app's WebKit processes it would share their pages and read lighter); its UI process, unlike the app's, also loads Mesa and libLLVM",
            "pss_available": last.pss_available,
            "detail": common,
        }),
    )?;
    let rss_peak = peak(app, |m| m.rss_kb);
    line(
        "app.memory_rss_sum_peak_mb",
        mb(rss_peak),
        "MB",
        mb(peak(base, |m| m.rss_kb)),
        rss_peak as f64 / peak(base, |m| m.rss_kb).max(1) as f64,
        json!({
            "goal": 200,
            "what": "VmRSS summed over the app and its descendants (over-counts the shared libraries each maps), peak of samples every 10 s",
            "final_mb": round(mb(last.rss_kb)),
            "app_own_final_mb": round(mb(last.app_rss_kb)),
            "app_own_peak_mb": round(mb(peak(app, |m| m.app_rss_kb))),
            "by_process_final_mb": last.by_process_mb(|p| p.rss_kb),
            "baseline_final_mb": round(mb(base_last.rss_kb)),
            "detail": common,
        }),
    )?;
    eprintln!(
        "app: memory after {:.0} s of traffic: PSS peak {:.1} MB (final {:.1}, app's own {:.1}, app + web process {:.1}; private {:.1}), RSS sum peak {:.1} MB (goal ≤ 200); `venue run` PSS {:.1} MB; blank MiniBrowser PSS {}",
        traffic.seconds,
        mb(pss_peak),
        mb(last.pss_kb),
        mb(last.app_pss_kb),
        mb(last.pss_kb_without_network_process()),
        mb(last.private_kb),
        mb(rss_peak),
        mb(peak(base, |m| m.pss_kb)),
        blank_engine.map_or("not measured".to_string(), |m| format!(
            "{:.1} MB (browser + web process {:.1}; private {:.1})",
            mb(m.pss_kb),
            mb(m.pss_kb_without_network_process()),
            mb(m.private_kb)
        )),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 4. Sizes

fn report_sizes(
    app: &Path,
    venue: &Path,
    root: &Path,
    bundle_build: Option<Duration>,
) -> anyhow::Result<()> {
    let size = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len())
            .with_context(|| format!("cannot stat {}", p.display()))
    };
    let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
    let (app_bytes, venue_bytes) = (size(app)?, size(venue)?);
    line(
        "app.release_binary_mb",
        mb(app_bytes),
        "MB",
        mb(venue_bytes),
        app_bytes as f64 / venue_bytes.max(1) as f64,
        json!({"bytes": app_bytes, "path": app.display().to_string(), "baseline_is": "the `venue` CLI release binary (same core, no window)", "baseline_bytes": venue_bytes}),
    )?;
    match bundle::find_deb(root) {
        Some(deb) => {
            let deb_bytes = size(&deb)?;
            let stale = bundle::stale(&deb, app);
            line(
                "app.bundle_deb_mb",
                mb(deb_bytes),
                "MB",
                mb(app_bytes),
                deb_bytes as f64 / app_bytes.max(1) as f64,
                json!({
                    "bytes": deb_bytes,
                    "path": deb.display().to_string(),
                    "installed_size_kb": bundle::installed_size_kb(&deb),
                    "built_in_this_run": bundle_build.is_some(),
                    "build_seconds": bundle_build.map(|d| round(d.as_secs_f64())),
                    "older_than_the_binary": stale,
                    "older_than_the_binary_is": "built more than a minute before the binary: it may pack an older build",
                    "baseline_is": "the release binary it packs (uncompressed)",
                    "unit_is": "MB = 10^6 bytes",
                }),
            )?;
            eprintln!(
                "app: release binary {:.1} MB; .deb {:.1} MB ({}){}",
                mb(app_bytes),
                mb(deb_bytes),
                deb.display(),
                if stale {
                    " — older than the binary; pass --bundle to rebuild"
                } else {
                    ""
                }
            );
        }
        None => {
            println!(
                "{}",
                json!({"name": "app.bundle_deb_mb", "value": null, "unit": "MB",
                       "note": "no .deb under target/release/bundle/deb; pass --bundle to build one"})
            );
            eprintln!(
                "app: release binary {:.1} MB; no .deb bundle (pass --bundle)",
                mb(app_bytes)
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round_all(xs: &[f64]) -> Vec<f64> {
    xs.iter().map(|x| (x * 10.0).round() / 10.0).collect()
}

/// The median (mean of the middle two for an even count); 0 for none.
fn median(xs: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The simulators' control API (`venue sim --control-port`).
struct Control {
    base: String,
    http: reqwest::Client,
}

impl Control {
    fn new(base: String) -> anyhow::Result<Self> {
        Ok(Control {
            base,
            http: venue_http::tls::client_builder()?
                .timeout(Duration::from_secs(10))
                .build()?,
        })
    }

    async fn post(&self, path: &str) -> anyhow::Result<()> {
        let url = format!("{}{path}", self.base);
        let response = self
            .http
            .post(&url)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        if !response.status().is_success() {
            bail!(
                "POST {url}: HTTP {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }

    /// The door counters' device names (GET /doors).
    async fn doors(&self) -> anyhow::Result<Vec<String>> {
        let url = format!("{}/doors", self.base);
        let doors: Vec<serde_json::Value> = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("GET {url}"))?
            .json()
            .await
            .with_context(|| format!("GET {url}: not a JSON list"))?;
        Ok(doors
            .iter()
            .filter_map(|d| d.get("device")?.as_str().map(str::to_string))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_as_the_ui_prints_them() {
        assert_eq!(parse_count("17"), Some(17));
        assert_eq!(parse_count(" 1,234 "), Some(1234));
        assert_eq!(parse_count("0"), Some(0));
        assert_eq!(parse_count("-3"), Some(-3));
        assert_eq!(parse_count("—"), None);
        assert_eq!(parse_count(""), None);
        assert_eq!(parse_count("12 people"), None);
        assert_eq!(parse_count("-"), None);
    }

    #[test]
    fn app_env_pairs() {
        let pairs = parse_env(&["A=1".into(), "B=x=y".into(), "C=".into()]).expect("parses");
        assert_eq!(
            pairs,
            [
                ("A".into(), "1".into()),
                ("B".into(), "x=y".into()),
                ("C".into(), String::new())
            ]
        );
        assert!(parse_env(&["NOEQUALS".into()]).is_err());
        assert!(parse_env(&["=1".into()]).is_err());
    }

    #[test]
    fn observing_a_quiet_process_samples_every_second() {
        let mut child = Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let observed = runtime.block_on(observe(&Watch {
            app_pid: pid,
            baseline_pid: pid,
            xvfb_pid: None,
            cpu_window: Duration::from_millis(2_500),
            window: Duration::from_millis(1_500),
            walk: None,
        }));
        let _ = child.kill();
        let _ = child.wait();
        let observed = observed.expect("observed");
        assert!(
            (observed.cpu.seconds - 2.5).abs() < 0.3,
            "{}",
            observed.cpu.seconds
        );
        // 1 s, 2 s, then the end of the window at 2.5 s; a sleeping process spends nothing.
        assert_eq!(
            observed.cpu.timeline.len(),
            3,
            "{:?}",
            observed.cpu.timeline
        );
        assert!(observed.cpu.timeline.iter().all(|p| *p < 50.0));
        assert!(observed.cpu.app.total() < 5.0);
        // At the start only: the next memory reading would be at 10 s.
        assert_eq!(observed.app_memory.len(), 1);
        assert!(observed.app_memory[0].rss_kb > 0);
        assert_eq!(observed.walk_ins, 0);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0]), 3.0);
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn intervals_from_venue_toml() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("venue.toml");
        std::fs::write(
            &path,
            "[[sensor]]\ninterval_seconds = 15\n[[sensor]]\n  interval_seconds=15\n[[connector]]\ninterval_seconds = 300\n",
        )
        .expect("write");
        assert_eq!(sensor_intervals(&path), [15, 300]);
        assert!(sensor_intervals(&dir.path().join("missing.toml")).is_empty());
    }
}
