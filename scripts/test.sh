#!/usr/bin/env bash
# The one command that runs the test suite, on a fresh machine too: sets up (installs what is missing,
# builds) and runs every GoogleTest suite through ctest. Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$here/build}"
"$here/scripts/setup.sh"
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@")
# Then the same suite under ASan + UBSan (a clang build without libtorch) and every fuzz target for
# JOINTNLU_FUZZ_SECONDS (default 60) each; JOINTNLU_FUZZ_SECONDS=off skips both.
fuzz_seconds="${JOINTNLU_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" != off ]; then
  "$here/scripts/fuzz.sh" "$fuzz_seconds"
fi
