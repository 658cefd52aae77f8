#!/usr/bin/env bash
# End-to-end smoke test of the real Venue Console window under Xvfb, driven by tauri-driver.
#
#   tests/e2e/run.sh [APP_BINARY] [DATA_DIR]
#
# APP_BINARY defaults to target/debug/venue-console. It must have the UI embedded, so build it
# with the custom protocol (a plain debug build loads http://localhost:5173 instead):
#   npm --prefix ui ci && npm --prefix ui run build
#   cargo build -p venue-console --features tauri/custom-protocol
# DATA_DIR is the venue data dir the app opens (passed as VENUE_DATA_DIR); for the standard run
#   cargo run -p venue-cli -- --data-dir DIR init --demo
# creates "Harbour Hotel & Bar". E2E_VENUE_NAME overrides the name the test expects.
#
# This script builds nothing. It starts Xvfb on $E2E_DISPLAY (:99) unless an X server already
# runs there, installs tauri-driver if missing, runs tests/e2e/smoke.mjs, and stops every process
# it started. Logs and screenshots go to tests/e2e/artifacts/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

app="${1:-$root/target/debug/venue-console}"
data_dir="${2:-}"
display="${E2E_DISPLAY:-:99}"
port="${E2E_DRIVER_PORT:-4444}"
artifacts="${E2E_ARTIFACTS:-$here/artifacts}"
export E2E_VENUE_NAME="${E2E_VENUE_NAME:-Harbour Hotel & Bar}"

fail() {
    echo "e2e: $*" >&2
    echo "e2e: 0 passed, 1 failed"
    exit 1
}

[[ -n "$data_dir" ]] || fail "usage: $0 [APP_BINARY] DATA_DIR (the data dir is required)"
[[ -d "$data_dir" ]] || fail "data dir $data_dir does not exist"
[[ -x "$app" ]] || fail "app binary $app is missing or not executable; build it first (see the top of $0)"
app="$(cd "$(dirname "$app")" && pwd)/$(basename "$app")"
data_dir="$(cd "$data_dir" && pwd)"
command -v node >/dev/null || fail "node (20 or newer) is not on PATH"
command -v Xvfb >/dev/null || fail "Xvfb is missing: apt-get install xvfb"
command -v dbus-run-session >/dev/null || fail "dbus-run-session is missing: apt-get install dbus-x11"
command -v WebKitWebDriver >/dev/null || fail "WebKitWebDriver is missing: apt-get install webkit2gtk-driver"

mkdir -p "$artifacts"
rm -f "$artifacts/home.png" "$artifacts/failure.png"

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

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is already in use; stop the other WebDriver server or set E2E_DRIVER_PORT"
fi

# The app inherits its environment from tauri-driver (through WebKitWebDriver).
export VENUE_DATA_DIR="$data_dir"
export DISPLAY="$display"
export NO_AT_BRIDGE=1
echo "e2e: starting tauri-driver on port $port (app $app, data dir $data_dir)"
start_group "$artifacts/tauri-driver.log" dbus-run-session -- tauri-driver --port "$port"

status=0
E2E_APP="$app" E2E_DRIVER_URL="http://127.0.0.1:$port" E2E_ARTIFACTS="$artifacts" \
    node "$here/smoke.mjs" || status=$?
if [[ $status -ne 0 ]]; then
    echo "e2e: driver and app output: $artifacts/tauri-driver.log" >&2
fi
exit "$status"
