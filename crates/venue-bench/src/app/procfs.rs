//! Reading /proc: process stats, descendants, CPU time and memory.

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
    // SAFETY: sysconf takes an integer and only reads a configuration value.
    #[allow(unsafe_code)]
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

/// Private_Clean + Private_Dirty in kB from /proc/<pid>/smaps_rollup: the pages no other
/// process maps (USS), what ending the process frees whoever else is running.
pub fn parse_private_kb(smaps_rollup: &str) -> Option<u64> {
    Some(kb_field(smaps_rollup, "Private_Clean:")? + kb_field(smaps_rollup, "Private_Dirty:")?)
}

fn kb_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// WebKit's network process, as `name` reports it.
pub const NETWORK_PROCESS: &str = "WebKitNetworkProcess";

#[derive(Debug, Clone)]
pub struct ProcessMemory {
    pub comm: String,
    pub rss_kb: u64,
    pub pss_kb: u64,
    pub private_kb: u64,
}

/// Memory of a process tree: sums, the root's own share, and each process.
#[derive(Debug, Clone, Default)]
pub struct TreeMemory {
    pub rss_kb: u64,
    pub pss_kb: u64,
    pub app_rss_kb: u64,
    pub app_pss_kb: u64,
    /// Summed USS: pages only these processes map, whatever else runs beside them.
    pub private_kb: u64,
    /// False when some process's smaps_rollup could not be read (its PSS counts as 0).
    pub pss_available: bool,
    pub processes: Vec<ProcessMemory>,
}

impl TreeMemory {
    /// PSS in kB of the processes other than WebKit's network process: the app (or browser)
    /// and its web process, the two the memory goal names.
    pub fn pss_kb_without_network_process(&self) -> u64 {
        self.processes
            .iter()
            .filter(|p| p.comm != NETWORK_PROCESS)
            .map(|p| p.pss_kb)
            .sum()
    }

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
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok();
        let pss_kb = rollup.as_deref().and_then(parse_pss_kb);
        memory.pss_available &= pss_kb.is_some();
        let pss_kb = pss_kb.unwrap_or(0);
        let private_kb = rollup.as_deref().and_then(parse_private_kb).unwrap_or(0);
        memory.rss_kb += rss_kb;
        memory.pss_kb += pss_kb;
        memory.private_kb += private_kb;
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
            private_kb,
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
            // SAFETY: kill(2) takes plain integers and touches no memory of ours; the pid is
            // the child (group) this test started.
            #[allow(unsafe_code)]
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
    fn the_goal_s_reading_leaves_out_only_the_network_process() {
        let process = |comm: &str, pss_kb| ProcessMemory {
            comm: comm.to_string(),
            rss_kb: pss_kb * 2,
            pss_kb,
            private_kb: pss_kb / 2,
        };
        let memory = TreeMemory {
            pss_kb: 300,
            processes: vec![
                process("venue-console (root)", 100),
                process("WebKitWebProcess", 120),
                process(NETWORK_PROCESS, 80),
            ],
            ..TreeMemory::default()
        };
        assert_eq!(memory.pss_kb_without_network_process(), 220);
    }

    #[test]
    fn memory_fields() {
        let status = "Name:\tx\nVmPeak:\t  1000 kB\nVmRSS:\t   51234 kB\nRssAnon:\t 1 kB\n";
        assert_eq!(parse_vm_rss_kb(status), Some(51234));
        assert_eq!(parse_vm_rss_kb("Name:\tzombie\n"), None);
        let rollup = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:  9000 kB\nPss:  4321 kB\nPss_Anon:  100 kB\n";
        assert_eq!(parse_pss_kb(rollup), Some(4321));
        assert_eq!(parse_pss_kb("Pss: lots kB\n"), None);
        assert_eq!(parse_private_kb(rollup), None);
        let private = "Pss:  4321 kB\nPrivate_Clean:   20 kB\nPrivate_Dirty:  3000 kB\n";
        assert_eq!(parse_private_kb(private), Some(3020));
        let own = std::fs::read_to_string("/proc/self/status").expect("status");
        assert!(parse_vm_rss_kb(&own).is_some_and(|kb| kb > 0));
    }
}
