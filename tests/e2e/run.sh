#!/usr/bin/env bash
# End-to-end tests of the real Venue Console window under Xvfb, driven by tauri-driver, with the
# vendors served live by `venue sim`.
#
#   tests/e2e/run.sh APP_BINARY VENUE_BINARY
#
# APP_BINARY must have the UI embedded (the default features do: `npm --prefix ui run build`
# then `cargo build -p venue-console`). VENUE_BINARY is the `venue` CLI. The script makes a
# fresh demo data dir (`venue init --demo`), serves the simulators on ports of their own
# ($E2E_PORT_BASE, default 18787: POS, Mews, door counters, control; the data dir's venue.toml is
# pointed there, so a `make demo` on the usual ports does not get in the way), starts Xvfb on
# $E2E_DISPLAY (:99) unless an X server runs there,
# installs tauri-driver if missing, runs tests/e2e/console.mjs then tests/e2e/notifications.mjs
# (the app's D-Bus session has a mock notification server), and stops every process it
# started. Logs and screenshots go to tests/e2e/artifacts/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

app="${1:-$root/target/debug/venue-console}"
venue="${2:-$root/target/debug/venue}"
display="${E2E_DISPLAY:-:99}"
port="${E2E_DRIVER_PORT:-4444}"
base="${E2E_PORT_BASE:-18787}"
pos_port=$base mews_port=$((base + 1)) sensor_port=$((base + 2)) control_port=$((base + 3))
artifacts="${E2E_ARTIFACTS:-$here/artifacts}"
export E2E_VENUE_NAME="${E2E_VENUE_NAME:-Harbour Hotel & Bar}"

fail() {
    echo "e2e: $*" >&2
    echo "e2e: 0 passed, 1 failed"
    exit 1
}

[[ -x "$app" ]] || fail "app binary $app is missing or not executable; build it first (see the top of $0)"
[[ -x "$venue" ]] || fail "venue CLI $venue is missing; cargo build -p venue-cli --features sim"
app="$(cd "$(dirname "$app")" && pwd)/$(basename "$app")"
command -v node >/dev/null || fail "node (20 or newer) is not on PATH"
command -v Xvfb >/dev/null || fail "Xvfb is missing: apt-get install xvfb"
command -v dbus-run-session >/dev/null || fail "dbus-run-session is missing: apt-get install dbus-x11"
command -v WebKitWebDriver >/dev/null || fail "WebKitWebDriver is missing: apt-get install webkit2gtk-driver"
/usr/bin/python3 -c "import dbusmock" 2>/dev/null || fail "python-dbusmock is missing: apt-get install python3-dbusmock"
for busy in "$pos_port" "$mews_port" "$sensor_port" "$control_port" "$port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$busy") 2>/dev/null; then
        fail "port $busy is already in use; stop what listens there or set E2E_PORT_BASE / E2E_DRIVER_PORT"
    fi
done

mkdir -p "$artifacts"
rm -f "$artifacts"/*.png
data_dir="$(mktemp -d)"
# Process groups this script started; each is stopped as a whole on exit.
groups=()
cleanup() {
    local pgid
    for pgid in "${groups[@]}"; do
        kill -TERM -- "-$pgid" 2>/dev/null || true
    done
    for pgid in "${groups[@]}"; do
        for _ in $(seq 1 20); do
            kill -0 -- "-$pgid" 2>/dev/null || continue 2
            sleep 0.1
        done
        kill -KILL -- "-$pgid" 2>/dev/null || true
    done
    rm -rf "$data_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# `setsid` makes each background job the leader of a new process group, so everything it spawns
# (WebKitWebDriver, the app, D-Bus helpers) can be stopped together.
start_group() {
    local log="$1"
    shift
    setsid "$@" >"$log" 2>&1 &
    groups+=("$!")
}

# X server
display_number="${display#:}"
if [[ -S "/tmp/.X11-unix/X$display_number" ]]; then
    echo "e2e: using the X server already running on $display"
else
    echo "e2e: starting Xvfb on $display"
    start_group "$artifacts/xvfb.log" Xvfb "$display" -screen 0 1920x1080x24 -nolisten tcp
    for _ in $(seq 1 100); do
        [[ -S "/tmp/.X11-unix/X$display_number" ]] && break
        sleep 0.1
    done
    [[ -S "/tmp/.X11-unix/X$display_number" ]] || fail "Xvfb did not start on $display (see $artifacts/xvfb.log)"
fi

# tauri-driver
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null; then
    echo "e2e: installing tauri-driver"
    cargo install tauri-driver --locked --version '^2'
fi

# The demo venue, polled every 2 s instead of 15 so a walk-in shows quickly.
"$venue" --data-dir "$data_dir" init --demo >"$artifacts/init.log" 2>&1 || fail "venue init --demo failed (see $artifacts/init.log)"
sed -i -e 's/^interval_seconds = 15$/interval_seconds = 2/' \
    -e "s/127\.0\.0\.1:8787/127.0.0.1:$pos_port/g" -e "s/127\.0\.0\.1:8788/127.0.0.1:$mews_port/g" \
    -e "s/127\.0\.0\.1:8789/127.0.0.1:$sensor_port/g" "$data_dir/venue.toml"
grep -q "127.0.0.1:$sensor_port" "$data_dir/venue.toml" || fail "could not point venue.toml at the test ports"

echo "e2e: starting the simulators (control on $control_port)"
start_group "$artifacts/sim.log" "$venue" --data-dir "$data_dir" sim --port "$pos_port" --mews-port "$mews_port" \
    --sensor-port "$sensor_port" --control-port "$control_port"
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$control_port") 2>/dev/null && break
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$control_port") 2>/dev/null || fail "venue sim did not start (see $artifacts/sim.log)"

# The simulators' credentials, as a headless machine passes them (the OS keyring is the other way).
export VENUE_SECRET_DEMO_SQUARE_ACCESS_TOKEN=sim-square-access-token
export VENUE_SECRET_DEMO_TOAST_CLIENT_ID=sim-toast-client-id
export VENUE_SECRET_DEMO_TOAST_CLIENT_SECRET=sim-toast-client-secret
export VENUE_SECRET_MEWS_CLIENT_TOKEN=sim-mews-client-token
export VENUE_SECRET_MEWS_ACCESS_TOKEN=sim-mews-access-token
export VENUE_SECRET_SENSOR_FRONT_DOOR=sim-sensor-pass VENUE_SECRET_SENSOR_BAR_DOOR=sim-sensor-pass \
    VENUE_SECRET_SENSOR_TERRACE_GATE=sim-sensor-pass

# A local update server offering 0.2.0, so Settings shows the offer (the app takes plain http
# only from loopback). The signature is never checked: a build not installed from a package
# refuses to install before downloading, which console.mjs checks too.
update_port=$((base + 4))
if (exec 3<>"/dev/tcp/127.0.0.1/$update_port") 2>/dev/null; then
    fail "port $update_port (update server) is already in use; set E2E_PORT_BASE"
fi
mkdir -p "$data_dir/updates"
cat >"$data_dir/updates/latest.json" <<JSON
{"version": "0.2.0", "notes": "End-to-end test release.", "pub_date": "2026-12-01T09:00:00Z",
 "platforms": {"linux-$(uname -m)": {"url": "http://127.0.0.1:$update_port/venue-console-0.2.0.AppImage",
                                     "signature": "not checked before the download"}}}
JSON
start_group "$artifacts/update-server.log" /usr/bin/python3 -m http.server --bind 127.0.0.1 \
    --directory "$data_dir/updates" "$update_port"
export VENUE_UPDATE_ENDPOINT="http://127.0.0.1:$update_port/latest.json"

# The app inherits its environment from tauri-driver (through WebKitWebDriver).
export VENUE_DATA_DIR="$data_dir"
export DISPLAY="$display"
export NO_AT_BRIDGE=1
echo "e2e: starting tauri-driver on port $port (app $app, data dir $data_dir)"
# The session has a mock notification server the tests read Notify calls from and click.
rm -f "$artifacts/dbus-address"
start_group "$artifacts/tauri-driver.log" dbus-run-session -- "$here/with-notification-daemon.sh" "$artifacts" \
    tauri-driver --port "$port"

status=0
E2E_APP="$app" E2E_DRIVER_URL="http://127.0.0.1:$port" E2E_CONTROL_URL="http://127.0.0.1:$control_port" \
    E2E_ARTIFACTS="$artifacts" node "$here/console.mjs" || status=$?
E2E_APP="$app" E2E_DRIVER_URL="http://127.0.0.1:$port" E2E_CONTROL_URL="http://127.0.0.1:$control_port" \
    E2E_ARTIFACTS="$artifacts" node "$here/notifications.mjs" || status=$?
if [[ $status -ne 0 ]]; then
    echo "e2e: app output: $artifacts/tauri-driver.log; simulators: $artifacts/sim.log; notification server: $artifacts/notification-daemon.log" >&2
fi
exit "$status"
