#!/usr/bin/env bash
# schemathesis against the hub's own /openapi.json: a real `venue-hub serve` on a loopback port
# and a temporary SQLite database with an organisation, a venue and one enrolled console, fuzzed
# for SCHEMATHESIS_SECONDS (default 120). Fails on any 5xx and on any answer that does not match
# the document. schemathesis comes from PyPI, into a virtualenv under target/ (made if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${SCHEMATHESIS_SECONDS:-120}
venv=target/schemathesis-venv
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'schemathesis==4.*'
fi

# VENUE_HUB_BIN: a venue-hub already built (by `make test`, say); otherwise build one.
hub=${VENUE_HUB_BIN:-}
if [ -z "$hub" ]; then
  cargo build --quiet -p venue-hub --bin venue-hub
  hub=target/debug/venue-hub
fi

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export VENUE_HUB_DATABASE="$work/hub.sqlite3"

json_field() { "$venv/bin/python" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

org=$("$hub" org create "Schemathesis Group" --json | json_field id)
venue=$("$hub" venue add --org "$org" --name "Fuzzed Venue" --timezone Europe/Lisbon \
  --currency EUR --capacity 80 --json | json_field id)
code=$("$hub" enroll --venue "$venue" --json | json_field code)

"$hub" serve --listen 127.0.0.1:0 --print-address >"$work/address" 2>"$work/hub.log" &
server=$!
for _ in $(seq 1 100); do
  if [ -s "$work/address" ]; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$work/hub.log" >&2; exit 1; fi
  sleep 0.1
done
base=$(json_field listening <"$work/address")

node=$("$venv/bin/python" -c 'import uuid; print(uuid.uuid4())')
token=$(curl --silent --show-error --fail -X POST "$base/v1/enroll" \
  -H 'content-type: application/json' \
  -d "{\"code\": \"$code\", \"node\": \"$node\"}" | json_field token)

echo "schemathesis: $base/openapi.json for ${seconds}s (hub log: $work/hub.log while it runs)"
status=0
# Run from target/, where schemathesis keeps its cache (.schemathesis/), out of the work tree.
(cd target && "../$venv/bin/st" run "$base/openapi.json" \
  --checks not_a_server_error,response_schema_conformance \
  --header "Authorization: Bearer $token" \
  --max-time "$seconds" \
  --request-timeout 30 \
  --suppress-health-check all) \
  || status=$?
if [ "$status" -ne 0 ]; then
  echo "schemathesis failed; the hub's last log lines:" >&2
  tail -n 40 "$work/hub.log" >&2
fi
exit "$status"
