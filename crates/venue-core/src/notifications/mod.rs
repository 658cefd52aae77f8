//! Desktop notifications for managers: which alerts to show whom, now.
//!
//! The console on this machine notifies one person: the account signed in here most recently,
//! whether or not the app is locked now (a manager who stepped away is exactly who needs it).
//! Only managers and admins are notified, and only when their preferences let it through:
//! enabled, the alert at or above their minimum severity, and now (venue time) outside their
//! quiet hours. An open alert is shown once when it is first seen, then again as a reminder
//! each time its rule's cool-down passes while nobody has acknowledged it.
//!
//! [`due_alerts`] is the pure decision; [`Console::due_notifications`] reads the store, decides
//! and records what it decided in one transaction, and returns what the shell shows.

use crate::alerts::{
    builtin_rules, configured_rules, ActiveHours, Metric, DEFAULT_COOL_DOWN_SECONDS,
};
use crate::{ApiError, ApiResult, Console, ErrorCode, Role, SessionInfo, StaffAccount};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;
use venue_domain::{Alert, AlertState, Severity, Venue};
use venue_store::{AuditLine, NotificationPrefsRow};

/// The shortest time between two notifications of one alert, whatever its rule's cool-down
/// (which may be 0): a reminder at every round would be noise.
pub const MIN_REMINDER_SECONDS: u32 = 300;

/// One account's preferences, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationPrefs {
    pub enabled: bool,
    pub min_severity: Severity,
    /// Venue-local; the range may wrap midnight (22:00 to 07:00).
    pub quiet_hours: Option<ActiveHours>,
}

impl NotificationPrefs {
    /// What an account gets before it saves its own: managers and admins every warning and
    /// critical alert at any hour; staff accounts nothing.
    pub fn default_for(role: Role) -> Option<NotificationPrefs> {
        (role >= Role::Manager).then_some(NotificationPrefs {
            enabled: true,
            min_severity: Severity::Warning,
            quiet_hours: None,
        })
    }

    /// Whether `now` falls in the quiet hours, read in the venue's timezone.
    pub fn is_quiet(&self, now: DateTime<Utc>, timezone: Tz) -> bool {
        self.quiet_hours
            .is_some_and(|quiet| quiet.contains(now.with_timezone(&timezone).time()))
    }

    fn view(&self) -> NotificationPrefsView {
        let hhmm = |minute: u32| format!("{:02}:{:02}", minute / 60, minute % 60);
        NotificationPrefsView {
            enabled: self.enabled,
            min_severity: self.min_severity.as_str().to_string(),
            quiet_hours_start: self.quiet_hours.map(|q| hhmm(q.start)),
            quiet_hours_end: self.quiet_hours.map(|q| hhmm(q.end)),
        }
    }
}

/// The preferences as the UI shows and sends them: `min_severity` is "info", "warning" or
/// "critical"; quiet hours are venue-local "HH:MM", both or neither (empty counts as none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NotificationPrefsView {
    pub enabled: bool,
    #[cfg_attr(feature = "ts", ts(as = "Severity"))]
    pub min_severity: String,
    #[serde(default)]
    pub quiet_hours_start: Option<String>,
    #[serde(default)]
    pub quiet_hours_end: Option<String>,
}

impl NotificationPrefsView {
    /// Checks the form; errors name the field and what is accepted.
    pub fn check(&self) -> ApiResult<NotificationPrefs> {
        let min_severity = self
            .min_severity
            .trim()
            .to_ascii_lowercase()
            .parse::<Severity>()
            .map_err(|_| {
                ApiError::bad_input(format!(
                    "minimum severity {:?} is not one of info, warning, critical",
                    self.min_severity
                ))
            })?;
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let quiet_hours = match (given(&self.quiet_hours_start), given(&self.quiet_hours_end)) {
            (None, None) => None,
            (Some(start), Some(end)) => {
                let hours = ActiveHours {
                    start: minute_of_day("start", &start)?,
                    end: minute_of_day("end", &end)?,
                };
                if hours.start == hours.end {
                    return Err(ApiError::bad_input(format!(
                        "quiet hours from {start} to {end} are empty: leave both out for no quiet hours"
                    )));
                }
                Some(hours)
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(ApiError::bad_input(
                    "quiet hours need both a start and an end (or neither)",
                ))
            }
        };
        Ok(NotificationPrefs {
            enabled: self.enabled,
            min_severity,
            quiet_hours,
        })
    }
}

/// "HH:MM" (00:00 to 23:59) as minutes after midnight.
fn minute_of_day(which: &str, text: &str) -> ApiResult<u32> {
    let parsed = text.split_once(':').and_then(|(h, m)| {
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !(two_digits(h) && two_digits(m)) {
            return None;
        }
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    });
    parsed.ok_or_else(|| {
        ApiError::bad_input(format!(
            "quiet hours {which} {text:?} is not a time of day: use HH:MM, from 00:00 to 23:59"
        ))
    })
}

/// Why an alert is shown now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Never shown to this account.
    First,
    /// Shown before, still open and unacknowledged a cool-down later.
    Reminder,
}

/// An alert and its rule's cool-down, for [`due_alerts`].
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub alert: &'a Alert,
    pub cool_down_seconds: u32,
}

/// How long after showing an alert it may be shown again.
pub fn reminder_interval(cool_down_seconds: u32) -> Duration {
    Duration::seconds(i64::from(cool_down_seconds.max(MIN_REMINDER_SECONDS)))
}

/// Which alerts to show an account now, most severe first, then oldest first. `last_sent` holds
/// when each alert was last shown to this account. Pure: the same inputs give the same answer.
pub fn due_alerts(
    now: DateTime<Utc>,
    timezone: Tz,
    role: Role,
    prefs: &NotificationPrefs,
    candidates: &[Candidate],
    last_sent: &HashMap<Uuid, DateTime<Utc>>,
) -> Vec<(Uuid, Due)> {
    if role < Role::Manager || !prefs.enabled || prefs.is_quiet(now, timezone) {
        return Vec::new();
    }
    let mut due: Vec<(&Alert, Due)> = candidates
        .iter()
        // Acknowledged means someone is on it; resolved means it is over.
        .filter(|c| c.alert.state == AlertState::Open && c.alert.severity >= prefs.min_severity)
        .filter_map(|c| match last_sent.get(&c.alert.id) {
            None => Some((c.alert, Due::First)),
            Some(sent) if now - *sent >= reminder_interval(c.cool_down_seconds) => {
                Some((c.alert, Due::Reminder))
            }
            Some(_) => None,
        })
        .collect();
    due.sort_by(|(a, _), (b, _)| {
        b.severity
            .cmp(&a.severity)
            .then(a.opened_at.cmp(&b.opened_at))
            .then(a.id.cmp(&b.id))
    });
    due.into_iter().map(|(a, d)| (a.id, d)).collect()
}

/// The screen of the console a notification opens (the UI's screen ids).
pub fn screen_for(rule: &str, metric: Option<Metric>) -> &'static str {
    match metric {
        Some(Metric::OccupancyShare | Metric::Occupancy) => "today",
        // The PMS socket's state is shown with the connectors.
        Some(
            Metric::BreakerOpen
            | Metric::SnapshotFailed
            | Metric::RateLimitRatio
            | Metric::PmsSocketDownSeconds
            | Metric::TaskFailingSeconds,
        ) => "connections",
        // Settings > Hub shows the sync status and its last error.
        Some(Metric::SyncFailingSeconds) => "settings",
        Some(Metric::SensorOffline | Metric::SensorAuthFailed) => "sensors",
        // A failed charge is retried from the stay; VIPs are on the arrivals list.
        Some(Metric::ChargeFailed | Metric::VipArrival) => "reservations",
        // A rule no longer known (a deleted custom rule): guess from the built-ins' naming.
        None => match rule.split('.').next() {
            Some("connector") => "connections",
            Some("sensor") => "sensors",
            Some("pms") => "reservations",
            _ => "today",
        },
    }
}

/// One desktop notification for the shell to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesktopNotification {
    pub alert_id: Uuid,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    /// The UI screen a click opens: "today", "reservations", "sensors", "connections" or
    /// "settings".
    pub screen: &'static str,
    pub reminder: bool,
}

/// At most this many notifications pop up from one round; the rest are folded into one.
pub const MAX_AT_ONCE: usize = 3;

/// Folds a burst (a manager signing in to a dozen open alerts) into the most severe
/// `MAX_AT_ONCE - 1` as they are and one "N more alerts" that opens Today: a wall of pop-ups
/// gets dismissed unread. Every alert in the burst is still recorded as shown.
pub fn fold_burst(mut due: Vec<DesktopNotification>) -> Vec<DesktopNotification> {
    if due.len() <= MAX_AT_ONCE {
        return due;
    }
    // Most severe first; among equals, first notices before reminders, then as the core listed.
    due.sort_by_key(|n| (std::cmp::Reverse(n.severity), n.reminder));
    let rest = due.split_off(MAX_AT_ONCE - 1);
    let severity = rest
        .iter()
        .map(|n| n.severity)
        .max()
        .unwrap_or(Severity::Info);
    let mut titles: Vec<&str> = rest.iter().take(4).map(|n| n.title.as_str()).collect();
    if rest.len() > titles.len() {
        titles.push("…");
    }
    due.push(DesktopNotification {
        alert_id: Uuid::nil(),
        title: format!("{} more alerts", rest.len()),
        body: titles.join("\n"),
        severity,
        screen: "today",
        reminder: false,
    });
    due
}

/// Notification servers that support body markup read `&` and `<` as markup, and the others
/// show them as typed: lookalikes read the same everywhere and can never become a tag.
fn plain(text: &str) -> String {
    text.replace('&', "＆").replace('<', "‹").replace('>', "›")
}

fn compose(alert: &Alert, due: Due, timezone: Tz, screen: &'static str) -> DesktopNotification {
    let opened = alert.opened_at.with_timezone(&timezone).format("%H:%M");
    let severity = match alert.severity {
        Severity::Info => "Info",
        Severity::Warning => "Warning",
        Severity::Critical => "Critical",
    };
    let (title, context) = match due {
        Due::First => (alert.title.clone(), format!("{severity} · opened {opened}")),
        Due::Reminder => (
            format!("Still open: {}", alert.title),
            format!("{severity} · open since {opened}, not acknowledged"),
        ),
    };
    let body = match alert.body.trim() {
        "" => context,
        text => format!("{}\n{context}", plain(text)),
    };
    DesktopNotification {
        alert_id: alert.id,
        title,
        body,
        severity: alert.severity,
        screen,
        reminder: due == Due::Reminder,
    }
}

impl Console {
    /// The signed-in manager's (or admin's) notification preferences; the defaults until they
    /// save their own.
    pub fn notification_prefs(&self) -> ApiResult<NotificationPrefsView> {
        let (venue, session) = self.signed_in_manager()?;
        Ok(self
            .prefs_of(venue.id, session.staff_id, session.role)?
            .map(|p| p.view())
            .unwrap_or_else(|| {
                NotificationPrefs {
                    enabled: false,
                    min_severity: Severity::Warning,
                    quiet_hours: None,
                }
                .view()
            }))
    }

    /// Saves the signed-in manager's (or admin's) preferences (audited as
    /// `notification_prefs.set`). Bad input (a severity or a time like "25:00") changes nothing.
    pub fn set_notification_prefs(
        &mut self,
        prefs: NotificationPrefsView,
    ) -> ApiResult<NotificationPrefsView> {
        let (venue, session) = self.signed_in_manager()?;
        let checked = prefs.check()?;
        let before = self
            .prefs_of(venue.id, session.staff_id, session.role)?
            .map(|p| serde_json::to_value(p.view()))
            .transpose()?;
        let after = checked.view();
        let row = NotificationPrefsRow {
            staff_id: session.staff_id,
            enabled: checked.enabled,
            min_severity: checked.min_severity.as_str().to_string(),
            quiet_start: after.quiet_hours_start.clone(),
            quiet_end: after.quiet_hours_end.clone(),
            updated_at: Utc::now(),
        };
        let actor = session.actor();
        self.store.set_notification_prefs(
            venue.id,
            &row,
            AuditLine {
                actor: &actor,
                action: "notification_prefs.set",
            },
            before,
            serde_json::to_value(&after)?,
        )?;
        Ok(after)
    }

    /// The notifications to show now, recorded as shown in the same transaction that decides
    /// them, so no alert is ever shown twice within its cool-down, even across a crash or a
    /// second caller (a crash after recording loses one; its reminder follows). Not gated by the
    /// session on purpose: the shell calls it while the app is locked; it is no UI command.
    pub fn due_notifications(&mut self, now: DateTime<Utc>) -> ApiResult<Vec<DesktopNotification>> {
        let venue = self.venue()?;
        let Some(account) = self.notification_recipient(&venue)? else {
            return Ok(Vec::new());
        };
        let Some(prefs) = self.prefs_of(venue.id, account.id, account.role)? else {
            return Ok(Vec::new());
        };
        // Nothing can be due: skip the write transaction.
        if !prefs.enabled || prefs.is_quiet(now, venue.timezone) {
            return Ok(Vec::new());
        }
        let rules = self.rule_facts(venue.id);
        let timezone = venue.timezone;
        let picked = self.store.notification_round(
            venue.id,
            account.id,
            now,
            |alerts, last_sent| {
                let fact = |a: &Alert| rules.get(&a.rule).copied();
                let candidates: Vec<Candidate> = alerts
                    .iter()
                    .map(|alert| Candidate {
                        alert,
                        cool_down_seconds: fact(alert)
                            .map_or(DEFAULT_COOL_DOWN_SECONDS, |(_, cool_down)| cool_down),
                    })
                    .collect();
                due_alerts(now, timezone, account.role, &prefs, &candidates, last_sent)
                    .into_iter()
                    .filter_map(|(id, due)| {
                        let alert = alerts.iter().find(|a| a.id == id)?;
                        let screen = screen_for(&alert.rule, fact(alert).map(|(m, _)| m));
                        Some(compose(alert, due, timezone, screen))
                    })
                    .collect()
            },
            |n: &DesktopNotification| (n.alert_id, n.reminder),
        )?;
        Ok(fold_burst(picked))
    }

    fn signed_in_manager(&self) -> ApiResult<(Venue, SessionInfo)> {
        self.authorize(Role::Manager)?;
        let session = self.access.session().cloned().ok_or_else(|| {
            ApiError::bad_input(
                "notification preferences belong to a staff account signed in to the desktop app",
            )
        })?;
        Ok((self.venue()?, session))
    }

    /// The account's preferences: saved, else the role's defaults; `None` for staff accounts
    /// (a manager made staff again keeps their saved row but gets nothing).
    fn prefs_of(
        &self,
        venue_id: Uuid,
        staff_id: Uuid,
        role: Role,
    ) -> ApiResult<Option<NotificationPrefs>> {
        let defaults = NotificationPrefs::default_for(role);
        if defaults.is_none() {
            return Ok(None);
        }
        let Some(row) = self.store.notification_prefs(venue_id, staff_id)? else {
            return Ok(defaults);
        };
        let saved = NotificationPrefsView {
            enabled: row.enabled,
            min_severity: row.min_severity,
            quiet_hours_start: row.quiet_start,
            quiet_hours_end: row.quiet_end,
        }
        .check()
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!(
                    "stored notification preferences do not check: {}",
                    e.message
                ),
            )
        })?;
        Ok(Some(saved))
    }

    /// The account last signed in on this machine, if it is still active.
    fn notification_recipient(&self, venue: &Venue) -> ApiResult<Option<StaffAccount>> {
        let latest = self
            .store
            .staff_list(venue.id)?
            .into_iter()
            .filter(|row| row.active && row.last_sign_in_at.is_some())
            .max_by_key(|row| row.last_sign_in_at);
        latest.map(StaffAccount::try_from).transpose()
    }

    /// Each rule's metric and cool-down by id: venue.toml's and the built-ins, then custom ones.
    /// A venue.toml that does not check falls back to the built-ins (the engine reports it).
    fn rule_facts(&self, venue_id: Uuid) -> HashMap<String, (Metric, u32)> {
        let mut rules = configured_rules(&self.config).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "alert rules in venue.toml do not check; notifying with the built-ins");
            builtin_rules()
        });
        match self.store.alert_rules(venue_id) {
            Ok(stored) => rules.extend(
                stored
                    .into_iter()
                    .filter_map(|s| crate::alerts::stored_rule(s.definition).ok()),
            ),
            Err(e) => tracing::warn!(error = %e, "custom alert rules could not be read"),
        }
        let mut facts = HashMap::new();
        for rule in rules {
            // The first of an id wins, as in the engine (custom rules cannot shadow venue.toml).
            facts
                .entry(rule.id)
                .or_insert((rule.metric, rule.cool_down_seconds));
        }
        facts
    }
}

#[cfg(test)]
mod burst_tests {
    use super::*;

    fn note(title: &str, severity: Severity, reminder: bool) -> DesktopNotification {
        DesktopNotification {
            alert_id: Uuid::now_v7(),
            title: title.into(),
            body: String::new(),
            severity,
            screen: "connections",
            reminder,
        }
    }

    #[test]
    fn a_few_are_shown_as_they_are() {
        let due = vec![
            note("a", Severity::Info, false),
            note("b", Severity::Critical, false),
            note("c", Severity::Warning, true),
        ];
        assert_eq!(fold_burst(due.clone()), due);
    }

    #[test]
    fn a_burst_keeps_the_most_severe_and_folds_the_rest_into_one_that_opens_today() {
        let due = vec![
            note("vip", Severity::Info, false),
            note("still: breaker", Severity::Critical, true),
            note("sensor", Severity::Warning, false),
            note("breaker", Severity::Critical, false),
            note("charge", Severity::Warning, false),
            note("fetch", Severity::Warning, false),
            note("socket", Severity::Critical, false),
        ];
        let shown = fold_burst(due);
        let titles: Vec<&str> = shown.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["breaker", "socket", "5 more alerts"]);
        let summary = &shown[2];
        assert_eq!(summary.severity, Severity::Critical);
        assert_eq!(summary.screen, "today");
        assert_eq!(summary.alert_id, Uuid::nil());
        assert_eq!(summary.body, "still: breaker\nsensor\ncharge\nfetch\n…");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::tests::desktop_with_demo_staff;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use venue_domain::{new_id, Origin};

    const LONDON: Tz = chrono_tz::Europe::London;

    fn alert(severity: Severity, state: AlertState) -> Alert {
        venue_store::identified(Alert {
            id: new_id(),
            venue_id: Uuid::nil(),
            rule: "occupancy.warning".into(),
            dedupe_key: "occupancy.warning:venue".into(),
            severity,
            title: "Occupancy at 85% of capacity".into(),
            body: "153 people inside against a capacity of 180.".into(),
            state,
            opened_at: Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap(),
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
        })
    }

    fn prefs(min: Severity, quiet: Option<&str>) -> NotificationPrefs {
        NotificationPrefs {
            enabled: true,
            min_severity: min,
            quiet_hours: quiet.map(|q| ActiveHours::parse(q).expect("hours")),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    #[test]
    fn quiet_hours_wrap_midnight_in_the_venues_timezone() {
        let night = prefs(Severity::Info, Some("22:00-07:00"));
        // Summer: London is UTC+1.
        assert!(
            night.is_quiet(utc("2026-07-01T21:00:00Z"), LONDON),
            "22:00 BST"
        );
        assert!(
            !night.is_quiet(utc("2026-07-01T20:59:00Z"), LONDON),
            "21:59 BST"
        );
        assert!(
            night.is_quiet(utc("2026-07-01T23:30:00Z"), LONDON),
            "00:30 BST"
        );
        assert!(
            night.is_quiet(utc("2026-07-02T05:59:00Z"), LONDON),
            "06:59 BST"
        );
        assert!(
            !night.is_quiet(utc("2026-07-02T06:00:00Z"), LONDON),
            "07:00 BST"
        );
        // Winter: London is UTC.
        assert!(night.is_quiet(utc("2026-01-15T22:00:00Z"), LONDON));
        assert!(!night.is_quiet(utc("2026-01-15T21:59:00Z"), LONDON));
        let lunch = prefs(Severity::Info, Some("12:00-13:30"));
        assert!(lunch.is_quiet(utc("2026-01-15T13:29:00Z"), LONDON));
        assert!(!lunch.is_quiet(utc("2026-01-15T13:30:00Z"), LONDON));
        assert!(!prefs(Severity::Info, None).is_quiet(utc("2026-01-15T03:00:00Z"), LONDON));
    }

    #[test]
    fn only_open_alerts_at_or_above_the_chosen_severity_reach_managers() {
        let alerts = [
            alert(Severity::Info, AlertState::Open),
            alert(Severity::Warning, AlertState::Open),
            alert(Severity::Critical, AlertState::Open),
            alert(Severity::Critical, AlertState::Acknowledged),
            alert(Severity::Critical, AlertState::Resolved),
        ];
        let candidates: Vec<Candidate> = alerts
            .iter()
            .map(|alert| Candidate {
                alert,
                cool_down_seconds: 900,
            })
            .collect();
        let now = utc("2026-07-01T12:00:30Z");
        let none = HashMap::new();
        let warning = prefs(Severity::Warning, None);
        assert_eq!(
            due_alerts(now, LONDON, Role::Manager, &warning, &candidates, &none),
            [(alerts[2].id, Due::First), (alerts[1].id, Due::First)],
            "critical first; info, acknowledged and resolved left out"
        );
        assert_eq!(
            due_alerts(
                now,
                LONDON,
                Role::Admin,
                &prefs(Severity::Info, None),
                &candidates,
                &none
            )
            .len(),
            3
        );
        assert!(due_alerts(now, LONDON, Role::Staff, &warning, &candidates, &none).is_empty());
        let off = NotificationPrefs {
            enabled: false,
            ..warning
        };
        assert!(due_alerts(now, LONDON, Role::Manager, &off, &candidates, &none).is_empty());
    }

    #[test]
    fn reminders_come_once_per_cool_down_while_unacknowledged() {
        let open = alert(Severity::Warning, AlertState::Open);
        let candidates = [Candidate {
            alert: &open,
            cool_down_seconds: 900,
        }];
        let p = prefs(Severity::Warning, None);
        let sent = utc("2026-07-01T12:00:00Z");
        let last = HashMap::from([(open.id, sent)]);
        let at = |s: i64| sent + Duration::seconds(s);
        assert!(due_alerts(at(899), LONDON, Role::Manager, &p, &candidates, &last).is_empty());
        assert_eq!(
            due_alerts(at(900), LONDON, Role::Manager, &p, &candidates, &last),
            [(open.id, Due::Reminder)]
        );
        // A cool-down of 0 still waits the minimum.
        let eager = [Candidate {
            alert: &open,
            cool_down_seconds: 0,
        }];
        assert!(due_alerts(at(299), LONDON, Role::Manager, &p, &eager, &last).is_empty());
        assert_eq!(
            due_alerts(at(300), LONDON, Role::Manager, &p, &eager, &last).len(),
            1
        );
    }

    #[test]
    fn the_form_is_checked_with_clear_messages() {
        let form = |min: &str, start: Option<&str>, end: Option<&str>| NotificationPrefsView {
            enabled: true,
            min_severity: min.into(),
            quiet_hours_start: start.map(Into::into),
            quiet_hours_end: end.map(Into::into),
        };
        let ok = form(" Critical ", Some("22:00"), Some("07:00"))
            .check()
            .expect("valid");
        assert_eq!(ok.min_severity, Severity::Critical);
        assert_eq!(
            ok.quiet_hours,
            Some(ActiveHours {
                start: 1320,
                end: 420
            })
        );
        assert_eq!(ok.view().quiet_hours_start.as_deref(), Some("22:00"));
        assert_eq!(
            form("info", Some(""), Some(" "))
                .check()
                .expect("none")
                .quiet_hours,
            None
        );
        let cases = [
            (form("loud", None, None), "minimum severity \"loud\""),
            (
                form("info", Some("25:00"), Some("07:00")),
                "quiet hours start \"25:00\" is not a time of day",
            ),
            (
                form("info", Some("22:00"), Some("7:60")),
                "quiet hours end \"7:60\"",
            ),
            (form("info", Some("22:00"), Some("noon")), "HH:MM"),
            (form("info", Some("22:00"), None), "both a start and an end"),
            (form("info", Some("08:00"), Some("08:00")), "are empty"),
        ];
        for (f, expected) in cases {
            let err = f.check().expect_err("invalid");
            assert_eq!(err.code, ErrorCode::BadInput);
            assert!(err.message.contains(expected), "{f:?}: {}", err.message);
        }
    }

    #[test]
    fn screens_follow_the_rule() {
        assert_eq!(
            screen_for("occupancy.warning", Some(Metric::OccupancyShare)),
            "today"
        );
        assert_eq!(
            screen_for("connector.rate_limited", Some(Metric::RateLimitRatio)),
            "connections"
        );
        assert_eq!(
            screen_for("pms.socket_down", Some(Metric::PmsSocketDownSeconds)),
            "connections"
        );
        assert_eq!(
            screen_for("pms.charge_failed", Some(Metric::ChargeFailed)),
            "reservations"
        );
        assert_eq!(
            screen_for("pms.vip_arrival", Some(Metric::VipArrival)),
            "reservations"
        );
        assert_eq!(
            screen_for("sensor.offline", Some(Metric::SensorOffline)),
            "sensors"
        );
        assert_eq!(screen_for("sensor.gone", None), "sensors");
        assert_eq!(screen_for("my-rule", None), "today");
        assert_eq!(
            screen_for("hub.sync_failing", Some(Metric::SyncFailingSeconds)),
            "settings"
        );
        for metric in Metric::ALL {
            assert!([
                "today",
                "connections",
                "sensors",
                "reservations",
                "settings"
            ]
            .contains(&screen_for("x", Some(*metric))));
        }
    }

    #[test]
    fn the_text_is_the_alerts_and_markup_cannot_slip_in() {
        let mut a = alert(Severity::Critical, AlertState::Open);
        a.body = "Vendor said <b>503</b> & gave up".into();
        let first = compose(&a, Due::First, LONDON, "connections");
        assert_eq!(first.title, "Occupancy at 85% of capacity");
        assert_eq!(
            first.body,
            "Vendor said ‹b›503‹/b› ＆ gave up\nCritical · opened 13:00"
        );
        let again = compose(&a, Due::Reminder, LONDON, "connections");
        assert_eq!(again.title, "Still open: Occupancy at 85% of capacity");
        assert!(
            again.body.ends_with("open since 13:00, not acknowledged"),
            "{}",
            again.body
        );
        assert!(again.reminder && !first.reminder);
    }

    fn severity() -> impl Strategy<Value = Severity> {
        prop_oneof![
            Just(Severity::Info),
            Just(Severity::Warning),
            Just(Severity::Critical)
        ]
    }

    fn role() -> impl Strategy<Value = Role> {
        prop_oneof![Just(Role::Staff), Just(Role::Manager), Just(Role::Admin)]
    }

    proptest! {
        /// Rounds at random times over two days: an alert is shown at most once per cool-down,
        /// never in quiet hours, never below the chosen severity, never to staff; and whenever a
        /// round may show it, it does.
        #[test]
        fn at_most_one_per_cool_down_and_only_when_allowed(
            gaps in proptest::collection::vec(1i64..4_000, 1..120),
            cool_down in 0u32..7_200,
            quiet in proptest::option::of((0u32..1440, 0u32..1440)),
            min in severity(),
            alert_severity in severity(),
            who in role(),
            enabled in any::<bool>(),
        ) {
            let quiet_hours = quiet.filter(|(s, e)| s != e).map(|(start, end)| ActiveHours { start, end });
            let p = NotificationPrefs { enabled, min_severity: min, quiet_hours };
            let mut open = alert(alert_severity, AlertState::Open);
            open.opened_at = utc("2026-03-28T00:00:00Z"); // the weekend the clocks go forward
            let candidates = [Candidate { alert: &open, cool_down_seconds: cool_down }];
            let mut last: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
            let mut now = open.opened_at;
            let mut shown = Vec::new();
            for gap in gaps {
                now += Duration::seconds(gap);
                let due = due_alerts(now, LONDON, who, &p, &candidates, &last);
                let eligible = who >= Role::Manager && enabled && alert_severity >= min && !p.is_quiet(now, LONDON);
                let cooled = last.get(&open.id).is_none_or(|sent| now - *sent >= reminder_interval(cool_down));
                prop_assert_eq!(due.len(), usize::from(eligible && cooled), "at {}", now);
                if let Some((id, kind)) = due.first() {
                    prop_assert_eq!(*kind, if last.is_empty() { Due::First } else { Due::Reminder });
                    last.insert(*id, now);
                    shown.push(now);
                }
            }
            for pair in shown.windows(2) {
                prop_assert!(pair[1] - pair[0] >= reminder_interval(cool_down));
            }
        }
    }

    fn save_alert(console: &mut Console, severity: Severity, rule: &str) -> Alert {
        let venue = console.venue().expect("venue");
        let mut a = alert(severity, AlertState::Open);
        a.venue_id = venue.id;
        a.rule = rule.into();
        a.dedupe_key = format!("{rule}:venue");
        a.opened_at = Utc::now();
        let a = venue_store::identified(a);
        console
            .store
            .save_audited(Origin::Sensor, "alert-engine", "alert.open", &a)
            .expect("alert");
        a
    }

    #[test]
    fn preferences_default_validate_and_are_audited_per_account() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = desktop_with_demo_staff(dir.path());
        assert_eq!(
            console.notification_prefs().expect_err("signed out").code,
            ErrorCode::NotSignedIn
        );
        console.sign_in("1111").expect("staff");
        assert_eq!(
            console.notification_prefs().expect_err("staff").code,
            ErrorCode::Forbidden
        );
        console.sign_in("2222").expect("manager");
        let defaults = console.notification_prefs().expect("defaults");
        assert_eq!(
            defaults,
            NotificationPrefsView {
                enabled: true,
                min_severity: "warning".into(),
                quiet_hours_start: None,
                quiet_hours_end: None
            }
        );
        let bad = NotificationPrefsView {
            quiet_hours_start: Some("25:00".into()),
            quiet_hours_end: Some("07:00".into()),
            ..defaults.clone()
        };
        let err = console.set_notification_prefs(bad).expect_err("25:00");
        assert_eq!(err.code, ErrorCode::BadInput);
        assert!(err.message.contains("\"25:00\""), "{}", err.message);
        assert_eq!(console.notification_prefs().expect("unchanged"), defaults);
        let night = NotificationPrefsView {
            min_severity: "critical".into(),
            quiet_hours_start: Some("22:00".into()),
            quiet_hours_end: Some("7:00".replace('7', "07")),
            ..defaults.clone()
        };
        assert_eq!(
            console
                .set_notification_prefs(night.clone())
                .expect("saved"),
            night
        );
        assert_eq!(console.notification_prefs().expect("read"), night);
        // Alex's are Alex's own.
        console.sign_in("3333").expect("admin");
        assert_eq!(
            console.notification_prefs().expect("admin defaults"),
            defaults
        );
        let conn = rusqlite::Connection::open(console.store.path()).expect("db");
        let (actor, before, after): (String, Option<String>, String) = conn
            .query_row(
                "SELECT actor, before, after FROM audit_log WHERE action = 'notification_prefs.set'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("one audit line");
        assert_eq!(actor, "Morgan Manager (manager)");
        assert!(before.is_some_and(|b| b.contains("\"warning\"")));
        assert!(after.contains("\"22:00\""), "{after}");
        let mut cli = Console::open(dir.path()).expect("cli");
        assert_eq!(
            cli.notification_prefs().expect_err("no account").code,
            ErrorCode::BadInput
        );
        assert!(cli.set_notification_prefs(defaults).is_err());
    }

    #[test]
    fn the_last_account_signed_in_here_is_notified_once_per_cool_down_even_when_locked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = desktop_with_demo_staff(dir.path());
        let now = Utc::now();
        assert!(console
            .due_notifications(now)
            .expect("nobody yet")
            .is_empty());
        let warning = save_alert(&mut console, Severity::Warning, "occupancy.warning");
        assert!(console
            .due_notifications(now)
            .expect("nobody signed in yet")
            .is_empty());

        console.sign_in("2222").expect("manager");
        console.sign_out().expect("locked");
        let shown = console.due_notifications(now).expect("due");
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!(shown[0].alert_id, warning.id);
        assert_eq!(shown[0].title, "Occupancy at 85% of capacity");
        assert!(
            shown[0]
                .body
                .starts_with("153 people inside against a capacity of 180.\nWarning · opened "),
            "{}",
            shown[0].body
        );
        assert_eq!((shown[0].screen, shown[0].reminder), ("today", false));
        assert!(
            console.due_notifications(now).expect("again").is_empty(),
            "once"
        );
        // The occupancy rules' cool-down is 15 minutes.
        assert!(console
            .due_notifications(now + Duration::seconds(899))
            .expect("soon")
            .is_empty());
        let reminder = console
            .due_notifications(now + Duration::seconds(900))
            .expect("reminder");
        assert_eq!(reminder.len(), 1);
        assert_eq!(
            reminder[0].title,
            "Still open: Occupancy at 85% of capacity"
        );
        console.sign_in("2222").expect("manager");
        console
            .acknowledge_alert(&warning.id.to_string())
            .expect("ack");
        assert!(console
            .due_notifications(now + Duration::seconds(1800))
            .expect("acked")
            .is_empty());

        // A critical socket alert, when the front desk signed in last: nobody is notified.
        let socket = save_alert(&mut console, Severity::Critical, "pms.socket_down");
        console.sign_in("1111").expect("staff");
        assert!(console.due_notifications(now).expect("staff").is_empty());
        // Alex signs in: the socket alert is new to Alex, and opens Connections.
        console.sign_in("3333").expect("admin");
        let shown = console.due_notifications(now).expect("admin");
        assert_eq!(
            shown
                .iter()
                .map(|n| (n.alert_id, n.screen))
                .collect::<Vec<_>>(),
            [(socket.id, "connections")]
        );
        assert_eq!(
            console
                .store
                .notifications_sent_count(socket.id, console.session().expect("alex").staff_id)
                .expect("n"),
            1
        );

        // Quiet hours all day but one minute: nothing; disabled: nothing.
        let quiet = NotificationPrefsView {
            enabled: true,
            min_severity: "info".into(),
            quiet_hours_start: Some("00:00".into()),
            quiet_hours_end: Some("23:59".into()),
        };
        console.set_notification_prefs(quiet).expect("quiet");
        let venue = console.venue().expect("venue");
        let noon = venue
            .timezone
            .with_ymd_and_hms(2030, 1, 1, 12, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert!(console.due_notifications(noon).expect("quiet").is_empty());
        let last_minute = venue
            .timezone
            .with_ymd_and_hms(2030, 1, 1, 23, 59, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            console
                .due_notifications(last_minute)
                .expect("reminder")
                .len(),
            1
        );
    }
}
