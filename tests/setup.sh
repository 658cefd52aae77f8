#!/usr/bin/env bash
# Installs what building, running and testing Venue Console needs on a fresh Debian/Ubuntu machine:
# system packages for Tauri and the end-to-end tests (only those missing), the UI's npm packages,
# and tauri-driver and cargo-deny. Safe to run again: it does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_e2e=${1:-}
# faketime: the hub fault suite runs consoles whose clock is ten minutes off.
packages=(build-essential pkg-config file libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev faketime)
if [ "$want_e2e" = "--e2e" ]; then
  # python3-dbusmock: the mock notification server of the end-to-end notification test.
  packages+=(xvfb webkit2gtk-driver dbus-x11 imagemagick gnome-keyring mosquitto python3-dbusmock)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "setup: missing packages ${missing[*]} and no root or passwordless sudo to install them" >&2
    exit 1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The UI's packages, exactly as locked.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$want_e2e" = "--e2e" ] && ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --version '^2' --quiet
fi

# The licence and duplicate-version checks (deny.toml). 0.20 needs rustc 1.88 or newer.
if [ "$want_e2e" = "--e2e" ] && ! cargo deny --version >/dev/null 2>&1; then
  echo "setup: installing cargo-deny"
  cargo install cargo-deny --locked --version '^0.20' --quiet
fi

# The hub's tests run on a real PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth on
# loopback): start the cluster when nothing listens, and install it when there is none.
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if [ "$want_e2e" = "--e2e" ] && ! pg_up; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo -n"; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "setup: installing postgresql"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    version=$(ls /etc/postgresql | sort -V | tail -1)
    # Trust on loopback, as on these test machines: the tests create a database and a role each.
    $sudo sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' \
      "/etc/postgresql/$version/main/pg_hba.conf"
  fi
  echo "setup: starting postgresql on 127.0.0.1:5432"
  $sudo pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 100); do pg_up && break; sleep 0.1; done
  pg_up || { echo "setup: postgresql did not start" >&2; exit 1; }
fi

# The MQTT tests talk to a real broker on 127.0.0.1:1883: start Mosquitto when nothing listens.
if [ "$want_e2e" = "--e2e" ] && ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  echo "setup: starting mosquitto on 127.0.0.1:1883"
  if [ -f /etc/mosquitto/mosquitto.conf ]; then
    mosquitto -d -c /etc/mosquitto/mosquitto.conf
  else
    mosquitto -d
  fi
  for _ in $(seq 1 50); do
    (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && break
    sleep 0.1
  done
  (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null || { echo "setup: mosquitto did not start" >&2; exit 1; }
fi
