#!/usr/bin/env bash
# The one command that runs the test suite, on a fresh machine too: sets up (installs what is missing,
# builds) and runs every GoogleTest suite through ctest. Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$here/build}"
"$here/scripts/setup.sh"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
