#!/usr/bin/env bash
# Fuzzes every parser of untrusted input (crates/venue-fuzz: Square, Toast, Mews, door counters,
# venue.toml) with cargo-fuzz (libFuzzer) for FUZZ_SECONDS each (default 180), starting from the
# vendors' documented examples and the kept seeds. A crash fails the run, and its input is copied
# to crates/venue-fuzz/regressions/<target>/ so that `make test` replays it from then on.
# Prints one JSON line per target: {"name":"fuzz.<target>.execs","value":N,...,"crashes":N}.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-180}
targets=${FUZZ_TARGETS:-"square toast mews sensors config"}
fuzz_dir=crates/venue-fuzz/fuzz

# libFuzzer needs a nightly compiler's sanitizer flags; machines of this kind ship one.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  echo "fuzz: no nightly toolchain; using stable with RUSTC_BOOTSTRAP and no sanitizer" >&2
  toolchain=()
  export RUSTC_BOOTSTRAP=1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

declare -A fixtures=([square]=square [toast]=toast [mews]=mews [sensors]=sensors)
failed=0
for target in $targets; do
  corpus=$fuzz_dir/corpus/$target
  mkdir -p "$corpus"
  # Seeds are copied, never fuzzed in place: shared/fixtures stays as the vendors wrote it.
  if [ -n "${fixtures[$target]:-}" ]; then
    for f in ../shared/fixtures/"${fixtures[$target]}"/*; do
      if [ "$target" = sensors ]; then
        # The sensors target's first byte picks the parser.
        for selector in 0 1 2 3 4 5 6 7; do
          { printf "\\x0$selector"; cat "$f"; } > "$corpus/seed-$selector-$(basename "$f")"
        done
      else
        cp "$f" "$corpus/seed-$(basename "$f")"
      fi
    done
  fi
  [ -d crates/venue-fuzz/seeds/$target ] && cp crates/venue-fuzz/seeds/$target/* "$corpus/"
  [ -d crates/venue-fuzz/regressions/$target ] && cp crates/venue-fuzz/regressions/$target/* "$corpus/" 2>/dev/null || true
  log=$(mktemp)
  started=$SECONDS
  status=0
  cargo "${toolchain[@]}" fuzz run --fuzz-dir "$fuzz_dir" "$target" "$corpus" -- \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 >"$log" 2>&1 || status=$?
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1
    failed=1
    mkdir -p crates/venue-fuzz/regressions/$target
    for artifact in "$fuzz_dir"/artifacts/"$target"/*; do
      [ -f "$artifact" ] && cp "$artifact" crates/venue-fuzz/regressions/$target/
    done
    tail -40 "$log" >&2
    echo "fuzz: $target crashed; its input is in crates/venue-fuzz/regressions/$target/" >&2
  fi
  echo "{\"name\":\"fuzz.$target.execs\",\"value\":${execs:-0},\"unit\":\"runs\",\"seconds\":$((SECONDS - started)),\"crashes\":$crashes}"
  rm -f "$log"
done
exit $failed
