#!/usr/bin/env bash
# Sanitizers and fuzzing (issue 21). Builds core, runtime, serve, the CLI, the tests and the libFuzzer
# targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer (no libtorch) into build-fuzz/,
# runs the test suite there, writes seed corpora from real files, then runs every fuzz target.
#
#   scripts/fuzz.sh              60 s per target (what CI runs)
#   scripts/fuzz.sh 3600         an hour per target
#   JOBS=5 scripts/fuzz.sh 3600  targets run side by side (default: nproc)
#   TARGETS="fuzz_model" ...     some targets only
#
# The corpus grows in build-fuzz/corpus/TARGET across runs. A crash, leak, UB report or timeout
# (one input running over 30 s) leaves its input in build-fuzz/findings/TARGET/ and makes the script exit 1: minimise it, fix the
# bug, and add the input to tests/fuzz/regressions/TARGET/ (ctest then replays it in this build).
# Prints one line per target on stdout: seconds, executions, corpus size, result.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$here/build-fuzz}"
seconds="${1:-60}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
targets=(${TARGETS:-fuzz_model fuzz_model_config fuzz_readers fuzz_tokenizer fuzz_http_api})
log() { printf '[fuzz] %s\n' "$*" >&2; }

for tool in clang clang++; do
  command -v "$tool" >/dev/null || { log "$tool is missing: scripts/setup.sh installs it"; exit 1; }
done
log "configuring $build (clang, ASan + UBSan, libFuzzer)"
CC=clang CXX=clang++ cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DJOINTNLU_WITH_TRAINING=OFF -DJOINTNLU_BUILD_BENCH=OFF -DJOINTNLU_FUZZ=ON >/dev/null
log "building with $(nproc) jobs"
cmake --build "$build" -j "$(nproc)" >"$build/build.log" 2>&1 || { tail -40 "$build/build.log" >&2; exit 1; }

log "the test suite under ASan + UBSan"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd "$build" && ctest --output-on-failure -j "$(nproc)") >&2

[ "$seconds" -gt 0 ] || exit 0
"$build/tests/fuzz/fuzz_seeds" "$build/seeds"
# The model target writes its input to a file per run: keep that in memory when possible.
export TMPDIR="$( [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}" )"
status=0
run_target() {
  local t="$1"
  mkdir -p "$build/corpus/$t" "$build/findings/$t"
  local started=$SECONDS rc=0
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -timeout=30 -print_final_stats=1 -artifact_prefix="$build/findings/$t/" \
    "$build/corpus/$t" "$build/seeds/$t" >"$build/fuzz-$t.log" 2>&1 || rc=$?
  local runs corpus
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz-$t.log" | grep -o '[0-9]*$' || echo 0)"
  corpus="$(ls "$build/corpus/$t" | wc -l)"
  if [ "$rc" -eq 0 ]; then
    echo "$t: $((SECONDS - started)) s, $runs executions, corpus $corpus, no finding"
  else
    echo "$t: FINDING (exit $rc) after $((SECONDS - started)) s; see $build/fuzz-$t.log and $build/findings/$t/"
    grep -m1 -A12 -E "ERROR|runtime error|SUMMARY" "$build/fuzz-$t.log" >&2 || true
    return 1
  fi
}
log "${#targets[@]} targets, ${seconds} s each, $jobs at a time"
pids=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  run_target "$t" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
