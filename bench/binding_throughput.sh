#!/usr/bin/env bash
# Python binding vs C++ API: parse_batch throughput on the same model, texts and threads (issue 23:
# the Python figure must reach 90% of the C++ one). Installs the build into a temporary prefix and
# the Python package into a venv there (as scripts/check_install.sh does), then runs
# build/bench/batch_throughput and bench/python_throughput.py alternately, REPEAT times each.
#
#   bench/binding_throughput.sh MODEL TEXTS_FILE [THREADS] [BATCH]     (BUILD_DIR, REPEAT, ROUNDS)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
model="$1" texts="$2" threads="${3:-1}" batch="${4:-64}"
repeat="${REPEAT:-3}" rounds="${ROUNDS:-5}"
python="${PYTHON:-/usr/bin/python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
"$python" -m venv --system-site-packages "$tmp/venv"
cp -r "$here/python" "$tmp/python-src"
JOINTNLU_PREFIX="$tmp/prefix" "$tmp/venv/bin/python" -m pip install --no-build-isolation --no-index \
  --no-deps --quiet "$tmp/python-src" >"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log" >&2; exit 1; }
args=(--threads "$threads" --rounds "$rounds" --batch "$batch")
for i in $(seq "$repeat"); do
  "$build/bench/batch_throughput" "$model" "$texts" "${args[@]}" | tee -a "$tmp/cpp.jsonl"
  "$tmp/venv/bin/python" "$here/bench/python_throughput.py" "$model" "$texts" "${args[@]}" |
    tee -a "$tmp/py.jsonl"
done
"$python" - "$tmp/cpp.jsonl" "$tmp/py.jsonl" <<'PY'
import json, statistics, sys
cpp = [json.loads(l)["texts_per_s"] for l in open(sys.argv[1])]
py = [json.loads(l)["texts_per_s"] for l in open(sys.argv[2])]
c, p = statistics.median(cpp), statistics.median(py)
print(json.dumps({"cpp_texts_per_s": c, "python_texts_per_s": p, "ratio": round(p / c, 3)}))
PY
