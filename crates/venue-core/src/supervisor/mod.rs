//! Keeps the long-running tasks of `venue run` and the app's background work (connectors on
//! schedule, the PMS mirror, door counters, alert rules) alive until a stop is asked for.
//!
//! A task retries a store operation that failed for a passing reason (another process holding
//! the write lock past the busy timeout, an I/O hiccup, a full disk) with backoff, logging each
//! failure; a task that ends with an error or panics is restarted with backoff, and says so. What
//! is failing, since when, is kept in [`TaskHealth`], which the `console.task_failing` alert rule
//! reads: an alert opens once a task has failed for longer than the rule's threshold, and
//! resolves when it works again.

use crate::{ApiError, ApiResult, ErrorCode};
use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

pub(crate) mod runtime;

/// The built-in alert rule that watches [`TaskHealth`].
pub const TASK_FAILING_RULE: &str = "console.task_failing";

/// The long-running tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Task {
    Connectors,
    Pms,
    Sensors,
    Alerts,
    /// Continuous sync with the hub, when the console has joined one.
    Hub,
}

impl Task {
    pub const ALL: [Task; 5] = [
        Task::Connectors,
        Task::Pms,
        Task::Sensors,
        Task::Alerts,
        Task::Hub,
    ];

    /// The task's name in logs and its alert's subject.
    pub fn name(self) -> &'static str {
        match self {
            Task::Connectors => "connectors",
            Task::Pms => "pms",
            Task::Sensors => "sensors",
            Task::Alerts => "alerts",
            Task::Hub => "hub",
        }
    }

    pub fn parse(name: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|t| t.name() == name)
    }

    /// What does not happen while the task fails, for its alert.
    pub fn what_stops(self) -> &'static str {
        match self {
            Task::Connectors => "Sales are not being fetched",
            Task::Pms => "Stays are not being mirrored from the PMS",
            Task::Sensors => "Door counts are not being recorded",
            Task::Alerts => "Alert rules are not being evaluated",
            Task::Hub => "Changes are not being synced with the hub",
        }
    }

    /// The same, once it works again.
    pub fn what_stopped(self) -> &'static str {
        match self {
            Task::Connectors => "Sales were not fetched",
            Task::Pms => "Stays were not mirrored from the PMS",
            Task::Sensors => "Door counts were not recorded",
            Task::Alerts => "Alert rules were not evaluated",
            Task::Hub => "Changes were not synced with the hub",
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A task failing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    pub since: DateTime<Utc>,
    pub failures: u32,
    pub last_error: String,
}

/// A failure that has ended: the task works again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    pub task: Task,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub failures: u32,
    pub last_error: String,
}

impl Outage {
    pub fn lasted(&self) -> chrono::Duration {
        self.to - self.from
    }
}

/// Outages kept for the alert engine at most (it takes them at each evaluation; this bounds
/// memory if it cannot).
const MAX_ENDED: usize = 100;

/// Which tasks are failing and which failures ended since the alert engine last looked. Shared
/// by the tasks, the supervisor and the alert engine of one process.
#[derive(Debug, Clone, Default)]
pub struct TaskHealth(Arc<Health>);

#[derive(Debug, Default)]
struct Health {
    book: Mutex<HealthBook>,
    /// Told when a task starts failing or works again: the alert loop looks at once.
    changed: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct HealthBook {
    failing: BTreeMap<Task, Failing>,
    ended: Vec<Outage>,
}

impl TaskHealth {
    fn book(&self) -> MutexGuard<'_, HealthBook> {
        // The book stays consistent whatever panicked while holding it: every update is whole.
        self.0
            .book
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Resolves when a task starts failing or works again.
    pub async fn changed(&self) {
        self.0.changed.notified().await
    }

    /// Records a failure of `task`; returns since when it has been failing.
    pub fn failed(&self, task: Task, error: &str) -> Failing {
        let mut book = self.book();
        let started = !book.failing.contains_key(&task);
        let failing = book.failing.entry(task).or_insert_with(|| Failing {
            since: Utc::now(),
            failures: 0,
            last_error: String::new(),
        });
        failing.failures = failing.failures.saturating_add(1);
        failing.last_error = error.to_string();
        let failing = failing.clone();
        drop(book);
        if started {
            self.0.changed.notify_one();
        }
        failing
    }

    /// Records that `task` works (again); logs and returns the failure this ends, if any.
    pub fn recovered(&self, task: Task) -> Option<Outage> {
        let mut book = self.book();
        let failing = book.failing.remove(&task)?;
        let outage = Outage {
            task,
            from: failing.since,
            to: Utc::now(),
            failures: failing.failures,
            last_error: failing.last_error,
        };
        tracing::info!(
            task = task.name(),
            failed_for_seconds = outage.lasted().num_seconds(),
            failures = outage.failures,
            "task {task} works again"
        );
        if book.ended.len() >= MAX_ENDED {
            book.ended.remove(0);
        }
        book.ended.push(outage.clone());
        drop(book);
        self.0.changed.notify_one();
        Some(outage)
    }

    /// The tasks failing now.
    pub fn failing(&self) -> Vec<(Task, Failing)> {
        self.book()
            .failing
            .iter()
            .map(|(task, f)| (*task, f.clone()))
            .collect()
    }

    /// Failures that ended and were not yet settled.
    pub fn ended(&self) -> Vec<Outage> {
        self.book().ended.clone()
    }

    /// Forgets an ended failure once it has been recorded (or judged too short to record).
    pub fn settle(&self, outage: &Outage) {
        self.book().ended.retain(|o| o != outage);
    }
}

/// Resolves when `stop` turns true; never if its sender is gone without saying so (a closed
/// channel would otherwise read as a stop request at once).
pub(crate) async fn stopped(stop: &watch::Receiver<bool>) {
    let mut stop = stop.clone();
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Retries of a store operation that failed for a passing reason: from a quarter second,
/// doubling (with jitter), up to 30 s apart, for as long as it takes.
fn store_backoff() -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(250))
        .with_max_delay(Duration::from_secs(30))
        .with_jitter()
        .without_max_times()
}

/// Delays of a task's later attempts after a passing failure (a pull, a scheduled fetch):
/// from 1 s, doubling, up to `max`.
pub(crate) fn retry_delays(max: Duration) -> backon::ExponentialBackoff {
    ExponentialBuilder::new()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(max.max(Duration::from_secs(1)))
        .with_jitter()
        .without_max_times()
        .build()
}

/// Runs a store operation of `task`, retrying it with backoff while it fails for a passing
/// reason ([`ApiError::is_transient`]), logging each failure and keeping `health` up to date.
/// Other errors are returned at once. Once a stop is asked for, one attempt is made (the last
/// writes of a task that is stopping) and its error returned.
pub(crate) async fn retry_store<T>(
    health: &TaskHealth,
    task: Task,
    stop: &watch::Receiver<bool>,
    what: &str,
    mut op: impl FnMut() -> ApiResult<T>,
) -> ApiResult<T> {
    if *stop.borrow() {
        return op();
    }
    let attempt = || std::future::ready(op());
    let retried = attempt
        .retry(store_backoff())
        .sleep(tokio::time::sleep)
        .when(ApiError::is_transient)
        .notify(|error, wait| {
            let failing = health.failed(task, &error.message);
            tracing::warn!(
                task = task.name(),
                failures = failing.failures,
                failing_since = %failing.since,
                retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                %error,
                "{what} failed; retrying"
            );
        });
    tokio::select! {
        result = retried => result,
        () = stopped(stop) => Err(ApiError::new(
            ErrorCode::StoreBusy,
            format!(
                "{what} failed and the {task} task was asked to stop: {}",
                health
                    .failing()
                    .into_iter()
                    .find(|(t, _)| *t == task)
                    .map(|(_, f)| f.last_error)
                    .unwrap_or_default()
            ),
        )),
    }
}

/// Restart delays after a task died: from 1 s, doubling (with jitter), up to 5 minutes.
fn restart_backoff() -> backon::ExponentialBackoff {
    ExponentialBuilder::new()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(MAX_RESTART_DELAY)
        .with_jitter()
        .without_max_times()
        .build()
}

const MAX_RESTART_DELAY: Duration = Duration::from_secs(300);
/// A task that ran this long before it died starts again from the shortest delay.
const HEALTHY_RUN: Duration = Duration::from_secs(300);

/// Runs `task` until a stop is asked for: when it ends with an error or panics, logs it, marks
/// it failing in `health` and starts it again after a backoff. A task that ends without error
/// has nothing (more) to do and is not restarted.
pub(crate) async fn supervise(
    task: Task,
    health: &TaskHealth,
    stop: &watch::Receiver<bool>,
    mut run: impl AsyncFnMut() -> ApiResult<()>,
) {
    let mut delays = restart_backoff();
    loop {
        let started = tokio::time::Instant::now();
        let outcome = AssertUnwindSafe(run()).catch_unwind().await;
        let why = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(error)) => error.message,
            Err(panic) => format!("panicked: {}", panic_message(panic.as_ref())),
        };
        if *stop.borrow() {
            tracing::warn!(task = task.name(), error = %why, "task {task} ended with an error while stopping");
            return;
        }
        if started.elapsed() >= HEALTHY_RUN {
            delays = restart_backoff();
        }
        let wait = delays.next().unwrap_or(MAX_RESTART_DELAY);
        let failing = health.failed(task, &why);
        tracing::error!(
            task = task.name(),
            error = %why,
            failures = failing.failures,
            failing_since = %failing.since,
            "task {task} died: {why}; restarting in {:.1} s",
            wait.as_secs_f64()
        );
        tokio::select! {
            () = stopped(stop) => return,
            () = tokio::time::sleep(wait) => {}
        }
        tracing::info!(task = task.name(), "task {task} restarting");
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime")
    }

    fn busy() -> ApiError {
        ApiError::new(ErrorCode::StoreBusy, "database is locked")
    }

    #[test]
    fn a_task_that_dies_or_panics_is_restarted_until_the_stop() {
        let health = TaskHealth::default();
        let (stop_tx, stop) = watch::channel(false);
        let runs = Cell::new(0u32);
        runtime().block_on(async {
            let supervised = supervise(Task::Sensors, &health, &stop, async || {
                runs.set(runs.get() + 1);
                match runs.get() {
                    1 => Err(ApiError::bad_input("first run fails")),
                    2 => panic!("second run panics"),
                    _ => {
                        stopped(&stop).await;
                        Ok(())
                    }
                }
            });
            let stopper = async {
                while runs.get() < 3 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let failing = health.failing();
                assert_eq!(failing.len(), 1, "{failing:?}");
                assert_eq!(failing[0].0, Task::Sensors);
                assert_eq!(failing[0].1.failures, 2);
                assert!(failing[0].1.last_error.contains("second run panics"));
                stop_tx.send(true).expect("stop");
            };
            tokio::join!(supervised, stopper);
        });
        assert_eq!(
            runs.get(),
            3,
            "restarted after the error and after the panic"
        );
    }

    #[test]
    fn a_task_that_ends_cleanly_is_not_restarted() {
        let health = TaskHealth::default();
        let (_stop_tx, stop) = watch::channel(false);
        let runs = Cell::new(0u32);
        runtime().block_on(supervise(Task::Pms, &health, &stop, async || {
            runs.set(runs.get() + 1);
            Ok(())
        }));
        assert_eq!(runs.get(), 1);
        assert!(health.failing().is_empty());
    }

    #[test]
    fn a_busy_store_is_retried_until_it_answers_and_other_errors_are_not() {
        let health = TaskHealth::default();
        let (_stop_tx, stop) = watch::channel(false);
        let attempts = Cell::new(0u32);
        let result = runtime().block_on(retry_store(
            &health,
            Task::Alerts,
            &stop,
            "evaluating",
            || {
                attempts.set(attempts.get() + 1);
                if attempts.get() < 6 {
                    Err(busy())
                } else {
                    Ok(attempts.get())
                }
            },
        ));
        assert_eq!(result, Ok(6));
        assert_eq!(health.failing()[0].1.failures, 5, "each failure counted");
        assert!(health.recovered(Task::Alerts).is_some());
        assert_eq!(health.ended().len(), 1);

        attempts.set(0);
        let result: ApiResult<()> = runtime().block_on(retry_store(
            &health,
            Task::Alerts,
            &stop,
            "evaluating",
            || {
                attempts.set(attempts.get() + 1);
                Err(ApiError::bad_input("not a passing failure"))
            },
        ));
        assert!(result.is_err());
        assert_eq!(attempts.get(), 1);
    }

    #[test]
    fn a_retry_gives_up_when_asked_to_stop() {
        let health = TaskHealth::default();
        let (stop_tx, stop) = watch::channel(false);
        let result: ApiResult<()> = runtime().block_on(async {
            let retrying = retry_store(&health, Task::Sensors, &stop, "writing", || Err(busy()));
            let stopper = async {
                tokio::time::sleep(Duration::from_secs(120)).await;
                stop_tx.send(true).expect("stop");
            };
            tokio::join!(retrying, stopper).0
        });
        let error = result.expect_err("stopped");
        assert!(error.message.contains("database is locked"), "{error}");
        // After the stop, one last attempt only.
        let attempts = Cell::new(0u32);
        let _ = runtime().block_on(retry_store(
            &health,
            Task::Sensors,
            &stop,
            "writing",
            || {
                attempts.set(attempts.get() + 1);
                Err::<(), _>(busy())
            },
        ));
        assert_eq!(attempts.get(), 1);
    }
}
