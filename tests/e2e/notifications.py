#!/usr/bin/python3
"""The end-to-end tests' hands on the mock notification server (with-notification-daemon.sh).

    notifications.py calls ADDRESS          prints the Notify calls so far as JSON
    notifications.py click ADDRESS ID [ACTION]
                                            sends ActionInvoked(ID, ACTION or "default"), what a
                                            server sends when the notification is clicked

ADDRESS is the D-Bus session bus address. Each call is {"id", "app", "summary", "body",
"actions"}; the id is the one the mock returned (it counts up from 1 unless the caller replaces a
notification).
"""
import json
import sys

import dbus

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def main(argv):
    if len(argv) < 3 or argv[1] not in ("calls", "click"):
        print(__doc__, file=sys.stderr)
        return 2
    bus = dbus.bus.BusConnection(argv[2])
    mock = dbus.Interface(bus.get_object(NAME, PATH), "org.freedesktop.DBus.Mock")
    if argv[1] == "calls":
        calls, next_id = [], 1
        for _, args in mock.GetMethodCalls("Notify"):
            replaces = int(args[1])
            if replaces:
                notification_id = replaces
            else:
                notification_id, next_id = next_id, next_id + 1
            calls.append({
                "id": notification_id,
                "app": str(args[0]),
                "summary": str(args[3]),
                "body": str(args[4]),
                "actions": [str(a) for a in args[5]],
            })
        print(json.dumps(calls))
    else:
        action = argv[4] if len(argv) > 4 else "default"
        mock.EmitSignal(NAME, "ActionInvoked", "us", [dbus.UInt32(int(argv[3])), action])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
