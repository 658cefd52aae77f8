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
    let venue = require_binary(&options.venue, "cargo build --release -p venue-cli")?;
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
        eprintln!(
            "app: cold start {}: sign-in painted {:.0} ms, submit → numbers {:.0} ms",
            i + 1,
            start.signin_painted_ms,
            start.submit_to_numbers_ms
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
    tokio::time::sleep(SETTLE).await;
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
    let mut blank_memory = None;
    if let Some(blank) = &mut rig.blank {
        let (cpu, memory) = blank_engine_idle(blank, idle_window).await?;
        idle.cpu.blank_engine = Some(cpu);
        blank_memory = Some(memory);
    }
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
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
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
    Ok(ColdStart {
        app_pid,
        post_session_ms,
        signin_painted_ms,
        submit_to_numbers_ms: ms(submitted.elapsed()),
        occupancy,
        poll_ms: median(&polls),
    })
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

/// The web engine at rest: MiniBrowser on about:blank, its CPU over `window` (measured after
/// the app's window, not during it, so that its window does not disturb the app's) and the
/// memory of it and its WebKit processes at the end.
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
               "conditions": conditions}),
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
            "blank_page_engine_is": "WebKitGTK's MiniBrowser on about:blank under WebKitWebDriver, over a window as long right after the app's: the web engine at rest (idle line only)",
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
            "baseline_final_mb": round(mb(base_last.pss_kb)),
            "blank_page_engine_mb": blank_engine.map(|m| round(mb(m.pss_kb))),
            "blank_page_engine_by_process_mb": blank_engine.map(|m| m.by_process_mb(|p| p.pss_kb)),
            "blank_page_engine_is": "WebKitGTK's MiniBrowser on about:blank and its WebKit processes (the same engine with no page), PSS at the end of the idle window",
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
        "app: memory after {:.0} s of traffic: PSS peak {:.1} MB (final {:.1}, app's own {:.1}), RSS sum peak {:.1} MB (goal ≤ 200); `venue run` PSS {:.1} MB; blank MiniBrowser PSS {}",
        traffic.seconds,
        mb(pss_peak),
        mb(last.pss_kb),
        mb(last.app_pss_kb),
        mb(rss_peak),
        mb(peak(base, |m| m.pss_kb)),
        blank_engine.map_or("not measured".to_string(), |m| format!("{:.1} MB", mb(m.pss_kb))),
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
            http: reqwest::Client::builder()
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

// ---------------------------------------------------------------------------------------------

/// Reading /proc: process stats, descendants, CPU time and memory.
mod procfs {
    use anyhow::{bail, Context as _};
    use serde_json::json;
    use std::collections::{BTreeMap, HashMap, VecDeque};
    use std::path::PathBuf;

    /// The fields of /proc/<pid>/stat this benchmark uses.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Stat {
        pub pid: u32,
        /// The process name (up to 15 bytes; may contain spaces and parentheses).
        pub comm: String,
        pub state: char,
        pub ppid: u32,
        /// The process group.
        pub pgrp: u32,
        /// User and system time in clock ticks, all threads.
        pub utime: u64,
        pub stime: u64,
        /// Clock ticks after boot when the process started: with the pid, its identity.
        pub starttime: u64,
    }

    impl Stat {
        pub fn ticks(&self) -> u64 {
            self.utime + self.stime
        }
    }

    /// Parses one /proc/<pid>/stat line. The name sits between the first '(' and the LAST ')',
    /// since it may itself contain both and spaces.
    pub fn parse_stat(text: &str) -> anyhow::Result<Stat> {
        let open = text.find('(').context("no '(' in stat")?;
        let close = text.rfind(')').context("no ')' in stat")?;
        if close < open {
            bail!("malformed stat: {text:?}");
        }
        let pid = text[..open].trim().parse().context("stat pid")?;
        let comm = text[open + 1..close].to_string();
        let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
        let field = |i: usize, what: &str| -> anyhow::Result<u64> {
            rest.get(i)
                .with_context(|| format!("stat has no {what}"))?
                .parse()
                .with_context(|| format!("stat {what}"))
        };
        Ok(Stat {
            pid,
            comm,
            state: rest
                .first()
                .and_then(|s| s.chars().next())
                .context("stat has no state")?,
            ppid: u32::try_from(field(1, "ppid")?).context("stat ppid")?,
            pgrp: u32::try_from(field(2, "pgrp")?).context("stat pgrp")?,
            utime: field(11, "utime")?,
            stime: field(12, "stime")?,
            starttime: field(19, "starttime")?,
        })
    }

    /// /proc/<pid>/stat, or None when the process is gone.
    pub fn read_stat(pid: u32) -> anyhow::Result<Option<Stat>> {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(text) => parse_stat(&text).map(Some),
            Err(e) if gone(&e) => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read /proc/{pid}/stat")),
        }
    }

    fn gone(e: &std::io::Error) -> bool {
        e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
    }

    /// Every process's stat (those that vanish while reading are skipped).
    pub fn all_stats() -> Vec<Stat> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter_map(|pid| read_stat(pid).ok().flatten())
            .collect()
    }

    /// Every descendant of `root` in `stats` (children, their children, …), not `root` itself.
    pub fn descendants(root: u32, stats: &[Stat]) -> Vec<u32> {
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for s in stats {
            children.entry(s.ppid).or_default().push(s.pid);
        }
        let mut found = Vec::new();
        let mut queue = VecDeque::from([root]);
        while let Some(pid) = queue.pop_front() {
            for &child in children.get(&pid).into_iter().flatten() {
                if child != root && !found.contains(&child) {
                    found.push(child);
                    queue.push_back(child);
                }
            }
        }
        found
    }

    /// Whether a process of group `pgid` is still running (zombies waiting to be reaped by
    /// someone else do not count).
    pub fn group_alive(pgid: u32) -> bool {
        all_stats()
            .iter()
            .any(|s| s.pgrp == pgid && s.state != 'Z' && s.state != 'X')
    }

    /// `root` and its descendants, now.
    pub fn tree(root: u32) -> Vec<u32> {
        let mut pids = vec![root];
        pids.extend(descendants(root, &all_stats()));
        pids
    }

    /// The program's name: argv[0]'s last path component (the kernel's `comm` is cut at 15
    /// bytes: "WebKitNetworkPr"), else `comm`.
    pub fn name(stat: &Stat) -> String {
        std::fs::read(format!("/proc/{}/cmdline", stat.pid))
            .ok()
            .and_then(|cmdline| program_name(&cmdline))
            .unwrap_or_else(|| stat.comm.clone())
    }

    /// argv[0]'s file name from a NUL-separated /proc/<pid>/cmdline.
    pub fn program_name(cmdline: &[u8]) -> Option<String> {
        let argv0 = cmdline.split(|b| *b == 0).next()?;
        let argv0 = String::from_utf8_lossy(argv0);
        let name = argv0.rsplit('/').next()?.trim();
        (!name.is_empty()).then(|| name.to_string())
    }

    pub fn exe(pid: u32) -> Option<PathBuf> {
        std::fs::read_link(format!("/proc/{pid}/exe")).ok()
    }

    pub fn clock_ticks_per_second() -> f64 {
        // SAFETY: sysconf only reads a configuration value.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if hz > 0 {
            hz as f64
        } else {
            100.0
        }
    }

    /// Accumulates the CPU ticks a process tree spends between samples, by process name.
    /// A process seen for the first time after the start counts from its birth; one that
    /// exits between two samples loses its last interval.
    pub struct CpuMeter {
        root: u32,
        root_label: String,
        last: HashMap<(u32, u64), u64>,
        names: HashMap<(u32, u64), String>,
        ticks: BTreeMap<String, u64>,
    }

    impl CpuMeter {
        pub fn start(root: u32, root_label: &str) -> Self {
            let mut meter = CpuMeter {
                root,
                root_label: root_label.to_string(),
                last: HashMap::new(),
                names: HashMap::new(),
                ticks: BTreeMap::new(),
            };
            for s in meter.snapshot() {
                meter.last.insert((s.pid, s.starttime), s.ticks());
            }
            meter
        }

        fn snapshot(&self) -> Vec<Stat> {
            let stats = all_stats();
            let tree = descendants(self.root, &stats);
            stats
                .into_iter()
                .filter(|s| s.pid == self.root || tree.contains(&s.pid))
                .collect()
        }

        /// Reads the tree now; returns the ticks it spent since the last sample.
        pub fn sample(&mut self) -> u64 {
            let stats = self.snapshot();
            self.add(&stats)
        }

        pub fn add(&mut self, stats: &[Stat]) -> u64 {
            let mut added = 0;
            for s in stats {
                let before = self
                    .last
                    .insert((s.pid, s.starttime), s.ticks())
                    .unwrap_or(0);
                let label = if s.pid == self.root {
                    self.root_label.clone()
                } else {
                    self.names
                        .entry((s.pid, s.starttime))
                        .or_insert_with(|| name(s))
                        .clone()
                };
                let delta = s.ticks().saturating_sub(before);
                *self.ticks.entry(label).or_default() += delta;
                added += delta;
            }
            added
        }

        pub fn shares(&self, seconds: f64) -> CpuShares {
            let hz = clock_ticks_per_second();
            CpuShares(
                self.ticks
                    .iter()
                    .map(|(label, t)| (label.clone(), *t as f64 / hz / seconds.max(1e-9) * 100.0))
                    .collect(),
            )
        }
    }

    /// Percent of one core by process name.
    pub struct CpuShares(BTreeMap<String, f64>);

    impl CpuShares {
        pub fn get(&self, label: &str) -> f64 {
            self.0.get(label).copied().unwrap_or(0.0)
        }

        pub fn total(&self) -> f64 {
            self.0.values().sum()
        }

        pub fn rounded(&self) -> serde_json::Value {
            json!(self
                .0
                .iter()
                .map(|(k, v)| (k.clone(), (v * 1000.0).round() / 1000.0))
                .collect::<BTreeMap<_, _>>())
        }
    }

    /// VmRSS in kB from /proc/<pid>/status.
    pub fn parse_vm_rss_kb(status: &str) -> Option<u64> {
        kb_field(status, "VmRSS:")
    }

    /// Pss in kB from /proc/<pid>/smaps_rollup.
    pub fn parse_pss_kb(smaps_rollup: &str) -> Option<u64> {
        kb_field(smaps_rollup, "Pss:")
    }

    fn kb_field(text: &str, key: &str) -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    }

    #[derive(Debug, Clone)]
    pub struct ProcessMemory {
        pub comm: String,
        pub rss_kb: u64,
        pub pss_kb: u64,
    }

    /// Memory of a process tree: sums, the root's own share, and each process.
    #[derive(Debug, Clone, Default)]
    pub struct TreeMemory {
        pub rss_kb: u64,
        pub pss_kb: u64,
        pub app_rss_kb: u64,
        pub app_pss_kb: u64,
        /// False when some process's smaps_rollup could not be read (its PSS counts as 0).
        pub pss_available: bool,
        pub processes: Vec<ProcessMemory>,
    }

    impl TreeMemory {
        pub fn by_process_mb(&self, f: fn(&ProcessMemory) -> u64) -> serde_json::Value {
            let mut by: BTreeMap<String, f64> = BTreeMap::new();
            for p in &self.processes {
                *by.entry(p.comm.clone()).or_default() += f(p) as f64 / 1024.0;
            }
            json!(by
                .into_iter()
                .map(|(k, v)| (k, (v * 10.0).round() / 10.0))
                .collect::<BTreeMap<_, _>>())
        }
    }

    pub fn tree_memory(root: u32) -> TreeMemory {
        let mut memory = TreeMemory {
            pss_available: true,
            ..TreeMemory::default()
        };
        for pid in tree(root) {
            let Ok(Some(stat)) = read_stat(pid) else {
                continue;
            };
            let Some(rss_kb) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .as_deref()
                .and_then(parse_vm_rss_kb)
            else {
                continue; // gone, or a zombie (no VmRSS)
            };
            let pss_kb = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
                .ok()
                .as_deref()
                .and_then(parse_pss_kb);
            memory.pss_available &= pss_kb.is_some();
            let pss_kb = pss_kb.unwrap_or(0);
            memory.rss_kb += rss_kb;
            memory.pss_kb += pss_kb;
            if pid == root {
                memory.app_rss_kb = rss_kb;
                memory.app_pss_kb = pss_kb;
            }
            memory.processes.push(ProcessMemory {
                comm: if pid == root {
                    format!("{} (root)", name(&stat))
                } else {
                    name(&stat)
                },
                rss_kb,
                pss_kb,
            });
        }
        memory
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::process::{Command, Stdio};
        use std::time::{Duration, Instant};

        const STAT: &str = "4242 (Web Content (x) ) S 4000 4242 4000 0 -1 4194560 1234 0 5 0 \
                            321 45 0 0 20 0 12 0 98765 1000000 2000 18446744073709551615 1 1 0 0 0 0 0 \
                            4096 0 0 0 0 17 1 0 0 0 0 0\n";

        #[test]
        fn stat_with_spaces_and_parentheses_in_the_name() {
            let s = parse_stat(STAT).expect("parses");
            assert_eq!(s.pid, 4242);
            assert_eq!(s.comm, "Web Content (x) ");
            assert_eq!(s.state, 'S');
            assert_eq!(s.ppid, 4000);
            assert_eq!(s.pgrp, 4242);
            assert_eq!((s.utime, s.stime), (321, 45));
            assert_eq!(s.ticks(), 366);
            assert_eq!(s.starttime, 98765);
        }

        #[test]
        fn stat_truncated_or_garbled_is_an_error_not_a_panic() {
            for bad in [
                "",
                "12 (x",
                "12 x) S 1",
                "12 (x) S 1 2 3",
                "12 (x) S notanumber 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
                ") 12 (",
                "ab (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
            ] {
                assert!(parse_stat(bad).is_err(), "{bad:?} should not parse");
            }
        }

        #[test]
        fn a_real_process_named_with_spaces_and_parentheses() {
            let dir = tempfile::tempdir().expect("tempdir");
            // A symlink, not a copy: the kernel names the process after the path it executed,
            // and a freshly written executable can fail with ETXTBSY while other tests fork.
            let exe = dir.path().join("a) b (c");
            std::os::unix::fs::symlink("/bin/sleep", &exe).expect("link sleep");
            let child = Command::new(&exe).arg("30").spawn().expect("spawn");
            let pid = child.id();
            let _reap = Reap(child);
            let s = read_stat(pid).expect("readable").expect("exists");
            assert_eq!(s.comm, "a) b (c");
            assert_eq!(s.ppid, std::process::id());
            assert!(descendants(std::process::id(), &all_stats()).contains(&pid));
        }

        #[test]
        fn own_stat_reads() {
            let me = read_stat(std::process::id())
                .expect("readable")
                .expect("exists");
            assert_eq!(me.pid, std::process::id());
            assert!(me.ppid > 0);
            assert!(read_stat(u32::MAX).expect("no error").is_none());
        }

        fn stat(pid: u32, ppid: u32) -> Stat {
            Stat {
                pid,
                comm: format!("p{pid}"),
                state: 'S',
                ppid,
                pgrp: pid,
                utime: 0,
                stime: 0,
                starttime: 0,
            }
        }

        #[test]
        fn descendants_of_a_synthetic_tree() {
            // 1 ─ 10 ─ 11 ─ 12
            //   └ 20    └ 13
            let stats = [
                stat(1, 0),
                stat(10, 1),
                stat(11, 10),
                stat(12, 11),
                stat(13, 11),
                stat(20, 1),
            ];
            let mut d = descendants(10, &stats);
            d.sort_unstable();
            assert_eq!(d, [11, 12, 13]);
            assert!(descendants(12, &stats).is_empty());
            assert!(descendants(99, &stats).is_empty());
        }

        /// Kills the child (and its group, when it leads one) even when an assertion fails.
        struct Reap(std::process::Child);
        impl Drop for Reap {
            fn drop(&mut self) {
                let pid = self.0.id() as i32;
                // SAFETY: kill(2) on the child (group) this test started.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                    libc::kill(pid, libc::SIGKILL);
                }
                let _ = self.0.wait();
            }
        }

        #[test]
        fn descendants_of_this_test_process() {
            use std::os::unix::process::CommandExt as _;
            // A shell that starts two sleeps (grandchildren of this test process).
            let child = Command::new("sh")
                .args(["-c", "sleep 30 & sleep 30 & wait"])
                .stdout(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("spawn sh");
            let shell = Reap(child);
            let me = std::process::id();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let stats = all_stats();
                let found = descendants(me, &stats);
                let sleeps = stats
                    .iter()
                    .filter(|s| found.contains(&s.pid) && s.comm == "sleep")
                    .filter(|s| s.ppid == shell.0.id())
                    .count();
                if found.contains(&shell.0.id()) && sleeps == 2 {
                    let tree = tree(shell.0.id());
                    assert_eq!(tree.len(), 3, "{tree:?}");
                    let memory = tree_memory(shell.0.id());
                    assert_eq!(memory.processes.len(), 3);
                    assert!(memory.rss_kb > 0 && memory.app_rss_kb > 0);
                    assert!(memory.rss_kb >= memory.app_rss_kb);
                    break;
                }
                assert!(Instant::now() < deadline, "sleeps never showed: {found:?}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        #[test]
        fn cpu_meter_counts_deltas_by_name_and_new_processes_from_birth() {
            let mut meter = CpuMeter {
                root: 1,
                root_label: "app".into(),
                last: HashMap::new(),
                names: HashMap::new(),
                ticks: BTreeMap::new(),
            };
            let at = |pid, comm: &str, utime, starttime| Stat {
                comm: comm.into(),
                utime,
                stime: 1,
                starttime,
                ..stat(pid, if pid == 1 { 0 } else { 1 })
            };
            // The start: nothing counted.
            meter
                .last
                .insert((1, 5), at(1, "venue-console", 100, 5).ticks());
            meter
                .last
                .insert((2, 6), at(2, "WebKitWebProcess", 50, 6).ticks());
            let added = meter.add(&[
                at(1, "venue-console", 103, 5),
                at(2, "WebKitWebProcess", 60, 6),
                at(3, "WebKitNetworkProcess", 4, 7), // born during the window
            ]);
            assert_eq!(added, 3 + 10 + 5);
            // Pid 2 was reused by another process: counts from its birth, not from 61.
            meter.add(&[
                at(1, "venue-console", 104, 5),
                at(2, "WebKitWebProcess", 2, 9),
            ]);
            assert_eq!(meter.ticks["app"], 4);
            assert_eq!(meter.ticks["WebKitWebProcess"], 10 + 3);
            assert_eq!(meter.ticks["WebKitNetworkProcess"], 5);
            let shares = meter.shares(1.0);
            let hz = clock_ticks_per_second();
            assert!((shares.get("app") - 4.0 / hz * 100.0).abs() < 1e-9);
            assert!((shares.total() - 22.0 / hz * 100.0).abs() < 1e-9);
        }

        #[test]
        fn cpu_meter_on_a_busy_child() {
            use std::os::unix::process::CommandExt as _;
            let child = Command::new("sh")
                .args(["-c", "while :; do :; done"])
                .process_group(0)
                .spawn()
                .expect("spawn sh");
            let busy = Reap(child);
            let mut meter = CpuMeter::start(busy.0.id(), "busy");
            let started = Instant::now();
            std::thread::sleep(Duration::from_millis(600));
            meter.sample();
            let percent = meter.shares(started.elapsed().as_secs_f64()).get("busy");
            // A spinning shell on a machine that may be loaded: clearly more than idle.
            assert!(percent > 10.0 && percent < 110.0, "{percent}");
        }

        #[test]
        fn program_names_from_cmdline() {
            let webkit =
                b"/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/WebKitNetworkProcess\x0012\x0034\x00";
            assert_eq!(
                program_name(webkit).as_deref(),
                Some("WebKitNetworkProcess")
            );
            assert_eq!(
                program_name(b"venue-console").as_deref(),
                Some("venue-console")
            );
            assert_eq!(program_name(b""), None);
            assert_eq!(program_name(b"/usr/bin/\x00x"), None);
        }

        #[test]
        fn memory_fields() {
            let status = "Name:\tx\nVmPeak:\t  1000 kB\nVmRSS:\t   51234 kB\nRssAnon:\t 1 kB\n";
            assert_eq!(parse_vm_rss_kb(status), Some(51234));
            assert_eq!(parse_vm_rss_kb("Name:\tzombie\n"), None);
            let rollup = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:  9000 kB\nPss:  4321 kB\nPss_Anon:  100 kB\n";
            assert_eq!(parse_pss_kb(rollup), Some(4321));
            assert_eq!(parse_pss_kb("Pss: lots kB\n"), None);
            let own = std::fs::read_to_string("/proc/self/status").expect("status");
            assert!(parse_vm_rss_kb(&own).is_some_and(|kb| kb > 0));
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// Starting, watching and stopping child processes, each in its own process group.
mod supervise {
    use anyhow::{bail, Context as _};
    use std::os::unix::process::CommandExt as _;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    /// A program on PATH (or in ~/.cargo/bin, where `cargo install` puts tools).
    pub fn which(name: &str) -> Option<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let cargo_bin = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin"));
        std::env::split_paths(&path)
            .chain(cargo_bin)
            .map(|dir| dir.join(name))
            .find(|p| is_executable(p))
    }

    fn is_executable(p: &Path) -> bool {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }

    struct Supervised {
        name: String,
        child: Child,
    }

    /// Children started in their own process groups, logging to `<logs>/<name>.log`; every
    /// group is stopped (TERM, then KILL) by `stop_all` or on drop.
    pub struct Supervisor {
        logs: PathBuf,
        children: Vec<Supervised>,
    }

    impl Supervisor {
        pub fn new(logs: &Path) -> Self {
            Supervisor {
                logs: logs.to_path_buf(),
                children: Vec::new(),
            }
        }

        pub fn log(&self, name: &str) -> PathBuf {
            self.logs.join(format!("{name}.log"))
        }

        /// Starts `command` as the leader of a new process group; returns its pid.
        pub fn spawn(&mut self, name: &str, command: &mut Command) -> anyhow::Result<u32> {
            let log = self.log(name);
            let out = std::fs::File::create(&log)
                .with_context(|| format!("cannot create {}", log.display()))?;
            let err = out.try_clone()?;
            let child = command
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .process_group(0)
                .spawn()
                .with_context(|| format!("cannot start {name} ({:?})", command.get_program()))?;
            let pid = child.id();
            self.children.push(Supervised {
                name: name.to_string(),
                child,
            });
            Ok(pid)
        }

        /// The pid of the child started as `name`, if any.
        pub fn pid_of(&self, name: &str) -> Option<u32> {
            self.children
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.child.id())
        }

        /// Fails naming the child and its log when it has exited.
        pub fn ensure_running(&mut self, pid: u32) -> anyhow::Result<()> {
            let Some(s) = self.children.iter_mut().find(|s| s.child.id() == pid) else {
                bail!("pid {pid} is not a child of this run");
            };
            if let Some(status) = s.child.try_wait()? {
                bail!(
                    "{} exited ({status}); see {}",
                    s.name,
                    self.logs.join(format!("{}.log", s.name)).display()
                );
            }
            Ok(())
        }

        /// Stops every group, the last started first.
        pub fn stop_all(&mut self) {
            while let Some(mut s) = self.children.pop() {
                stop_group(&mut s.child);
            }
        }
    }

    impl Drop for Supervisor {
        fn drop(&mut self) {
            self.stop_all();
        }
    }

    fn signal_group(pgid: u32, signal: i32) -> bool {
        // SAFETY: kill(2) with a negative pid signals the process group this run created.
        unsafe { libc::kill(-(pgid as i32), signal) == 0 }
    }

    /// TERM to the group, up to 3 s for it to empty, then KILL; reaps the leader.
    fn stop_group(child: &mut Child) {
        let pgid = child.id();
        signal_group(pgid, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        while group_alive(pgid) {
            let _ = child.try_wait();
            if Instant::now() > deadline {
                signal_group(pgid, libc::SIGKILL);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.wait();
        let deadline = Instant::now() + Duration::from_secs(2);
        while group_alive(pgid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn group_alive(pgid: u32) -> bool {
        super::procfs::group_alive(pgid)
    }

    /// Waits until every pid in `pids` has exited (or is a zombie), then TERMs and KILLs the
    /// ones left; returns how many had to be signalled. They are descendants of processes this
    /// run started.
    pub async fn wait_gone_or_kill(pids: &[u32], wait: Duration) -> usize {
        let alive = || {
            pids.iter()
                .copied()
                .filter(
                    |&pid| matches!(super::procfs::read_stat(pid), Ok(Some(s)) if s.state != 'Z'),
                )
                .collect::<Vec<_>>()
        };
        let deadline = Instant::now() + wait;
        while !alive().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let stragglers = alive().len();
        for signal in [libc::SIGTERM, libc::SIGKILL] {
            let left = alive();
            if left.is_empty() {
                break;
            }
            for pid in left {
                // SAFETY: kill(2) on a descendant of a process this run started.
                unsafe { libc::kill(pid as i32, signal) };
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        stragglers
    }

    /// Runs a command to its end; fails with its stderr when it fails.
    pub fn run_to_end(command: &mut Command, what: &str) -> anyhow::Result<()> {
        let output = command
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {what}"))?;
        if !output.status.success() {
            bail!(
                "{what} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }

    /// Waits up to 15 s for 127.0.0.1:`port` to accept, failing early if the child exits.
    pub async fn wait_for_port(
        sup: &Supervisor,
        pid: u32,
        name: &str,
        port: u16,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if !matches!(super::procfs::read_stat(pid), Ok(Some(s)) if s.state != 'Z') {
                bail!(
                    "{name} exited before listening on {port}; see {}",
                    sup.log(name).display()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "{name} did not listen on {port} within 15 s; see {}",
                    sup.log(name).display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts Xvfb on the first free display from :90 and returns ":N".
    pub async fn start_xvfb(sup: &mut Supervisor, xvfb: &Path) -> anyhow::Result<String> {
        let n = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .context("no free X display between :90 and :199")?;
        let display = format!(":{n}");
        let pid = sup.spawn(
            "xvfb",
            Command::new(xvfb).args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"]),
        )?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            sup.ensure_running(pid)?;
            if Instant::now() > deadline {
                bail!(
                    "Xvfb did not start on {display} within 10 s; see {}",
                    sup.log("xvfb").display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(display)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn stopping_takes_the_whole_group_and_ignores_term() {
            let logs = tempfile::tempdir().expect("tempdir");
            let mut sup = Supervisor::new(logs.path());
            // A leader that ignores SIGTERM, with a child that does not.
            let pid = sup
                .spawn(
                    "group",
                    Command::new("sh").args(["-c", "trap '' TERM; sleep 60 & echo started; wait"]),
                )
                .expect("spawn");
            assert_eq!(sup.pid_of("group"), Some(pid));
            let deadline = Instant::now() + Duration::from_secs(10);
            while super::super::procfs::descendants(pid, &super::super::procfs::all_stats())
                .is_empty()
            {
                assert!(Instant::now() < deadline, "sleep never started");
                std::thread::sleep(Duration::from_millis(20));
            }
            sup.ensure_running(pid).expect("running");
            let started = Instant::now();
            sup.stop_all();
            assert!(!group_alive(pid), "the group is gone");
            assert!(started.elapsed() < Duration::from_secs(6));
            let log = std::fs::read_to_string(logs.path().join("group.log")).expect("log");
            assert_eq!(log.trim(), "started");
            assert!(sup.pid_of("group").is_none());
        }

        #[test]
        fn which_finds_a_shell_and_not_nonsense() {
            assert!(which("sh").is_some());
            assert!(which("no-such-program-venue-bench").is_none());
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// A minimal W3C WebDriver client (the calls this benchmark makes) over reqwest.
mod webdriver {
    use anyhow::{anyhow, bail, Context as _};
    use serde_json::{json, Value};
    use std::time::{Duration, Instant};

    /// W3C WebDriver's key for element references.
    const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

    /// A WebDriver error response: `error` is the W3C error code ("no such element", …).
    #[derive(Debug)]
    pub struct WebDriverError {
        pub error: String,
        pub message: String,
    }

    impl std::fmt::Display for WebDriverError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{}: {}", self.error, self.message)
        }
    }

    impl std::error::Error for WebDriverError {}

    pub struct Driver {
        base: String,
        http: reqwest::Client,
        session: Option<String>,
    }

    impl Driver {
        pub fn new(base: &str) -> anyhow::Result<Self> {
            Ok(Driver {
                base: base.trim_end_matches('/').to_string(),
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(90))
                    .build()?,
                session: None,
            })
        }

        async fn call(
            &self,
            method: reqwest::Method,
            path: &str,
            body: Option<Value>,
        ) -> anyhow::Result<Value> {
            let url = format!("{}{path}", self.base);
            let mut request = self.http.request(method.clone(), &url);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.with_context(|| {
                format!(
                    "{method} {path}: cannot reach the WebDriver at {}",
                    self.base
                )
            })?;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let payload: Value = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{method} {path}: HTTP {status}, not JSON: {}",
                    text.chars().take(300).collect::<String>()
                )
            })?;
            let value = payload.get("value").cloned().unwrap_or(Value::Null);
            if let Some(error) = value.get("error").and_then(Value::as_str) {
                return Err(anyhow!(WebDriverError {
                    error: error.to_string(),
                    message: value
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                })
                .context(format!("{method} {path}")));
            }
            if !status.is_success() {
                bail!("{method} {path}: HTTP {status}: {text}");
            }
            Ok(value)
        }

        fn session_path(&self, path: &str) -> anyhow::Result<String> {
            let id = self.session.as_deref().context("no WebDriver session")?;
            Ok(format!("/session/{id}{path}"))
        }

        /// Waits up to 15 s for GET /status to answer ready, failing early if `pid` exits.
        pub async fn wait_ready(
            &self,
            sup: &super::supervise::Supervisor,
            pid: u32,
            name: &str,
        ) -> anyhow::Result<()> {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                match self.call(reqwest::Method::GET, "/status", None).await {
                    Ok(status) if status.get("ready") != Some(&Value::Bool(false)) => return Ok(()),
                    Ok(_) | Err(_) => {}
                }
                if !matches!(super::procfs::read_stat(pid), Ok(Some(s)) if s.state != 'Z') {
                    bail!("{name} exited; see {}", sup.log(name).display());
                }
                if Instant::now() > deadline {
                    bail!(
                        "{name} was not ready at {} within 15 s; see {}",
                        self.base,
                        sup.log(name).display()
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }

        /// POST /session with `capabilities.alwaysMatch` = `always_match`.
        pub async fn new_session(&mut self, always_match: Value) -> anyhow::Result<()> {
            let value = self
                .call(
                    reqwest::Method::POST,
                    "/session",
                    Some(json!({"capabilities": {"alwaysMatch": always_match}})),
                )
                .await?;
            let id = value
                .get("sessionId")
                .and_then(Value::as_str)
                .context("POST /session: no sessionId in the answer")?;
            self.session = Some(id.to_string());
            Ok(())
        }

        pub async fn delete_session(&mut self) -> anyhow::Result<()> {
            if self.session.is_none() {
                return Ok(());
            }
            let path = self.session_path("")?;
            self.session = None;
            self.call(reqwest::Method::DELETE, &path, None)
                .await
                .map(drop)
        }

        /// The first element matching `css`, or None when there is none (yet).
        pub async fn find(&self, css: &str) -> anyhow::Result<Option<String>> {
            let path = self.session_path("/element")?;
            match self
                .call(
                    reqwest::Method::POST,
                    &path,
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await
            {
                Ok(element) => Ok(element
                    .get(ELEMENT_KEY)
                    .and_then(Value::as_str)
                    .map(str::to_string)),
                Err(e) if is_absent(&e) => Ok(None),
                Err(e) => Err(e),
            }
        }

        /// Trimmed text of the first element matching `css`, or None when there is none (yet).
        pub async fn text(&self, css: &str) -> anyhow::Result<Option<String>> {
            let Some(id) = self.find(css).await? else {
                return Ok(None);
            };
            let path = self.session_path(&format!("/element/{id}/text"))?;
            match self.call(reqwest::Method::GET, &path, None).await {
                Ok(text) => Ok(Some(text.as_str().unwrap_or("").trim().to_string())),
                Err(e) if is_absent(&e) => Ok(None),
                Err(e) => Err(e),
            }
        }

        pub async fn send_keys(&self, element: &str, text: &str) -> anyhow::Result<()> {
            let path = self.session_path(&format!("/element/{element}/value"))?;
            self.call(reqwest::Method::POST, &path, Some(json!({"text": text})))
                .await
                .map(drop)
        }

        /// Runs `script` (a function body) in the page and returns its value.
        pub async fn execute(&self, script: &str) -> anyhow::Result<Value> {
            let path = self.session_path("/execute/sync")?;
            self.call(
                reqwest::Method::POST,
                &path,
                Some(json!({"script": script, "args": []})),
            )
            .await
        }

        pub async fn click(&self, element: &str) -> anyhow::Result<()> {
            let path = self.session_path(&format!("/element/{element}/click"))?;
            self.call(reqwest::Method::POST, &path, Some(json!({})))
                .await
                .map(drop)
        }
    }

    /// "Not there (yet)" errors, as opposed to a broken session.
    fn is_absent(e: &anyhow::Error) -> bool {
        e.downcast_ref::<WebDriverError>().is_some_and(|w| {
            matches!(
                w.error.as_str(),
                "no such element" | "stale element reference" | "no such frame"
            )
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn absent_elements_are_recognised_through_context() {
            let e = anyhow!(WebDriverError {
                error: "no such element".into(),
                message: "x".into()
            })
            .context("POST /session/1/element");
            assert!(is_absent(&e));
            let other = anyhow!(WebDriverError {
                error: "invalid session id".into(),
                message: String::new()
            });
            assert!(!is_absent(&other));
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// The `.deb` bundle: building it with the Tauri CLI and finding it.
mod bundle {
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
        let out = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
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
