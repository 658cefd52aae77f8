#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it. Every step runs even if one fails; the
# last line counts them ("N passed, M failed") and the exit code is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
passed=0
failed=0
failures=()

step() {
  local name=$1; shift
  echo "==> $name"
  local started=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "<== $name: ok ($((SECONDS - started)) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "<== $name: FAILED ($((SECONDS - started)) s)"
  fi
}

core_crates_without_tauri() {
  local crate bad=0
  for crate in $(ls crates); do
    if cargo tree -p "$crate" -e normal,build --prefix none 2>/dev/null | grep -qE '^tauri( |-)'; then
      echo "crate $crate depends on Tauri; the core must stay usable without a window" >&2
      bad=1
    fi
  done
  return $bad
}

# The PMS and the door counters reach vendors through venue-http alone, never the POS vendors' code.
pms_and_sensors_without_pos() {
  local crate tree bad=0
  for crate in venue-pms venue-sensors; do
    tree=$(cargo tree -p "$crate" -e normal --prefix none) || return 1
    if grep -q '^venue-pos ' <<<"$tree"; then
      echo "crate $crate depends on venue-pos; it should need venue-http only" >&2
      bad=1
    fi
  done
  return $bad
}

# The build comes first (it type-checks too): the app's own build embeds ui/dist, so a failing
# UI test must not also take clippy, cargo test and the end-to-end step down with it.
ui_checks() {
  (cd ui && npm run --silent build && npm test --silent)
}

# The features every cargo command below builds with, so one build serves them all: the vendor
# simulators in `venue` (the demo and the tests run `venue sim`) and the UI's type generation
# (the ui_types test fails when ui/src/generated/ is stale: `make ui-types` regenerates it).
FEATURES=venue-cli/sim,venue-core/ts

# The shipped `venue` has no simulators: `venue sim` says how to get them (exit 2), and
# `venue init --demo` uses the built-in demo data.
venue_without_simulators() {
  if cargo tree -p venue-cli -e normal --prefix none 2>/dev/null | grep -q '^venue-sim '; then
    echo "venue-sim is in the default build of venue-cli" >&2
    return 1
  fi
  # venue-cli alone: the whole workspace's tests again, without the simulators, cost minutes.
  cargo test -p venue-cli --quiet --features venue-core/ts --test cli -- shipped_build
}

end_to_end() {
  cargo build --workspace --bins --quiet --features "$FEATURES" &&
    tests/e2e/run.sh "$PWD/target/debug/venue-console" "$PWD/target/debug/venue"
}

benchmark_smoke() {
  # A short run proves the benchmark works and prints its JSON lines; `make bench` runs 1,000,000 rows.
  cargo run --release --quiet -p venue-bench -- ingest --rows 100000 &&
    cargo run --release --quiet -p venue-bench -- pms --rate 500 --seconds 5 &&
    cargo run --release --quiet -p venue-bench -- hub --changes 20000 --lag-seconds 5 \
      --memory-consoles 50 --memory-seconds 5 &&
    cargo run --release --quiet -p venue-bench -- restore --changes 20000
}

step "setup" tests/setup.sh --e2e
step "ui" ui_checks
step "rustfmt" cargo fmt --all -- --check
step "core crates free of tauri" core_crates_without_tauri
step "PMS and sensors free of the POS vendors" pms_and_sensors_without_pos
step "clippy" cargo clippy --workspace --all-targets --quiet --features "$FEATURES" -- -D warnings
# Licences and duplicate versions (deny.toml). Advisories need the RustSec database from the
# network, so they stay out of CI: run `cargo deny check advisories` by hand.
step "cargo deny" cargo deny check bans licenses sources
step "cargo test" cargo test --workspace --no-fail-fast --features "$FEATURES"
step "venue without the simulators" venue_without_simulators
step "end-to-end (real window under Xvfb)" end_to_end
step "benchmark smoke" benchmark_smoke

echo
[ ${#failures[@]} -gt 0 ] && echo "failed steps: ${failures[*]}"
echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
