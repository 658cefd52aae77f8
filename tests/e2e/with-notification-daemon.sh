#!/usr/bin/env bash
# Runs a command in the current D-Bus session next to a mock notification server, so the
# end-to-end tests see every notification the app sends (tauri-plugin-notification drops D-Bus
# errors, so its return value proves nothing) and can click one.
#
#   dbus-run-session -- tests/e2e/with-notification-daemon.sh ARTIFACTS_DIR COMMAND...
#
# The server is python-dbusmock's notification_daemon template (apt: python3-dbusmock), with the
# "actions" capability a desktop's server has. It records each call; tests/e2e/notifications.py
# reads them and sends a click. The session bus address goes to ARTIFACTS_DIR/dbus-address.
set -euo pipefail
artifacts="$1"
shift
# The system Python: python3-dbusmock and python3-dbus are Debian packages.
/usr/bin/python3 -m dbusmock --template notification_daemon \
    --parameters '{"capabilities": "actions body body-markup"}' \
    >"$artifacts/notification-daemon.log" 2>&1 &
for _ in $(seq 1 100); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null | grep -q "boolean true"; then
        printf '%s\n' "$DBUS_SESSION_BUS_ADDRESS" >"$artifacts/dbus-address"
        exec "$@"
    fi
    sleep 0.1
done
echo "the mock notification server did not start (see $artifacts/notification-daemon.log)" >&2
exit 1
