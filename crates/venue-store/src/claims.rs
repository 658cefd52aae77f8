//! Who is working on what right now (migration 0011): claims on charges being sent, so any
//! number of senders post each charge once, and leases on running snapshots, so only runs whose
//! owner is gone are closed as interrupted. Local bookkeeping: never change-logged, never synced.

use crate::record::Record;
use crate::write::{now_text, write_records, Guarded};
use crate::{Result, Store};
use chrono::Utc;
use rusqlite::{OptionalExtension, TransactionBehavior};
use std::time::Duration;
use uuid::Uuid;
use venue_domain::{ChargeState, Origin, PmsCharge, Snapshot, SnapshotStatus};

/// What claiming a charge found.
#[derive(Debug, Clone, PartialEq)]
pub enum ChargeClaim {
    /// Ours until released or the lease ends: the charge as stored now (re-read under the claim,
    /// since another sender may have changed it since the caller's list was read).
    /// `taken_over` names the holder whose lease had lapsed (a sender that stopped mid-send).
    Claimed {
        charge: PmsCharge,
        taken_over: Option<String>,
    },
    /// Another sender holds it and its lease is current.
    Busy { holder: String },
    /// Not pending any more (sent or failed by someone else), or gone: nothing to send.
    Settled(Option<PmsCharge>),
    /// Taken on another console of the venue (it arrived by sync): that console posts it, and
    /// only that one, so the guest is never billed twice.
    Elsewhere,
}

/// A process that holds a claim or lease: its pid, and (Linux) its pid namespace, in which
/// alone the pid means that process.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Holder {
    pid: i64,
    pid_ns: Option<String>,
}

impl Holder {
    fn this_process() -> Holder {
        Holder {
            pid: i64::from(std::process::id()),
            // "pid:[4026531836]" on Linux; unknown elsewhere.
            pid_ns: std::fs::read_link("/proc/self/ns/pid")
                .ok()
                .map(|p| p.to_string_lossy().into_owned()),
        }
    }

    /// Whether this holder is certainly gone: it ran in our pid namespace and no process has
    /// its pid now. A pid reused since, a holder in another namespace (a container sharing the
    /// file) or a platform where this cannot be told all count as alive: its lease decides.
    fn certainly_gone(&self) -> bool {
        let me = Holder::this_process();
        if self.pid == me.pid || self.pid_ns.is_none() || self.pid_ns != me.pid_ns {
            return false;
        }
        process_gone(self.pid)
    }
}

#[cfg(unix)]
fn process_gone(pid: i64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill takes plain integers and touches no memory of ours; with signal 0 it sends
    // nothing and only checks that the process exists (pid > 0, so never a process group).
    #[allow(unsafe_code)]
    let result = unsafe { libc::kill(pid, 0) };
    // EPERM: it exists, owned by another user.
    result != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_gone(_pid: i64) -> bool {
    false
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn lease_end(lease: Duration) -> i64 {
    now_ms().saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
}

impl Store {
    /// Claims a pending charge for `holder` (unique per sender) for `lease`, in one write
    /// transaction: a compare-and-set, so of any number of senders exactly one gets it. Another
    /// holder's claim is taken over only when its lease lapsed or its process is certainly gone.
    pub fn claim_charge(
        &mut self,
        charge_id: Uuid,
        holder: &str,
        lease: Duration,
    ) -> Result<ChargeClaim> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sql = format!(
            "SELECT {} FROM {} WHERE id = ?1",
            PmsCharge::COLUMNS.join(", "),
            PmsCharge::TABLE
        );
        let charge = tx
            .query_row(&sql, [charge_id.to_string()], PmsCharge::from_row)
            .optional()?;
        let charge = match charge {
            Some(c) if c.state == ChargeState::Pending => c,
            other => return Ok(ChargeClaim::Settled(other)),
        };
        // The console that took the charge (or last put it back to pending) is its last writer.
        let writer: String = tx.query_row(
            "SELECT node_id FROM pms_charges WHERE id = ?1",
            [charge_id.to_string()],
            |r| r.get(0),
        )?;
        if writer != self.node.to_string() {
            return Ok(ChargeClaim::Elsewhere);
        }
        let current: Option<(String, i64, Holder)> = tx
            .query_row(
                "SELECT holder, expires_at, pid, pid_ns FROM pms_charge_claims WHERE charge_id = ?1",
                [charge_id.to_string()],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        Holder {
                            pid: r.get(2)?,
                            pid_ns: r.get(3)?,
                        },
                    ))
                },
            )
            .optional()?;
        let taken_over = match current {
            Some((other, expires, process))
                if other != holder && expires > now_ms() && !process.certainly_gone() =>
            {
                return Ok(ChargeClaim::Busy { holder: other })
            }
            Some((other, _, _)) if other != holder => Some(other),
            _ => None,
        };
        let me = Holder::this_process();
        tx.execute(
            "INSERT INTO pms_charge_claims (charge_id, holder, pid, pid_ns, claimed_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (charge_id) DO UPDATE SET holder = excluded.holder, pid = excluded.pid,
               pid_ns = excluded.pid_ns, claimed_at = excluded.claimed_at,
               expires_at = excluded.expires_at",
            rusqlite::params![
                charge_id.to_string(),
                holder,
                me.pid,
                me.pid_ns,
                now_text(),
                lease_end(lease)
            ],
        )?;
        tx.commit()?;
        Ok(ChargeClaim::Claimed { charge, taken_over })
    }

    /// Gives a claim back (only `holder`'s own; a no-op when it holds none).
    pub fn release_charge(&self, charge_id: Uuid, holder: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM pms_charge_claims WHERE charge_id = ?1 AND holder = ?2",
            rusqlite::params![charge_id.to_string(), holder],
        )?;
        Ok(())
    }

    /// Who holds a charge's claim and until when (Unix ms), if anyone: for diagnostics.
    pub fn charge_claim(&self, charge_id: Uuid) -> Result<Option<(String, i64)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT holder, expires_at FROM pms_charge_claims WHERE charge_id = ?1",
                [charge_id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Saves a charge (audited as `(actor, action)` when given) only while `holder` still holds
    /// its claim; false, writing nothing, when it does not (its lease lapsed and another sender
    /// took the charge over). A lapsed claim nobody took over is still the holder's.
    pub fn save_claimed_charge(
        &mut self,
        holder: &str,
        audit: Option<(&str, &str)>,
        charge: &PmsCharge,
    ) -> Result<bool> {
        let id = charge.id.to_string();
        let outcome = self.save_guarded(Origin::Pms, audit, charge, |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT 1 FROM pms_charge_claims WHERE charge_id = ?1 AND holder = ?2",
                )?
                .exists(rusqlite::params![id, holder])?)
        })?;
        Ok(outcome != Guarded::Refused)
    }

    /// Takes or renews the recording lease of each of `devices` for `holder`, in one write
    /// transaction (a compare-and-set per door, like a charge's claim), and returns the doors
    /// another live holder records now, with that holder. A lapsed lease, or one whose process
    /// is certainly gone, is taken over.
    pub fn lease_sensor_recording(
        &mut self,
        venue_id: Uuid,
        devices: &[String],
        holder: &str,
        lease: Duration,
    ) -> Result<Vec<(String, String)>> {
        let me = Holder::this_process();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut busy = Vec::new();
        for device in devices {
            let current: Option<(String, i64, Option<String>, i64)> = tx
                .prepare_cached(
                    "SELECT holder, pid, pid_ns, expires_at FROM sensor_recording_leases
                     WHERE venue_id = ?1 AND device = ?2",
                )?
                .query_row(rusqlite::params![venue_id.to_string(), device], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            if let Some((other, pid, pid_ns, expires_at)) = current {
                let live = expires_at > now_ms() && !Holder { pid, pid_ns }.certainly_gone();
                if other != holder && live {
                    busy.push((device.clone(), other));
                    continue;
                }
            }
            tx.prepare_cached(
                "INSERT INTO sensor_recording_leases
                   (venue_id, device, holder, pid, pid_ns, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (venue_id, device) DO UPDATE SET holder = excluded.holder,
                   pid = excluded.pid, pid_ns = excluded.pid_ns, expires_at = excluded.expires_at",
            )?
            .execute(rusqlite::params![
                venue_id.to_string(),
                device,
                holder,
                me.pid,
                me.pid_ns,
                lease_end(lease)
            ])?;
        }
        tx.commit()?;
        Ok(busy)
    }

    /// Gives up `holder`'s recording leases (after its last write), so another process may
    /// record those doors at once rather than when the leases lapse.
    pub fn release_sensor_recording(&self, venue_id: Uuid, holder: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "DELETE FROM sensor_recording_leases WHERE venue_id = ?1 AND holder = ?2",
            )?
            .execute(rusqlite::params![venue_id.to_string(), holder])?;
        Ok(())
    }

    /// Marks a running snapshot as owned by a live `holder` for `lease` more (renewing it).
    /// The owner renews well within the lease while it works; the lease ends with the run.
    pub fn lease_run(&self, snapshot_id: Uuid, holder: &str, lease: Duration) -> Result<()> {
        let me = Holder::this_process();
        self.conn
            .prepare_cached(
                "INSERT INTO run_leases (snapshot_id, holder, pid, pid_ns, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (snapshot_id) DO UPDATE SET holder = excluded.holder,
                   pid = excluded.pid, pid_ns = excluded.pid_ns, expires_at = excluded.expires_at",
            )?
            .execute(rusqlite::params![
                snapshot_id.to_string(),
                holder,
                me.pid,
                me.pid_ns,
                lease_end(lease)
            ])?;
        Ok(())
    }

    /// Closes the runs of `connector` still marked running whose owner is gone (no lease, one
    /// that lapsed, or a holder process that is certainly gone): partial when they wrote something, else failed, with `reason`. Runs
    /// whose owner still renews its lease (another process's pull, this process's socket
    /// connection) are left alone. One write transaction, so a lease renewed meanwhile wins.
    pub fn close_abandoned_runs(
        &mut self,
        origin: Origin,
        venue_id: Uuid,
        connector: &str,
        reason: &str,
    ) -> Result<Vec<Snapshot>> {
        let Store {
            conn, clock, node, ..
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Running runs with a current lease (and its holder): those whose holder is certainly
        // gone are abandoned too.
        let columns: Vec<String> = Snapshot::COLUMNS.iter().map(|c| format!("s.{c}")).collect();
        let sql = format!(
            "SELECT {}, l.pid, l.pid_ns FROM snapshots s
               LEFT JOIN run_leases l ON l.snapshot_id = s.id AND l.expires_at > ?3
             WHERE s.venue_id = ?1 AND s.connector = ?2 AND s.status = 'running'",
            columns.join(", ")
        );
        let n = Snapshot::COLUMNS.len();
        let mut abandoned: Vec<Snapshot> = {
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map(
                rusqlite::params![venue_id.to_string(), connector, now_ms()],
                |r| {
                    let pid: Option<i64> = r.get(n)?;
                    let pid_ns: Option<String> = r.get(n + 1)?;
                    let holder = pid.map(|pid| Holder { pid, pid_ns });
                    Ok((Snapshot::from_row(r)?, holder))
                },
            )?;
            rows.filter_map(|row| match row {
                Ok((_, Some(holder))) if !holder.certainly_gone() => None,
                Ok((run, _)) => Some(Ok(run)),
                Err(e) => Some(Err(e)),
            })
            .collect::<rusqlite::Result<_>>()?
        };
        if abandoned.is_empty() {
            return Ok(abandoned);
        }
        let now = Utc::now();
        for run in &mut abandoned {
            run.status = if run.records_written > 0 {
                SnapshotStatus::Partial
            } else {
                SnapshotStatus::Failed
            };
            run.error = Some(reason.to_string());
            run.finished_at = Some(now);
        }
        crate::write::catch_up_clock(&tx, clock)?;
        write_records(
            &tx,
            clock,
            *node,
            None,
            origin,
            None,
            &abandoned,
            &mut Vec::new(),
        )?;
        tx.commit()?;
        self.notify(&[Snapshot::KIND.as_str()]);
        Ok(abandoned)
    }
}
