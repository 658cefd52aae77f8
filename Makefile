# The two commands: `make demo` runs the console on a demo venue, `make test` runs every test.
# Both install what they need first (system packages via apt-get when missing, npm packages).

DEMO_DIR ?= $(CURDIR)/.venue-demo

.PHONY: demo test bench fuzz schemathesis setup ui ui-types release

setup:
	tests/setup.sh

ui: setup
	cd ui && npm run build

# The desktop console on the demo venue, live: `venue sim` serves the POS, the PMS and the door
# counters on loopback while the app runs (their public test credentials below), and stops with it.
# Sign in with a demo PIN: 1111 (front desk), 2222 (manager), 3333 (admin).
demo: ui
	cargo build -p venue-console -p venue-cli --features venue-cli/sim
	test -f "$(DEMO_DIR)/venue.sqlite3" || target/debug/venue --data-dir "$(DEMO_DIR)" init --demo
	target/debug/venue --data-dir "$(DEMO_DIR)" sim & sim=$$!; \
	trap 'kill $$sim 2>/dev/null' EXIT; \
	VENUE_DATA_DIR="$(DEMO_DIR)" \
	VENUE_SECRET_DEMO_SQUARE_ACCESS_TOKEN=sim-square-access-token \
	VENUE_SECRET_DEMO_TOAST_CLIENT_ID=sim-toast-client-id \
	VENUE_SECRET_DEMO_TOAST_CLIENT_SECRET=sim-toast-client-secret \
	VENUE_SECRET_MEWS_CLIENT_TOKEN=sim-mews-client-token \
	VENUE_SECRET_MEWS_ACCESS_TOKEN=sim-mews-access-token \
	VENUE_SECRET_SENSOR_FRONT_DOOR=sim-sensor-pass \
	VENUE_SECRET_SENSOR_BAR_DOOR=sim-sensor-pass \
	VENUE_SECRET_SENSOR_TERRACE_GATE=sim-sensor-pass \
	target/debug/venue-console

test:
	tests/run-all.sh

bench:
	cargo run --release -p venue-bench -- ingest --rows 1000000
	cargo run --release -p venue-bench -- connectors --orders 100000
	cargo run --release -p venue-bench -- pms --rate 500 --seconds 60
	cargo run --release -p venue-bench -- pms --rate 500 --seconds 60 --documented-limit
	cargo run --release -p venue-bench -- sensors --devices 1000 --interval-seconds 5 --seconds 120
	cargo run --release -p venue-bench -- rollups --zones 50 --days 365
	cargo run --release -p venue-bench -- signin --accounts 10
	cargo run --release -p venue-bench -- sync-convergence --cases 2000
	cargo run --release -p venue-bench -- sync-convergence --real-hub --cases 300
	cargo run --release -p venue-bench -- hub --changes 500000 --consoles 10 --memory-consoles 200
	cargo run --release -p venue-bench -- restore --changes 1000000
	cargo build --release -p venue-cli --features sim && cargo run --release -p venue-bench -- app --bundle
	tests/fuzz.sh
	tests/schemathesis.sh

# Regenerates the UI's TypeScript types (ui/src/generated/) from the Rust types; commit the result.
ui-types:
	VENUE_WRITE_UI_TYPES=1 cargo test -p venue-core --features ts --test ui_types
	cd ui && npm run typecheck

# Fuzzes every parser of untrusted input for FUZZ_SECONDS each (default 180); a crash fails and
# its input is kept in crates/venue-fuzz/regressions/, which `make test` replays.
fuzz:
	tests/fuzz.sh

# schemathesis (PyPI, into target/schemathesis-venv) against a real hub's /openapi.json for
# SCHEMATHESIS_SECONDS (default 120): no 5xx, and every answer matches the document. Too slow for
# `make test`; part of `make bench`.
schemathesis:
	tests/schemathesis.sh

# Release bundles. With TAURI_SIGNING_PRIVATE_KEY set (the key file's text or its path; plus
# TAURI_SIGNING_PRIVATE_KEY_PASSWORD for its password) each bundle also gets its updater
# signature (<bundle>.sig), which the app checks against plugins.updater.pubkey before installing.
# Without a key only the bundles are built, with no updater signatures: that is also
# why tauri.conf.json leaves createUpdaterArtifacts off (the benchmark builds the .deb keyless).
# RELEASE_BUNDLES=deb,appimage adds the AppImage (its tools are downloaded from GitHub).
RELEASE_BUNDLES ?= deb
release: ui
	@cargo tauri --version >/dev/null 2>&1 || { echo "make release: cargo tauri not found: cargo install tauri-cli --version '^2' --locked" >&2; exit 1; }
	@if [ -n "$$TAURI_SIGNING_PRIVATE_KEY" ]; then \
		echo "make release: signing updater artefacts"; \
		cargo tauri build --bundles $(RELEASE_BUNDLES) --config '{"bundle":{"createUpdaterArtifacts":true}}'; \
	else \
		echo "make release: TAURI_SIGNING_PRIVATE_KEY is not set: bundles only, no signed updater artefacts" >&2; \
		cargo tauri build --bundles $(RELEASE_BUNDLES); \
	fi
