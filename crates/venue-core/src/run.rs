//! `venue run` and the app's background work: the long-running tasks (the connectors' schedule,
//! the PMS mirror, the door counters, the alert rules) started together on the process's runtime,
//! each under [`supervise`], and stopped together. Each task reaches the store through a handle
//! on a connection of its own (`console::StoreHandle`), never the console's: a task can neither
//! hold the store across an await nor keep the console's commands waiting.

use crate::integrations::pos::{connectors_loop, FetchNowReceiver};
use crate::supervisor::{supervise, Task, TaskHealth};
use crate::{ApiResult, Console};

impl Console {
    /// Runs every connector at its interval, and keeps the PMS mirror live when `[pms]` is
    /// configured, until `stop` resolves (the `venue run` loop and the app's background work).
    /// Due connectors run concurrently; one failing never stops another.
    pub fn run_scheduler(&self, stop: impl std::future::Future<Output = ()>) -> ApiResult<()> {
        self.run_scheduler_with(stop, None)
    }

    /// `run_scheduler`, also running a connector at once whenever its name arrives on
    /// `fetch_now` (the app's "Fetch now" button), so a manual fetch never races a scheduled one.
    ///
    /// Five tasks run under a supervisor ([`crate::supervisor`]): the connectors' schedule, the
    /// PMS mirror, the door counters, the alert rules and, once the console joined a hub,
    /// continuous sync with it. A store that refuses a write for a
    /// passing reason is retried with backoff; a task that dies is restarted, and an alert
    /// opens when one has failed for longer than the `console.task_failing` rule allows. Only
    /// `stop` ends them: fetches under way are then abandoned and their snapshots closed as
    /// interrupted, the PMS socket's run is closed, pending door counts are written.
    pub fn run_scheduler_with(
        &self,
        stop: impl std::future::Future<Output = ()>,
        mut fetch_now: Option<&mut FetchNowReceiver>,
    ) -> ApiResult<()> {
        let venue = self.venue()?;
        let configs = self.config.connector.clone();
        let pms = self.config.pms.clone();
        let sensors = self.config.sensor.clone();
        let retention_days = self.config.retention.sensor_readings_days;
        let secrets = self.secrets.as_deref();
        let sessions = &self.sessions;
        let rules = crate::alerts::configured_rules(&self.config)?;
        let health = TaskHealth::default();
        // Alert rules (issue 7): evaluated as data arrives, woken by a store listener added
        // next to any already registered, which are put back when the loop ends.
        let alerts_wake = std::sync::Arc::new(tokio::sync::Notify::new());
        // Each task on a connection of its own, its writes heard by the console's listener
        // (the app's events) and by the alert rules.
        let mut tasks_store = self.side.fork();
        tasks_store.add_change_listener(crate::alerts::wake_listener(&alerts_wake));
        // Continuous sync (issue 18), when the console joined a hub: forked before its wake
        // listener is added, so the hub task's own writes (pulled changes) do not wake it again.
        let hub_store = tasks_store.fork();
        let hub_wake = std::sync::Arc::new(tokio::sync::Notify::new());
        tasks_store.add_change_listener(crate::alerts::wake_listener(&hub_wake));
        let hub = self.store.hub_state()?.url.map(|url| self.hub_client(&url));
        let (connectors_store, pms_store, sensors_store, alerts_store) = (
            tasks_store.fork(),
            tasks_store.fork(),
            tasks_store.fork(),
            tasks_store.fork(),
        );
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let result = crate::supervisor::runtime::shared().map(|runtime| {
            runtime.block_on(async {
                let connectors = supervise(Task::Connectors, &health, &stop_rx, async || {
                    connectors_loop(
                        &connectors_store,
                        secrets,
                        sessions,
                        &venue,
                        &configs,
                        &health,
                        &stop_rx,
                        fetch_now.as_deref_mut(),
                    )
                    .await
                });
                let pms_loop = supervise(Task::Pms, &health, &stop_rx, async || match &pms {
                    Some(config) => {
                        crate::integrations::pms::pms_live(
                            &pms_store,
                            secrets,
                            &venue,
                            config,
                            &health,
                            stop_rx.clone(),
                        )
                        .await?;
                        Ok(())
                    }
                    None => Ok(()),
                });
                let sensors_loop = supervise(Task::Sensors, &health, &stop_rx, async || {
                    crate::integrations::sensors::sensors_live(
                        &sensors_store,
                        secrets,
                        &venue,
                        &sensors,
                        retention_days,
                        &health,
                        stop_rx.clone(),
                    )
                    .await?;
                    Ok(())
                });
                let alerts_loop = supervise(Task::Alerts, &health, &stop_rx, async || {
                    let mut engine = crate::alerts::AlertEngine::new(venue.clone(), rules.clone())
                        .with_task_health(health.clone());
                    crate::alerts::alerts_live(
                        &alerts_store,
                        &mut engine,
                        alerts_wake.clone(),
                        crate::alerts::TICK,
                        crate::alerts::DEBOUNCE,
                        &health,
                        stop_rx.clone(),
                    )
                    .await;
                    Ok(())
                });
                let hub_loop = supervise(Task::Hub, &health, &stop_rx, async || match &hub {
                    None => Ok(()),
                    Some(Err(e)) => {
                        // No token to sync with: nothing to retry until someone re-joins.
                        let message = format!("hub sync cannot start: {e}");
                        tracing::error!(task = Task::Hub.name(), "{message}");
                        health.failed(Task::Hub, &message);
                        Ok(())
                    }
                    Some(Ok(client)) => {
                        crate::sync::hub_live(
                            &hub_store,
                            client,
                            hub_wake.clone(),
                            &health,
                            stop_rx.clone(),
                        )
                        .await
                    }
                });
                let trigger = async {
                    stop.await;
                    tracing::info!("stopping: finishing the tasks' last writes");
                    let _ = stop_tx.send(true);
                };
                tokio::join!(
                    connectors,
                    pms_loop,
                    sensors_loop,
                    alerts_loop,
                    hub_loop,
                    trigger
                );
            })
        });
        result
    }
}
