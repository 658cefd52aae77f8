//! Starting, watching and stopping child processes, each in its own process group.

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
    // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative pid
    // signals the process group this run created.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(-(pgid as i32), signal) };
    sent == 0
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
            .filter(|&pid| matches!(super::procfs::read_stat(pid), Ok(Some(s)) if s.state != 'Z'))
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
            // SAFETY: kill(2) takes plain integers and touches no memory of ours; the pid is a
            // descendant of a process this run started.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(pid as i32, signal)
            };
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
        while super::super::procfs::descendants(pid, &super::super::procfs::all_stats()).is_empty()
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
