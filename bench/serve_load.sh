#!/usr/bin/env bash
# Load test of `jointnlu serve` on loopback (issue 21): 64 keep-alive clients x 10k requests while
# 200 idle connections are held and 20 clients trickle their bodies; then a 200 MB chunked body; then
# the connection cap. Prints the load generator's JSON for each phase and the server's RSS before
# and after, as one JSON object on stdout.
#
#   bench/serve_load.sh MODEL                 a student directory or an exported model
#   CLIENTS=8 REQUESTS=1000 bench/serve_load.sh MODEL      a shorter run
#   BUILD_DIR=build THREADS=2 CAP=100 ...
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
model="${1:?usage: bench/serve_load.sh MODEL}"
clients="${CLIENTS:-64}"; requests="${REQUESTS:-10000}"; idle="${IDLE:-200}"; slow="${SLOW:-20}"
threads="${THREADS:-2}"; cap="${CAP:-100}"; chunked_mb="${CHUNKED_MB:-200}"
tmp="$(mktemp -d)"; trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
pid=""

start_server() {  # extra serve flags...
  "$build/jointnlu" serve --model "$model" --port 0 --threads "$threads" "$@" 2>"$tmp/serve.log" &
  pid=$!
  for _ in $(seq 600); do
    port="$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$tmp/serve.log" | sed 's/.*://' || true)"
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "serve_load: the server did not start" >&2; exit 1
}
rss_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
stop_server() { kill -TERM "$pid"; wait "$pid" || { echo "serve exited non-zero" >&2; exit 1; }; }

start_server
rss_start="$(rss_kb VmRSS)"
echo "load: $clients clients x $requests requests, $idle idle, $slow slow (port $port)" >&2
"$build/bench/serve_load" --port "$port" --clients "$clients" --requests "$requests" --idle "$idle" \
  --slow "$slow" >"$tmp/load.json"
rss_after_load="$(rss_kb VmRSS)"; hwm_after_load="$(rss_kb VmHWM)"
echo "chunked: $chunked_mb MB" >&2
"$build/bench/serve_load" --port "$port" --chunked-mb "$chunked_mb" >"$tmp/chunked.json"
rss_after_chunked="$(rss_kb VmRSS)"; hwm_after_chunked="$(rss_kb VmHWM)"
stop_server

start_server --max-connections "$cap"
echo "cap: $cap connections held, 20 more" >&2
"$build/bench/serve_load" --port "$port" --cap "$cap" --cap-extra 20 >"$tmp/cap.json"
stop_server

python3 - "$tmp" <<PY
import json, sys
d = sys.argv[1]
out = {}
for name in ("load", "chunked", "cap"):
    out.update(json.load(open(f"{d}/{name}.json")))
out["server_rss_kb"] = {"start": $rss_start, "after_load": $rss_after_load,
                        "peak_after_load": $hwm_after_load, "after_chunked": $rss_after_chunked,
                        "peak_after_chunked": $hwm_after_chunked}
out["server"] = {"threads": $threads, "model": "$model"}
print(json.dumps(out, indent=2))
PY
