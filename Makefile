# The two commands: `make demo` runs the console on a demo venue, `make test` runs every test.
# Both install what they need first (system packages via apt-get when missing, npm packages).

DEMO_DIR ?= $(CURDIR)/.venue-demo

.PHONY: demo test bench setup ui

setup:
	tests/setup.sh

ui: setup
	cd ui && npm run build

# The desktop console on the demo venue (a local SQLite store; no account, no network).
demo: ui
	cargo build -p venue-console -p venue-cli
	test -f "$(DEMO_DIR)/venue.sqlite3" || target/debug/venue --data-dir "$(DEMO_DIR)" init --demo
	VENUE_DATA_DIR="$(DEMO_DIR)" target/debug/venue-console

test:
	tests/run-all.sh

bench:
	cargo run --release -p venue-bench -- ingest --rows 1000000
	cargo run --release -p venue-bench -- connectors --orders 100000
	cargo run --release -p venue-bench -- pms --rate 500 --seconds 60
	cargo run --release -p venue-bench -- pms --rate 500 --seconds 60 --documented-limit
	cargo run --release -p venue-bench -- sensors --devices 1000 --interval-seconds 5 --seconds 120
	cargo run --release -p venue-bench -- rollups --zones 50 --days 365
