//! Secrets through the real OS keyring: `venue secret set` stores into the Secret Service
//! (gnome-keyring under a private D-Bus session) and `venue fetch` uses it; the secret never
//! lands in venue.toml or the database. Without a keyring the message names the fallback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::process::Command;
use support::venue_command as venue;
use venue_sim::{PosSimulator, SimConfig};

const TOKEN_NAME: &str = "sq-access-token";

#[test]
fn a_secret_set_in_the_keyring_is_used_by_fetch_and_stored_nowhere_else() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .expect("sh");
        assert!(
            found.status.success(),
            "{tool} is missing: run tests/setup.sh --e2e"
        );
    }
    let sim = PosSimulator::start_in_background(SimConfig {
        days: 1,
        orders_per_day: 20,
        ..SimConfig::default()
    })
    .expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let init = venue(&data)
        .args(support::init_args("Cafe", "America/New_York", "USD", "30"))
        .output()
        .expect("init");
    assert!(init.status.success());
    let config_path = data.join("venue.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    std::fs::write(
        &config_path,
        format!(
            "{config}\n[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"{}\"\n",
            sim.base_url()
        ),
    )
    .expect("config");
    let token = sim.config().square_access_token.clone();
    let script = dir.path().join("keyring.sh");
    std::fs::write(
        &script,
        r#"set -eu
export HOME="$KEYRING_HOME"
printf '%s' "test-unlock" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf '%s\n' "$TOKEN" | "$VENUE" --data-dir "$DATA" secret set "$TOKEN_NAME"
"$VENUE" --data-dir "$DATA" fetch --since 2024-03-01T00:00:00Z --json
"#,
    )
    .expect("script");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let out = Command::new("dbus-run-session")
        .args(["--", "bash"])
        .arg(&script)
        .env("KEYRING_HOME", &home)
        .env("TOKEN", &token)
        .env("TOKEN_NAME", TOKEN_NAME)
        .env("VENUE", env!("CARGO_BIN_EXE_venue"))
        .env("DATA", &data)
        .env("VENUE_LOG", "warn")
        .env_remove("VENUE_SECRET_SQ_ACCESS_TOKEN")
        .output()
        .expect("dbus-run-session");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: serde_json::Value = serde_json::from_str(&stdout).expect("fetch JSON");
    assert_eq!(reports[0]["snapshot"]["status"], "ok", "{reports}");
    assert!(
        reports[0]["snapshot"]["records_written"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );

    // Nowhere on disk but the keyring.
    for entry in std::fs::read_dir(&data).expect("data dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        let leaked = bytes.windows(token.len()).any(|w| w == token.as_bytes());
        assert!(!leaked, "the secret was written to {}", path.display());
    }
}

#[test]
fn without_a_keyring_the_error_names_the_environment_fallback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = venue(dir.path())
        .args(["secret", "set", "sq-access-token"])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"value\n").expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("VENUE_SECRET_SQ_ACCESS_TOKEN"),
        "{message}"
    );
    assert!(message.contains("keyring is not available"), "{message}");
}
